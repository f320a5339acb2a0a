// The escalation ladder: a generic mechanism for any subject with a deadline (documents now;
// meeting action items, research milestones, reports later).
//
// A ladder is a list of steps, each `offset` working days from the due date on the subject's
// jurisdiction calendar (negative = before, 0 = the due day, positive = overdue), with an audience.
// A subject type may count in clock hours instead (unit 'hour': a petition-risk alert must be
// acknowledged within hours, and nights, weekends and holidays do not stop that clock): its subjects
// have a due instant, a step is due once now ≥ due + offset hours, and it fires at any hour of any day.
// Both units share the ledger, its keys (T… for working days, H… for hours) and the supersession.
// A sweep is set-based: one INSERT … SELECT finds, over all open subjects at once, every step that is
// due and not yet in the ledger `escalation_steps`, whose unique key (subject type, subject, deadline
// version, step) makes each step happen at most once. When several steps of one subject are due at
// once (after missed runs) the most severe is `sent`, the others are recorded as `superseded`; the
// subject type's effects address the sent step to the union of their audiences, so nobody a
// superseded step was for goes unwarned. Working-day steps fire only on the subject's working days (a
// sweep on a rest day records nothing; the next working day's catches up); hour steps fire at any
// hour, so within one sweep interval (15 minutes) of being due. The subject type's effects
// (notifications, timeline, outbox) then read the rows of this run, in the same batch, so a step and
// its effects commit together or not at all.
import { z } from "@hono/zod-openapi";
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { chinaDate, isWorkingToday, todayIndex, workdaysLate } from "../calendar/calendar.engine";
import type { Db } from "../db/client";
import type { Deps } from "../http/api";

/** Who a step notifies; each subject type resolves the codes it supports. */
export const AUDIENCES = {
  handler: { zh: "承办人(未分办时为收文登记员)", en: "Handler (the registrars while unassigned)" },
  department_head: { zh: "承办部门负责人", en: "Head of the handling department" },
  receiving_registrars: { zh: "收文单位办公室登记员", en: "Registrars of the receiving office" },
  recipient_leaders: { zh: "收文单位院领导", en: "Leaders of the receiving institution" },
  sender: { zh: "来文单位(发文人)", en: "The sender (who sent it)" },
  upper_level: { zh: "上一级院(跟进监督)", en: "The next level up (follow-up supervision)" },
  // Joint-meeting action items (src/meetings/action-items.ts).
  owner_department_head: {
    zh: "责任部门负责人(未指定部门或无负责人时为责任单位联络员)",
    en: "Head of the owner department (the owner's coordinators when there is none)",
  },
  owner_coordinators: { zh: "责任单位联席会议联络员", en: "The owner institution's coordinators" },
  owner_leaders: { zh: "责任单位院领导", en: "Leaders of the owner institution" },
  coordinators: { zh: "法检双方联席会议联络员", en: "Both institutions' coordinators" },
  leaders: { zh: "法检双方院领导", en: "Both institutions' leaders" },
  // Research milestones (src/research/milestones.ts).
  owner_members: {
    zh: "责任单位的课题组成员(无成员时为责任单位联络员)",
    en: "The owner institution's topic members (its coordinators when it has none)",
  },
  lead_coordinators: { zh: "课题牵头单位联络员", en: "The lead institution's coordinators" },
} as const;
export type Audience = keyof typeof AUDIENCES;
export const AUDIENCE_CODES = Object.keys(AUDIENCES) as [Audience, ...Audience[]];

