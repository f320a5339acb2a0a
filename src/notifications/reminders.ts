// Placeholder: reminders before scheduled events (issue #10).
import type { Deps } from "../http/api";

/** The cron job: reminders N days before each scheduled event, once per (event, slot, day, person). */
export async function runReminders(_deps: Deps, _now: Date): Promise<Record<string, number>> {
  return {};
}
