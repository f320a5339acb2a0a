// SQL of supervision documents: reads with their names resolved, and guarded writes.
//
// Writes follow one pattern (see `transition`): an event row is inserted only when the document is
// visible, in the required state and the caller has the role, then the document is updated only if
// that event exists, then the event records the state after. All in one batch, so either the whole
// change happens or nothing does, and two concurrent callers cannot both succeed.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import type { Scope } from "../auth/scope";
import { calendarComplete, countsMakeup, dueOn, missingYears } from "../calendar/calendar.engine";
import { effectiveRule } from "../calendar/calendar.service";
import { documents } from "../db/schema";
import { outboxFromDocumentEvents } from "../webhooks/outbox";
import type {
  AckResult,
  CaseArea,
  CaseCategory,
  Decision,
  DocStatus,
  DocType,
  RetrialResult,
  Role,
} from "../vocab";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { caseKey } from "../cases/case-number";
import { mediationOfDocument } from "../mediations/mediations";

export type DocRow = {
  id: string;
  jurisdictionId: string;
  type: DocType;
  status: DocStatus;
  senderId: string;
  senderName: string;
  senderKind: "court" | "procuratorate";
  recipientId: string;
  recipientName: string;
  recipientKind: "court" | "procuratorate";
  rdId: string;
  rdName: string;
  hdId: string | null;
  hdName: string | null;
  handlerId: string | null;
  handlerName: string | null;
  docNumber: string;
  caseNumbers: string[];
  caseCategory: CaseCategory;
  area: CaseArea | null;
  title: string;
  /** Only in single-document reads; lists leave the long texts out. */
  summary?: string | null;
  requestedActions?: string | null;
  attachments?: { name: string; size: number; sha256: string; mediaType: string }[];
  replyContent?: string | null;
  sentOn: string;
  receivedOn: string | null;
  dueOn: string | null;
  ruleId: string;
  ruleVersion: number;
  periodDays: number | null;
  periodMonths: number | null;
  deadlineVersion: number;
  calendarComplete: number | null;
  /** The years the deadline counting touched without a calendar (only when it is incomplete). */
  missingYears: number[] | null;
  repliedOn: string | null;
  replyDecision: Decision | null;
  retrialRuled: number | null;
  retrialResult: RetrialResult | null;
  retrialResultOn: string | null;
  replyLate: number | null;
  ackResult: AckResult | null;
  ackReason: string | null;
  followupOrgId: string | null;
  lastUrgedAt: string | null;
  pendingExtension: {
    id: string;
    periodDays: number | null;
    periodMonths: number | null;
    reason: string;
  } | null;
  committeeSession: {
    id: string;
    sessionAt: string;
    place: string;
    response: "attend" | "delegate" | "decline" | null;
    delegateName: string | null;
  } | null;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  requestHash: string;
  /** Only in single-document reads. */
  extensionAllowed?: number;
  /** Only in single-document reads: the summary of the joint mediation of a retried case. */
  mediation?: {
    id: string;
    status: "open" | "concluded";
    outcome: "agreement" | "withdrawn" | "failed" | "judgment" | null;
    outcomeOn: string | null;
    sessions: number;
    /** The caller may open the mediation itself (one of its two institutions). */
    readable: number;
  } | null;
};

