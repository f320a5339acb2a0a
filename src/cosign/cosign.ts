// The co-signature mechanism (会签, ADR 0008): a round over a subject, the parties that must sign
// (an institution and the role its signer must hold), each decision with who and when, a refusal with
// its reason, and the subject locked once every party has signed. It lives here and only here: a
// subject type plugs in with a COSIGN_SUBJECTS code, its hooks (src/cosign/hooks.ts) and the lock
// checks of its own edit routes (`cosignOpen`, `cosignSigned`).
//
// Every statement goes into its caller's single batch (one round trip); the guards live in the SQL, so
// two signers at the same instant both succeed and exactly one of them completes the round.
import { z } from "@hono/zod-openapi";
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Me, Scope } from "../auth/scope";
import type { Db } from "../db/client";
import { cosignatures } from "../db/schema";
import { outboxFromSubjectEvents, recordEvent } from "../events/events";
import type { Deps } from "../http/api";
import { coded } from "../http/api";
import { conflict, forbidden } from "../http/problem";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { COSIGN_DECISIONS, COSIGN_STATUSES, COSIGN_SUBJECTS, ORG_KINDS, ROLES } from "../vocab";
import type { CosignSubject, OrgKind, Role } from "../vocab";

type V = string | SQL;

/** What a subject type's hooks get when a round of its co-signature ends in a request. */
export type CosignContext = {
  /** The round's id (a bound value). */
  cosignId: string;
  /** SQL: the round's subject id (reads `cosignatures.subject_id` of the round). */
  subjectId: SQL;
  /** SQL: the acting user's id. */
  actorId: SQL;
  now: string;
  /** SQL true exactly when THIS request completed the round (its last signature, or a refusal). */
  done: SQL;
  /** Fresh ids for rows the hook writes (events …). */
  ids: () => string;
};

/** A subject type's effects, run in the same batch as the signature that ends a round. */
export type CosignHooks = {
  /** Every party signed: the subject takes effect (e.g. minutes → action items). Guard with ctx.done. */
  onSigned: (db: Db, ctx: CosignContext) => BatchItem<"sqlite">[];
  /** A party refused: the subject goes back (e.g. special meeting → rejected). Guard with ctx.done. */
  onRefused: (db: Db, ctx: CosignContext) => BatchItem<"sqlite">[];
};

/** Where a round's subject lives in the API (one entry per subject type; the compiler asks for it). */
export const COSIGN_SUBJECT_HREFS: Record<CosignSubject, (subjectId: string) => string> = {
  meeting_minutes: (id) => `/v1/meetings/${id}/minutes`,
  special_meeting: (id) => `/v1/meetings/${id}`,
  series_override: (id) => `/v1/series-overrides/${id}`,
  contingency_plan: (id) => `/v1/risk-alerts/${id}`,
  typical_case: (id) => `/v1/typical-cases/${id}`,
  two_heads_hearing: (id) => `/v1/two-heads-hearings/${id}`,
};

/** SQL true when the round `id` exists (for guarding the subject's own statements after openCosign). */
export const cosignOpened = (id: string): SQL =>
  sql`exists (select 1 from cosignatures co_ where co_.id = ${id})`;

/** The rounds of one subject, as the alias `r_` (a WHERE fragment). */
const ofSubject = (subjectType: CosignSubject, subjectId: V) =>
  sql`r_.subject_type = ${subjectType} and r_.subject_id = ${subjectId}`;

/**
 * openCosign: the statements that open a new round over a subject, to put in the caller's batch.
 * The round is created only when `when` holds and the subject has no open or signed round; one row
 * per party (org + the role its signer must hold), undecided. In the same statements: the round's
 * `cosign_opened` timeline entry and webhook, and a notice to every signer of every party (the users
 * of the party's institution holding its role). Ids of those rows derive from the round's id.
 */
