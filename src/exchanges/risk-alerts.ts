// Petition-risk alerts (访情舆情, S3.3.4): either institution raises an alert on a supervision case
// with a serious petition risk or a mass or sensitive dimension; the other acknowledges within clock
// hours (the escalation ladder in unit 'hour': nights, weekends and holidays do not stop the clock);
// then both sides record their own risk assessment (the joint assessment), may agree a contingency
// plan co-signed by both institutions' leaders (src/cosign, subject 'contingency_plan'), and close it.
// Creation, the guarded change, the list and the pieces of the detail read are the exchanges core's
// (src/exchanges/exchanges.ts); this file holds the kind's rules, its ladder and its co-sign hooks.
//
// The alert's process state lives in `outcome` (JSON): acknowledgedAt/By; plan { status, version,
// contentHash, cosignId, updatedAt/By, inForceAt }; closure { resolution, at, by }. Who acted is
// named by the row's `names` (the core resolves every `…By`/`by` of the outcome in the row's own
// SQL), so a list or a PUT answer names them without another read. The plan text is
// the `plan` column. The co-signature rounds are authoritative for the plan's lock (every guard reads
// cosignOpen / cosignSigned); `plan.status` mirrors them, written in the same batches, so a refusal
// can be explained from the row.
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import {
  type CosignHooks,
  cosignJson,
  cosignOpen,
  cosignSigned,
  openCosign,
  withdrawCosign,
} from "../cosign/cosign";
import type { Db } from "../db/client";
import { exchanges } from "../db/schema";
import type { SubjectSource } from "../escalation/ladder";
import { escalatedEvents, ownLadder, stepRun, subjectSteps } from "../escalation/owned-task";
import { getSubjectTimeline, outboxFromSubjectEvents, recordEvent } from "../events/events";
import { type Deps, sha256 } from "../http/api";
import { ApiError, conflict } from "../http/problem";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { type Role, type RISK_DIMENSIONS, RISK_LEVELS, vocabulary } from "../vocab";
import {
  actOnExchange,
  createExchange,
  type ExchangeRow,
  exchangeNotesOf,
  exchangeRows,
  getExchange,
  notifyExchange,
} from "./exchanges";

const ST = "risk_alert";

export type RiskLevel = (typeof RISK_LEVELS.codes)[number];
export type RiskDimension = (typeof RISK_DIMENSIONS.codes)[number];

/** Hours the recipient has to acknowledge, by risk level, when the sender gives none (1–72). */
export const ACK_HOURS: Record<RiskLevel, number> = { high: 2, medium: 4, low: 12 };
export const MIN_ACK_HOURS = 1;
export const MAX_ACK_HOURS = 72;

/**
 * Who raises, acknowledges, assesses, drafts the plan and closes, on either side: the people who
 * handle the case and those who answer for it (handlers, department heads, leaders, coordinators).
 * Registrars only register, auditors only read, administrators manage accounts. Only leaders sign
 * the plan (the co-signature's parties: both institutions' `leader`).
 */
export const RISK_ALERT_ROLES: Role[] = ["handler", "department_head", "leader", "coordinator"];

/** Who is told at once (urgently) of an alert raised: the recipient's leaders and coordinators. */
const ALERTED_ROLES: Role[] = ["leader", "coordinator"];

/** Where the contingency plan stands. */
export const PLAN_STATUSES = vocabulary({
  draft: { zh: "预案起草中", en: "Draft" },
  under_signature: { zh: "双方院领导会签中", en: "Being signed by both leaders" },
  in_force: { zh: "已会签生效", en: "Signed by both; in force" },
  withdrawn: { zh: "预警办结,会签撤回", en: "Signature withdrawn (alert closed)" },
});
export type PlanStatus = (typeof PLAN_STATUSES.codes)[number];

export type RiskAlertBody = {
  dimensions: RiskDimension[];
  parties: { name: string; role: string }[];
  known: string;
  publicOpinion: string;
  ackHours: number;
};
export type RiskAlertOutcome = {
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  plan?: {
    status: PlanStatus;
    version: number;
    contentHash: string;
    cosignId?: string | null;
    updatedAt: string;
    updatedBy: string;
    inForceAt?: string;
  };
  closure?: { resolution: string; at: string; by: string };
};

export type NewRiskAlert = {
  title?: string;
  documentId?: string | null;
  caseNumbers?: string[];
  level: RiskLevel;
  dimensions: RiskDimension[];
  parties: { name: string; role: string }[];
  known: string;
  publicOpinion: string;
  ackHours?: number;
};

