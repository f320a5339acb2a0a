// Registration on one popular training (the contended path, ADR 0011): 2,000 people registering for
// 200 seats with 16 and 32 requests in flight, through the app (createApp, real tokens), on the
// embedded database and over HTTP to the local Hrana endpoint. Reports requests/s, latency p50/p99,
// the outcome (exactly 200 confirmed, seq contiguous) and database round trips per request
// (pipelines at the endpoint; the goal is 1), for the registration and the other registration routes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { JWK } from "jose";
import { createApp } from "../src/app";
import { generateDevKeys, signToken } from "../src/auth/jwt";
import { createPair } from "../src/db/seed";
import type { Deps } from "../src/http/api";
import { serveDatabase } from "../src/node/db-serve";
import { migrateDb, nodeDeps } from "../src/node/local";

const USERS = 2_000;
const SEATS = 200;

type Env = {
  deps: Deps;
  app: ReturnType<typeof createApp>;
  tokens: string[];
  userIds: string[];
  pair: Awaited<ReturnType<typeof createPair>>;
  pipelines?: { reset(): void; read(): number };
};

async function prepare(url: string, keys: Awaited<ReturnType<typeof generateDevKeys>>): Promise<Env> {
  const { deps, config } = await nodeDeps({
    LIBSQL_URL: url,
    JWT_JWKS: JSON.stringify(keys.jwks),
    JWT_PRIVATE_JWK: JSON.stringify(keys.privateJwk),
  });
  await migrateDb(deps.db, deps.clock);
  const app = createApp(deps);
  const pair = await createPair(deps.db, deps.ids, new Date(), {
    code: `RB${Date.now() % 100000}`,
    name: "基准区",
    level: "basic",
    courtName: "基准区人民法院",
    procuratorateName: "基准区人民检察院",
    emailDomain: "bench.test",
  });
  const now = new Date().toISOString();
  await deps.db.run(sql`with recursive k(i) as (select 1 union all select i + 1 from k where i < ${USERS})
    insert into users (id, jurisdiction_id, org_id, email, name, active, created_at)
    select printf('rb%05d', i), o.jurisdiction_id, o.id, printf('rb%05d@bench.test', i), '用户' || i, 1, ${now}
    from k join organizations o on o.id = case when i % 2 = 0 then ${pair.orgs[0]!.id} else ${pair.orgs[1]!.id} end`);
  const userIds = Array.from({ length: USERS }, (_, i) => `rb${String(i + 1).padStart(5, "0")}`);
  const tokens = await Promise.all(
    userIds.map((sub) =>
      signToken(
        keys.privateJwk as JWK,
        { sub },
        { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, expiresIn: "2h", now: new Date() },
      ),
    ),
  );
  return { deps, app, tokens, userIds, pair };
}

/** A published training of the court, open now, inviting the procuratorate. */
async function popularTraining(env: Env) {
  const id = env.deps.ids();
  const now = Date.now();
  const iso = (ms: number) => new Date(now + ms).toISOString();
  await env.deps.db.batch([
    env.deps.db.run(sql`insert into trainings (id, jurisdiction_id, kind, organiser_org_id, title, capacity,
        status, opens_at, closes_at, modify_until, questions, created_at, updated_at)
      values (${id}, ${env.pair.jurisdiction.id}, 'training', ${env.pair.orgs[0]!.id}, '热门培训', ${SEATS},
        'published', ${iso(-3600_000)}, ${iso(86_400_000)}, ${iso(86_400_000)},
        ${JSON.stringify([{ id: "diet", type: "single", label: { zh: "饮食", en: "Diet" }, required: true, options: ["普通", "清真"] }])},
        ${iso(0)}, ${iso(0)})`),
    env.deps.db.run(sql`insert into training_invitations (id, training_id, jurisdiction_id, org_id, created_at, updated_at)
      values (${env.deps.ids()}, ${id}, ${env.pair.jurisdiction.id}, ${env.pair.orgs[1]!.id}, ${iso(0)}, ${iso(0)})`),
  ]);
  return id;
}