export function openCosign(
  db: Db,
  o: {
    id: string;
    jurisdictionId: V;
    subjectType: CosignSubject;
    subjectId: V;
    title: V;
    contentHash: V | null;
    parties: { orgId: V; role: Role }[];
    actorId: V;
    now: string;
    when: SQL;
  },
): BatchItem<"sqlite">[] {
  const opened = cosignOpened(o.id);
  const eventId = `${o.id}.opened`;
  const parties = o.parties.map((p, i) => sql`(${p.orgId}, ${p.role}, ${i})`);
  return [
    // The round, numbered after the subject's previous ones; never beside an open or signed round
    // (the partial unique index `cosignatures_open_uq` holds that under concurrency as well).
    db.run(sql`insert into cosignatures (id, jurisdiction_id, subject_type, subject_id, round, status,
        title, content_hash, created_by, created_at, updated_at)
      select ${o.id}, ${o.jurisdictionId}, ${o.subjectType}, ${o.subjectId},
        coalesce((select max(r_.round) from cosignatures r_
          where ${ofSubject(o.subjectType, o.subjectId)}), 0) + 1,
        'open', ${o.title}, ${o.contentHash}, ${o.actorId}, ${o.now}, ${o.now}
      where ${o.when} and not exists (select 1 from cosignatures r_
        where ${ofSubject(o.subjectType, o.subjectId)} and r_.status in ('open', 'signed'))
      on conflict do nothing`),
    // Its parties, undecided: written only with the round this batch created.
    db.run(sql`insert into cosign_parties (cosign_id, jurisdiction_id, org_id, role, position)
      select c_.id, c_.jurisdiction_id, p_.column1, p_.column2, p_.column3
      from cosignatures c_, (values ${sql.join(parties, sql`, `)}) p_
      where c_.id = ${o.id}
      on conflict do nothing`),
    recordEvent(db, {
      id: eventId,
      jurisdictionId: sql`(select co_.jurisdiction_id from cosignatures co_ where co_.id = ${o.id})`,
      subjectType: "cosignature",
      subjectId: o.id,
      actorId: o.actorId,
      type: "cosign_opened",
      data: sql`(select json_object('subjectType', co_.subject_type, 'subjectId', co_.subject_id,
        'round', co_.round, 'contentHash', co_.content_hash) from cosignatures co_ where co_.id = ${o.id})`,
      at: o.now,
      when: opened,
    }),
    outboxFromSubjectEvents(db, sql`ev.id = ${eventId}`),
    // Every signer of every party is asked to sign, once (dedupe key per round and user).
    db.run(sql`${INSERT_NOTIFICATIONS}
      select ${o.id} || '.ask.' || u_.id, u_.jurisdiction_id, u_.id, 'cosign.opened', 'cosignature',
        c_.id, '请会签:' || c_.title, 'Please sign: ' || c_.title, 0,
        'cosign:' || c_.id || ':ask:' || u_.id, ${o.now}
      from cosignatures c_
        join cosign_parties p_ on p_.cosign_id = c_.id and p_.decision is null
        join role_assignments ra_ on ra_.org_id = p_.org_id and ra_.role = p_.role
        join users u_ on u_.id = ra_.user_id and u_.active = 1
      where c_.id = ${o.id} and c_.status = 'open'
      on conflict (dedupe_key) do nothing`),
  ];
}

/**
 * withdrawCosign: the statements that withdraw the subject's open round, to put in the batch of the
 * change that makes the round moot (e.g. a meeting cancelled while its approval is being signed).
 * Only when `when` holds and the subject has an open round: the round becomes `withdrawn` (ended now;
 * a signature or refusal after it answers 409 `round_closed`, and no hook ever runs for it), with a
 * `cosign_withdrawn` timeline entry and webhook, and a notice to every signer of every party (the
 * users of each party's institution holding its role, decided or not; never the actor). The subject
 * may open a new round afterwards. Ids of the notices derive from the timeline entry's id.
 */
