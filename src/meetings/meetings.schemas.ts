// API schemas of joint meetings (zod-openapi): inputs validated here, responses documented.
import { z } from "@hono/zod-openapi";
import { CosignSchema } from "../cosign/cosign";
import { SubjectEventSchema } from "../events/events";
import { coded, LabelSchema, PageQuery } from "../http/api";
import {
  MEETING_KINDS,
  MEETING_STATUSES,
  ORG_KINDS,
  PARTICIPANT_KINDS,
  RSVPS,
  SLOT_STATUSES,
  SPECIAL_SUBJECTS,
  TOPIC_FIELDS,
  TOPIC_STATUSES,
  vocabulary,
} from "../vocab";

/** Caveats on a meeting's time slot; accepted, but said. */
export const MEETING_WARNINGS = vocabulary({
  rest_day: {
    zh: "会议日期为休息日(周末或法定节假日)",
    en: "The meeting falls on a rest day (a weekend or a public holiday)",
  },
  outside_period: {
    zh: "会议日期不在其所属周期(如所属半年度)内",
    en: "The meeting falls outside its period (e.g. the half-year it belongs to)",
  },
});

/** Which way a topic decision goes. */
export const TOPIC_DECISIONS = vocabulary({
  accept: { zh: "列入议题", en: "Accept onto the agenda" },
  decline: { zh: "不列入议题", en: "Decline" },
});

const Id = z.string().min(1).max(64);
const text = (max: number) => z.string().trim().min(1).max(max);

/** The instants a meeting may take place at: the years 2000–2100, China time. */
export const INSTANT_RANGE = {
  from: Date.parse("2000-01-01T00:00:00+08:00"),
  until: Date.parse("2101-01-01T00:00:00+08:00"),
  message: "must be in the years 2000–2100 (China time)",
};

/**
 * An instant with an explicit offset, in the years 2000–2100 (so it is stored and answered as a
 * plain `YYYY-…` in China time, +08:00, and julianday and the calendar feed can read it).
 */
const Instant = z.iso
  .datetime({ offset: true })
  .refine((v) => {
    const at = Date.parse(v);
    return at >= INSTANT_RANGE.from && at < INSTANT_RANGE.until;
  }, INSTANT_RANGE.message)
  .openapi({
    example: "2026-10-20T09:00:00+08:00",
    description: "ISO 8601 with an offset, in the years 2000–2100",
  });

export const MeetingParams = z.object({ id: Id });
export const TopicParams = MeetingParams.extend({ topicId: Id });
export const ParticipantParams = MeetingParams.extend({ pid: Id });

export const IdempotencyHeader = z.object({
  "idempotency-key": z.string().min(8).max(200).openapi({ example: "5d0f3c1e-6a1d-4c1e-b7f5-5b8f1c7d2a10" }),
});

export const NewSpecialMeeting = z
  .object({
    subjectKind: z.enum(SPECIAL_SUBJECTS.codes),
    subject: text(500).openapi({ example: "(2026)示0102刑初88号 涉众型非法集资案" }),
    title: text(200).openapi({ example: "关于涉众型经济犯罪案件办理的专题联席会议" }),
    proposingDepartmentId: Id,
    reason: text(4000).openapi({ description: "Why the meeting is needed (shown to both leaders)" }),
  })
  .openapi("NewSpecialMeeting");

export const SlotInput = z
  .object({
    startsAt: Instant,
    endsAt: Instant,
    place: text(300).optional(),
    onlineUrl: z
      .url({ protocol: /^https$/, message: "an https URL" })
      .max(2000)
      .optional()
      .openapi({ example: "https://meet.example.cn/j/123" }),
  })
  .superRefine((s, ctx) => {
    if (!s.place && !s.onlineUrl)
      for (const path of ["place", "onlineUrl"])
        ctx.addIssue({ code: "custom", path: [path], message: "give a place, an online link or both" });
    const start = Date.parse(s.startsAt);
    const end = Date.parse(s.endsAt);
    if (end <= start) ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must be after startsAt" });
    else if (end - start > 7 * 86_400_000)
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "a meeting lasts at most 7 days" });
  })
  .openapi("SlotInput");

export const SlotConfirmInput = z
  .object({ slotVersion: z.number().int().min(1).openapi({ description: "The slot version seen" }) })
  .openapi("SlotConfirmInput");

