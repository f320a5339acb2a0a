// Time and ids are injected so every rule can be tested at any instant.
import { monotonicFactory } from "ulidx";

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A settable clock for tests and for replaying cron at a chosen instant. */
export function fixedClock(
  start: Date | string,
): Clock & { set(d: Date | string): void; advance(ms: number): void } {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set: (d) => void (t = new Date(d).getTime()),
    advance: (ms) => void (t += ms),
  };
}

export type IdGen = () => string;

/** ULIDs: sortable by creation time, so ids double as stable pagination cursors. */
export function ulidGen(clock: Clock): IdGen {
  const next = monotonicFactory();
  return () => next(clock.now().getTime());
}
