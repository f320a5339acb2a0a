// Creating a court–procuratorate pair in one batch: the jurisdiction, both institutions, their
// departments from the template, the defaults inherited from the level above, and one invitation
// per institution for its first administrator. The same statements serve POST /v1/jurisdictions
// (an operator or a city-level admin) and `npm run admin -- create-city-pair`.
import { sha256 } from "../http/api";
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Deps } from "../http/api";
import { ApiError, conflict } from "../http/problem";
import type { OrgKind, Role } from "../vocab";
import { emailInUse, invitationExpiry, insertInvitation, newInvitationToken } from "./invitations.service";
import { ADMIN_DEPARTMENT, departmentTemplate } from "./template";

export type FirstAdmin = { email: string; name?: string; roles?: Role[] };

export type NewPair = {
  code: string;
  name: string;
  courtName: string;
  procuratorateName: string;
  courtAdmin: FirstAdmin;
  procuratorateAdmin: FirstAdmin;
};

/** Who creates the pair, as SQL the batch checks (never values read beforehand). */
export type PairCreator = {
  /** SQL true when this caller may create a pair under `parent`; false makes the batch a no-op. */
  guard: SQL;
  /** The jurisdiction above (SQL or id), null for a city-level pair. */
  parent: SQL | string | null;
  /** The creating account (recorded on the pair and its invitations); null for `npm run admin`. */
  by: SQL | string | null;
  /** The request's Idempotency-Key, if any: a retry with it answers the same pair. */
  key?: string;
};

export type PairInvitation = {
  id: string;
  organization: { id: string; kind: OrgKind; name: string };
  email: string;
  roles: Role[];
  expiresAt: string;
  /** The link token, shown once (null on a retry once its invitation has been accepted). */
  token: string | null;
};

type PairRow = {
  id: string;
  code: string;
  name: string;
  level: "city" | "basic";
  parentId: string | null;
  requestHash: string | null;
  organizations: string;
  invitations: string;
};

const SIDES = [
  ["court", "courtName", "courtAdmin"],
  ["procuratorate", "procuratorateName", "procuratorateAdmin"],
] as const;

/**
 * The statements of one pair creation and a reader of their results. Every insert after the
 * jurisdiction's is conditioned on the jurisdiction row this batch inserted, which is itself
 * conditioned on `creator.guard`, a free code (no conflict) and first admins without accounts
 * (neither a user nor an operator: `emailInUse`).
 */