/** The title an alert gets when none is given: 关于(2026)…号等案件的访情舆情预警. */
export const alertTitle = (a: Pick<NewRiskAlert, "caseNumbers">) => {
  const cn = a.caseNumbers ?? [];
  return cn.length
    ? `关于${cn[0]}${cn.length > 1 ? "等" : ""}案件的访情舆情预警`
    : "关于监督案件的访情舆情预警";
};

/** An instant in China time for a sentence: 2026-10-01 02:30. */
const chinaTime = (at: SQL) => sql`strftime('%Y-%m-%d %H:%M', ${at}, '+8 hours')`;
const orgName = (col: string) => sql.raw(`(select o_.name from organizations o_ where o_.id = x.${col})`);

/**
 * raise: the alert from the caller's institution to its counterpart, due for acknowledgement
 * `ackHours` clock hours from now (ACK_HOURS by level when not given). In the same batch, only when
 * this request created it: the recipient's leaders and coordinators are told at once, urgently, and
 * the 'created' webhook is urgent (delivered outside business hours).
 */
export async function raiseRiskAlert(deps: Deps, scope: Scope, key: string, input: NewRiskAlert) {
  const ackHours = input.ackHours ?? ACK_HOURS[input.level];
  const dueAt = new Date(deps.clock.now().getTime() + ackHours * 3600_000).toISOString();
  const body: RiskAlertBody = {
    dimensions: input.dimensions,
    parties: input.parties,
    known: input.known,
    publicOpinion: input.publicOpinion,
    ackHours,
  };
  return createExchange(deps, scope, {
    kind: ST,
    key,
    input,
    roles: RISK_ALERT_ROLES,
    values: {
      subkind: input.level,
      status: "raised",
      title: input.title ?? alertTitle(input),
      caseNumbers: input.caseNumbers ?? [],
      documentId: input.documentId ?? null,
      body,
      dueAt,
      data: { level: input.level, dimensions: body.dimensions, ackHours, dueAt },
      urgent: true,
    },
    effects: (created, { id, eventId, now }) => [
      notifyExchange(scope, {
        id: eventId,
        exchangeId: id,
        applied: created,
        side: "recipient",
        roles: ALERTED_ROLES,
        kind: "risk_alert.raised",
        zh: sql`${orgName("sender_org_id")} || '发来访情舆情预警《' || x.title || '》(' ||
          ${RISK_LEVELS.label(input.level).zh} || '),请于' || ${chinaTime(sql`x.due_at`)} ||
          '(北京时间)前签收。'`,
        en: sql`${orgName("sender_org_id")} || ' raised a petition-risk alert "' || x.title || '" (' ||
          ${RISK_LEVELS.label(input.level).en.toLowerCase()} || ' risk): acknowledge it by ' ||
          ${chinaTime(sql`x.due_at`)} || ' (China time).'`,
        dedupe: `risk_alert.raised:${id}`,
        urgent: true,
        now,
      }),
    ],
  });
}

/** Notices to the other side of the caller's institution (its `roles`, and the alert's creator). */
function notifyOtherSide(
  scope: Scope,
  applied: SQL,
  o: { id: string; eventId: string; now: string; kind: string; zh: SQL; en: SQL; roles: Role[] },
) {
  const me = scope.me.orgId;
  return (["sender", "recipient"] as const).map((side) =>
    notifyExchange(scope, {
      id: o.eventId,
      exchangeId: o.id,
      // The caller is on the other side.
      applied: sql`${applied} and x.${sql.raw(side === "sender" ? "recipient" : "sender")}_org_id = ${me}`,
      side,
      roles: o.roles,
      creator: side === "sender",
      kind: o.kind,
      zh: o.zh,
      en: o.en,
      dedupe: `${o.kind}:${o.eventId}`,
      now: o.now,
    }),
  );
}

