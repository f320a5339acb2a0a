// The local Hrana endpoint: pipelines/s of a single-row read vs the embedded engine in-process, and the number
// of database round trips (pipelines) that one API request makes — the goal is 1.
import { createClient } from "@libsql/client";
import { eq } from "drizzle-orm";
import Database from "libsql";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JWK } from "jose";
import { createApp } from "../src/app";
import { generateDevKeys, signToken } from "../src/auth/jwt";
import { operators, users } from "../src/db/schema";
import type { Deps } from "../src/http/api";
import { serveDatabase } from "../src/node/db-serve";
import { startHranaServer } from "../src/node/libsql-server";
import { nodeDeps } from "../src/node/local";

export type BenchRequest = {
  method: string;
  path: string;
  /** A bearer token, or the e-mail of a demo user (e.g. `court.registrar@city.demo`) to sign one for. */
  token?: string;
  body?: unknown;
  /** Extra request headers (e.g. Idempotency-Key). */
  headers?: Record<string, string>;
  /** The key in the result; defaults to `METHOD path`. */
  label?: string;
  /** When set, a different status fails the bench rather than reporting a misleading count. */
  expect?: number;
};

export type BenchResponse = {
  status: number;
  /** The parsed JSON body; the text itself when it is not JSON (e.g. text/calendar); undefined when empty. */
  body: any;
  headers: Headers;
};

export type BenchContext = {
  /** Sends a request through the app without measuring it (to create data the measured requests use). */
  request(r: BenchRequest): Promise<BenchResponse>;
  userId(email: string): Promise<string>;
  token(email: string): Promise<string>;
  /** A new deployment operator's token (acct: "operator"). */
  operatorToken(): Promise<string>;
  /** The app's dependencies (its database, clock, ids): fixtures written in SQL, jobs run directly. */
  deps: Deps;
};

export type RoundTripOptions = {
  /** Runs before measuring; the requests it returns are measured after the given ones. */
  prepare?: (ctx: BenchContext) => Promise<BenchRequest[]>;
  /** Each request is measured this many times; the mean is reported. */
  repeat?: number;
};

const DEFAULT_MS = 1500;
const MAX_ITERATIONS = 2_000_000;