export const NewTopic = z
  .object({
    field: z.enum(TOPIC_FIELDS.codes),
    title: text(200),
    description: z.string().trim().max(4000).optional(),
    proposingDepartmentId: Id,
  })
  .openapi("NewTopic");

export const TopicDecisionInput = z
  .object({ decision: z.enum(TOPIC_DECISIONS.codes), reason: z.string().trim().max(2000).optional() })
  .superRefine((d, ctx) => {
    if (d.decision === "decline" && !d.reason)
      ctx.addIssue({ code: "custom", path: ["reason"], message: "say why the topic is declined" });
  })
  .openapi("TopicDecisionInput");

export const AgendaInput = z
  .object({
    topicIds: z
      .array(Id)
      .max(100)
      .refine((a) => new Set(a).size === a.length, "each topic once"),
  })
  .openapi("AgendaInput");

const Observer = z.object({
  organization: text(200).openapi({ example: "示范市东湖区委政法委" }),
  name: text(100),
  title: z.string().trim().max(100).optional(),
  contact: z.string().trim().max(200).optional(),
});

export const InviteInput = z
  .object({
    userIds: z.array(Id).max(200).optional(),
    roles: z.array(z.enum(["leader", "department_head", "handler", "coordinator", "registrar"])).optional(),
    departmentIds: z.array(Id).max(100).optional(),
    observers: z
      .array(Observer)
      .max(50)
      .optional()
      .refine(
        (o) => !o || new Set(o.map((x) => `${x.organization}\u0000${x.name}`)).size === o.length,
        "each observer once",
      ),
  })
  .refine(
    (i) =>
      (i.userIds?.length ?? 0) +
        (i.roles?.length ?? 0) +
        (i.departmentIds?.length ?? 0) +
        (i.observers?.length ?? 0) >
      0,
    "invite someone: userIds, roles, departmentIds or observers",
  )
  .openapi("InviteInput");

export const RsvpInput = z
  .object({
    response: z.enum(["accepted", "declined", "tentative"]),
    note: z.string().trim().max(500).optional(),
  })
  .openapi("RsvpInput");

export const AttendanceInput = z
  .object({
    entries: z
      .array(z.object({ participantId: Id, attended: z.boolean() }))
      .max(500)
      .refine((e) => new Set(e.map((x) => x.participantId)).size === e.length, "each participant once"),
  })
  .openapi("AttendanceInput");

export const CancelInput = z.object({ reason: text(2000) }).openapi("CancelInput");

/**
 * `updatedSince` of a sync list: an instant with an offset (`Z`, `+08:00` …), to be compared as the
 * UTC ISO string the rows keep (`sinceIso`); its UTC year has four digits.
 */
export const updatedSince = (description: string) =>
  z.iso
    .datetime({ offset: true })
    // zod runs a refinement even after the format check failed: an invalid date is its error, not a throw.
    .refine((v) => {
      const t = Date.parse(v);
      return Number.isNaN(t) || /^\d{4}-/.test(new Date(t).toISOString());
    }, "must be in the years 0000–9999 (UTC)")
    .optional()
    .openapi({ description, example: "2026-12-02T19:03:57+08:00" });

export const MeetingListQuery = PageQuery.extend({
  status: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return undefined;
      const parts = s.split(",");
      const bad = parts.filter((p) => !(MEETING_STATUSES.codes as readonly string[]).includes(p));
      if (bad.length) ctx.addIssue({ code: "custom", message: `unknown status ${bad.join(", ")}` });
      return parts as (typeof MEETING_STATUSES.codes)[number][];
    })
    .openapi({ description: "Comma-separated statuses", example: "planning,scheduled" }),
  kind: z.enum(MEETING_KINDS.codes).optional(),
  year: z.coerce
    .number()
    .int()
    .min(2000)
    .max(2100)
    .optional()
    .openapi({ description: "The meeting's year (of its slot, else its period, else its creation)" }),
  updatedSince: updatedSince(
    "Mobile sync: only meetings changed after this instant (any offset; sorted by update)",
  ),
  sort: z.enum(["created", "updated"]).default("created"),
});

// ── Responses ────────────────────────────────────────────────────────────────────────────────────

const Org = z.object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) });
const Named = z.object({ id: z.string(), name: z.string() });