export function withdrawCosign(
  db: Db,
  o: {
    subjectType: CosignSubject;
    subjectId: V;
    when: SQL;
    actorId: V;
    now: string;
    ids: () => string;
  },
): BatchItem<"sqlite">[] {
  const eventId = o.ids();
  const open = sql`(select r_.id from cosignatures r_
    where ${ofSubject(o.subjectType, o.subjectId)} and r_.status = 'open')`;
  // The round this request withdrew: the subject of its timeline entry (none when nothing applied).
  const round = sql`(select ew_.subject_id from subject_events ew_ where ew_.id = ${eventId})`;
  const withdrawn = sql`exists (select 1 from subject_events ew_ where ew_.id = ${eventId})`;
  return [
    // 1. The withdrawal's timeline entry: it exists exactly when `when` holds and a round is open.
    recordEvent(db, {
      id: eventId,
      jurisdictionId: sql`(select rj_.jurisdiction_id from cosignatures rj_ where rj_.id = ${open})`,
      subjectType: "cosignature",
      subjectId: open,
      actorId: o.actorId,
      type: "cosign_withdrawn",
      data: sql`(select json_object('subjectType', rd_.subject_type, 'subjectId', rd_.subject_id,
        'round', rd_.round) from cosignatures rd_ where rd_.id = ${open})`,
      at: o.now,
      when: sql`${o.when} and exists ${open}`,
    }),
    // 2. The round: withdrawn and ended now, only the one this request recorded.
    db.run(sql`update cosignatures set status = 'withdrawn', updated_at = ${o.now}, completed_at = ${o.now}
      where id = ${round} and status = 'open' and ${withdrawn}`),
    outboxFromSubjectEvents(db, sql`ev.id = ${eventId}`),
    // 3. Every signer of every party hears it, once (dedupe key per round and user).
    db.run(sql`${INSERT_NOTIFICATIONS}
      select ${eventId} || '.' || u_.id, u_.jurisdiction_id, u_.id, 'cosign.withdrawn', 'cosignature',
        c_.id, '会签已撤回:' || c_.title, 'Signature round withdrawn: ' || c_.title, 0,
        'cosign:' || c_.id || ':withdrawn:' || u_.id, ${o.now}
      from cosignatures c_
        join cosign_parties p_ on p_.cosign_id = c_.id
        join role_assignments ra_ on ra_.org_id = p_.org_id and ra_.role = p_.role
        join users u_ on u_.id = ra_.user_id and u_.active = 1
      where c_.id = ${round} and ${withdrawn} and u_.id is not ${o.actorId}
      on conflict (dedupe_key) do nothing`),
  ];
}

/** SQL true when the subject has a fully signed round: it is locked, every edit must be refused. */
export const cosignSigned = (subjectType: CosignSubject, subjectId: V): SQL =>
  sql`exists (select 1 from cosignatures r_
    where ${ofSubject(subjectType, subjectId)} and r_.status = 'signed')`;

/** SQL true when the subject has an open round (edits wait for its outcome). */
export const cosignOpen = (subjectType: CosignSubject, subjectId: V): SQL =>
  sql`exists (select 1 from cosignatures r_
    where ${ofSubject(subjectType, subjectId)} and r_.status = 'open')`;

/**
 * A round `c_` as one JSON object (the shape `cosignJson` documents, plus its subject, content hash,
 * opener and update time; with `me`, whether it awaits the caller's signature).
 */
function roundJson(me?: Me): SQL {
  const awaiting = me ? sql`, 'awaitingMe', json(iif(${awaitingMe(me, sql`c_`)}, 'true', 'false'))` : sql``;
  return sql`json_object('id', c_.id, 'subjectType', c_.subject_type, 'subjectId', c_.subject_id,
    'round', c_.round, 'status', c_.status, 'title', c_.title, 'contentHash', c_.content_hash,
    'createdBy', c_.created_by, 'createdByName', (select uo_.name from users uo_ where uo_.id = c_.created_by),
    'createdAt', c_.created_at, 'updatedAt', c_.updated_at, 'completedAt', c_.completed_at,
    'parties', json((select json_group_array(json(pj_.j)) from (
      select json_object('orgId', p_.org_id, 'orgName', o_.name, 'orgKind', o_.kind, 'role', p_.role,
        'decision', p_.decision,
        'signer', case when p_.user_id is null then null
          else json_object('id', p_.user_id, 'name', (select us_.name from users us_ where us_.id = p_.user_id))
        end,
        'at', p_.at, 'reason', p_.reason) as j
      from cosign_parties p_ join organizations o_ on o_.id = p_.org_id
      where p_.cosign_id = c_.id order by p_.position) pj_))${awaiting})`;
}

/**
 * SQL true when round `c` awaits the caller: it is open, and the caller's institution is a party
 * that has not decided yet whose role the caller holds.
 */
function awaitingMe(me: Me, c: SQL): SQL {
  return sql`(${c}.status = 'open' and exists (select 1 from cosign_parties pa_
    join role_assignments ra_ on ra_.org_id = pa_.org_id and ra_.role = pa_.role
    where pa_.cosign_id = ${c}.id and pa_.org_id = ${me.orgId} and pa_.decision is null
      and ra_.user_id = ${me.userId}))`;
}

