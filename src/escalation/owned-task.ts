// The ladder of an "owned task": a subject with an owner institution, a due date and a done mark,
// shared by two institutions (joint-meeting action items, research milestones, later unsubmitted
// reports). Everything but the subject's tables, nouns and audiences is the same for all of them:
// the bilingual notices (the owner's voice and the other side's), their kinds and dedupe keys, the
// timeline row 'escalated' and the webhook outbox. A kind names its subject, its nouns and who each
// of its audience codes reaches; `ownedTaskLadder` makes its SubjectSource.
import { z } from "@hono/zod-openapi";
import { sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Scope } from "../auth/scope";
import { escalationLadders, escalationSteps } from "../db/schema";
import { coded, LabelSchema } from "../http/api";
import { vocabulary } from "../vocab";
import { chinaDate, todayIndex, workdaysLate } from "../calendar/calendar.engine";
import type { Db } from "../db/client";
import { outboxFromSubjectEvents } from "../events/events";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import {
  AUDIENCE_CODES,
  AUDIENCES,
  DEFAULT_LADDERS,
  normalizeLadder,
  stepKeyIn,
  unitOf,
  type Audience,
  type LadderStep,
  type SubjectSource,
} from "./ladder";

/** What the recipients query of a kind is given. */
export type RecipientsCtx = {
  /** True for the sent steps `e` of this run of this subject type. */
  run: SQL;
  /** True when the sent step `e` reaches audience `code` (its own, or a superseded step's). */
  has: (code: string) => SQL;
};

export type OwnedTaskKind = {
  subjectType: string;
  /** SubjectSource.open: the open subjects (`id`, `jurisdiction_id`, `kind`, `due_on`, `version`). */
  open: (horizon: string) => SQL;
  /**
   * Joins from the step `e` to its subject (on `e.subject_id`) and to whatever the nouns read; inner
   * joins, so every row has its subject.
   */
  subject: SQL;
  /** The owner institution's id, over `subject`. */
  ownerOrg: SQL;
  /** The subject named in a sentence, over `subject` (e.g. 联席会议议定事项「…」 / the action item "…"). */
  noun: { zh: SQL; en: SQL };
  /** The Chinese verbs of the notices (事项 are 落实, 节点 完成). */
  zh: {
    /** 由{owner}{owns}{noun}: "负责落实的". */
    owns: string;
    /** Not done yet: "尚未落实". */
    pending: string;
    /** Before the due date: "请按期落实". */
    onTime: string;
    /** On the due date: "请于今日内落实并标记完成". */
    today: string;
    /** Overdue, after "逾期N个工作日": "仍未落实,请立即办理". */
    overdue: string;
  };
  /**
   * (sid, uid, voice) for every person an audience code of the run's sent steps reaches: `sid` the
   * step `e.id`, `voice` 'owner' for the owner institution's people, 'other' for the other side's.
   * Rows may repeat: notices are deduplicated per step and user.
   */
  recipients: (ctx: RecipientsCtx) => SQL;
};

/**
 * The pieces every non-document ladder's effects share, over a sent step `e` of a subject type:
 * `sentIn(runId)` the sent steps of a run, `has(code)` whether `e` reaches an audience (its own, or a
 * step's it superseded), `reached` the audience it reached (most severe step's first, a JSON array).
 */
export function stepRun(st: string) {
  /** The sent steps `e` of run `runId` of this subject type (each sent step is one per subject). */
  const sentIn = (runId: string) => sql`e.run_id = ${runId} and e.status = 'sent' and e.subject_type = ${st}`;

  /** The audience codes `a_` of sent step `e` and of the steps it superseded in the same run. */
  const audiencesOfRun = sql`escalation_steps s_ join json_each(s_.audience) a_ where s_.run_id = e.run_id
    and s_.subject_type = ${st} and s_.subject_id = e.subject_id and s_.deadline_version = e.deadline_version`;

  const has = (code: string) => sql`exists (select 1 from ${audiencesOfRun} and a_.value = ${code})`;

  const reached = sql`(select json_group_array(value) from (select a_.value from ${audiencesOfRun}
    group by a_.value order by max(s_."offset") desc, min(a_.key)))`;
  return { sentIn, has, reached };
}

/**
 * The timeline row 'escalated' of every step sent in a run (whom it reached, what it superseded; the
 * deadline as `dueOn`, or `dueAt` for an hour subject) and its webhook (urgent steps' at any hour).
 * `subject` joins the step `e` to its subject (inner joins).
 */
