// Joint mediation of retried cases (共同调解, S3.1.3): a record linked to the civil or administrative
// supervision document (protest, retrial suggestion, procuratorial suggestion) whose reply recorded
// that a retrial was ruled — participants of both sides, sessions, the outcome. Here: the
// vocabularies, the mediation as one JSON value, and the guarded statements of the routes (each
// route sends them in one batch with the reads that explain a refusal). State changes go through
// `subjectChange` (src/events/events.ts).
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { documents, mediationSessions, mediations, subjectEvents } from "../db/schema";
import { outboxFromSubjectEvents, recordEvent, type SubjectEventRow, subjectChange } from "../events/events";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { seriesContacts } from "../series/series";
import { DOC_TYPES, type Role, vocabulary } from "../vocab";

/** The roles that open a mediation, add their people, record sessions and the outcome. */
export const MEDIATION_ROLES: Role[] = ["handler", "department_head", "leader", "coordinator"];

/**
 * The supervision documents a retrial (and so a joint mediation) can follow: protests, retrial
 * suggestions and procuratorial suggestions — civil and administrative. Criminal protests are not
 * mediated: the seed's mechanism is for civil litigation supervision (民事诉讼监督案件), and a criminal
 * retrial settles no private dispute (criminal reconciliation is another procedure).
 */
export const MEDIABLE_TYPES = DOC_TYPES.codes.filter(
  (t) => /^(protest|retrial_suggestion|suggestion)\./.test(t) && !t.startsWith("protest.criminal"),
);

/** A participant's part in the mediation. */
export const PARTICIPANT_ROLES = vocabulary({
  opener: { zh: "发起人", en: "Opened the mediation" },
  participant: { zh: "参与人员", en: "Participant" },
});

/** Who an attendee of a session was there for. */
export const ATTENDEE_SIDES = vocabulary({
  court: { zh: "法院", en: "Court" },
  procuratorate: { zh: "检察院", en: "Procuratorate" },
  party: { zh: "当事人", en: "Party" },
  other: { zh: "其他人员", en: "Other" },
});

/** The refusals of the mediation routes, with their labels (sent as `label` in the problem body). */
export const MEDIATION_PROBLEMS = vocabulary({
  not_mediable: {
    zh: "仅民事、行政抗诉、再审检察建议和检察建议案件可共同调解(刑事抗诉案件不适用)",
    en: "Only civil and administrative protests, retrial suggestions and procuratorial suggestions are mediated",
  },
  not_retried: {
    zh: "该文书的回复未记载裁定再审,不能启动共同调解",
    en: "The document's reply did not record a ruling to retry the case",
  },
  mediation_exists: { zh: "该文书已有共同调解记录", en: "The document already has a joint mediation" },
  mediation_concluded: { zh: "调解已结案,不能再修改", en: "The mediation is concluded; nothing can change" },
  no_sessions: {
    zh: "尚未登记调解活动,不能以达成协议或调解不成结案",
    en: "No session recorded: an agreement or a failure needs at least one session",
  },
  idempotency_key_reused: {
    zh: "该幂等键已用于另一请求",
    en: "The Idempotency-Key was used for a different request",
  },
  concurrent_change: { zh: "数据已被同时修改,请重试", en: "Changed concurrently; reload and retry" },
});
export type MediationProblem = (typeof MEDIATION_PROBLEMS.codes)[number];

// ── The mediation as one JSON value ──────────────────────────────────────────────────────────