/** acknowledge: raised → acknowledged, by the recipient; the ladder stops (it sweeps 'raised' only). */
export function acknowledgeRiskAlert(deps: Deps, scope: Scope, id: string, note: string | null) {
  const now = deps.clock.now().toISOString();
  return actOnExchange(deps, scope, ST, id, {
    event: "acknowledged",
    party: "recipient",
    roles: RISK_ALERT_ROLES,
    from: ["raised"],
    to: "acknowledged",
    note,
    set: sql`outcome = json_set(coalesce(outcome, '{}'), '$.acknowledgedAt', ${now},
      '$.acknowledgedBy', ${scope.me.userId})`,
    effects: (applied, { eventId }) => [
      notifyExchange(scope, {
        id: eventId,
        exchangeId: id,
        applied,
        side: "sender",
        roles: ["coordinator"],
        creator: true,
        kind: "risk_alert.acknowledged",
        zh: sql`${orgName("recipient_org_id")} || '已签收访情舆情预警《' || x.title || '》。'`,
        en: sql`${orgName("recipient_org_id")} || ' acknowledged the petition-risk alert "' || x.title || '".'`,
        dedupe: `risk_alert.acknowledged:${id}`,
        now,
      }),
    ],
  });
}

export type AssessmentInput = { level: RiskLevel; assessment: string; measures: string };

const assessedBy = (orgId: SQL) => sql`exists (select 1 from exchange_notes na_
  where na_.exchange_id = x_.id and na_.org_id = ${orgId} and na_.kind = 'assessment')`;

/**
 * assess: the caller's side's risk assessment (one per side: exchange_notes kind 'assessment', unique
 * per alert and institution). The sender may assess while the alert is raised or acknowledged, the
 * recipient once it has acknowledged; a second one from the same side is 409 `already_assessed`.
 * The other side's coordinators (and the alert's creator) are told.
 */
export function assessRiskAlert(deps: Deps, scope: Scope, id: string, a: AssessmentInput) {
  const me = scope.me.orgId;
  const noteId = deps.ids();
  return actOnExchange(deps, scope, ST, id, {
    event: "assessed",
    party: "either",
    roles: RISK_ALERT_ROLES,
    from: ["raised", "acknowledged"],
    when: sql`(x_.sender_org_id = ${me} or x_.status = 'acknowledged') and not ${assessedBy(me)}`,
    data: sql`json_object('level', ${a.level}, 'orgId', ${me})`,
    refuse: (row, p) =>
      p.orgId === row.recipient.id && row.status === "raised"
        ? conflict("not_acknowledged", "Acknowledge the alert first; then record your assessment.")
        : conflict("already_assessed", "Your institution has already recorded its assessment of this alert."),
    effects: (applied, { eventId, now }) => [
      // The assessment: only with the change (the unique index backs one per side).
      scope.db.run(sql`insert into exchange_notes (id, exchange_id, jurisdiction_id, org_id, author_id,
          kind, body, data, created_at)
        select ${noteId}, x.id, x.jurisdiction_id, ${me}, ${scope.me.userId}, 'assessment',
          ${a.assessment}, ${JSON.stringify({ level: a.level, measures: a.measures })}, ${now}
        from exchanges x where x.id = ${id} and ${applied}
        on conflict do nothing`),
      ...notifyOtherSide(scope, applied, {
        id,
        eventId,
        now,
        kind: "risk_alert.assessed",
        roles: ["coordinator"],
        zh: sql`(select o_.name from organizations o_ where o_.id = ${me}) || '提交了对访情舆情预警《' ||
          x.title || '》的风险评估(' || ${RISK_LEVELS.label(a.level).zh} || ')。'`,
        en: sql`(select o_.name from organizations o_ where o_.id = ${me}) ||
          ' recorded its risk assessment of the alert "' || x.title || '" (' ||
          ${RISK_LEVELS.label(a.level).en.toLowerCase()} || ' risk).'`,
      }),
    ],
  });
}

/** SQL true while the plan may change: no open and no signed round over it. */
const planFree = (id: SQL | string) =>
  sql`not ${cosignOpen("contingency_plan", id)} and not ${cosignSigned("contingency_plan", id)}`;

/** The refusal of a plan change by the plan's own state (its round open, or signed). */
function planRefusal(row: ExchangeRow): ApiError | undefined {
  const plan = (row.outcome as RiskAlertOutcome | null)?.plan;
  if (plan?.status === "in_force")
    return conflict(
      "plan_locked",
      "The contingency plan is signed by both leaders and in force; it cannot change.",
    );
  if (plan?.status === "under_signature")
    return conflict(
      "cosign_open",
      "The contingency plan is being signed; wait for the outcome (a refusal reopens it for editing).",
    );
  return undefined;
}

