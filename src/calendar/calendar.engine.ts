// The deadline engine, in SQL: how periods are counted (legal-deadlines.md), usable inside any
// statement so that receipt, extensions, previews and set-based cron sweeps share one definition.
import { sql, type SQL } from "drizzle-orm";

type Expr = SQL | string | number | null;
const e = (x: Expr) => (x instanceof Object ? x : sql`${x}`);

/** True when make-up (调休) weekend days count as working days in a jurisdiction. */
export const countsMakeup = (jurisdictionId: Expr) =>
  sql`(select j_.count_makeup_workdays from jurisdictions j_ where j_.id = ${e(jurisdictionId)})`;

const working = (alias: string, makeup: Expr) =>
  sql`(${sql.raw(alias)}.kind = 'workday' or (${sql.raw(alias)}.kind = 'makeup' and ${e(makeup)}))`;

/**
 * The raw last day of a period counted from `start` (the day of receipt is not counted): N days
 * later, or the same-numbered day N months later, clamped to that month's last day (民法典 第202条).
 */
export function rawEnd(start: Expr, days: Expr, months: Expr): SQL {
  const s = e(start),
    m = e(months);
  return sql`(case
    when ${m} is not null then min(date(${s}, '+' || ${m} || ' months'),
      date(${s}, 'start of month', '+' || (${m} + 1) || ' months', '-1 day'))
    else date(${s}, '+' || ${e(days)} || ' days') end)`;
}

/**
 * The first working day on or after `day` (a last day on a rest day rolls forward,
 * 民事诉讼法 第85条).
 */
export function rollForward(day: Expr, makeup: Expr): SQL {
  return sql`(select c_.day from calendar_days c_
    where c_.day >= ${e(day)} and ${working("c_", makeup)}
    order by c_.day limit 1)`;
}

/**
 * The `n`-th working day after `day` on the calendar (`makeup`: whether 调休 days count) — the day
 * itself not counted (legal-deadlines.md, rule 1), so a start on a rest day counts from the next
 * working day. The cumulative indexes `wd_idx` / `wd_idx_strict` make it a range probe forward from
 * `day`; null outside the calendar. Local deadlines in working days (a referral's acknowledgement, a
 * periodic report after its period) use it; statutory periods use `dueOn`.
 */
export const workdaysAfter = (day: Expr, n: Expr, makeup: Expr) => sql`(select c2_.day
    from calendar_days c1_ join calendar_days c2_ on c2_.day > c1_.day
    where c1_.day = ${e(day)} and ${working("c2_", makeup)}
      and (case when ${e(makeup)} then c2_.wd_idx - c1_.wd_idx
        else c2_.wd_idx_strict - c1_.wd_idx_strict end) >= ${e(n)}
    order by c2_.day limit 1)`;

/**
 * True when `day` lies within the calendar the system holds (every date of `calendar_days`,
 * 2000–2060). A period counted from a day outside it has no due date: `rollForward` alone would
 * answer the calendar's first working day for any earlier date.
 */
export const inCalendar = (day: Expr) =>
  sql`exists (select 1 from calendar_days ic_ where ic_.day = ${e(day)})`;

/**
 * The due date of a period counted from `start`; null when `start` or the due date is outside the
 * calendar.
 */
export const dueOn = (start: Expr, days: Expr, months: Expr, makeup: Expr) =>
  sql`(case when ${inCalendar(start)} then ${rollForward(rawEnd(start, days, months), makeup)} end)`;

/**
 * The years from `from` to `to` with no official calendar loaded, as a JSON array of numbers
 * (`[]` when complete): what a provisional deadline warns about.
 */
export function missingYears(from: Expr, to: Expr): SQL {
  const y1 = sql`cast(strftime('%Y', ${e(from)}) as integer)`,
    y2 = sql`cast(strftime('%Y', ${e(to)}) as integer)`;
  return sql`(with recursive my_(y) as (select ${y1} union all select y + 1 from my_ where y < ${y2})
    select json_group_array(y) from my_ where y not in (select year from calendar_years))`;
}

/** True when every year from `from` to `to` has its official calendar loaded. */
export function calendarComplete(from: Expr, to: Expr): SQL {
  const y1 = sql`cast(strftime('%Y', ${e(from)}) as integer)`,
    y2 = sql`cast(strftime('%Y', ${e(to)}) as integer)`;
  return sql`((select count(*) from calendar_years y_ where y_.year between ${y1} and ${y2})
    = ${y2} - ${y1} + 1)`;
}

/**
 * The working-day indexes of `today` (columns `i`, make-up days counted, and `s`, not) and its
 * `kind`, for `workdaysLate`.
 */
export const todayIndex = (today: string) =>
  sql`select wd_idx as i, wd_idx_strict as s, kind from calendar_days where day = ${today}`;

/** True when the `todayIndex` row `t` is a working day where make-up days count as `makeup` says. */
export const isWorkingToday = (t: string, makeup: SQL) => working(t, makeup);

/**
 * Working days from a due date to today on the jurisdiction's calendar: 0 on the due day, negative
 * before it, positive after. `t` names a `todayIndex` row, `due` the due date's calendar_days row.
 * A due date that is a rest day (the calendar or the 调休 setting changed after it was set) shares its
 * index with the working day before it, so up to the first working day after it the count is one
 * further from it: no "due today" the day before, none after it.
 */
export function workdaysLate(t: string, due: string, makeup: SQL): SQL {
  const raw = sql`(case when ${makeup} then ${sql.raw(t)}.i - ${sql.raw(due)}.wd_idx
    else ${sql.raw(t)}.s - ${sql.raw(due)}.wd_idx_strict end)`;
  return sql`(${raw} - (${raw} <= 0 and not ${working(due, makeup)}))`;
}

/** Re-numbers the cumulative working-day indexes after the calendar changed. */
export const reindexCalendar = sql`
  update calendar_days set wd_idx = w.i, wd_idx_strict = w.s
  from (select day, sum(kind in ('workday', 'makeup')) over (order by day) as i,
      sum(kind = 'workday') over (order by day) as s
    from calendar_days) as w
  where w.day = calendar_days.day`;

/** Today's date in China Standard Time (UTC+8, no daylight saving): deadlines end at its midnight. */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
