// Jointly published typical cases (联合发布案例, S3.3.3): drafted by either institution of a pair,
// co-signed by both institutions' leaders (src/cosign, ADR 0008), then published to a public,
// unauthenticated feed; withdrawn by either side, never edited once submitted (a correction is a
// withdrawal and a new draft). Here: the case as one JSON value, the guarded statements of the
// authenticated routes, the hooks of the round, and the public feed's one statement.
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import {
  type CosignContext,
  type CosignHooks,
  cosignJson,
  cosignOpen,
  type CosignRow,
  openCosign,
} from "../cosign/cosign";
import type { Db } from "../db/client";
import { typicalCases } from "../db/schema";
import { outboxFromSubjectEvents, recordEvent, subjectChange, type SubjectEventRow } from "../events/events";
import {
  ANONYMISATION_CHECKS,
  CASE_AREAS,
  CASE_CATEGORIES,
  type Role,
  type TYPICAL_CASE_KINDS,
  type TYPICAL_CASE_STATUSES,
} from "../vocab";

/** Who drafts, edits, submits and withdraws a typical case (either institution of the pair). */
export const TYPICAL_CASE_EDITORS: Role[] = ["leader", "department_head", "coordinator", "handler"];

/**
 * Who may withdraw a published case: each institution's leaders and coordinators — either side alone
 * (pulling a case must not wait for the other side's consent), but not any handler of either side.
 */
export const TYPICAL_CASE_WITHDRAWERS: Role[] = ["leader", "coordinator"];

/** The tags a case may carry: case categories and focus areas (crime categories, public-interest areas). */
export const TAG_CODES = [...CASE_CATEGORIES.codes, ...CASE_AREAS.codes] as [string, ...string[]];
export const tagItem = (code: string) => ({
  code,
  label: (CASE_CATEGORIES.codes as readonly string[]).includes(code)
    ? CASE_CATEGORIES.label(code as never)
    : CASE_AREAS.label(code as never),
});

export type Kind = (typeof TYPICAL_CASE_KINDS.codes)[number];
export type Status = (typeof TYPICAL_CASE_STATUSES.codes)[number];
export type Anonymisation = Record<(typeof ANONYMISATION_CHECKS.codes)[number], boolean>;

/** What a draft holds (POST and PUT both send all of it: PUT replaces the draft). */
export type CaseInput = {
  kind: Kind;
  title: string;
  caseNumbers: string[];
  facts: string;
  reasoning: string;
  significance: string;
  tags: string[];
  anonymisation: Anonymisation;
};

/** The content the leaders sign (its sha-256 is the round's content hash): the text as published. */
export const signedContent = (i: CaseInput) =>
  JSON.stringify({
    kind: i.kind,
    title: i.title,
    caseNumbers: i.caseNumbers,
    facts: i.facts,
    reasoning: i.reasoning,
    significance: i.significance,
    tags: i.tags,
  });

/** The checks of the anonymisation list that are not ticked. */
export const unchecked = (a: Anonymisation) => ANONYMISATION_CHECKS.codes.filter((c) => !a[c]);

// ── The case as one JSON value (authenticated reads) ─────────────────────────────────────────

export type CaseRow = CaseInput & {
  id: string;
  status: Status;
  draftedBy: { id: string; name: string; kind: "court" | "procuratorate" };
  createdBy: { id: string; name: string } | null;
  publishedAt: string | null;
  withdrawnAt: string | null;
  withdrawReason: string | null;
  contentHash: string | null;
  requestHash: string | null;
  createdAt: string;
  updatedAt: string;
  cosignature: CosignRow | null;
};

/**
 * The sha-256 of the case's current text: kept in its latest `created`/`updated` timeline entry
 * (computed by the app when the text was written), so a round copies it at submission without the
 * text crossing to the app again.
 */
const currentHash = (id: SQL) => sql`(select json_extract(eh_.data, '$.contentHash')
  from subject_events eh_ where eh_.subject_type = 'typical_case' and eh_.subject_id = ${id}
    and eh_.type in ('created', 'updated')
  order by eh_.at desc, eh_.id desc limit 1)`;