export async function pairStatements(
  deps: Pick<Deps, "db" | "ids" | "clock">,
  input: NewPair,
  creator: PairCreator,
) {
  const db = deps.db;
  const now = deps.clock.now();
  const at = now.toISOString();
  const expiresAt = invitationExpiry(now);
  const jid = deps.ids();
  const hash = await sha256(JSON.stringify(input));
  const parent = creator.parent;
  const created = sql`exists (select 1 from jurisdictions jc_ where jc_.id = ${jid})`;
  const orgs = SIDES.map(([kind, nameKey, adminKey]) => ({
    id: deps.ids(),
    kind,
    name: input[nameKey],
    admin: input[adminKey],
  }));
  const depts = orgs.flatMap((o) =>
    departmentTemplate(o.kind).map(([name, functions]) => ({ id: deps.ids(), orgId: o.id, name, functions })),
  );
  const emails = orgs.map((o) => o.admin.email);
  const tokens = await Promise.all(orgs.map(() => newInvitationToken()));
  // A first admin's e-mail may belong to no account, user or operator (one e-mail namespace).
  const emailsInUse = sql`(${sql.join(
    emails.map((e) => emailInUse(e)),
    sql` or `,
  )})`;
  // A first admin's invitation id derives from the pair's, so a retry can find (and renew) it.
  const invitationId = (j: SQL | string, kind: OrgKind) => sql`(${j} || ${`.${kind}-admin`})`;
  const byKey = creator.key
    ? sql`(select jk_.id from jurisdictions jk_
        where jk_.created_by = ${creator.by} and jk_.idempotency_key = ${creator.key}
          and jk_.request_hash = ${hash})`
    : sql`null`;

  const statements: BatchItem<"sqlite">[] = [
    db.run(sql`insert into jurisdictions (id, code, name, level, parent_id, count_makeup_workdays, created_at,
        created_by, idempotency_key, request_hash)
      select ${jid}, ${input.code}, ${input.name}, case when ${parent} is null then 'city' else 'basic' end, ${parent},
        coalesce((select p_.count_makeup_workdays from jurisdictions p_ where p_.id = ${parent}), 1), ${at},
        ${creator.by}, ${creator.key ?? null}, ${hash}
      where ${creator.guard} and not ${emailsInUse}
      on conflict do nothing`),
    db.run(sql`insert into organizations (id, jurisdiction_id, kind, name, created_at)
      select o_.value ->> 'id', ${jid}, o_.value ->> 'kind', o_.value ->> 'name', ${at}
      from json_each(${JSON.stringify(orgs.map(({ id, kind, name }) => ({ id, kind, name })))}) o_
      where ${created}`),
    db.run(sql`insert into departments (id, jurisdiction_id, org_id, name, functions, created_at)
      select d_.value ->> 'id', ${jid}, d_.value ->> 'orgId', d_.value ->> 'name', d_.value ->> 'functions', ${at}
      from json_each(${JSON.stringify(depts.map((d) => ({ ...d, functions: JSON.stringify(d.functions) })))}) d_
      where ${created}`),
    // Defaults of the level above: its local deadline rules (the newest version of each type),
    // escalation ladders and delivery hours; the 调休 setting is copied with the jurisdiction.
    db.run(sql`insert into deadline_rules (id, jurisdiction_id, type, version, period_days, period_months,
        sender_sets, max_days, max_months, extension_days, extension_months, on_missed, source, created_at)
      select ${jid} || ':' || r_.type, ${jid}, r_.type, 1, r_.period_days, r_.period_months,
        r_.sender_sets, r_.max_days, r_.max_months, r_.extension_days, r_.extension_months, r_.on_missed,
        r_.source, ${at}
      from (select dr_.*, row_number() over (partition by dr_.type order by dr_.version desc) as rn
        from deadline_rules dr_ where dr_.jurisdiction_id = ${parent}) r_
      where r_.rn = 1 and ${created}`),
    db.run(sql`insert into escalation_ladders (id, jurisdiction_id, subject_type, kind, steps, updated_at)
      select ${jid} || ':' || l_.id, ${jid}, l_.subject_type, l_.kind, l_.steps, ${at}
      from escalation_ladders l_ where l_.jurisdiction_id = ${parent} and ${created}`),
    db.run(sql`insert into delivery_settings (jurisdiction_id, business_start, business_end, updated_at)
      select ${jid}, s_.business_start, s_.business_end, ${at}
      from delivery_settings s_ where s_.jurisdiction_id = ${parent} and ${created}`),
  ];
  orgs.forEach((o, n) => {
    const dept = depts.find((d) => d.orgId === o.id && d.name === ADMIN_DEPARTMENT)!;
    statements.push(
      ...insertInvitation(
        deps,
        {
          id: `${jid}.${o.kind}-admin`,
          kind: "user",
          email: o.admin.email,
          name: o.admin.name ?? null,
          roles: [...new Set<Role>(["admin", ...(o.admin.roles ?? [])])],
          departmentId: dept.id,
          tokenHash: tokens[n]!.tokenHash,
          expiresAt,
          createdAt: at,
          createdBy: creator.by,
        },
        o.id,
        created,
      ),
      // A retry of the same request renews the first admin's link if it is still pending: the
      // first answer's token was never seen, so the retry's is the one to use. Only a caller who
      // may still create the pair (`guard`) renews: a signed-out or demoted one changes nothing.
      db.run(sql`update invitations set token_hash = ${tokens[n]!.tokenHash}, expires_at = ${expiresAt}
        where id = ${invitationId(byKey, o.kind)} and accepted_at is null and revoked_at is null
          and ${creator.guard}`),
    );
  });
  const read = db.all<PairRow>(sql`select j.id, j.code, j.name, j.level, j.parent_id as parentId,
      j.request_hash as requestHash,
      (select json_group_array(json_object('id', o.id, 'kind', o.kind, 'name', o.name))
        from (select * from organizations o_ where o_.jurisdiction_id = j.id order by o_.kind) o) as organizations,
      (select json_group_array(json_object('id', i.id, 'orgId', i.org_id, 'email', i.email, 'roles', json(i.roles),
          'expiresAt', i.expires_at, 'tokenHash', i.token_hash))
        from invitations i where i.id in (j.id || '.court-admin', j.id || '.procuratorate-admin')) as invitations
    from jurisdictions j
    where j.id = ${jid}
      or (${creator.key ?? null} is not null and j.created_by = ${creator.by} and j.idempotency_key = ${creator.key ?? null})`);
  const checks = db.all<{ codeTaken: number; emailsTaken: string }>(sql`select
      exists (select 1 from jurisdictions where code = ${input.code}) as codeTaken,
      (select json_group_array(email) from (select email from users where email in ${emails}
        union select email from operators where email in ${emails})) as emailsTaken`);

  /**
   * The answer from the batch's results (`pair`, `check`: those of `read` and `checks`); undefined
   * when nothing was created and nothing here explains it (the caller's own rules refused it).
   */
  const outcome = (pair: PairRow[], check: { codeTaken: number; emailsTaken: string }[]) => {
    const row = pair[0];
    if (row && (row.id === jid || row.requestHash === hash)) {
      const organizations = JSON.parse(row.organizations) as { id: string; kind: OrgKind; name: string }[];
      const invs = JSON.parse(row.invitations) as {
        id: string;
        orgId: string;
        email: string;
        roles: Role[];
        expiresAt: string;
        tokenHash: string;
      }[];
      const invitations: PairInvitation[] = organizations.map((o) => {
        const n = o.kind === "court" ? 0 : 1;
        const inv = invs.find((i) => i.orgId === o.id)!;
        return {
          id: inv.id,
          organization: o,
          email: inv.email,
          roles: inv.roles,
          expiresAt: inv.expiresAt,
          token: inv.tokenHash === tokens[n]!.tokenHash ? tokens[n]!.token : null,
        };
      });
      return {
        created: row.id === jid,
        pair: {
          id: row.id,
          code: row.code,
          name: row.name,
          level: row.level,
          parentId: row.parentId,
          organizations,
        },
        invitations,
      };
    }
    if (row)
      throw conflict(
        "idempotency_key_reused",
        "This Idempotency-Key was used for a different pair; use a new key for a new pair.",
      );
    const c = check[0]!;
    if (c.codeTaken)
      throw conflict("jurisdiction_code_taken", `A jurisdiction with code ${input.code} exists.`);
    const taken = JSON.parse(c.emailsTaken) as string[];
    if (taken.length)
      throw new ApiError(409, "account_exists", `These e-mails already have accounts: ${taken.join(", ")}.`, {
        errors: SIDES.flatMap(([, , adminKey]) =>
          taken.includes(input[adminKey].email)
            ? [
                {
                  in: "json",
                  path: `${adminKey}.email`,
                  message: "already has an account",
                  code: "account_exists",
                },
              ]
            : [],
        ),
      });
    return undefined;
  };
  return { statements, read, checks, outcome };
}
