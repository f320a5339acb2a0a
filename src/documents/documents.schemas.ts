// API schemas of supervision documents (zod-openapi): inputs validated here, responses documented.
import { z } from "@hono/zod-openapi";
import { coded, LabelSchema } from "../http/api";
import {
  ACK_RESULTS,
  CASE_AREAS,
  CASE_CATEGORIES,
  COMMITTEE_RESPONSES,
  DECISIONS,
  DOC_STATUSES,
  DOC_TYPES,
  MEDIATION_OUTCOMES,
  MEDIATION_STATUSES,
  ORG_KINDS,
  RETRIAL_RESULTS,
} from "../vocab";

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date YYYY-MM-DD")
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    "not a calendar date",
  );
export const IsoDate = isoDate.openapi({ example: "2026-09-08" });

/**
 * A sender-set period is in days or in months, never both: both fields are named in `errors[]`
 * (for the document and the deadline preview alike).
 */
export function onePeriod(d: { periodDays?: number; periodMonths?: number }, ctx: z.RefinementCtx) {
  if (d.periodDays !== undefined && d.periodMonths !== undefined)
    for (const path of ["periodDays", "periodMonths"])
      ctx.addIssue({ code: "custom", path: [path], message: "give periodDays or periodMonths, not both" });
}

/** A caveat on a deadline: `calendar_missing` when its counting touched a year with no official calendar. */
export const DeadlineWarningSchema = z
  .object({ code: z.enum(["calendar_missing"]), label: LabelSchema, year: z.number().int() })
  .openapi("DeadlineWarning", {
    example: {
      code: "calendar_missing",
      label: {
        zh: "2027年节假日安排尚未载入:期限暂只按周末计算,载入后自动重算",
        en:
          "The 2027 holiday calendar is not loaded: " +
          "the deadline counts weekends only until it is, then is recomputed",
      },
      year: 2027,
    },
  });

export const Attachment = z.object({
  name: z.string().min(1).max(200),
  size: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits"),
  mediaType: z
    .string()
    .min(3)
    .max(100)
    .regex(/^[\w.+-]+\/[\w.+-]+$/, "a media type such as application/pdf"),
});

export const NewDocument = z
  .object({
    type: z.enum(DOC_TYPES.codes),
    docNumber: z.string().trim().min(1).max(100).openapi({ example: "示检民监〔2026〕12号" }),
    caseNumbers: z
      .array(z.string().trim().min(1).max(100))
      .min(1)
      .max(20)
      .openapi({ example: ["(2025)示01民终1234号"] }),
    caseCategory: z.enum(CASE_CATEGORIES.codes),
    area: z.enum(CASE_AREAS.codes).optional(),
    title: z.string().trim().min(1).max(300),
    summary: z.string().max(20_000).optional(),
    requestedActions: z.string().max(20_000).optional(),
    attachments: z.array(Attachment).max(50).default([]),
    periodDays: z
      .number()
      .int()
      .min(1)
      .max(366)
      .optional()
      .openapi({ description: "Only for types whose period the sender sets." }),
    periodMonths: z.number().int().min(1).max(12).optional(),
  })
  .superRefine(onePeriod)
  .openapi("NewDocument");

const Ref = z.object({ id: z.string(), name: z.string() });
const OrgRef = z.object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) });

