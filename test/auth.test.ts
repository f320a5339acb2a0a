import { eq } from "drizzle-orm";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from "jose";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateDevKeys, signToken, TOKEN_TYPE } from "../src/auth/jwt";
import { fixedClock } from "../src/clock";
import { users } from "../src/db/schema";
import { expectProblem, setup, type TestApp } from "./helpers";

const START = "2026-09-01T02:00:00Z";
const clock = fixedClock(START);
let t: TestApp;
let a: Awaited<ReturnType<TestApp["pair"]>>;
let me: { id: string };

beforeAll(async () => {
  t = await setup({ clock });
  a = await t.pair();
  me = a.user("court", "handler");
});
afterEach(() => clock.set(START));

const b64url = (v: unknown) =>
  Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
const epoch = () => Math.floor(clock.now().getTime() / 1000);

/** A token signed with the development key, every header field and claim overridable. */
async function craft(
  opts: { header?: Record<string, unknown>; claims?: JWTPayload; omit?: string[]; key?: JWK } = {},
) {
  const jwk = opts.key ?? t.privateJwk;
  const claims: JWTPayload = {
    iss: t.config.JWT_ISSUER,
    aud: t.config.JWT_AUDIENCE,
    sub: me.id,
    iat: epoch(),
    exp: epoch() + 3600,
    ...opts.claims,
  };
  for (const k of opts.omit ?? []) delete claims[k];
  const header = { alg: "EdDSA", kid: jwk.kid, typ: TOKEN_TYPE, ...opts.header };
  return new SignJWT(claims).setProtectedHeader(header as never).sign(await importJWK(jwk, "EdDSA"));
}

const getMe = (authorization?: string) =>
  t.request("/v1/me", { headers: authorization === undefined ? {} : { authorization } });

/** RFC 6750 §3: a Bearer challenge whose auth-params are quoted strings without quotes or backslashes inside. */
function expectBearerChallenge(res: { headers: Headers }) {
  const h = res.headers.get("www-authenticate");
  expect(h).toMatch(
    /^Bearer [a-z_]+="[\x20\x21\x23-\x5b\x5d-\x7e]*"(, [a-z_]+="[\x20\x21\x23-\x5b\x5d-\x7e]*")*$/,
  );
}

async function expect401(res: Awaited<ReturnType<typeof getMe>>, code: string) {
  expectProblem(res, 401, code);
  expectBearerChallenge(res);
}

