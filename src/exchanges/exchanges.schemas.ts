// The API shapes shared by every kind of exchange: the base every kind extends with its body, the
// attachments' metadata, notes, list queries, and the mapping of a decoded row to a response.
import { z } from "@hono/zod-openapi";
import { caseKey } from "../cases/case-number";
import { Attachment } from "../documents/documents.schemas";
import { EscalationsSchema, LadderViewSchema, type StepRow, toEscalation } from "../escalation/owned-task";
import { SubjectEventSchema, type SubjectEventRow, toSubjectEvent } from "../events/events";
import { coded, LabelSchema, PageQuery } from "../http/api";
import { updatedSince } from "../meetings/meetings.schemas";
import { EXCHANGE_KINDS, type ExchangeKind, NOTE_KINDS, ORG_KINDS } from "../vocab";
import { EXCHANGE_DEFS, type ExchangeDetail, type ExchangeRow, type NoteRow } from "./exchanges";

/** An attachment's metadata (the file itself stays in the institution's own system). */
export const AttachmentSchema = Attachment.openapi("AttachmentMeta", {
  example: {
    name: "移送公安机关函.pdf",
    size: 182_044,
    sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    mediaType: "application/pdf",
  },
});

/**
 * A 案号 such as (2026)京0105民初1234号: parentheses (full or half width), a year, the rest; no
 * control characters (a NUL or an escape pasted in would pass `.` and be stored as the number).
 */
export const CaseNumber = z
  .string()
  .trim()
  .regex(/^\P{Cc}*$/u, "no control characters")
  .regex(/^[((]\d{4}[))].{2,60}号$/, "a case number such as (2026)京0105民初1234号")
  .refine(
    (s) => /[^\s\p{Cf}]/u.test(s.replace(/^[((]\d{4}[))]/, "").slice(0, -1)),
    "something between the year and 号 besides spaces",
  )
  .openapi({ example: "(2026)京0105民初1234号" });

/** Case numbers, each once (compared as 案号 are: full/half width, 第…号 alike — `caseKey`). */
export const CaseNumbers = z
  .array(CaseNumber)
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((c, i) => {
      const first = seen.get(caseKey(c));
      if (first === undefined) seen.set(caseKey(c), i);
      else ctx.addIssue({ code: "custom", path: [i], message: `the same case number as item ${first}` });
    });
  })
  .openapi({ description: "Each case once (compared as 案号: full/half width, 第…号 alike)" });

/** A calendar day that exists (YYYY-MM-DD). */
export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
  .refine((d) => {
    const at = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().startsWith(d);
  }, "no such day")
  .openapi({ example: "2026-09-01" });

export const IdempotencyHeader = z.object({
  "idempotency-key": z.string().min(8).max(200).openapi({ example: "5d0f3c1e-6a1d-4c1e-b7f5-5b8f1c7d2a10" }),
});

export const ExchangeParams = z.object({ id: z.string().min(1).max(64) });

const OrgRef = z.object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) });
const Named = z.object({ id: z.string(), name: z.string() });

const CALENDAR_COMPLETE =
  "false: `dueOn` was counted over a year whose official holiday calendar is not loaded yet (it is " +
  "counted again when it is); null: no working-day deadline";

/**
 * The base of every kind's response: coded kind, status and subkind (labels from the kind's
 * vocabulary), the two parties, the deadlines. A kind extends it with `body` (and `outcome`).
 */
export function exchangeBaseSchema(kind: ExchangeKind) {
  const def = EXCHANGE_DEFS[kind];
  return z.object({
    id: z.string(),
    kind: coded(EXCHANGE_KINDS.codes),
    subkind: z.object({ code: z.enum(def.subkinds.codes), label: LabelSchema }),
    status: z.object({ code: z.enum(def.statuses.codes), label: LabelSchema }),
    sender: OrgRef,
    recipient: OrgRef,
    /** The caller's side. */
    direction: z.enum(["in", "out"]).openapi({ description: "`out`: your institution sent it" }),
    title: z.string(),
    caseNumbers: z.array(z.string()),
    documentId: z.string().nullable(),
    attachments: z.array(AttachmentSchema),
    dueOn: z.string().nullable().openapi({ description: "Working-day deadline (a China date, end of day)" }),
    dueAt: z.string().nullable().openapi({ description: "Clock-hour deadline (an instant)" }),
    deadlineVersion: z.number().int(),
    calendarComplete: z.boolean().nullable().openapi({ description: CALENDAR_COMPLETE }),
    seriesId: z.string().nullable(),
    period: z.string().nullable(),
    createdBy: Named.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  });
}
export type ExchangeBase = z.infer<ReturnType<typeof exchangeBaseSchema>>;

