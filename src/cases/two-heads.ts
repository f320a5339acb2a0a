// Two heads in one hearing (两长同庭, S3.3.1): either institution of a pair nominates a case for the
// court president and the chief procurator to appear in the same hearing; it goes ahead only when
// both heads approve (a co-signature round of both institutions' `leader`, opened with the
// nomination: src/cosign, ADR 0008); then its date and place, then the outcome. Listed per year.
// Here: the nomination as one JSON value, the guarded statements of the routes, the round's hooks.
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import {
  type CosignContext,
  type CosignHooks,
  cosignJson,
  type CosignRow,
  openCosign,
  withdrawCosign,
} from "../cosign/cosign";
import type { Db } from "../db/client";
import { caseRecords, documents, twoHeadsHearings } from "../db/schema";
import { outboxFromSubjectEvents, recordEvent, subjectChange, type SubjectEventRow } from "../events/events";
import type { Role, TWO_HEADS_STATUSES } from "../vocab";

/** Who nominates, schedules, records the outcome and cancels (either institution of the pair). */
export const TWO_HEADS_ACTORS: Role[] = ["leader", "department_head", "coordinator"];

export type Status = (typeof TWO_HEADS_STATUSES.codes)[number];

export type NominationInput = {
  caseNumber: string;
  caseTitle: string;
  reason: string;
  documentId?: string | null;
  caseRecordId?: string | null;
};

export type HearingRow = {
  id: string;
  status: Status;
  caseNumber: string;
  caseTitle: string;
  reason: string;
  documentId: string | null;
  caseRecordId: string | null;
  year: number;
  hearingAt: string | null;
  place: string | null;
  outcome: string | null;
  outcomeOn: string | null;
  nominatedBy: { id: string; name: string; kind: "court" | "procuratorate" };
  createdBy: { id: string; name: string } | null;
  requestHash: string | null;
  createdAt: string;
  updatedAt: string;
  cosignature: CosignRow | null;
};

/** A nomination `th` as one JSON object, with its latest round as the caller sees it. */
const hearingJson = (scope: Scope) => sql`json_object('id', th.id, 'status', th.status,
  'caseNumber', th.case_number, 'caseTitle', th.case_title, 'reason', th.reason,
  'documentId', th.document_id, 'caseRecordId', th.case_record_id, 'year', th.year,
  'hearingAt', th.hearing_at, 'place', th.place, 'outcome', th.outcome, 'outcomeOn', th.outcome_on,
  'nominatedBy', (select json_object('id', o_.id, 'name', o_.name, 'kind', o_.kind)
    from organizations o_ where o_.id = th.nominated_by_org_id),
  'createdBy', (select json_object('id', u_.id, 'name', u_.name) from users u_ where u_.id = th.created_by),
  'requestHash', th.request_hash, 'createdAt', th.created_at, 'updatedAt', th.updated_at,
  'cosignature', json(${cosignJson("two_heads_hearing", sql`th.id`, scope)}))`;

export const readHearings = (rows: { j: string }[]) => rows.map((r) => JSON.parse(r.j) as HearingRow);

/** One nomination of the caller's pair (no row for another pair's or an unknown id). */
export const getHearing = (scope: Scope, id: SQL) =>
  scope.db.all<{ j: string }>(sql`select ${hearingJson(scope)} as j from two_heads_hearings th
    where th.id = ${id} and ${scope.visible(twoHeadsHearings, "th")}`);

/** The nomination the caller made with an Idempotency-Key (a retry finds the first attempt's). */
export const byKey = (scope: Scope, key: string) =>
  sql`(select tk_.id from two_heads_hearings tk_
    where tk_.created_by = ${scope.me.userId} and tk_.idempotency_key = ${key})`;

/**
 * The timeline of nomination `id` (oldest first), only when the caller sees it — filtered by the
 * nomination's own policy (the pair's jurisdiction), the rows the subject_events policy admits for it.
 */
export const hearingTimeline = (scope: Scope, id: SQL) =>
  scope.db.all<SubjectEventRow>(sql`select e.id, e.at, e.type, e.note, e.actor_id as actorId,
      u.name as actorName, e.data
    from subject_events e left join users u on u.id = e.actor_id
    where e.subject_type = 'two_heads_hearing' and e.subject_id = (select tv_.id from two_heads_hearings tv_
        where tv_.id = ${id} and ${scope.visible(twoHeadsHearings, "tv_")})
    order by e.at, e.id`);

export type HearingFilter = {
  year?: number;
  status?: Status;
  updatedSince?: string;
  after?: [string, string];
  limit: number;
};

/**
 * A page of the pair's nominations (rows of one JSON column `j`, for `scope.list`), oldest change
 * first, keyset on (updated_at, id) over two_heads_hearings_sync_ix; `year` is the nomination's year.
 */