describe("bearer authentication on /v1", () => {
  it("accepts a well-formed token of an active user", async () => {
    const res = await getMe(`Bearer ${await craft()}`);
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(me.id);
  });

  it("answers 401 unauthenticated with a realm challenge when the Authorization header is missing", async () => {
    const res = await getMe();
    await expect401(res, "unauthenticated");
    expect(res.headers.get("www-authenticate")).not.toContain("error=");
  });

  it("answers 401 auth_scheme_unsupported for a non-Bearer scheme", async () => {
    await expect401(await getMe(`Basic ${b64url("user:pass")}`), "auth_scheme_unsupported");
    await expect401(await getMe(`Token ${await craft()}`), "auth_scheme_unsupported");
  });

  it.each([
    ["a random word", "not-a-jwt"],
    ["three segments of garbage", "a.b.c"],
    ["a payload that is not JSON", `${b64url({ alg: "EdDSA" })}.${b64url("hello")}.c2ln`],
    ["a header that is not JSON", `${b64url("{oops")}.${b64url({ sub: "x" })}.c2ln`],
    ["two segments", `${b64url({ alg: "EdDSA" })}.${b64url({ sub: "x" })}`],
  ])("answers 401 token_malformed for %s", async (_, token) => {
    await expect401(await getMe(`Bearer ${token}`), "token_malformed");
  });

  it("answers 401 token_expired once the injected clock passes exp", async () => {
    const token = await t.token(me.id, {}, "1h");
    expect((await getMe(`Bearer ${token}`)).status).toBe(200);
    clock.advance(3600_000);
    await expect401(await getMe(`Bearer ${token}`), "token_expired");
  });

  it("answers 401 token_not_yet_valid while nbf is in the future, and accepts it afterwards", async () => {
    const token = await craft({ claims: { nbf: epoch() + 60 } });
    await expect401(await getMe(`Bearer ${token}`), "token_not_yet_valid");
    clock.advance(60_000);
    expect((await getMe(`Bearer ${token}`)).status).toBe(200);
  });

  it("answers 401 token_not_yet_valid for a token issued in the future", async () => {
    await expect401(
      await getMe(`Bearer ${await craft({ claims: { iat: epoch() + 600 } })}`),
      "token_not_yet_valid",
    );
  });

  it("answers 401 token_too_old when iat is older than JWT_MAX_AGE although exp is still ahead", async () => {
    expect(t.config.JWT_MAX_AGE).toBe("12h");
    const token = await t.token(me.id, {}, "2d");
    clock.advance(12 * 3600_000);
    expect((await getMe(`Bearer ${token}`)).status).toBe(200);
    clock.advance(1000);
    await expect401(await getMe(`Bearer ${token}`), "token_too_old");
  });

  it("answers 401 token_issuer_invalid for another issuer", async () => {
    await expect401(
      await getMe(`Bearer ${await craft({ claims: { iss: "https://evil.example" } })}`),
      "token_issuer_invalid",
    );
  });

  it("answers 401 token_audience_invalid for another audience", async () => {
    await expect401(
      await getMe(`Bearer ${await craft({ claims: { aud: "another-api" } })}`),
      "token_audience_invalid",
    );
  });

  it("answers 401 token_type_invalid for a wrong or missing typ header", async () => {
    await expect401(await getMe(`Bearer ${await craft({ header: { typ: "JWT" } })}`), "token_type_invalid");
    await expect401(
      await getMe(`Bearer ${await craft({ header: { typ: undefined } })}`),
      "token_type_invalid",
    );
  });

  it("answers 401 token_algorithm for an unsigned alg:none token", async () => {
    const claims = {
      iss: t.config.JWT_ISSUER,
      aud: t.config.JWT_AUDIENCE,
      sub: me.id,
      iat: epoch(),
      exp: epoch() + 3600,
    };
    const token = `${b64url({ alg: "none", typ: TOKEN_TYPE })}.${b64url(claims)}.`;
    await expect401(await getMe(`Bearer ${token}`), "token_algorithm");
  });

  it("answers 401 token_algorithm for an HS256 token whose HMAC secret is the public key", async () => {
    const pub = t.config.JWT_JWKS!.keys[0]!;
    const claims = {
      iss: t.config.JWT_ISSUER,
      aud: t.config.JWT_AUDIENCE,
      sub: me.id,
      iat: epoch(),
      exp: epoch() + 3600,
    };
    for (const secret of [
      Buffer.from(pub.x as string, "base64url"),
      new TextEncoder().encode(JSON.stringify(pub)),
    ]) {
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", kid: pub.kid as string, typ: TOKEN_TYPE })
        .sign(secret);
      await expect401(await getMe(`Bearer ${token}`), "token_algorithm");
    }
  });

  it("answers 401 token_signature for a tampered payload", async () => {
    const [h, , s] = (await craft()).split(".");
    const other = a.user("court", "admin");
    const payload = b64url({
      iss: t.config.JWT_ISSUER,
      aud: t.config.JWT_AUDIENCE,
      sub: other.id,
      iat: epoch(),
      exp: epoch() + 3600,
    });
    await expect401(await getMe(`Bearer ${h}.${payload}.${s}`), "token_signature");
  });

  it("answers 401 token_signature for a foreign key that claims the trusted kid", async () => {
    const foreign = await generateDevKeys();
    await expect401(
      await getMe(`Bearer ${await craft({ key: { ...foreign.privateJwk, kid: t.privateJwk.kid } })}`),
      "token_signature",
    );
  });

  it("answers 401 token_unknown_key for a token signed by a key outside the configured set", async () => {
    const foreign = await generateDevKeys();
    const token = await signToken(
      foreign.privateJwk,
      { sub: me.id },
      {
        issuer: t.config.JWT_ISSUER,
        audience: t.config.JWT_AUDIENCE,
        now: clock.now(),
      },
    );
    await expect401(await getMe(`Bearer ${token}`), "token_unknown_key");
  });

  it("answers 401 token_claim_missing for a token without sub", async () => {
    await expect401(await getMe(`Bearer ${await craft({ omit: ["sub"] })}`), "token_claim_missing");
  });

  it("answers 401 unknown_user for a valid token of a user that does not exist", async () => {
    await expect401(await getMe(`Bearer ${await t.token("01NOSUCHUSER0000000000000")}`), "unknown_user");
  });

  it("answers 401 unknown_user once the user is deactivated", async () => {
    const leaving = a.user("proc", "auditor");
    const token = await t.token(leaving.id);
    expect((await getMe(`Bearer ${token}`)).status).toBe(200);
    await t.deps.db.update(users).set({ active: false }).where(eq(users.id, leaving.id));
    await expect401(await getMe(`Bearer ${token}`), "unknown_user");
  });

  it("gives each failure its own code", async () => {
    const codes = new Set<string>();
    const cases = [
      getMe(),
      getMe("Basic x"),
      getMe("Bearer x"),
      getMe(`Bearer ${await craft({ claims: { exp: epoch() - 1 } })}`),
      getMe(`Bearer ${await craft({ claims: { nbf: epoch() + 60 } })}`),
      getMe(`Bearer ${await craft({ claims: { iat: epoch() - 13 * 3600 } })}`),
      getMe(`Bearer ${await craft({ claims: { iss: "x" } })}`),
      getMe(`Bearer ${await craft({ claims: { aud: "x" } })}`),
      getMe(`Bearer ${await craft({ header: { typ: "JWT" } })}`),
      getMe(`Bearer ${b64url({ alg: "none" })}.${b64url({ sub: me.id })}.`),
      getMe(`Bearer ${(await craft()).slice(0, -4)}AAAA`),
      getMe(`Bearer ${await craft({ key: (await generateDevKeys()).privateJwk })}`),
      getMe(`Bearer ${await craft({ omit: ["sub"] })}`),
      getMe(`Bearer ${await craft({ claims: { sub: "nobody" } })}`),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(401);
      codes.add(res.body.code);
    }
    expect(codes.size).toBe(cases.length);
  });
});

