// The report-opening job (the daily `series` cron, kind 'mutual_report') over 3,500 court–procuratorate
// pairs with 5 monthly report series each (17,500 series; two report for each side, one reported by
// both sides: 21,000 reports a month), on the embedded database: the first run after January ends
// (every January report, its 'created' entry, webhook event and coordinator notice), a repeat run
// (nothing to do) and the run after February. Round trips are calls of the libSQL client
// (execute/batch); 350 pairs beside it show that they grow only with the chunks
// (⌈instances / SERIES_CHUNK⌉ batches), not with the number of series.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import type { Db } from "../src/db/client";
import { migrateDb, nodeDeps } from "../src/node/local";
import { SERIES_CHUNK } from "../src/series/series";
import { countCalls, insertPairs } from "./series";

const PAIRS = 3_500;
const PER_PAIR = 5;
/** Before: the pairs' other series (joint meeting, seminar) are created, so the runs below open reports only. */
const WARM = new Date("2027-01-02T00:00:00Z");
const FIRST = new Date("2027-02-01T00:00:00Z"); // 08:00 China time, 1 February: January has ended
const REPEAT = new Date("2027-02-02T00:00:00Z");
const NEXT = new Date("2027-03-01T00:00:00Z");

const CONFIG = (reporter: string) =>
  JSON.stringify({
    title: "涉未成年人案件办理情况通报",
    topic: "minors",
    reporter,
    dueWorkdays: 10,
    fields: [
      { key: "cases_accepted", label: { zh: "受理", en: "Accepted" }, type: "integer", required: true },
      { key: "notes", label: { zh: "说明", en: "Notes" }, type: "text", required: false },
    ],
    requestHash: "bench",
  });

/**
 * Inserts `n` pairs in bulk (bench/series.ts `insertPairs`) and PER_PAIR monthly report series per
 * pair starting in January 2027: reporters court, procuratorate, both, court, procuratorate.
 */
async function insertPairsWithSeries(db: Db, n: number, now: string) {
  await insertPairs(db, n, now);
  const nums = sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${n})`;
  const reporters = ["court", "procuratorate", "both", "court", "procuratorate"];
  const kinds = sql`${nums}, s(k, reporter, first_host, config) as (values ${sql.join(
    reporters.map((r, k) => sql`(${k}, ${r}, ${r === "both" ? "court" : r}, ${CONFIG(r)})`),
    sql`, `,
  )})`;
  await db.run(sql`${kinds} insert into series (id, jurisdiction_id, kind, key, cadence, first_host,
      alternate, start_period, active, config, created_at, updated_at)
    select printf('bs%05d.%d', i, s.k), printf('bj%05d', i), 'mutual_report', 'bench' || s.k, 'month',
      s.first_host, 0, '2027-01', 1, s.config, ${now}, ${now}
    from n, s`);
}

async function embedded(pairs: number) {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-reports-"));
  try {
    const clock = fixedClock(WARM);
    const { deps } = await nodeDeps({ LIBSQL_URL: `file:${join(dir, "bench.db")}` }, { clock });
    await migrateDb(deps.db, clock);
    await insertPairsWithSeries(deps.db, pairs, WARM.toISOString());
    const trips = countCalls(deps);
    const measure = async (at: Date) => {
      clock.set(at);
      trips.reset();
      const t0 = performance.now();
      const r = await runJob(deps, "series", at);
      if (r.status !== "ok") throw new Error(`series job failed: ${r.error}`);
      return {
        ms: Math.round(performance.now() - t0),
        roundTrips: trips.read(),
        batches: r.counts!.batches,
        instances: r.counts!.instances,
      };
    };
    await measure(WARM);
    const first = await measure(FIRST);
    const repeat = await measure(REPEAT);
    const next = await measure(NEXT);
    const [made] = await deps.db.all<{
      reports: number;
      notices: number;
      hooks: number;
      undated: number;
    }>(sql`
      select (select count(*) from exchanges where kind = 'report') as reports,
        (select count(*) from notifications where kind = 'report.opened') as notices,
        (select count(*) from webhook_events where type = 'report.created') as hooks,
        (select count(*) from exchanges where kind = 'report' and due_on is null) as undated`);
    const expected = 2 * pairs * (PER_PAIR + 1);
    if (made!.reports !== expected) throw new Error(`expected ${expected} reports, got ${made!.reports}`);
    deps.db.$client.close();
    return { series: pairs * PER_PAIR, first, repeat, next, made };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchReports(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { pairs: PAIRS, seriesPerPair: PER_PAIR, chunk: SERIES_CHUNK };
  out.embedded350 = await embedded(PAIRS / 10);
  console.log(`  embedded 350: ${JSON.stringify(out.embedded350)}`);
  out.embedded = await embedded(PAIRS);
  console.log(`  embedded: ${JSON.stringify(out.embedded)}`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchReports());