// Each document comes back as one JSON value built by SQLite: far cheaper to transfer and decode
// than fifty columns per row, which is what dominates a list page's cost.
// `missingYears`: the years without a calendar that a provisional deadline was counted in (its
// `calendar_missing` warnings), worked out only for such deadlines.
const FIELDS = (full: boolean, scope?: Scope) =>
  sql`${sql.raw(`json_object('id', d.id, 'jurisdictionId', d.jurisdiction_id,
  'type', d.type, 'status', d.status,
  'senderId', d.sender_org_id, 'senderName', so.name, 'senderKind', so.kind,
  'recipientId', d.recipient_org_id, 'recipientName', ro.name, 'recipientKind', ro.kind,
  'rdId', d.receiving_department_id, 'rdName', rd.name, 'hdId', d.handling_department_id, 'hdName', hd.name,
  'handlerId', d.handler_id, 'handlerName', hu.name,
  'docNumber', d.doc_number, 'caseNumbers', json(d.case_numbers),
  'caseCategory', d.case_category, 'area', d.area, 'title', d.title,
  ${full ? "'summary', d.summary, 'requestedActions', d.requested_actions, 'attachments', json(d.attachments), 'replyContent', d.reply_content," : ""}
  'sentOn', d.sent_on, 'receivedOn', d.received_on, 'dueOn', d.due_on,
  'ruleId', d.rule_id, 'ruleVersion', d.rule_version,
  'periodDays', d.period_days, 'periodMonths', d.period_months,
  'deadlineVersion', d.deadline_version, 'calendarComplete', d.calendar_complete,
  'missingYears', case when d.calendar_complete = 0
    then json(`)}${missingYears(sql.raw("d.received_on"), sql.raw("d.due_on"))}${sql.raw(`) end,
  'repliedOn', d.replied_on, 'replyDecision', d.reply_decision, 'retrialRuled', d.retrial_ruled,
  'retrialResult', d.retrial_result, 'retrialResultOn', d.retrial_result_on,
  'replyLate', d.reply_late, 'ackResult', d.ack_result, 'ackReason', d.ack_reason,
  'followupOrgId', d.followup_org_id, 'lastUrgedAt', d.last_urged_at,
  'pendingExtension', json((select json_object('id', x.id, 'periodDays', x.period_days,
       'periodMonths', x.period_months, 'reason', x.reason)
     from extension_requests x
     where x.document_id = d.id and x.status = 'pending' and d.status in ('received', 'assigned'))),
  'committeeSession', json((select json_object('id', cs.id, 'sessionAt', cs.session_at, 'place', cs.place,
       'response', cs.response, 'delegateName', cs.delegate_name)
     from committee_sessions cs where cs.document_id = d.id order by cs.invited_at desc limit 1)),
  'createdAt', d.created_at, 'updatedAt', d.updated_at${
    full
      ? `, 'createdBy', d.created_by, 'requestHash', d.request_hash,
  'extensionAllowed', (select (r.extension_days is not null or r.extension_months is not null) from deadline_rules r where r.id = d.rule_id)`
      : ""
  }`)}${scope ? sql`, 'mediation', json(${mediationOfDocument(scope)})` : sql``}) as j`;

const FROM = sql`from documents d
join organizations so on so.id = d.sender_org_id
join organizations ro on ro.id = d.recipient_org_id
join departments rd on rd.id = d.receiving_department_id
left join departments hd on hd.id = d.handling_department_id
left join users hu on hu.id = d.handler_id`;

/** A single-document read: the long texts and, seen through `scope`, the document's mediation. */
const SELECT = (scope: Scope) => sql`select ${FIELDS(true, scope)} ${FROM}`;

/** Decodes the JSON rows of the document queries. */
export const docs = (rows: { j: string }[]): DocRow[] => rows.map((r) => JSON.parse(r.j) as DocRow);

export const getDocument = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`${SELECT(scope)} where d.id = ${id} and ${scope.visible(documents, "d")}`);

export const getDocumentByKey = (scope: Scope, key: string) =>
  scope.db.all<{ j: string }>(
    sql`${SELECT(scope)} where d.created_by = ${scope.me.userId} and d.idempotency_key = ${key}
      and ${scope.visible(documents, "d")}`,
  );

export type TimelineRow = {
  id: string;
  at: string;
  type: string;
  note: string | null;
  actorId: string | null;
  actorName: string | null;
  before: string | null;
  after: string | null;
};

/**
 * A timeline snapshot with the names of its handling department and handler beside their ids
 * (`handlingDepartment`, `handler`: `{ id, name }`), resolved when read, so older entries get them too.
 */