/** Thrown by the plan's guard when the text is the one already stored (answered as a no-op). */
class PlanUnchanged extends ApiError {
  constructor(
    readonly row: ExchangeRow,
    readonly orgId: string,
  ) {
    super(409, "plan_unchanged", "The plan is unchanged.");
  }
}

/** The 409 of an edit made on a version that is no longer the plan's (someone saved one since). */
function planChanged(row: ExchangeRow, baseVersion: number): ApiError {
  const plan = (row.outcome as RiskAlertOutcome | null)?.plan;
  return new ApiError(
    409,
    "plan_changed",
    `The plan is at version ${plan?.version ?? 0} now, not ${baseVersion}: reload it, merge your edit and ` +
      "send it with the current version.",
    {
      currentVersion: plan?.version ?? 0,
      updatedAt: plan?.updatedAt ?? null,
      updatedBy: plan?.updatedBy ?? null,
    },
  );
}

/**
 * savePlan: a new version of the contingency plan's text, by either side, once the alert is
 * acknowledged and while no round over the plan is open or signed (409 `cosign_open`, `plan_locked`).
 * Optimistic concurrency: the edit names the version it was made on (`baseVersion`, 0 for the first
 * draft) and applies only while that is still the plan's version — a stale one is 409 `plan_changed`
 * with the current version, and nothing is written (two people editing at once: the second is told).
 * Its content hash (sha-256 of the text) is what the leaders will sign. The same text again is a
 * no-op whatever its base (a retried PUT makes no version; the answer is the alert as it stands).
 * The other side's coordinators are told who changed it.
 */
export async function savePlan(deps: Deps, scope: Scope, id: string, text: string, baseVersion: number) {
  const now = deps.clock.now().toISOString();
  const hash = await sha256(text);
  const version = sql`coalesce(json_extract(outcome, '$.plan.version'), 0) + 1`;
  const me = scope.me;
  const editor = sql`(select u_.name from users u_ where u_.id = ${me.userId}) || '(' ||
    (select o_.name from organizations o_ where o_.id = ${me.orgId}) || ')'`;
  try {
    const r = await actOnExchange(deps, scope, ST, id, {
      event: "plan_drafted",
      party: "either",
      roles: RISK_ALERT_ROLES,
      from: ["acknowledged"],
      when: sql`${planFree(sql`x_.id`)} and x_.plan is not ${text}
        and coalesce(json_extract(x_.outcome, '$.plan.version'), 0) = ${baseVersion}`,
      data: sql`json_object('version', (select ${version} from exchanges where id = ${id}),
        'contentHash', ${hash})`,
      set: sql`plan = ${text}, outcome = json_set(coalesce(outcome, '{}'), '$.plan', json_object(
        'status', 'draft', 'version', ${version}, 'contentHash', ${hash}, 'cosignId', null,
        'updatedAt', ${now}, 'updatedBy', ${scope.me.userId}))`,
      refuse: (row, p) =>
        planRefusal(row) ??
        (row.plan === text ? new PlanUnchanged(row, p.orgId) : planChanged(row, baseVersion)),
      effects: (applied, { eventId }) =>
        notifyOtherSide(scope, applied, {
          id,
          eventId,
          now,
          kind: "risk_alert.plan_drafted",
          roles: ["coordinator"],
          zh: sql`${editor} || '修改了访情舆情预警《' || x.title || '》的应急预案(第' ||
            json_extract(x.outcome, '$.plan.version') || '版),请查阅。'`,
          en: sql`${editor} || ' edited the contingency plan of the alert "' || x.title || '" (version ' ||
            json_extract(x.outcome, '$.plan.version') || '); please read it.'`,
        }),
    });
    return { row: r.row, orgId: r.principal.orgId };
  } catch (e) {
    if (e instanceof PlanUnchanged) return { row: e.row, orgId: e.orgId };
    throw e;
  }
}

/**
 * submitPlan: opens a co-signature round over the plan (subject 'contingency_plan', id = the alert's)
 * whose parties are both institutions' leaders, with the plan's content hash, in the same batch as
 * the alert's 'cosign_opened' entry. Only once acknowledged, with a plan, and no round open or
 * signed (409 `no_plan`, `cosign_open`, `plan_locked`). A refusal reopens the plan for editing; a
 * new submission opens the next round.
 */
