// The timeline of every subject that is not a document (meetings, action items, co-signatures,
// rotation changes …) and its webhook outbox. An event row is written by a guarded INSERT … SELECT
// in the same batch as the change it records, so it exists exactly when the change applied; the
// outbox row is derived from the event row, so it exists exactly when the event does.
import { z } from "@hono/zod-openapi";
import { getTableName, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Scope } from "../auth/scope";
import type { Db } from "../db/client";
import { subjectEvents } from "../db/schema";
import { LabelSchema } from "../http/api";
import { type Role, SUBJECT_EVENTS } from "../vocab";

/** The subject types with a timeline here, and where each lives in the API. */
export const SUBJECT_HREFS = {
  meeting: "/v1/meetings/",
  action_item: "/v1/action-items/",
  cosignature: "/v1/cosignatures/",
  series_override: "/v1/series-overrides/",
  training: "/v1/trainings/",
  registration: "/v1/registrations/",
  research_topic: "/v1/research-topics/",
  milestone: "/v1/research-milestones/",
  referral: "/v1/referrals/",
  report: "/v1/reports/",
  risk_alert: "/v1/risk-alerts/",
  mediation: "/v1/mediations/",
  case_record: "/v1/case-records/",
  case_grant: "/v1/case-grants/",
  typical_case: "/v1/typical-cases/",
  two_heads_hearing: "/v1/two-heads-hearings/",
} as const;
export type SubjectType = keyof typeof SUBJECT_HREFS;

/** Webhook event types of these subjects: `<subject type>.<event>` (e.g. `meeting.slot_confirmed`). */
export const SUBJECT_WEBHOOK_TYPES = (Object.keys(SUBJECT_HREFS) as SubjectType[]).flatMap((t) =>
  SUBJECT_EVENTS.codes.map((c) => `${t}.${c}` as const),
);

type V = string | SQL;

/**
 * recordEvent: one timeline entry, written only when `when` holds (pass the change's own guard, e.g.
 * `changes() > 0` right after a guarded UPDATE, or an `exists` over the changed row). Idempotent by
 * `id` (a retried batch never writes it twice).
 */
export function recordEvent(
  db: Db,
  e: {
    id: string;
    jurisdictionId: V;
    subjectType: SubjectType;
    subjectId: V;
    actorId: V | null;
    type: (typeof SUBJECT_EVENTS.codes)[number];
    note?: V | null;
    /** A JSON object (SQL `json_object(…)` or a JSON string) of what changed. */
    data?: V | null;
    at: string;
    when: SQL;
  },
) {
  return db.run(sql`insert into subject_events
      (id, jurisdiction_id, subject_type, subject_id, at, actor_id, type, note, data)
    select ${e.id}, ${e.jurisdictionId}, ${e.subjectType}, ${e.subjectId}, ${e.at}, ${e.actorId},
      ${e.type}, ${e.note ?? null}, ${e.data ?? null}
    where ${e.when}
    on conflict do nothing`);
}

/**
 * subjectChange: the guarded change of one row of any subject table whose timeline is in
 * subject_events (meetings' `meetingChange` generalised). The timeline row is written only when the
 * row `alias` (default `x_`) is visible to the caller, the caller holds `roles` (default: the
 * route's) and every condition of `conds` over the alias holds (its status, the caller's side …);
 * the row is then updated (`set` + `updated_at`) only when that event exists. `applied` is SQL true
 * exactly when the change happened: guard any further statement (notices, outbox) with it. A refused
 * change writes nothing. `data` may read the row before the change (the event is written first).
 */
export function subjectChange(
  scope: Scope,
  o: {
    table: SQLiteTable;
    alias?: string;
    subjectType: SubjectType;
    id: string;
    eventId: string;
    now: string;
    conds: SQL;
    roles?: readonly Role[];
    set?: SQL;
    type: (typeof SUBJECT_EVENTS.codes)[number];
    note?: V | null;
    data?: V | null;
  },
) {
  const a = sql.raw(`"${o.alias ?? "x_"}"`);
  const t = sql.raw(`"${getTableName(o.table)}"`);
  const applied = sql`exists (select 1 from subject_events ev_ where ev_.id = ${o.eventId})`;
  const guard = sql`exists (select 1 from ${t} ${a} where ${a}.id = ${o.id}
    and ${scope.visible(o.table, o.alias ?? "x_")} and ${scope.hasRole(o.roles)} and ${o.conds})`;
  return {
    applied,
    statements: [
      recordEvent(scope.db, {
        id: o.eventId,
        jurisdictionId: sql`(select jurisdiction_id from ${t} where id = ${o.id})`,
        subjectType: o.subjectType,
        subjectId: o.id,
        actorId: scope.me.userId,
        type: o.type,
        note: o.note ?? null,
        data: o.data ?? null,
        at: o.now,
        when: guard,
      }),
      scope.db.run(sql`update ${t} set ${o.set ? sql`${o.set}, ` : sql``}updated_at = ${o.now}
        where id = ${o.id} and ${applied}`),
    ] as const,
  };
}

/**
 * The organisations entitled to an event `ev` (their webhook endpoints receive it): the pair's two
 * institutions for meetings and their action items, the parties of a co-signature, the pair of a
 * rotation change. One place per subject type.
 */