type OrgJson = { id: string; name: string; kind: "court" | "procuratorate" };
export type SessionRow = {
  id: string;
  heldOn: string;
  place: string;
  attendees: { name: string; side: "court" | "procuratorate" | "party" | "other"; userId?: string }[];
  note: string | null;
  recordedBy: { id: string; name: string } | null;
  createdAt: string;
};
export type MediationRow = {
  id: string;
  status: "open" | "concluded";
  document: {
    id: string;
    docNumber: string;
    type: string;
    title: string;
    caseNumbers: string[];
    /** The date of the court's reply that ruled the retrial: no session or outcome before it. */
    repliedOn: string | null;
  };
  openedBy: OrgJson;
  participants: { userId: string; name: string | null; role: "opener" | "participant"; org: OrgJson }[];
  sessions: SessionRow[];
  outcome: "agreement" | "withdrawn" | "failed" | "judgment" | null;
  outcomeOn: string | null;
  outcomeNote: string | null;
  requestHash: string | null;
  createdAt: string;
  updatedAt: string;
};

const orgJson = (id: string) => `json_object('id', ${id}.id, 'name', ${id}.name, 'kind', ${id}.kind)`;

/** A session `ms` as one JSON object, with who recorded it. */
const SESSION_JSON = `json_object('id', ms.id, 'heldOn', ms.held_on, 'place', ms.place,
  'attendees', json(ms.attendees), 'note', ms.note,
  'recordedBy', (select json_object('id', su_.id, 'name', su_.name) from users su_ where su_.id = ms.created_by),
  'createdAt', ms.created_at)`;

/**
 * A mediation `md` with its document `d`: the document's summary, the participants (in the order
 * added, with names and institutions), the sessions (by date) and the outcome.
 */
const MEDIATION_JSON = sql.raw(`json_object('id', md.id, 'status', md.status,
  'document', json_object('id', d.id, 'docNumber', d.doc_number, 'type', d.type, 'title', d.title,
    'caseNumbers', json(d.case_numbers), 'repliedOn', d.replied_on),
  'openedBy', (select ${orgJson("oo_")} from organizations oo_ where oo_.id = md.opened_by_org_id),
  'participants', json((select json_group_array(json(p_.j)) from (
    select json_object('userId', pe_.value ->> 'userId', 'name', pu_.name, 'role', pe_.value ->> 'role',
      'org', ${orgJson("po_")}) as j
    from json_each(md.participants) pe_ join organizations po_ on po_.id = pe_.value ->> 'orgId'
    left join users pu_ on pu_.id = pe_.value ->> 'userId'
    order by pe_.key) p_)),
  'sessions', json((select json_group_array(json(s_.j)) from (
    select ${SESSION_JSON} as j from mediation_sessions ms where ms.mediation_id = md.id
    order by ms.held_on, ms.created_at, ms.id) s_)),
  'outcome', md.outcome, 'outcomeOn', md.outcome_on, 'outcomeNote', md.outcome_note,
  'requestHash', md.request_hash, 'createdAt', md.created_at, 'updatedAt', md.updated_at)`);

const FROM = sql`from mediations md join documents d on d.id = md.document_id`;

export const mediationRows = (rows: { j: string }[]): MediationRow[] =>
  rows.map((r) => JSON.parse(r.j) as MediationRow);

/** One mediation, only when the caller's institution is one of its document's two. */
export const getMediation = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`select ${MEDIATION_JSON} as j ${FROM}
    where md.id = ${id} and ${scope.visible(mediations, "md")}`);

/** The mediation the caller opened with an Idempotency-Key (a retry finds the first attempt's). */
const getMediationByKey = (scope: Scope, key: string) =>
  scope.db.all<{ j: string }>(sql`select ${MEDIATION_JSON} as j ${FROM}
    where md.created_by = ${scope.me.userId} and md.idempotency_key = ${key}
      and ${scope.visible(mediations, "md")}`);

/** The timeline of the mediation the caller opened with an Idempotency-Key (oldest first). */
export const timelineByKey = (scope: Scope, key: string) =>
  scope.db.all<SubjectEventRow>(sql`select e.id, e.at, e.type, e.note, e.actor_id as actorId,
      u.name as actorName, e.data
    from subject_events e left join users u on u.id = e.actor_id
    where e.subject_type = 'mediation' and e.subject_id = (select mk_.id from mediations mk_
        where mk_.created_by = ${scope.me.userId} and mk_.idempotency_key = ${key})
      and ${scope.visible(subjectEvents, "e")}
    order by e.at, e.id`);

