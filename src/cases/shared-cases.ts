// Shared case information with audited query and copy (数据共享, S3.3.2). The court shares its cases
// (filing, judgment, mediation, enforcement); the procuratorate's supervision information is not
// copied into case records: a record shows the supervision documents on the same normalised case
// number that the caller already sees. Grants open the owner's records to the counterpart (per record
// or by rule; src/auth/scope.ts `activeGrant` is the one definition), and every read, search hit,
// copy and export by the counterpart is written to the append-only access audit in the SAME batch as
// the read, over the same rows (INSERT … SELECT), so the audit cannot miss a row the caller saw.
// The owner's own reads are not audited (the owner's data, its own staff).
import { sql, type SQL } from "drizzle-orm";
import { activeGrant, type Scope } from "../auth/scope";
import { caseAccessLog, caseGrants, caseRecords, documents } from "../db/schema";
import { outboxFromSubjectEvents, recordEvent, subjectChange } from "../events/events";
import { type Role, vocabulary } from "../vocab";
import { caseKey, partyKeys } from "./case-number";

/** The refusals of the shared-case routes, with their labels (sent as `label` in the problem body). */
export const CASE_PROBLEMS = vocabulary({
  not_coordinating_department: {
    zh: "只有协调部门(法院审判管理办公室、检察院综合业务部)可以共享、授权和导入案件信息",
    en: "Only the coordinating department (trial management office / general affairs) may do this",
  },
  not_owner: { zh: "只有案件信息的提供方可以这样做", en: "Only the owning institution may do this" },
  duplicate_case_number: { zh: "本单位已共享该案号的案件", en: "A case with this number is already shared" },
  already_granted: { zh: "已有相同的有效授权", en: "An identical grant is already active" },
  already_revoked: { zh: "该授权已撤销", en: "The grant is already revoked" },
  idempotency_key_reused: {
    zh: "该幂等键已用于另一请求",
    en: "The Idempotency-Key was used for a different request",
  },
  concurrent_change: { zh: "数据已被同时修改,请重试", en: "Changed concurrently; reload and retry" },
});
export type CaseProblem = (typeof CASE_PROBLEMS.codes)[number];

/** Every role but the read-only auditor; the department is checked in SQL (`coordinating`). */
export const SHARING_ROLES: Role[] = [
  "admin",
  "registrar",
  "handler",
  "department_head",
  "leader",
  "coordinator",
];

/**
 * SQL true when the caller works in its institution's coordinating department: a department tagged
 * `trial_management` (court: 审判管理办公室) or `general_affairs` (procuratorate: 综合业务部).
 */
export function coordinating(scope: Scope): SQL {
  return sql`exists (select 1 from users cu_
    join departments cd_ on cd_.id = cu_.department_id
    join organizations co_ on co_.id = cu_.org_id
    join json_each(cd_.functions) cf_
      on cf_.value = (case co_.kind when 'court' then 'trial_management' else 'general_affairs' end)
    where cu_.id = ${scope.me.userId})`;
}

// ── The record as one JSON value ──────────────────────────────────────────────────────────────

export type Material = { name: string; size: number; sha256: string; mediaType: string };
export type Party = { name: string; role: string | null };
export type CaseRecordRow = {
  id: string;
  caseNumber: string;
  caseKey: string;
  courtName: string;
  caseType: string;
  area: string | null;
  stage: string;
  parties: Party[];
  keyDates: Record<string, string>;
  summary: string | null;
  chargeProsecuted: string | null;
  chargeJudged: string | null;
  material: Material[];
  source: "manual" | "import";
  importId: string | null;
  owner: { id: string; name: string; kind: "court" | "procuratorate" };
  grantId: string | null;
  requestHash: string | null;
  createdAt: string;
  updatedAt: string;
};

