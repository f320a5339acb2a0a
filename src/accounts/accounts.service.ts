// Sign-in: login with throttling, refresh rotation, logout and password change. Each is one read
// round trip (where a password hash must be checked, the hash runs between the read and one write
// batch) and every change is audited in the batch that makes it.
import { sql } from "drizzle-orm";
import type { Subject } from "../auth/jwt";
import type { Deps } from "../http/api";
import { ApiError } from "../http/problem";
import {
  accountActive,
  countFailure,
  endOtherSessions,
  endSession,
  insertAuthEvent,
  LOGIN_LIMITS,
  loginRead,
  notThrottled,
  passwordRead,
  replaceHash,
  resetFailures,
  rotateRefresh,
  throttledUntil,
  throttleKey,
} from "./accounts.queries";
import { DUMMY_HASH, hashPassword, needsRehash, verifyPassword } from "./password";
import {
  accessToken,
  hashToken,
  loginUnavailable,
  newRefreshToken,
  openSession,
  type TokenResponse,
} from "./sessions";

const invalidCredentials = () =>
  new ApiError(401, "invalid_credentials", "The e-mail or the password is not right.");

/** 429 for a key that waits (`login_throttled`) or is locked (`login_locked`). */
function refused(until: string, failures: number, now: Date) {
  const seconds = Math.max(1, Math.ceil((new Date(until).getTime() - now.getTime()) / 1000));
  const locked = failures >= LOGIN_LIMITS.account.lockAfter;
  return new ApiError(
    429,
    locked ? "login_locked" : "login_throttled",
    locked
      ? `Too many failed sign-ins: locked for ${seconds} s.`
      : `Too many failed sign-ins: wait ${seconds} s before trying again.`,
    { headers: { "retry-after": String(seconds) } },
  );
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/**
 * POST /v1/auth/login. Round trips: one read (account, hash, counters), then one write batch. The
 * answer to a wrong password and to an unknown e-mail is the same, after the same work (a hash
 * verified against DUMMY_HASH when there is no account or no password).
 */
export async function login(
  deps: Deps,
  input: { email: string; password: string; source: string | undefined },
): Promise<TokenResponse> {
  if (!deps.signer) throw loginUnavailable();
  const now = deps.clock.now();
  const at = now.toISOString();
  const email = normalizeEmail(input.email);
  const source = input.source ?? null;
  const accountKey = throttleKey("account", email);
  const keys = source ? [accountKey, throttleKey("source", source)] : [accountKey];

  const { account, throttle } = await loginRead(deps.db, email, keys);
  const waiting = throttle.filter((t) => t.lockedUntil && t.lockedUntil > at);
  if (waiting.length) {
    const worst = waiting.reduce((a, b) => (a.lockedUntil! > b.lockedUntil! ? a : b));
    const acct = waiting.find((t) => t.key === accountKey);
    throw refused(worst.lockedUntil!, acct?.failures ?? 0, now);
  }

  const ok = await verifyPassword(input.password, account?.hash ?? DUMMY_HASH);
  const event = { orgId: account?.orgId ?? null, accountId: account?.id ?? null, email, source, at };

  if (!ok || !account?.hash) {
    const { lockAfter } = LOGIN_LIMITS.account;
    await deps.db.batch([
      countFailure(deps.db, accountKey, "account", now),
      ...(source ? [countFailure(deps.db, throttleKey("source", source), "source", now)] : []),
      insertAuthEvent(deps.db, { id: deps.ids(), kind: "login_failed", ...event }),
      // The failure that locks the account is audited as such (later attempts are refused unread).
      insertAuthEvent(
        deps.db,
        { id: deps.ids(), kind: "login_locked", ...event, detail: { until: lockEnd(now) } },
        sql`exists (select 1 from login_throttle where key = ${accountKey} and failures = ${lockAfter})`,
      ),
    ]);
    throw invalidCredentials();
  }

  // The session opens only if no wait or lock began meanwhile and the account is still active.
  const guard = sql`${notThrottled(keys, now)}
    and ${accountActive(sql`${account.id}`, sql`${account.kind}`)}`;
  const session = await openSession(deps, account, now, { guard });
  const rehash = needsRehash(account.hash) ? await hashPassword(input.password) : undefined;
  const [opened, ...rest] = await deps.db.batch([
    ...(session.statements as [ReturnType<typeof deps.db.run>, ...ReturnType<typeof deps.db.run>[]]),
    ...(rehash ? [replaceHash(deps.db, account.id, account.hash, rehash, session.opened)] : []),
    resetFailures(deps.db, accountKey, session.opened),
    insertAuthEvent(
      deps.db,
      { id: deps.ids(), kind: "login_succeeded", ...event, detail: { sessionId: session.sessionId } },
      session.opened,
    ),
    throttledUntil(deps.db, keys),
  ]);
  if (opened.rowsAffected === 1) return session.response;
  const [state] = rest[rest.length - 1] as { until: string | null; failures: number | null }[];
  if (state?.until && state.until > at) throw refused(state.until, state.failures ?? 0, now);
  throw invalidCredentials();
}

const lockEnd = (now: Date) => new Date(now.getTime() + LOGIN_LIMITS.lockMs).toISOString();

const refreshError = (code: string, detail: string) => new ApiError(401, code, detail);

/** POST /v1/auth/refresh: one write batch (rotation, reuse detection, read-back); then signing. */
export async function refresh(
  deps: Deps,
  input: { refreshToken: string; source: string | undefined },
): Promise<TokenResponse> {
  if (!deps.signer) throw loginUnavailable();
  const now = deps.clock.now();
  const next = newRefreshToken();
  const [oldHash, newHash] = await Promise.all([hashToken(input.refreshToken), hashToken(next)]);
  const results = await deps.db.batch(
    rotateRefresh(deps.db, {
      oldHash,
      newHash,
      newId: deps.ids(),
      eventId: deps.ids(),
      now,
      source: input.source ?? null,
    }),
  );
  const [s] = results[results.length - 1] as {
    sessionId: string;
    accountId: string;
    kind: "user" | "operator";
    expiresAt: string;
    revokedAt: string | null;
    usedAt: string | null;
    issued: number;
  }[];
  if (!s) throw refreshError("refresh_token_invalid", "The refresh token is not known.");
  if (s.issued)
    return {
      accessToken: await accessToken(deps, { id: s.accountId, kind: s.kind }, s.sessionId),
      tokenType: "Bearer",
      expiresIn: deps.signer.ttlSeconds,
      refreshToken: next,
      refreshExpiresAt: s.expiresAt,
    };
  if (s.usedAt)
    throw refreshError(
      "refresh_token_reused",
      "The refresh token was already used: its session has been ended. Sign in again.",
    );
  if (s.revokedAt) throw refreshError("refresh_token_revoked", "The session has ended. Sign in again.");
  if (s.expiresAt <= now.toISOString())
    throw refreshError("refresh_token_expired", "The session has expired. Sign in again.");
  throw refreshError("refresh_token_revoked", "The account is no longer active. Sign in again.");
}

const noSession = () =>
  new ApiError(
    409,
    "no_session",
    "This token belongs to no login session (a development or external token): there is nothing to end.",
  );

/** POST /v1/auth/logout: ends the caller's session; idempotent. One batch. */
export async function logout(deps: Deps, subject: Subject, source: string | undefined) {
  if (subject.issuer !== "local" || !subject.sid) throw noSession();
  await deps.db.batch(
    endSession(deps.db, {
      sessionId: subject.sid,
      accountId: subject.sub,
      eventId: deps.ids(),
      at: deps.clock.now().toISOString(),
      source: source ?? null,
    }),
  );
}

export const PASSWORD_MIN_LENGTH = 12;

/**
 * POST /v1/auth/password: one read, the hashes, one write batch. The new hash replaces the verified
 * one only if it is still in place; every other session of the account ends in the same batch, so
 * their access tokens fail on their next request (the sid check of the principal look-up).
 */
export async function changePassword(
  deps: Deps,
  subject: Subject,
  input: { currentPassword: string; newPassword: string; source: string | undefined },
) {
  if (subject.issuer !== "local")
    throw new ApiError(
      403,
      "password_not_local",
      "Accounts signed in through the external issuer have no password here.",
    );
  const now = deps.clock.now();
  const at = now.toISOString();
  const kind = subject.account ?? "user";
  const account = await passwordRead(deps.db, subject.sub, kind, subject.sid);
  if (!account)
    throw new ApiError(401, "unknown_user", "The token's subject is not an active account.", {
      headers: { "www-authenticate": 'Bearer error="invalid_token"' },
    });
  if (input.newPassword.trim().toLowerCase() === account.email.toLowerCase())
    throw new ApiError(422, "password_rejected", "The new password may not be the e-mail address.");
  if (input.newPassword === input.currentPassword)
    throw new ApiError(422, "password_rejected", "The new password must differ from the current one.");
  const ok = await verifyPassword(input.currentPassword, account.hash ?? DUMMY_HASH);
  if (!ok || !account.hash) {
    await deps.db.batch([countFailure(deps.db, throttleKey("account", account.email), "account", now)]);
    throw new ApiError(403, "current_password_invalid", "The current password is not right.");
  }
  const hash = await hashPassword(input.newPassword);
  const changed = sql`exists (select 1 from credentials where account_id = ${account.id}
    and password_hash = ${hash})`;
  const [replaced] = await deps.db.batch([
    replaceHash(deps.db, account.id, account.hash, hash, sql`1`, at),
    endOtherSessions(deps.db, account.id, subject.sid, "password_changed", at, changed),
    insertAuthEvent(
      deps.db,
      {
        id: deps.ids(),
        kind: "password_changed",
        orgId: account.orgId,
        accountId: account.id,
        email: account.email,
        source: input.source ?? null,
        at,
      },
      changed,
    ),
  ]);
  if (replaced.rowsAffected !== 1)
    throw new ApiError(
      409,
      "password_changed_concurrently",
      "The password was changed meanwhile; nothing changed.",
    );
}
