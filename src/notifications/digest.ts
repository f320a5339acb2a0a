// The daily digest: one notice per user per working day listing what is due soon and overdue among
// the open documents they answer for. Written once business hours have begun in the user's
// jurisdiction on a working day; the dedupe key (user, day) makes it once a day, whichever run
// (the daily trigger or a later sweep catching up) gets there first.
import { sql } from "drizzle-orm";
import { chinaDate, todayIndex, workdaysLate } from "../calendar/calendar.engine";
import type { Db } from "../db/client";
import { withinBusinessHours } from "./hours";
import { INSERT_NOTIFICATIONS } from "./notify";

/** "Due soon": due within this many working days (today included). */
export const DIGEST_SOON_WORKDAYS = 7;

export function digestInsert(db: Db, now: Date, runId: string) {
  const today = chinaDate(now);
  const horizon = new Date(now.getTime() + 8 * 3600_000 + 25 * 86_400_000).toISOString().slice(0, 10);
  return db.run(sql`
    with t_ as (${todayIndex(today)}),
    o_ as (
      select d.id, d.status, d.due_on, d.handler_id, d.handling_department_id, d.recipient_org_id,
        ${workdaysLate("t_", "c_", sql`j_.count_makeup_workdays`)} as late
      from documents d join jurisdictions j_ on j_.id = d.jurisdiction_id
        join calendar_days c_ on c_.day = d.due_on cross join t_
      where d.status in ('received', 'assigned') and d.due_on is not null and d.due_on <= ${horizon}),
    x_ as (
      select o_.handler_id as uid, o_.id, o_.due_on, o_.late from o_ where o_.handler_id is not null
      union select r_.user_id, o_.id, o_.due_on, o_.late from o_
        join role_assignments r_ on r_.org_id = o_.recipient_org_id and r_.role = 'department_head'
        join users hu_ on hu_.id = r_.user_id and hu_.department_id = o_.handling_department_id
      union select r_.user_id, o_.id, o_.due_on, o_.late from o_
        join role_assignments r_ on r_.org_id = o_.recipient_org_id and r_.role = 'registrar'
        where o_.status = 'received'
      union select r_.user_id, o_.id, o_.due_on, o_.late from o_
        join role_assignments r_ on r_.org_id = o_.recipient_org_id and r_.role = 'leader'
        where o_.due_on < ${today}),
    a_ as (
      select uid, sum(due_on < ${today}) as overdue,
        sum(due_on >= ${today} and late >= ${-DIGEST_SOON_WORKDAYS}) as soon,
        min(case when due_on >= ${today} then due_on end) as next_due
      from x_ group by uid)
    ${INSERT_NOTIFICATIONS}
    select ${runId} || '.' || u.id, u.jurisdiction_id, u.id, 'digest', 'digest', ${today},
      '每日待办(' || ${today} || '):' || a_.soon ||
        '件文书将在${sql.raw(String(DIGEST_SOON_WORKDAYS))}个工作日内到期' ||
        coalesce('(最近期限' || a_.next_due || ')', '') || ',' || a_.overdue || '件已逾期。',
      'Daily digest (' || ${today} || '): ' || a_.soon ||
        ' document(s) due within ${sql.raw(String(DIGEST_SOON_WORKDAYS))} working days' ||
        coalesce(' (next on ' || a_.next_due || ')', '') || ', ' || a_.overdue || ' overdue.',
      0, 'digest:' || u.id || ':' || ${today}, ${now.toISOString()}
    from a_ join users u on u.id = a_.uid and u.active = 1
    where (a_.soon > 0 or a_.overdue > 0) and ${withinBusinessHours(sql`u.jurisdiction_id`, now)}
    on conflict do nothing`);
}