/** A record `cr` as one JSON object; `grantId` is the grant the caller reads it under (owner: null). */
const recordJson = (scope: Scope) => sql`json_object('id', cr.id, 'caseNumber', cr.case_number,
  'caseKey', cr.case_key, 'courtName', cr.court_name, 'caseType', cr.case_type, 'area', cr.area,
  'stage', cr.stage, 'parties', json(cr.parties), 'keyDates', json(cr.key_dates),
  'summary', cr.summary, 'chargeProsecuted', cr.charge_prosecuted, 'chargeJudged', cr.charge_judged,
  'material', json(cr.material), 'source', cr.source, 'importId', cr.import_id,
  'owner', (select json_object('id', o_.id, 'name', o_.name, 'kind', o_.kind)
    from organizations o_ where o_.id = cr.owner_org_id),
  'grantId', case when cr.owner_org_id = ${scope.me.orgId} then null
    else ${activeGrant(scope.me, sql`cr.id`, sql`cr.owner_org_id`, sql`cr.case_key`)} end,
  'requestHash', cr.request_hash, 'createdAt', cr.created_at, 'updatedAt', cr.updated_at)`;

export const records = (rows: { j: string }[]): CaseRecordRow[] =>
  rows.map((r) => JSON.parse(r.j) as CaseRecordRow);

/** One record, when the caller may see it (owner, or an active grant). */
export const getRecord = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`select ${recordJson(scope)} as j from case_records cr
    where cr.id = ${id} and ${scope.visible(caseRecords, "cr")}`);

/** The record the caller created with an Idempotency-Key (a retry finds the first attempt's). */
const getRecordByKey = (scope: Scope, key: string) =>
  scope.db.all<{ j: string }>(sql`select ${recordJson(scope)} as j from case_records cr
    where cr.created_by = ${scope.me.userId} and cr.idempotency_key = ${key}
      and ${scope.visible(caseRecords, "cr")}`);

export type SupervisionDocRow = {
  id: string;
  type: string;
  status: string;
  docNumber: string;
  title: string;
  sentOn: string;
  caseNumbers: string[];
};

/**
 * The supervision documents the caller already sees (documents policy) that name case key `key`:
 * the procuratorate's supervision information, derived, never copied. An index probe of
 * document_case_keys by the key.
 */
export const supervisionDocuments = (scope: Scope, key: SQL | string) =>
  scope.db.all<{ j: string }>(sql`select json_object('id', d.id, 'type', d.type, 'status', d.status,
      'docNumber', d.doc_number, 'title', d.title, 'sentOn', d.sent_on,
      'caseNumbers', json(d.case_numbers)) as j
    from documents d
    where ${scope.visible(documents, "d")}
      and d.id in (select dk_.document_id from document_case_keys dk_ where dk_.case_key = ${key})
    order by d.sent_on desc, d.id`);

export const docs = (rows: { j: string }[]): SupervisionDocRow[] =>
  rows.map((r) => JSON.parse(r.j) as SupervisionDocRow);

// ── The access audit ──────────────────────────────────────────────────────────────────────────

/**
 * auditRows: one access-log row per record of `rows` (a select of case_records columns aliased `cr`:
 * id, jurisdiction_id, owner_org_id, case_key) that the caller does NOT own — the counterpart's
 * access, under the grant `activeGrant` finds. Runs in the same batch as the read over the same
 * rows, so what the caller sees and what is audited cannot differ. Ids `<base>.<record id>`.
 */
export function auditRows(
  scope: Scope,
  o: {
    base: string;
    rows: SQL;
    action: "read" | "search" | "copy" | "export";
    now: string;
    purpose?: string | null;
    query?: string | null;
    when?: SQL;
  },
) {
  const me = scope.me;
  return scope.db.run(sql`insert into case_access_log (id, jurisdiction_id, owner_org_id, case_record_id,
      grant_id, actor_id, actor_org_id, action, purpose, query, at)
    select ${o.base} || '.' || cr.id, cr.jurisdiction_id, cr.owner_org_id, cr.id,
      ${activeGrant(me, sql`cr.id`, sql`cr.owner_org_id`, sql`cr.case_key`)},
      ${me.userId}, ${me.orgId}, ${o.action}, ${o.purpose ?? null}, ${o.query ?? null}, ${o.now}
    from (${o.rows}) cr
    where cr.owner_org_id <> ${me.orgId} and ${o.when ?? sql`1`}
    on conflict do nothing`);
}

/** The one record `id` as an audit source (only when the caller may see it). */
export const oneRecord = (scope: Scope, id: string) =>
  sql`select cr.id, cr.jurisdiction_id, cr.owner_org_id, cr.case_key from case_records cr
    where cr.id = ${id} and ${scope.visible(caseRecords, "cr")}`;

