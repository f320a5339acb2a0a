// The reminder that a year's holiday calendar is missing: from 1 December the people who maintain the
// calendar are told that next year's is not loaded (the State Council publishes it each December),
// once each per year, until it is loaded. Deadlines reaching into a year without its calendar are
// provisional (weekends only), so the reminder is what keeps them from staying so.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { chinaDate } from "./calendar.engine";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";

/**
 * Who is told that a year's holiday calendar is missing: the admins of city-level jurisdictions.
 * The calendar is loaded by the deployment's operators (`PUT /v1/calendar/{year}` admits only them),
 * but notifications are per user of a jurisdiction (notifications.user_id, jurisdiction_id) and an
 * operator is neither; so the city admins, who answer for their deadlines, are told and ask the
 * operator. Replacing them is this one fragment, here and nowhere else.
 */
export const calendarKeepers = sql`(select ck_.user_id from role_assignments ck_
  join jurisdictions ckj_ on ckj_.id = ck_.jurisdiction_id where ck_.role = 'admin' and ckj_.level = 'city')`;

/** The month and day (China time) from which next year's calendar is asked for. */
export const REMIND_FROM = "12-01";

/**
 * The years whose calendar should be loaded by `today`: the current year always, and the next one
 * from 1 December. (A current year still missing in January is reminded too: a December missed.)
 */
export function yearsDue(today: string): number[] {
  const year = Number(today.slice(0, 4));
  return today.slice(5) >= REMIND_FROM ? [year, year + 1] : [year];
}

/**
 * One INSERT … SELECT: a notice to every active calendar keeper for every due year with no calendar
 * loaded. The dedupe key (year, user) makes it once per person per year, whatever the number of
 * runs (daily, repeated, overlapping); a loaded year is not reminded at all.
 */
export function calendarReminderInsert(db: Db, now: Date, runId: string) {
  const today = chinaDate(now);
  const y = sql`cast(y_.value as text)`;
  return db.run(sql`
    ${INSERT_NOTIFICATIONS}
    select ${runId} || '.' || ${y} || '.' || u.id, u.jurisdiction_id, u.id,
      'calendar.missing', 'calendar', ${y},
      ${y} ||
        '年节假日安排尚未载入:期限计入该年的文书暂只按周末计算。国务院办公厅公布后,请系统运维人员载入该年日历(PUT /v1/calendar/' ||
        ${y} || ')。',
      'The ' || ${y} || ' holiday calendar is not loaded: deadlines reaching into ' || ${y} ||
        ' count weekends only. Once the State Council publishes it, ask the deployment operator' ||
        ' to load it (PUT /v1/calendar/' || ${y} || ').',
      0, 'calendar-missing:' || ${y} || ':' || u.id, ${now.toISOString()}
    from json_each(${JSON.stringify(yearsDue(today))}) y_
    join users u on u.active = 1 and u.id in ${calendarKeepers}
    where y_.value not in (select year from calendar_years)
    on conflict do nothing`);
}