export const NoteSchema = z
  .object({
    id: z.string(),
    kind: coded(NOTE_KINDS.codes),
    org: Named,
    author: Named,
    body: z.string(),
    data: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
  })
  .openapi("ExchangeNote");

/** What a detail read adds to a kind's schema. */
export const detailFields = {
  timeline: z.array(SubjectEventSchema),
  notes: z.array(NoteSchema),
  ladder: LadderViewSchema,
  escalations: EscalationsSchema,
};

/** A code with its label from a vocabulary (an unknown code keeps itself as its label). */
const item = (v: { labels: Record<string, { zh: string; en: string }> }, code: string) => ({
  code,
  label: v.labels[code] ?? { zh: code, en: code },
});

/** The base response of a decoded row, for the caller's institution `orgId`. */
export function toExchange(row: ExchangeRow, orgId: string): ExchangeBase {
  const def = EXCHANGE_DEFS[row.kind];
  const org = (o: ExchangeRow["sender"]) => ({ id: o.id, name: o.name, kind: ORG_KINDS.item(o.kind) });
  return {
    id: row.id,
    kind: EXCHANGE_KINDS.item(row.kind),
    subkind: item(def.subkinds, row.subkind) as never,
    status: item(def.statuses, row.status) as never,
    sender: org(row.sender),
    recipient: org(row.recipient),
    direction: row.sender.id === orgId ? "out" : "in",
    title: row.title,
    caseNumbers: row.caseNumbers,
    documentId: row.documentId,
    attachments: row.attachments,
    dueOn: row.dueOn,
    dueAt: row.dueAt,
    deadlineVersion: row.deadlineVersion,
    calendarComplete: row.calendarComplete,
    seriesId: row.seriesId,
    period: row.period,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A timeline entry, worded as the kind words it (EXCHANGE_DEFS.eventLabels). */
export const toExchangeEvent = (kind: ExchangeKind, e: SubjectEventRow) => {
  const ev = toSubjectEvent(e);
  const own = EXCHANGE_DEFS[kind].eventLabels?.[e.type as never];
  return own ? { ...ev, label: own } : ev;
};

export const toNote = (n: NoteRow) => ({ ...n, kind: NOTE_KINDS.item(n.kind) });

/** The detail-only fields of a response (timeline, notes, ladder, the steps that happened). */
export const toDetailFields = (
  kind: ExchangeKind,
  d: Pick<ExchangeDetail, "timeline" | "notes" | "ladder"> & { steps: StepRow[] },
) => ({
  timeline: d.timeline.map((e) => toExchangeEvent(kind, e)),
  notes: d.notes.map(toNote),
  ladder: d.ladder,
  escalations: d.steps.map(toEscalation),
});

/** The query of a kind's list: direction, created range (China dates), sync, cursor. */
/** A list filter of comma-separated statuses of a kind (`sent,acknowledged`); an unknown one is 400. */
export const statusList = (codes: readonly string[], example: string) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return undefined;
      const list = s.split(",");
      const bad = list.filter((x) => !codes.includes(x));
      if (bad.length) {
        ctx.addIssue({ code: "custom", message: `unknown status: ${bad.join(", ")}` });
        return z.NEVER;
      }
      return list;
    })
    .openapi({ description: "Comma-separated statuses", example });

export const ExchangeListQuery = PageQuery.extend({
  direction: z
    .enum(["in", "out", "both"])
    .default("both")
    .openapi({ description: "`in`: sent to your institution; `out`: sent by it" }),
  from: Day.optional().openapi({ description: "Created on or after this China date" }),
  to: Day.optional().openapi({ description: "Created on or before this China date" }),
  updatedSince: updatedSince("Mobile sync: only exchanges changed after this instant (any offset)"),
});

/** A created-date range runs forward: `from` after `to` is a 400 on `from` (refine a query with it). */
export const rangeForward = (q: { from?: string; to?: string }, ctx: z.RefinementCtx) => {
  if (q.from && q.to && q.from > q.to)
    ctx.addIssue({ code: "custom", path: ["from"], message: `must be on or before \`to\` (${q.to})` });
};

/** The created-date range of a count (China dates, both optional, `from` ≤ `to`). */
export const CountQuery = z
  .object({
    from: Day.optional().openapi({ description: "Created on or after this China date" }),
    to: Day.optional().openapi({ description: "Created on or before this China date" }),
  })
  .superRefine(rangeForward);