// ── Search and list ───────────────────────────────────────────────────────────────────────────

export type RecordFilter = {
  caseNumber?: string;
  party?: string;
  stage?: string;
  caseType?: string;
  area?: string;
  owner?: "mine" | "shared";
  updatedSince?: string;
  after?: [string, string];
};

/**
 * The records the caller may see (own + granted) matching `f`, in update order, at most `limit`:
 * 案号 through case_records_key_ix (exact normalised key), otherwise the pair's records through
 * case_records_sync_ix in update order; party name as a substring of the normalised party keys. `columns` is what each row carries (the audit's columns or the JSON).
 */
export function matchingRecords(scope: Scope, f: RecordFilter, limit: number, columns: SQL): SQL {
  // Grants never leave the pair: without a 案号, the pair's jurisdiction bounds the scan
  // (case_records_sync_ix) before the policy is checked per row; a 案号 goes through its own index.
  const conds: SQL[] = [scope.visible(caseRecords, "cr")];
  if (f.caseNumber !== undefined) conds.push(sql`cr.case_key = ${caseKey(f.caseNumber)}`);
  else conds.push(sql`cr.jurisdiction_id = ${scope.me.jurisdictionId}`);
  if (f.party !== undefined) conds.push(sql`instr(cr.party_keys, ${partyKeys([f.party]).slice(1, -1)}) > 0`);
  if (f.stage) conds.push(sql`cr.stage = ${f.stage}`);
  if (f.caseType) conds.push(sql`cr.case_type = ${f.caseType}`);
  if (f.area) conds.push(sql`cr.area = ${f.area}`);
  if (f.owner === "mine") conds.push(sql`cr.owner_org_id = ${scope.me.orgId}`);
  if (f.owner === "shared") conds.push(sql`cr.owner_org_id <> ${scope.me.orgId}`);
  if (f.updatedSince) conds.push(sql`cr.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  if (f.after) conds.push(sql`(cr.updated_at, cr.id) > (${f.after[0]}, ${f.after[1]})`);
  return sql`select ${columns} from case_records cr where ${sql.join(conds, sql` and `)}
    order by cr.updated_at, cr.id limit ${limit}`;
}

const AUDIT_COLUMNS = sql`cr.id, cr.jurisdiction_id, cr.owner_org_id, cr.case_key`;

/**
 * searchRecords: the page (`limit` + 1 rows, the extra one only says there is a next page) and, in
 * the same batch and before it, one 'search' (or 'export') audit row per record of the page the
 * caller is shown — the first `limit` rows in the same order — with the query.
 */
export function searchRecords(
  scope: Scope,
  o: {
    f: RecordFilter;
    limit: number;
    base: string;
    now: string;
    query: string;
    action: "search" | "export";
  },
) {
  return [
    auditRows(scope, {
      base: o.base,
      rows: matchingRecords(scope, o.f, o.limit, AUDIT_COLUMNS),
      action: o.action,
      now: o.now,
      query: o.query,
    }),
    scope.db.all<{ j: string }>(matchingRecords(scope, o.f, o.limit + 1, sql`${recordJson(scope)} as j`)),
  ] as const;
}

// ── Creating and changing a record ────────────────────────────────────────────────────────────

export type RecordInput = {
  caseNumber: string;
  courtName: string;
  caseType: string;
  area?: string | null;
  stage: string;
  parties: Party[];
  keyDates?: Record<string, string>;
  summary?: string | null;
  chargeProsecuted?: string | null;
  chargeJudged?: string | null;
  material?: Material[];
};

/** The stored form of an input (normalised keys, JSON columns), for one insert or an import. */
export const storedRecord = (r: RecordInput) => ({
  caseNumber: r.caseNumber.trim(),
  caseKey: caseKey(r.caseNumber),
  courtName: r.courtName,
  caseType: r.caseType,
  area: r.area ?? null,
  stage: r.stage,
  parties: r.parties.map((p) => ({ name: p.name, role: p.role ?? null })),
  partyKeys: partyKeys(r.parties.map((p) => p.name)),
  keyDates: r.keyDates ?? {},
  summary: r.summary ?? null,
  chargeProsecuted: r.chargeProsecuted ?? null,
  chargeJudged: r.chargeJudged ?? null,
  material: r.material ?? [],
});

/**
 * insertRecords: the rows of JSON array `rows` (storedRecord objects) as records owned by the
 * caller's institution — ALL or NONE: only when the caller works in the coordinating department and
 * no row's case key is already shared by the institution. The SELECT reads case_records, so SQLite
 * evaluates it whole before inserting. Callers refuse duplicates inside `rows` first (the unique
 * index would silently skip the second of two).
 */
function insertRecords(
  scope: Scope,
  o: {
    rows: string;
    ids: string;
    source: "manual" | "import";
    importId: string | null;
    key: string | null;
    hash: string | null;
    now: string;
    when?: boolean;
  },
) {
  return scope.db.run(sql`insert into case_records (id, jurisdiction_id, owner_org_id, case_number,
      case_key, court_name, case_type, area, stage, parties, party_keys, key_dates, summary,
      charge_prosecuted, charge_judged, material, source, import_id, created_by, idempotency_key,
      request_hash, created_at, updated_at)
    select json_extract(${o.ids}, '$[' || r_.key || ']'), o_.jurisdiction_id, o_.id,
      r_.value ->> 'caseNumber', r_.value ->> 'caseKey', r_.value ->> 'courtName',
      r_.value ->> 'caseType', r_.value ->> 'area', r_.value ->> 'stage', r_.value -> 'parties',
      r_.value ->> 'partyKeys', r_.value -> 'keyDates', r_.value ->> 'summary',
      r_.value ->> 'chargeProsecuted', r_.value ->> 'chargeJudged', r_.value -> 'material',
      ${o.source}, ${o.importId}, ${scope.me.userId}, ${o.key}, ${o.hash}, ${o.now}, ${o.now}
    from organizations o_, json_each(${o.rows}) r_
    where ${o.when === false ? sql`0` : sql`1`} and o_.id = ${scope.me.orgId}
      and ${scope.hasRole(SHARING_ROLES)} and ${coordinating(scope)}
      and not exists (select 1 from json_each(${o.rows}) k_ join case_records x_
        on x_.owner_org_id = o_.id and x_.case_key = k_.value ->> 'caseKey')
    on conflict do nothing`);
}

/**
 * Per row of `rows` (its index `row`), the record (not one of `ids`, just written) of the caller's
 * institution already holding its case key.
 */
const takenKeys = (scope: Scope, rows: string, ids: string) =>
  scope.db.all<{ row: number; caseKey: string; id: string }>(sql`select k_.key as row,
      k_.value ->> 'caseKey' as caseKey, x_.id
    from json_each(${rows}) k_ join case_records x_ on x_.owner_org_id = ${scope.me.orgId}
      and x_.case_key = k_.value ->> 'caseKey'
    where x_.id not in (select w_.value from json_each(${ids}) w_)`);

/** Whether the caller works in the coordinating department (explains a refused write). */
export const probe = (scope: Scope) =>
  scope.db.all<{ coordinating: number }>(sql`select ${coordinating(scope)} as coordinating`);

/**
 * createRecord: one record owned by the caller's institution (see insertRecords), at most one per
 * (caller, Idempotency-Key); its 'created' timeline entry and webhook outbox only when THIS request
 * wrote it. Then the record by key, the caller's department check and any record already holding
 * the case number.
 */
export function createRecord(
  scope: Scope,
  o: { id: string; eventId: string; key: string; hash: string; now: string; input: RecordInput },
) {
  const stored = storedRecord(o.input);
  const rows = JSON.stringify([stored]);
  const ids = JSON.stringify([o.id]);
  const created = sql`exists (select 1 from case_records cn_ where cn_.id = ${o.id})`;
  return [
    insertRecords(scope, {
      rows,
      ids,
      source: "manual",
      importId: null,
      key: o.key,
      hash: o.hash,
      now: o.now,
    }),
    recordEvent(scope.db, {
      id: o.eventId,
      jurisdictionId: sql`(select cj_.jurisdiction_id from case_records cj_ where cj_.id = ${o.id})`,
      subjectType: "case_record",
      subjectId: o.id,
      actorId: scope.me.userId,
      type: "created",
      data: JSON.stringify({ caseNumber: stored.caseNumber }),
      at: o.now,
      when: created,
    }),
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`),
    getRecordByKey(scope, o.key),
    probe(scope),
    takenKeys(scope, rows, ids),
  ] as const;
}

