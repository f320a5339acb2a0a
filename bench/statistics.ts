// Statistics at scale: one city pair over 50 basic-level pairs and 1M documents (2025–2026, set-based
// inserts). Time per request (median and p95 of 20, in-process) of a basic pair's GET /v1/statistics
// and of the city's GET /v1/statistics/rollup, their round trips, and the query plans' key lines.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { createApp } from "../src/app";
import { signToken, type Subject } from "../src/auth/jwt";
import { Scope } from "../src/auth/scope";
import { fixedClock } from "../src/clock";
import { createPair } from "../src/db/seed";
import { migrateDb, nodeDeps } from "../src/node/local";
import {
  docGroups,
  exchangeCounts,
  pairsOf,
  parsePeriod,
  replyWorkdays,
  verdictCounts,
} from "../src/statistics/statistics";
import { DOC_TYPES, docSender } from "../src/vocab";

const PAIRS = 50;
const DOCS = 1_000_000;
const REQUESTS = 20;
const NOW = new Date("2026-11-16T02:00:00Z"); // 10:00 CST

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! * 10) / 10;
};

export async function benchStatistics(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-stats-"));
  try {
    const clock = fixedClock(NOW);
    const { deps, config, privateJwk } = await nodeDeps(
      { LIBSQL_URL: `file:${join(dir, "bench.db")}` },
      { clock },
    );
    await migrateDb(deps.db, clock);
    const pair = (code: string, level: "city" | "basic", parentId?: string) =>
      createPair(deps.db, deps.ids, NOW, {
        code,
        name: `${code}区`,
        level,
        parentId,
        courtName: `${code}法院`,
        procuratorateName: `${code}检察院`,
        emailDomain: `${code.toLowerCase()}.bench`,
      });
    const city = await pair("CITY", "city");
    const basics = [];
    for (let i = 0; i < PAIRS; i++) basics.push(await pair(`B${i}`, "basic", city.jurisdiction.id));
    const t0 = performance.now();
    await deps.db.run(sql`create temp table bench_pairs (k integer primary key, jid text, court text,
      proc text, cdept text, pdept text, cuser text, puser text)`);
    await deps.db.run(
      sql`insert into bench_pairs values ${sql.join(
        basics.map((b, k) => {
          const [court, proc] = b.orgs;
          const dept = (org: string) => b.depts.find((d) => d.orgId === org)!.id;
          const user = (org: string) => b.people.find((u) => u.orgId === org && u.role === "handler")!.id;
          return sql`(${k}, ${b.jurisdiction.id}, ${court!.id}, ${proc!.id}, ${dept(court!.id)},
          ${dept(proc!.id)}, ${user(court!.id)}, ${user(proc!.id)})`;
        }),
        sql`, `,
      )}`,
    );
    const types = DOC_TYPES.codes;
    const courtTypes = types.filter((t) => docSender(t) === "court");
    // Document i: pair i % 50, type i % 13, sent on one of 730 days of 2025–2026 (none after today's
    // clock is fine for the figures), a status by i % 6 with the dates it implies.
    await deps.db.run(sql`
      insert into documents (id, jurisdiction_id, type, status, sender_org_id, recipient_org_id,
        receiving_department_id, doc_number, case_numbers, case_category, title, attachments, rule_id,
        rule_version, sent_on, received_on, due_on, replied_on, reply_late, ack_result, retrial_ruled,
        retrial_result, followup_org_id, created_by, idempotency_key, request_hash, created_at, updated_at)
      with recursive n(i) as (select 0 union all select i + 1 from n where i < ${DOCS - 1}),
      t(k, type) as (select key, value from json_each(${JSON.stringify(types)})),
      g as (select n.i, bp.*, t.type, t.type in ${courtTypes} as fromCourt,
          date('2025-01-01', '+' || (n.i * 7 % 730) || ' days') as sent, n.i % 6 as st
        from n join bench_pairs bp on bp.k = n.i % ${PAIRS} join t on t.k = n.i % ${types.length})
      select printf('bd-%08d', i), jid, type,
        case st when 0 then 'sent' when 1 then 'received' when 2 then 'assigned' when 3 then 'replied'
          when 4 then 'acknowledged' else 'withdrawn' end,
        iif(fromCourt, court, proc), iif(fromCourt, proc, court), iif(fromCourt, pdept, cdept),
        'B' || i, '[]', 'civil', '文书' || i, '[]', 'default:' || type, 1, sent,
        iif(st between 1 and 4, sent, null), iif(st between 1 and 4, date(sent, '+30 days'), null),
        iif(st in (3, 4), date(sent, '+' || (i % 45) || ' days'), null),
        iif(st in (3, 4), i % 45 > 30, null),
        case when st = 4 then json_extract('["accepted","partly_accepted","not_accepted"]', '$[' || (i % 3) || ']') end,
        case when st in (3, 4) and (type like 'protest.%' or type like 'retrial_suggestion.%') then i % 2 end,
        case when st = 4 and i % 2 = 1 and (type like 'protest.%' or type like 'retrial_suggestion.%')
          then json_extract('["upheld","changed","remanded","mediated",null]', '$[' || (i % 5) || ']') end,
        null, iif(fromCourt, cuser, puser), 'bk-' || i, 'h', ${NOW.toISOString()}, ${NOW.toISOString()}
      from g`);
    await deps.db.run(sql`analyze`);
    const setupS = Math.round((performance.now() - t0) / 100) / 10;

    const app = createApp(deps);
    const person = (p: typeof city, role: string) => p.people.find((u) => u.role === role)!;
    const token = (sub: string) =>
      signToken(
        privateJwk!,
        { sub },
        { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, expiresIn: "1h", now: NOW },
      );
    const client = deps.db.$client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    let trips = 0;
    for (const m of ["execute", "batch", "executeMultiple"]) {
      const orig = client[m]!.bind(client);
      client[m] = (...a: unknown[]) => (trips++, orig(...a));
    }
    const time = async (path: string, sub: string) => {
      const auth = { authorization: `Bearer ${await token(sub)}` };
      const ms: number[] = [];
      let roundTrips = 0;
      for (let i = 0; i <= REQUESTS; i++) {
        trips = 0;
        const s = performance.now();
        const res = await app.request(path, { headers: auth });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
        if (i > 0) ms.push(performance.now() - s); // the first warms the caches
        roundTrips = trips;
      }
      return { medianMs: pct(ms, 0.5), p95Ms: pct(ms, 0.95), roundTrips };
    };
    const basicLeader = person(basics[0]!, "leader").id;
    const cityLeader = person(city, "leader").id;
    const out: Record<string, unknown> = {
      pairs: PAIRS,
      documents: DOCS,
      setupS,
      pairYear: await time("/v1/statistics?period=2026", basicLeader),
      pairMonth: await time("/v1/statistics?period=2026-07", basicLeader),
      rollupYear: await time("/v1/statistics/rollup?period=2026", cityLeader),
      rollupQuarter: await time("/v1/statistics/rollup?period=2026-Q3", cityLeader),
      rollupYearXlsx: await time("/v1/statistics/rollup?period=2026&format=xlsx", cityLeader),
    };

    // The plans of the roll-up's statements (the pair's differ only in the pair list).
    const scope = new Scope(deps.db, { issuer: "local", sub: cityLeader } as Subject, ["leader"]);
    const period = parsePeriod("2026", NOW);
    const pairs = pairsOf(scope, "rollup");
    const statements = {
      docGroups: docGroups(scope, pairs, period, "2026-11-16"),
      replyWorkdays: replyWorkdays(scope, pairs, period, true),
      verdictCounts: verdictCounts(scope, pairs, period),
      exchangeCounts: exchangeCounts(scope, pairs, period, "2026-11-16"),
    };
    const plans: Record<string, string[]> = {};
    for (const [name, st] of Object.entries(statements)) {
      const q = st.getQuery();
      const rows = (
        await deps.db.$client.execute({ sql: `explain query plan ${q.sql}`, args: q.params as never })
      ).rows as unknown as { detail: string }[];
      plans[name] = rows
        .map((r) => r.detail)
        .filter((d) =>
          /^(SEARCH|SCAN) (d|c|x|documents|case_records|exchanges)\b|jurisdictions|calendar/.test(d),
        );
      if (rows.some((r) => /^SCAN (d|documents|case_records|c|exchanges|x)\b/.test(r.detail)))
        throw new Error(`${name} scans a table: ${rows.map((r) => r.detail).join(" | ")}`);
    }
    for (const [name, lines] of Object.entries(plans)) console.log(`  plan ${name}: ${lines.join(" | ")}`);
    return { ...out, plans };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchStatistics());