/** Runs `op` repeatedly with `concurrency` in flight for about `ms`; returns completed operations per second. */
async function rate(op: () => Promise<unknown> | unknown, ms: number, concurrency = 1): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  const loop = async () => {
    while (performance.now() < end && done < MAX_ITERATIONS) {
      await op();
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return Math.round(done / ((performance.now() - started) / 1000));
}

/** A response body: its JSON when it is JSON, else the text itself (an iCalendar file), undefined if empty. */
function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Round trips per API request: the Node app (createApp + nodeDeps) runs with LIBSQL_URL pointing at the
 * endpoint, on a fresh migrated, demo-seeded database; each request's pipeline count is read from /stats.
 */
export async function roundTripsPerRequest(
  requests: BenchRequest[],
  opts: RoundTripOptions = {},
): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-rt-"));
  const server = await serveDatabase({ file: join(dir, "rt.db"), port: 0, seed: true });
  try {
    const keys = await generateDevKeys();
    // The private key too, so that routes which sign in (accepting an invitation) can answer.
    const { deps, config } = await nodeDeps({
      LIBSQL_URL: server.url,
      JWT_JWKS: JSON.stringify(keys.jwks),
      JWT_PRIVATE_JWK: JSON.stringify(keys.privateJwk),
    });
    const app = createApp(deps);
    const ids = new Map<string, string>();
    const userId = async (email: string) => {
      if (!ids.has(email)) {
        const [u] = await deps.db.select({ id: users.id }).from(users).where(eq(users.email, email));
        if (!u) throw new Error(`no demo user ${email}`);
        ids.set(email, u.id);
      }
      return ids.get(email)!;
    };
    const token = async (email: string) =>
      signToken(
        keys.privateJwk as JWK,
        { sub: await userId(email) },
        { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, now: new Date() },
      );
    const request = async (r: BenchRequest) => {
      const headers: Record<string, string> = { ...r.headers };
      if (r.token) headers.authorization = `Bearer ${r.token.includes("@") ? await token(r.token) : r.token}`;
      if (r.body !== undefined) headers["content-type"] = "application/json";
      const res = await app.request(r.path, {
        method: r.method,
        headers,
        body: r.body === undefined ? undefined : JSON.stringify(r.body),
      });
      return { status: res.status, body: parseBody(await res.text()), headers: res.headers };
    };
    const operatorToken = async () => {
      const id = deps.ids();
      await deps.db.insert(operators).values({
        id,
        email: `${id.toLowerCase()}@ops.bench`,
        name: "运维",
        createdAt: new Date().toISOString(),
      });
      return signToken(
        keys.privateJwk as JWK,
        { sub: id, acct: "operator" },
        { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, now: new Date() },
      );
    };
    const measured = [
      ...requests,
      ...((await opts.prepare?.({ request, userId, token, operatorToken, deps })) ?? []),
    ];
    // Token signing and user look-ups happen before measuring, so they are not counted.
    const prepared = await Promise.all(
      measured.map(async (r) => ({ ...r, token: r.token?.includes("@") ? await token(r.token) : r.token })),
    );
    const repeat = opts.repeat ?? 3;
    const out: Record<string, number> = {};
    for (const r of prepared) {
      let pipelines = 0;
      for (let i = 0; i < repeat; i++) {
        server.resetStats();
        const res = await request(r);
        await new Promise((resolve) => setImmediate(resolve));
        pipelines += server.stats().pipelines;
        if (r.expect !== undefined && res.status !== r.expect)
          throw new Error(
            `${r.method} ${r.path}: expected ${r.expect}, got ${res.status} ${JSON.stringify(res.body)}`,
          );
      }
      out[r.label ?? `${r.method} ${r.path}`] = pipelines / repeat;
    }
    deps.db.$client.close();
    return out;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchHrana(opts: { durationMs?: number } = {}): Promise<Record<string, unknown>> {
  const ms = opts.durationMs ?? DEFAULT_MS;
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-hrana-"));
  const file = join(dir, "hrana.db");
  const seed = new Database(file);
  seed.exec("create table item (id integer primary key, name text not null, qty integer not null)");
  const insert = seed.prepare("insert into item (name, qty) values (?, ?)");
  for (let i = 0; i < 1000; i++) insert.run([`item ${i}`, i]);
  seed.close();

  const sql = "select id, name, qty from item where id = ?";
  const server = await startHranaServer({ file, port: 0 });
  const remote = createClient({ url: server.url });
  const local = createClient({ url: `file:${file}` });
  const engine = new Database(file);
  const stmt = engine.prepare(sql);
  try {
    let n = 0;
    const key = () => (n++ % 1000) + 1;
    // Warm-up, and a check that one read is one pipeline.
    await rate(() => remote.execute({ sql, args: [key()] }), 200);
    server.resetStats();
    const reads = 50;
    for (let i = 0; i < reads; i++) await remote.execute({ sql, args: [key()] });
    const pipelinesPerRead = server.stats().pipelines / reads;

    const endpoint = await rate(() => remote.execute({ sql, args: [key()] }), ms);
    const endpointConcurrent = await rate(() => remote.execute({ sql, args: [key()] }), ms, 8);
    // The same pipeline from a lean keep-alive client: the endpoint's own cost without fetch() overhead.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const rawPipeline = () => {
      const body = JSON.stringify({
        baton: null,
        requests: [
          { type: "execute", stmt: { sql, args: [{ type: "integer", value: String(key()) }] } },
          { type: "close" },
        ],
      });
      return new Promise<void>((resolve, reject) => {
        const req = httpRequest(
          `${server.url}/v2/pipeline`,
          { method: "POST", agent, headers: { "content-type": "application/json" } },
          (res) => {
            res.resume();
            res.on("end", () =>
              res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
            );
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    };
    const endpointRaw = await rate(rawPipeline, ms);
    agent.destroy();
    const inProcessClient = await rate(() => local.execute({ sql, args: [key()] }), ms);
    const inProcessEngine = await rate(() => stmt.get([key()]), ms);
    const roundTrips = await roundTripsPerRequest([
      { method: "GET", path: "/health", expect: 200 },
      { method: "GET", path: "/v1/me", token: "court.registrar@city.demo", expect: 200 },
      { method: "GET", path: "/v1/jurisdictions", token: "court.registrar@city.demo", expect: 200 },
    ]);
    return {
      query: `${sql} (1000-row table, loopback HTTP, @libsql/client)`,
      pipelinesPerRead,
      endpointPipelinesPerSec: endpoint,
      endpointPipelinesPerSecConcurrency8: endpointConcurrent,
      endpointPipelinesPerSecRawHttpKeepAlive: endpointRaw,
      inProcessClientReadsPerSec: inProcessClient,
      inProcessEngineReadsPerSec: inProcessEngine,
      overheadVsInProcessClient: Number((inProcessClient / endpoint).toFixed(1)),
      overheadVsEngine: Number((inProcessEngine / endpoint).toFixed(1)),
      overheadVsEngineRawHttp: Number((inProcessEngine / endpointRaw).toFixed(1)),
      roundTripsPerRequest: roundTrips,
    };
  } finally {
    remote.close();
    local.close();
    engine.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchHrana());
