// Periodic mutual reports (定期通报, S3.1.2): the ladder of unsubmitted reports (an owned task whose
// owner is the reporting institution), the report series as one JSON value, and the guarded
// statements of the series routes. The cron side (the series kind 'mutual_report') is in
// report-series.ts; a report itself is an exchange (src/exchanges/exchanges.ts).
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { series } from "../db/schema";
import type { SubjectSource } from "../escalation/ladder";
import { ownedTaskLadder } from "../escalation/owned-task";
import { type Role, vocabulary } from "../vocab";
import { periodEndSql } from "../series/period";
import { workdaysAfter } from "../calendar/calendar.engine";

const ST = "report";

// ── The ladder ────────────────────────────────────────────────────────────────────────────────

const NOUN_ZH = sql`'定期通报「' || x.title || '」'`;
const NOUN_EN = sql`'the periodic report "' || x.title || '"'`;

/**
 * The escalation ladder's subject type 'report': open while the report is due (not submitted). The
 * reporting institution owns it: `owner_coordinators` its coordinators (admins when it has none),
 * `owner_leaders` its leaders, `coordinators` / `leaders` those of both sides.
 */
export const reportLadder: SubjectSource = ownedTaskLadder({
  subjectType: ST,
  // Uses exchanges_open_ix (kind, status, due_on).
  open: (horizon) =>
    sql`select xo_.id, xo_.jurisdiction_id, 'report' as kind, xo_.due_on, xo_.deadline_version as version
      from exchanges xo_
      where xo_.kind = 'report' and xo_.status = 'due' and xo_.due_on <= ${horizon}`,
  subject: sql`join exchanges x on x.id = e.subject_id`,
  ownerOrg: sql`x.sender_org_id`,
  noun: { zh: NOUN_ZH, en: NOUN_EN },
  zh: {
    owns: "负责提交的",
    pending: "尚未提交",
    onTime: "请按期提交",
    today: "请于今日内提交",
    overdue: "仍未提交,请立即提交",
  },
  recipients: ({ run, has }) => {
    const sent = sql`escalation_steps e join exchanges x on x.id = e.subject_id`;
    const contacts = (org: SQL) => sql`(select r_.user_id from role_assignments r_
      where r_.org_id = ${org} and r_.role = (case when exists (select 1 from role_assignments rc_
        join users uc_ on uc_.id = rc_.user_id and uc_.active = 1
        where rc_.org_id = ${org} and rc_.role = 'coordinator') then 'coordinator' else 'admin' end))`;
    return sql`
      select e.id as sid, u.id as uid, case when o.id = x.sender_org_id then 'owner' else 'other' end as voice
      from ${sent} join organizations o on o.id in (x.sender_org_id, x.recipient_org_id)
      join users u on u.id in ${contacts(sql`o.id`)}
      where ${run} and (${has("coordinators")} or (o.id = x.sender_org_id and ${has("owner_coordinators")}))
      union all
      select e.id, r_.user_id, case when r_.org_id = x.sender_org_id then 'owner' else 'other' end
      from ${sent} join role_assignments r_ on r_.org_id in (x.sender_org_id, x.recipient_org_id)
        and r_.role = 'leader'
      where ${run} and (${has("leaders")} or (r_.org_id = x.sender_org_id and ${has("owner_leaders")}))`;
  },
});

/** What `series.config` holds for a report series. */
export type ReportSeriesConfig = {
  title: string;
  topic: string;
  reporter: "court" | "procuratorate" | "both";
  dueWorkdays: number;
  fields: {
    key: string;
    label: { zh: string; en: string };
    type: "integer" | "text";
    required: boolean;
    min?: number;
  }[];
  requestHash: string;
  createdBy: string;
  endedAt?: string;
  endedBy?: string;
};

/** A report's due date: `dueWorkdays` of series `s` after the last day of period `p`, in jurisdiction `j`. */
export const reportDueOn = (s: string, p: SQL, j: string) =>
  workdaysAfter(
    periodEndSql(sql.raw(`${s}.cadence`), p),
    sql.raw(`(${s}.config ->> 'dueWorkdays')`),
    sql.raw(`${j}.count_makeup_workdays`),
  );

// ── Report series ─────────────────────────────────────────────────────────────────────────────

/** Who may create and end report series (either institution of the pair). */
export const SERIES_ROLES: Role[] = ["leader", "coordinator", "admin"];

/** The refusals of the report routes, with their labels (sent as `label` in the problem body). */
export const REPORT_PROBLEMS = vocabulary({
  series_ended: { zh: "该通报系列已停止", en: "The report series has ended" },
  not_submitted: { zh: "该通报尚未提交", en: "The report has not been submitted yet" },
  idempotency_key_reused: {
    zh: "该幂等键已用于另一请求",
    en: "The Idempotency-Key was used for a different request",
  },
});
export type ReportProblem = (typeof REPORT_PROBLEMS.codes)[number];

export type SeriesJson = {
  id: string;
  jurisdictionId: string;
  cadence: "month" | "quarter" | "half_year" | "year";
  startPeriod: string;
  active: boolean;
  config: ReportSeriesConfig;
  latest: string | null;
  nextDueOn: string | null;
  reports: {
    id: string;
    period: string;
    senderOrgId: string;
    senderName: string;
    status: "due" | "submitted" | "read";
    dueOn: string | null;
    late: boolean | null;
  }[];
  createdAt: string;
  updatedAt: string;
};

