// Loading a year's official holidays and make-up working days, and previewing a deadline.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { ApiError } from "../http/problem";
import type { Label } from "../vocab";
import {
  calendarComplete,
  countsMakeup,
  dueOn,
  inCalendar,
  missingYears,
  rawEnd,
  reindexCalendar,
  rollForward,
  workdaysAfter,
} from "./calendar.engine";
import { outboxFromSubjectEvents } from "../events/events";
import { COUNTED_FROM } from "../exchanges/exchanges";
import { ACK_WORKING_DAYS } from "../exchanges/referrals";
import { reportDueOn } from "../exchanges/reports";

/** A receipt date or due date outside the calendar the system holds: no deadline can be counted. */
export const outsideCalendar = () =>
  new ApiError(
    422,
    "outside_calendar",
    "The receipt date or the due date falls outside the calendar the system holds (2000–2060).",
  );

export type SpecialDay = { date: string; kind: "holiday" | "makeup"; name: string };

/**
 * The statements that replace one year's special days; run them in one batch followed by
 * `reindexStatement`. `guard` is SQL that must hold for any of them to change anything, so an
 * unauthorised caller's batch is a no-op.
 */
export function loadYearStatements(
  db: Db,
  year: number,
  days: SpecialDay[],
  meta: { source: string; at: string; by: SQL | null },
  guard: SQL = sql`1`,
) {
  const from = `${year}-01-01`,
    to = `${year}-12-31`;
  return [
    db.run(sql`update calendar_days
      set kind = case when strftime('%w', day) in ('0','6') then 'weekend' else 'workday' end, name = null
      where day between ${from} and ${to} and ${guard}`),
    db.run(sql`update calendar_days set kind = j_.value ->> 'kind', name = j_.value ->> 'name'
      from json_each(${JSON.stringify(days)}) as j_
      where calendar_days.day = j_.value ->> 'date' and ${guard}`),
    db.run(sql`insert into calendar_years (year, source, loaded_at, loaded_by)
      select ${year}, ${meta.source}, ${meta.at}, ${meta.by} where ${guard}
      on conflict (year) do update
        set source = excluded.source, loaded_at = excluded.loaded_at, loaded_by = excluded.loaded_by`),
  ] as const;
}

export const reindexStatement = (db: Db, guard: SQL = sql`1`) => db.run(sql`${reindexCalendar} and ${guard}`);

export type PreviewRow = {
  ruleId: string | null;
  ruleVersion: number | null;
  periodDays: number | null;
  periodMonths: number | null;
  senderSets: number | null;
  maxDays: number | null;
  maxMonths: number | null;
  source: string | null;
  rawEnd: string | null;
  dueOn: string | null;
  complete: number | null;
  /** JSON array of the years the counting touched that have no calendar loaded. */
  missing: string | null;
  skipped: string | null;
};

/**
 * One query: the effective rule of a type in a jurisdiction, the raw end, the due date (null when the
 * receipt date or the due date is outside the calendar), whether the calendar was complete and which
 * years were missing, and the rest days rolled over. `periodDays`/`periodMonths` apply to sender-set
 * types only.
 */
export function previewQuery(
  db: Db,
  q: { jurisdictionId: SQL; type: string; receivedOn: string; periodDays?: number; periodMonths?: number },
) {
  const given = q.periodDays !== undefined || q.periodMonths !== undefined;
  return db.get<PreviewRow>(sql`
    with rule as (${effectiveRule(q.jurisdictionId, q.type)}),
    p as (
      select rule.*,
        case when rule.sender_sets and ${given ? 1 : 0} then ${q.periodDays ?? null}
          else rule.period_days end as d,
        case when rule.sender_sets and ${given ? 1 : 0} then ${q.periodMonths ?? null}
          else rule.period_months end as m,
        ${countsMakeup(q.jurisdictionId)} as makeup
      from rule),
    r as (select p.*, ${rawEnd(q.receivedOn, sql`p.d`, sql`p.m`)} as raw from p),
    f as (select r.*,
        case when ${inCalendar(q.receivedOn)} then ${rollForward(sql`r.raw`, sql`r.makeup`)} end as due
      from r)
    select f.id as ruleId, f.version as ruleVersion, f.d as periodDays, f.m as periodMonths,
      f.sender_sets as senderSets,
      f.max_days as maxDays, f.max_months as maxMonths, f.source as source, f.raw as rawEnd, f.due as dueOn,
      ${calendarComplete(q.receivedOn, sql`f.due`)} as complete,
      case when f.due is not null then ${missingYears(q.receivedOn, sql`f.due`)} end as missing,
      (select json_group_array(json_object('date', c.day, 'kind', c.kind, 'name', c.name))
        from calendar_days c where c.day >= f.raw and c.day < f.due) as skipped
    from f`);
}

