// HTTP throughput of the Node host on a fresh demo database: a public route, a static route and an
// authenticated, tenancy-scoped one, so the cost of JWT verification plus one DB round trip shows; and
// the anchor (bench/anchor.ts: bare Hono + @libsql/client reading one row) loaded the same way in the
// same run, so `/v1/me` ÷ anchor says what the product adds over the stack's floor.
import autocannon, { type Result } from "autocannon";
import { eq } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signToken } from "../src/auth/jwt";
import { users } from "../src/db/schema";
import type { Config } from "../src/config";
import { devKeys } from "../src/node/local";
import { startServer } from "../src/node/server";
import { ANCHOR_PATH, ANCHOR_ROWS, SHAPED_ANCHOR_PATH, type Shape, startAnchor } from "./anchor";

export const HTTP_BENCH = { connections: 10, warmupSeconds: 1, seconds: 5 } as const;
const DEMO_USER = "court.registrar@city.demo";
const RATIO_GOAL = 0.5;
/** `/v1/me` ÷ anchor: the authenticated route should keep up with a bare one-row read. */
const ANCHOR_GOAL = 1;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function load(url: string, headers: Record<string, string>, duration: number): Promise<Result> {
  // One worker thread generates the load, so the client does not share the server's event loop.
  return autocannon({ url, headers, connections: HTTP_BENCH.connections, duration, workers: 1, timeout: 10 });
}

export async function benchHttp(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-"));
  const dbUrl = `file:${join(dir, "bench.db")}`;
  const port = await freePort();
  const { stop, deps, server } = await startServer({ LIBSQL_URL: dbUrl, PORT: String(port), CRON: "off" });
  let anchor: Awaited<ReturnType<typeof startAnchor>> | undefined;
  try {
    const [user] = await deps.db.select({ id: users.id }).from(users).where(eq(users.email, DEMO_USER));
    if (!user) throw new Error(`demo user ${DEMO_USER} was not seeded`);
    const token = await benchToken(dbUrl, deps.config, user.id);
    const base = `http://127.0.0.1:${port}`;
    const shape = await shapeOf(`${base}/v1/me`, { authorization: `Bearer ${token}` });
    anchor = await startAnchor(dir, await freePort(), ANCHOR_ROWS, shape);
    const targets = {
      health: { url: `${base}/health`, headers: {} },
      static: { url: `${base}/`, headers: {} },
      me: { url: `${base}/v1/me`, headers: { authorization: `Bearer ${token}` } },
      anchor: { url: anchor.url + ANCHOR_PATH, headers: {} },
      shapedAnchor: { url: anchor.url + SHAPED_ANCHOR_PATH, headers: {} },
    };

    // A benchmark of error answers would measure the wrong thing: every target must answer 200 first.
    for (const [name, t] of Object.entries(targets)) {
      const res = await fetch(t.url, { headers: t.headers });
      if (res.status !== 200)
        throw new Error(`${name}: GET ${t.url} answered ${res.status} ${await res.text()}`);
    }

    const figures: Record<string, unknown> = {};
    const rps: Record<string, number> = {};
    for (const [name, t] of Object.entries(targets)) {
      await load(t.url, t.headers, HTTP_BENCH.warmupSeconds);
      const r = await load(t.url, t.headers, HTTP_BENCH.seconds);
      if (r.non2xx > 0 || r.errors > 0)
        throw new Error(`${name}: ${r.non2xx} non-2xx answers and ${r.errors} errors under load`);
      rps[name] = Math.round(r.requests.average);
      figures[`${name}ReqPerSec`] = rps[name];
      figures[`${name}LatencyP50Ms`] = r.latency.p50;
      figures[`${name}LatencyP99Ms`] = r.latency.p99;
    }
    const ratio = Math.round((rps.me! / rps.static!) * 100) / 100;
    const anchorRatio = Math.round((rps.me! / rps.anchor!) * 100) / 100;
    const shapedRatio = Math.round((rps.me! / rps.shapedAnchor!) * 100) / 100;
    return {
      ...figures,
      meToStaticRatio: ratio,
      meToStaticGoal: RATIO_GOAL,
      meToStaticMet: ratio >= RATIO_GOAL,
      anchor: `bare Hono + @libsql/client (file:, ${ANCHOR_ROWS} rows), GET ${ANCHOR_PATH}: one row by primary key, no auth`,
      meToAnchorRatio: anchorRatio,
      meToAnchorGoal: ANCHOR_GOAL,
      meToAnchorMet: anchorRatio >= ANCHOR_GOAL,
      shapedAnchor: `the anchor's row answered with /v1/me's ${Object.keys(shape.headers).length} headers and a ${shape.bodyBytes}-byte body`,
      meToShapedAnchorRatio: shapedRatio,
      anchorToShapedAnchorRatio: Math.round((rps.shapedAnchor! / rps.anchor!) * 100) / 100,
      connections: HTTP_BENCH.connections,
      secondsPerRoute: HTTP_BENCH.seconds,
    };
  } finally {
    await anchor?.stop();
    await stopServer({ stop, deps, server });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Headers the HTTP server writes itself (or per answer), left out of a shape. */
const OWN_HEADERS = new Set(["date", "content-length", "connection", "keep-alive", "transfer-encoding"]);

/** The headers and body size of an answer, for the shaped anchor. */
async function shapeOf(url: string, headers: Record<string, string>): Promise<Shape> {
  const res = await fetch(url, { headers });
  const body = await res.arrayBuffer();
  const out: Record<string, string> = {};
  for (const [k, v] of res.headers) if (!OWN_HEADERS.has(k)) out[k] = v;
  return { headers: out, bodyBytes: body.byteLength };
}

/** Stops a Node host, letting requests the load generator abandoned finish before the database closes. */
export async function stopServer({
  stop,
  deps,
  server,
}: Pick<Awaited<ReturnType<typeof startServer>>, "stop" | "deps" | "server">) {
  const closed = new Promise((resolve) => server.once("close", resolve));
  stop();
  (server as HttpServer).closeIdleConnections?.();
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
  // A grace period, or abandoned requests log CLIENT_CLOSED errors.
  await new Promise((resolve) => setTimeout(resolve, 200));
  deps.db.$client.close();
}

/** A one-hour token the bench's host accepts: signed with the development key kept beside `dbUrl`. */
export async function benchToken(dbUrl: string, config: Config, sub: string): Promise<string> {
  const { privateJwk } = await devKeys(dbUrl);
  return signToken(
    privateJwk,
    { sub },
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, expiresIn: "1h", now: new Date() },
  );
}
