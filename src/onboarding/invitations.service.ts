// Invitations: how every account comes to exist. A link token (32 random bytes, base64url) is shown
// once to whoever invites; the database keeps its SHA-256 only. Accepting it creates the account,
// its password and a login session in ONE batch whose own SQL refuses an unknown, expired, used or
// revoked token, so two people racing with one link get exactly one account.
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { hashPassword } from "../accounts/password";
import { hashToken, newRefreshToken, openSession, type TokenResponse } from "../accounts/sessions";
import type { Deps } from "../http/api";
import { ApiError, conflict } from "../http/problem";
import type { InvitationStatus, OrgKind, Role } from "../vocab";

/** How long an invitation link stays valid. */
export const INVITATION_TTL_DAYS = 7;

/** A new invitation token (shown once) and the hash the database keeps. */
export async function newInvitationToken(): Promise<{ token: string; tokenHash: string }> {
  const token = newRefreshToken();
  return { token, tokenHash: await hashToken(token) };
}

export const invitationExpiry = (now: Date) =>
  new Date(now.getTime() + INVITATION_TTL_DAYS * 86_400_000).toISOString();

/** An invitation's status at `now` (SQL over alias `a`). */
export const statusOf = (a: string, now: string) =>
  sql`(case when ${sql.raw(a)}.accepted_at is not null then 'accepted'
    when ${sql.raw(a)}.revoked_at is not null then 'revoked'
    when ${sql.raw(a)}.expires_at <= ${now} then 'expired' else 'pending' end)`;

/** Its last change (created, accepted or revoked); expiry is a time (`expiresAt`), not a change. */
export const updatedOf = (a: string) =>
  sql.raw(`coalesce(${a}.accepted_at, ${a}.revoked_at, ${a}.created_at)`);

/** One invitation as a JSON object (column `j`), the shape of `invitationItem`. */
export const invitationJson = (a: string, now: string) => sql`json_object(
  'id', ${sql.raw(a)}.id, 'kind', ${sql.raw(a)}.kind, 'organizationId', ${sql.raw(a)}.org_id,
  'email', ${sql.raw(a)}.email, 'name', ${sql.raw(a)}.name, 'roles', json(${sql.raw(a)}.roles),
  'departmentId', ${sql.raw(a)}.department_id, 'status', ${statusOf(a, now)},
  'expiresAt', ${sql.raw(a)}.expires_at, 'createdAt', ${sql.raw(a)}.created_at,
  'acceptedAt', ${sql.raw(a)}.accepted_at, 'revokedAt', ${sql.raw(a)}.revoked_at,
  'updatedAt', ${updatedOf(a)})`;

export type InvitationRow = {
  id: string;
  kind: "user" | "operator";
  organizationId: string | null;
  email: string;
  name: string | null;
  roles: Role[];
  departmentId: string | null;
  status: InvitationStatus;
  expiresAt: string;
  createdAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
  updatedAt: string;
};

export type NewInvitation = {
  id: string;
  kind: "user" | "operator";
  email: string;
  name: string | null;
  roles: Role[];
  departmentId: string | null;
  tokenHash: string;
  expiresAt: string;
  createdAt: string;
  /** The inviting account (null: `npm run admin`). */
  createdBy: SQL | string | null;
};

/**
 * SQL true when an account — a user OR an operator — has this e-mail (a value or SQL, e.g. a
 * column). Users and operators share ONE e-mail namespace: sign-in looks an e-mail up in both, so
 * two accounts with one e-mail would let the newer one shadow the other. Every statement that
 * creates an account or an invitation for one is conditioned on `not emailInUse(…)`. E-mails are
 * stored lower-cased (every writer lower-cases them, as sign-in does its input), so the comparison
 * lower-cases the argument and keeps the unique indexes usable.
 */
export const emailInUse = (email: SQL | string) =>
  sql`(exists (select 1 from users eu_ where eu_.email = lower(${email}))
    or exists (select 1 from operators eo_ where eo_.email = lower(${email})))`;

/**
 * Inserts an invitation into organisation `orgId` (null for an operator's), only where `guard`
 * holds and no account (user or operator) has the e-mail yet; an audit row follows it.
 */
export function insertInvitation(
  deps: Pick<Deps, "db" | "ids">,
  inv: NewInvitation,
  orgId: SQL | string | null,
  guard: SQL,
) {
  const db = deps.db;
  return [
    db.run(sql`insert into invitations (id, kind, jurisdiction_id, org_id, email, name, roles, department_id,
        token_hash, expires_at, created_by, created_at)
      select ${inv.id}, ${inv.kind}, (select o_.jurisdiction_id from organizations o_ where o_.id = ${orgId}),
        ${orgId}, ${inv.email}, ${inv.name}, ${JSON.stringify(inv.roles)}, ${inv.departmentId},
        ${inv.tokenHash}, ${inv.expiresAt}, ${inv.createdBy}, ${inv.createdAt}
      where ${guard} and not ${emailInUse(inv.email)}`),
    db.run(sql`insert into auth_events (id, org_id, account_id, email, kind, at, detail)
      select ${deps.ids()}, i.org_id, ${inv.createdBy}, i.email, 'invitation_created', ${inv.createdAt},
        json_object('invitationId', i.id, 'roles', json(i.roles))
      from invitations i where i.id = ${inv.id}`),
  ] as const;
}

export const invitationInvalid = () =>
  new ApiError(404, "invitation_invalid", "No such invitation: check the link, or ask for a new one.");

const REFUSED: Record<Exclude<InvitationStatus, "pending">, () => ApiError> = {
  expired: () => new ApiError(410, "invitation_expired", "The invitation has expired: ask for a new one."),
  accepted: () =>
    new ApiError(410, "invitation_used", "The invitation has been used already: sign in instead."),
  revoked: () => new ApiError(410, "invitation_revoked", "The invitation was withdrawn."),
};