const send = async (env: Env, method: string, path: string, token: string, body?: unknown, key?: string) => {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (key) headers["idempotency-key"] = key;
  const res = await env.app.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

/** All USERS register for one training with `inFlight` requests at a time. */
async function contended(env: Env, inFlight: number) {
  const id = await popularTraining(env);
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  env.pipelines?.reset();
  const started = performance.now();
  const worker = async () => {
    while (next < USERS) {
      const i = next++;
      const t0 = performance.now();
      const r = await send(
        env,
        "POST",
        `/v1/trainings/${id}/registrations`,
        env.tokens[i]!,
        { answers: { diet: "普通" } },
        `bench-${id}-${i}`,
      );
      latencies.push(performance.now() - t0);
      if (r.status !== 201) failures++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setImmediate(r));
  const pipelines = env.pipelines?.read();
  const [o] = await env.deps.db.all<{
    confirmed: number;
    waitlisted: number;
    maxSeq: number;
    n: number;
  }>(sql`select
      sum(status = 'confirmed') as confirmed, sum(status = 'waitlisted') as waitlisted, max(seq) as maxSeq,
      count(*) as n from registrations where training_id = ${id}`);
  const firstSeats = await env.deps.db.all<{ n: number }>(sql`select count(*) as n from registrations
    where training_id = ${id} and status = 'confirmed' and seq <= ${SEATS}`);
  if (
    failures ||
    o!.confirmed !== SEATS ||
    o!.maxSeq !== USERS ||
    o!.n !== USERS ||
    firstSeats[0]!.n !== SEATS
  )
    throw new Error(`wrong outcome: ${failures} failures, ${JSON.stringify(o)}`);
  return {
    requestsPerSec: Math.round(USERS / seconds),
    p50Ms: pct(latencies, 50),
    p99Ms: pct(latencies, 99),
    confirmed: o!.confirmed,
    waitlisted: o!.waitlisted,
    ...(pipelines !== undefined ? { roundTripsPerRequest: Math.round((pipelines / USERS) * 100) / 100 } : {}),
    trainingId: id,
  };
}

/** Round trips (pipelines) of each other registration route, measured one request at a time. */
async function routeTrips(env: Env, trainingId: string) {
  const p = env.pipelines!;
  const regs = await env.deps.db.all<{
    id: string;
    user_id: string;
    status: string;
  }>(sql`select id, user_id, status
    from registrations where training_id = ${trainingId} order by seq`);
  const tokenOf = (userId: string) => env.tokens[env.userIds.indexOf(userId)]!;
  const first = regs[0]!;
  const out: Record<string, number> = {};
  const measure = async (label: string, f: () => Promise<{ status: number }>, expect = 200) => {
    p.reset();
    const r = await f();
    await new Promise((res) => setImmediate(res));
    if (r.status !== expect) throw new Error(`${label}: ${r.status}`);
    out[label] = p.read();
  };
  await measure("GET /v1/registrations/{id}", () =>
    send(env, "GET", `/v1/registrations/${regs[SEATS + 5]!.id}`, tokenOf(regs[SEATS + 5]!.user_id)),
  );
  await measure("GET /v1/me/registrations", () =>
    send(env, "GET", "/v1/me/registrations", tokenOf(first.user_id)),
  );
  await measure("POST /v1/registrations/{id}/withdraw (offers the seat)", () =>
    send(env, "POST", `/v1/registrations/${first.id}/withdraw`, tokenOf(first.user_id)),
  );
  const offered = regs[SEATS]!;
  await measure("POST /v1/registrations/{id}/accept-offer", () =>
    send(env, "POST", `/v1/registrations/${offered.id}/accept-offer`, tokenOf(offered.user_id)),
  );
  await measure("POST … registrations (retry, same Idempotency-Key)", () =>
    send(
      env,
      "POST",
      `/v1/trainings/${trainingId}/registrations`,
      tokenOf(regs[3]!.user_id),
      { answers: { diet: "普通" } },
      `bench-${trainingId}-${env.userIds.indexOf(regs[3]!.user_id)}`,
    ),
  );
  return out;
}

export async function benchRegistrations(): Promise<Record<string, unknown>> {
  const keys = await generateDevKeys();
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-reg-"));
  const out: Record<string, unknown> = { users: USERS, seats: SEATS };
  try {
    const embedded = await prepare(`file:${join(dir, "embedded.db")}`, keys);
    out.embeddedInFlight16 = await contended(embedded, 16);
    out.embeddedInFlight32 = await contended(embedded, 32);
    embedded.deps.db.$client.close();
    const server = await serveDatabase({ file: join(dir, "hrana.db"), port: 0 });
    try {
      const remote = await prepare(server.url, keys);
      remote.pipelines = { reset: () => server.resetStats(), read: () => server.stats().pipelines };
      out.hranaInFlight16 = await contended(remote, 16);
      const last = await contended(remote, 32);
      out.hranaInFlight32 = last;
      out.roundTripsPerRoute = await routeTrips(remote, last.trainingId);
      remote.deps.db.$client.close();
    } finally {
      await server.close();
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchRegistrations());