/** The audience codes each subject type resolves (a ladder may name only these). */
export const SUBJECT_AUDIENCES: Record<string, readonly Audience[]> = {
  document: [
    "handler",
    "department_head",
    "receiving_registrars",
    "recipient_leaders",
    "sender",
    "upper_level",
  ],
  action_item: ["owner_department_head", "owner_coordinators", "owner_leaders", "coordinators", "leaders"],
  milestone: ["owner_members", "owner_coordinators", "owner_leaders", "lead_coordinators", "leaders"],
  // Referral notices (src/exchanges/referrals.ts): the owner is the recipient, until it acknowledges.
  referral: ["receiving_registrars", "owner_coordinators", "recipient_leaders", "sender"],
  // Periodic reports (src/exchanges/reports.ts): the owner is the reporting institution.
  report: ["owner_coordinators", "owner_leaders", "coordinators", "leaders"],
  // Petition-risk alerts (src/exchanges/risk-alerts.ts), in clock hours: the owner is the recipient,
  // until it acknowledges.
  risk_alert: ["owner_coordinators", "recipient_leaders", "leaders", "sender"],
};

export type LadderStep = { offset: number; audience: Audience[]; urgent: boolean };

/** How a subject type counts its deadline: working days on its calendar, or clock hours. */
export type LadderUnit = "workday" | "hour";

/** The subject types whose ladders count clock hours (every other counts working days). */
export const HOUR_SUBJECTS: readonly string[] = ["risk_alert"];
export const unitOf = (subjectType: string): LadderUnit =>
  HOUR_SUBJECTS.includes(subjectType) ? "hour" : "workday";

/** Bounds of a step's offset, in working days; the sweep relies on MIN_OFFSET for its horizon. */
export const MIN_OFFSET = -20;
export const MAX_OFFSET = 60;
/** Bounds of an hour step's offset (a day before the due instant, a week after it). */
export const MIN_HOUR_OFFSET = -24;
export const MAX_HOUR_OFFSET = 168;
export const OFFSET_BOUNDS: Record<LadderUnit, { min: number; max: number }> = {
  workday: { min: MIN_OFFSET, max: MAX_OFFSET },
  hour: { min: MIN_HOUR_OFFSET, max: MAX_HOUR_OFFSET },
};
/**
 * Due dates up to this many calendar days ahead can have a step due (20 working days < 45 days,
 * holidays included).
 */
const HORIZON_DAYS = 45;

/** The step's stable key in the ledger: T-7, T0, T+1 … in working days; H-1, H0, H+2 … in hours. */
const key = (p: string, offset: number) =>
  offset === 0 ? `${p}0` : offset < 0 ? `${p}${offset}` : `${p}+${offset}`;
export const stepKey = (offset: number) => key("T", offset);
export const hourStepKey = (offset: number) => key("H", offset);
export const stepKeyIn = (unit: LadderUnit) => (unit === "hour" ? hourStepKey : stepKey);
const stepKeySql = (off: SQL, unit: LadderUnit) => {
  const p = unit === "hour" ? "H" : "T";
  return sql`(case when ${off} = 0 then ${`${p}0`} when ${off} < 0 then ${p} || ${off}
    else ${`${p}+`} || ${off} end)`;
};

/** The built-in ladders, per subject type (README: "Deadlines, escalation and notifications"). */
export const DEFAULT_LADDERS: Record<string, LadderStep[]> = {
  document: [
    { offset: -7, audience: ["handler"], urgent: false },
    { offset: -3, audience: ["handler", "department_head"], urgent: false },
    { offset: 0, audience: ["handler", "department_head", "receiving_registrars"], urgent: true },
    { offset: 1, audience: ["handler", "department_head", "recipient_leaders", "sender"], urgent: true },
    { offset: 15, audience: ["upper_level", "recipient_leaders"], urgent: true },
  ],
  action_item: [
    { offset: -3, audience: ["owner_department_head"], urgent: false },
    { offset: 0, audience: ["owner_department_head", "owner_coordinators"], urgent: false },
    { offset: 1, audience: ["owner_department_head", "owner_leaders", "coordinators"], urgent: true },
    { offset: 10, audience: ["leaders", "coordinators"], urgent: true },
  ],
  milestone: [
    { offset: -5, audience: ["owner_members"], urgent: false },
    { offset: 0, audience: ["owner_members", "lead_coordinators"], urgent: false },
    { offset: 3, audience: ["owner_members", "leaders"], urgent: true },
  ],
  referral: [
    { offset: 0, audience: ["receiving_registrars"], urgent: false },
    { offset: 1, audience: ["receiving_registrars", "owner_coordinators"], urgent: true },
    { offset: 3, audience: ["owner_coordinators", "recipient_leaders", "sender"], urgent: true },
  ],
  report: [
    { offset: -3, audience: ["owner_coordinators"], urgent: false },
    { offset: 0, audience: ["owner_coordinators"], urgent: false },
    { offset: 1, audience: ["owner_coordinators", "owner_leaders"], urgent: true },
    { offset: 5, audience: ["owner_leaders", "coordinators"], urgent: true },
    { offset: 15, audience: ["leaders", "coordinators"], urgent: true },
  ],
  // Clock hours from the acknowledgement deadline (unit 'hour'); every step urgent.
  risk_alert: [
    { offset: -1, audience: ["owner_coordinators"], urgent: true },
    { offset: 0, audience: ["recipient_leaders", "owner_coordinators"], urgent: true },
    { offset: 2, audience: ["leaders", "sender", "owner_coordinators"], urgent: true },
  ],
};

