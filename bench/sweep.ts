// Escalation sweep benchmark: the `sweep` job over 1k, 10k and 100k open documents of which 10% have
// a ladder step newly due. Reports wall time and database round trips (calls of the libSQL client's
// execute/batch), for the first sweep (which fires the steps) and a repeat (nothing new: steady state).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import { SWEEP_CHUNK } from "../src/escalation/ladder";
import { createPair } from "../src/db/seed";
import { migrateDb, nodeDeps } from "../src/node/local";

const SIZES = [1_000, 10_000, 100_000];
const NOW = new Date("2026-09-08T02:00:00Z"); // 10:00 CST, a Tuesday

async function one(n: number) {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-sweep-"));
  try {
    const clock = fixedClock(NOW);
    const { deps } = await nodeDeps({ LIBSQL_URL: `file:${join(dir, "bench.db")}` }, { clock });
    await migrateDb(deps.db, clock);
    const pair = await createPair(deps.db, deps.ids, NOW, {
      code: "BENCH1",
      name: "基准区",
      level: "basic",
      courtName: "基准区人民法院",
      procuratorateName: "基准区人民检察院",
      emailDomain: "bench.test",
    });
    const [court, proc] = pair.orgs;
    const person = (orgId: string, role: string) =>
      pair.people.find((p) => p.orgId === orgId && p.role === role)!;
    const handler = person(court!.id, "handler");
    const office = pair.depts.find((d) => d.orgId === court!.id && d.name === "办公室")!;
    const today = "2026-09-08";
    const setupStarted = performance.now();
    // 10% are due in 3 working days (T-3 newly due, T-7 superseded); the rest later, inside the sweep horizon.
    await deps.db.run(sql`
      insert into documents (id, jurisdiction_id, type, status, sender_org_id, recipient_org_id, receiving_department_id, handling_department_id, handler_id,
        doc_number, case_numbers, case_category, title, attachments, rule_id, rule_version, period_days, sent_on, received_on, due_on, deadline_version,
        created_by, idempotency_key, request_hash, created_at, updated_at)
      with recursive n(i) as (select 1 union all select i + 1 from n where i < ${n})
      select printf('bench-%08d', i), ${pair.jurisdiction.id}, 'protest.civil', 'assigned', ${proc!.id}, ${court!.id}, ${office.id}, ${handler.departmentId}, ${handler.id},
        'B' || i, '[]', 'civil', '基准文书' || i, '[]', 'default:protest.civil', 1, 30, '2026-08-01', '2026-08-01',
        case when i % 10 = 0 then (select c.day from calendar_days c where c.wd_idx = (select wd_idx from calendar_days where day = ${today}) + 3 and c.kind in ('workday', 'makeup') order by c.day limit 1)
             else date(${today}, '+' || (14 + i % 30) || ' days') end,
        1, ${person(proc!.id, "handler").id}, 'bench-' || i, 'h', ${NOW.toISOString()}, ${NOW.toISOString()}
      from n`);
    const setupMs = performance.now() - setupStarted;

    // Count round trips: every execute/batch call on the client is one.
    const client = deps.db.$client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    let trips = 0;
    for (const m of ["execute", "batch", "executeMultiple"]) {
      const orig = client[m]!.bind(client);
      client[m] = (...a: unknown[]) => (trips++, orig(...a));
    }
    const measure = async (k: number) => {
      trips = 0;
      const t0 = performance.now();
      const r = await runJob(deps, "sweep", new Date(NOW.getTime() + k));
      if (r.status !== "ok") throw new Error(`sweep failed at ${n}`);
      return { ms: Math.round(performance.now() - t0), roundTrips: trips, counts: r.counts! };
    };
    const first = await measure(1);
    const repeat = await measure(2);
    const [notices] = await deps.db.all<{ n: number }>(
      sql`select count(*) as n from notifications where kind like 'deadline.%'`,
    );
    return {
      documents: n,
      setupMs: Math.round(setupMs),
      sweepMs: first.ms,
      sweepRoundTrips: first.roundTrips,
      stepsSent: first.counts["document.sent"],
      stepsSuperseded: first.counts["document.superseded"],
      notifications: notices!.n,
      repeatSweepMs: repeat.ms,
      repeatRoundTrips: repeat.roundTrips,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSweep(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { chunk: SWEEP_CHUNK };
  for (const n of SIZES) {
    const r = await one(n);
    out[`${n / 1000}k`] = r;
    console.log(`  sweep ${n}: ${JSON.stringify(r)}`);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchSweep());