export function submitPlan(deps: Deps, scope: Scope, id: string) {
  const now = deps.clock.now().toISOString();
  const roundId = deps.ids();
  const alert = (col: string) =>
    sql`(select ${sql.raw(`xs_.${col}`)} from exchanges xs_ where xs_.id = ${id})`;
  return actOnExchange(deps, scope, ST, id, {
    event: "cosign_opened",
    party: "either",
    roles: RISK_ALERT_ROLES,
    from: ["acknowledged"],
    when: sql`x_.plan is not null and ${planFree(sql`x_.id`)}`,
    data: sql`json_object('cosignId', ${roundId}, 'version', json_extract(${alert("outcome")}, '$.plan.version'))`,
    set: sql`outcome = json_set(outcome, '$.plan.status', 'under_signature', '$.plan.cosignId', ${roundId})`,
    refuse: (row) =>
      planRefusal(row) ??
      (row.plan === null
        ? conflict("no_plan", "There is no contingency plan to submit yet; draft it first.")
        : undefined),
    effects: (applied) =>
      openCosign(scope.db, {
        id: roundId,
        jurisdictionId: alert("jurisdiction_id"),
        subjectType: "contingency_plan",
        subjectId: id,
        title: sql`'访情舆情应急预案:' || ${alert("title")}`,
        contentHash: sql`json_extract(${alert("outcome")}, '$.plan.contentHash')`,
        parties: [
          { orgId: alert("sender_org_id"), role: "leader" },
          { orgId: alert("recipient_org_id"), role: "leader" },
        ],
        actorId: scope.me.userId,
        now,
        when: applied,
      }),
  });
}

/**
 * close: acknowledged → closed with the resolution, by either side. An open round over the plan is
 * withdrawn in the same batch (withdrawCosign: the signers are told; a signature after it is 409
 * `round_closed`); the plan's status says so. The other side's coordinators are told.
 */
export function closeRiskAlert(deps: Deps, scope: Scope, id: string, resolution: string) {
  const now = deps.clock.now().toISOString();
  return actOnExchange(deps, scope, ST, id, {
    event: "closed",
    party: "either",
    roles: RISK_ALERT_ROLES,
    from: ["acknowledged"],
    to: "closed",
    note: resolution,
    set: sql`outcome = json_set(coalesce(outcome, '{}'),
      '$.closure', json_object('resolution', ${resolution}, 'at', ${now}, 'by', ${scope.me.userId}),
      '$.plan.status', case json_extract(outcome, '$.plan.status') when 'under_signature'
        then 'withdrawn' else json_extract(outcome, '$.plan.status') end)`,
    effects: (applied, { eventId }) => [
      ...withdrawCosign(scope.db, {
        subjectType: "contingency_plan",
        subjectId: id,
        when: applied,
        actorId: scope.me.userId,
        now,
        ids: deps.ids,
      }),
      ...notifyOtherSide(scope, applied, {
        id,
        eventId,
        now,
        kind: "risk_alert.closed",
        roles: ["coordinator", "leader"],
        zh: sql`'访情舆情预警《' || x.title || '》已办结:' || ${resolution}`,
        en: sql`'The petition-risk alert "' || x.title || '" was closed: ' || ${resolution}`,
      }),
    ],
  });
}

// ── The detail read ───────────────────────────────────────────────────────────────────────────

/**
 * The alert with everything its detail shows, in ONE batch of the core's reads (row, timeline,
 * notes, ladder steps, the ladder in force) plus the plan's latest round.
 */
export async function readRiskAlert(scope: Scope, id: string) {
  const { principal, results } = await scope.run(
    [
      getExchange(scope, ST, id),
      getSubjectTimeline(scope, ST, id),
      exchangeNotesOf(scope, id),
      subjectSteps(scope, ST, id),
      ownLadder(scope, ST, exchanges, id),
      scope.db.all<{ j: string | null }>(sql`select ${cosignJson("contingency_plan", id, scope)} as j
        from exchanges x_ where x_.id = ${id} and x_.kind = ${ST} and ${scope.visible(exchanges, "x_")}`),
    ] as const,
    ([r]) => r[0],
  );
  const [rows, timeline, notes, steps, ladder, round] = results;
  return {
    row: exchangeRows(rows)[0]!,
    timeline,
    notes,
    steps,
    ownLadder: ladder[0]?.steps,
    cosign: round[0]?.j ?? null,
    principal,
  };
}

// ── The ladder (clock hours) ──────────────────────────────────────────────────────────────────

const { sentIn, has } = stepRun(ST);
const subject = sql`join exchanges ra on ra.id = e.subject_id`;