/** The rule in force for a type in a jurisdiction: its newest local override, else the newest default. */
export function effectiveRule(jurisdictionId: SQL, type: string | SQL): SQL {
  return sql`select * from deadline_rules dr_
    where dr_.type = ${type} and (dr_.jurisdiction_id = ${jurisdictionId} or dr_.jurisdiction_id is null)
    order by dr_.jurisdiction_id is null, dr_.version desc limit 1`;
}

export type Step = {
  kind: "start" | "raw_end" | "roll_forward" | "calendar_missing" | "due";
  date: string;
  note: { zh: string; en: string };
};

/** A caveat on a computed deadline; `calendar_missing`: counted on weekends only for `year`. */
export type DeadlineWarning = { code: "calendar_missing"; label: Label; year: number };

/** The warnings of a deadline whose counting touched `years` without an official calendar. */
export function calendarWarnings(years: number[]): DeadlineWarning[] {
  return years.map((year) => ({
    code: "calendar_missing",
    label: {
      zh: `${year}年节假日安排尚未载入:期限暂只按周末计算,载入后自动重算`,
      en:
        `The ${year} holiday calendar is not loaded: ` +
        "the deadline counts weekends only until it is, then is recomputed",
    },
    year,
  }));
}

/** The missing years of a `missingYears` JSON value. */
export const parseYears = (json: string | null | undefined): number[] =>
  json ? (JSON.parse(json) as number[]) : [];

/** Explains a computation in the order a clerk would check it by hand. */
export function explain(receivedOn: string, row: PreviewRow): Step[] {
  const start = addDays(receivedOn, 1);
  const period =
    row.periodMonths != null
      ? { zh: `${row.periodMonths}个月`, en: `${row.periodMonths} month(s)` }
      : { zh: `${row.periodDays}日`, en: `${row.periodDays} day(s)` };
  const steps: Step[] = [
    {
      kind: "start",
      date: start,
      note: {
        zh: "收到之日不计入,次日起算",
        en: "The day of receipt is not counted; counting starts the next day",
      },
    },
  ];
  const clamped = row.periodMonths != null && row.rawEnd!.slice(8) !== receivedOn.slice(8);
  steps.push({
    kind: "raw_end",
    date: row.rawEnd!,
    note: clamped
      ? {
          zh: `期间${period.zh}届满;届满月无对应日,以该月末日为期限末日`,
          en: `End of ${period.en}; the final month has no such day, so its last day`,
        }
      : { zh: `期间${period.zh}届满`, en: `End of ${period.en}` },
  });
  for (const d of JSON.parse(row.skipped ?? "[]") as { date: string; kind: string; name: string | null }[]) {
    const what =
      d.kind === "holiday"
        ? {
            zh: `法定节假日${d.name ? `(${d.name})` : ""}`,
            en: `public holiday${d.name ? ` (${d.name})` : ""}`,
          }
        : d.kind === "makeup"
          ? { zh: "调休工作日(本辖区不计为工作日)", en: "make-up working day (not counted as working here)" }
          : { zh: "周末", en: "weekend" };
    steps.push({
      kind: "roll_forward",
      date: d.date,
      note: { zh: `${what.zh},顺延`, en: `${what.en}: rolls forward` },
    });
  }
  for (const w of calendarWarnings(parseYears(row.missing)))
    steps.push({ kind: "calendar_missing", date: `${w.year}-01-01`, note: w.label });
  steps.push({
    kind: "due",
    date: row.dueOn!,
    note: { zh: "期限届满日(北京时间当日24时)", en: "Due at the end of this day, China Standard Time" },
  });
  return steps;
}

export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/**
 * After a year's calendar is loaded or corrected, the open documents whose deadline counting touched
 * that year get their due date computed again (from receipt, then any approved extension), with a
 * timeline event showing the change. The deadline version stays: it is the same deadline, counted on
 * the right calendar, so escalation steps already sent are not repeated. All guarded by `guard`.
 */
