// The escalation ladder of supervision documents: open documents (received or assigned, so a reply
// or a withdrawal stops the ladder), their audiences, texts, timeline events, outbox and 跟进监督.
import { sql, type SQL } from "drizzle-orm";
import { chinaDate, todayIndex, workdaysLate } from "../calendar/calendar.engine";
import type { Db } from "../db/client";
import { outboxFromDocumentEvents } from "../webhooks/outbox";
import type { SubjectSource } from "./ladder";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { actionItemLadder } from "../meetings/action-items";
import { milestoneLadder } from "../research/milestones";
import { referralLadder } from "../exchanges/referrals";
import { reportLadder } from "../exchanges/reports";
import { riskAlertLadder } from "../exchanges/risk-alerts";

/** The ledger rows of one run that were sent, joined to their documents as `e` and `d`. */
const sentOf = (runId: string) =>
  sql`escalation_steps e join documents d on d.id = e.subject_id
    where e.run_id = ${runId} and e.status = 'sent' and e.subject_type = 'document'`;

/**
 * The audience codes `a_` of the steps `s_` of sent step `e`'s run for its document: `e` and those
 * it superseded.
 */
const audiencesOfRun = sql`escalation_steps s_ join json_each(s_.audience) a_ where s_.run_id = e.run_id
  and s_.subject_type = 'document' and s_.subject_id = e.subject_id
  and s_.deadline_version = e.deadline_version`;

/**
 * True when the sent step `e` reaches audience `code`: when it is addressed to it, or when a step it
 * superseded in the same run was (a catch-up reaches everyone the skipped steps were for; the
 * notice's dedupe key still makes it one notice per person).
 */
const has = (code: string) => sql`exists (select 1 from ${audiencesOfRun} and a_.value = ${code})`;

/** The audience a sent step reached (its own, then that of the steps it superseded), as a JSON array. */
const reached = sql`(select json_group_array(value) from (select a_.value from ${audiencesOfRun}
  group by a_.value order by max(s_."offset") desc, min(a_.key)))`;

/**
 * Working days from the due date to today (as `workdaysLate`) of every step sent in a run, as
 * `(sid, late)`: a notice speaks of the document as it stands now, not of the step's offset, which
 * after missed runs may be a less severe step's ("due today" when it is already past).
 */
const lateness = (runId: string, now: string) => sql`(
  select e.id as sid, ${workdaysLate("t_", "cd_", sql`j_.count_makeup_workdays`)} as late
  from escalation_steps e join jurisdictions j_ on j_.id = e.jurisdiction_id
    join calendar_days cd_ on cd_.day = e.due_on
  cross join (${todayIndex(chinaDate(new Date(now)))}) t_
  where e.run_id = ${runId} and e.status = 'sent' and e.subject_type = 'document')`;
const role = (org: SQL, r: string) => sql`join role_assignments r_ on r_.org_id = ${org} and r_.role = ${r}`;

/** (step id, user id, voice) for every audience code of the sent steps of a run. */
function recipients(runId: string): SQL {
  const from = sentOf(runId);
  const upperOrg = sql`(select po_.id from jurisdictions j_
      join organizations po_ on po_.jurisdiction_id = j_.parent_id
    where j_.id = d.jurisdiction_id
      and po_.kind = (select so_.kind from organizations so_ where so_.id = d.sender_org_id))`;
  return sql`
    select e.id as sid, d.handler_id as uid, 'recipient' as voice
      from ${from} and ${has("handler")} and d.handler_id is not null
    union all select e.id, r_.user_id, 'recipient'
      from escalation_steps e join documents d on d.id = e.subject_id
        ${role(sql`d.recipient_org_id`, "registrar")}
      where e.run_id = ${runId} and e.status = 'sent' and e.subject_type = 'document'
        and ${has("handler")} and d.handler_id is null
    union all select e.id, r_.user_id, 'recipient'
      from escalation_steps e join documents d on d.id = e.subject_id
        ${role(sql`d.recipient_org_id`, "department_head")}
      join users hu_ on hu_.id = r_.user_id and hu_.department_id = d.handling_department_id
      where e.run_id = ${runId} and e.status = 'sent' and e.subject_type = 'document'
        and ${has("department_head")}
    union all select e.id, r_.user_id, 'recipient'
      from escalation_steps e join documents d on d.id = e.subject_id
        ${role(sql`d.recipient_org_id`, "registrar")}
      where e.run_id = ${runId} and e.status = 'sent' and e.subject_type = 'document'
        and ${has("receiving_registrars")}
    union all select e.id, r_.user_id, 'recipient'
      from escalation_steps e join documents d on d.id = e.subject_id
        ${role(sql`d.recipient_org_id`, "leader")}
      where e.run_id = ${runId} and e.status = 'sent' and e.subject_type = 'document'
        and ${has("recipient_leaders")}
    union all select e.id, d.created_by, 'sender' from ${from} and ${has("sender")}
    union all select e.id, r_.user_id, 'upper' from escalation_steps e join documents d on d.id = e.subject_id
      join role_assignments r_ on r_.org_id = ${upperOrg} and r_.role in ('leader', 'registrar')
      where e.run_id = ${runId} and e.status = 'sent' and e.subject_type = 'document'
        and ${has("upper_level")}`;
}