/** A case `tc` as one JSON object, with its latest round as the caller sees it. */
const caseJson = (scope: Scope) => sql`json_object('id', tc.id, 'kind', tc.kind, 'status', tc.status,
  'title', tc.title, 'caseNumbers', json(tc.case_numbers), 'facts', tc.facts, 'reasoning', tc.reasoning,
  'significance', tc.significance, 'tags', json(tc.tags), 'anonymisation', json(tc.anonymisation),
  'draftedBy', (select json_object('id', o_.id, 'name', o_.name, 'kind', o_.kind)
    from organizations o_ where o_.id = tc.drafted_by_org_id),
  'createdBy', (select json_object('id', u_.id, 'name', u_.name) from users u_ where u_.id = tc.created_by),
  'publishedAt', tc.published_at, 'withdrawnAt', tc.withdrawn_at, 'withdrawReason', tc.withdraw_reason,
  'contentHash', ${currentHash(sql`tc.id`)}, 'requestHash', tc.request_hash,
  'createdAt', tc.created_at, 'updatedAt', tc.updated_at,
  'cosignature', json(${cosignJson("typical_case", sql`tc.id`, scope)}))`;

export const readCases = (rows: { j: string }[]) => rows.map((r) => JSON.parse(r.j) as CaseRow);

/** One case of the caller's pair (no row for another pair's or an unknown id). */
export const getCase = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`select ${caseJson(scope)} as j from typical_cases tc
    where tc.id = ${id} and ${scope.visible(typicalCases, "tc")}`);

/** The case the caller created with an Idempotency-Key (a retry finds the first attempt's). */
const getCaseByKey = (scope: Scope, key: string) =>
  scope.db.all<{ j: string }>(sql`select ${caseJson(scope)} as j from typical_cases tc
    where tc.created_by = ${scope.me.userId} and tc.idempotency_key = ${key}
      and ${scope.visible(typicalCases, "tc")}`);

/**
 * The timeline of the case `caseId` names (oldest first), only when the caller sees the case. Filtered
 * by the case's own policy (the pair's jurisdiction) — the same rows as `getSubjectTimeline`'s
 * subject_events policy admits for a typical case, without its branch of every other subject type
 * (which the parser may refuse as too deep: "parser stack overflow").
 */
export const caseTimeline = (scope: Scope, caseId: SQL) =>
  scope.db.all<SubjectEventRow>(sql`select e.id, e.at, e.type, e.note, e.actor_id as actorId,
      u.name as actorName, e.data
    from subject_events e left join users u on u.id = e.actor_id
    where e.subject_type = 'typical_case' and e.subject_id = (select tv_.id from typical_cases tv_
        where tv_.id = ${caseId} and ${scope.visible(typicalCases, "tv_")})
    order by e.at, e.id`);

/** The timeline of the case the caller created with an Idempotency-Key. */
const timelineByKey = (scope: Scope, key: string) =>
  caseTimeline(
    scope,
    sql`(select tk_.id from typical_cases tk_
    where tk_.created_by = ${scope.me.userId} and tk_.idempotency_key = ${key})`,
  );

/** The year (China time) a case is listed under: its publication, or its creation before that. */
const yearOf = sql`strftime('%Y', coalesce(tc.published_at, tc.created_at), '+8 hours')`;

export type CaseFilter = {
  status?: Status;
  kind?: Kind;
  tag?: string;
  year?: number;
  updatedSince?: string;
  after?: [string, string];
  limit: number;
};

/**
 * A page of the pair's cases (rows of one JSON column `j`, for `scope.list`): in update order,
 * oldest change first (the `updatedSince` sync order), keyset on (updated_at, id) over
 * typical_cases_sync_ix.
 */