export function listHearings(scope: Scope, f: HearingFilter): SQL {
  const conds: SQL[] = [scope.visible(twoHeadsHearings, "th")];
  if (f.year) conds.push(sql`th.year = ${f.year}`);
  if (f.status) conds.push(sql`th.status = ${f.status}`);
  if (f.updatedSince) conds.push(sql`th.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  if (f.after) conds.push(sql`(th.updated_at, th.id) > (${f.after[0]}, ${f.after[1]})`);
  return sql`select ${hearingJson(scope)} as j from two_heads_hearings th
    where ${sql.join(conds, sql` and `)}
    order by th.updated_at, th.id limit ${f.limit + 1}`;
}

// ── Nomination ────────────────────────────────────────────────────────────────────────────────

/** SQL true when the optional links name a document / case record the caller sees. */
const linksVisible = (scope: Scope, i: NominationInput) => sql`(${i.documentId ?? null} is null
    or exists (select 1 from documents dl_ where dl_.id = ${i.documentId ?? null}
      and ${scope.visible(documents, "dl_")}))
  and (${i.caseRecordId ?? null} is null
    or exists (select 1 from case_records cl_ where cl_.id = ${i.caseRecordId ?? null}
      and ${scope.visible(caseRecords, "cl_")}))`;

/** Which links the caller does not see (explains a 400 after the batch). */
export const linkProbe = (scope: Scope, i: NominationInput) =>
  scope.db.all<{ documentOk: number; caseRecordOk: number }>(sql`select
    (${i.documentId ?? null} is null or exists (select 1 from documents dl_
      where dl_.id = ${i.documentId ?? null} and ${scope.visible(documents, "dl_")})) as documentOk,
    (${i.caseRecordId ?? null} is null or exists (select 1 from case_records cl_
      where cl_.id = ${i.caseRecordId ?? null} and ${scope.visible(caseRecords, "cl_")})) as caseRecordOk`);

/**
 * nominate: the nomination (`pending_approval`, year = this year in China time) by the caller's
 * institution — only for an actor role and links the caller sees; at most one per (caller,
 * Idempotency-Key). With the row THIS request inserted: its `created` entry and webhook, and a round
 * of both institutions' `leader` (their heads) opened at once.
 */
export function nominate(
  scope: Scope,
  o: {
    id: string;
    key: string;
    hash: string;
    year: number;
    now: string;
    roundId: string;
    input: NominationInput;
  },
) {
  const i = o.input;
  const created = sql`exists (select 1 from two_heads_hearings tn_ where tn_.id = ${o.id})`;
  const th = (col: string) =>
    sql`(select ${sql.raw(`ts_.${col}`)} from two_heads_hearings ts_ where ts_.id = ${o.id})`;
  const orgOf = (kind: string) => sql`(select og_.id from organizations og_
    where og_.jurisdiction_id = ${th("jurisdiction_id")} and og_.kind = ${kind})`;
  const eventId = `${o.id}.created`;
  return [
    scope.db.run(sql`insert into two_heads_hearings (id, jurisdiction_id, nominated_by_org_id, status,
        case_number, case_title, reason, document_id, case_record_id, year, created_by, idempotency_key,
        request_hash, created_at, updated_at)
      select ${o.id}, o_.jurisdiction_id, o_.id, 'pending_approval', ${i.caseNumber}, ${i.caseTitle},
        ${i.reason}, ${i.documentId ?? null}, ${i.caseRecordId ?? null}, ${o.year}, ${scope.me.userId},
        ${o.key}, ${o.hash}, ${o.now}, ${o.now}
      from organizations o_
      where o_.id = ${scope.me.orgId} and ${scope.hasRole(TWO_HEADS_ACTORS)} and ${linksVisible(scope, i)}
      on conflict (created_by, idempotency_key) do nothing`),
    recordEvent(scope.db, {
      id: eventId,
      jurisdictionId: th("jurisdiction_id"),
      subjectType: "two_heads_hearing",
      subjectId: o.id,
      actorId: scope.me.userId,
      type: "created",
      data: sql`json_object('caseNumber', ${i.caseNumber}, 'cosignId', ${o.roundId})`,
      at: o.now,
      when: created,
    }),
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
    // The heads' round on the timeline, as a typical case submitted for signature shows it (its id
    // sorts right after the created entry's; the created webhook already carries the round's id).
    recordEvent(scope.db, {
      id: `${eventId}.cosign`,
      jurisdictionId: th("jurisdiction_id"),
      subjectType: "two_heads_hearing",
      subjectId: o.id,
      actorId: scope.me.userId,
      type: "cosign_opened",
      data: sql`json_object('cosignId', ${o.roundId})`,
      at: o.now,
      when: created,
    }),
    ...openCosign(scope.db, {
      id: o.roundId,
      jurisdictionId: th("jurisdiction_id"),
      subjectType: "two_heads_hearing",
      subjectId: o.id,
      title: sql`'两长同庭:' || ${th("case_number")} || ' ' || ${th("case_title")}`,
      contentHash: null,
      parties: [
        { orgId: orgOf("court"), role: "leader" },
        { orgId: orgOf("procuratorate"), role: "leader" },
      ],
      actorId: scope.me.userId,
      now: o.now,
      when: created,
    }),
  ];
}

// ── Changes after approval ────────────────────────────────────────────────────────────────────

/**
 * schedule: the hearing's date and place, only once approved; moved again until it is held —
 * optimistically: only while the hearing's time is still `replaces` (null: not scheduled yet), so of
 * concurrent moves from the same state one applies and the others are refused (`schedule_changed`);
 * the same date and place again changes nothing (no timeline entry).
 */
export function schedule(
  scope: Scope,
  o: { id: string; eventId: string; now: string; hearingAt: string; place: string; replaces: string | null },
) {
  const change = subjectChange(scope, {
    table: twoHeadsHearings,
    subjectType: "two_heads_hearing",
    id: o.id,
    eventId: o.eventId,
    now: o.now,
    roles: TWO_HEADS_ACTORS,
    conds: sql`x_.status in ('approved', 'scheduled') and x_.hearing_at is ${o.replaces}
      and not (x_.hearing_at is ${o.hearingAt} and x_.place is ${o.place})`,
    type: "hearing_scheduled",
    data: sql`json_object('hearingAt', ${o.hearingAt}, 'place', ${o.place}, 'previous',
      (select hp_.hearing_at from two_heads_hearings hp_ where hp_.id = ${o.id}))`,
    set: sql`status = 'scheduled', hearing_at = ${o.hearingAt}, place = ${o.place}`,
  });
  return [...change.statements, outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`)];
}