/** A ladder step's schema with offsets within `min`…`max` (in the unit `offset` describes). */
const ladderStep = (min: number, max: number, offset: string, name: string) =>
  z
    .object({
      offset: z.number().int().min(min).max(max).openapi({ description: offset }),
      audience: z.array(z.enum(AUDIENCE_CODES)).min(1).max(AUDIENCE_CODES.length),
      urgent: z
        .boolean()
        .default(false)
        .openapi({ description: "Urgent steps' webhooks are delivered outside business hours too" }),
    })
    .openapi(name);

const ladderInput = <T extends z.ZodType<LadderStep, any, any>>(step: T, name: string) =>
  z
    .object({ steps: z.array(step).min(1).max(10) })
    .refine((l) => new Set(l.steps.map((s) => s.offset)).size === l.steps.length, {
      message: "each step needs its own offset",
      path: ["steps"],
    })
    .openapi(name);

export const LadderStepSchema = ladderStep(
  MIN_OFFSET,
  MAX_OFFSET,
  "Working days from the due date: negative before, 0 the due day, positive overdue",
  "LadderStep",
);
/** A working-day ladder (documents, owned tasks). */
export const LadderInput = ladderInput(LadderStepSchema, "LadderInput");

/**
 * A ladder of any unit, as the admin route takes it; `ladderErrors` then checks the offsets against
 * the subject type's unit.
 */
export const AnyUnitLadderInput = ladderInput(
  ladderStep(
    Math.min(MIN_OFFSET, MIN_HOUR_OFFSET),
    Math.max(MAX_OFFSET, MAX_HOUR_OFFSET),
    "From the deadline in the subject type's unit: working days from the due date " +
      `(${MIN_OFFSET}…${MAX_OFFSET}) for documents and owned tasks; clock hours from the due instant ` +
      `(${MIN_HOUR_OFFSET}…${MAX_HOUR_OFFSET}) for risk alerts. Negative before, 0 the deadline, ` +
      "positive overdue",
    "AnyUnitLadderStep",
  ),
  "AnyUnitLadderInput",
);

/**
 * What is wrong with a ladder for a subject type, as 400 field errors: an offset outside its unit's
 * bounds, an audience the subject type does not resolve.
 */
export function ladderErrors(subjectType: string, steps: LadderStep[]) {
  const unit = unitOf(subjectType);
  const { min, max } = OFFSET_BOUNDS[unit];
  const allowed = SUBJECT_AUDIENCES[subjectType] ?? [];
  const words = unit === "hour" ? "clock hours" : "working days";
  return steps.flatMap((s, i) => [
    ...(s.offset < min || s.offset > max
      ? [
          {
            in: "json",
            path: `steps.${i}.offset`,
            message: `a ${subjectType} counts ${words}: from ${min} to ${max}`,
            code: "offset_out_of_range",
          },
        ]
      : []),
    ...s.audience
      .filter((a) => !allowed.includes(a))
      .map((a) => ({
        in: "json",
        path: `steps.${i}.audience`,
        message: `${a} is not an audience of a ${subjectType}`,
      })),
  ]);
}

