// Scheduled jobs: cron expressions (declared in wrangler.toml) dispatch to jobs, recorded in a run ledger.
//
// Triggers are at-least-once and may be skipped, so: a (job, scheduled time) pair runs once; every
// job handles everything due up to now; side effects carry their own unique keys.
import { sql } from "drizzle-orm";
import { calendarReminderInsert } from "../calendar/calendar-reminder";
import type { Deps } from "../http/api";
import { LADDER_SOURCES } from "../escalation/documents";
import { sweepLadder } from "../escalation/ladder";
import { digestInsert } from "../notifications/digest";
import { deliverWebhooks } from "../webhooks/deliver";
import { runSeries } from "../series/series";
import { runReminders } from "../notifications/reminders";
import { expireOffers } from "../trainings/registrations";

export type JobContext = { deps: Deps; scheduledAt: Date; now: Date };
export type Job = (ctx: JobContext) => Promise<Record<string, number>>;

/** The jobs; each expression below must match a `[triggers] crons` entry of wrangler.toml. */
export const JOBS: Record<string, Job> = {
  // Every escalation ladder (all steps due up to now, set-based), then the digest for jurisdictions
  // whose business hours began after the daily trigger (or whose trigger was missed).
  sweep: async ({ deps, now }) => {
    const counts: Record<string, number> = {};
    for (const source of LADDER_SOURCES) {
      const c = await sweepLadder(deps, source, now);
      for (const [k, v] of Object.entries(c)) counts[`${source.subjectType}.${k}`] = v;
    }
    const [digest] = await deps.db.batch([digestInsert(deps.db, now, deps.ids())]);
    counts.digests = digest.rowsAffected;
    return counts;
  },
  daily_digest: async ({ deps, now }) => {
    const [digest] = await deps.db.batch([digestInsert(deps.db, now, deps.ids())]);
    return { digests: digest.rowsAffected };
  },
  webhooks: async ({ deps, now }) => deliverWebhooks(deps, now),
  // From 1 December, the city-level admins are told (once each per year) that next year's holiday
  // calendar is missing.
  calendar_reminder: async ({ deps, now }) => {
    const [sent] = await deps.db.batch([calendarReminderInsert(deps.db, now, deps.ids())]);
    return { reminders: sent.rowsAffected };
  },
  // Recurring series (ADR 0009): each pair's instance of the current period — the half-yearly joint
  // meeting — exists, exactly once per (series, period); a missed day is caught up by the next.
  series: async ({ deps, now }) => runSeries(deps, now),
  // Reminders to participants before scheduled meetings (7 and 1 days before).
  event_reminders: async ({ deps, now }) => runReminders(deps, now),
  // Training waiting lists (ADR 0011): offers past their expiry pass to the next waitlisted people.
  offers: async ({ deps, now }) => expireOffers(deps, now),
};

export const SCHEDULE: Record<string, (keyof typeof JOBS)[]> = {
  "*/15 * * * *": ["sweep", "offers"],
  "*/5 * * * *": ["webhooks"],
  "0 0 * * *": ["daily_digest", "calendar_reminder", "series", "event_reminders"], // 08:00 China time
};

export class UnknownCronError extends Error {}

/** How long a claimed run may take; a run still `running` after its lease crashed (ADR 0006). */
export const LEASE_MS = 10 * 60_000;

type Outcome = {
  status: "ok" | "error" | "skipped" | "not_claimed";
  counts?: Record<string, number>;
  attempt?: number;
  error?: string;
};

/** Runs the jobs of one trigger; a job already recorded for this scheduled time is skipped. */
export async function runScheduled(deps: Deps, cron: string, scheduledAt: Date) {
  const jobs = SCHEDULE[cron];
  if (!jobs) throw new UnknownCronError(`no jobs for cron expression "${cron}"`);
  const outcomes: ({ job: string } & Outcome)[] = [];
  for (const job of jobs) outcomes.push({ job, ...(await runJob(deps, job, scheduledAt)) });
  return outcomes;
}

