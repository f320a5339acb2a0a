// The annual joint academic seminar (法检联合学术研讨会, S3.4.2): a recurring-series kind (ADR 0009)
// whose yearly instance creates a `trainings` row of kind 'seminar', still planning, organised by the
// year's host with the other side as co-organiser. The cron plans it on its first run on or after
// SEMINAR_PLAN_BY (MM-DD, China time) of the year, so a swap or a skip agreed early in the year is
// applied at creation.
//
// Imported by series.ts only (its registry): the helpers taken from series.ts below are used inside
// functions, never while this module loads.
import { sql } from "drizzle-orm";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { invitable } from "../trainings/trainings.queries";
import { runInstances, type SeriesKindDef, seriesContacts } from "./series";

const KIND = "academic_seminar";
const TITLE_ZH = sql`i.period || '年度法检联合学术研讨会'`;
const TITLE_EN = sql`'the ' || i.period || ' joint academic seminar of the court and the procuratorate'`;

export const academicSeminar: SeriesKindDef = {
  cadence: "year",
  // The court hosts first, as for the joint meeting: one convention for every series of a pair.
  firstHost: "court",
  subjectType: "training",
  plannedFrom: (period, config) => `${period}-${config.SEMINAR_PLAN_BY}`,
  create: (db, { runId, now }) => [
    // The year's seminar, planning, organised by the instance's host, co-organised by the other
    // side; capacity open until the organiser sets it. Unique per (series, period).
    db.run(sql`insert into trainings (id, jurisdiction_id, kind, organiser_org_id, co_organiser_org_id,
        title, description, capacity, status, series_id, period, created_by, created_at, updated_at)
      select i.subject_id, i.jurisdiction_id, 'seminar', h.id, g.id, ${TITLE_ZH}, null, null,
        'planning', i.series_id, i.period, null, ${now}, ${now}
      from ${runInstances(runId, KIND)}
      join organizations h on h.jurisdiction_id = i.jurisdiction_id and h.kind = i.host
      join organizations g on g.jurisdiction_id = i.jurisdiction_id and g.kind <> i.host
      where true
      on conflict do nothing`),
    // Its timeline entry 'created' (the cron is the actor: none), with the English title.
    db.run(sql`insert into subject_events
        (id, jurisdiction_id, subject_type, subject_id, at, actor_id, type, note, data)
      select i.id || '.c', t.jurisdiction_id, 'training', t.id, ${now}, null, 'created', null,
        json_object('seriesId', i.series_id, 'period', i.period, 'host', i.host, 'kind', 'seminar',
          'title', json_object('zh', t.title, 'en', ${TITLE_EN}))
      from ${runInstances(runId, KIND)}
      join trainings t on t.id = i.subject_id
      where true
      on conflict do nothing`),
    // Both institutions' coordinators (or admins) hear that the year's seminar is to be prepared.
    db.run(sql`${INSERT_NOTIFICATIONS}
      select i.id || '.' || u.id, u.jurisdiction_id, u.id, 'training.seminar_planned', 'training', t.id,
        ${TITLE_ZH} || '已列入筹备,由' || h.name || '主办、' || g.name || '协办,请商定时间、议题和征文安排。',
        'Planning has begun for ' || ${TITLE_EN} || '; host: ' || h.name || ', co-organiser: ' || g.name
          || '. Agree on the date, the themes and the call for papers.',
        0, 'training.seminar_planned:' || t.id || ':' || u.id, ${now}
      from ${runInstances(runId, KIND)}
      join trainings t on t.id = i.subject_id
      join organizations h on h.id = t.organiser_org_id
      join organizations g on g.id = t.co_organiser_org_id
      join organizations o on o.id in (t.organiser_org_id, t.co_organiser_org_id)
      join users u on u.id in ${seriesContacts(sql`o.id`)}
      where true
      on conflict (dedupe_key) do nothing`),
  ],
  // Host and holding can change while the seminar is still being planned (not yet published).
  changeable: (id) => sql`exists (select 1 from trainings ct_
    where ct_.id = ${id} and ct_.status = 'planning')`,
  apply: (db, { subjectId, action, now, applied }) => [
    // SET reads the old row: a swap exchanges organiser and co-organiser; a skip cancels it.
    db.run(sql`update trainings set
        organiser_org_id = case when ${action} = 'swap' then co_organiser_org_id else organiser_org_id end,
        co_organiser_org_id = case when ${action} = 'swap' then organiser_org_id else co_organiser_org_id end,
        status = case when ${action} = 'skip' then 'cancelled' else status end,
        updated_at = ${now}
      where id = ${subjectId} and status = 'planning' and ${applied}`),
    // After a swap, the invitations the new organiser could not make (institutions of its own kind:
    // itself, the basic-level ones of its side) are dropped; the other side's stay. Nobody has
    // registered yet (the seminar is still planning), so no seat goes with them.
    db.run(sql`delete from training_invitations where training_id = ${subjectId} and ${action} = 'swap'
        and ${applied}
        and exists (select 1 from trainings t where t.id = ${subjectId} and t.status = 'planning')
        and org_id not in (select x.id from trainings t join organizations o on o.id = t.organiser_org_id
          join organizations x on ${invitable("x", "o")} where t.id = ${subjectId})`),
  ],
};
