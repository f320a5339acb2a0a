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

export type ThrottleRow = {
  key: string;
  failures: number;
  windowStartedAt: string;
  lockedUntil: string | null;
};

/** The JSON of the throttle rows of `keys` (SQL), for a read statement. */
const throttleJson = (keys: SQL) => sql`(select json_group_array(json_object('key', key,
    'failures', failures, 'windowStartedAt', window_started_at, 'lockedUntil', locked_until))
  from login_throttle where key in ${keys})`;

/** One key an attempt is counted against: its value as SQL (a literal, or a sub-query). */
export type ThrottleTarget = { key: SQL; kind: ThrottleKind };

/**
 * Reserves an attempt before its password is hashed, atomically: statements for the caller's single
 * batch (libSQL serialises write transactions, so concurrent attempts each see the counts of the
 * ones before). `before` goes first: a ticket row (key `ticket:<id>`, visible to no one else, since
 * `after` deletes it in the same transaction) is inserted only if none of the keys is waiting or
 * locked (and `when` holds); then each key's counter is raised — the attempt counts as a failure
 * until a success takes it back — only if the ticket exists; without a ticket, a key that is locked
 * (not merely waiting) counts the refused attempt in its own row, beyond `lockAfter`. `reserved` is
 * SQL true between `before` and `after` when the attempt may go on to hash a password.
 */
