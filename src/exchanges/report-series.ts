// The recurring-series kind 'mutual_report' (定期通报, S3.1.2; ADR 0009 addendum): series created by
// users, several per pair, each with its own cadence and settings in `series.config`; the cron opens
// the report of every ENDED period (caught up over the mechanism's look-back) as `exchanges` rows of
// kind 'report', status 'due', from the reporting institution to the other (two rows for 'both'),
// each carrying the series' fields at opening (`body.fields`: what its figures are validated against).
//
// Imported by src/series/series.ts only (its registry): the helpers taken from series.ts below are
// used inside functions, never while this module loads.
import { sql } from "drizzle-orm";
import { outboxFromSubjectEvents } from "../events/events";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { periodLabelSql, runInstances, type SeriesKindDef, seriesContacts } from "../series/series";
import { reportDueOn } from "./reports";

const KIND = "mutual_report";

/** The run's reports `x` with their instance `i` and series `s` (a FROM). */
const runReports = (runId: string) => sql`${runInstances(runId, KIND)}
  join exchanges x on x.series_id = i.series_id and x.period = i.period and x.kind = 'report'`;

export const mutualReport: SeriesKindDef = {
  cadence: "month",
  firstHost: "court",
  subjectType: "report",
  userCreated: true,
  due: "ended",
  create: (db, { runId, now }) => {
    const label = periodLabelSql(sql`s.cadence`, sql`i.period`);
    return [
      // The period's report(s), due: from the reporting side (the instance's host; both sides for
      // 'both') to the other; unique per (series, period, sender).
      db.run(sql`insert into exchanges (id, jurisdiction_id, kind, subkind, sender_org_id, recipient_org_id,
          status, title, body, due_on, deadline_version, series_id, period, created_at, updated_at)
        select i.id || '.' || substr(o.kind, 1, 1), i.jurisdiction_id, 'report', s.config ->> 'topic',
          o.id, r.id, 'due', ${label.zh} || (s.config ->> 'title'),
          json_object('fields', s.config -> 'fields', 'cadence', s.cadence),
          ${reportDueOn("s", sql`i.period`, "j")}, 1, i.series_id, i.period, ${now}, ${now}
        from ${runInstances(runId, KIND)}
        join jurisdictions j on j.id = i.jurisdiction_id
        join organizations o on o.jurisdiction_id = i.jurisdiction_id
          and (s.config ->> 'reporter' = 'both' or o.kind = i.host)
        join organizations r on r.jurisdiction_id = i.jurisdiction_id and r.kind <> o.kind
        where true
        on conflict do nothing`),
      // Each report's 'created' entry (the cron is the actor: none).
      db.run(sql`insert into subject_events
          (id, jurisdiction_id, subject_type, subject_id, at, actor_id, type, note, data)
        select x.id || '.c', x.jurisdiction_id, 'report', x.id, ${now}, null, 'created', null,
          json_object('seriesId', x.series_id, 'period', x.period, 'dueOn', x.due_on,
            'senderOrgId', x.sender_org_id)
        from ${runReports(runId)}
        where true
        on conflict do nothing`),
      outboxFromSubjectEvents(db, sql`ev.id in (select x.id || '.c' from ${runReports(runId)})`),
      // The reporting side's coordinators (or admins) hear that the report is owed.
      db.run(sql`${INSERT_NOTIFICATIONS}
        select x.id || '.' || u.id, x.jurisdiction_id, u.id, 'report.opened', 'report', x.id,
          '请于' || coalesce(x.due_on, '期限届满') || '前向' || rc.name || '提交《'
            || (s.config ->> 'title') || '》(' || ${label.zh} || ')。',
          'Please submit "' || (s.config ->> 'title') || '" (' || ${label.en} || ') to ' || rc.name
            || ' by ' || coalesce(x.due_on, 'its deadline') || '.',
          0, 'report.opened:' || x.id || ':' || u.id, ${now}
        from ${runReports(runId)}
        join organizations rc on rc.id = x.recipient_org_id
        join users u on u.id in ${seriesContacts(sql`x.sender_org_id`)}
        where true
        on conflict (dedupe_key) do nothing`),
    ];
  },
  // An instance exists only once its period has ended; the reporting side does not change then.
  changeable: () => sql`0`,
  apply: () => [],
};