export const WarningSchema = z
  .object({
    code: z.enum(MEETING_WARNINGS.codes),
    label: LabelSchema,
    date: z.string().openapi({ description: "The date concerned (China time): the rest day, or the start" }),
    name: z.string().nullable().openapi({ description: "`rest_day`: the holiday's name, if any" }),
    period: z.string().optional().openapi({
      description: "`outside_period`: the meeting's period (e.g. `2026-H2`)",
      example: "2026-H2",
    }),
  })
  .openapi("MeetingWarning", {
    description:
      "A caveat on the slot, accepted but said: `rest_day` (a weekend or public holiday), " +
      "`outside_period` (a meeting of a period, e.g. a half-year, scheduled outside it: it may slip)",
  });

export const SlotSchema = z
  .object({
    status: coded(SLOT_STATUSES.codes),
    version: z.number().int(),
    startsAt: z.string().nullable().openapi({ example: "2026-10-20T09:00:00+08:00" }),
    endsAt: z.string().nullable(),
    place: z.string().nullable(),
    onlineUrl: z.string().nullable(),
    proposedBy: Org.nullable().openapi({ description: "The side that proposed the current slot" }),
    restDay: z.boolean(),
  })
  .openapi("MeetingSlot");

export const MeetingSchema = z
  .object({
    id: z.string(),
    kind: coded(MEETING_KINDS.codes),
    status: coded(MEETING_STATUSES.codes),
    title: z.string(),
    period: z.string().nullable(),
    seriesId: z.string().nullable(),
    host: Org,
    guest: Org,
    slot: SlotSchema,
    warnings: z.array(WarningSchema),
    counts: z.object({
      topics: z.number().int(),
      accepted: z.number().int(),
      participants: z.number().int(),
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Meeting");

export const TopicSchema = z
  .object({
    id: z.string(),
    field: coded(TOPIC_FIELDS.codes),
    title: z.string(),
    description: z.string().nullable(),
    status: coded(TOPIC_STATUSES.codes),
    position: z.number().int().nullable(),
    reason: z.string().nullable().openapi({ description: "Why it was declined" }),
    proposingOrg: Org,
    proposingDepartment: Named.nullable(),
    createdAt: z.string(),
  })
  .openapi("MeetingTopic");

export const ParticipantSchema = z
  .object({
    id: z.string(),
    kind: coded(PARTICIPANT_KINDS.codes),
    user: z.object({ id: z.string(), name: z.string(), title: z.string().nullable() }).nullable(),
    org: Org.openapi({ description: "The user's institution, or the one that invited the observer" }),
    observer: z
      .object({
        organization: z.string(),
        name: z.string(),
        title: z.string().nullable(),
        contact: z.string().nullable(),
      })
      .nullable(),
    rsvp: coded(RSVPS.codes),
    rsvpNote: z.string().nullable(),
    attended: z.boolean().nullable(),
  })
  .openapi("MeetingParticipant");

/**
 * A round or null. A union rather than `.nullable()`: the generator drops the null of a nullable
 * registered schema (it emits a bare `$ref`), a union keeps it (`anyOf: [$ref, null]`).
 */
export const CosignOrNull = z.union([CosignSchema, z.null()]);

export const MeetingDetail = MeetingSchema.extend({
  special: z
    .object({
      subjectKind: coded(SPECIAL_SUBJECTS.codes),
      subject: z.string(),
      reason: z.string().nullable(),
      proposingDepartment: Named.nullable(),
    })
    .nullable(),
  topics: z.array(TopicSchema).openapi({ description: "Agenda order, then proposed, then declined" }),
  participants: z.array(ParticipantSchema),
  minutes: z
    .object({
      version: z.number().int(),
      updatedAt: z.string(),
      cosignature: CosignOrNull.openapi({
        description: "The latest co-signature round of the minutes (as /v1/cosignatures answers it)",
      }),
    })
    .nullable(),
  approval: CosignOrNull.openapi({
    description:
      "Special meetings: the co-signature round of both leaders' approval (as /v1/cosignatures answers it)",
  }),
  actionItems: z.object({ count: z.number().int() }),
  timeline: z.array(SubjectEventSchema),
}).openapi("MeetingDetail");

export const MeetingPage = z
  .object({ items: z.array(MeetingSchema), nextCursor: z.string().nullable() })
  .openapi("MeetingPage");