/** A page of the caller's mediations in update order (rows of one JSON column `j`, for `scope.list`). */
export function listMediations(
  scope: Scope,
  f: {
    status?: string;
    outcome?: string;
    documentId?: string;
    updatedSince?: string;
    after?: [string, string];
    limit: number;
  },
): SQL {
  const conds: SQL[] = [scope.visible(mediations, "md")];
  if (f.status) conds.push(sql`md.status = ${f.status}`);
  if (f.outcome) conds.push(sql`md.outcome = ${f.outcome}`);
  if (f.documentId) conds.push(sql`md.document_id = ${f.documentId}`);
  if (f.updatedSince) conds.push(sql`md.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  if (f.after) conds.push(sql`(md.updated_at, md.id) > (${f.after[0]}, ${f.after[1]})`);
  return sql`select ${MEDIATION_JSON} as j ${FROM} where ${sql.join(conds, sql` and `)}
    order by md.updated_at, md.id limit ${f.limit + 1}`;
}

/**
 * The mediation of the document `d` as the document's detail shows it: a summary (status, outcome
 * and its date, the number of sessions — not participants, places or notes) to whoever sees the
 * document, the level above following it up (跟进监督) included, since whether the retried case was
 * settled is what supervision follows; `readable` tells whether the caller may open the mediation
 * itself (its two institutions only). NULL only when there is none.
 */
export const mediationOfDocument = (scope: Scope) =>
  sql`(select json_object('id', dm_.id, 'status', dm_.status, 'outcome', dm_.outcome,
      'outcomeOn', dm_.outcome_on,
      'sessions', (select count(*) from mediation_sessions dms_ where dms_.mediation_id = dm_.id),
      'readable', ${scope.visible(mediations, "dm_")})
    from mediations dm_ where dm_.document_id = d.id)`;

/**
 * SQL true when the day `day` is not before the reply of the mediation `md`'s document that ruled
 * the retrial (a mediation is opened only on such a reply, so `replied_on` is set).
 */
const notBeforeRuling = (day: string) => sql`${day} >= coalesce((select rd_.replied_on from documents rd_
    where rd_.id = md.document_id), '')`;

// ── Notices ──────────────────────────────────────────────────────────────────────────────────

/**
 * One notice per coordinator (or, without one, admin) of the document's institution that is NOT the
 * caller's, only when `applied` holds; once per (kind, mediation, user).
 */
function tellOtherSide(
  scope: Scope,
  o: { id: string; mediationId: string; kind: string; zh: SQL; en: SQL; now: string; applied: SQL },
) {
  const other = sql`(case when d.sender_org_id = ${scope.me.orgId}
    then d.recipient_org_id else d.sender_org_id end)`;
  return scope.db.run(sql`${INSERT_NOTIFICATIONS}
    select ${o.id} || '.' || u.id, md.jurisdiction_id, u.id, ${o.kind}, 'mediation', md.id,
      ${o.zh}, ${o.en}, 0, ${o.kind} || ':' || md.id || ':' || u.id, ${o.now}
    ${FROM} join users u on u.id in ${seriesContacts(other)}
    where md.id = ${o.mediationId} and ${o.applied}
    on conflict (dedupe_key) do nothing`);
}

// ── Opening a mediation ──────────────────────────────────────────────────────────────────────

export type NewMediation = { documentId: string; participants: string[]; note?: string | null };

/** SQL true when every id of `ids` (a JSON array) is an active user of the caller's institution. */
const allMine = (scope: Scope, ids: string[]) =>
  sql`(select count(*) from users au_ where au_.id in (select value from json_each(${JSON.stringify(ids)}))
    and au_.org_id = ${scope.me.orgId} and au_.active = 1) = ${ids.length}`;

/**
 * openMediation: the mediation of a document — only when the caller's institution is the document's
 * sender or recipient, the caller holds a mediation role, the document is of a mediable type, its
 * reply recorded a ruling to retry, and every participant is an active user of the caller's own
 * institution; at most one per document (unique index) and per (caller, Idempotency-Key). The caller
 * is its first participant ('opener'). In the same batch, only when THIS request's row exists: the
 * timeline entry 'created', the other institution's coordinators told, the webhook.
 */
export function openMediation(
  scope: Scope,
  o: { id: string; key: string; hash: string; eventId: string; now: string; input: NewMediation },
) {
  const db = scope.db;
  const ids = o.input.participants;
  const me = scope.me;
  const created = sql`exists (select 1 from mediations mn_ where mn_.id = ${o.id})`;
  // The caller first, then the listed users in the order given.
  const participants = sql`(select json_group_array(json(pj_.j)) from (
      select json_object('userId', pu_.id, 'orgId', pu_.org_id,
        'role', case when pu_.id = ${me.userId} then 'opener' else 'participant' end) as j
      from users pu_ left join json_each(${JSON.stringify(ids)}) pw_ on pw_.value = pu_.id
      where pu_.org_id = ${me.orgId} and pu_.active = 1 and (pu_.id = ${me.userId} or pw_.key is not null)
      group by pu_.id order by pu_.id <> ${me.userId}, min(pw_.key)) pj_)`;
  return {
    statements: [
      db.run(sql`insert into mediations (id, jurisdiction_id, document_id, opened_by_org_id, status,
          participants, created_by, idempotency_key, request_hash, created_at, updated_at)
        select ${o.id}, d.jurisdiction_id, d.id, ${me.orgId}, 'open', ${participants}, ${me.userId},
          ${o.key}, ${o.hash}, ${o.now}, ${o.now}
        from documents d
        where d.id = ${o.input.documentId} and ${me.orgId} in (d.sender_org_id, d.recipient_org_id)
          and ${scope.hasRole(MEDIATION_ROLES)} and d.type in ${MEDIABLE_TYPES} and d.retrial_ruled = 1
          and ${allMine(scope, ids)}
        on conflict do nothing`),
      recordEvent(db, {
        id: o.eventId,
        jurisdictionId: sql`(select jurisdiction_id from mediations where id = ${o.id})`,
        subjectType: "mediation",
        subjectId: o.id,
        actorId: me.userId,
        type: "created",
        note: o.input.note ?? null,
        data: sql`json_object('documentId', ${o.input.documentId})`,
        at: o.now,
        when: created,
      }),
      tellOtherSide(scope, {
        id: o.eventId,
        mediationId: o.id,
        kind: "mediation.opened",
        zh: sql`(select o_.name from organizations o_ where o_.id = md.opened_by_org_id)
          || '就' || d.doc_number || '(' || d.title || ')裁定再审的案件启动共同调解,请确定贵单位参与人员。'`,
        en: sql`(select o_.name from organizations o_ where o_.id = md.opened_by_org_id)
          || ' opened a joint mediation of the case retried on ' || d.doc_number
          || ': please name your participants.'`,
        now: o.now,
        applied: created,
      }),
      outboxFromSubjectEvents(db, sql`ev.id = ${o.eventId}`),
    ] as const,
    byKey: getMediationByKey(scope, o.key),
  };
}

/**
 * What explains a refused opening: the document as the caller's institution sees it as one of its
 * two parties (not as the level above), and its mediation if it has one.
 */
export const documentProbe = (scope: Scope, documentId: string) =>
  scope.db.all<{ type: string; retried: number | null; mediationId: string | null }>(sql`select d.type,
      d.retrial_ruled as retried,
      (select dm_.id from mediations dm_ where dm_.document_id = d.id) as mediationId
    from documents d
    where d.id = ${documentId} and ${scope.visible(documents, "d")}
      and ${scope.me.orgId} in (d.sender_org_id, d.recipient_org_id)`);

// ── Participants ─────────────────────────────────────────────────────────────────────────────

/**
 * addParticipants: the users `userIds` of the caller's own institution, all or none — only while the
 * mediation is open and visible, the caller holds a mediation role, every id is an active user of
 * the caller's institution and at least one is not yet a participant. 'participants_invited' on the
 * timeline names the users added.
 */
export function addParticipants(
  scope: Scope,
  o: { id: string; userIds: string[]; eventId: string; now: string },
) {
  const ids = JSON.stringify(o.userIds);
  const fresh = (participants: SQL) => sql`(select au_.id, au_.org_id from users au_
    join json_each(${ids}) aw_ on aw_.value = au_.id
    where au_.org_id = ${scope.me.orgId} and au_.active = 1
      and au_.id not in (select pe_.value ->> 'userId' from json_each(${participants}) pe_)
    order by aw_.key)`;
  const current = sql`(select pm_.participants from mediations pm_ where pm_.id = ${o.id})`;
  const change = subjectChange(scope, {
    table: mediations,
    alias: "md",
    subjectType: "mediation",
    id: o.id,
    eventId: o.eventId,
    now: o.now,
    roles: MEDIATION_ROLES,
    conds: sql`md.status = 'open' and ${allMine(scope, o.userIds)}
      and exists (select 1 from ${fresh(sql`md.participants`)})`,
    type: "participants_added",
    data: sql`json_object('userIds', (select json_group_array(f_.id) from ${fresh(current)} f_))`,
    set: sql`participants = (select json_group_array(json(pa_.j)) from (
        select 0 as k, pe_.key as n, pe_.value as j from json_each(mediations.participants) pe_
        union all
        select 1, row_number() over (), json_object('userId', f_.id, 'orgId', f_.org_id, 'role', 'participant')
        from ${fresh(sql`mediations.participants`)} f_
        order by k, n) pa_)`,
  });
  return [...change.statements, outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`)] as const;
}