/**
 * SQL: the subject's latest round as a JSON object (null when none) — `{ id, round, status, title,
 * createdAt, completedAt, parties: [{ orgId, orgName, orgKind, role, decision, signer: {id,name}|null,
 * at, reason }] }` — for embedding in the subject's own read (wrap with json()). Embed it only in the
 * read of a subject the caller sees (its parties are the subject's institutions); pass `scope` to
 * filter by the round's own tenancy policy as well (and get `awaitingMe`).
 */
export const cosignJson = (subjectType: CosignSubject, subjectId: V, scope?: Scope): SQL =>
  sql`(select ${roundJson(scope?.me)} from cosignatures c_
    where c_.subject_type = ${subjectType} and c_.subject_id = ${subjectId}
      ${scope ? sql`and ${scope.visible(cosignatures, "c_")}` : sql``}
    order by c_.round desc limit 1)`;

// ── Reads of the co-signature routes ────────────────────────────────────────────────────────────

/** A round as read from the database (the JSON of `roundJson`). */
export type CosignRow = {
  id: string;
  subjectType: CosignSubject;
  subjectId: string;
  round: number;
  status: (typeof COSIGN_STATUSES.codes)[number];
  title: string;
  contentHash: string | null;
  createdBy: string | null;
  createdByName: string | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  awaitingMe?: boolean;
  parties: {
    orgId: string;
    orgName: string;
    orgKind: OrgKind;
    role: Role;
    decision: (typeof COSIGN_DECISIONS.codes)[number] | null;
    signer: { id: string; name: string } | null;
    at: string | null;
    reason: string | null;
  }[];
};

/** One round the caller sees (rows of one JSON column `j`). */
export const getCosign = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`select ${roundJson(scope.me)} as j from cosignatures c_
    where c_.id = ${id} and ${scope.visible(cosignatures, "c_")}`);

export type CosignListFilter = {
  status?: (typeof COSIGN_STATUSES.codes)[number][];
  subjectType?: CosignSubject;
  awaitingMe?: boolean;
  updatedSince?: string;
  /** The last row's (updated_at, id) of the previous page. */
  after?: [string, string];
  limit: number;
};

/**
 * The rounds of the caller's institution (a page, rows of one JSON column `j`, for `scope.list`):
 * most recently changed first, or, with `updatedSince` (synchronisation), oldest change first.
 */
export function listCosigns(scope: Scope, f: CosignListFilter): SQL {
  const conds: SQL[] = [scope.visible(cosignatures, "c_")];
  if (f.status?.length) conds.push(sql`c_.status in ${f.status}`);
  if (f.subjectType) conds.push(sql`c_.subject_type = ${f.subjectType}`);
  if (f.awaitingMe) conds.push(awaitingMe(scope.me, sql`c_`));
  if (f.updatedSince) conds.push(sql`c_.updated_at > ${f.updatedSince}`);
  const asc = !!f.updatedSince;
  if (f.after)
    conds.push(
      asc
        ? sql`(c_.updated_at, c_.id) > (${f.after[0]}, ${f.after[1]})`
        : sql`(c_.updated_at, c_.id) < (${f.after[0]}, ${f.after[1]})`,
    );
  const dir = asc ? sql`asc` : sql`desc`;
  return sql`select ${roundJson(scope.me)} as j from cosignatures c_
    where ${sql.join(conds, sql` and `)}
    order by c_.updated_at ${dir}, c_.id ${dir} limit ${f.limit + 1}`;
}

// ── Signing and refusing ────────────────────────────────────────────────────────────────────────

export type Decision =
  | { kind: "sign"; note?: string; contentHash?: string }
  | { kind: "refuse"; reason: string };

/**
 * A signature or a refusal by the caller's institution, in one round trip: the decision, the
 * round's completion (exactly once, by whichever request decides last), the subject's hooks guarded
 * by that completion, timeline, webhooks and notices. Returns the round after it, or throws why not.
 */
