// The joint-meeting cycle job (`series`, ADR 0009) over 3,500 court–procuratorate pairs — about every
// pair in the country — on the embedded database and over HTTP to the local Hrana endpoint: the first
// run of a half-year (every series, instance, meeting, timeline entry, webhook event and coordinator
// notice created), a repeat run (nothing to do: steady state for the other ~180 days), and the first
// run of the next half-year (instances and meetings only). Reports wall time and database round trips:
// calls of the libSQL client (execute/batch) on the embedded database, pipelines at the endpoint.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { generateDevKeys } from "../src/auth/jwt";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import type { Db } from "../src/db/client";
import type { Deps } from "../src/http/api";
import { startHranaServer } from "../src/node/libsql-server";
import { migrateDb, nodeDeps } from "../src/node/local";
import { SERIES_CHUNK } from "../src/series/series";

const PAIRS = 3_500;
const FIRST = new Date("2027-01-01T00:00:00Z"); // the daily trigger, 08:00 China time on 1 January
const REPEAT = new Date("2027-01-02T00:00:00Z");
const NEXT_HALF = new Date("2027-07-01T00:00:00Z");

/**
 * Inserts `n` pairs in bulk (createPair writes one pair per batch, far too slow for 3,500): a
 * jurisdiction, its court and procuratorate, and per institution a coordinator, an admin and a leader.
 */
export async function insertPairs(db: Db, n: number, now: string) {
  const nums = sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${n})`;
  const orgs = sql`${nums}, k(kind, tag) as (values ('court', 'c'), ('procuratorate', 'p'))`;
  const people = sql`${orgs}, r(role) as (values ('coordinator'), ('admin'), ('leader'))`;
  await db.batch([
    db.run(sql`${nums} insert into jurisdictions (id, code, name, level, count_makeup_workdays, created_at)
      select printf('bj%05d', i), printf('B%05d', i), '基准区' || i, 'basic', 1, ${now} from n`),
    db.run(sql`${orgs} insert into organizations (id, jurisdiction_id, kind, name, created_at)
      select printf('b%s%05d', k.tag, i), printf('bj%05d', i), k.kind,
        '基准区' || i || case k.kind when 'court' then '人民法院' else '人民检察院' end, ${now}
      from n, k`),
    db.run(sql`${people} insert into users (id, jurisdiction_id, org_id, email, name, created_at)
      select printf('bu%s%05d%s', k.tag, i, r.role), printf('bj%05d', i), printf('b%s%05d', k.tag, i),
        printf('%s.%s%05d@bench.test', r.role, k.tag, i), r.role || i, ${now}
      from n, k, r`),
    db.run(sql`${people} insert into role_assignments (id, jurisdiction_id, org_id, user_id, role, created_at)
      select printf('br%s%05d%s', k.tag, i, r.role), printf('bj%05d', i), printf('b%s%05d', k.tag, i),
        printf('bu%s%05d%s', k.tag, i, r.role), r.role, ${now}
      from n, k, r`),
  ]);
}

type Measure = { ms: number; roundTrips: number; counts: Record<string, number> };

async function cycle(deps: Deps, pairs: number, trips: { reset(): void; read(): number }) {
  const measure = async (at: Date): Promise<Measure> => {
    (deps.clock as ReturnType<typeof fixedClock>).set(at);
    trips.reset();
    const t0 = performance.now();
    const r = await runJob(deps, "series", at);
    if (r.status !== "ok") throw new Error(`series job failed: ${r.error}`);
    await new Promise((resolve) => setImmediate(resolve));
    return { ms: Math.round(performance.now() - t0), roundTrips: trips.read(), counts: r.counts! };
  };
  const first = await measure(FIRST);
  const repeat = await measure(REPEAT);
  const next = await measure(NEXT_HALF);
  const [made] = await deps.db.all<{ meetings: number; notices: number; hooks: number }>(sql`select
    (select count(*) from meetings) as meetings,
    (select count(*) from notifications where kind = 'meeting.cycle_opened') as notices,
    (select count(*) from webhook_events where type = 'meeting.created') as hooks`);
  if (made!.meetings !== 2 * pairs) throw new Error(`expected ${2 * pairs} meetings, got ${made!.meetings}`);
  return {
    firstRunMs: first.ms,
    firstRunRoundTrips: first.roundTrips,
    firstRunBatches: first.counts.batches,
    repeatRunMs: repeat.ms,
    repeatRunRoundTrips: repeat.roundTrips,
    nextHalfYearMs: next.ms,
    nextHalfYearRoundTrips: next.roundTrips,
    created: {
      series: first.counts.series,
      meetings: made!.meetings,
      notices: made!.notices,
      webhookEvents: made!.hooks,
    },
  };
}

/** Counts calls of the client's execute/batch (each one round trip). */
export function countCalls(deps: Deps) {
  const client = deps.db.$client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  let calls = 0;
  for (const m of ["execute", "batch", "executeMultiple"]) {
    const orig = client[m]!.bind(client);
    client[m] = (...a: unknown[]) => (calls++, orig(...a));
  }
  return { reset: () => void (calls = 0), read: () => calls };
}

async function embedded(pairs: number) {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-series-"));
  try {
    const clock = fixedClock(FIRST);
    const { deps } = await nodeDeps({ LIBSQL_URL: `file:${join(dir, "bench.db")}` }, { clock });
    await migrateDb(deps.db, clock);
    await insertPairs(deps.db, pairs, FIRST.toISOString());
    const r = await cycle(deps, pairs, countCalls(deps));
    deps.db.$client.close();
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function overHttp() {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-series-http-"));
  const file = join(dir, "bench.db");
  const clock = fixedClock(FIRST);
  const { deps: local } = await nodeDeps({ LIBSQL_URL: `file:${file}` }, { clock });
  await migrateDb(local.db, clock);
  await insertPairs(local.db, PAIRS, FIRST.toISOString());
  local.db.$client.close();
  const server = await startHranaServer({ file, port: 0 });
  try {
    const keys = await generateDevKeys();
    const { deps } = await nodeDeps(
      { LIBSQL_URL: server.url, JWT_JWKS: JSON.stringify(keys.jwks) },
      { clock },
    );
    const r = await cycle(deps, PAIRS, {
      reset: () => server.resetStats(),
      read: () => server.stats().pipelines,
    });
    deps.db.$client.close();
    return r;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSeries(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { pairs: PAIRS, chunk: SERIES_CHUNK };
  // A tenth of the pairs beside it: the round trips grow only by chunks (⌈pairs / chunk⌉ batches).
  out.embedded350 = await embedded(PAIRS / 10);
  console.log(`  embedded 350: ${JSON.stringify(out.embedded350)}`);
  out.embedded = await embedded(PAIRS);
  console.log(`  embedded: ${JSON.stringify(out.embedded)}`);
  out.hrana = await overHttp();
  console.log(`  hrana: ${JSON.stringify(out.hrana)}`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchSeries());