// ── Sessions ─────────────────────────────────────────────────────────────────────────────────

export type NewSession = {
  heldOn: string;
  place: string;
  attendees: { name: string; side: "court" | "procuratorate" | "party" | "other"; userId?: string }[];
  note?: string | null;
};

/**
 * recordSession: a session of the mediation — only while it is open and visible, the caller holds a
 * mediation role, the session's date is not before the reply that ruled the retrial, and every attendee naming a user is a participant of the side it is given; at most
 * one per (caller, Idempotency-Key). 'session_recorded' on the timeline, the mediation's
 * `updated_at`, the webhook — all only when THIS request's session row exists.
 */
export function recordSession(
  scope: Scope,
  o: { mediationId: string; id: string; key: string; eventId: string; now: string; input: NewSession },
) {
  const db = scope.db;
  const i = o.input;
  const attendees = JSON.stringify(i.attendees);
  const created = sql`exists (select 1 from mediation_sessions sn_ where sn_.id = ${o.id})`;
  return {
    statements: [
      db.run(sql`insert into mediation_sessions (id, mediation_id, jurisdiction_id, held_on, place,
          attendees, note, created_by, idempotency_key, created_at)
        select ${o.id}, md.id, md.jurisdiction_id, ${i.heldOn}, ${i.place}, json(${attendees}),
          ${i.note ?? null}, ${scope.me.userId}, ${o.key}, ${o.now}
        from mediations md
        where md.id = ${o.mediationId} and md.status = 'open' and ${scope.visible(mediations, "md")}
          and ${scope.hasRole(MEDIATION_ROLES)} and ${notBeforeRuling(i.heldOn)}
          and not exists (select 1 from json_each(${attendees}) a_
            where a_.value ->> 'userId' is not null and not exists (
              select 1 from json_each(md.participants) p_
              join organizations po_ on po_.id = p_.value ->> 'orgId'
              where p_.value ->> 'userId' = a_.value ->> 'userId' and po_.kind = a_.value ->> 'side'))
        on conflict (created_by, idempotency_key) do nothing`),
      recordEvent(db, {
        id: o.eventId,
        jurisdictionId: sql`(select jurisdiction_id from mediations where id = ${o.mediationId})`,
        subjectType: "mediation",
        subjectId: o.mediationId,
        actorId: scope.me.userId,
        type: "session_recorded",
        data: sql`json_object('sessionId', ${o.id}, 'heldOn', ${i.heldOn}, 'place', ${i.place},
          'attendees', ${i.attendees.length})`,
        at: o.now,
        when: created,
      }),
      db.run(sql`update mediations set updated_at = ${o.now} where id = ${o.mediationId} and ${created}`),
      outboxFromSubjectEvents(db, sql`ev.id = ${o.eventId}`),
    ] as const,
    /** The session this caller recorded under the key (a retry finds the first attempt's). */
    byKey: db.all<{ j: string; mediationId: string }>(sql`select ${sql.raw(SESSION_JSON)} as j,
        ms.mediation_id as mediationId
      from mediation_sessions ms where ms.created_by = ${scope.me.userId} and ms.idempotency_key = ${o.key}
        and ${scope.visible(mediationSessions, "ms")}`),
  };
}