export function escalatedEvents(db: Db, st: string, subject: SQL, o: { runId: string; now: string }) {
  const { sentIn, reached } = stepRun(st);
  const due = unitOf(st) === "hour" ? "dueAt" : "dueOn";
  return [
    // The subject's timeline records the step, whom it reached and what it superseded.
    db.run(sql`insert into subject_events
        (id, jurisdiction_id, subject_type, subject_id, at, actor_id, type, note, data)
      select 'esc.' || e.id, e.jurisdiction_id, ${st}, e.subject_id, ${o.now}, null, 'escalated',
        e.step || ' → ' || (select group_concat(r_.value, ', ') from json_each(${reached}) r_),
        json_object('step', e.step, 'offset', e."offset", ${due}, e.due_on,
          'deadlineVersion', e.deadline_version, 'urgent', e.urgent, 'audience', json(${reached}),
          'superseded', (select json_group_array(step) from (select s_.step from escalation_steps s_
            where s_.subject_type = ${st} and s_.subject_id = e.subject_id
              and s_.deadline_version = e.deadline_version and s_.run_id = e.run_id
              and s_.status = 'superseded' order by s_."offset")))
      from escalation_steps e ${subject}
      where ${sentIn(o.runId)}
      on conflict do nothing`),
    // Webhooks to both institutions; urgent steps are delivered outside business hours too.
    outboxFromSubjectEvents(
      db,
      sql`ev.id in (select 'esc.' || e.id from escalation_steps e where ${sentIn(o.runId)})`,
      sql`coalesce((select e.urgent from escalation_steps e where 'esc.' || e.id = ev.id), 0)`,
    ),
  ];
}

/** The SubjectSource of an owned-task kind. */
export function ownedTaskLadder(k: OwnedTaskKind): SubjectSource {
  const st = k.subjectType;
  const { sentIn, has } = stepRun(st);

  /**
   * Working days from the due date to today of every step sent in a run, as `(sid, late)`: a notice
   * speaks of the subject as it stands now (after missed runs the sent step may be a milder one's).
   */
  const lateness = (runId: string, now: string) => sql`(
    select e.id as sid, ${workdaysLate("t_", "cd_", sql`j_.count_makeup_workdays`)} as late
    from escalation_steps e join jurisdictions j_ on j_.id = e.jurisdiction_id
      join calendar_days cd_ on cd_.day = e.due_on
    cross join (${todayIndex(chinaDate(new Date(now)))}) t_
    where ${sentIn(runId)})`;

  // Texts, bilingual, built in SQL (x = the recipient row, e = the step, o = the owner institution,
  // lt.late = working days from the due date to today).
  const N = sql`abs(lt.late)`;
  const [ZH, EN, z] = [k.noun.zh, k.noun.en, k.zh];
  const TEXT_ZH = sql`case
    when x.voice = 'other' and lt.late > 0
      then '由' || o.name || ${z.owns} || ${ZH} || '已逾期' || ${N} ||
        '个工作日' || ${z.pending} || '(期限' || e.due_on || ')。'
    when x.voice = 'other'
      then '由' || o.name || ${z.owns} || ${ZH} || '将于' || e.due_on || '到期,' || ${z.pending} || '。'
    when lt.late < 0
      then ${ZH} || '将于' || e.due_on || '到期,距期限还有' || ${N} || '个工作日,' || ${z.onTime} || '。'
    when lt.late = 0 then ${ZH} || '今日(' || e.due_on || ')到期,' || ${z.today} || '。'
    else ${ZH} || '已于' || e.due_on || '到期,逾期' || ${N} || '个工作日' || ${z.overdue} || '。' end`;
  const TEXT_EN = sql`case
    when x.voice = 'other' and lt.late > 0
      then 'Owned by ' || o.name || ', ' || ${EN} || ' is ' || ${N} ||
        ' working day(s) overdue and not done (due ' || e.due_on || ').'
    when x.voice = 'other'
      then 'Owned by ' || o.name || ', ' || ${EN} || ' is due on ' || e.due_on || ' and not done yet.'
    when lt.late < 0
      then 'Your institution owns ' || ${EN} || ', due on ' || e.due_on || ': ' || ${N} ||
        ' working day(s) left.'
    when lt.late = 0
      then 'Your institution owns ' || ${EN} || ', due today (' || e.due_on || '): complete it today.'
    else 'Your institution owns ' || ${EN} || ', due on ' || e.due_on || ' and ' || ${N} ||
      ' working day(s) overdue: act now.' end`;
  const KIND = sql`case
    when lt.late < 0 then ${`${st}.reminder`}
    when lt.late = 0 then ${`${st}.due`}
    else ${`${st}.overdue`} end`;

  return {
    subjectType: st,
    open: k.open,
    effects: (db: Db, { runId, now }) => [
      // One notice per person per step: the dedupe key is the step's natural key plus the user.
      db.run(sql`${INSERT_NOTIFICATIONS}
        select e.id || '.' || u.id, u.jurisdiction_id, u.id, ${KIND}, ${st}, e.subject_id,
          ${TEXT_ZH}, ${TEXT_EN}, e.urgent,
          ${`esc:${st}:`} || e.subject_id || ':v' || e.deadline_version || ':' || e.step || ':' || u.id, ${now}
        from (${k.recipients({ run: sentIn(runId), has })}) x
        join escalation_steps e on e.id = x.sid ${k.subject}
        join organizations o on o.id = ${k.ownerOrg}
        join users u on u.id = x.uid and u.active = 1
        join ${lateness(runId, now)} lt on lt.sid = e.id
        where 1
        on conflict do nothing`),
      ...escalatedEvents(db, st, k.subject, { runId, now }),
    ],
  };
}