/** Sorted by severity (offset), audiences deduplicated. */
export const normalizeLadder = (steps: LadderStep[]): LadderStep[] =>
  [...steps].sort((a, b) => a.offset - b.offset).map((s) => ({ ...s, audience: [...new Set(s.audience)] }));

/** What a subject type contributes to the generic sweep. */
export type SubjectSource = {
  subjectType: string;
  /**
   * 'workday' (default): offsets are working days from `due_on` on the jurisdiction's calendar and
   * steps fire on working days only. 'hour' (the subject type must be in HOUR_SUBJECTS): offsets are
   * clock hours from the instant `due_at`, and steps fire at any hour of any day.
   */
  unit?: LadderUnit;
  /**
   * A SELECT of the open subjects with a deadline: columns `id`, `jurisdiction_id`, `kind` (to pick
   * the ladder), `due_on` (a date; an hour source gives `due_at`, an ISO instant as toISOString
   * writes it), `version` (the deadline version). `horizon` (a date; an instant for an hour
   * source): no subject due after it can have a step due; use it to filter with an index.
   */
  open: (horizon: string) => SQL;
  /** The effects of the ledger rows `escalation_steps` with `run_id = runId` and status 'sent'. */
  effects: (db: Db, ctx: { runId: string; now: string }) => BatchItem<"sqlite">[];
};

/**
 * The moment an hour step is due, as an ISO instant (`due` + `off` hours, millisecond-exact in
 * SQLite's date arithmetic), comparable as text with `toISOString()` instants.
 */