const withNames = (col: SQL) => sql`case when ${col} is null then null else json_set(${col},
  '$.handlingDepartment', json((select json_object('id', tdp_.id, 'name', tdp_.name) from departments tdp_
    where tdp_.id = ${col} ->> 'handlingDepartmentId')),
  '$.handler', json((select json_object('id', tu_.id, 'name', tu_.name) from users tu_
    where tu_.id = ${col} ->> 'handlerId'))) end`;

export const getTimeline = (scope: Scope, documentId: string) =>
  scope.db.all<TimelineRow>(sql`select e.id, e.at, e.type, e.note, e.actor_id as actorId, u.name as actorName,
    ${withNames(sql`e.before`)} as before, ${withNames(sql`e.after`)} as after
    from document_events e left join users u on u.id = e.actor_id
    where e.document_id = ${documentId} and e.document_id in (select d.id from documents d
      where d.id = ${documentId} and ${scope.visible(documents, "d")})
    order by e.at, e.id`);

export type ListFilter = {
  box: "inbox" | "outbox" | "followup";
  status?: DocStatus[];
  type?: DocType[];
  overdue?: boolean;
  /** Statistics' filters (src/statistics): each figure links to the list of the rows it counts. */
  sentFrom?: string;
  sentTo?: string;
  replyLate?: boolean;
  ackResult?: AckResult;
  followup?: boolean;
  retrialRuled?: boolean;
  retrialResult?: RetrialResult | "pending";
  dueBefore?: string;
  departmentId?: string;
  handlerId?: string;
  caseNumber?: string;
  updatedSince?: string;
  sort: "due" | "created" | "updated";
  limit: number;
  after?: [string, string];
};

const OPEN = sql`('received', 'assigned')`;
const boxColumn = {
  inbox: sql`d.recipient_org_id`,
  outbox: sql`d.sender_org_id`,
  followup: sql`d.followup_org_id`,
};

/** The sort key of each order; cursors carry the last row's key. */
export const SORT_KEY = {
  due: {
    expr: sql`coalesce(d.due_on, '9999-12-31')`,
    dir: sql`asc`,
    of: (r: DocRow) => r.dueOn ?? "9999-12-31",
  },
  updated: { expr: sql`d.updated_at`, dir: sql`asc`, of: (r: DocRow) => r.updatedAt },
  created: { expr: sql`d.created_at`, dir: sql`desc`, of: (r: DocRow) => r.createdAt },
} as const;

/** The SQL of a page of documents (rows of one JSON column `j`), for `scope.list`. */
export function listDocuments(scope: Scope, f: ListFilter, today: string): SQL {
  const conds: SQL[] = [sql`${boxColumn[f.box]} = ${scope.me.orgId}`, scope.visible(documents, "d")];
  if (f.status?.length) conds.push(sql`d.status in ${f.status}`);
  if (f.type?.length) conds.push(sql`d.type in ${f.type}`);
  if (f.sentFrom) conds.push(sql`d.sent_on >= ${f.sentFrom}`);
  if (f.sentTo) conds.push(sql`d.sent_on <= ${f.sentTo}`);
  if (f.replyLate !== undefined)
    conds.push(sql`d.replied_on is not null and d.reply_late = ${f.replyLate ? 1 : 0}`);
  if (f.ackResult) conds.push(sql`d.ack_result = ${f.ackResult}`);
  if (f.followup !== undefined)
    conds.push(f.followup ? sql`d.followup_org_id is not null` : sql`d.followup_org_id is null`);
  if (f.retrialRuled !== undefined) conds.push(sql`d.retrial_ruled = ${f.retrialRuled ? 1 : 0}`);
  if (f.retrialResult === "pending") conds.push(sql`d.retrial_ruled = 1 and d.retrial_result is null`);
  else if (f.retrialResult) conds.push(sql`d.retrial_result = ${f.retrialResult}`);
  if (f.overdue === true) conds.push(sql`d.status in ${OPEN} and d.due_on < ${today}`);
  if (f.overdue === false) conds.push(sql`not (d.status in ${OPEN} and d.due_on < ${today})`);
  if (f.dueBefore) conds.push(sql`d.due_on < ${f.dueBefore}`);
  if (f.departmentId) conds.push(sql`d.handling_department_id = ${f.departmentId}`);
  if (f.handlerId) conds.push(sql`d.handler_id = ${f.handlerId}`);
  if (f.caseNumber) conds.push(sql`instr(d.case_numbers, ${f.caseNumber}) > 0`);
  if (f.updatedSince) conds.push(sql`d.updated_at > ${f.updatedSince}`);
  const key = SORT_KEY[f.sort];
  if (f.after)
    conds.push(
      f.sort === "created"
        ? sql`(${key.expr}, d.id) < (${f.after[0]}, ${f.after[1]})`
        : sql`(${key.expr}, d.id) > (${f.after[0]}, ${f.after[1]})`,
    );
  return sql`select ${FIELDS(false)} ${FROM} where ${sql.join(conds, sql` and `)}
    order by ${key.expr} ${key.dir}, d.id ${key.dir} limit ${f.limit + 1}`;
}

