// Sign-in: login with throttling, refresh rotation, logout and password change. Where a password
// must be checked (login, password change) there are two round trips: one batch that reads the
// account and reserves the attempt on the failure counters, the hash, then one write batch; the rest
// are one round trip each. Every change is audited in the batch that makes it.
import { sql } from "drizzle-orm";
import type { Subject } from "../auth/jwt";
import type { Deps } from "../http/api";
import { ApiError } from "../http/problem";
import {
  type AuthEventRow,
  accountActive,
  credentialsUnchanged,
  delayAfterFailure,
  endOtherSessions,
  endSession,
  insertAuthEvent,
  LOGIN_LIMITS,
  loginRead,
  parseLoginRead,
  parsePasswordRead,
  passwordRead,
  releaseReservation,
  replaceHash,
  reserveAttempt,
  resetFailures,
  rotateRefresh,
  type ThrottleRow,
  type ThrottleTarget,
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

/**
 * 429 for an attempt that got no reservation: `login_locked` when a key is locked, else
 * `login_throttled`, with the latest end as Retry-After. It depends only on the counters, never on
 * the password (which is not even hashed).
 */
function refused(throttle: ThrottleRow[], now: Date) {
  const at = now.toISOString();
  const waiting = throttle.filter((t) => t.lockedUntil && t.lockedUntil > at);
  const until =
    waiting
      .map((t) => t.lockedUntil!)
      .sort()
      .at(-1) ?? at;
  const seconds = Math.max(1, Math.ceil((new Date(until).getTime() - now.getTime()) / 1000));
  const locked = waiting.some(
    (t) => t.failures >= LOGIN_LIMITS[t.key.startsWith("source:") ? "source" : "account"].lockAfter,
  );
  return new ApiError(
    429,
    locked ? "login_locked" : "login_throttled",
    locked
      ? `Too many failed sign-ins: locked for ${seconds} s.`
      : `Too many failed sign-ins: wait ${seconds} s before trying again.`,
    { headers: { "retry-after": String(seconds) } },
  );
}

/** The counters' targets of an attempt: its account key, and its source's when there is one. */
function targetsOf(accountKey: ThrottleTarget["key"], source: string | null): ThrottleTarget[] {
  return [
    { key: accountKey, kind: "account" },
    ...(source ? [{ key: sql`${throttleKey("source", source)}`, kind: "source" as const }] : []),
  ];
}

/**
 * What a failed attempt writes (its count is already there, from its reservation): the wait each key
 * now owes (`delayAfterFailure`), its audit row (`kind`), and the lock's when this very attempt's
 * reservation reached it (only one can: the next ones are refused) — all when `when` holds.
 */
function failureWrites(
  deps: Deps,
  kind: "login_failed" | "password_change_failed",
  event: Omit<AuthEventRow, "id" | "kind">,
  throttle: ThrottleRow[],
  accountKey: string,
  now: Date,
  when = sql`1`,
) {
  const accountRow = throttle.find((t) => t.key === accountKey);
  const reachedLock = accountRow?.failures === LOGIN_LIMITS.account.lockAfter;
  return [
    ...throttle.flatMap((row) => delayAfterFailure(deps.db, row, now, when) ?? []),
    insertAuthEvent(deps.db, { id: deps.ids(), kind, ...event }, when),
    ...(reachedLock
      ? [
          insertAuthEvent(
            deps.db,
            { id: deps.ids(), kind: "login_locked", ...event, detail: { until: accountRow.lockedUntil } },
            when,
          ),
        ]
      : []),
  ];
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** For tests: runs between the password check and the write batch (to change state meanwhile). */
export type LoginHooks = { afterVerify?: () => Promise<void> };

/**
 * POST /v1/auth/login. Round trips: one batch that reserves the attempt (counts it against the
 * account and the source, or refuses it when either waits or is locked) and reads the account, its
 * hash and the counters; the hash, only for a reserved attempt; then one write batch. The answer to
 * a wrong password and to an unknown e-mail is the same, after the same work (a hash verified
 * against DUMMY_HASH when there is no account or no password).
 */
export async function login(
  deps: Deps,
  input: { email: string; password: string; source: string | undefined },
  hooks: LoginHooks = {},
): Promise<TokenResponse> {
  if (!deps.signer) throw loginUnavailable();
  const now = deps.clock.now();
  const at = now.toISOString();
  const email = normalizeEmail(input.email);
  const source = input.source ?? null;
  const accountKey = throttleKey("account", email);

  const r = reserveAttempt(deps.db, {
    ticket: deps.ids(),
    targets: targetsOf(sql`${accountKey}`, source),
    now,
  });
  const results = await deps.db.batch([
    ...r.before,
    loginRead(deps.db, email, r.keys, r.reserved),
    ...r.after,
  ]);
  const { account, throttle, reserved } = parseLoginRead(results[r.before.length]);
  if (!reserved) throw refused(throttle, now);

  const ok = await verifyPassword(input.password, account?.hash ?? DUMMY_HASH);
  await hooks.afterVerify?.();
  const event = { orgId: account?.orgId ?? null, accountId: account?.id ?? null, email, source, at };
  const sourceRow = throttle.find((t) => t.key !== accountKey);

  if (!ok || !account?.hash) {
    // The attempt is already counted (its reservation): the wait it now owes and the audit are left.
    await deps.db.batch(failureWrites(deps, "login_failed", event, throttle, accountKey, now) as never);
    throw invalidCredentials();
  }

  // The session opens only if the verified hash is still the stored one (no password change or
  // reset meanwhile) and the account is still active. No lock check: this attempt holds a
  // reservation, and a lock set by later attempts does not take back one given before it.
  const guard = sql`${credentialsUnchanged(account.id, account.hash, account.changedAt)}
    and ${accountActive(sql`${account.id}`, sql`${account.kind}`)}`;
  const session = await openSession(deps, account, now, { guard });
  const rehash = needsRehash(account.hash) ? await hashPassword(input.password) : undefined;
  const [opened] = await deps.db.batch([
    ...(session.statements as [ReturnType<typeof deps.db.run>, ...ReturnType<typeof deps.db.run>[]]),
    ...(rehash ? [replaceHash(deps.db, account.id, account.hash, rehash, session.opened)] : []),
    resetFailures(deps.db, sql`${accountKey}`, session.opened),
    ...(sourceRow ? [releaseReservation(deps.db, sourceRow, session.opened)] : []),
    insertAuthEvent(
      deps.db,
      { id: deps.ids(), kind: "login_succeeded", ...event, detail: { sessionId: session.sessionId } },
      session.opened,
    ),
    // Refused (the password changed meanwhile, or the account was disabled): a failure, counted.
    ...failureWrites(deps, "login_failed", event, throttle, accountKey, now, sql`not ${session.opened}`),
  ]);
  if (opened.rowsAffected === 1) return session.response;
  throw invalidCredentials();
}

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
 * POST /v1/auth/password: like a login, one batch that reserves the attempt (per account and per
 * source, on the same counters as sign-in) and reads the account, the hashes, one write batch. A
 * wrong current password counts and is audited (`password_change_failed`); once the account or the
 * source waits or is locked, the change is refused with the same 429 as a login, before any hash.
 * The new hash replaces the verified one only if it is still in place; every other session of the
 * account ends in the same batch, so their access tokens fail on their next request (the sid check of
 * the principal look-up).
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
  if (input.newPassword === input.currentPassword)
    throw new ApiError(422, "password_rejected", "The new password must differ from the current one.");
  const now = deps.clock.now();
  const at = now.toISOString();
  const source = input.source ?? null;
  const kind = subject.account ?? "user";
  const pr = passwordRead(deps.db, subject.sub, kind, subject.sid);
  // A new password that is the e-mail is refused (422) without taking a reservation.
  const newIsEmail = throttleKey("account", input.newPassword.trim().toLowerCase());
  const r = reserveAttempt(deps.db, {
    ticket: deps.ids(),
    targets: targetsOf(pr.accountKey, source),
    now,
    when: sql`${pr.exists} and ${pr.accountKey} <> ${newIsEmail}`,
  });
  const results = await deps.db.batch([...r.before, pr.read(r.keys, r.reserved), ...r.after]);
  const { account, throttle, reserved } = parsePasswordRead(results[r.before.length]);
  if (!account)
    throw new ApiError(401, "unknown_user", "The token's subject is not an active account.", {
      headers: { "www-authenticate": 'Bearer error="invalid_token"' },
    });
  if (input.newPassword.trim().toLowerCase() === account.email.toLowerCase())
    throw new ApiError(422, "password_rejected", "The new password may not be the e-mail address.");
  if (!reserved) throw refused(throttle, now);

  const accountKey = throttleKey("account", account.email.toLowerCase());
  const sourceRow = throttle.find((t) => t.key !== accountKey);
  const event = { orgId: account.orgId, accountId: account.id, email: account.email, source, at };
  const ok = await verifyPassword(input.currentPassword, account.hash ?? DUMMY_HASH);
  if (!ok || !account.hash) {
    await deps.db.batch(
      failureWrites(deps, "password_change_failed", event, throttle, accountKey, now) as never,
    );
    throw new ApiError(403, "current_password_invalid", "The current password is not right.");
  }
  const hash = await hashPassword(input.newPassword);
  const changed = sql`exists (select 1 from credentials where account_id = ${account.id}
    and password_hash = ${hash})`;
  const [replaced] = await deps.db.batch([
    replaceHash(deps.db, account.id, account.hash, hash, sql`changed_at is ${account.changedAt}`, at),
    endOtherSessions(deps.db, account.id, subject.sid, "password_changed", at, changed),
    resetFailures(deps.db, sql`${accountKey}`, changed),
    ...(sourceRow ? [releaseReservation(deps.db, sourceRow, changed)] : []),
    insertAuthEvent(deps.db, { id: deps.ids(), kind: "password_changed", ...event }, changed),
  ]);
  if (replaced.rowsAffected !== 1)
    throw new ApiError(
      409,
      "password_changed_concurrently",
      "The password was changed meanwhile; nothing changed.",
    );
}
