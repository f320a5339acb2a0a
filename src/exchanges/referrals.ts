// Referral notices (线索通报, S3.1.5): the kind's rules and its escalation ladder (acknowledgement due).
// A court that refers suspected false litigation or refusal to execute to the police informs the
// procuratorate at the same time; a procuratorate that finds false litigation affecting a court case
// informs the court. The recipient acknowledges within ACK_WORKING_DAYS, then records what it did;
// the sender sees the outcome. Everything generic (creation, guarded change, lists) is the core's.
import { countsMakeup, workdaysAfter } from "../calendar/calendar.engine";
import { sql } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import type { SubjectSource } from "../escalation/ladder";
import { ownedTaskLadder } from "../escalation/owned-task";
import type { Deps } from "../http/api";
import type { ApiError } from "../http/problem";
import { REFERRAL_ACTIONS, REFERRAL_KINDS, type Role } from "../vocab";
import {
  actOnExchange,
  createExchange,
  invalidField,
  notifyExchange,
  todayOf,
  type AttachmentMeta,
} from "./exchanges";

/** Working days the recipient has to acknowledge a notice, after the day it was sent. */
export const ACK_WORKING_DAYS = 3;

/**
 * Who sends and handles notices: the people who handle cases and the office (registrars, handlers,
 * department heads, leaders, coordinators). Auditors only read; administrators manage accounts.
 */
export const REFERRAL_ROLES: Role[] = ["registrar", "handler", "department_head", "leader", "coordinator"];

/** Who is told of a notice received (and of its withdrawal): the recipient's office and coordinators. */
const RECEIVING_ROLES: Role[] = ["registrar", "coordinator"];

/** The kinds a court refers to the police and must report to the procuratorate with that date. */
export const POLICE_KINDS = ["false_litigation", "refusal_to_execute"] as const;

export type ReferralKind = (typeof REFERRAL_KINDS.codes)[number];
export type ReferralAction = (typeof REFERRAL_ACTIONS.codes)[number];

export type NewReferral = {
  kind: ReferralKind;
  title?: string;
  caseNumbers: string[];
  parties: { name: string; role: string }[];
  facts: string;
  policeReferredOn?: string | null;
  documentId?: string | null;
  attachments?: AttachmentMeta[];
};

/** The title a notice gets when none is given: 关于(2026)…号等案件虚假诉讼线索的通报. */
export const referralTitle = (r: Pick<NewReferral, "kind" | "caseNumbers">) =>
  `关于${r.caseNumbers[0]}${r.caseNumbers.length > 1 ? "等" : ""}案件${REFERRAL_KINDS.label(r.kind).zh}线索的通报`;

const missingPoliceDate = () =>
  invalidField(
    "policeReferredOn",
    "required when a court refers false litigation or refusal to execute: the date it referred the case to the police",
    "police_date_required",
  );

/**
 * sendReferral: the notice from the caller's institution to its counterpart, due for acknowledgement
 * ACK_WORKING_DAYS working days after today on the pair's calendar; the recipient's registrars and
 * coordinators told. A court's false-litigation or refusal-to-execute notice needs the date of its
 * referral to the police — checked in SQL on the sender's kind, in the same batch.
 */
export async function sendReferral(deps: Deps, scope: Scope, key: string, input: NewReferral) {
  const today = todayOf(deps);
  if (input.policeReferredOn && input.policeReferredOn > today)
    throw invalidField("policeReferredOn", `must be today (${today}) or earlier`, "date_in_future");
  const needsPolice = (POLICE_KINDS as readonly string[]).includes(input.kind) && !input.policeReferredOn;
  return createExchange(deps, scope, {
    kind: "referral",
    key,
    input,
    roles: REFERRAL_ROLES,
    when: needsPolice ? sql`s_.kind <> 'court'` : undefined,
    refuse: (p) => (needsPolice && p.orgKind === "court" ? missingPoliceDate() : undefined),
    values: {
      subkind: input.kind,
      status: "sent",
      title: input.title ?? referralTitle(input),
      caseNumbers: input.caseNumbers,
      documentId: input.documentId ?? null,
      body: { parties: input.parties, facts: input.facts, policeReferredOn: input.policeReferredOn ?? null },
      attachments: input.attachments ?? [],
      dueOn: (j) => workdaysAfter(today, ACK_WORKING_DAYS, countsMakeup(j)),
      data: { kind: input.kind, caseNumbers: input.caseNumbers },
    },
    effects: (created, { id, eventId, now }) => [
      notifyExchange(scope, {
        id: eventId,
        exchangeId: id,
        applied: created,
        side: "recipient",
        roles: RECEIVING_ROLES,
        kind: "referral.received",
        zh: sql`(select o_.name from organizations o_ where o_.id = x.sender_org_id) || '发来线索通报《'
          || x.title || '》,请于' || coalesce(x.due_on, '') || '前签收。'`,
        en: sql`(select o_.name from organizations o_ where o_.id = x.sender_org_id)
          || ' sent a referral notice "' || x.title || '": please acknowledge it by '
          || coalesce(x.due_on, '') || '.'`,
        dedupe: `referral.received:${id}`,
        now,
      }),
    ],
  });
}