export async function decide(
  deps: Deps,
  scope: Scope,
  id: string,
  d: Decision,
  hooks: Record<CosignSubject, CosignHooks>,
): Promise<CosignRow> {
  const now = deps.clock.now().toISOString();
  const eventId = deps.ids();
  // A signature completes the round with a completion event of its own; a refusal ends it by itself.
  const doneId = d.kind === "sign" ? deps.ids() : eventId;
  const me = scope.me;
  const decided = sql`exists (select 1 from subject_events e_ where e_.id = ${eventId})`;
  const done = sql`exists (select 1 from subject_events e_ where e_.id = ${doneId})`;
  const round = (col: string) =>
    sql`(select ${sql.raw(`cr_.${col}`)} from cosignatures cr_ where cr_.id = ${id})`;
  const hash = d.kind === "sign" && d.contentHash ? sql` and c_.content_hash is ${d.contentHash}` : sql``;
  const decision = d.kind === "sign" ? "signed" : "refused";
  const text = d.kind === "sign" ? (d.note ?? null) : d.reason;

  // The caller's party may decide: the round is open and visible, the party has not decided, and
  // the caller is of the party's institution and holds its role.
  const mayDecide = sql`exists (select 1 from cosignatures c_
    join cosign_parties p_ on p_.cosign_id = c_.id
    where c_.id = ${id} and ${scope.visible(cosignatures, "c_")} and c_.status = 'open'${hash}
      and p_.org_id = ${me.orgId} and p_.decision is null
      and exists (select 1 from role_assignments ra_ where ra_.user_id = ${me.userId}
        and ra_.org_id = p_.org_id and ra_.role = p_.role))`;

  const ctx = (type: CosignSubject): CosignContext => ({
    cosignId: id,
    subjectId: round("subject_id"),
    actorId: me.userId,
    now,
    done: sql`(${done} and ${round("subject_type")} = ${type})`,
    ids: deps.ids,
  });
  const hookStatements = (Object.keys(hooks) as CosignSubject[]).flatMap((type) =>
    d.kind === "sign"
      ? hooks[type].onSigned(scope.db, ctx(type))
      : hooks[type].onRefused(scope.db, ctx(type)),
  );

  const statements = [
    // 1. The decision's timeline entry: it exists exactly when the decision applies.
    recordEvent(scope.db, {
      id: eventId,
      jurisdictionId: round("jurisdiction_id"),
      subjectType: "cosignature",
      subjectId: id,
      actorId: me.userId,
      type: decision,
      note: text,
      data: sql`json_object('orgId', ${me.orgId})`,
      at: now,
      when: mayDecide,
    }),
    // 2. The party's decision, with who and when (a signer's note or a refusal's reason).
    scope.db.run(sql`update cosign_parties set decision = ${decision}, user_id = ${me.userId},
        at = ${now}, reason = ${text}
      where cosign_id = ${id} and org_id = ${me.orgId} and decision is null and ${decided}`),
    // 3. A signature that leaves no party undecided completes the round: its completion event is
    //    written by this request only (the batch is a transaction: of two concurrent last signers,
    //    the second sees the round already complete, or the first one's party decided).
    ...(d.kind === "sign"
      ? [
          recordEvent(scope.db, {
            id: doneId,
            jurisdictionId: round("jurisdiction_id"),
            subjectType: "cosignature",
            subjectId: id,
            actorId: me.userId,
            type: "cosign_completed",
            at: now,
            when: sql`${decided} and ${round("status")} = 'open'
              and not exists (select 1 from cosign_parties pu_
                where pu_.cosign_id = ${id} and pu_.decision is null)`,
          }),
        ]
      : []),
    // 4. The round: changed now; signed or refused when this request ended it.
    scope.db.run(sql`update cosignatures set updated_at = ${now},
        status = case when ${done} then ${decision} else status end,
        completed_at = case when ${done} then ${now} else completed_at end
      where id = ${id} and ${decided}`),
    // 5. The subject's hooks (every subject type's, each guarded by the round being of its type).
    ...hookStatements,
    // 6. The round's opener hears how it ended.
    scope.db.run(sql`${INSERT_NOTIFICATIONS}
      select ${doneId} || '.' || u_.id, u_.jurisdiction_id, u_.id, 'cosign.' || c_.status,
        'cosignature', c_.id,
        case c_.status when 'signed' then '会签完成:' else '会签被拒:' end || c_.title,
        case c_.status when 'signed' then 'Fully signed: ' else 'Signature refused: ' end || c_.title,
        0, 'cosign:' || c_.id || ':' || c_.status || ':' || u_.id, ${now}
      from cosignatures c_ join users u_ on u_.id = c_.created_by and u_.active = 1
      where c_.id = ${id} and ${done}
      on conflict (dedupe_key) do nothing`),
    outboxFromSubjectEvents(scope.db, sql`ev.id in (${eventId}, ${doneId})`),
    // 7. The round after it, and the facts a refusal is explained by.
    getCosign(scope, id),
    scope.db.all<Probe>(sql`select ${decided} as applied,
      (select p_.decision from cosign_parties p_
        where p_.cosign_id = ${id} and p_.org_id = ${me.orgId}) as myDecision,
      exists (select 1 from cosign_parties p_ join role_assignments ra_
          on ra_.org_id = p_.org_id and ra_.role = p_.role
        where p_.cosign_id = ${id} and p_.org_id = ${me.orgId} and ra_.user_id = ${me.userId}) as holdsRole`),
  ];
  const at = statements.length - 2;
  const { results } = await scope.run(statements, (r) => (r[at] as { j: string }[])[0]);
  const row = JSON.parse((results[at] as { j: string }[])[0]!.j) as CosignRow;
  const probe = (results[at + 1] as Probe[])[0]!;
  if (probe.applied) return row;
  throw refusal(row, probe, d);
}