export const DocumentSchema = z
  .object({
    id: z.string(),
    type: coded(DOC_TYPES.codes),
    status: coded(DOC_STATUSES.codes),
    sender: OrgRef,
    recipient: OrgRef,
    receivingDepartment: Ref,
    handlingDepartment: Ref.nullable(),
    handler: Ref.nullable(),
    docNumber: z.string(),
    caseNumbers: z.array(z.string()),
    caseCategory: coded(CASE_CATEGORIES.codes),
    area: coded(CASE_AREAS.codes).nullable(),
    title: z.string(),
    sentOn: z.string(),
    receivedOn: z.string().nullable(),
    dueOn: z.string().nullable(),
    overdue: z.boolean(),
    deadline: z.object({
      ruleId: z.string(),
      ruleVersion: z.number().int(),
      periodDays: z.number().int().nullable(),
      periodMonths: z.number().int().nullable(),
      version: z.number().int(),
      calendarComplete: z.boolean().nullable(),
    }),
    warnings: z.array(DeadlineWarningSchema).openapi({
      description:
        "Caveats on the deadline: `calendar_missing` names a year it was counted in " +
        "without its holiday calendar (provisional until that year is loaded).",
    }),
    reply: z
      .object({
        repliedOn: z.string(),
        decision: coded(DECISIONS.codes),
        retrialRuled: z.boolean().nullable(),
        late: z.boolean(),
      })
      .nullable(),
    acknowledgement: z.object({ result: coded(ACK_RESULTS.codes), reason: z.string().nullable() }).nullable(),
    retrialResult: coded(RETRIAL_RESULTS.codes)
      .nullable()
      .openapi({
        description:
          "The retried case's result (protests and retrial suggestions whose reply ruled a retrial), " +
          "recorded by the court with POST /v1/documents/{id}/retrial-result; null until then.",
      }),
    retrialResultOn: z.string().nullable().openapi({ description: "The day the retrial was decided" }),
    followup: z
      .object({ orgId: z.string().nullable() })
      .nullable()
      .openapi({
        description:
          "跟进监督 by the next level up: set when the reply was not accepted " +
          "or the document was escalated to it (15 working days overdue).",
      }),
    lastUrgedAt: z.string().nullable(),
    pendingExtension: z
      .object({
        id: z.string(),
        periodDays: z.number().nullable(),
        periodMonths: z.number().nullable(),
        reason: z.string(),
      })
      .nullable(),
    committeeSession: z
      .object({
        id: z.string(),
        sessionAt: z.string(),
        place: z.string(),
        response: coded(COMMITTEE_RESPONSES.codes).nullable(),
        delegateName: z.string().nullable(),
      })
      .nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("DocumentSummary", {
    description: "A document as lists show it (the long texts are in the full document).",
  });

/** The full document: the summary plus its long texts and attachments. */
export const DocumentFull = DocumentSchema.extend({
  summary: z.string().nullable(),
  requestedActions: z.string().nullable(),
  attachments: z.array(Attachment),
  reply: z
    .object({
      repliedOn: z.string(),
      content: z.string(),
      decision: coded(DECISIONS.codes),
      retrialRuled: z.boolean().nullable(),
      late: z.boolean(),
    })
    .nullable(),
  mediation: z
    .object({
      id: z.string(),
      status: coded(MEDIATION_STATUSES.codes),
      outcome: coded(MEDIATION_OUTCOMES.codes).nullable(),
      outcomeOn: z.string().nullable(),
      sessions: z.number().int().openapi({ description: "How many sessions are recorded" }),
      href: z.string().nullable().openapi({
        description: "The mediation itself, for the document's two institutions; null for the level above",
        example: "/v1/mediations/01J9Z8Q4M2T7",
      }),
    })
    .nullable()
    .openapi({
      description:
        "The summary of the joint mediation (共同调解) of the retried case (status, outcome and its " +
        "date, how many sessions; not its participants) for whoever sees the document, the level " +
        "above following it up (跟进监督) included; `href` only for the document's two institutions. " +
        "Null when there is none.",
    }),
}).openapi("Document");

export const TimelineEvent = z
  .object({
    id: z.string(),
    at: z.string(),
    type: z.string(),
    label: LabelSchema,
    actor: Ref.nullable(),
    note: z.string().nullable(),
    changes: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })),
  })
  .openapi("TimelineEvent");

export const DocumentDetail = DocumentFull.extend({ timeline: z.array(TimelineEvent) }).openapi(
  "DocumentDetail",
);