/** acknowledge: sent → acknowledged, by the recipient; the ladder stops (it sweeps 'sent' only). */
export const acknowledgeReferral = (deps: Deps, scope: Scope, id: string, note: string | null) =>
  actOnExchange(deps, scope, "referral", id, {
    event: "acknowledged",
    party: "recipient",
    roles: REFERRAL_ROLES,
    from: ["sent"],
    to: "acknowledged",
    note,
    set: sql`outcome = json_object('acknowledgedAt', ${deps.clock.now().toISOString()})`,
    effects: (applied, { eventId, now }) => [
      notifyExchange(scope, {
        id: eventId,
        exchangeId: id,
        applied,
        side: "sender",
        roles: [],
        creator: true,
        kind: "referral.acknowledged",
        zh: sql`(select o_.name from organizations o_ where o_.id = x.recipient_org_id)
          || '已签收线索通报《' || x.title || '》。'`,
        en: sql`(select o_.name from organizations o_ where o_.id = x.recipient_org_id)
          || ' acknowledged the referral notice "' || x.title || '".'`,
        dedupe: `referral.acknowledged:${id}`,
        now,
      }),
    ],
  });

export type ReferralOutcome = {
  action: ReferralAction;
  reason?: string | null;
  note?: string | null;
  relatedDocumentId?: string | null;
};

/**
 * recordOutcome: acknowledged → handled with what the recipient did (`outcome`); the related document,
 * when given, must be one between the two institutions the caller sees. The sender's creator and
 * coordinators are told.
 */
export function recordReferralOutcome(deps: Deps, scope: Scope, id: string, o: ReferralOutcome) {
  const docOk = o.relatedDocumentId
    ? sql`exists (select 1 from documents d_ where d_.id = ${o.relatedDocumentId}
        and d_.sender_org_id in (x_.sender_org_id, x_.recipient_org_id)
        and d_.recipient_org_id in (x_.sender_org_id, x_.recipient_org_id))`
    : undefined;
  return actOnExchange(deps, scope, "referral", id, {
    event: "handled",
    party: "recipient",
    roles: REFERRAL_ROLES,
    from: ["acknowledged"],
    to: "handled",
    when: docOk,
    note: o.note ?? o.reason ?? null,
    data: JSON.stringify({ action: o.action, relatedDocumentId: o.relatedDocumentId ?? null }),
    set: sql`outcome = json_set(coalesce(outcome, '{}'), '$.action', ${o.action},
      '$.reason', ${o.reason ?? null}, '$.note', ${o.note ?? null},
      '$.relatedDocumentId', ${o.relatedDocumentId ?? null},
      '$.handledAt', ${deps.clock.now().toISOString()}, '$.handledBy', ${scope.me.userId})`,
    refuse: () =>
      o.relatedDocumentId
        ? invalidField(
            "relatedDocumentId",
            "not a supervision document between the two institutions",
            "document_not_found",
          )
        : undefined,
    effects: (applied, { eventId, now }) => [
      notifyExchange(scope, {
        id: eventId,
        exchangeId: id,
        applied,
        side: "sender",
        roles: ["coordinator"],
        creator: true,
        kind: "referral.handled",
        zh: sql`(select o_.name from organizations o_ where o_.id = x.recipient_org_id)
          || '反馈了线索通报《' || x.title || '》的处理情况:' || ${REFERRAL_ACTIONS.label(o.action).zh} || '。'`,
        en: sql`(select o_.name from organizations o_ where o_.id = x.recipient_org_id)
          || ' recorded what it did with the referral notice "' || x.title || '": '
          || ${REFERRAL_ACTIONS.label(o.action).en} || '.'`,
        dedupe: `referral.handled:${id}`,
        now,
      }),
    ],
  });
}

