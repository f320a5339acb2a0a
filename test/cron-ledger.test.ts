// The run ledger tells the truth: every claim, crash and failure, with leases that expire.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { JOBS, LEASE_MS, runJob } from "../src/cron/cron";
import { fixedClock } from "../src/clock";
import { setup, type TestApp } from "./helpers";

const clock = fixedClock("2026-09-01T02:00:00Z");
let t: TestApp;
let behaviour: "hang" | "ok" | "fail" = "ok";

beforeAll(async () => {
  t = await setup({ clock });
  // A job under test: hangs as a process killed mid-run would, fails, or succeeds.
  JOBS.probe = async () => {
    if (behaviour === "hang") return new Promise(() => {});
    if (behaviour === "fail") throw new Error("probe failed on purpose");
    return { done: 1 };
  };
});

const row = async (at: Date) =>
  (
    await t.deps.db.all<{
      status: string;
      attempts: number;
      error: string | null;
      lease_until: string | null;
    }>(
      sql`select status, attempts, error, lease_until from job_runs
          where job = 'probe' and scheduled_at = ${at.toISOString()}`,
    )
  )[0];

describe("the run ledger", () => {
  it("records a crashed run as crashed once its lease expires, and a later trigger of its time runs it again", async () => {
    const at = new Date("2026-09-01T02:00:00Z");
    behaviour = "hang";
    void runJob(t.deps, "probe", at); // never settles: the process "died" here
    await new Promise((r) => setTimeout(r, 20));
    expect(await row(at)).toMatchObject({ status: "running", attempts: 1 });

    // A duplicate trigger while the lease is alive is a no-op.
    behaviour = "ok";
    expect((await runJob(t.deps, "probe", at)).status).toBe("skipped");

    // Past the lease, the next run of the job (any time) records the crash.
    clock.advance(LEASE_MS + 60_000);
    const next = new Date(clock.now());
    expect((await runJob(t.deps, "probe", next)).status).toBe("ok");
    const crashed = await row(at);
    expect(crashed).toMatchObject({ status: "crashed", attempts: 1 });
    expect(crashed!.error).toMatch(/attempt 1 crashed: not finished by 2026-09-01T02:10:00/);

    // A late or repeated trigger for the crashed time claims it again.
    const again = await runJob(t.deps, "probe", at);
    expect(again).toMatchObject({ status: "ok", attempt: 2 });
    expect(await row(at)).toMatchObject({ status: "ok", attempts: 2, lease_until: null });
    expect((await row(at))!.error).toMatch(/attempt 1 crashed/); // the history stays
    expect((await runJob(t.deps, "probe", at)).status).toBe("skipped");
  });

  it("records a failure with its message; a repeated trigger does not run it again", async () => {
    const at = new Date(clock.now().getTime() + 3_600_000);
    behaviour = "fail";
    expect((await runJob(t.deps, "probe", at)).status).toBe("error");
    expect(await row(at)).toMatchObject({
      status: "error",
      attempts: 1,
      error: "Error: probe failed on purpose",
    });
    behaviour = "ok";
    expect((await runJob(t.deps, "probe", at)).status).toBe("skipped");
  });

  it("shows each run's status and attempts to the deployment's operators", async () => {
    const res = await t.request("/v1/admin/jobs", { as: await t.operator() });
    expect(res.status).toBe(200);
    const probe = res.body.items.find((i: { job: string }) => i.job === "probe");
    const statuses = probe.runs.map((r: { status: string; attempts: number }) => `${r.status}/${r.attempts}`);
    expect(statuses).toEqual(["error/1", "ok/1", "ok/2"]); // newest first; the retried crash is ok/2
  });
});