export function countDocuments(scope: Scope, box: ListFilter["box"], today: string) {
  return scope.db.all<{ status: DocStatus; n: number; overdue: number }>(sql`
    select d.status, count(*) as n, sum(d.status in ${OPEN} and d.due_on < ${today}) as overdue
    from documents d where ${boxColumn[box]} = ${scope.me.orgId} and ${scope.visible(documents, "d")}
    group by d.status`);
}

/** The state of a document that the timeline records before and after each change. */
const SNAPSHOT = (a: string) =>
  sql.raw(`json_object('status', ${a}.status, 'dueOn', ${a}.due_on, 'deadlineVersion', ${a}.deadline_version,
    'receivedOn', ${a}.received_on, 'handlingDepartmentId', ${a}.handling_department_id,
    'handlerId', ${a}.handler_id, 'replyDecision', ${a}.reply_decision, 'ackResult', ${a}.ack_result,
    'followupOrgId', ${a}.followup_org_id, 'lastUrgedAt', ${a}.last_urged_at,
    'retrialResult', ${a}.retrial_result, 'retrialResultOn', ${a}.retrial_result_on)`);

export type TransitionSpec = {
  docId: string;
  eventId: string;
  now: string;
  event: string | SQL;
  note?: string | null;
  party: "sender" | "recipient";
  from: readonly DocStatus[];
  /** Further conditions on the document `d_` that must hold. */
  when?: SQL;
  /** SET assignments (may refer to the document's current columns). */
  set?: SQL;
};

/** The guarded statements of one state change; `applied` tells, in SQL, whether it happened. */
export function transition(scope: Scope, t: TransitionSpec) {
  const party = t.party === "sender" ? sql`d_.sender_org_id` : sql`d_.recipient_org_id`;
  const conds = [
    sql`d_.id = ${t.docId}`,
    scope.visible(documents, "d_"),
    sql`${party} = ${scope.me.orgId}`,
    sql`d_.status in ${t.from}`,
    scope.hasRole(),
  ];
  if (t.when) conds.push(t.when);
  const applied = sql`exists (select 1 from document_events ev_ where ev_.id = ${t.eventId})`;
  return {
    applied,
    statements: [
      scope.db.run(sql`insert into document_events
          (id, jurisdiction_id, document_id, at, actor_id, type, note, before)
        select ${t.eventId}, d_.jurisdiction_id, d_.id, ${t.now}, ${scope.me.userId}, ${t.event},
          ${t.note ?? null}, ${SNAPSHOT("d_")}
        from documents d_ where ${sql.join(conds, sql` and `)}`),
      scope.db.run(
        sql`update documents set ${t.set ? sql`${t.set}, ` : sql``}updated_at = ${t.now}
          where id = ${t.docId} and ${applied}`,
      ),
      scope.db.run(
        sql`update document_events
          set after = (select ${SNAPSHOT("d_")} from documents d_ where d_.id = ${t.docId})
          where id = ${t.eventId}`,
      ),
      // Webhook outbox, in the same batch: written only if the event (the change) exists.
      outboxFromDocumentEvents(scope.db, sql`ev.id = ${t.eventId}`),
    ] as const,
  };
}