// Texts, bilingual, built in SQL from the document (x = the recipient row, e = the step, d = the
// document, lt.late = working days from the due date to today).
const N = sql`abs(lt.late)`;
const DOC_ZH = sql`'《' || d.title || '》(' || d.doc_number || ')'`;
const DOC_EN = sql`'"' || d.title || '" (' || d.doc_number || ')'`;
const TEXT_ZH = sql`case
  when x.voice = 'upper'
    then '下级院办理的' || ${DOC_ZH} || '已逾期' || ${N} ||
      '个工作日未回复(期限' || e.due_on || '),请跟进监督。'
  when x.voice = 'sender' and lt.late > 0
    then '您单位发出的' || ${DOC_ZH} || '已逾期' || ${N} ||
      '个工作日,对方尚未回复(期限' || e.due_on || ')。'
  when x.voice = 'sender'
    then '您单位发出的' || ${DOC_ZH} || '将于' || e.due_on || '到期,对方尚未回复。'
  when lt.late < 0
    then ${DOC_ZH} || '将于' || e.due_on || '到期,距期限还有' || ${N} ||
      '个工作日,请按期办理回复。'
  when lt.late = 0 then ${DOC_ZH} || '今日(' || e.due_on || ')到期,请于今日内回复。'
  else ${DOC_ZH} || '已于' || e.due_on || '到期,逾期' || ${N} ||
    '个工作日仍未回复,请立即办理。' end`;
const TEXT_EN = sql`case
  when x.voice = 'upper'
    then ${DOC_EN} || ', handled at the level below, is ' || ${N} ||
      ' working day(s) overdue without a reply (due ' || e.due_on || '): follow-up supervision is needed.'
  when x.voice = 'sender' and lt.late > 0
    then ${DOC_EN} || ', which your institution sent, is ' || ${N} ||
      ' working day(s) overdue without a reply (due ' || e.due_on || ').'
  when x.voice = 'sender'
    then ${DOC_EN} || ', which your institution sent, is due on ' || e.due_on || ' and not yet replied to.'
  when lt.late < 0
    then ${DOC_EN} || ' is due on ' || e.due_on || ': ' || ${N} || ' working day(s) left to reply.'
  when lt.late = 0 then ${DOC_EN} || ' is due today (' || e.due_on || '): reply today.'
  else ${DOC_EN} || ' was due on ' || e.due_on || ' and is ' || ${N} || ' working day(s) overdue: reply now.'
  end`;
const KIND = sql`case
  when x.voice = 'upper' then 'deadline.followup'
  when lt.late < 0 then 'deadline.reminder'
  when lt.late = 0 then 'deadline.due'
  else 'deadline.overdue' end`;

export const documentLadder: SubjectSource = {
  subjectType: "document",
  open: (horizon) =>
    sql`select dd_.id, dd_.jurisdiction_id, dd_.type as kind, dd_.due_on, dd_.deadline_version as version
      from documents dd_
      where dd_.status in ('received', 'assigned') and dd_.due_on is not null and dd_.due_on <= ${horizon}`,
  effects: (db: Db, { runId, now }) => [
    // 跟进监督: a step addressed to the next level makes the document visible to it (its follow-up box);
    // updated_at moves so that the next level's mobile sync (updatedSince) picks it up.
    db.run(sql`update documents
      set followup_org_id = (select po_.id from jurisdictions j_
          join organizations po_ on po_.jurisdiction_id = j_.parent_id
          where j_.id = documents.jurisdiction_id
            and po_.kind = (select so_.kind from organizations so_ where so_.id = documents.sender_org_id)),
        updated_at = ${now}
      where followup_org_id is null and id in (select e.subject_id from escalation_steps e
        where e.run_id = ${runId} and e.status = 'sent' and e.subject_type = 'document'
          and ${has("upper_level")})`),
    // One notice per person per step: the dedupe key is the step's natural key plus the user.
    db.run(sql`${INSERT_NOTIFICATIONS}
      select e.id || '.' || u.id, u.jurisdiction_id, u.id, ${KIND}, 'document', d.id,
        ${TEXT_ZH}, ${TEXT_EN}, e.urgent,
        'esc:document:' || d.id || ':v' || e.deadline_version || ':' || e.step || ':' || u.id, ${now}
      from (${recipients(runId)}) x
      join escalation_steps e on e.id = x.sid join documents d on d.id = e.subject_id
      join users u on u.id = x.uid and u.active = 1
      join ${lateness(runId, now)} lt on lt.sid = e.id
      where 1
      on conflict do nothing`),
    // The timeline records the step, whom it reached (with the audiences of what it superseded) and
    // what it superseded.
    db.run(sql`insert into document_events (id, jurisdiction_id, document_id, at, actor_id, type, note, after)
      select 'esc.' || e.id, e.jurisdiction_id, e.subject_id, ${now}, null, 'escalated',
        e.step || ' → ' || (select group_concat(r_.value, ', ') from json_each(${reached}) r_),
        json_object('step', e.step, 'offset', e."offset", 'dueOn', e.due_on,
          'deadlineVersion', e.deadline_version, 'urgent', e.urgent,
          'audience', json(${reached}),
          'superseded', (select json_group_array(step) from (select s_.step from escalation_steps s_
            where s_.subject_type = 'document' and s_.subject_id = e.subject_id
              and s_.deadline_version = e.deadline_version and s_.run_id = e.run_id
              and s_.status = 'superseded' order by s_."offset")))
      from ${sentOf(runId)}
      on conflict do nothing`),
    outboxFromDocumentEvents(
      db,
      sql`ev.id in (select 'esc.' || e.id from escalation_steps e
        where e.run_id = ${runId} and e.status = 'sent' and e.subject_type = 'document')`,
    ),
  ],
};

/** The ladders of every subject type the sweep runs. Later subject types register here. */
export const LADDER_SOURCES: SubjectSource[] = [
  documentLadder,
  actionItemLadder,
  milestoneLadder,
  referralLadder,
  reportLadder,
  riskAlertLadder,
];
