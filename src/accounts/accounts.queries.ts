// SQL of sign-in: the login read, the failure counters (login_throttle upserts), refresh-token
// rotation with reuse detection, logout, password change, disabling users and the sign-in audit.
// Each builder is one statement; the service puts a request's statements in one db.batch.
import { and, desc, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import type { Db } from "../db/client";
import { authEvents, organizations, users } from "../db/schema";

/**
 * The failure limits of sign-in, in one place. Failures are counted per account (its e-mail, known
 * or not, so the answer never tells whether it exists) and per source address, in a window that
 * starts at the first failure. From `delayAfter` failures on, each further failure makes the key
 * wait 2^(failures − delayAfter) seconds (at most `lockMs`) before the next attempt; at `lockAfter`
 * the key is locked for `lockMs`. A source counts higher: a whole court may sit behind one address.
 */
export const LOGIN_LIMITS = {
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  account: { delayAfter: 5, lockAfter: 10 },
  source: { delayAfter: 20, lockAfter: 50 },
} as const;

export type ThrottleKind = "account" | "source";
export const throttleKey = (kind: ThrottleKind, value: string) => `${kind}:${value}`;

export type AccountKind = "user" | "operator";

/** SQL true when the account (of `kind`, both SQL) is active: a user or an operator. */
export function accountActive(id: SQL, kind: SQL): SQL {
  return sql`(case ${kind}
    when 'user' then exists (select 1 from users ua_ where ua_.id = ${id} and ua_.active = 1)
    when 'operator' then exists (select 1 from operators oa_ where oa_.id = ${id} and oa_.active = 1)
    else 0 end)`;
}

export type LoginRead = {
  account: { id: string; kind: AccountKind; orgId: string | null; hash: string | null } | null;
  throttle: { key: string; failures: number; lockedUntil: string | null }[];
};

/**
 * The login read, one statement: the active account of that e-mail (a user or an operator) with its
 * password hash, and the failure counters of the account and the source. Users and operators share
 * one e-mail namespace (`emailInUse` guards every account creation); should a database still hold
 * both for one e-mail, the older account is the one that signs in, never a newer one shadowing it.
 */
export async function loginRead(db: Db, email: string, keys: string[]): Promise<LoginRead> {
  const [row] = await db.values<[string | null, string]>(sql`select
    (select json_object('id', a_.id, 'kind', a_.kind, 'orgId', a_.org_id, 'hash', c_.password_hash)
      from (select id, 'user' as kind, org_id, created_at from users where email = ${email} and active = 1
        union all
        select id, 'operator', null, created_at from operators where email = ${email} and active = 1) a_
      left join credentials c_ on c_.account_id = a_.id
      order by a_.created_at, a_.id
      limit 1),
    (select json_group_array(json_object(
        'key', key, 'failures', failures, 'lockedUntil', locked_until))
      from login_throttle where key in ${keys})`);
  return {
    account: row?.[0] ? JSON.parse(row[0]) : null,
    throttle: JSON.parse(row?.[1] ?? "[]"),
  };
}

/**
 * Counts a failure against a key, atomically (an upsert): a window older than LOGIN_LIMITS.windowMs
 * starts again at 1; past `delayAfter` the key waits, at `lockAfter` it is locked.
 */
export function countFailure(db: Db, key: string, kind: ThrottleKind, now: Date) {
  const at = now.toISOString();
  const windowStart = new Date(now.getTime() - LOGIN_LIMITS.windowMs).toISOString();
  const { delayAfter, lockAfter } = LOGIN_LIMITS[kind];
  const lockSeconds = LOGIN_LIMITS.lockMs / 1000;
  // The count after this failure; in DO UPDATE, bare columns are the row's values before it.
  const n = sql`(case when window_started_at <= ${windowStart} then 1 else failures + 1 end)`;
  const until = (seconds: SQL) => sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${at}, '+' || ${seconds} || ' seconds')`;
  return db.run(sql`insert into login_throttle (key, failures, window_started_at, locked_until)
    values (${key}, 1, ${at}, ${delayAfter <= 1 ? until(sql`1`) : null})
    on conflict (key) do update set
      failures = ${n},
      window_started_at = case when window_started_at <= ${windowStart} then ${at} else window_started_at end,
      locked_until = case
        when ${n} >= ${lockAfter} then ${until(sql`${lockSeconds}`)}
        when ${n} >= ${delayAfter} then ${until(sql`min(1 << (${n} - ${delayAfter}), ${lockSeconds})`)}
        else null end`);
}

/** SQL true while none of `keys` is waiting or locked at `now`. */
export function notThrottled(keys: string[], now: Date): SQL {
  return sql`not exists (select 1 from login_throttle lt_
    where lt_.key in ${keys} and lt_.locked_until > ${now.toISOString()})`;
}

/** The latest end of a wait or lock on `keys` (for Retry-After when a login was refused). */
export function throttledUntil(db: Db, keys: string[]) {
  return db.all<{ until: string | null; failures: number | null }>(sql`select max(locked_until) as until,
    max(failures) as failures from login_throttle where key in ${keys}`);
}

/** Forgets the failures of a key (a successful login resets its account's counter). */
export function resetFailures(db: Db, key: string, when: SQL) {
  return db.run(sql`delete from login_throttle where key = ${key} and ${when}`);
}

export type AuthEventKind =
  | "login_succeeded"
  | "login_failed"
  | "login_locked"
  | "refresh_reused"
  | "logout"
  | "password_changed"
  | "user_disabled"
  | "user_enabled";

export type AuthEventRow = {
  id: string;
  orgId: string | null;
  accountId: string | null;
  email: string | null;
  kind: AuthEventKind;
  source: string | null;
  at: string;
  detail?: Record<string, unknown> | null;
};

/** An audit row, written only when `when` holds (SQL, evaluated in the same batch as the change). */
export function insertAuthEvent(db: Db, e: AuthEventRow, when: SQL = sql`1`) {
  return db.run(sql`insert into auth_events (id, org_id, account_id, email, kind, source, at, detail)
    select ${e.id}, ${e.orgId}, ${e.accountId}, ${e.email}, ${e.kind}, ${e.source}, ${e.at},
      ${e.detail ? JSON.stringify(e.detail) : null}
    where ${when}`);
}

/** Updates a password hash only if it is still the one verified (a concurrent change wins). */
export function replaceHash(
  db: Db,
  accountId: string,
  oldHash: string,
  newHash: string,
  when: SQL,
  at?: string,
) {
  return db.run(sql`update credentials set password_hash = ${newHash}
      ${at ? sql`, changed_at = ${at}` : sql``}
    where account_id = ${accountId} and password_hash = ${oldHash} and ${when}`);
}

// ── Refresh ───────────────────────────────────────────────────────────────────────────────────────

/**
 * Refresh-token rotation, in batch order. (1) A token presented again after its use revokes its whole
 * session (the family) and is audited; (2) an unused token of a live session (not revoked, not
 * expired, account active) is marked used; (3) only then is its successor inserted; (4) the session's
 * state is read back. A second use — even concurrent, since the batches are serialised — finds the
 * token used, so of two presentations at most one gets a successor, and the family ends.
 */
export function rotateRefresh(
  db: Db,
  r: { oldHash: string; newHash: string; newId: string; eventId: string; now: Date; source: string | null },
) {
  const at = r.now.toISOString();
  const used = sql`(select rt_.session_id from refresh_tokens rt_
    where rt_.token_hash = ${r.oldHash} and rt_.used_at is not null)`;
  return [
    db.run(sql`insert into auth_events (id, org_id, account_id, email, kind, source, at, detail)
      select ${r.eventId}, s_.org_id, s_.account_id, null, 'refresh_reused', ${r.source}, ${at},
        json_object('sessionId', s_.id)
      from auth_sessions s_ where s_.id = ${used} and s_.revoked_at is null`),
    db.run(sql`update auth_sessions set revoked_at = ${at}, revoked_reason = 'refresh_reuse'
      where id = ${used} and revoked_at is null`),
    db.run(sql`update refresh_tokens set used_at = ${at}
      where token_hash = ${r.oldHash} and used_at is null and session_id in
        (select s_.id from auth_sessions s_ where s_.revoked_at is null and s_.expires_at > ${at}
          and ${accountActive(sql`s_.account_id`, sql`s_.account_kind`)})`),
    db.run(sql`insert into refresh_tokens (id, session_id, token_hash, created_at)
      select ${r.newId}, rt_.session_id, ${r.newHash}, ${at} from refresh_tokens rt_
      join auth_sessions s_ on s_.id = rt_.session_id
      where rt_.token_hash = ${r.oldHash} and rt_.used_at = ${at} and s_.revoked_at is null`),
    db.run(sql`update auth_sessions set last_used_at = ${at}
      where id = (select session_id from refresh_tokens where token_hash = ${r.newHash})`),
    db.all<{
      sessionId: string;
      accountId: string;
      kind: AccountKind;
      expiresAt: string;
      revokedAt: string | null;
      usedAt: string | null;
      issued: number;
    }>(sql`select s_.id as sessionId, s_.account_id as accountId, s_.account_kind as kind,
        s_.expires_at as expiresAt, s_.revoked_at as revokedAt, rt_.used_at as usedAt,
        exists (select 1 from refresh_tokens n_ where n_.token_hash = ${r.newHash}) as issued
      from refresh_tokens rt_ join auth_sessions s_ on s_.id = rt_.session_id
      where rt_.token_hash = ${r.oldHash}`),
  ] as const;
}

// ── Logout, password ──────────────────────────────────────────────────────────────────────────────

/** Ends one session of an account (idempotent), with its audit row when it was still open. */
export function endSession(
  db: Db,
  s: { sessionId: string; accountId: string; eventId: string; at: string; source: string | null },
) {
  const open = sql`from auth_sessions s_ where s_.id = ${s.sessionId} and s_.account_id = ${s.accountId}
    and s_.revoked_at is null`;
  return [
    db.run(sql`insert into auth_events (id, org_id, account_id, email, kind, source, at)
      select ${s.eventId}, s_.org_id, s_.account_id, null, 'logout', ${s.source}, ${s.at} ${open}`),
    db.run(sql`update auth_sessions set revoked_at = ${s.at}, revoked_reason = 'logout'
      where id = ${s.sessionId} and account_id = ${s.accountId} and revoked_at is null`),
  ] as const;
}

export type PasswordRead = {
  id: string;
  kind: AccountKind;
  orgId: string | null;
  email: string;
  hash: string | null;
};

/**
 * The account a password change is for, if it is active and (for a token of a login session) that
 * session is open: one statement.
 */
export async function passwordRead(db: Db, accountId: string, kind: AccountKind, sessionId?: string) {
  const table = kind === "operator" ? sql`operators` : sql`users`;
  const org = kind === "operator" ? sql`null` : sql`a_.org_id`;
  const session = sessionId
    ? sql`and exists (select 1 from auth_sessions s_ where s_.id = ${sessionId} and s_.account_id = a_.id
        and s_.revoked_at is null)`
    : sql``;
  const [row] = await db.values<[string]>(sql`select json_object('id', a_.id, 'kind', ${kind},
      'orgId', ${org}, 'email', a_.email, 'hash', c_.password_hash)
    from ${table} a_ left join credentials c_ on c_.account_id = a_.id
    where a_.id = ${accountId} and a_.active = 1 ${session}`);
  return row ? (JSON.parse(row[0]) as PasswordRead) : null;
}

/** Ends every session of an account but `keep` when `when` holds. */
export function endOtherSessions(
  db: Db,
  accountId: string,
  keep: string | undefined,
  reason: string,
  at: string,
  when: SQL,
) {
  return db.run(sql`update auth_sessions set revoked_at = ${at}, revoked_reason = ${reason}
    where account_id = ${accountId} and revoked_at is null
      ${keep ? sql`and id <> ${keep}` : sql``} and ${when}`);
}

// ── Disabling users (scoped: the caller's own organisation, admins only) ──────────────────────────

/**
 * Sets a user active or not, for an admin of its organisation (tenancy and role in the statement),
 * never the caller itself; with its audit row and, when disabling, the end of all its sessions.
 */
export function setUserActive(
  scope: Scope,
  p: { userId: string; active: boolean; eventId: string; at: string },
) {
  const db = scope.db;
  const target = sql`from users u_ where u_.id = ${p.userId} and ${scope.visible(users, "u_")}
    and ${scope.hasRole(["admin"])} and u_.id <> ${scope.me.userId}`;
  const kind = p.active ? "user_enabled" : "user_disabled";
  return [
    db.run(sql`insert into auth_events (id, org_id, account_id, email, kind, source, at, detail)
      select ${p.eventId}, u_.org_id, u_.id, u_.email, ${kind}, null, ${p.at},
        json_object('by', ${scope.me.userId})
      ${target} and u_.active = ${p.active ? 0 : 1}`),
    db.run(sql`update users set active = ${p.active ? 1 : 0}
      where id in (select u_.id ${target}) and active = ${p.active ? 0 : 1}`),
    db.run(sql`update auth_sessions set revoked_at = ${p.at}, revoked_reason = 'user_disabled'
      where account_kind = 'user' and account_id in (select u_.id ${target} and u_.active = 0)
        and revoked_at is null`),
    db
      .select({ id: users.id, email: users.email, name: users.name, active: users.active })
      .from(users)
      .where(and(scope.visible(users), eq(users.id, p.userId))),
  ] as const;
}

// ── The sign-in audit ─────────────────────────────────────────────────────────────────────────────

/** The caller's own organisation, if `id` is it (the audit is read only there). */
export function ownOrganization(scope: Scope, id: string) {
  return scope.db
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(eq(organizations.id, id), sql`${organizations.id} = ${scope.me.orgId}`));
}

/** Sign-in events of an organisation, newest first (ids are time-ordered ULIDs). */
export function listAuthEvents(
  scope: Scope,
  q: { orgId: string; limit: number; cursor?: string; kinds?: string[]; since?: string },
) {
  return scope.db
    .select({
      id: authEvents.id,
      kind: authEvents.kind,
      at: authEvents.at,
      accountId: authEvents.accountId,
      email: authEvents.email,
      source: authEvents.source,
      detail: authEvents.detail,
    })
    .from(authEvents)
    .where(
      and(
        scope.visible(authEvents),
        eq(authEvents.orgId, q.orgId),
        q.cursor ? lt(authEvents.id, q.cursor) : undefined,
        q.kinds?.length ? inArray(authEvents.kind, q.kinds) : undefined,
        q.since ? gte(authEvents.at, q.since) : undefined,
      ),
    )
    .orderBy(desc(authEvents.id))
    .limit(q.limit + 1);
}