/**
 * The new due date of a document counted from `start` with the given period, on its
 * jurisdiction's calendar.
 */
export function deadlineSet(start: SQL, days: SQL, months: SQL) {
  const due = dueOn(start, days, months, countsMakeup(sql`documents.jurisdiction_id`));
  return sql`due_on = ${due}, deadline_version = deadline_version + 1,
    calendar_complete = ${calendarComplete(start, due)}`;
}

/** Notices to users, written only if the change they describe (`applied`) happened. */
export function notify(
  scope: Scope,
  n: {
    id: string;
    applied: SQL;
    recipients: SQL;
    kind: string;
    docId: string;
    zh: string;
    en: string;
    dedupe: string;
    now: string;
    urgent?: boolean;
  },
) {
  // One notice per recipient; ids share the app-generated (time-ordered) prefix.
  return scope.db.run(sql`${INSERT_NOTIFICATIONS}
    select ${n.id} || '.' || u_.id, u_.jurisdiction_id, u_.id, ${n.kind}, 'document', ${n.docId},
      ${n.zh}, ${n.en}, ${n.urgent ? 1 : 0},
      ${n.dedupe} || ':' || u_.id, ${n.now}
    from users u_ where u_.active = 1 and u_.id in ${n.recipients} and ${n.applied}
    on conflict (dedupe_key) do nothing`);
}

/** Users of an organisation holding a role (optionally in one department), as a SQL id list. */
export const usersWithRole = (orgId: SQL, role: Role, departmentId?: SQL) =>
  sql`(select r_.user_id from role_assignments r_ join users ur_ on ur_.id = r_.user_id
    where r_.org_id = ${orgId}
      and r_.role = ${role}${departmentId ? sql` and ur_.department_id = ${departmentId}` : sql``})`;