/**
 * (sid, uid, voice) for the audiences of the run's sent steps: `owner_coordinators` and
 * `recipient_leaders` the recipient's (voice 'owner'), `leaders` both institutions' (by side),
 * `sender` the person who raised it ('other').
 */
function recipients(runId: string) {
  const run = sentIn(runId);
  const sent = sql`escalation_steps e ${subject}`;
  return sql`
    select e.id as sid, r_.user_id as uid,
      case when r_.org_id = ra.recipient_org_id then 'owner' else 'other' end as voice
    from ${sent} join role_assignments r_ on r_.org_id in (ra.recipient_org_id, ra.sender_org_id)
    where ${run} and (
      (r_.org_id = ra.recipient_org_id and r_.role = 'coordinator' and ${has("owner_coordinators")})
      or (r_.org_id = ra.recipient_org_id and r_.role = 'leader' and ${has("recipient_leaders")})
      or (r_.role = 'leader' and ${has("leaders")}))
    union all
    select e.id, ra.created_by, 'other' from ${sent}
    where ${run} and ${has("sender")} and ra.created_by is not null`;
}

// Texts (x = recipient row, e = the step, ra = the alert, m = whole minutes from the due instant to
// now: negative before it). The deadline is said in China time, the hours as a person counts them.
const noticeTexts = (now: string) => {
  const m = sql`cast(round((julianday(${now}) - julianday(ra.due_at)) * 1440) as integer)`;
  const left = sql`((-${m} + 59) / 60)`;
  const over = sql`(${m} / 60)`;
  const due = chinaTime(sql`ra.due_at`);
  const NOUN_ZH = sql`'访情舆情预警《' || ra.title || '》'`;
  const NOUN_EN = sql`'the petition-risk alert "' || ra.title || '"'`;
  const recipient = sql`(select o_.name from organizations o_ where o_.id = ra.recipient_org_id)`;
  const zh = sql`case
    when x.voice = 'other' and ${m} >= 0
      then '发给' || ${recipient} || '的' || ${NOUN_ZH} || '签收时限已于' || ${due} ||
        '(北京时间)届满,已超过' || ${over} || '小时,对方仍未签收。'
    when x.voice = 'other'
      then '发给' || ${recipient} || '的' || ${NOUN_ZH} || '须于' || ${due} || '(北京时间)前签收,对方尚未签收。'
    when ${m} < 0
      then ${NOUN_ZH} || '须于' || ${due} || '(北京时间)前签收,还剩约' || ${left} || '小时,请立即签收。'
    when ${m} < 60
      then ${NOUN_ZH} || '签收时限(' || ${due} || ',北京时间)已到,请立即签收。'
    else ${NOUN_ZH} || '签收时限已于' || ${due} || '(北京时间)届满,已超过' || ${over} ||
      '小时仍未签收,请立即签收并组织研判。' end`;
  const en = sql`case
    when x.voice = 'other' and ${m} >= 0
      then 'Sent to ' || ${recipient} || ', ' || ${NOUN_EN} || ' was to be acknowledged by ' || ${due} ||
        ' (China time): ' || ${over} || ' hour(s) past, still not acknowledged.'
    when x.voice = 'other'
      then 'Sent to ' || ${recipient} || ', ' || ${NOUN_EN} || ' must be acknowledged by ' || ${due} ||
        ' (China time) and is not yet.'
    when ${m} < 0
      then 'Acknowledge ' || ${NOUN_EN} || ' by ' || ${due} || ' (China time): about ' || ${left} ||
        ' hour(s) left.'
    when ${m} < 60
      then 'Acknowledge ' || ${NOUN_EN} || ' now: its deadline (' || ${due} || ', China time) has come.'
    else 'Acknowledge ' || ${NOUN_EN} || ' now: its deadline (' || ${due} || ', China time) passed ' ||
      ${over} || ' hour(s) ago.' end`;
  const kind = sql`case when ${m} < 0 then 'risk_alert.reminder' when ${m} < 60 then 'risk_alert.due'
    else 'risk_alert.overdue' end`;
  return { zh, en, kind };
};

/**
 * The ladder of alerts not yet acknowledged, in clock hours from `due_at`: open while the alert is
 * 'raised' (an acknowledgement stops it). Steps fire at any hour of any day, within one sweep (15
 * minutes) of being due; its notices say the deadline in China time and the hours left or past.
 */
