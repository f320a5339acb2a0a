// The public feed of typical cases (issue 13): the JSON list and the Atom feed over 2,000 published
// cases, requests per second (a) uncached through the Node host (one statement per request), (b)
// revalidated (If-None-Match → 304: the statement still runs, the body is not sent), and through the
// built Worker in workerd (miniflare, the same bundle `wrangler deploy` makes) (c) missing its edge
// cache (a distinct URL per request) vs (d) served from it (caches.default, the same URL). All on
// 127.0.0.1; every load stops by itself.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { Miniflare } from "miniflare";
import { parse } from "smol-toml";
import { generateDevKeys } from "../src/auth/jwt";
import { startHranaServer } from "../src/node/libsql-server";
import { ROOT } from "../src/node/local";
import { startServer } from "../src/node/server";
import { roundTripsPerRequest, type BenchContext, type BenchRequest } from "./hrana";
import { freePort, load, stopServer } from "./http";

const CASES = 2_000;
const SECONDS = 5;
const CONNECTIONS = 10;
const PATHS = { list: "/public/typical-cases", atom: "/public/typical-cases.atom" } as const;

/** 2,000 published cases of the first pair, one statement (each with ~300 characters of facts). */
const seedCases = sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${CASES})
  insert into typical_cases (id, jurisdiction_id, drafted_by_org_id, kind, status, title, case_numbers,
    facts, reasoning, significance, tags, anonymisation, published_at, created_at, updated_at)
  select 'bench' || printf('%05d', i), o.jurisdiction_id, o.id,
    case when i % 3 = 0 then 'reference' else 'typical' end, 'published', '某公司非法占用农用地案 ' || i,
    json_array('(2026)示0102刑初' || i || '号'), replace(printf('%.300c', 'x'), 'x', '案'),
    replace(printf('%.200c', 'x'), 'x', '理'), replace(printf('%.100c', 'x'), 'x', '义'),
    json_array('ecology', case when i % 2 = 0 then 'criminal' else 'civil' end),
    '{"names":true,"identifiers":true,"minors":true,"business_secrets":true,"victims":true}',
    strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' hours'), '2026-01-01T00:00:00.000Z',
    '2026-01-01T00:00:00.000Z'
  from n, (select id, jurisdiction_id from organizations order by id limit 1) o`;

/** Requests per second of `fetch` over `urls()` with CONNECTIONS concurrent loops for SECONDS. */
async function fetchLoad(urlOf: (i: number) => string, headers: Record<string, string> = {}) {
  const until = performance.now() + SECONDS * 1000;
  let n = 0;
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        const res = await fetch(urlOf(n++), { headers });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }),
  );
  return { rps: Math.round(n / SECONDS), statuses: Object.fromEntries(statuses) };
}

const COURT_CO = "court.coordinator@city.demo";
const PROC_CO = "proc.coordinator@city.demo";
const LEADERS = ["court.leader@city.demo", "proc.leader@city.demo"];
const CASE = {
  kind: "typical",
  title: "某公司非法占用农用地刑事附带民事公益诉讼案",
  caseNumbers: ["(2026)示0102刑初88号"],
  facts: "被告单位某公司未经批准占用林地……",
  reasoning: "法院认为……",
  significance: "明确了生态修复费用的计算方式。",
  tags: ["ecology"],
  anonymisation: { names: true, identifiers: true, minors: true, business_secrets: true, victims: true },
};
const NOMINATION = {
  caseNumber: "(2026)示0102刑初88号",
  caseTitle: "某公司非法占用农用地案",
  reason: "社会关注度高",
};

/**
 * Database round trips of every route of typical cases and two-heads hearings (goal: 1 each), each
 * measured in a state where it does its work, on the demo city pair (bench/hrana.ts counts them).
 */
async function routeRoundTrips() {
  const post = (path: string, token: string, body: unknown, expect: number, key?: string): BenchRequest => ({
    method: "POST",
    path,
    token,
    body,
    expect,
    headers: key ? { "idempotency-key": key } : undefined,
  });
  const signed = async (ctx: BenchContext, cosignId: string) => {
    for (const leader of LEADERS) {
      const r = await ctx.request(post(`/v1/cosignatures/${cosignId}/sign`, leader, {}, 200));
      if (r.status !== 200) throw new Error(`prepare: sign ${r.status} ${JSON.stringify(r.body)}`);
    }
  };
  const must = async (ctx: BenchContext, r: BenchRequest) => {
    const res = await ctx.request(r);
    if (res.status !== r.expect)
      throw new Error(`prepare: ${r.path} ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return roundTripsPerRequest([], {
    repeat: 1,
    prepare: async (ctx) => {
      const draft = (key: string) => must(ctx, post("/v1/typical-cases", COURT_CO, CASE, 201, key));
      const published = async (key: string) => {
        const d = await draft(key);
        const s = await must(ctx, post(`/v1/typical-cases/${d.id}/submit`, COURT_CO, undefined, 201));
        await signed(ctx, s.cosignature.id);
        return d.id as string;
      };
      const a = await draft("bench-case-a");
      const b = await published("bench-case-b");
      const c = await published("bench-case-c");
      const nominate = (key: string) =>
        must(ctx, post("/v1/two-heads-hearings", PROC_CO, NOMINATION, 201, key));
      const n1 = await nominate("bench-th-1");
      await signed(ctx, n1.cosignature.id);
      const n2 = await nominate("bench-th-2");
      await signed(ctx, n2.cosignature.id);
      // Held yesterday (the routes only schedule future hearings and the bench runs on the real clock).
      const yesterday = new Date(Date.now() - 86_400_000).toISOString();
      await ctx.deps.db.run(sql`update two_heads_hearings set status = 'scheduled',
        hearing_at = ${yesterday}, place = '第一法庭' where id = ${n2.id}`);
      const n3 = await nominate("bench-th-3");
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const get = (path: string, label: string, token?: string): BenchRequest => ({
        method: "GET",
        path,
        token,
        label,
        expect: 200,
      });
      return [
        {
          ...post("/v1/typical-cases", COURT_CO, CASE, 201, "bench-case-new"),
          label: "POST /v1/typical-cases",
        },
        get("/v1/typical-cases", "GET /v1/typical-cases", COURT_CO),
        get(`/v1/typical-cases/${a.id}`, "GET /v1/typical-cases/{id}", COURT_CO),
        {
          method: "PUT",
          path: `/v1/typical-cases/${a.id}`,
          token: PROC_CO,
          body: CASE,
          expect: 200,
          label: "PUT /v1/typical-cases/{id}",
        },
        { ...post(`/v1/typical-cases/${a.id}/submit`, COURT_CO, undefined, 201), label: "POST …/submit" },
        {
          ...post(`/v1/typical-cases/${b}/withdraw`, PROC_CO, { reason: "案号有误" }, 200),
          label: "POST …/withdraw",
        },
        get("/public/typical-cases", "GET /public/typical-cases"),
        get(`/public/typical-cases/${c}`, "GET /public/typical-cases/{id}"),
        get("/public/typical-cases.atom", "GET /public/typical-cases.atom"),
        {
          ...post("/v1/two-heads-hearings", PROC_CO, NOMINATION, 201, "bench-th-new"),
          label: "POST /v1/two-heads-hearings",
        },
        get("/v1/two-heads-hearings?year=2026", "GET /v1/two-heads-hearings", COURT_CO),
        get(`/v1/two-heads-hearings/${n1.id}`, "GET /v1/two-heads-hearings/{id}", COURT_CO),
        {
          ...post(
            `/v1/two-heads-hearings/${n1.id}/schedule`,
            COURT_CO,
            { hearingAt: later, place: "第一法庭" },
            200,
          ),
          label: "POST …/schedule",
        },
        {
          ...post(
            `/v1/two-heads-hearings/${n2.id}/outcome`,
            COURT_CO,
            { outcome: "当庭宣判", outcomeOn: today },
            200,
          ),
          label: "POST …/outcome",
        },
        {
          ...post(`/v1/two-heads-hearings/${n3.id}/cancel`, PROC_CO, { reason: "撤诉" }, 200),
          label: "POST …/cancel",
        },
      ];
    },
  });
}