// ── Reading an owned task's ladder: the steps that happened and the ladder in force ─────────────

/** What became of a ladder step when it was due. */
export const STEP_STATUSES = vocabulary({
  sent: { zh: "已发出", en: "Sent" },
  superseded: { zh: "已并入更严重的一级", en: "Superseded by a more severe step" },
});

export type StepRow = {
  step: string;
  offset: number;
  dueOn: string;
  deadlineVersion: number;
  status: "sent" | "superseded";
  audience: string;
  urgent: number;
  createdAt: string;
};

/** The ladder steps recorded for one subject (every deadline version), mildest first. */
export const subjectSteps = (scope: Scope, subjectType: string, id: string) =>
  scope.db.all<StepRow>(sql`select s.step, s."offset" as "offset", s.due_on as dueOn,
      s.deadline_version as deadlineVersion, s.status, s.audience, s.urgent, s.created_at as createdAt
    from escalation_steps s
    where s.subject_type = ${subjectType} and s.subject_id = ${id} and ${scope.visible(escalationSteps, "s")}
    order by s.deadline_version, s."offset"`);

/**
 * The subject's jurisdiction's own ladder, when it set one (kind `subjectType`, else '*'); none → the
 * default ladder applies. `table` is the subject's table (its row must be visible to the caller).
 */
export const ownLadder = (scope: Scope, subjectType: string, table: SQLiteTable, id: string) =>
  scope.db.all<{ steps: string }>(sql`select l.steps from escalation_ladders l
    join ${table} x_ on x_.jurisdiction_id = l.jurisdiction_id
    where x_.id = ${id} and l.subject_type = ${subjectType} and l.kind in (${subjectType}, '*')
      and ${scope.visible(escalationLadders, "l")} and ${scope.visible(table, "x_")}
    order by l.kind = ${subjectType} desc limit 1`);

const Audiences = z.array(z.object({ code: z.enum(AUDIENCE_CODES), label: LabelSchema }));
export const audiences = (codes: Audience[]) => codes.map((code) => ({ code, label: AUDIENCES[code] }));

/** The ladder in force, as a detail read shows it. */
export const LadderViewSchema = z.object({
  source: z.enum(["default", "jurisdiction"]),
  steps: z.array(
    z.object({
      offset: z.number().int(),
      key: z.string().openapi({ example: "T+1" }),
      audience: Audiences,
      urgent: z.boolean(),
    }),
  ),
});

/** The steps that happened, as a detail read shows them. */
export const EscalationsSchema = z.array(
  z.object({
    step: z.string(),
    offset: z.number().int(),
    dueOn: z.string(),
    deadlineVersion: z.number().int(),
    status: coded(STEP_STATUSES.codes),
    audience: Audiences,
    urgent: z.boolean(),
    at: z.string(),
  }),
);

export const toEscalation = (s: StepRow) => ({
  step: s.step,
  offset: s.offset,
  dueOn: s.dueOn,
  deadlineVersion: s.deadlineVersion,
  status: STEP_STATUSES.item(s.status),
  audience: audiences(JSON.parse(s.audience) as Audience[]),
  urgent: !!s.urgent,
  at: s.createdAt,
});

/** The jurisdiction's own ladder (JSON steps) or the subject type's default, normalised. */
export const ladderView = (subjectType: string, own: string | undefined) => {
  const steps = own ? (JSON.parse(own) as LadderStep[]) : DEFAULT_LADDERS[subjectType]!;
  return {
    source: own ? ("jurisdiction" as const) : ("default" as const),
    steps: normalizeLadder(steps).map((s) => ({
      offset: s.offset,
      key: stepKeyIn(unitOf(subjectType))(s.offset),
      audience: audiences(s.audience),
      urgent: !!s.urgent,
    })),
  };
};