export const ListQuery = z.object({
  box: z.enum(["inbox", "outbox", "followup"]).default("inbox"),
  status: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return undefined;
      const parts = s.split(",");
      const bad = parts.filter((p) => !(DOC_STATUSES.codes as readonly string[]).includes(p));
      if (bad.length) ctx.addIssue({ code: "custom", message: `unknown status ${bad.join(", ")}` });
      return parts as (typeof DOC_STATUSES.codes)[number][];
    })
    .openapi({ description: "Comma-separated statuses", example: "received,assigned" }),
  type: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return undefined;
      const parts = s.split(",");
      const bad = parts.filter((p) => !(DOC_TYPES.codes as readonly string[]).includes(p));
      if (bad.length) ctx.addIssue({ code: "custom", message: `unknown type ${bad.join(", ")}` });
      return parts as (typeof DOC_TYPES.codes)[number][];
    })
    .openapi({ description: "Comma-separated types", example: "protest.civil,retrial_suggestion.civil" }),
  sentFrom: IsoDate.optional().openapi({ description: "Sent on or after this day" }),
  sentTo: IsoDate.optional().openapi({ description: "Sent on or before this day" }),
  replyLate: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === "true"))
    .openapi({ description: "Replied after (true) or by (false) the due date" }),
  ackResult: z.enum(ACK_RESULTS.codes).optional(),
  followup: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === "true"))
    .openapi({ description: "跟进监督 opened by the next level up (true) or not (false)" }),
  retrialRuled: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === "true")),
  retrialResult: z
    .enum([...RETRIAL_RESULTS.codes, "pending"])
    .optional()
    .openapi({ description: "A retrial's result; `pending`: a retrial was ruled, no result yet" }),
  overdue: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === "true")),
  dueBefore: IsoDate.optional(),
  departmentId: z.string().max(64).optional(),
  handlerId: z.string().max(64).optional(),
  caseNumber: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "Substring of a case number (案号)" }),
  updatedSince: z.iso
    .datetime()
    .optional()
    .openapi({ description: "Mobile sync: only documents changed after this instant (sorted by update)" }),
  sort: z.enum(["due", "created", "updated"]).default("due"),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(20)
    .openapi({ description: "Page size (default 20, a phone screen or two; at most 200)" }),
  cursor: z.string().max(300).optional(),
});

export const ReceiveInput = z.object({ receivedOn: IsoDate }).openapi("ReceiveInput");
export const AssignInput = z
  .object({
    departmentId: z.string().min(1).max(64),
    handlerId: z.string().min(1).max(64),
    note: z.string().max(2000).optional(),
  })
  .openapi("AssignInput");
export const ReplyInput = z
  .object({
    content: z.string().trim().min(1).max(50_000),
    decision: z.enum(DECISIONS.codes),
    retrialRuled: z
      .boolean()
      .optional()
      .openapi({ description: "Required for protests and retrial suggestions: whether a retrial was ruled" }),
    repliedOn: IsoDate,
  })
  .openapi("ReplyInput");
export const AckInput = z
  .object({ result: z.enum(ACK_RESULTS.codes), reason: z.string().trim().max(5000).optional() })
  .refine((a) => a.result !== "not_accepted" || (a.reason && a.reason.length > 0), {
    message: "a reason is required when the reply is not accepted",
    path: ["reason"],
  })
  .openapi("AckInput");
export const RetrialResultInput = z
  .object({
    result: z.enum(RETRIAL_RESULTS.codes),
    decidedOn: IsoDate.openapi({
      description: "The day the retried case was decided",
      example: "2026-11-20",
    }),
  })
  .openapi("RetrialResultInput");
export const NoteInput = z.object({ note: z.string().trim().max(2000).optional() }).openapi("NoteInput");
export const ExtensionInput = z
  .object({ reason: z.string().trim().min(1).max(5000) })
  .openapi("ExtensionInput");
export const ExtensionDecisionInput = z
  .object({ approve: z.boolean(), note: z.string().trim().max(2000).optional() })
  .openapi("ExtensionDecisionInput");
export const CommitteeInput = z
  .object({
    sessionAt: z.iso.datetime({ offset: true }).openapi({ example: "2026-10-20T09:00:00+08:00" }),
    place: z.string().trim().min(1).max(200),
  })
  .openapi("CommitteeInput");
export const CommitteeResponseInput = z
  .object({
    response: z.enum(COMMITTEE_RESPONSES.codes),
    delegateName: z.string().trim().min(1).max(100).optional(),
    note: z.string().max(2000).optional(),
  })
  .refine((r) => r.response !== "delegate" || !!r.delegateName, {
    message: "name the deputy who attends",
    path: ["delegateName"],
  })
  .openapi("CommitteeResponseInput");

export const Counts = z
  .object({
    box: z.string(),
    total: z.number().int(),
    overdue: z.number().int(),
    byStatus: z.record(z.string(), z.number().int()),
  })
  .openapi("DocumentCounts");