export const hourStepAt = (due: SQL, off: SQL) =>
  sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${due}, ${off} || ' hours')`;

/** The subject's own ladder (its kind's, else '*'), or null for the default: `s_` is the subject. */
const ladderOf = (st: string) => sql`coalesce(
    (select l_.id from escalation_ladders l_
      where l_.jurisdiction_id = s_.jurisdiction_id and l_.subject_type = ${st} and l_.kind = s_.kind),
    (select l_.id from escalation_ladders l_
      where l_.jurisdiction_id = s_.jurisdiction_id and l_.subject_type = ${st} and l_.kind = '*'))`;

/**
 * The open subjects `o_` (id, jurisdiction_id, kind, due_on, version, ladder_id) and the rule `due`
 * saying when a step `steps_.off` of subject `o_` is due, per unit.
 */
function openSubjects(source: SubjectSource, now: Date) {
  const st = source.subjectType;
  if ((source.unit ?? "workday") === "hour") {
    // No subject due more than -MIN_HOUR_OFFSET hours from now can have a step due.
    const horizon = new Date(now.getTime() - MIN_HOUR_OFFSET * 3600_000).toISOString();
    return {
      ctes: sql`o_ as (
        select s_.id, s_.jurisdiction_id, s_.kind, s_.due_at as due_on, s_.version, ${ladderOf(st)} as ladder_id
        from (${source.open(horizon)}) s_)`,
      // Clock hours: due once now ≥ due + offset hours, at any hour of any day.
      due: sql`${hourStepAt(sql`o_.due_on`, sql`steps_.off`)} <= ${now.toISOString()}`,
    };
  }
  const horizon = new Date(now.getTime() + 8 * 3600_000 + HORIZON_DAYS * 86_400_000)
    .toISOString()
    .slice(0, 10);
  return {
    ctes: sql`t_ as (${todayIndex(chinaDate(now))}),
    o_ as (
      select s_.id, s_.jurisdiction_id, s_.kind, s_.due_on, s_.version,
        ${workdaysLate("t_", "c_", sql`j_.count_makeup_workdays`)} as late, ${ladderOf(st)} as ladder_id
      from (${source.open(horizon)}) s_
      join jurisdictions j_ on j_.id = s_.jurisdiction_id
      join calendar_days c_ on c_.day = s_.due_on
      cross join t_
      -- Nothing fires on the jurisdiction's rest days: a catch-up waits for its next working day.
      where ${isWorkingToday("t_", sql`j_.count_makeup_workdays`)})`,
    // Working days: due once the subject is `off` working days late (or less early).
    due: sql`steps_.off <= o_.late`,
  };
}

/**
 * The INSERT … SELECT of one chunk of the ledger: for up to `chunk` subjects with a new step due,
 * every new due step, the most severe `sent` and the others `superseded`. Set-based over all subjects.
 */
export function ledgerInsert(db: Db, source: SubjectSource, o: { runId: string; now: Date; chunk: number }) {
  const st = source.subjectType;
  const unit = source.unit ?? "workday";
  const defaults = JSON.stringify(DEFAULT_LADDERS[st] ?? []);
  const open = openSubjects(source, o.now);
  return db.run(sql`
    with ${open.ctes},
    steps_ as (
      select l_.id as ladder_id, js_.value ->> 'offset' as off, js_.value -> 'audience' as aud,
          coalesce(js_.value ->> 'urgent', 0) as urg
        from escalation_ladders l_, json_each(l_.steps) js_ where l_.subject_type = ${st}
      union all
      select null, js_.value ->> 'offset', js_.value -> 'audience', coalesce(js_.value ->> 'urgent', 0)
        from json_each(${defaults}) js_),
    due_ as (
      select o_.*, steps_.off, steps_.aud, steps_.urg, ${stepKeySql(sql`steps_.off`, unit)} as step
      from o_ join steps_ on steps_.ladder_id is o_.ladder_id
      where ${open.due}),
    top_ as (select id, max(off) as top from due_ group by id),
    fresh_ as (
      select due_.* from due_ where not exists (select 1 from escalation_steps x_
        where x_.subject_type = ${st} and x_.subject_id = due_.id and x_.deadline_version = due_.version
          and x_.step = due_.step)),
    chunk_ as (select distinct id from fresh_ order by id limit ${o.chunk})
    insert into escalation_steps (id, jurisdiction_id, subject_type, subject_id, deadline_version, step,
      "offset", due_on, status, audience, urgent, run_id, created_at)
    select ${o.runId} || '.' || f_.id || '.v' || f_.version || '.' || f_.step, f_.jurisdiction_id, ${st},
      f_.id, f_.version, f_.step, f_.off, f_.due_on,
      case when f_.off = top_.top then 'sent' else 'superseded' end, f_.aud, f_.urg,
      ${o.runId}, ${o.now.toISOString()}
    from fresh_ f_ join top_ on top_.id = f_.id
    where f_.id in (select id from chunk_)
    on conflict do nothing`);
}

export const SWEEP_CHUNK = 5000;

/**
 * One sweep of a subject type: chunks of at most `chunk` subjects, each one batch (ledger + effects),
 * until a chunk comes back short. Round trips: ⌈subjects with a new step / chunk⌉ + 1 at most.
 */
export async function sweepLadder(deps: Deps, source: SubjectSource, now: Date, chunk = SWEEP_CHUNK) {
  const counts = { sent: 0, superseded: 0, subjects: 0, batches: 0 };
  for (;;) {
    const runId = deps.ids();
    const ctx = { runId, now: now.toISOString() };
    const stmts = [
      ledgerInsert(deps.db, source, { runId, now, chunk }),
      ...source.effects(deps.db, ctx),
      deps.db.all<{
        sent: number;
        superseded: number;
        subjects: number;
      }>(sql`select coalesce(sum(status = 'sent'), 0) as sent,
        coalesce(sum(status = 'superseded'), 0) as superseded, count(distinct subject_id) as subjects
        from escalation_steps where run_id = ${runId}`),
    ];
    const results = (await deps.db.batch(stmts as never)) as unknown[];
    counts.batches++;
    const [c] = results.at(-1) as { sent: number; superseded: number; subjects: number }[];
    counts.sent += c!.sent;
    counts.superseded += c!.superseded;
    counts.subjects += c!.subjects;
    if (c!.subjects < chunk) return counts;
  }
}