// markCrashed: every run still `running` past its lease is recorded as crashed (the process died,
// or the Worker was cut off), so the ledger never shows a dead run as running. Rows from before
// leases existed count from their start.
const markCrashed = (db: Deps["db"], now: string) =>
  db.run(sql`
    update job_runs
    set status = 'crashed',
        finished_at = coalesce(lease_until, started_at),
        error = coalesce(error || char(10), '')
          || 'attempt ' || attempts || ' crashed: not finished by ' || coalesce(lease_until, started_at)
    where status = 'running'
      and (lease_until <= ${now}
        or (lease_until is null and started_at <= ${new Date(Date.parse(now) - LEASE_MS).toISOString()}))`);

// claimRun: takes (job, scheduled time) once — a new row, or a crashed one again (attempts + 1).
// A run that is running under a live lease, or finished, is not taken: the unique key decides,
// so two hosts or two triggers never both run it.
const claimRun = (db: Deps["db"], job: string, at: string, now: string) =>
  db.all<{ attempts: number }>(sql`
    insert into job_runs (job, scheduled_at, started_at, status, lease_until, attempts)
    values (${job}, ${at}, ${now}, 'running', ${new Date(Date.parse(now) + LEASE_MS).toISOString()}, 1)
    on conflict (job, scheduled_at) do update
      set status = 'running', started_at = excluded.started_at, finished_at = null,
          lease_until = excluded.lease_until, attempts = job_runs.attempts + 1
      where job_runs.status = 'crashed'
    returning attempts`);

// finishRun: records how the claimed attempt ended; only that attempt's row (a later attempt that
// took over after a lease expired is not overwritten by a late finisher).
const finishRun = (
  db: Deps["db"],
  job: string,
  at: string,
  attempt: number,
  now: string,
  end: { status: "ok"; counts: Record<string, number> } | { status: "error"; error: string },
) =>
  db.run(sql`
    update job_runs
    set status = ${end.status}, finished_at = ${now}, lease_until = null,
        counts = ${end.status === "ok" ? JSON.stringify(end.counts) : null},
        error = ${end.status === "error" ? sql`coalesce(error || char(10), '') || ${end.error}` : sql`error`}
    where job = ${job} and scheduled_at = ${at} and attempts = ${attempt}
      and status in ('running', 'crashed')`);

/**
 * Claims the run of `job` for `scheduledAt`, runs it and records the outcome. Nothing throws: a
 * database that stays busy past the bounded wait leaves the run unclaimed (logged; the next trigger
 * catches up, since every job handles everything due up to now).
 */
export async function runJob(deps: Deps, job: keyof typeof JOBS, scheduledAt: Date): Promise<Outcome> {
  const { db, clock } = deps;
  const at = scheduledAt.toISOString();
  const log = (level: string, message: string, extra: Record<string, unknown> = {}) =>
    console[level === "error" ? "error" : "warn"](
      JSON.stringify({ level, job, scheduledAt: at, message, ...extra }),
    );
  let attempt: number;
  try {
    const now = clock.now().toISOString();
    const [, claimed] = await db.batch([markCrashed(db, now), claimRun(db, job, at, now)]);
    if (claimed.length === 0) return { status: "skipped" };
    attempt = claimed[0]!.attempts;
  } catch (e) {
    log("error", "run not claimed", { error: String(e) });
    return { status: "not_claimed", error: String(e).slice(0, 500) };
  }
  const started = clock.now().getTime();
  let end: Parameters<typeof finishRun>[5];
  try {
    const counts = await JOBS[job]!({ deps, scheduledAt, now: clock.now() });
    end = { status: "ok", counts: { ...counts, durationMs: clock.now().getTime() - started } };
  } catch (e) {
    end = { status: "error", error: String(e).slice(0, 2000) };
  }
  try {
    await db.batch([finishRun(db, job, at, attempt, clock.now().toISOString(), end)]);
  } catch (e) {
    // The row stays `running` until its lease expires, then shows as crashed: never a false `ok`.
    log("error", "run finished but not recorded", { error: String(e), outcome: end.status });
  }
  return end.status === "ok"
    ? { status: "ok", counts: end.counts, attempt }
    : { status: "error", error: end.error, attempt };
}