/**
 * recordOutcome: the hearing is `held` with its outcome — only when scheduled, its time has come,
 * and the outcome's day is not before the hearing's (China time).
 */
export function recordOutcome(
  scope: Scope,
  o: { id: string; eventId: string; now: string; outcome: string; outcomeOn: string },
) {
  const change = subjectChange(scope, {
    table: twoHeadsHearings,
    subjectType: "two_heads_hearing",
    id: o.id,
    eventId: o.eventId,
    now: o.now,
    roles: TWO_HEADS_ACTORS,
    conds: sql`x_.status = 'scheduled' and x_.hearing_at <= ${o.now}
      and ${o.outcomeOn} >= date(x_.hearing_at, '+8 hours')`,
    type: "outcome_recorded",
    data: sql`json_object('outcomeOn', ${o.outcomeOn})`,
    set: sql`status = 'held', outcome = ${o.outcome}, outcome_on = ${o.outcomeOn}`,
  });
  return [...change.statements, outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`)];
}

/** cancel: before it is held (pending, approved or scheduled), with a reason; an open round is withdrawn. */
export function cancel(
  scope: Scope,
  o: { id: string; eventId: string; now: string; reason: string; ids: () => string },
) {
  const change = subjectChange(scope, {
    table: twoHeadsHearings,
    subjectType: "two_heads_hearing",
    id: o.id,
    eventId: o.eventId,
    now: o.now,
    roles: TWO_HEADS_ACTORS,
    conds: sql`x_.status in ('pending_approval', 'approved', 'scheduled')`,
    type: "cancelled",
    note: o.reason,
    set: sql`status = 'cancelled'`,
  });
  return [
    ...change.statements,
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${o.eventId}`),
    ...withdrawCosign(scope.db, {
      subjectType: "two_heads_hearing",
      subjectId: o.id,
      when: change.applied,
      actorId: scope.me.userId,
      now: o.now,
      ids: o.ids,
    }),
  ];
}

// ── Hooks of the round ───────────────────────────────────────────────────────────────────────

const wrote = (id: string) => sql`exists (select 1 from subject_events ew_ where ew_.id = ${id})`;

/**
 * The round's end on the nomination: its timeline entry (and webhook) only when this request ended
 * the round (`ctx.done`) and the nomination is still `pending_approval` (never on a cancelled one);
 * the status change is guarded by the entry.
 */
function decide(db: Db, ctx: CosignContext, to: "approved" | "rejected") {
  const id = ctx.ids();
  const refusal = sql`(select cp_.reason from cosign_parties cp_
    where cp_.cosign_id = ${ctx.cosignId} and cp_.decision = 'refused')`;
  return [
    recordEvent(db, {
      id,
      jurisdictionId: sql`(select tj_.jurisdiction_id from two_heads_hearings tj_ where tj_.id = ${ctx.subjectId})`,
      subjectType: "two_heads_hearing",
      subjectId: ctx.subjectId,
      actorId: ctx.actorId,
      type: to,
      note: to === "rejected" ? refusal : null,
      data: sql`json_object('cosignId', ${ctx.cosignId})`,
      at: ctx.now,
      when: sql`${ctx.done} and exists (select 1 from two_heads_hearings tp_
        where tp_.id = ${ctx.subjectId} and tp_.status = 'pending_approval')`,
    }),
    outboxFromSubjectEvents(db, sql`ev.id = ${id}`),
    db.run(sql`update two_heads_hearings set status = ${to}, updated_at = ${ctx.now}
      where id = ${ctx.subjectId} and status = 'pending_approval' and ${wrote(id)}`),
  ];
}

/** Both heads approved: the hearing goes ahead (`approved`); one refused: `rejected`. */
export const twoHeadsHooks: CosignHooks = {
  onSigned: (db, ctx) => decide(db, ctx, "approved"),
  onRefused: (db, ctx) => decide(db, ctx, "rejected"),
};
