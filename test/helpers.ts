// Test harness: a fresh temporary file database per test file, the real app, real signed JWTs.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JWK, JWTPayload } from "jose";
import { createApp } from "../src/app";
import { signToken } from "../src/auth/jwt";
import { fixedClock } from "../src/clock";
import { operators } from "../src/db/schema";
import { createPair, type PairSpec } from "../src/db/seed";
import { migrateDb, nodeDeps } from "../src/node/local";
import type { Role } from "../src/vocab";

let counter = 0;

export async function setup(
  opts: { clock?: ReturnType<typeof fixedClock>; env?: Record<string, string> } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-test-"));
  const clock = opts.clock ?? fixedClock("2026-09-01T02:00:00Z");
  const env = { LIBSQL_URL: `file:${join(dir, "test.db")}`, ...opts.env };
  const { deps, config, privateJwk } = await nodeDeps(env, { clock });
  await migrateDb(deps.db, deps.clock);
  const app = createApp(deps);

  const t = {
    app,
    deps,
    config,
    clock,
    privateJwk: privateJwk as JWK,
    /** A signed token for a user id (or any subject), with optional claim overrides. */
    token: (sub: string, claims: JWTPayload = {}, expiresIn = "1h") =>
      signToken(
        privateJwk!,
        { sub, ...claims },
        { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, expiresIn, now: clock.now() },
      ),
    /** A request through the app; `as` signs a token for that user. */
    async request(
      path: string,
      init: RequestInit & { as?: { id: string; acct?: "operator" }; json?: unknown } = {},
    ) {
      const headers = new Headers(init.headers);
      if (init.as)
        headers.set(
          "authorization",
          `Bearer ${await t.token(init.as.id, init.as.acct ? { acct: init.as.acct } : {})}`,
        );
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      const res = await app.request(path, { ...init, headers, body });
      const text = await res.text();
      let data: any;
      try {
        data = text ? JSON.parse(text) : undefined;
      } catch {
        data = text;
      }
      return { status: res.status, headers: res.headers, body: data };
    },
    /** A deployment operator (pass it as `as`: its tokens carry acct: "operator"). */
    async operator(email = `op${++counter}.${process.pid}@ops.test`) {
      const op = { id: deps.ids(), email, name: `运维${counter}`, acct: "operator" as const };
      await deps.db.insert(operators).values({
        id: op.id,
        email,
        name: op.name,
        createdAt: clock.now().toISOString(),
      });
      return op;
    },
    /** Onboards a court–procuratorate pair; users are addressed as `court.registrar`, `proc.leader`, … */
    async pair(overrides: Partial<PairSpec> = {}) {
      const n = ++counter;
      const code = overrides.code ?? `T${process.pid}${n}`;
      const rows = await createPair(deps.db, deps.ids, clock.now(), {
        code,
        name: `测试区${n}`,
        level: "basic",
        courtName: `测试区${n}人民法院`,
        procuratorateName: `测试区${n}人民检察院`,
        emailDomain: `t${n}-${code.toLowerCase()}.test`,
        ...overrides,
      });
      const user = (side: "court" | "proc", role: Role) =>
        rows.people.find((p) => p.role === role && p.orgId === rows.orgs[side === "court" ? 0 : 1]!.id)!;
      return {
        ...rows,
        court: rows.orgs[0]!,
        procuratorate: rows.orgs[1]!,
        user,
        dept: (orgId: string, name: string) => rows.depts.find((d) => d.orgId === orgId && d.name === name)!,
      };
    },
  };
  return t;
}

export type TestApp = Awaited<ReturnType<typeof setup>>;

/** Asserts the RFC 9457 shape every error shares. */
export function expectProblem(
  res: { status: number; headers: Headers; body: any },
  status: number,
  code?: string,
) {
  const ok =
    res.status === status &&
    res.headers.get("content-type")?.startsWith("application/problem+json") &&
    res.body?.status === status &&
    typeof res.body?.title === "string" &&
    typeof res.body?.detail === "string" &&
    typeof res.body?.type === "string" &&
    typeof res.body?.requestId === "string" &&
    res.body.requestId === res.headers.get("x-request-id") &&
    (code === undefined || res.body?.code === code);
  if (!ok)
    throw new Error(
      `expected problem ${status}${code ? ` ${code}` : ""}, got ${res.status} ${res.headers.get("content-type")} ${JSON.stringify(res.body)}`,
    );
}