const ORG_IDS = sql`coalesce(case ev.subject_type
    when 'meeting' then (select json_array(m_.host_org_id, m_.guest_org_id)
      from meetings m_ where m_.id = ev.subject_id)
    when 'action_item' then (select json_array(m_.host_org_id, m_.guest_org_id)
      from action_items a_ join meetings m_ on m_.id = a_.meeting_id where a_.id = ev.subject_id)
    when 'cosignature' then (select json_group_array(cp_.org_id)
      from cosign_parties cp_ where cp_.cosign_id = ev.subject_id)
    when 'training' then (select json_group_array(distinct o_) from (
        select t_.organiser_org_id as o_ from trainings t_ where t_.id = ev.subject_id
        union select t_.co_organiser_org_id from trainings t_
          where t_.id = ev.subject_id and t_.co_organiser_org_id is not null
        union select ti_.org_id from training_invitations ti_ where ti_.training_id = ev.subject_id))
    when 'registration' then (select json_group_array(distinct o_) from (
        select r_.org_id as o_ from registrations r_ where r_.id = ev.subject_id
        union select t_.organiser_org_id from registrations r_ join trainings t_ on t_.id = r_.training_id
          where r_.id = ev.subject_id))
    when 'research_topic' then (select json_array(tp_.lead_org_id, tp_.partner_org_id)
      from research_topics tp_ where tp_.id = ev.subject_id)
    when 'milestone' then (select json_array(tp_.lead_org_id, tp_.partner_org_id)
      from research_milestones ms_ join research_topics tp_ on tp_.id = ms_.topic_id
      where ms_.id = ev.subject_id)
    when 'referral' then (select json_array(x_.sender_org_id, x_.recipient_org_id)
      from exchanges x_ where x_.id = ev.subject_id)
    when 'report' then (select json_array(x_.sender_org_id, x_.recipient_org_id)
      from exchanges x_ where x_.id = ev.subject_id)
    when 'risk_alert' then (select json_array(x_.sender_org_id, x_.recipient_org_id)
      from exchanges x_ where x_.id = ev.subject_id)
    when 'mediation' then (select json_array(d_.sender_org_id, d_.recipient_org_id)
      from mediations md_ join documents d_ on d_.id = md_.document_id where md_.id = ev.subject_id)
    when 'case_record' then (select json_array(cr_.owner_org_id) from case_records cr_
      where cr_.id = ev.subject_id)
    when 'case_grant' then (select json_array(cg_.owner_org_id, cg_.grantee_org_id) from case_grants cg_
      where cg_.id = ev.subject_id)
    else (select json_group_array(o_.id) from organizations o_ where o_.jurisdiction_id = ev.jurisdiction_id)
  end, '[]')`;

/**
 * outboxFromSubjectEvents: the webhook outbox rows of the subject events matching `where` (e.g.
 * `ev.id = <id>`, or every event of a cron run). Guarded by the event's existence; idempotent by id.
 */
export function outboxFromSubjectEvents(db: Db, where: SQL, urgent: SQL = sql`0`) {
  return db.run(sql`insert into webhook_events
      (id, jurisdiction_id, type, subject_type, subject_id, org_ids, payload, urgent, created_at)
    select ev.id, ev.jurisdiction_id, ev.subject_type || '.' || ev.type, ev.subject_type, ev.subject_id,
      ${ORG_IDS},
      json_object('type', ev.subject_type || '.' || ev.type, 'timestamp', ev.at, 'data', json_object(
        'eventId', ev.id, 'subjectType', ev.subject_type, 'subjectId', ev.subject_id,
        'href', case ev.subject_type
          ${sql.join(
            Object.entries(SUBJECT_HREFS).map(([t, h]) => sql`when ${t} then ${h} || ev.subject_id`),
            sql` `,
          )} end,
        'actorId', ev.actor_id, 'note', ev.note, 'data', json(ev.data))),
      ${urgent}, ev.at
    from subject_events ev
    where ${where}
    on conflict do nothing`);
}

export type SubjectEventRow = {
  id: string;
  at: string;
  type: string;
  note: string | null;
  actorId: string | null;
  actorName: string | null;
  data: string | null;
};

/**
 * getSubjectTimeline: the events of one subject, oldest first, only when the caller sees the subject
 * (`visibleSubject`: the subject's own tenancy predicate, e.g. `m.id = ? and visible(meetings)`).
 */
export const getSubjectTimeline = (scope: Scope, subjectType: SubjectType, subjectId: string) =>
  scope.db.all<SubjectEventRow>(sql`select e.id, e.at, e.type, e.note, e.actor_id as actorId,
      u.name as actorName, e.data
    from subject_events e left join users u on u.id = e.actor_id
    where e.subject_type = ${subjectType} and e.subject_id = ${subjectId}
      and ${scope.visible(subjectEvents, "e")}
    order by e.at, e.id`);

export const SubjectEventSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    type: z.string(),
    label: LabelSchema,
    actor: z.object({ id: z.string(), name: z.string() }).nullable(),
    note: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi("SubjectEvent");

export function toSubjectEvent(e: SubjectEventRow): z.infer<typeof SubjectEventSchema> {
  const known = (SUBJECT_EVENTS.codes as readonly string[]).includes(e.type);
  return {
    id: e.id,
    at: e.at,
    type: e.type,
    label: known ? SUBJECT_EVENTS.label(e.type as never) : { zh: e.type, en: e.type },
    actor: e.actorId ? { id: e.actorId, name: e.actorName ?? "" } : null,
    note: e.note,
    data: e.data ? (JSON.parse(e.data) as Record<string, unknown>) : {},
  };
}