export function listCases(scope: Scope, f: CaseFilter): SQL {
  const conds: SQL[] = [scope.visible(typicalCases, "tc")];
  if (f.status) conds.push(sql`tc.status = ${f.status}`);
  if (f.kind) conds.push(sql`tc.kind = ${f.kind}`);
  if (f.tag) conds.push(sql`exists (select 1 from json_each(tc.tags) tg_ where tg_.value = ${f.tag})`);
  if (f.year) conds.push(sql`${yearOf} = ${String(f.year)}`);
  if (f.updatedSince) conds.push(sql`tc.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  if (f.after) conds.push(sql`(tc.updated_at, tc.id) > (${f.after[0]}, ${f.after[1]})`);
  return sql`select ${caseJson(scope)} as j from typical_cases tc where ${sql.join(conds, sql` and `)}
    order by tc.updated_at, tc.id limit ${f.limit + 1}`;
}

// ── Writes ───────────────────────────────────────────────────────────────────────────────────

/** The case `x_` may be edited: a draft with no open round (a refused round leaves it a draft). */
const EDITABLE = sql`x_.status = 'draft' and not ${cosignOpen("typical_case", sql`x_.id`)}`;

/**
 * createCase: a draft of the caller's pair, drafted by the caller's institution — only when the
 * caller holds an editor role; at most one per (caller, Idempotency-Key) (the unique index). Its
 * `created` timeline entry (with the text's content hash) and webhook only with the row THIS
 * request inserted.
 */
export function createCase(
  scope: Scope,
  o: { id: string; key: string; hash: string; contentHash: string; now: string; input: CaseInput },
) {
  const i = o.input;
  const created = sql`exists (select 1 from typical_cases tn_ where tn_.id = ${o.id})`;
  const eventId = `${o.id}.created`;
  return {
    statements: [
      scope.db.run(sql`insert into typical_cases (id, jurisdiction_id, drafted_by_org_id, kind, status,
          title, case_numbers, facts, reasoning, significance, tags, anonymisation, created_by,
          idempotency_key, request_hash, created_at, updated_at)
        select ${o.id}, o_.jurisdiction_id, o_.id, ${i.kind}, 'draft', ${i.title},
          ${JSON.stringify(i.caseNumbers)}, ${i.facts}, ${i.reasoning}, ${i.significance},
          ${JSON.stringify(i.tags)}, ${JSON.stringify(i.anonymisation)}, ${scope.me.userId}, ${o.key},
          ${o.hash}, ${o.now}, ${o.now}
        from organizations o_ where o_.id = ${scope.me.orgId} and ${scope.hasRole(TYPICAL_CASE_EDITORS)}
        on conflict (created_by, idempotency_key) do nothing`),
      recordEvent(scope.db, {
        id: eventId,
        jurisdictionId: sql`(select tj_.jurisdiction_id from typical_cases tj_ where tj_.id = ${o.id})`,
        subjectType: "typical_case",
        subjectId: o.id,
        actorId: scope.me.userId,
        type: "created",
        data: sql`json_object('title', ${i.title}, 'kind', ${i.kind}, 'contentHash', ${o.contentHash})`,
        at: o.now,
        when: created,
      }),
      outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
    ] as const,
    byKey: getCaseByKey(scope, o.key),
    timeline: timelineByKey(scope, o.key),
  };
}

/**
 * updateCase (PUT): replaces a draft's text, tags and checklist — only while it is a draft with no
 * open round, for an editor of either side. The `updated` entry carries the new content hash; an
 * identical text is still a new entry (a PUT is not idempotent by content here: cheap, and the
 * timeline shows who touched it).
 */
export function updateCase(
  scope: Scope,
  o: { id: string; eventId: string; contentHash: string; now: string; input: CaseInput },
) {
  const i = o.input;
  return subjectChange(scope, {
    table: typicalCases,
    subjectType: "typical_case",
    id: o.id,
    eventId: o.eventId,
    now: o.now,
    roles: TYPICAL_CASE_EDITORS,
    conds: EDITABLE,
    type: "updated",
    data: sql`json_object('contentHash', ${o.contentHash})`,
    set: sql`kind = ${i.kind}, title = ${i.title}, case_numbers = ${JSON.stringify(i.caseNumbers)},
      facts = ${i.facts}, reasoning = ${i.reasoning}, significance = ${i.significance},
      tags = ${JSON.stringify(i.tags)}, anonymisation = ${JSON.stringify(i.anonymisation)}`,
  });
}

/** SQL true when every item of the case `x_`'s anonymisation checklist is ticked. */
const anonymised = sql.join(
  ANONYMISATION_CHECKS.codes.map((c) => sql.raw(`json_extract(x_.anonymisation, '$.${c}') = 1`)),
  sql` and `,
);

/**
 * submitCase: the draft becomes `signing` and a round over it opens, parties both institutions'
 * `leader`, content hash the current text's — only for a draft with every anonymisation check
 * ticked, by an editor of either side. The round opens only with the status change of this request.
 */
export function submitCase(scope: Scope, o: { id: string; eventId: string; roundId: string; now: string }) {
  const tc = (col: string) =>
    sql`(select ${sql.raw(`ts_.${col}`)} from typical_cases ts_ where ts_.id = ${o.id})`;
  const orgOf = (kind: string) => sql`(select og_.id from organizations og_
    where og_.jurisdiction_id = ${tc("jurisdiction_id")} and og_.kind = ${kind})`;
  const change = subjectChange(scope, {
    table: typicalCases,
    subjectType: "typical_case",
    id: o.id,
    eventId: o.eventId,
    now: o.now,
    roles: TYPICAL_CASE_EDITORS,
    conds: sql`${EDITABLE} and ${anonymised}`,
    type: "cosign_opened",
    data: sql`json_object('cosignId', ${o.roundId}, 'contentHash', ${currentHash(sql`${o.id}`)})`,
    set: sql`status = 'signing'`,
  });
  return [
    ...change.statements,
    ...openCosign(scope.db, {
      id: o.roundId,
      jurisdictionId: tc("jurisdiction_id"),
      subjectType: "typical_case",
      subjectId: o.id,
      title: sql`'联合发布案例:' || ${tc("title")}`,
      contentHash: currentHash(sql`${o.id}`),
      parties: [
        { orgId: orgOf("court"), role: "leader" },
        { orgId: orgOf("procuratorate"), role: "leader" },
      ],
      actorId: scope.me.userId,
      now: o.now,
      when: change.applied,
    }),
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`),
  ];
}

