// Reminders before scheduled events (joint meetings now, trainings later): notices of the notification
// machinery, N China calendar days before the start, to each person taking part.
//
// A source says what its events are (start time, version of the time, who takes part) and on which
// days before the start to remind. The daily job runs one INSERT … SELECT per source, all in one batch:
//   - a reminder is due from its day (start day − N, China time) until the event starts, so a missed
//     run is caught up by the next one, never after the start;
//   - of the reminders due for one person and event, only the nearest (smallest N) is sent: after
//     missed runs a person gets one notice, not one per skipped reminder;
//   - the dedupe key is (subject type, event, time version, N, person): duplicate and concurrent runs
//     send nothing twice, and an event moved to a new time (a new version) is reminded again.
import { sql, type SQL } from "drizzle-orm";
import { chinaDate } from "../calendar/calendar.engine";
import type { Deps } from "../http/api";
import type { Label } from "../vocab";
import { INSERT_NOTIFICATIONS } from "./notify";

export type ReminderSource = {
  /** The notices' subject type (where they link to), e.g. 'meeting'. */
  subjectType: string;
  /** The notices' kind, e.g. 'meeting.reminder'. */
  kind: string;
  /** What the event is called in the notice (联席会议 / Joint meeting). */
  label: Label;
  /** China calendar days before the start on which to remind, e.g. [7, 1]. */
  daysBefore: readonly number[];
  /**
   * A SELECT of who is to be reminded of which event, for events starting between `from` and `to`
   * (dates, loose bounds for an index; the exact window is applied by the job): columns `event_id`,
   * `jurisdiction_id`, `starts_at` (ISO 8601 with its offset), `version` (of the time: a moved event
   * gets a new one), `user_id` (active users only), `title`, `place` (nullable), `subject_id` (what
   * the notice links to: the event itself, or e.g. the training of a session).
   */
  attendees: (from: string, to: string) => SQL;
};

/** Joint meetings: the confirmed slot of a scheduled meeting, to every invited user who did not decline. */
export const meetingReminders: ReminderSource = {
  subjectType: "meeting",
  kind: "meeting.reminder",
  label: { zh: "联席会议", en: "Joint meeting" },
  daysBefore: [7, 1],
  // Uses meetings_starts_ix; starts_at is ISO 8601 with +08:00.
  attendees: (from, to) => sql`select m.id as event_id, m.id as subject_id, m.jurisdiction_id, m.starts_at,
      m.slot_version as version, p.user_id, m.title, coalesce(m.place, m.online_url) as place
    from meetings m
    join meeting_participants p on p.meeting_id = m.id and p.kind = 'user' and p.rsvp <> 'declined'
    join users u on u.id = p.user_id and u.active = 1
    where m.status = 'scheduled' and m.slot_status = 'confirmed'
      and m.starts_at >= ${from} and m.starts_at < ${to}`,
};

/**
 * Training sessions: each session of a published training, 3 and 1 days before, to every person with a
 * confirmed registration. The version is the session's start, so a moved session is reminded again;
 * the notice links to the training.
 */
export const trainingReminders: ReminderSource = {
  subjectType: "training",
  kind: "training.reminder",
  label: { zh: "培训", en: "Training" },
  daysBefore: [3, 1],
  attendees: (from, to) => sql`select s.id as event_id, t.id as subject_id, u.jurisdiction_id, s.starts_at,
      s.starts_at as version, r.user_id, t.title, coalesce(s.place, s.online_url) as place
    from training_sessions s join trainings t on t.id = s.training_id and t.status = 'published'
    join registrations r on r.training_id = t.id and r.status = 'confirmed'
    join users u on u.id = r.user_id and u.active = 1
    where s.starts_at >= ${from} and s.starts_at < ${to}`,
};

/** The sources the daily job runs. */
export const REMINDER_SOURCES: ReminderSource[] = [meetingReminders, trainingReminders];

const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * The one statement of a source: every reminder due now (its day has come, the event not yet
 * started), the nearest per (event, version, person), as notices unique by their dedupe key.
 */
export function reminderInsert(source: ReminderSource, o: { now: Date; idPrefix: string }): SQL {
  const today = chinaDate(o.now);
  const max = Math.max(...source.daysBefore);
  const from = addDays(today, -1);
  const to = addDays(today, max + 2);
  const startDay = sql`date(x.starts_at, '+8 hours')`;
  const { zh, en } = source.label;
  return sql`
    with x as (${source.attendees(from, to)}),
    n_ as (select value as n from json_each(${JSON.stringify(source.daysBefore)})),
    due_ as (
      select x.event_id, x.version, x.user_id, min(n_.n) as n from x join n_
      where date(x.starts_at, '+8 hours', '-' || n_.n || ' days') <= ${today}
        and julianday(x.starts_at) > julianday(${o.now.toISOString()})
      group by x.event_id, x.version, x.user_id)
    ${INSERT_NOTIFICATIONS}
    select ${o.idPrefix} || '.' || x.event_id || '.' || due_.n || '.' || x.user_id, x.jurisdiction_id,
      x.user_id, ${source.kind}, ${source.subjectType}, x.subject_id,
      ${zh} || '「' || x.title || '」将于' || strftime('%Y-%m-%d %H:%M', x.starts_at, '+8 hours') ||
        coalesce('在' || x.place, '') || '举行,' ||
        case cast(julianday(${startDay}) - julianday(${today}) as integer)
          when 0 then '就在今天。' when 1 then '就在明天。'
          else '还有' || cast(julianday(${startDay}) - julianday(${today}) as integer) || '天。' end,
      ${en} || ' "' || x.title || '" starts ' ||
        case cast(julianday(${startDay}) - julianday(${today}) as integer)
          when 0 then 'today' when 1 then 'tomorrow'
          else 'in ' || cast(julianday(${startDay}) - julianday(${today}) as integer) || ' days' end ||
        ', on ' || strftime('%Y-%m-%d %H:%M', x.starts_at, '+8 hours') || ' (China time)' ||
        coalesce(' at ' || x.place, '') || '.',
      0, 'remind:' || ${source.subjectType} || ':' || x.event_id || ':v' || x.version || ':' || due_.n ||
        ':' || x.user_id,
      ${o.now.toISOString()}
    from x join due_ on due_.event_id = x.event_id and due_.version = x.version and due_.user_id = x.user_id
    where 1
    on conflict do nothing`;
}

/** The cron job: every source's due reminders in one batch (one round trip); counts per source. */
export async function runReminders(deps: Deps, now: Date, sources = REMINDER_SOURCES) {
  if (sources.length === 0) return {};
  const idPrefix = deps.ids();
  const stmts = sources.map((s) => deps.db.run(reminderInsert(s, { now, idPrefix })));
  const results = (await deps.db.batch(stmts as never)) as { rowsAffected: number }[];
  return Object.fromEntries(sources.map((s, i) => [s.subjectType, results[i]!.rowsAffected]));
}