const MONTHS = sql`(case s.cadence when 'month' then 1 when 'quarter' then 3 when 'half_year' then 6 else 12 end)`;
const LATEST = sql`(select max(l_.period) from series_instances l_ where l_.series_id = s.id)`;
/** The last day of the series' next period: after its latest instance's period, else its start period. */
const NEXT_ENDS = sql`(case when ${LATEST} is null then ${periodEndSql(sql`s.cadence`, sql`s.start_period`)}
  else date(${periodEndSql(sql`s.cadence`, LATEST)}, '+1 day', '+' || ${MONTHS} || ' months', '-1 day') end)`;
/** The due date of the next period's report on the pair's calendar. */
const NEXT_DUE = workdaysAfter(
  NEXT_ENDS,
  sql`(s.config ->> 'dueWorkdays')`,
  sql`(select j_.count_makeup_workdays from jurisdictions j_ where j_.id = s.jurisdiction_id)`,
);

/** A report series `s` as one JSON object; `withReports` adds its reports (newest period first). */
const seriesJson = (withReports: boolean) => sql`json_object('id', s.id, 'jurisdictionId', s.jurisdiction_id,
  'cadence', s.cadence, 'startPeriod', s.start_period, 'active', json(iif(s.active, 'true', 'false')),
  'config', json(s.config),
  'latest', (select max(l_.period) from series_instances l_ where l_.series_id = s.id),
  'nextDueOn', ${withReports ? NEXT_DUE : sql`null`},
  'reports', json(${
    withReports
      ? sql`(select json_group_array(json(r_.j)) from (select json_object('id', x.id, 'period', x.period,
          'senderOrgId', x.sender_org_id,
          'senderName', (select o_.name from organizations o_ where o_.id = x.sender_org_id),
          'status', x.status, 'dueOn', x.due_on, 'late', x.body -> 'late') as j
        from exchanges x where x.series_id = s.id and x.kind = 'report'
        order by x.period desc, x.sender_org_id) r_)`
      : sql`'[]'`
  }),
  'createdAt', s.created_at, 'updatedAt', s.updated_at)`;

export const seriesRows = (rows: { j: string }[]) => rows.map((r) => JSON.parse(r.j) as SeriesJson);

/** One report series visible to the caller (its pair's). */
export const getReportSeries = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`select ${seriesJson(true)} as j from series s
    where s.id = ${id} and s.kind = 'mutual_report' and ${scope.visible(series, "s")}`);

/** A page of the caller's pair's report series in update order. */
export function listReportSeries(
  scope: Scope,
  f: { active?: boolean; updatedSince?: string; after?: [string, string]; limit: number },
): SQL {
  const conds: SQL[] = [sql`s.kind = 'mutual_report'`, scope.visible(series, "s")];
  if (f.active !== undefined) conds.push(sql`s.active = ${f.active ? 1 : 0}`);
  if (f.updatedSince) conds.push(sql`s.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  if (f.after) conds.push(sql`(s.updated_at, s.id) > (${f.after[0]}, ${f.after[1]})`);
  return sql`select ${seriesJson(false)} as j from series s where ${sql.join(conds, sql` and `)}
    order by s.updated_at, s.id limit ${f.limit + 1}`;
}

/**
 * createReportSeries: the series of the caller's pair — only when the caller holds a series role and
 * the pair has both institutions; at most one per (caller, Idempotency-Key): the series key is
 * derived from both (`keyOf`), so the unique (jurisdiction, kind, key) makes a retry a no-op and the
 * read by key finds the first attempt. A reporter 'both' is recorded with the court as first host;
 * no series alternates (the same side reports every period unless a co-signed swap says otherwise).
 */
export function createReportSeries(
  scope: Scope,
  o: {
    id: string;
    /** The request's Idempotency-Key. */
    idem: string;
    cadence: string;
    startPeriod: string;
    config: ReportSeriesConfig;
    now: string;
  },
) {
  const firstHost = o.config.reporter === "both" ? "court" : o.config.reporter;
  const key = sql`('idem:' || ${scope.me.userId} || ':' || ${o.idem})`;
  return {
    insert:
      scope.db.run(sql`insert into series (id, jurisdiction_id, kind, key, cadence, first_host, alternate,
        start_period, active, config, created_at, updated_at)
      select ${o.id}, c_.jurisdiction_id, 'mutual_report', ${key}, ${o.cadence}, ${firstHost}, 0,
        ${o.startPeriod}, 1, json_set(${JSON.stringify(o.config)}, '$.createdBy', ${scope.me.userId}),
        ${o.now}, ${o.now}
      from organizations c_ join organizations p_
        on p_.jurisdiction_id = c_.jurisdiction_id and p_.kind = 'procuratorate'
      where c_.kind = 'court' and c_.jurisdiction_id = ${scope.me.jurisdictionId}
        and ${scope.hasRole(SERIES_ROLES)}
      on conflict do nothing`),
    byKey: scope.db.all<{ j: string }>(sql`select ${seriesJson(true)} as j from series s
      where s.kind = 'mutual_report' and s.key = ${key} and s.jurisdiction_id = ${scope.me.jurisdictionId}
        and ${scope.visible(series, "s")}`),
  };
}

/**
 * endReportSeries: no new periods — only when visible, still active and the caller holds a series
 * role. Reports already opened stay as they are (and keep climbing the ladder until submitted).
 */
export const endReportSeries = (scope: Scope, id: string, now: string) =>
  scope.db.run(sql`update series set active = 0, updated_at = ${now},
      config = json_set(config, '$.endedAt', ${now}, '$.endedBy', ${scope.me.userId})
    where id = ${id} and kind = 'mutual_report' and active = 1 and ${scope.visible(series)}
      and ${scope.hasRole(SERIES_ROLES)}`);