/** withdraw: sent → withdrawn, by the sender, with a reason; the recipient's office is told. */
export const withdrawReferral = (deps: Deps, scope: Scope, id: string, reason: string) =>
  actOnExchange(deps, scope, "referral", id, {
    event: "withdrawn",
    party: "sender",
    roles: REFERRAL_ROLES,
    from: ["sent"],
    to: "withdrawn",
    note: reason,
    set: sql`outcome = json_object('withdrawnReason', ${reason},
      'withdrawnAt', ${deps.clock.now().toISOString()}, 'withdrawnBy', ${scope.me.userId})`,
    effects: (applied, { eventId, now }) => [
      notifyExchange(scope, {
        id: eventId,
        exchangeId: id,
        applied,
        side: "recipient",
        roles: RECEIVING_ROLES,
        kind: "referral.withdrawn",
        zh: sql`(select o_.name from organizations o_ where o_.id = x.sender_org_id)
          || '撤回了线索通报《' || x.title || '》:' || ${reason}`,
        en: sql`(select o_.name from organizations o_ where o_.id = x.sender_org_id)
          || ' withdrew the referral notice "' || x.title || '": ' || ${reason}`,
        dedupe: `referral.withdrawn:${id}`,
        now,
      }),
    ],
  });

/** A reason is required for `no_action` (400 on `reason`). */
export function checkOutcome(o: ReferralOutcome): ApiError | undefined {
  if (o.action === "no_action" && !o.reason?.trim())
    return invalidField("reason", "required when no action is taken", "reason_required");
  return undefined;
}

// ── The ladder ────────────────────────────────────────────────────────────────────────────────

const NOUN_ZH = sql`'线索通报「' || rf.title || '」'`;
const NOUN_EN = sql`'the referral notice "' || rf.title || '"'`;

/**
 * The ladder of referral notices not yet acknowledged: open while the notice is 'sent' (an
 * acknowledgement or a withdrawal stops it), owned by the recipient institution. Audiences:
 * `receiving_registrars` the recipient's registrars, `owner_coordinators` its coordinators,
 * `recipient_leaders` its leaders, `sender` who sent it and the sender's coordinators.
 */
export const referralLadder: SubjectSource = ownedTaskLadder({
  subjectType: "referral",
  // Uses exchanges_open_ix (kind, status, due_on).
  open: (horizon) =>
    sql`select xo_.id, xo_.jurisdiction_id, 'referral' as kind, xo_.due_on, xo_.deadline_version as version
      from exchanges xo_
      where xo_.kind = 'referral' and xo_.status = 'sent' and xo_.due_on <= ${horizon}`,
  subject: sql`join exchanges rf on rf.id = e.subject_id`,
  ownerOrg: sql`rf.recipient_org_id`,
  noun: { zh: NOUN_ZH, en: NOUN_EN },
  zh: {
    owns: "负责签收的",
    pending: "尚未签收",
    onTime: "请按期签收",
    today: "请于今日内签收",
    overdue: "仍未签收,请立即签收并办理",
  },
  recipients: ({ run, has }) => {
    const sent = sql`escalation_steps e join exchanges rf on rf.id = e.subject_id`;
    return sql`
      select e.id as sid, r_.user_id as uid, 'owner' as voice
      from ${sent} join role_assignments r_ on r_.org_id = rf.recipient_org_id
      where ${run} and ((r_.role = 'registrar' and ${has("receiving_registrars")})
        or (r_.role = 'coordinator' and ${has("owner_coordinators")})
        or (r_.role = 'leader' and ${has("recipient_leaders")}))
      union all
      select e.id, r_.user_id, 'other'
      from ${sent} join role_assignments r_ on r_.org_id = rf.sender_org_id and r_.role = 'coordinator'
      where ${run} and ${has("sender")}
      union all
      select e.id, rf.created_by, 'other'
      from ${sent}
      where ${run} and ${has("sender")} and rf.created_by is not null`;
  },
});