export async function benchPublicFeed(): Promise<Record<string, unknown>> {
  const roundTrips = await routeRoundTrips();
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-feed-"));
  const file = join(dir, "bench.db");
  const figures: Record<string, unknown> = {
    roundTrips,
    roundTripsAllOne: Object.values(roundTrips).every((n) => n === 1),
    cases: CASES,
    seconds: SECONDS,
    connections: CONNECTIONS,
  };
  try {
    // (a), (b): the Node host.
    const port = await freePort();
    const node = await startServer({ LIBSQL_URL: `file:${file}`, PORT: String(port), CRON: "off" });
    try {
      await node.deps.db.run(seedCases);
      const base = `http://127.0.0.1:${port}`;
      for (const [name, path] of Object.entries(PATHS)) {
        const first = await fetch(base + path);
        const body = await first.text();
        if (first.status !== 200) throw new Error(`${path}: ${first.status} ${body}`);
        const etag = first.headers.get("etag")!;
        figures[`${name}Bytes`] = Buffer.byteLength(body);
        await load(base + path, {}, 1);
        const plain = await load(base + path, {}, SECONDS);
        if (plain.non2xx || plain.errors)
          throw new Error(`${path}: ${plain.non2xx} non-2xx, ${plain.errors} errors`);
        const revalidated = (await load(base + path, { "if-none-match": etag }, SECONDS)) as Awaited<
          ReturnType<typeof load>
        > & { "3xx": number };
        if (revalidated["2xx"] || revalidated.errors || revalidated["3xx"] !== revalidated.non2xx)
          throw new Error(`${path} with If-None-Match: not all 304`);
        figures[`${name}NodeUncachedReqPerSec`] = Math.round(plain.requests.average);
        figures[`${name}NodeUncachedP50Ms`] = plain.latency.p50;
        figures[`${name}NodeRevalidated304ReqPerSec`] = Math.round(revalidated.requests.average);
        figures[`${name}NodeRevalidated304P50Ms`] = revalidated.latency.p50;
      }
    } finally {
      await stopServer(node);
    }

    // (c), (d): the built Worker in workerd, its database over the local Hrana endpoint.
    const dist = join(dir, "dist");
    await promisify(execFile)(
      process.execPath,
      [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", dist],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, maxBuffer: 16 << 20 },
    );
    const toml = parse(readFileSync(join(ROOT, "wrangler.toml"), "utf8")) as unknown as {
      compatibility_date: string;
      compatibility_flags?: string[];
      vars?: Record<string, string>;
    };
    const srv = await startHranaServer({ file, port: 0 });
    const keys = await generateDevKeys();
    const mf = new Miniflare({
      modules: true,
      scriptPath: join(dist, "index.js"),
      modulesRoot: dist,
      compatibilityDate: toml.compatibility_date,
      compatibilityFlags: toml.compatibility_flags ?? [],
      bindings: { ...toml.vars, LIBSQL_URL: srv.url, JWT_JWKS: JSON.stringify(keys.jwks) },
      host: "127.0.0.1",
      port: 0,
    });
    try {
      const url = (await mf.ready).toString().replace(/\/$/, "");
      for (const [name, path] of Object.entries(PATHS)) {
        // Unknown query parameters are ignored by the route but make a distinct cache key: a miss.
        const miss = await fetchLoad((i) => `${url}${path}?bench=${i}`);
        const warm = await fetch(url + path);
        await warm.arrayBuffer();
        await new Promise((r) => setTimeout(r, 200)); // the cache write is waitUntil'd
        const state = (await fetch(url + path)).headers.get("x-edge-cache");
        if (state !== "HIT") throw new Error(`${path}: the Worker's cache answered ${state}, not HIT`);
        const hit = await fetchLoad(() => url + path);
        figures[`${name}WorkerMissReqPerSec`] = miss.rps;
        figures[`${name}WorkerEdgeCachedReqPerSec`] = hit.rps;
        figures[`${name}WorkerStatuses`] = { miss: miss.statuses, hit: hit.statuses };
      }
    } finally {
      await mf.dispose();
      await srv.close();
    }
    figures.note =
      "Node: autocannon over the app; Worker: fetch loops into workerd (miniflare), whose cache is " +
      "the local Cache API, not Cloudflare's network — the ratio, not the figure, carries over.";
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