/**
 * importRecords: every row of the file in ONE statement (all or none, see insertRecords), tagged
 * with the import's id; then the keys already shared (per row) and the number written. `write`
 * false (the file has refused rows already): nothing is inserted, the shared keys are still read.
 */
export function importRecords(
  scope: Scope,
  o: { importId: string; ids: string[]; rows: RecordInput[]; now: string; write: boolean },
) {
  const rows = JSON.stringify(o.rows.map(storedRecord));
  const ids = JSON.stringify(o.ids);
  return [
    insertRecords(scope, {
      when: o.write,
      rows,
      ids,
      source: "import",
      importId: o.importId,
      key: null,
      hash: null,
      now: o.now,
    }),
    takenKeys(scope, rows, ids),
    scope.db.all<{ n: number }>(sql`select count(*) as n from case_records where import_id = ${o.importId}`),
    probe(scope),
  ] as const;
}

export type RecordChange = {
  stage?: string;
  keyDates?: Record<string, string>;
  summary?: string | null;
  chargeJudged?: string | null;
  material?: Material[];
};

/**
 * updateRecord: the owner's change of stage, key dates (merged: a date given replaces that date),
 * summary, judged charge and material — only the owning institution's coordinating department; a
 * timeline entry 'updated' with what changed, in the same batch.
 */