export const riskAlertLadder: SubjectSource = {
  subjectType: ST,
  unit: "hour",
  // exchanges_open_ix (kind, status, …) finds the raised alerts; there are few at any time.
  open: (horizon) =>
    sql`select xo_.id, xo_.jurisdiction_id, 'risk_alert' as kind, xo_.due_at, xo_.deadline_version as version
      from exchanges xo_
      where xo_.kind = 'risk_alert' and xo_.status = 'raised' and xo_.due_at <= ${horizon}`,
  effects: (db: Db, { runId, now }) => {
    const t = noticeTexts(now);
    return [
      // One notice per person per step (dedupe: the step's natural key plus the user), urgent as the step.
      db.run(sql`${INSERT_NOTIFICATIONS}
        select e.id || '.' || u.id, u.jurisdiction_id, u.id, ${t.kind}, ${ST}, e.subject_id,
          ${t.zh}, ${t.en}, e.urgent,
          ${`esc:${ST}:`} || e.subject_id || ':v' || e.deadline_version || ':' || e.step || ':' || u.id, ${now}
        from (${recipients(runId)}) x
        join escalation_steps e on e.id = x.sid ${subject}
        join users u on u.id = x.uid and u.active = 1
        where 1
        on conflict do nothing`),
      ...escalatedEvents(db, ST, subject, { runId, now }),
    ];
  },
};

// ── Co-signature hooks of the contingency plan ────────────────────────────────────────────────

/** A timeline entry (and webhook) on the round's alert, written only when `when` holds. */
function alertEvent(
  db: Db,
  id: string,
  subjectId: SQL,
  actorId: SQL,
  now: string,
  type: "approved" | "rejected",
  when: SQL,
) {
  return [
    recordEvent(db, {
      id,
      jurisdictionId: sql`(select xj_.jurisdiction_id from exchanges xj_ where xj_.id = ${subjectId})`,
      subjectType: ST,
      subjectId,
      actorId,
      type,
      data: sql`json_object('cosignId', (select xr_.id from cosignatures xr_
        where xr_.subject_type = 'contingency_plan' and xr_.subject_id = ${subjectId}
        order by xr_.round desc limit 1))`,
      note:
        type === "rejected"
          ? sql`(select cp_.reason from cosign_parties cp_ join cosignatures cr_ on cr_.id = cp_.cosign_id
              where cr_.subject_type = 'contingency_plan' and cr_.subject_id = ${subjectId}
                and cp_.decision = 'refused' order by cr_.round desc limit 1)`
          : null,
      at: now,
      when,
    }),
    outboxFromSubjectEvents(db, sql`ev.id = ${id}`),
  ];
}

/**
 * What a round over a contingency plan does when it ends: signed → the plan is in force (timeline
 * 'approved'); refused → the plan is a draft again, editable (timeline 'rejected', with the reason).
 * Every statement is guarded by `ctx.done` (this request ended a round of this type) and the alert
 * being acknowledged (a closed alert's round was withdrawn: no hook runs for it).
 */
export const contingencyPlanHooks: CosignHooks = {
  onSigned: (db, ctx) => {
    const eventId = ctx.ids();
    const when = sql`${ctx.done} and exists (select 1 from exchanges xh_ where xh_.id = ${ctx.subjectId}
      and xh_.kind = ${ST} and xh_.status = 'acknowledged')`;
    return [
      ...alertEvent(db, eventId, ctx.subjectId, ctx.actorId, ctx.now, "approved", when),
      db.run(sql`update exchanges set updated_at = ${ctx.now},
          outcome = json_set(outcome, '$.plan.status', 'in_force', '$.plan.inForceAt', ${ctx.now})
        where id = ${ctx.subjectId} and exists (select 1 from subject_events ew_ where ew_.id = ${eventId})`),
    ];
  },
  onRefused: (db, ctx) => {
    const eventId = ctx.ids();
    const when = sql`${ctx.done} and exists (select 1 from exchanges xh_ where xh_.id = ${ctx.subjectId}
      and xh_.kind = ${ST} and xh_.status = 'acknowledged')`;
    return [
      ...alertEvent(db, eventId, ctx.subjectId, ctx.actorId, ctx.now, "rejected", when),
      db.run(sql`update exchanges set updated_at = ${ctx.now},
          outcome = json_set(outcome, '$.plan.status', 'draft', '$.plan.cosignId', null)
        where id = ${ctx.subjectId} and exists (select 1 from subject_events ew_ where ew_.id = ${eventId})`),
    ];
  },
};