describe("an external identity provider trusted through its JWKS URL", () => {
  const ISSUER = "https://idp.example/realms/courts";
  let x: TestApp;
  let server: Server;
  let idpKey: JWK;
  let fetches = 0;
  let user: { id: string };

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    idpKey = { ...(await exportJWK(privateKey)), kid: "idp-1", alg: "ES256" };
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(publicKey)), kid: "idp-1", alg: "ES256", use: "sig" }],
    });
    server = createServer((req, res) => {
      fetches++;
      if (req.url !== "/jwks.json") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/json" }).end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    x = await setup({
      clock,
      env: { JWT_EXTERNAL_ISSUER: ISSUER, JWT_EXTERNAL_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` },
    });
    const p = await x.pair();
    user = p.user("proc", "registrar");
    await x.deps.db.update(users).set({ idpSubject: "idp-subject-zhao" }).where(eq(users.id, user.id));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const idpToken = async (sub: string, key = idpKey) =>
    new SignJWT({ sub, iss: ISSUER, aud: x.config.JWT_AUDIENCE, iat: epoch(), exp: epoch() + 300 })
      .setProtectedHeader({ alg: key.alg as string, kid: key.kid })
      .sign(await importJWK(key, key.alg));

  it("lets the user whose idp_subject matches call /v1/me", async () => {
    const res = await x.request("/v1/me", {
      headers: { authorization: `Bearer ${await idpToken("idp-subject-zhao")}` },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(user.id);
    expect(fetches).toBeGreaterThan(0);
  });

  it("answers 401 unknown_user for a subject no user is linked to", async () => {
    const res = await x.request("/v1/me", {
      headers: { authorization: `Bearer ${await idpToken("idp-subject-nobody")}` },
    });
    await expect401(res, "unknown_user");
  });

  it("does not let the external issuer's token name a local user id as subject", async () => {
    const res = await x.request("/v1/me", {
      headers: { authorization: `Bearer ${await idpToken(user.id)}` },
    });
    await expect401(res, "unknown_user");
  });

  it("answers 401 token_unknown_key when the issuer's name is claimed with the local key", async () => {
    const res = await x.request("/v1/me", {
      headers: { authorization: `Bearer ${await idpToken("idp-subject-zhao", { ...x.privateJwk })}` },
    });
    await expect401(res, "token_unknown_key");
  });

  it("still accepts local tokens beside the external issuer", async () => {
    expect((await x.request("/v1/me", { as: user })).status).toBe(200);
  });
});