export function updateRecord(
  scope: Scope,
  o: { id: string; eventId: string; now: string; change: RecordChange },
) {
  const c = o.change;
  const set: SQL[] = [];
  if (c.stage !== undefined) set.push(sql`stage = ${c.stage}`);
  if (c.keyDates !== undefined)
    set.push(sql`key_dates = json_patch(key_dates, ${JSON.stringify(c.keyDates)})`);
  if (c.summary !== undefined) set.push(sql`summary = ${c.summary}`);
  if (c.chargeJudged !== undefined) set.push(sql`charge_judged = ${c.chargeJudged}`);
  if (c.material !== undefined) set.push(sql`material = ${JSON.stringify(c.material)}`);
  const change = subjectChange(scope, {
    table: caseRecords,
    subjectType: "case_record",
    id: o.id,
    eventId: o.eventId,
    now: o.now,
    roles: SHARING_ROLES,
    conds: sql`x_.owner_org_id = ${scope.me.orgId} and ${coordinating(scope)}`,
    set: set.length ? sql.join(set, sql`, `) : undefined,
    type: "updated",
    data: JSON.stringify(c),
  });
  return [
    ...change.statements,
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`),
    getRecord(scope, o.id),
    probe(scope),
    scope.db.all<{ ok: number }>(sql`select ${change.applied} as ok`),
  ] as const;
}

// ── Grants ────────────────────────────────────────────────────────────────────────────────────

export type GrantRow = {
  id: string;
  owner: { id: string; name: string };
  grantee: { id: string; name: string };
  caseRecordId: string | null;
  caseNumber: string | null;
  rule: string | null;
  status: "active" | "revoked";
  note: string | null;
  grantedBy: { id: string; name: string | null };
  revokedBy: { id: string; name: string | null } | null;
  revokedAt: string | null;
  idempotencyKey: string | null;
  createdAt: string;
  updatedAt: string;
};

/** A grant `g` as one JSON object (the record's 案号 only when the caller sees the record). */
const grantJson = (scope: Scope) => sql`json_object('id', g.id,
  'owner', json_object('id', g.owner_org_id,
    'name', (select o_.name from organizations o_ where o_.id = g.owner_org_id)),
  'grantee', json_object('id', g.grantee_org_id,
    'name', (select o_.name from organizations o_ where o_.id = g.grantee_org_id)),
  'caseRecordId', g.case_record_id,
  'caseNumber', (select cr.case_number from case_records cr
    where cr.id = g.case_record_id and ${scope.visible(caseRecords, "cr")}),
  'rule', g.rule, 'status', g.status, 'note', g.note,
  'grantedBy', json_object('id', g.granted_by,
    'name', (select u_.name from users u_ where u_.id = g.granted_by)),
  'revokedBy', case when g.revoked_by is null then null else json_object('id', g.revoked_by,
    'name', (select u_.name from users u_ where u_.id = g.revoked_by)) end,
  'revokedAt', g.revoked_at, 'idempotencyKey', g.idempotency_key,
  'createdAt', g.created_at, 'updatedAt', g.updated_at)`;

export const grants = (rows: { j: string }[]): GrantRow[] => rows.map((r) => JSON.parse(r.j) as GrantRow);

export const getGrant = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`select ${grantJson(scope)} as j from case_grants g
    where g.id = ${id} and ${scope.visible(caseGrants, "g")}`);

/**
 * createGrant: the counterpart institution of the caller's pair may see one record of the caller's
 * institution (`caseRecordId`) or every record matching `rule` — only by the owner's coordinating
 * department, only for a record the caller's institution owns, never a second identical active
 * grant, at most one per (caller, Idempotency-Key). Timeline entry and outbox with it; then the
 * grant by key and what explains a refusal.
 */
export function createGrant(
  scope: Scope,
  o: {
    id: string;
    eventId: string;
    key: string;
    now: string;
    caseRecordId: string | null;
    rule: string | null;
    note: string | null;
  },
) {
  const me = scope.me;
  const rec = o.caseRecordId;
  const created = sql`exists (select 1 from case_grants gn_ where gn_.id = ${o.id})`;
  return [
    scope.db.run(sql`insert into case_grants (id, jurisdiction_id, owner_org_id, grantee_org_id,
        case_record_id, rule, status, note, granted_by, idempotency_key, created_at, updated_at)
      select ${o.id}, o_.jurisdiction_id, o_.id, p_.id, ${rec}, ${o.rule}, 'active', ${o.note},
        ${me.userId}, ${o.key}, ${o.now}, ${o.now}
      from organizations o_ join organizations p_
        on p_.jurisdiction_id = o_.jurisdiction_id and p_.kind <> o_.kind
      where o_.id = ${me.orgId} and ${scope.hasRole(SHARING_ROLES)} and ${coordinating(scope)}
        and (${rec} is null or exists (select 1 from case_records r_
          where r_.id = ${rec} and r_.owner_org_id = o_.id))
        and not exists (select 1 from case_grants x_ where x_.owner_org_id = o_.id
          and x_.grantee_org_id = p_.id and x_.status = 'active'
          and (x_.case_record_id = ${rec} or x_.rule = ${o.rule}))
      on conflict do nothing`),
    recordEvent(scope.db, {
      id: o.eventId,
      jurisdictionId: sql`(select gj_.jurisdiction_id from case_grants gj_ where gj_.id = ${o.id})`,
      subjectType: "case_grant",
      subjectId: o.id,
      actorId: me.userId,
      type: "created",
      data: JSON.stringify({ caseRecordId: rec, rule: o.rule }),
      at: o.now,
      when: created,
    }),
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`),
    scope.db.all<{ j: string }>(sql`select ${grantJson(scope)} as j from case_grants g
      where g.granted_by = ${me.userId} and g.idempotency_key = ${o.key}`),
    probe(scope),
    scope.db.all<{ owned: number; visible: number }>(sql`select
        exists (select 1 from case_records r_ where r_.id = ${rec} and r_.owner_org_id = ${me.orgId}) as owned,
        exists (select 1 from case_records cr where cr.id = ${rec}
          and ${scope.visible(caseRecords, "cr")}) as visible`),
  ] as const;
}

