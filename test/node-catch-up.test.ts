// The Node host runs each trigger's latest scheduled time on start: an intranet machine switched off
// at 08:00 China time still gets its daily jobs (the half-yearly meetings among them), exactly once.
import { afterEach, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { startNodeHost } from "./node-host";

let host: Awaited<ReturnType<typeof startNodeHost>> | undefined;
afterEach(() => host?.stop());

describe("npm start catches up the triggers it missed", () => {
  it("plans the demo pairs' meetings of this half-year on start, and a restart adds nothing", async () => {
    host = await startNodeHost({ CRON: "on", SEED_DEMO: "true" });
    await host.catchUp;
    const count = async () => {
      const [row] = await host!.deps.db.all<{ meetings: number; runs: number }>(sql`select
        (select count(*) from meetings where kind = 'regular') as meetings,
        (select count(*) from job_runs where job = 'series' and status = 'ok') as runs`);
      return row!;
    };
    // Two demo pairs (city and district): one regular meeting each for the current half-year.
    expect(await count()).toEqual({ meetings: 2, runs: 1 });
    const url = host.deps.config.LIBSQL_URL;
    host.stop();
    host = await startNodeHost({ CRON: "on", SEED_DEMO: "true", LIBSQL_URL: url });
    await host.catchUp;
    expect(await count()).toEqual({ meetings: 2, runs: 1 });
  });

  it("runs nothing on start with CRON=off", async () => {
    host = await startNodeHost({ SEED_DEMO: "true" });
    await host.catchUp;
    const [row] = await host.deps.db.all<{ n: number }>(sql`select count(*) as n from job_runs`);
    expect(row!.n).toBe(0);
  });
});