/**
 * withdrawCase: a published case is `withdrawn` (gone from the public feed), with a reason, by a
 * leader or coordinator of either side (TYPICAL_CASE_WITHDRAWERS).
 */
export function withdrawCase(scope: Scope, o: { id: string; eventId: string; reason: string; now: string }) {
  const change = subjectChange(scope, {
    table: typicalCases,
    subjectType: "typical_case",
    id: o.id,
    eventId: o.eventId,
    now: o.now,
    roles: TYPICAL_CASE_WITHDRAWERS,
    conds: sql`x_.status = 'published'`,
    type: "case_withdrawn",
    note: o.reason,
    set: sql`status = 'withdrawn', withdrawn_at = ${o.now}, withdraw_reason = ${o.reason}`,
  });
  return [...change.statements, outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`)];
}

/** Where a case stands for the caller: explains a refusal after the batch. */
export const caseProbe = (scope: Scope, id: string) =>
  scope.db.all<{ status: Status; editor: number; underSignature: number }>(sql`select
      tc.status, ${scope.hasRole(TYPICAL_CASE_EDITORS)} as editor,
      ${cosignOpen("typical_case", sql`tc.id`)} as underSignature
    from typical_cases tc where tc.id = ${id} and ${scope.visible(typicalCases, "tc")}`);

// ── Hooks of the round ───────────────────────────────────────────────────────────────────────

/**
 * A timeline entry on the round's case (and its webhook), written only when this request ended the
 * round (`ctx.done`) and the case is still `signing` — defence in depth: nothing acts on a case
 * that has moved on. The status change is guarded by the entry.
 */
function caseEvent(db: Db, ctx: CosignContext, id: string, type: "case_published" | "refused") {
  const refusal = sql`(select cp_.reason from cosign_parties cp_
    where cp_.cosign_id = ${ctx.cosignId} and cp_.decision = 'refused')`;
  return [
    recordEvent(db, {
      id,
      jurisdictionId: sql`(select tj_.jurisdiction_id from typical_cases tj_ where tj_.id = ${ctx.subjectId})`,
      subjectType: "typical_case",
      subjectId: ctx.subjectId,
      actorId: ctx.actorId,
      type,
      note: type === "refused" ? refusal : null,
      data: sql`json_object('cosignId', ${ctx.cosignId})`,
      at: ctx.now,
      when: sql`${ctx.done} and exists (select 1 from typical_cases th_
        where th_.id = ${ctx.subjectId} and th_.status = 'signing')`,
    }),
    outboxFromSubjectEvents(db, sql`ev.id = ${id}`),
  ];
}

const wrote = (id: string) => sql`exists (select 1 from subject_events ew_ where ew_.id = ${id})`;

/**
 * Signed by both leaders: the case is `published` (published_at now) and enters the public feed.
 * Refused: it is a `draft` again, editable, and may be resubmitted (a new round).
 */
export const typicalCaseHooks: CosignHooks = {
  onSigned: (db, ctx) => {
    const id = ctx.ids();
    return [
      ...caseEvent(db, ctx, id, "case_published"),
      db.run(sql`update typical_cases set status = 'published', published_at = ${ctx.now},
          updated_at = ${ctx.now}
        where id = ${ctx.subjectId} and status = 'signing' and ${wrote(id)}`),
    ];
  },
  onRefused: (db, ctx) => {
    const id = ctx.ids();
    return [
      ...caseEvent(db, ctx, id, "refused"),
      db.run(sql`update typical_cases set status = 'draft', updated_at = ${ctx.now}
        where id = ${ctx.subjectId} and status = 'signing' and ${wrote(id)}`),
    ];
  },
};

// ── The public feed (no caller: published cases of every pair of the deployment) ──────────────

/** A published case as the public sees it: ONLY these fields ever leave the database here. */
export type PublicRow = {
  id: string;
  kind: Kind;
  title: string;
  caseNumbers: string[];
  facts: string;
  reasoning: string;
  significance: string;
  tags: string[];
  publishedAt: string;
  jurisdiction: { code: string; name: string };
  institutions: { name: string; kind: "court" | "procuratorate" }[];
};

/** A published case `tc` as one JSON object of public fields (the allow-list, in SQL). */
const PUBLIC_JSON = sql`json_object('id', tc.id, 'kind', tc.kind, 'title', tc.title,
  'caseNumbers', json(tc.case_numbers), 'facts', tc.facts, 'reasoning', tc.reasoning,
  'significance', tc.significance, 'tags', json(tc.tags), 'publishedAt', tc.published_at,
  'jurisdiction', json_object('code', j_.code, 'name', j_.name),
  'institutions', json((select json_group_array(json_object('name', x_.name, 'kind', x_.kind)) from (
    select oi_.name, oi_.kind from organizations oi_ where oi_.jurisdiction_id = tc.jurisdiction_id
    order by oi_.kind) x_)))`;

export type PublicFilter = {
  tag?: string;
  year?: number;
  kind?: Kind;
  jurisdiction?: string;
  /** The last row's (published_at, id) of the previous page (newest first). */
  after?: [string, string];
  limit: number;
};

/**
 * The public list: published cases only (status = 'published' is the whole gate: drafts, cases being
 * signed and withdrawn ones never match), newest publication first, keyset on (published_at, id)
 * over typical_cases_public_ix (status, published_at). One statement, one JSON value.
 */
export function publicList(db: Db, f: PublicFilter) {
  const conds: SQL[] = [sql`tc.status = 'published'`];
  if (f.kind) conds.push(sql`tc.kind = ${f.kind}`);
  if (f.tag) conds.push(sql`exists (select 1 from json_each(tc.tags) tg_ where tg_.value = ${f.tag})`);
  // The publication year in China time, as a range on published_at (UTC) so the index serves it.
  if (f.year)
    conds.push(sql`tc.published_at >= ${`${f.year - 1}-12-31T16:00:00.000Z`}
      and tc.published_at < ${`${f.year}-12-31T16:00:00.000Z`}`);
  if (f.jurisdiction) conds.push(sql`j_.code = ${f.jurisdiction}`);
  if (f.after) conds.push(sql`(tc.published_at, tc.id) < (${f.after[0]}, ${f.after[1]})`);
  // The page's ids first (narrow rows, sorted), then the JSON of those rows only: the objects are
  // built for the page, not for every published case the sort reads.
  return db.values<[string]>(sql`select coalesce(json_group_array(json(q_.j)), '[]') from (
      select ${PUBLIC_JSON} as j from (
        select tc.id from typical_cases tc join jurisdictions j_ on j_.id = tc.jurisdiction_id
        where ${sql.join(conds, sql` and `)}
        order by tc.published_at desc, tc.id desc limit ${f.limit + 1}) p_
      join typical_cases tc on tc.id = p_.id join jurisdictions j_ on j_.id = tc.jurisdiction_id
      order by tc.published_at desc, tc.id desc) q_`);
}

/** One published case (no row for a draft, a case being signed, a withdrawn or an unknown id alike). */
export const publicCase = (db: Db, id: string) =>
  db.values<[string]>(sql`select ${PUBLIC_JSON} from typical_cases tc
    join jurisdictions j_ on j_.id = tc.jurisdiction_id
    where tc.id = ${id} and tc.status = 'published'`);
