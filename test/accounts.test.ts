// Sign-in and sessions (issue 9): login, throttling, refresh rotation, logout, password change,
// disabling users, the sign-in audit and external identity — through HTTP with real JWTs.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { LOGIN_LIMITS } from "../src/accounts/accounts.queries";
import { login } from "../src/accounts/accounts.service";
import { hashPassword } from "../src/accounts/password";
import { openSession } from "../src/accounts/sessions";
import { expectProblem, setup, type TestApp } from "./helpers";

const PASSWORD = "correct horse battery staple";

async function withPassword(t: TestApp, accountId: string, password = PASSWORD, iterations?: number) {
  const hash = await hashPassword(password, iterations);
  await t.deps.db.run(sql`insert into credentials (account_id, password_hash, changed_at)
    values (${accountId}, ${hash}, ${t.clock.now().toISOString()})
    on conflict (account_id) do update set password_hash = excluded.password_hash`);
}

async function world() {
  const t = await setup();
  // A settable source address, as the Node host's socket or the Worker's cf-connecting-ip would give.
  t.deps.clientAddress = (c) => c.req.header("x-test-source") ?? "192.0.2.1";
  const p = await t.pair();
  const user = p.user("court", "registrar");
  await withPassword(t, user.id);
  const login = (email: string, password: string, source?: string) =>
    t.request("/v1/auth/login", {
      method: "POST",
      json: { email, password },
      headers: source ? { "x-test-source": source } : {},
    });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const me = (token: string) => t.request("/v1/me", { headers: bearer(token) });
  return { t, p, user, login, bearer, me };
}

describe("openSession", () => {
  it("returns statements that open a session in the caller's batch, and a token pair that works", async () => {
    const { t, user, me } = await world();
    const s = await openSession(t.deps, { id: user.id, kind: "user", orgId: user.orgId }, t.clock.now());
    await t.deps.db.batch(s.statements as never);
    expect(s.response).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });
    expect((await me(s.response.accessToken)).status).toBe(200);
  });
});