/**
 * revokeGrant: an active grant revoked by the owner's coordinating department; the records it
 * opened are 404 to the grantee from the same instant (the policy reads only active grants); the
 * audit rows stay. Timeline entry 'cancelled' and outbox in the same batch.
 */
export function revokeGrant(
  scope: Scope,
  o: { id: string; eventId: string; now: string; note: string | null },
) {
  const change = subjectChange(scope, {
    table: caseGrants,
    subjectType: "case_grant",
    id: o.id,
    eventId: o.eventId,
    now: o.now,
    roles: SHARING_ROLES,
    conds: sql`x_.status = 'active' and x_.owner_org_id = ${scope.me.orgId} and ${coordinating(scope)}`,
    set: sql`status = 'revoked', revoked_by = ${scope.me.userId}, revoked_at = ${o.now}`,
    type: "cancelled",
    note: o.note,
  });
  return [
    ...change.statements,
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`),
    getGrant(scope, o.id),
    probe(scope),
    scope.db.all<{ ok: number }>(sql`select ${change.applied} as ok`),
  ] as const;
}

/** A page of the grants the caller's institution gave or received, in update order. */
export function listGrants(
  scope: Scope,
  f: {
    status?: string;
    direction?: "given" | "received";
    updatedSince?: string;
    after?: [string, string];
    limit: number;
  },
): SQL {
  const conds: SQL[] = [scope.visible(caseGrants, "g")];
  if (f.status) conds.push(sql`g.status = ${f.status}`);
  if (f.direction === "given") conds.push(sql`g.owner_org_id = ${scope.me.orgId}`);
  if (f.direction === "received") conds.push(sql`g.grantee_org_id = ${scope.me.orgId}`);
  if (f.updatedSince) conds.push(sql`g.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  if (f.after) conds.push(sql`(g.updated_at, g.id) > (${f.after[0]}, ${f.after[1]})`);
  return sql`select ${grantJson(scope)} as j from case_grants g where ${sql.join(conds, sql` and `)}
    order by g.updated_at, g.id limit ${f.limit + 1}`;
}

// ── Reading the audit ─────────────────────────────────────────────────────────────────────────

export type AccessRow = {
  id: string;
  caseRecordId: string;
  caseNumber: string | null;
  grantId: string | null;
  actor: { id: string; name: string | null; orgId: string; orgName: string | null };
  action: "read" | "search" | "copy" | "export";
  purpose: string | null;
  query: string | null;
  at: string;
};

/** A page of the owning side's access audit, newest first (owner_org_id, at index). */
export function listAccess(
  scope: Scope,
  f: {
    actorId?: string;
    caseRecordId?: string;
    action?: string;
    from?: string;
    to?: string;
    before?: [string, string];
    limit: number;
  },
): SQL {
  const conds: SQL[] = [sql`l.owner_org_id = ${scope.me.orgId}`, scope.visible(caseAccessLog, "l")];
  if (f.actorId) conds.push(sql`l.actor_id = ${f.actorId}`);
  if (f.caseRecordId) conds.push(sql`l.case_record_id = ${f.caseRecordId}`);
  if (f.action) conds.push(sql`l.action = ${f.action}`);
  if (f.from) conds.push(sql`l.at >= ${new Date(f.from).toISOString()}`);
  if (f.to) conds.push(sql`l.at < ${new Date(f.to).toISOString()}`);
  if (f.before) conds.push(sql`(l.at, l.id) < (${f.before[0]}, ${f.before[1]})`);
  return sql`select json_object('id', l.id, 'caseRecordId', l.case_record_id,
      'caseNumber', (select cr.case_number from case_records cr where cr.id = l.case_record_id),
      'grantId', l.grant_id,
      'actor', json_object('id', l.actor_id, 'name', (select u_.name from users u_ where u_.id = l.actor_id),
        'orgId', l.actor_org_id,
        'orgName', (select o_.name from organizations o_ where o_.id = l.actor_org_id)),
      'action', l.action, 'purpose', l.purpose, 'query', l.query, 'at', l.at) as j
    from case_access_log l where ${sql.join(conds, sql` and `)}
    order by l.at desc, l.id desc limit ${f.limit + 1}`;
}

// ── CSV (RFC 4180) ────────────────────────────────────────────────────────────────────────────

/**
 * Parses CSV text (RFC 4180: quoted fields, "" inside quotes, CRLF or LF, a UTF-8 BOM) into rows of
 * fields; blank lines are skipped. Returns null when a quote is left open.
 */
export function parseCsv(text: string): string[][] | null {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    if (row.length > 1 || row[0] !== "") rows.push(row);
    row = [];
    field = "";
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRow();
    } else field += ch;
  }
  if (quoted) return null;
  if (field !== "" || row.length) endRow();
  return rows;
}

/** One CSV line: fields quoted when they hold a comma, quote or line break (and formulas defused). */
export function csvLine(fields: (string | number | null)[]): string {
  return fields
    .map((v) => {
      let s = v === null ? "" : String(v);
      // A formula is defused with a leading ' (also a value already starting with 's before one, so
      // the import's one-' strip gives back exactly what was stored).
      if (/^'*[=+\-@]/.test(s)) s = `'${s}`;
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(",");
}