export function recomputeDeadlineStatements(
  db: Db,
  q: { year: number; guard: SQL; actor: SQL; at: string; eventPrefix: string },
) {
  const makeup = countsMakeup(sql`d.jurisdiction_id`);
  const ext = (col: string) =>
    sql`(select x.${sql.raw(col)} from extension_requests x
      where x.document_id = d.id and x.status = 'approved')`;
  const base = dueOn(sql`d.received_on`, sql`d.period_days`, sql`d.period_months`, makeup);
  const due = sql`(case
    when exists (select 1 from extension_requests x where x.document_id = d.id and x.status = 'approved')
    then ${dueOn(base, ext("period_days"), ext("period_months"), makeup)} else ${base} end)`;
  // calendarComplete as a JSON boolean (the column holds 0/1).
  const snapshot = (a: string) =>
    sql.raw(`json_object('dueOn', ${a}.due_on, 'calendarComplete',
      json(case when ${a}.calendar_complete then 'true'
        when ${a}.calendar_complete is not null then 'false' end))`);
  const mine = sql`id like ${`${q.eventPrefix}.%`}`;
  return [
    db.run(sql`insert into document_events
        (id, jurisdiction_id, document_id, at, actor_id, type, note, before)
      select ${q.eventPrefix} || '.' || r.id, r.jurisdiction_id, r.id, ${q.at}, ${q.actor},
        'deadline_recomputed', ${`${q.year}年日历已更新`}, r.before
      from (select d.id, d.jurisdiction_id, d.received_on, d.due_on, d.calendar_complete,
              ${snapshot("d")} as before, ${due} as due
            from documents d
            where d.status in ('received', 'assigned') and d.due_on is not null
              and cast(strftime('%Y', d.received_on) as integer) <= ${q.year}
              and cast(strftime('%Y', d.due_on) as integer) >= ${q.year}) r
      where (r.due is not r.due_on
          or ${calendarComplete(sql`r.received_on`, sql`r.due`)} is not r.calendar_complete)
        and ${q.guard}`),
    db.run(sql`update documents as d
      set due_on = ${due}, calendar_complete = ${calendarComplete(sql`d.received_on`, due)},
        updated_at = ${q.at}
      where d.id in (select document_id from document_events where ${mine})`),
    db.run(
      sql`update document_events
        set after = (select ${snapshot("d")} from documents d where d.id = document_events.document_id)
        where ${mine}`,
    ),
    ...recomputeExchangeDeadlines(db, q),
  ] as const;
}

/**
 * The same for open exchanges with a working-day deadline: a referral notice not yet acknowledged
 * (due ACK_WORKING_DAYS working days after the China day it was sent) and a periodic report not yet
 * submitted (its series' `dueWorkdays` after its period's last day). A changed due date is a new
 * deadline (deadline_version + 1), so the ladder starts again on it; each gets a
 * 'deadline_recomputed' entry (the dates and versions before and after) and its webhook.
 */
function recomputeExchangeDeadlines(
  db: Db,
  q: { year: number; guard: SQL; actor: SQL; at: string; eventPrefix: string },
) {
  const mine = sql`ev.id like ${`${q.eventPrefix}.%`} and ev.type = 'deadline_recomputed'`;
  return [
    db.run(sql`insert into subject_events
        (id, jurisdiction_id, subject_type, subject_id, at, actor_id, type, note, data)
      select ${q.eventPrefix} || '.' || r.id, r.jurisdiction_id, r.kind, r.id, ${q.at}, ${q.actor},
        'deadline_recomputed', ${`${q.year}年日历已更新`},
        json_object('dueOn', json_object('before', r.due_on, 'after', r.due),
          'deadlineVersion', json_object('before', r.v, 'after', r.v + 1))
      from (select x.id, x.jurisdiction_id, x.kind, x.due_on, x.deadline_version as v,
              ${EXCHANGE_DUE} as due, ${COUNTED_FROM} as start
            from exchanges x left join series s on s.id = x.series_id
              join jurisdictions j on j.id = x.jurisdiction_id
            where ((x.kind = 'referral' and x.status = 'sent') or (x.kind = 'report' and x.status = 'due'))
              and x.due_on is not null
              and cast(strftime('%Y', x.due_on) as integer) >= ${q.year}) r
      where cast(strftime('%Y', r.start) as integer) <= ${q.year}
        and r.due is not null and r.due is not r.due_on and ${q.guard}
      on conflict do nothing`),
    db.run(sql`update exchanges
      set due_on = (select ev.data -> 'dueOn' ->> 'after' from subject_events ev
          where ${mine} and ev.subject_id = exchanges.id),
        deadline_version = deadline_version + 1, updated_at = ${q.at}
      where id in (select ev.subject_id from subject_events ev where ${mine})`),
    outboxFromSubjectEvents(db, mine),
  ] as const;
}

/** An open exchange's due date counted again on today's calendar (`s` its series, `j` its jurisdiction). */
const EXCHANGE_DUE = sql`(case x.kind
  when 'referral' then ${workdaysAfter(COUNTED_FROM, ACK_WORKING_DAYS, sql`j.count_makeup_workdays`)}
  when 'report' then ${reportDueOn("s", sql`x.period`, "j")} end)`;