describe("POST /v1/auth/login", () => {
  it("signs a user in: an access token naming the account and its session, and a refresh token", async () => {
    const { t, user, login, me } = await world();
    const res = await login(user.email, PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });
    expect(res.body.refreshExpiresAt).toBe("2026-10-01T02:00:00.000Z");
    const claims = decodeJwt(res.body.accessToken);
    expect(claims.sub).toBe(user.id);
    expect(typeof claims.sid).toBe("string");
    expect(claims.acct).toBeUndefined();
    expect(claims.exp! - claims.iat!).toBe(900);
    expect((await me(res.body.accessToken)).body.user.id).toBe(user.id);
    // A case or spacing difference in the e-mail is the same account.
    expect((await login(`  ${user.email.toUpperCase()} `, PASSWORD)).status).toBe(200);
    const [stored] = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from refresh_tokens where token_hash = ${res.body.refreshToken}`,
    );
    expect(stored!.n).toBe(0); // only its hash is kept
  });

  it("answers a wrong password and an unknown e-mail alike (401 invalid_credentials)", async () => {
    const { user, login } = await world();
    const wrong = await login(user.email, "not the password at all");
    const unknown = await login("nobody@nowhere.test", PASSWORD);
    expectProblem(wrong, 401, "invalid_credentials");
    expectProblem(unknown, 401, "invalid_credentials");
    const strip = (b: any) => ({ ...b, requestId: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect([...wrong.headers.keys()].sort()).toEqual([...unknown.headers.keys()].sort());
  });

  it("upgrades a hash made with older parameters at login", async () => {
    const { t, user, login } = await world();
    await withPassword(t, user.id, PASSWORD, 1000);
    expect((await login(user.email, PASSWORD)).status).toBe(200);
    const [row] = await t.deps.db.all<{ h: string }>(
      sql`select password_hash as h from credentials where account_id = ${user.id}`,
    );
    expect(row!.h).toMatch(/^pbkdf2-sha256\$100000\$/);
    expect((await login(user.email, PASSWORD)).status).toBe(200);
  });

  it("signs an operator in with a token that says so", async () => {
    const { t, login } = await world();
    const id = t.deps.ids();
    await t.deps.db.run(sql`insert into operators (id, email, name, active, created_at)
      values (${id}, 'ops@deploy.test', '运维', 1, ${t.clock.now().toISOString()})`);
    await withPassword(t, id);
    const res = await login("ops@deploy.test", PASSWORD);
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.accessToken)).toMatchObject({ sub: id, acct: "operator" });
    // An operator changes its password and signs out like anyone else.
    const headers = { authorization: `Bearer ${res.body.accessToken}` };
    const other = (await login("ops@deploy.test", PASSWORD)).body;
    const changed = await t.request("/v1/auth/password", {
      method: "POST",
      headers,
      json: { currentPassword: PASSWORD, newPassword: "the operator's new passphrase" },
    });
    expect(changed.status).toBe(204);
    expectProblem(
      await t.request("/v1/auth/refresh", { method: "POST", json: { refreshToken: other.refreshToken } }),
      401,
      "refresh_token_revoked",
    );
    expect((await t.request("/v1/auth/logout", { method: "POST", headers })).status).toBe(204);
    expectProblem(
      await t.request("/v1/auth/refresh", { method: "POST", json: { refreshToken: res.body.refreshToken } }),
      401,
      "refresh_token_revoked",
    );
    expect((await login("ops@deploy.test", "the operator's new passphrase")).status).toBe(200);
  });

  it("answers 503 login_unavailable without a signing key, and the rest of the API still works", async () => {
    const { t, user, login } = await world();
    const signer = t.deps.signer;
    t.deps.signer = undefined;
    try {
      expectProblem(await login(user.email, PASSWORD), 503, "login_unavailable");
      expect((await t.request("/v1/me", { as: user })).status).toBe(200);
    } finally {
      t.deps.signer = signer;
    }
  });
});

describe("login throttling", () => {
  it("delays, then locks an account after repeated failures; the lock ends when its time is up", async () => {
    const { t, user, login } = await world();
    const codes: string[] = [];
    for (let i = 0; i < LOGIN_LIMITS.account.lockAfter; i++) {
      let res = await login(user.email, "wrong password!", `198.51.100.${i}`);
      if (res.status === 429) {
        codes.push(res.body.code);
        expect(res.body.code).toBe("login_throttled");
        t.clock.advance(Number(res.headers.get("retry-after")) * 1000);
        res = await login(user.email, "wrong password!", `198.51.100.${i}`);
      }
      expectProblem(res, 401, "invalid_credentials");
    }
    expect(codes.length).toBe(LOGIN_LIMITS.account.lockAfter - LOGIN_LIMITS.account.delayAfter);
    // Locked: even the right password is refused, from any address, with Retry-After.
    const locked = await login(user.email, PASSWORD, "203.0.113.9");
    expectProblem(locked, 429, "login_locked");
    expect(Number(locked.headers.get("retry-after"))).toBe(LOGIN_LIMITS.lockMs / 1000);
    // An unknown e-mail locks the same way, so a lock tells nothing about whether an e-mail exists.
    t.clock.advance(LOGIN_LIMITS.lockMs - 1000);
    expectProblem(await login(user.email, PASSWORD, "203.0.113.9"), 429, "login_locked");
    t.clock.advance(1000);
    expect((await login(user.email, PASSWORD, "203.0.113.9")).status).toBe(200);
    // A success resets the account's counter: one failure is not a wait.
    expectProblem(await login(user.email, "wrong password!", "203.0.113.9"), 401, "invalid_credentials");
    expect((await login(user.email, PASSWORD, "203.0.113.9")).status).toBe(200);
  });

  it("locks an unknown e-mail exactly like a known one", async () => {
    const { t, login } = await world();
    const statuses: string[] = [];
    for (let i = 0; i < 20 && statuses.at(-1) !== "login_locked"; i++) {
      const res = await login("ghost@nowhere.test", "wrong password!", `198.51.100.${i}`);
      if (res.status === 429 && res.body.code === "login_throttled")
        t.clock.advance(Number(res.headers.get("retry-after")) * 1000);
      statuses.push(res.body.code);
    }
    expect(statuses.filter((s) => s === "invalid_credentials").length).toBe(LOGIN_LIMITS.account.lockAfter);
    expect(statuses.at(-1)).toBe("login_locked");
  });

  it("throttles a source address that fails across many accounts, not the others", async () => {
    const { t, user, login } = await world();
    const { delayAfter } = LOGIN_LIMITS.source;
    for (let i = 0; i < delayAfter; i++)
      expectProblem(await login(`guess${i}@nowhere.test`, "wrong password!", "198.51.100.77"), 401);
    const refused = await login(user.email, PASSWORD, "198.51.100.77");
    expectProblem(refused, 429, "login_throttled");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await login(user.email, PASSWORD, "198.51.100.78")).status).toBe(200);
    t.clock.advance(Number(refused.headers.get("retry-after")) * 1000);
    expect((await login(user.email, PASSWORD, "198.51.100.77")).status).toBe(200);
  });
});

describe("parallel attempts (reservation before the hash)", () => {
  /** `n` attempts fired at once; `right` (an index) carries the right password, the others not. */
  const shuffledRight = (n: number, from: number) => from + Math.floor(Math.random() * (n - from));
  const sameAnswer = (r: { status: number; body: any; headers: Headers }) =>
    JSON.stringify([r.status, r.body.code, r.body.detail, r.headers.get("retry-after")]);

  it("a burst on one account hashes at most lockAfter guesses; once locked, right and wrong get one 429", async () => {
    const { t, p, user, login } = await world();
    const { lockAfter } = LOGIN_LIMITS.account;
    const all: { status: number; body: any; headers: Headers }[] = [];
    let locked = false;
    for (let round = 0; round < 20 && !locked; round++) {
      // 39 wrong and 1 right, the right one somewhere after the first lockAfter (so that it is
      // never among the attempts a burst lets through), each from its own address.
      const right = shuffledRight(40, lockAfter);
      const res = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          login(user.email, i === right ? PASSWORD : `wrong guess ${round}/${i}`, `198.51.100.${i}`),
        ),
      );
      all.push(...res);
      const refused = res.filter((r) => r.status === 429);
      // Every refusal of one burst is the same answer, whatever the password.
      expect(new Set(refused.map(sameAnswer)).size).toBe(1);
      expect(res[right]!.status).toBe(429);
      locked = refused[0]!.body.code === "login_locked";
      if (!locked) t.clock.advance(Number(refused[0]!.headers.get("retry-after")) * 1000);
    }
    expect(locked).toBe(true);
    expect(all.length).toBe(40); // one burst: the attempt that reaches lockAfter locks at once
    expect(all.filter((r) => r.status === 200)).toEqual([]);
    expect(all.filter((r) => r.status === 401).length).toBe(lockAfter);
    // Locked: another burst, the right password among them, all answered alike.
    const right = shuffledRight(40, 0);
    const res = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(user.email, i === right ? PASSWORD : `wrong ${i}`)),
    );
    expect(new Set(res.map(sameAnswer)).size).toBe(1);
    expectProblem(res[right]!, 429, "login_locked");
    // The audit: each hashed failure, the lock once; the refusals are counted in the lock's row.
    const admin = p.user("court", "admin");
    const events = await t.request(`/v1/organizations/${p.court.id}/auth-events?limit=100`, { as: admin });
    const kinds = events.body.items.map((e: any) => e.kind.code);
    expect(kinds.filter((k: string) => k === "login_failed").length).toBe(lockAfter);
    expect(kinds.filter((k: string) => k === "login_locked").length).toBe(1);
    const [row] = await t.deps.db.all<{ failures: number }>(
      sql`select failures from login_throttle where key = ${`account:${user.email}`}`,
    );
    const refusedWhileLocked = all.filter((r) => r.body.code === "login_locked").length + res.length;
    expect(row!.failures).toBe(lockAfter + refusedWhileLocked);
    // After the lock, the right password signs in.
    t.clock.advance(LOGIN_LIMITS.lockMs);
    expect((await login(user.email, PASSWORD, "203.0.113.9")).status).toBe(200);
    const [none] = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from login_throttle where key like 'ticket:%'`,
    );
    expect(none!.n).toBe(0);
  });

  it("a burst from one source address hashes at most its lockAfter guesses, then one 429 for all", async () => {
    const { t, user, login } = await world();
    const { lockAfter } = LOGIN_LIMITS.source;
    const from = "198.51.100.200";
    const burst = async (round: number, n: number, right: number) => {
      const res = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          i === right
            ? login(user.email, PASSWORD, from)
            : login(`guess${round}-${i}@nowhere.test`, "wrong password!", from),
        ),
      );
      expect(res.filter((r) => r.status === 200)).toEqual([]);
      const refused = res.filter((r) => r.status === 429);
      expect(new Set(refused.map(sameAnswer)).size).toBe(1);
      expectProblem(res[right]!, 429, "login_locked");
      return { hashed: res.filter((r) => r.status === 401).length, refused };
    };
    // 70 at once, each against its own e-mail, the right password after the first lockAfter.
    const first = await burst(0, 70, shuffledRight(70, lockAfter));
    expect(first.hashed).toBe(lockAfter);
    expectProblem(first.refused[0]!, 429, "login_locked");
    // Locked: right or wrong, one answer; nothing more is hashed.
    expect((await burst(1, 20, shuffledRight(20, 0))).hashed).toBe(0);
    // Another address is not concerned; after the lock, this one signs in too.
    expect((await login(user.email, PASSWORD, "198.51.100.201")).status).toBe(200);
    t.clock.advance(LOGIN_LIMITS.lockMs);
    expect((await login(user.email, PASSWORD, from)).status).toBe(200);
  });

  it("a success takes back its source reservation: many sign-ins from one address never throttle it", async () => {
    const { t, user, login } = await world();
    for (let i = 0; i < LOGIN_LIMITS.source.delayAfter + 5; i++)
      expect((await login(user.email, PASSWORD, "198.51.100.50")).status).toBe(200);
    const rows = await t.deps.db.all<{ failures: number; lockedUntil: string | null }>(
      sql`select failures, locked_until as lockedUntil from login_throttle`,
    );
    expect(rows).toEqual([{ failures: 0, lockedUntil: null }]);
  });

  it("parallel guesses of the current password stop at the lock; the right one is then refused until it ends", async () => {
    const { t, p, user, login, bearer } = await world();
    const { lockAfter } = LOGIN_LIMITS.account;
    const s = (await login(user.email, PASSWORD)).body;
    const NEW = "a much better passphrase";
    const change = (currentPassword: string, token = s.accessToken) =>
      t.request("/v1/auth/password", {
        method: "POST",
        headers: bearer(token),
        json: { currentPassword, newPassword: NEW },
      });
    let failed = 0;
    let locked = false;
    for (let round = 0; round < 20 && !locked; round++) {
      const res = await Promise.all(Array.from({ length: 30 }, (_, i) => change(`guess ${round}/${i}!!`)));
      failed += res.filter((r) => r.status === 403).length;
      const refused = res.filter((r) => r.status === 429);
      expect(refused.length + res.filter((r) => r.status === 403).length).toBe(30);
      expect(new Set(refused.map(sameAnswer)).size).toBe(1);
      locked = refused[0]!.body.code === "login_locked";
      if (!locked) t.clock.advance(Number(refused[0]!.headers.get("retry-after")) * 1000);
    }
    expect(locked).toBe(true);
    expect(failed).toBe(lockAfter);
    // Locked: the right current password is refused too, and so is a sign-in.
    const refusedRight = await change(PASSWORD);
    expectProblem(refusedRight, 429, "login_locked");
    expectProblem(await login(user.email, PASSWORD), 429, "login_locked");
    const admin = p.user("court", "admin");
    const events = await t.request(
      `/v1/organizations/${p.court.id}/auth-events?kind=password_change_failed,login_locked&limit=100`,
      { as: admin },
    );
    const kinds = events.body.items.map((e: any) => e.kind.code);
    expect(kinds.filter((k: string) => k === "password_change_failed").length).toBe(lockAfter);
    expect(kinds.filter((k: string) => k === "login_locked").length).toBe(1);
    expect(events.body.items[0].kind.label.en).toMatch(/Password change failed|Account locked/);
    // After the lock (the access token has expired meanwhile: refresh it), the change goes through.
    t.clock.advance(LOGIN_LIMITS.lockMs);
    const fresh = await t.request("/v1/auth/refresh", {
      method: "POST",
      json: { refreshToken: s.refreshToken },
    });
    expect(fresh.status).toBe(200);
    expect((await change(PASSWORD, fresh.body.accessToken)).status).toBe(204);
    expect((await login(user.email, NEW)).status).toBe(200);
  });
});