type Probe = { applied: number; myDecision: string | null; holdsRole: number };

/** Why a decision did not apply, in the order a person would want to know it. */
function refusal(row: CosignRow, probe: Probe, d: Decision) {
  if (!probe.holdsRole) {
    const roles = [...new Set(row.parties.map((p) => ROLES.label(p.role).en.toLowerCase()))].join(" or ");
    return forbidden(`Only a ${roles} of a party institution may sign or refuse this round.`);
  }
  if (probe.myDecision)
    return conflict(
      "already_decided",
      `Your institution has already ${probe.myDecision} this round; a decision is final.`,
    );
  if (row.status !== "open")
    return conflict(
      "round_closed",
      `The round is ${COSIGN_STATUSES.label(row.status).en.toLowerCase()}; nothing can be signed in it any more.`,
    );
  if (d.kind === "sign" && d.contentHash && d.contentHash !== row.contentHash)
    return conflict(
      "content_changed",
      "The round is over different content than the hash you sent; reload it and read it again.",
    );
  return conflict("concurrent_change", "The round changed while this request ran; reload it and retry.");
}

// ── The API shape of a round ────────────────────────────────────────────────────────────────────

const Person = z.object({ id: z.string(), name: z.string() });

export const CosignPartySchema = z
  .object({
    org: z.object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) }),
    role: coded(ROLES.codes),
    decision: coded(COSIGN_DECISIONS.codes).nullable(),
    signer: Person.nullable(),
    at: z.string().nullable(),
    reason: z
      .string()
      .nullable()
      .openapi({ description: "A refusal's reason, or the signer's note (null when none)" }),
  })
  .openapi("CosignParty");

export const CosignSchema = z
  .object({
    id: z.string(),
    subject: z.object({ type: coded(COSIGN_SUBJECTS.codes), id: z.string(), href: z.string() }),
    round: z.number().int().openapi({ description: "1 for the first round; +1 after each refusal" }),
    status: coded(COSIGN_STATUSES.codes),
    title: z.string(),
    contentHash: z
      .string()
      .nullable()
      .openapi({ description: "sha-256 of the content as submitted: what every signer signs" }),
    openedBy: Person.nullable(),
    awaitingMe: z
      .boolean()
      .openapi({ description: "Open, and your institution's signature is yours to give" }),
    parties: z.array(CosignPartySchema),
    createdAt: z.string(),
    updatedAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi("Cosignature");

/** A round as the API answers it (from `getCosign`, `listCosigns` or `cosignJson(…, scope)`). */
export function toCosign(r: CosignRow): z.infer<typeof CosignSchema> {
  return {
    id: r.id,
    subject: {
      type: COSIGN_SUBJECTS.item(r.subjectType),
      id: r.subjectId,
      href: COSIGN_SUBJECT_HREFS[r.subjectType](r.subjectId),
    },
    round: r.round,
    status: COSIGN_STATUSES.item(r.status),
    title: r.title,
    contentHash: r.contentHash,
    openedBy: r.createdBy ? { id: r.createdBy, name: r.createdByName ?? "" } : null,
    awaitingMe: !!r.awaitingMe,
    parties: r.parties.map((p) => ({
      org: { id: p.orgId, name: p.orgName, kind: ORG_KINDS.item(p.orgKind) },
      role: ROLES.item(p.role),
      decision: p.decision ? COSIGN_DECISIONS.item(p.decision) : null,
      signer: p.signer,
      at: p.at,
      reason: p.reason,
    })),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    completedAt: r.completedAt,
  };
}