export type AcceptedAccount = {
  kind: "user" | "operator";
  id: string;
  email: string;
  name: string;
  roles: Role[];
  organization: { id: string; kind: OrgKind; name: string; jurisdictionId: string } | null;
  departmentId: string | null;
  /** The organisation's departments, so a first admin can invite colleagues into them at once. */
  departments: { id: string; name: string; functions: string[] }[];
};

/**
 * Accepts an invitation: one batch that takes the invitation (a conditional UPDATE: pending,
 * unexpired, and the e-mail without an account of EITHER kind — checked here, inside the batch's
 * write transaction, so an account created since the invitation cannot be doubled), then — only if it did — creates the user with its
 * roles or the operator, the password and a login session, and records the use. Every later
 * statement is conditioned on "this batch took the invitation", so a refused token changes nothing.
 * The kind of account is known only to the database, so a session is prepared for each kind and
 * the batch opens the one that applies.
 */
export async function acceptInvitation(
  deps: Deps,
  input: { token: string; password: string; name?: string },
  source: string | undefined,
): Promise<{ session: TokenResponse; account: AcceptedAccount }> {
  const db = deps.db;
  const now = deps.clock.now();
  const at = now.toISOString();
  const aid = deps.ids();
  const [tokenHash, passwordHash] = await Promise.all([hashToken(input.token), hashPassword(input.password)]);
  const took = (kind: "user" | "operator") =>
    sql`exists (select 1 from invitations t_ where t_.account_id = ${aid} and t_.kind = ${kind})`;
  const [userSession, operatorSession] = await Promise.all([
    openSession(deps, { id: aid, kind: "user", orgId: null }, now, { guard: took("user") }),
    openSession(deps, { id: aid, kind: "operator", orgId: null }, now, { guard: took("operator") }),
  ]);
  const mine = sql`i.account_id = ${aid}`;
  const name = input.name ?? null;
  const statements: BatchItem<"sqlite">[] = [
    db.run(sql`update invitations set accepted_at = ${at}, account_id = ${aid}
      where token_hash = ${tokenHash} and accepted_at is null and revoked_at is null and expires_at > ${at}
        and not ${emailInUse(sql`invitations.email`)}
        and (kind = 'operator' or exists (select 1 from organizations o_ where o_.id = invitations.org_id))`),
    db.run(sql`insert into users (id, jurisdiction_id, org_id, department_id, email, name, active, created_at)
      select ${aid}, i.jurisdiction_id, i.org_id, i.department_id, i.email, coalesce(${name}, i.name, i.email),
        1, ${at}
      from invitations i where ${mine} and i.kind = 'user'`),
    db.run(sql`insert into role_assignments (id, jurisdiction_id, org_id, user_id, role, created_at)
      select ${aid} || '.' || r_.value, i.jurisdiction_id, i.org_id, ${aid}, r_.value, ${at}
      from invitations i, json_each(i.roles) r_ where ${mine} and i.kind = 'user'`),
    db.run(sql`insert into operators (id, email, name, active, created_at)
      select ${aid}, i.email, coalesce(${name}, i.name, i.email), 1, ${at}
      from invitations i where ${mine} and i.kind = 'operator'`),
    db.run(sql`insert into credentials (account_id, password_hash, changed_at)
      select ${aid}, ${passwordHash}, ${at} from invitations i where ${mine}`),
    ...userSession.statements,
    // The session belongs to the user's organisation (its admins see it); known only in SQL.
    db.run(sql`update auth_sessions set org_id = (select i.org_id from invitations i where ${mine})
      where id = ${userSession.sessionId}`),
    ...operatorSession.statements,
    db.run(sql`insert into auth_events (id, org_id, account_id, email, kind, source, at, detail)
      select ${deps.ids()}, i.org_id, ${aid}, i.email, 'invitation_accepted', ${source ?? null}, ${at},
        json_object('invitationId', i.id)
      from invitations i where ${mine}`),
  ];
  const read = db.all<{ status: InvitationStatus; mine: number; kind: "user" | "operator"; account: string }>(
    sql`select ${statusOf("i", at)} as status, ${mine} as mine, i.kind,
      json_object('kind', i.kind, 'id', i.account_id, 'email', i.email,
        'name', coalesce((select u.name from users u where u.id = i.account_id),
          (select op.name from operators op where op.id = i.account_id)),
        'roles', json(case when i.kind = 'user' then i.roles else '[]' end),
        'organization', json((select json_object('id', o.id, 'kind', o.kind, 'name', o.name,
            'jurisdictionId', o.jurisdiction_id) from organizations o where o.id = i.org_id)),
        'departmentId', i.department_id,
        'departments', json((select json_group_array(json_object('id', d.id, 'name', d.name,
            'functions', json(d.functions)))
          from (select * from departments d_ where d_.org_id = i.org_id order by d_.created_at, d_.id) d)))
        as account
    from invitations i where i.token_hash = ${tokenHash}`,
  );
  const results = (await db.batch([...statements, read] as never)) as unknown[];
  const [row] = results[results.length - 1] as Awaited<typeof read>;
  if (!row) throw invitationInvalid();
  if (!row.mine) {
    if (row.status !== "pending") throw REFUSED[row.status]();
    throw conflict(
      "account_exists",
      "An account with this e-mail exists already: sign in with it, or ask for an invitation to another e-mail.",
    );
  }
  const account = JSON.parse(row.account) as AcceptedAccount;
  return { session: row.kind === "user" ? userSession.response : operatorSession.response, account };
}
