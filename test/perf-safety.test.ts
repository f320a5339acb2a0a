// The performance measures of ADR 0004 must not change what is accepted: a remembered verification is
// re-checked against the clock on every use, the principal is read from the database on every request,
// and the single-statement look-up answers exactly what the batched one does.
import { eq } from "drizzle-orm";
import { importJWK, SignJWT, type JWTPayload } from "jose";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createVerifier, TOKEN_TYPE, VERIFIED_CACHE_TTL_SECONDS } from "../src/auth/jwt";
import { Scope } from "../src/auth/scope";
import { fixedClock } from "../src/clock";
import { users } from "../src/db/schema";
import { listJurisdictions } from "../src/org/org.queries";
import { expectProblem, setup, type TestApp } from "./helpers";

const START = "2026-09-01T02:00:00Z";
const clock = fixedClock(START);
let t: TestApp;
let a: Awaited<ReturnType<TestApp["pair"]>>;

beforeAll(async () => {
  t = await setup({ clock });
  a = await t.pair();
});
afterEach(() => clock.set(START));

const epoch = () => Math.floor(clock.now().getTime() / 1000);
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function craft(sub: string, claims: JWTPayload = {}) {
  const jwk = t.privateJwk;
  const body = {
    iss: t.config.JWT_ISSUER,
    aud: t.config.JWT_AUDIENCE,
    sub,
    iat: epoch(),
    exp: epoch() + 3600,
    ...claims,
  };
  return new SignJWT(body)
    .setProtectedHeader({ alg: "EdDSA", kid: jwk.kid, typ: TOKEN_TYPE })
    .sign(await importJWK(jwk, "EdDSA"));
}