// ── The outcome ──────────────────────────────────────────────────────────────────────────────

export type OutcomeInput = {
  outcome: "agreement" | "withdrawn" | "failed" | "judgment";
  outcomeOn: string;
  note?: string | null;
};

/** The outcomes that record what the sessions came to, so need at least one. */
export const NEEDS_SESSION = ["agreement", "failed"];

/**
 * concludeMediation: open → concluded with its outcome — only while open and visible, for a
 * mediation role of either side, the outcome's date not before the reply that ruled the retrial nor
 * the last session, and (for an
 * agreement or a failure) at least one session. 'concluded' on the timeline, the other side's
 * coordinators told, the webhook. After it nothing of the mediation changes.
 */
export function concludeMediation(
  scope: Scope,
  o: { id: string; eventId: string; now: string; input: OutcomeInput },
) {
  const i = o.input;
  const sessions = sql`(select ms_.held_on from mediation_sessions ms_ where ms_.mediation_id = md.id)`;
  const change = subjectChange(scope, {
    table: mediations,
    alias: "md",
    subjectType: "mediation",
    id: o.id,
    eventId: o.eventId,
    now: o.now,
    roles: MEDIATION_ROLES,
    conds: sql`md.status = 'open' and ${notBeforeRuling(i.outcomeOn)}
      and not exists (select 1 from ${sessions} s_ where s_.held_on > ${i.outcomeOn})
      and (${i.outcome} not in ${NEEDS_SESSION} or exists ${sessions})`,
    type: "concluded",
    note: i.note ?? null,
    data: sql`json_object('outcome', ${i.outcome}, 'outcomeOn', ${i.outcomeOn})`,
    set: sql`status = 'concluded', outcome = ${i.outcome}, outcome_on = ${i.outcomeOn},
      outcome_note = ${i.note ?? null}`,
  });
  return {
    applied: change.applied,
    statements: [
      ...change.statements,
      tellOtherSide(scope, {
        id: o.eventId,
        mediationId: o.id,
        kind: "mediation.concluded",
        zh: sql`d.doc_number || '(' || d.title || ')裁定再审案件的共同调解已结案。'`,
        en: sql`'The joint mediation of the case retried on ' || d.doc_number || ' is concluded.'`,
        now: o.now,
        applied: change.applied,
      }),
      outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`),
    ] as const,
  };
}

/** SQL reading whether an event of this request exists (the change applied). */
export const eventExists = (scope: Scope, eventId: string) =>
  scope.db.all<{ ok: number }>(sql`select exists (select 1 from subject_events where id = ${eventId}) as ok`);
