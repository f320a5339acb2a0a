// Scheduled jobs: cron expressions (declared in wrangler.toml) dispatch to jobs, recorded in a run ledger.
//
// Triggers are at-least-once and may be skipped, so: a (job, scheduled time) pair runs once; every
// job handles everything due up to now; side effects carry their own unique keys.
import { and, eq } from "drizzle-orm";
import { jobRuns } from "../db/schema";
import type { Deps } from "../http/api";
import { LADDER_SOURCES } from "../escalation/documents";
import { sweepLadder } from "../escalation/ladder";
import { digestInsert } from "../notifications/digest";
import { deliverWebhooks } from "../webhooks/deliver";

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
};

export const SCHEDULE: Record<string, (keyof typeof JOBS)[]> = {
  "*/15 * * * *": ["sweep"],
  "*/5 * * * *": ["webhooks"],
  "0 0 * * *": ["daily_digest"], // 08:00 China Standard Time
};

export class UnknownCronError extends Error {}

/** Runs the jobs of one trigger; a job already recorded for this scheduled time is skipped. */
export async function runScheduled(deps: Deps, cron: string, scheduledAt: Date) {
  const jobs = SCHEDULE[cron];
  if (!jobs) throw new UnknownCronError(`no jobs for cron expression "${cron}"`);
  const outcomes: { job: string; status: "ok" | "error" | "skipped"; counts?: Record<string, number> }[] = [];
  for (const job of jobs) outcomes.push({ job, ...(await runJob(deps, job, scheduledAt)) });
  return outcomes;
}

export async function runJob(deps: Deps, job: keyof typeof JOBS, scheduledAt: Date) {
  const { db, clock } = deps;
  const at = scheduledAt.toISOString();
  const claimed = await db
    .insert(jobRuns)
    .values({ job, scheduledAt: at, startedAt: clock.now().toISOString(), status: "running" })
    .onConflictDoNothing()
    .returning({ job: jobRuns.job });
  if (claimed.length === 0) return { status: "skipped" as const };
  const started = clock.now().getTime();
  const key = and(eq(jobRuns.job, job), eq(jobRuns.scheduledAt, at));
  try {
    const counts = await JOBS[job]!({ deps, scheduledAt, now: clock.now() });
    await db
      .update(jobRuns)
      .set({
        status: "ok",
        finishedAt: clock.now().toISOString(),
        counts: { ...counts, durationMs: clock.now().getTime() - started },
      })
      .where(key);
    return { status: "ok" as const, counts };
  } catch (e) {
    await db
      .update(jobRuns)
      .set({ status: "error", finishedAt: clock.now().toISOString(), error: String(e).slice(0, 2000) })
      .where(key);
    return { status: "error" as const };
  }
}