/** Inserts a new document addressed to the counterpart of the caller's organisation in its jurisdiction. */
export function insertDocument(
  scope: Scope,
  d: {
    id: string;
    eventId: string;
    key: string;
    hash: string;
    now: string;
    today: string;
    senderKind: "court" | "procuratorate";
    input: {
      type: DocType;
      docNumber: string;
      caseNumbers: string[];
      caseCategory: string;
      area?: string;
      title: string;
      summary?: string;
      requestedActions?: string;
      attachments: unknown[];
      periodDays?: number;
      periodMonths?: number;
    };
  },
) {
  const i = d.input;
  const given = i.periodDays !== undefined || i.periodMonths !== undefined;
  const recipientKind = d.senderKind === "court" ? "procuratorate" : "court";
  const receivingDept = sql`coalesce(
      (select rr_.department_id from receiving_routes rr_ where rr_.org_id = r_.id and rr_.type = ${i.type}),
      (select rr_.department_id from receiving_routes rr_ where rr_.org_id = r_.id and rr_.type = '*'),
      (select dp_.id from departments dp_ where dp_.org_id = r_.id
         and exists (select 1 from json_each(dp_.functions) f_
           where f_.value = ${recipientKind === "court" ? "general_office" : "general_affairs"})
         order by dp_.created_at, dp_.id limit 1))`;
  const insert = scope.db.run(sql`
    insert into documents
      (id, jurisdiction_id, type, status, sender_org_id, recipient_org_id, receiving_department_id,
      doc_number, case_numbers, case_category, area, title,
      summary, requested_actions, attachments,
      rule_id, rule_version, period_days, period_months,
      sent_on, created_by, idempotency_key, request_hash, created_at, updated_at)
    select ${d.id}, s_.jurisdiction_id, ${i.type}, 'sent', s_.id, r_.id, ${receivingDept},
      ${i.docNumber}, ${JSON.stringify(i.caseNumbers)}, ${i.caseCategory}, ${i.area ?? null}, ${i.title},
      ${i.summary ?? null}, ${i.requestedActions ?? null}, ${JSON.stringify(i.attachments)},
      rule_.id, rule_.version,
      case when ${given ? 1 : 0} then ${i.periodDays ?? null} else rule_.period_days end,
      case when ${given ? 1 : 0} then ${i.periodMonths ?? null} else rule_.period_months end,
      ${d.today}, ${scope.me.userId}, ${d.key}, ${d.hash}, ${d.now}, ${d.now}
    from organizations s_
    join organizations r_ on r_.jurisdiction_id = s_.jurisdiction_id and r_.kind = ${recipientKind}
    join (${effectiveRule(sql`${scope.me.jurisdictionId}`, i.type)}) rule_
    where s_.id = ${scope.me.orgId} and s_.kind = ${d.senderKind} and ${scope.hasRole()}
      and ${receivingDept} is not null
      and (${given ? 0 : 1} or (rule_.sender_sets
        and coalesce(${i.periodDays ?? null} <= rule_.max_days,
          ${i.periodMonths ?? null} <= rule_.max_months, 0)))
    on conflict (created_by, idempotency_key) do nothing`);
  const event =
    scope.db.run(sql`insert into document_events (id, jurisdiction_id, document_id, at, actor_id, type, after)
    select ${d.eventId}, d_.jurisdiction_id, d_.id, ${d.now}, d_.created_by, 'created', ${SNAPSHOT("d_")}
    from documents d_ where d_.id = ${d.id}`);
  // Its case numbers' search keys (src/cases/case-number.ts), for the case-grant rule and the
  // documents shown on a shared case record; only when the document was created by this request.
  const keys = [...new Set(i.caseNumbers.map(caseKey))];
  const caseKeys = scope.db.run(sql`insert into document_case_keys
      (document_id, case_key, jurisdiction_id, sender_org_id, recipient_org_id)
    select d_.id, k_.value, d_.jurisdiction_id, d_.sender_org_id, d_.recipient_org_id
    from documents d_, json_each(${JSON.stringify(keys)}) k_
    where d_.id = ${d.id}
    on conflict do nothing`);
  const rule = scope.db.all<{ senderSets: number; maxDays: number | null; maxMonths: number | null }>(sql`
    select sender_sets as senderSets, max_days as maxDays, max_months as maxMonths
    from (${effectiveRule(sql`${scope.me.jurisdictionId}`, i.type)})`);
  return { insert, event, caseKeys, rule };
}

/**
 * backfillCaseKeys: the search keys of documents stored before document_case_keys existed (or
 * written around the API, e.g. by a bulk load), computed by the one `caseKey` and inserted, 1,000
 * documents per batch. Run after the migrations (a no-op once every document has its keys).
 */
export async function backfillCaseKeys(db: Db) {
  for (;;) {
    const rows = await db.all<{ id: string; caseNumbers: string }>(sql`select d.id,
        d.case_numbers as caseNumbers from documents d
      where not exists (select 1 from document_case_keys k_ where k_.document_id = d.id)
        and json_array_length(d.case_numbers) > 0
      limit 1000`);
    if (!rows.length) return;
    const keys = rows.flatMap((r) =>
      [...new Set((JSON.parse(r.caseNumbers) as string[]).map(caseKey))].map((k) => ({ id: r.id, k })),
    );
    const done = await db.run(sql`insert into document_case_keys
        (document_id, case_key, jurisdiction_id, sender_org_id, recipient_org_id)
      select d.id, x_.value ->> 'k', d.jurisdiction_id, d.sender_org_id, d.recipient_org_id
      from json_each(${JSON.stringify(keys)}) x_ join documents d on d.id = x_.value ->> 'id'
      where true
      on conflict do nothing`);
    if (rows.length < 1000 || !done.rowsAffected) return;
  }
}