export function reserveAttempt(
  db: Db,
  r: { ticket: string; targets: ThrottleTarget[]; now: Date; when?: SQL },
) {
  const at = r.now.toISOString();
  const ticket = `ticket:${r.ticket}`;
  const keys = sql`(${sql.join(
    r.targets.map((t) => t.key),
    sql`, `,
  )})`;
  const reserved = sql`exists (select 1 from login_throttle tk_ where tk_.key = ${ticket})`;
  const windowStart = new Date(r.now.getTime() - LOGIN_LIMITS.windowMs).toISOString();
  const lockSeconds = LOGIN_LIMITS.lockMs / 1000;
  const until = (seconds: SQL) => sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${at}, '+' || ${seconds} || ' seconds')`;
  const count = ({ key, kind }: ThrottleTarget) => {
    const { lockAfter } = LOGIN_LIMITS[kind];
    // The count after this attempt; in DO UPDATE, bare columns are the row's values before it. The
    // attempt that reaches lockAfter locks at once (no attempt after it is reserved); the shorter
    // waits are set only by failures (`delayAfterFailure`), so attempts in flight never hold back
    // one another below the lock.
    const n = sql`(case when window_started_at <= ${windowStart} then 1 else failures + 1 end)`;
    return db.run(sql`insert into login_throttle (key, failures, window_started_at, locked_until)
      select k_.k, 1, ${at}, ${lockAfter <= 1 ? until(sql`${lockSeconds}`) : null}
      from (select ${key} as k) k_ where k_.k is not null and ${reserved}
      on conflict (key) do update set
        failures = ${n},
        window_started_at = case when window_started_at <= ${windowStart} then ${at} else window_started_at end,
        locked_until = case
          when ${n} >= ${lockAfter} then ${until(sql`${lockSeconds}`)}
          when window_started_at <= ${windowStart} then null
          else locked_until end`);
  };
  const countRefused = ({ key, kind }: ThrottleTarget) =>
    db.run(sql`update login_throttle set failures = failures + 1
      where key = ${key} and locked_until > ${at} and failures >= ${LOGIN_LIMITS[kind].lockAfter}
        and not ${reserved}`);
  return {
    keys,
    reserved,
    before: [
      db.run(sql`insert into login_throttle (key, failures, window_started_at, locked_until)
        select ${ticket}, 0, ${at}, null
        where not exists (select 1 from login_throttle lt_ where lt_.key in ${keys}
          and lt_.locked_until > ${at}) and ${r.when ?? sql`1`}`),
      ...r.targets.map(count),
      ...r.targets.map(countRefused),
    ] as const,
    after: [db.run(sql`delete from login_throttle where key = ${ticket}`)] as const,
  };
}

export type LoginRead = {
  account: {
    id: string;
    kind: AccountKind;
    orgId: string | null;
    hash: string | null;
    changedAt: string | null;
  } | null;
  throttle: ThrottleRow[];
  reserved: boolean;
};

/**
 * The login read, one statement for the reservation's batch (between `before` and `after`): the
 * active account of that e-mail (a user or an operator) with its password hash, the counters of the
 * account and the source after the reservation, and whether the attempt got one. Users and
 * operators share one e-mail namespace (`emailInUse` guards every account creation); should a
 * database still hold both for one e-mail, the older account is the one that signs in, never a newer
 * one shadowing it.
 */
export function loginRead(db: Db, email: string, keys: SQL, reserved: SQL) {
  return db.values<[string | null, string, number]>(sql`select
    (select json_object('id', a_.id, 'kind', a_.kind, 'orgId', a_.org_id, 'hash', c_.password_hash,
        'changedAt', c_.changed_at)
      from (select id, 'user' as kind, org_id, created_at from users where email = ${email} and active = 1
        union all
        select id, 'operator', null, created_at from operators where email = ${email} and active = 1) a_
      left join credentials c_ on c_.account_id = a_.id
      order by a_.created_at, a_.id
      limit 1),
    ${throttleJson(keys)},
    ${reserved}`);
}

export function parseLoginRead(rows: unknown): LoginRead {
  const [row] = rows as [string | null, string, number][];
  return {
    account: row?.[0] ? JSON.parse(row[0]) : null,
    throttle: JSON.parse(row?.[1] ?? "[]"),
    reserved: !!row?.[2],
  };
}

/**
 * After a failed attempt: from `delayAfter` on, the key waits 2^(n − delayAfter) s (at most the
 * lock), n being the count its reservation gave (`row`, read after it); a longer wait or lock set
 * meanwhile stays, and a window begun again since is left alone.
 */
export function delayAfterFailure(db: Db, row: ThrottleRow, now: Date, when: SQL = sql`1`) {
  const { delayAfter } = LOGIN_LIMITS[row.key.startsWith("source:") ? "source" : "account"];
  if (row.failures < delayAfter) return null;
  const seconds = Math.min(2 ** (row.failures - delayAfter), LOGIN_LIMITS.lockMs / 1000);
  const until = new Date(now.getTime() + seconds * 1000).toISOString();
  return db.run(sql`update login_throttle set locked_until = ${until}
    where key = ${row.key} and window_started_at = ${row.windowStartedAt}
      and (locked_until is null or locked_until < ${until}) and ${when}`);
}

/** SQL true while the credentials of `accountId` are still the ones that were verified. */
export function credentialsUnchanged(accountId: string, hash: string, changedAt: string | null): SQL {
  return sql`exists (select 1 from credentials cu_ where cu_.account_id = ${accountId}
    and cu_.password_hash = ${hash} and cu_.changed_at is ${changedAt})`;
}

/** Forgets the failures of a key (a success clears its account's counter) when `when` holds. */
export function resetFailures(db: Db, key: SQL, when: SQL) {
  return db.run(sql`delete from login_throttle where key = ${key} and ${when}`);
}

/**
 * Takes back a source's reservation after a success: one attempt less in the same window, and the
 * lock this very reservation set (`row` as read after it) lifted; a later one's wait or lock stays.
 */
export function releaseReservation(db: Db, row: ThrottleRow, when: SQL) {
  return db.run(sql`update login_throttle set failures = failures - 1,
      locked_until = case when locked_until is ${row.lockedUntil} then null else locked_until end
    where key = ${row.key} and window_started_at = ${row.windowStartedAt} and failures > 0 and ${when}`);
}

export type AuthEventKind =
  | "login_succeeded"
  | "login_failed"
  | "login_locked"
  | "password_change_failed"
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
  account: {
    id: string;
    kind: AccountKind;
    orgId: string | null;
    email: string;
    hash: string | null;
    changedAt: string | null;
  } | null;
  throttle: ThrottleRow[];
  reserved: boolean;
};

/**
 * The account a password change is for, if it is active and (for a token of a login session) that
 * session is open, as SQL pieces: `exists` (SQL true when it is) and `accountKey` (its throttle key,
 * `account:<e-mail>`, as a sub-query) for `reserveAttempt`, and `read`, the statement for the
 * reservation's batch (the account, the throttle rows after the reservation, whether it got one).
 */
export function passwordRead(db: Db, accountId: string, kind: AccountKind, sessionId?: string) {
  const table = kind === "operator" ? sql`operators` : sql`users`;
  const org = kind === "operator" ? sql`null` : sql`a_.org_id`;
  const session = sessionId
    ? sql`and exists (select 1 from auth_sessions s_ where s_.id = ${sessionId} and s_.account_id = a_.id
        and s_.revoked_at is null)`
    : sql``;
  const from = sql`from ${table} a_ where a_.id = ${accountId} and a_.active = 1 ${session}`;
  return {
    exists: sql`exists (select 1 ${from})`,
    accountKey: sql`(select 'account:' || lower(a_.email) ${from})`,
    read: (keys: SQL, reserved: SQL) =>
      db.values<[string | null, string, number]>(sql`select
        (select json_object('id', a_.id, 'kind', ${kind}, 'orgId', ${org}, 'email', a_.email,
            'hash', c_.password_hash, 'changedAt', c_.changed_at)
          from ${table} a_ left join credentials c_ on c_.account_id = a_.id
          where a_.id = ${accountId} and a_.active = 1 ${session}),
        ${throttleJson(keys)},
        ${reserved}`),
  };
}

export const parsePasswordRead = parseLoginRead as (rows: unknown) => PasswordRead;

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