describe("a login racing with a password change", () => {
  it("opens no session when the verified hash was replaced between the check and the write", async () => {
    const { t, user, login: httpLogin, bearer } = await world();
    const other = (await httpLogin(user.email, PASSWORD)).body;
    const before = await t.deps.db.all<{ n: number }>(sql`select count(*) as n from auth_sessions`);
    const attempt = login(
      t.deps,
      { email: user.email, password: PASSWORD, source: "192.0.2.1" },
      {
        // The password is verified with the old hash; now it changes, before the write batch.
        afterVerify: async () => {
          const changed = await t.request("/v1/auth/password", {
            method: "POST",
            headers: bearer(other.accessToken),
            json: { currentPassword: PASSWORD, newPassword: "changed in the meantime" },
          });
          expect(changed.status).toBe(204);
        },
      },
    );
    await expect(attempt).rejects.toMatchObject({ status: 401, code: "invalid_credentials" });
    const after = await t.deps.db.all<{ n: number }>(sql`select count(*) as n from auth_sessions`);
    expect(after[0]!.n).toBe(before[0]!.n);
    // The refused attempt is audited as a failure; the new password signs in.
    const [failed] = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from auth_events where kind = 'login_failed' and account_id = ${user.id}`,
    );
    expect(failed!.n).toBe(1);
    expect((await httpLogin(user.email, "changed in the meantime")).status).toBe(200);
  });
});

describe("POST /v1/auth/refresh", () => {
  it("rotates: a new pair, the old refresh token used up", async () => {
    const { t, user, login, me } = await world();
    const first = (await login(user.email, PASSWORD)).body;
    t.clock.advance(60_000);
    const second = await t.request("/v1/auth/refresh", {
      method: "POST",
      json: { refreshToken: first.refreshToken },
    });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect(second.body.refreshExpiresAt).toBe(first.refreshExpiresAt);
    expect(decodeJwt(second.body.accessToken).sid).toBe(decodeJwt(first.accessToken).sid);
    expect((await me(second.body.accessToken)).status).toBe(200);
    const third = await t.request("/v1/auth/refresh", {
      method: "POST",
      json: { refreshToken: second.body.refreshToken },
    });
    expect(third.status).toBe(200);
  });

  it("ends the whole session when a used refresh token is presented again", async () => {
    const { t, p, user, login, me } = await world();
    const first = (await login(user.email, PASSWORD)).body;
    const refresh = (refreshToken: string) =>
      t.request("/v1/auth/refresh", { method: "POST", json: { refreshToken } });
    const second = (await refresh(first.refreshToken)).body;
    expect((await me(second.accessToken)).status).toBe(200);
    // The same instant as the rotation, then later: both are reuse.
    expectProblem(await refresh(first.refreshToken), 401, "refresh_token_reused");
    expectProblem(await refresh(second.refreshToken), 401, "refresh_token_revoked");
    expectProblem(await me(second.accessToken), 401, "unknown_user");
    expectProblem(await me(first.accessToken), 401, "unknown_user");
    t.clock.advance(1000);
    expectProblem(await refresh(first.refreshToken), 401, "refresh_token_reused");
    expectProblem(await refresh("x".repeat(43)), 401, "refresh_token_invalid");
    // Another session of the same user is untouched.
    expect((await login(user.email, PASSWORD)).status).toBe(200);
    const admin = p.user("court", "admin");
    const events = await t.request(`/v1/organizations/${p.court.id}/auth-events?kind=refresh_reused`, {
      as: admin,
    });
    expect(events.body.items.length).toBe(1);
  });

  it("of two concurrent presentations of one token, at most one gets a successor, and the family ends", async () => {
    const { t, user, login, me } = await world();
    const first = (await login(user.email, PASSWORD)).body;
    const both = await Promise.all(
      [0, 1].map(() =>
        t.request("/v1/auth/refresh", { method: "POST", json: { refreshToken: first.refreshToken } }),
      ),
    );
    const ok = both.filter((r) => r.status === 200);
    expect(ok.length).toBeLessThanOrEqual(1);
    expect(both.some((r) => r.body.code === "refresh_token_reused")).toBe(true);
    for (const r of ok) expectProblem(await me(r.body.accessToken), 401, "unknown_user");
    const [n] = await t.deps.db.all<{ n: number }>(sql`select count(*) as n from refresh_tokens`);
    expect(n!.n).toBeLessThanOrEqual(2);
  });

  it("refuses an expired session", async () => {
    const { t, user, login } = await world();
    const first = (await login(user.email, PASSWORD)).body;
    t.clock.advance(31 * 86_400_000);
    expectProblem(
      await t.request("/v1/auth/refresh", { method: "POST", json: { refreshToken: first.refreshToken } }),
      401,
      "refresh_token_expired",
    );
  });
});

describe("POST /v1/auth/logout", () => {
  it("ends the caller's session: its access and refresh tokens stop at once; a repeat is harmless", async () => {
    const { t, user, login, bearer, me } = await world();
    const s = (await login(user.email, PASSWORD)).body;
    const other = (await login(user.email, PASSWORD)).body;
    expect((await me(s.accessToken)).status).toBe(200); // verified once (and remembered)
    const out = await t.request("/v1/auth/logout", { method: "POST", headers: bearer(s.accessToken) });
    expect(out.status).toBe(204);
    expectProblem(await me(s.accessToken), 401, "unknown_user");
    expectProblem(
      await t.request("/v1/auth/refresh", { method: "POST", json: { refreshToken: s.refreshToken } }),
      401,
      "refresh_token_revoked",
    );
    expect(
      (await t.request("/v1/auth/logout", { method: "POST", headers: bearer(s.accessToken) })).status,
    ).toBe(204);
    expect((await me(other.accessToken)).status).toBe(200);
    // A development token has no session to end.
    expectProblem(await t.request("/v1/auth/logout", { method: "POST", as: user }), 409, "no_session");
  });
});

describe("POST /v1/auth/password", () => {
  it("changes the password and ends every other session at once", async () => {
    const { t, user, login, bearer, me } = await world();
    const mine = (await login(user.email, PASSWORD)).body;
    const other = (await login(user.email, PASSWORD)).body;
    expect((await me(other.accessToken)).status).toBe(200);
    const change = (body: unknown) =>
      t.request("/v1/auth/password", { method: "POST", headers: bearer(mine.accessToken), json: body });
    const NEW = "a much better passphrase";
    expectProblem(
      await change({ currentPassword: PASSWORD, newPassword: "short" }),
      400,
      "validation_failed",
    );
    expectProblem(
      await change({ currentPassword: PASSWORD, newPassword: user.email }),
      422,
      "password_rejected",
    );
    expectProblem(
      await change({ currentPassword: "not the password", newPassword: NEW }),
      403,
      "current_password_invalid",
    );
    expect((await change({ currentPassword: PASSWORD, newPassword: NEW })).status).toBe(204);
    expectProblem(await me(other.accessToken), 401, "unknown_user");
    expectProblem(
      await t.request("/v1/auth/refresh", { method: "POST", json: { refreshToken: other.refreshToken } }),
      401,
      "refresh_token_revoked",
    );
    expect((await me(mine.accessToken)).status).toBe(200);
    expectProblem(await login(user.email, PASSWORD), 401, "invalid_credentials");
    expect((await login(user.email, NEW)).status).toBe(200);
  });
});

describe("POST /v1/users/{id}/disable and /enable", () => {
  it("refuses a disabled user's every token at once, though the token's signature check is cached", async () => {
    const { t, p, user, login, me } = await world();
    const admin = p.user("court", "admin");
    const s = (await login(user.email, PASSWORD)).body;
    const dev = await t.token(user.id);
    expect((await me(s.accessToken)).status).toBe(200);
    expect((await me(dev)).status).toBe(200);
    const off = await t.request(`/v1/users/${user.id}/disable`, { method: "POST", as: admin });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: user.id, active: false });
    expectProblem(await me(s.accessToken), 401, "unknown_user");
    expectProblem(await me(dev), 401, "unknown_user");
    expectProblem(
      await t.request("/v1/auth/refresh", { method: "POST", json: { refreshToken: s.refreshToken } }),
      401,
      "refresh_token_revoked",
    );
    expectProblem(await login(user.email, PASSWORD), 401, "invalid_credentials");
    const on = await t.request(`/v1/users/${user.id}/enable`, { method: "POST", as: admin });
    expect(on.body.active).toBe(true);
    expect((await me(dev)).status).toBe(200);
    expectProblem(await me(s.accessToken), 401, "unknown_user"); // its session stays ended
    expect((await login(user.email, PASSWORD)).status).toBe(200);
  });

  it("is for admins of the user's own organisation: 403 to other roles, 404 to other organisations", async () => {
    const { t, p, user } = await world();
    const other = await t.pair();
    const registrar = p.user("court", "handler");
    expectProblem(await t.request(`/v1/users/${user.id}/disable`, { method: "POST", as: registrar }), 403);
    expectProblem(
      await t.request(`/v1/users/${user.id}/disable`, { method: "POST", as: p.user("proc", "admin") }),
      404,
    );
    expectProblem(
      await t.request(`/v1/users/${user.id}/disable`, { method: "POST", as: other.user("court", "admin") }),
      404,
    );
    const admin = p.user("court", "admin");
    expectProblem(
      await t.request(`/v1/users/${admin.id}/disable`, { method: "POST", as: admin }),
      409,
      "cannot_disable_self",
    );
    expect((await t.request("/v1/me", { as: user })).status).toBe(200);
  });
});

describe("GET /v1/organizations/{id}/auth-events", () => {
  it("lists sign-in events newest first to admins and auditors of that organisation only", async () => {
    const { t, p, user, login } = await world();
    await login(user.email, "wrong password!");
    t.clock.advance(1000);
    await login(user.email, PASSWORD);
    const path = `/v1/organizations/${p.court.id}/auth-events`;
    for (const role of ["admin", "auditor"] as const) {
      const res = await t.request(path, { as: p.user("court", role) });
      expect(res.status).toBe(200);
      expect(res.body.items.map((e: any) => e.kind.code)).toEqual(["login_succeeded", "login_failed"]);
      expect(res.body.items[1]).toMatchObject({
        accountId: user.id,
        email: user.email,
        source: "192.0.2.1",
        kind: { label: { zh: "登录失败", en: "Sign-in failed" } },
      });
      expect(JSON.stringify(res.body)).not.toMatch(/pbkdf2|wrong password|correct horse/);
    }
    const admin = p.user("court", "admin");
    const page = await t.request(`${path}?limit=1`, { as: admin });
    const next = await t.request(`${path}?limit=1&cursor=${page.body.nextCursor}`, { as: admin });
    expect(next.body.items[0].kind.code).toBe("login_failed");
    const failed = await t.request(`${path}?kind=login_failed`, { as: admin });
    expect(failed.body.items.length).toBe(1);
    const since = await t.request(`${path}?since=2026-09-01T02:00:01.000Z`, { as: admin });
    expect(since.body.items.map((e: any) => e.kind.code)).toEqual(["login_succeeded"]);
    expectProblem(await t.request(path, { as: p.user("court", "registrar") }), 403);
    expectProblem(await t.request(path, { as: p.user("proc", "admin") }), 404);
    expectProblem(await t.request(path, { as: (await t.pair()).user("court", "admin") }), 404);
  });
});

describe("external identity", () => {
  it("maps the configured subject claim to a user; refuses unknown subjects and untrusted issuers", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: "idp-1", alg: "ES256" };
    const server = createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const t = await setup({
        env: {
          JWT_EXTERNAL_ISSUER: "https://idp.court.example",
          JWT_EXTERNAL_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
          JWT_EXTERNAL_SUBJECT_CLAIM: "employee_no",
        },
      });
      const p = await t.pair();
      const user = p.user("court", "handler");
      await t.deps.db.run(sql`update users set idp_subject = 'E-1001' where id = ${user.id}`);
      const now = Math.floor(t.clock.now().getTime() / 1000);
      const sign = (claims: Record<string, unknown>, iss = "https://idp.court.example") =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
          .setIssuer(iss)
          .setAudience(t.config.JWT_AUDIENCE)
          .setSubject("someone-else")
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .sign(privateKey);
      const me = async (token: string) =>
        t.request("/v1/me", { headers: { authorization: `Bearer ${token}` } });
      expect((await me(await sign({ employee_no: "E-1001" }))).body.user.id).toBe(user.id);
      expectProblem(await me(await sign({ employee_no: "E-9999" })), 401, "unknown_user");
      expectProblem(await me(await sign({})), 401, "token_claim_missing");
      // The same key under an issuer that is not trusted: refused.
      const untrusted = await me(await sign({ employee_no: "E-1001" }, "https://evil.example"));
      expectProblem(untrusted, 401);
      expect(["token_unknown_key", "token_issuer_invalid"]).toContain(untrusted.body.code);
    } finally {
      server.close();
    }
  });
});