describe("the verified-token cache", () => {
  it("remembers a verification: the same token twice gives the same subject object", async () => {
    const verify = createVerifier(t.config, () => clock.now());
    const token = await craft("someone");
    const first = await verify(token);
    expect(await verify(token)).toBe(first);
  });

  it("refuses a cached token once it expires (clock.advance), with jose's own error", async () => {
    const me = a.user("court", "handler");
    const token = await t.token(me.id, {}, "1h");
    for (let i = 0; i < 3; i++) expect((await t.request("/v1/me", bearer(token))).status).toBe(200);
    clock.advance(3600_000 - 1000);
    expect((await t.request("/v1/me", bearer(token))).status).toBe(200);
    clock.advance(1000);
    const res = await t.request("/v1/me", bearer(token));
    expectProblem(res, 401, "token_expired");
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    // And it stays refused: the failed hit was forgotten, not put back.
    expectProblem(await t.request("/v1/me", bearer(token)), 401, "token_expired");
  });

  it("refuses a cached token once it is older than JWT_MAX_AGE although exp is ahead", async () => {
    const me = a.user("court", "handler");
    const token = await t.token(me.id, {}, "2d");
    expect((await t.request("/v1/me", bearer(token))).status).toBe(200);
    clock.advance(12 * 3600_000);
    expect((await t.request("/v1/me", bearer(token))).status).toBe(200);
    clock.advance(1000);
    expectProblem(await t.request("/v1/me", bearer(token)), 401, "token_too_old");
  });

  it("refuses a cached token when the clock is set back before its nbf or iat", async () => {
    const verify = createVerifier(t.config, () => clock.now());
    const withNbf = await craft("someone", { nbf: epoch() });
    await verify(withNbf);
    clock.advance(-1000);
    await expect(verify(withNbf)).rejects.toMatchObject({ status: 401, code: "token_not_yet_valid" });
    clock.set(START);
    const plain = await craft("someone");
    await verify(plain);
    clock.advance(-1000);
    await expect(verify(plain)).rejects.toMatchObject({ status: 401, code: "token_not_yet_valid" });
  });

  it(`verifies a remembered token afresh after ${VERIFIED_CACHE_TTL_SECONDS} s`, async () => {
    const verify = createVerifier(t.config, () => clock.now());
    const token = await craft("someone", { exp: epoch() + 3 * VERIFIED_CACHE_TTL_SECONDS });
    const first = await verify(token);
    clock.advance((VERIFIED_CACHE_TTL_SECONDS - 1) * 1000);
    expect(await verify(token)).toBe(first);
    clock.advance(1000);
    const again = await verify(token);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it("is bounded: the least recently used token is forgotten first", async () => {
    const verify = createVerifier(t.config, () => clock.now(), { cacheSize: 2 });
    const [x, y, z] = await Promise.all(["x", "y", "z"].map((s) => craft(s)));
    const fx = await verify(x!);
    const fy = await verify(y!);
    expect(await verify(x!)).toBe(fx); // x is now the most recently used
    await verify(z!); // evicts y
    expect(await verify(x!)).toBe(fx);
    expect(await verify(y!)).not.toBe(fy);
  });

  it("never remembers a refusal, nor accepts a token that differs from a cached one", async () => {
    const verify = createVerifier(t.config, () => clock.now());
    const token = await craft("someone");
    await verify(token);
    const [h, p, s] = token.split(".");
    const flipped = s!.startsWith("A") ? `B${s!.slice(1)}` : `A${s!.slice(1)}`;
    await expect(verify(`${h}.${p}.${flipped}`)).rejects.toMatchObject({ status: 401 });
    await expect(verify(`${h}.${p}.${flipped}`)).rejects.toMatchObject({ status: 401 });
  });
});

describe("the principal look-up", () => {
  it("is read on every request: a user deactivated after the token was cached is refused", async () => {
    const leaving = a.user("proc", "auditor");
    const token = await t.token(leaving.id);
    expect((await t.request("/v1/me", bearer(token))).status).toBe(200);
    await t.deps.db.update(users).set({ active: false }).where(eq(users.id, leaving.id));
    try {
      expectProblem(await t.request("/v1/me", bearer(token)), 401, "unknown_user");
    } finally {
      await t.deps.db.update(users).set({ active: true }).where(eq(users.id, leaving.id));
    }
  });

  it("answers the same principal alone (one statement) as batched with the route's queries", async () => {
    for (const u of [a.user("court", "registrar"), a.user("proc", "leader")]) {
      const scope = new Scope(t.deps.db, { issuer: "local", sub: u.id }, "any");
      const alone = await scope.run([]);
      const batched = await scope.run([listJurisdictions(scope, { limit: 5 })]);
      expect(alone.principal).toEqual(batched.principal);
      expect(alone.principal).toMatchObject({
        id: u.id,
        roles: expect.arrayContaining([expect.any(String)]),
      });
      expect(batched.results[0].length).toBeGreaterThan(0);
    }
  });

  it("answers 401 unknown_user for an unknown subject on both paths", async () => {
    const scope = new Scope(t.deps.db, { issuer: "local", sub: "nobody" }, "any");
    await expect(scope.run([])).rejects.toMatchObject({ status: 401, code: "unknown_user" });
    await expect(scope.run([listJurisdictions(scope, { limit: 5 })])).rejects.toMatchObject({
      status: 401,
      code: "unknown_user",
    });
  });

  it("binds the subject as a parameter, never as SQL text", async () => {
    const evil = "x' or 1=1 --";
    const scope = new Scope(t.deps.db, { issuer: "local", sub: evil }, "any");
    expect(scope.principalQuery().args).toEqual([evil]);
    expect(scope.principalQuery().sql).not.toContain(evil);
    await expect(scope.run([])).rejects.toMatchObject({ status: 401, code: "unknown_user" });
    await expect(scope.run([listJurisdictions(scope, { limit: 5 })])).rejects.toMatchObject({ status: 401 });
  });
});

describe("the Worker's zod without locales (wrangler.toml [alias])", () => {
  // What workers/zod leaves out of zod's entry point, on purpose; nothing in the app uses them.
  const OMITTED = [
    "locales",
    "fromJSONSchema",
    "compile",
    "withParser",
    "INVALID",
    "ZodCompileAsyncError",
    "ZodCompileUnsupportedError",
  ];
  const OMITTED_FROM_CORE = [
    "locales",
    "compile",
    "compileFn",
    "withParser",
    "INVALID",
    "ZodCompileAsyncError",
    "ZodCompileUnsupportedError",
  ];

  it("exports everything zod exports but the omitted names", async () => {
    const real = await import("zod");
    // @ts-expect-error plain ESM without types
    const shim = await import("../workers/zod/index.js");
    const expected = Object.keys(real)
      .filter((k) => !OMITTED.includes(k))
      .sort();
    expect(Object.keys(shim).sort()).toEqual(expected);
    expect(Object.keys(shim.z).sort()).toEqual(
      Object.keys(real.z)
        .filter((k) => !OMITTED.includes(k))
        .sort(),
    );
    expect(Object.keys(shim.z.core).sort()).toEqual(
      Object.keys(real.z.core)
        .filter((k) => !OMITTED_FROM_CORE.includes(k))
        .sort(),
    );
    // The same classes, so schemas built with either are one kind of schema.
    expect(shim.z.ZodType).toBe(real.z.ZodType);
  });

  it("answers the same English validation messages", async () => {
    const real = (await import("zod")).z;
    // @ts-expect-error plain ESM without types
    const shim = (await import("../workers/zod/index.js")).z as typeof real;
    for (const z of [real, shim]) {
      const r = z
        .object({
          name: z.string().min(2),
          n: z.coerce.number().int(),
          m: z.number().max(5),
          at: z.iso.datetime(),
        })
        .safeParse({ name: "x", n: "7.5", m: 6, at: "yesterday" });
      expect(r.success).toBe(false);
      expect(r.error!.issues.map((i) => i.message)).toEqual([
        "Too small: expected string to have >=2 characters",
        "Invalid input: expected int, received number",
        "Too big: expected number to be <=5",
        "Invalid ISO datetime",
      ]);
    }
  });

  it("is not needed by the app: no source file uses an omitted name", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const files = (readdirSync("src", { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts"))
      .map((f) => join("src", f));
    const used = files.filter((f) =>
      new RegExp(`\\bz\\.(${OMITTED.join("|")})\\b|\\bz\\.core\\.locales\\b`).test(readFileSync(f, "utf8")),
    );
    expect(used).toEqual([]);
  });
});

describe("the Worker host", () => {
  it("answers 500 config_invalid for a database URL its HTTP-only client cannot open", async () => {
    const { default: worker } = await import("../workers/index");
    const env = {
      LIBSQL_URL: "wss://db.example",
      JWT_JWKS: JSON.stringify({
        keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }],
      }),
    };
    const res = await worker.fetch(new Request("https://api.example/health"), env, {} as ExecutionContext);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; errors: { path: string; message: string }[] };
    expect(body.code).toBe("config_invalid");
    expect(body.errors[0]).toMatchObject({ path: "LIBSQL_URL", message: expect.stringContaining("wss:") });
  });
});
