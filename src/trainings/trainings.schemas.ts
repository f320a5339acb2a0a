// API schemas of trainings (培训、联合培训、学术研讨会、交流活动): inputs validated here (shape and
// per-field rules), responses documented. Times are answered in China time (+08:00); hours are spoken
// with one decimal and stored in tenths.
import { z } from "@hono/zod-openapi";
import { SubjectEventSchema } from "../events/events";
import { updatedSince } from "../meetings/meetings.schemas";
import { QuestionSchema } from "./answers";
import { coded, PageQuery } from "../http/api";
import { ApiError, conflict as baseConflict } from "../http/problem";
import {
  CHECKIN_METHODS,
  ORG_KINDS,
  QUESTION_TYPES,
  REGISTRATION_STATUSES,
  TRAINING_KINDS,
  TRAINING_STATUSES,
  vocabulary,
} from "../vocab";

/** Which trainings a list shows by the caller's part in them. */
export const TRAINING_ROLES = vocabulary({
  organised: { zh: "本院主办或协办", en: "Organised by my institution" },
  invited: { zh: "本院受邀", en: "My institution is invited" },
});

/** Refusal codes of training and attendance routes, with bilingual labels (`label` in the problem). */
export const TRAINING_REFUSALS = vocabulary({
  not_planning: { zh: "培训不在筹备状态", en: "The training is not being planned" },
  not_published: { zh: "培训尚未发布", en: "The training is not published" },
  already_published: { zh: "培训已发布", en: "The training is already published" },
  training_cancelled: { zh: "培训已取消", en: "The training was cancelled" },
  not_ready_to_publish: { zh: "培训信息不全,无法发布", en: "The training lacks what publishing needs" },
  window_invalid: {
    zh: "报名时间须先开后截,且不晚于首场开始",
    en: "The registration window must open before it closes, by the first session",
  },
  capacity_below_taken: { zh: "名额不得少于已占用人数", en: "The capacity is below the seats taken" },
  capacity_below_quota: { zh: "名额不得少于某单位配额", en: "The capacity is below an institution's quota" },
  quota_below_taken: {
    zh: "配额不得少于该单位已占用人数,也不得超过总名额",
    en: "A quota is below its seats taken or above the capacity",
  },
  questions_locked: { zh: "已有人报名,报名问题不可再改", en: "People registered: the questions are fixed" },
  sessions_locked: { zh: "已有人报名,场次不可整体替换", en: "People registered: the sessions are fixed" },
  idempotency_key_reused: { zh: "幂等键已用于其他请求", en: "Idempotency-Key used for another request" },
  concurrent_change: { zh: "并发修改,请重试", en: "Changed concurrently; retry" },
  checkin_not_open: { zh: "签到尚未开始(开场前一小时起)", en: "Check-in opens one hour before the session" },
  checkin_closed: { zh: "本场已结束,签到关闭", en: "The session is over; check-in is closed" },
  invalid_token: { zh: "签到二维码无效", en: "Not a valid check-in QR code" },
  token_expired: { zh: "签到二维码已过期,请扫描最新的", en: "The QR code has expired; scan the current one" },
  not_registered: { zh: "非本培训已确认的参训人员", en: "Not a confirmed participant of this training" },
  use_rotation_skip: {
    zh: "年度研讨会属于轮值系列,取消须经双方领导会签跳过本年度(POST /v1/series/{id}/overrides)",
    en: "A series seminar is skipped through the rotation, co-signed by both leaders (POST /v1/series/{id}/overrides)",
  },
});

/** The error with its bilingual `label` when its code is a refusal of trainings (as registrations do). */
export function labelled(e: ApiError): ApiError {
  const codes: readonly string[] = TRAINING_REFUSALS.codes;
  if (!codes.includes(e.code) || e.extra.label) return e;
  return new ApiError(e.status, e.code, e.message, {
    ...e.extra,
    label: TRAINING_REFUSALS.label(e.code as (typeof TRAINING_REFUSALS.codes)[number]),
  });
}

/** A 409 with a code of TRAINING_REFUSALS and its label. */
export const conflict = (code: string, detail: string) => labelled(baseConflict(code, detail));

/** A problem with a code of TRAINING_REFUSALS and its label. */
export const problem = (status: number, code: string, detail: string, extra: Record<string, unknown> = {}) =>
  labelled(new ApiError(status, code, detail, extra));

const Id = z.string().min(1).max(64);
const text = (max: number) => z.string().trim().min(1).max(max);

/** An instant with an explicit offset; the API answers it in China time (+08:00). */
export const Instant = z.iso
  .datetime({ offset: true })
  .openapi({ example: "2027-03-20T09:00:00+08:00", description: "ISO 8601 with an offset" });

/** Hours credited, with at most one decimal (stored in tenths: exact sums in training records). */
export const Hours = z
  .number()
  .min(0)
  .max(1000)
  .refine((h) => Math.abs(h * 10 - Math.round(h * 10)) < 1e-9, "at most one decimal (tenths of an hour)")
  .openapi({ example: 3.5 });

export const TrainingParams = z.object({ id: Id });
export const SessionParams = TrainingParams.extend({ sid: Id });

export const IdempotencyHeader = z.object({
  "idempotency-key": z.string().min(8).max(200).openapi({ example: "5d0f3c1e-6a1d-4c1e-b7f5-5b8f1c7d2a10" }),
});

export const SessionInput = z
  .object({
    startsAt: Instant,
    endsAt: Instant,
    place: text(200).optional(),
    onlineUrl: z
      .url({ protocol: /^https?$/ })
      .max(500)
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (Date.parse(s.endsAt) <= Date.parse(s.startsAt))
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must be after startsAt" });
    if (!s.place && !s.onlineUrl)
      ctx.addIssue({ code: "custom", path: ["place"], message: "give a place or an onlineUrl" });
  })
  .openapi("TrainingSessionInput");

/** A stable short code: answers are keyed by it. */
const QuestionId = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, "a short code: lower-case letters, digits, _ (at most 32)");

export const QuestionInput = z
  .object({
    id: QuestionId,
    type: z.enum(QUESTION_TYPES.codes),
    label: z.object({ zh: text(300), en: text(300) }),
    options: z.array(text(100)).max(50).optional(),
    required: z.boolean().default(false),
    maxLength: z.number().int().min(1).max(5000).optional(),
  })
  .superRefine((q, ctx) => {
    const choice = q.type === "single" || q.type === "multiple";
    if (choice) {
      if (!q.options || q.options.length < 2)
        ctx.addIssue({ code: "custom", path: ["options"], message: "a choice needs at least 2 options" });
      else if (new Set(q.options).size !== q.options.length)
        ctx.addIssue({ code: "custom", path: ["options"], message: "options must be unique" });
    } else if (q.options !== undefined)
      ctx.addIssue({ code: "custom", path: ["options"], message: `a ${q.type} question has no options` });
    if (q.maxLength !== undefined && q.type !== "text")
      ctx.addIssue({ code: "custom", path: ["maxLength"], message: "only a text question has a maxLength" });
  })
  .openapi("TrainingQuestionInput");

const Questions = z
  .array(QuestionInput)
  .max(50)
  .superRefine((qs, ctx) => {
    const seen = new Set<string>();
    qs.forEach((q, i) => {
      if (seen.has(q.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: "duplicate question id" });
      seen.add(q.id);
    });
  });

/**
 * Invited institutions with optional seat quotas. A quota is a ceiling for that institution inside the
 * total capacity: quotas may add up to more than the capacity (first come, first served among them),
 * each at most the capacity.
 */
export const InvitationsInput = z
  .object({
    orgIds: z.array(Id).max(100).default([]),
    quotas: z.record(Id, z.number().int().min(0).max(100_000)).default({}),
  })
  .superRefine((v, ctx) => {
    const ids = new Set<string>();
    v.orgIds.forEach((o, i) => {
      if (ids.has(o)) ctx.addIssue({ code: "custom", path: ["orgIds", i], message: "listed twice" });
      ids.add(o);
    });
    for (const o of Object.keys(v.quotas))
      if (!ids.has(o))
        ctx.addIssue({
          code: "custom",
          path: ["quotas", o],
          message: "a quota for an institution not in orgIds",
        });
  })
  .openapi("TrainingInvitationsInput");

const Common = {
  title: text(200),
  description: text(5000).optional(),
  hours: Hours.default(0),
  capacity: z.number().int().min(1).max(100_000).optional(),
  opensAt: Instant.optional(),
  closesAt: Instant.optional(),
  modifyUntil: Instant.optional(),
  approvalRequired: z.boolean().default(false),
  offerHours: z.number().int().min(1).max(720).default(48),
  questions: Questions.default([]),
};

/** Rules across fields (window order, deadlines before the first session, quotas within capacity). */
function crossChecks(
  v: {
    capacity?: number | null;
    opensAt?: string | null;
    closesAt?: string | null;
    modifyUntil?: string | null;
    sessions?: { startsAt: string }[];
    invitations?: { quotas: Record<string, number> };
  },
  ctx: z.RefinementCtx,
) {
  if (v.opensAt && v.closesAt && Date.parse(v.opensAt) >= Date.parse(v.closesAt))
    ctx.addIssue({ code: "custom", path: ["closesAt"], message: "must be after opensAt" });
  const first = v.sessions?.length ? Math.min(...v.sessions.map((s) => Date.parse(s.startsAt))) : undefined;
  if (first !== undefined) {
    if (v.modifyUntil && Date.parse(v.modifyUntil) > first)
      ctx.addIssue({
        code: "custom",
        path: ["modifyUntil"],
        message: "must not be after the first session starts",
      });
    if (v.closesAt && Date.parse(v.closesAt) > first)
      ctx.addIssue({
        code: "custom",
        path: ["closesAt"],
        message: "must not be after the first session starts",
      });
  }
  if (v.capacity && v.invitations)
    for (const [o, q] of Object.entries(v.invitations.quotas))
      if (q > v.capacity)
        ctx.addIssue({ code: "custom", path: ["invitations", "quotas", o], message: "exceeds the capacity" });
}

export const NewTraining = z
  .object({
    kind: z.enum(TRAINING_KINDS.codes),
    ...Common,
    sessions: z.array(SessionInput).min(1).max(50),
    invitations: InvitationsInput.default({ orgIds: [], quotas: {} }),
  })
  .superRefine(crossChecks)
  .openapi("NewTraining");
export type NewTrainingInput = z.infer<typeof NewTraining>;

export const TrainingPatch = z
  .object({
    title: text(200).optional(),
    description: text(5000).nullable().optional(),
    hours: Hours.optional(),
    capacity: z.number().int().min(1).max(100_000).optional(),
    opensAt: Instant.optional(),
    closesAt: Instant.optional(),
    modifyUntil: Instant.optional(),
    approvalRequired: z.boolean().optional(),
    offerHours: z.number().int().min(1).max(720).optional(),
    questions: Questions.optional(),
    /** Replaces the sessions (each gets a fresh check-in secret) while nobody has registered. */
    sessions: z.array(SessionInput).min(1).max(50).optional(),
    /** Adds institutions and sets quotas (null lifts a quota); invitations are never withdrawn here. */
    invitations: z
      .object({
        orgIds: z.array(Id).max(100).default([]),
        quotas: z.record(Id, z.number().int().min(0).max(100_000).nullable()).default({}),
      })
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (Object.keys(v).length === 0) ctx.addIssue({ code: "custom", path: [], message: "nothing to change" });
    crossChecks({ ...v, invitations: undefined }, ctx);
  })
  .openapi("TrainingPatch");
export type TrainingPatchInput = z.infer<typeof TrainingPatch>;

export const CancelInput = z.object({ reason: text(1000) }).openapi("TrainingCancel");

export const TrainingListQuery = PageQuery.extend({
  kind: z.enum(TRAINING_KINDS.codes).optional(),
  status: z.enum(TRAINING_STATUSES.codes).optional(),
  year: z.coerce
    .number()
    .int()
    .min(2000)
    .max(2100)
    .optional()
    .openapi({ description: "The year (China time) of the first session" }),
  mine: z.enum(TRAINING_ROLES.codes).optional(),
  updatedSince: updatedSince(
    "Mobile sync: only trainings changed after this instant (any offset; oldest change first)",
  ),
});

// ── Responses ─────────────────────────────────────────────────────────────────────────────────

const Org = z
  .object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) })
  .openapi("TrainingOrg");

export const SessionSchema = z
  .object({
    id: z.string(),
    position: z.number().int(),
    startsAt: z.string(),
    endsAt: z.string(),
    place: z.string().nullable(),
    onlineUrl: z.string().nullable(),
    attended: z.number().int().openapi({ description: "People recorded as attending" }),
  })
  .openapi("TrainingSession");

/** A stored question, as the registration form reads it (src/trainings/answers.ts). */
export { QuestionSchema };

export const Training = z
  .object({
    id: z.string(),
    kind: coded(TRAINING_KINDS.codes),
    status: coded(TRAINING_STATUSES.codes),
    title: z.string(),
    description: z.string().nullable(),
    hours: z.number().openapi({ example: 3.5 }),
    capacity: z.number().int().nullable(),
    organiser: Org,
    coOrganiser: Org.nullable(),
    registration: z.object({
      opensAt: z.string().nullable(),
      closesAt: z.string().nullable(),
      modifyUntil: z.string().nullable(),
      approvalRequired: z.boolean(),
      offerHours: z.number().int(),
    }),
    firstStartsAt: z.string().nullable(),
    lastEndsAt: z.string().nullable(),
    sessionCount: z.number().int(),
    seriesId: z.string().nullable(),
    period: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Training");

export const Counts = z
  .object({
    confirmed: z.number().int(),
    waitlisted: z.number().int(),
    offered: z.number().int(),
    pending: z.number().int(),
  })
  .openapi("TrainingCounts");

export const TrainingDetail = Training.extend({
  sessions: z.array(SessionSchema),
  invitations: z.array(
    z.object({
      org: Org,
      quota: z.number().int().nullable(),
      seatsTaken: z
        .number()
        .int()
        .openapi({ description: "Seats its people hold: pending, confirmed, offered" }),
    }),
  ),
  questions: z.array(QuestionSchema),
  counts: Counts,
  seatsTaken: z.number().int(),
  myRegistration: z
    .object({
      id: z.string(),
      status: coded(REGISTRATION_STATUSES.codes),
      waitlistPosition: z.number().int().nullable(),
      offerExpiresAt: z.string().nullable(),
    })
    .nullable(),
  cancelReason: z.string().nullable(),
  timeline: z.array(SubjectEventSchema),
}).openapi("TrainingDetail");

export const TrainingPage = z
  .object({ items: z.array(Training), nextCursor: z.string().nullable() })
  .openapi("TrainingPage");

// ── Attendance, QR check-in, records ──────────────────────────────────────────────────────────

export const AttendanceInput = z
  .object({
    entries: z
      .array(z.object({ registrationId: Id, attended: z.boolean() }))
      .min(1)
      .max(500),
  })
  .openapi("TrainingAttendanceInput");

export const AttendanceEntry = z
  .object({
    registrationId: z.string(),
    user: z.object({ id: z.string(), name: z.string() }),
    org: z.object({ id: z.string(), name: z.string() }),
    method: coded(CHECKIN_METHODS.codes),
    checkedInAt: z.string(),
  })
  .openapi("TrainingAttendanceEntry");

export const SessionAttendance = z
  .object({ sessionId: z.string(), attendance: z.array(AttendanceEntry) })
  .openapi("TrainingSessionAttendance");

export const QrQuery = z.object({
  ttlMinutes: z.coerce.number().int().min(1).max(240).default(15).openapi({
    description: "How long the QR token is valid (minutes); show a fresh one before it runs out",
  }),
});

export const QrToken = z
  .object({
    token: z.string().openapi({ description: "A JWT (HS256) signed with this session's secret" }),
    qr: z.string().openapi({ description: "The text to encode in the QR code", example: "fjqr:…" }),
    expiresAt: z.string(),
  })
  .openapi("TrainingQrToken");

export const CheckInInput = z.object({ token: z.string().min(10).max(2000) }).openapi("TrainingCheckIn");

export const CheckInResult = z
  .object({
    sessionId: z.string(),
    registrationId: z.string(),
    method: coded(CHECKIN_METHODS.codes),
    checkedInAt: z.string(),
    alreadyCheckedIn: z.boolean(),
  })
  .openapi("TrainingCheckInResult");

export const RecordQuery = z.object({
  year: z.coerce.number().int().min(2000).max(2100).openapi({ example: 2027 }),
});

export const RecordEvent = z
  .object({
    trainingId: z.string(),
    title: z.string(),
    kind: coded(TRAINING_KINDS.codes),
    organiser: z.string(),
    sessionsAttended: z.number().int(),
    sessionsTotal: z.number().int(),
    hours: z.number(),
  })
  .openapi("TrainingRecordEvent");

export const MyRecord = z
  .object({ year: z.number().int(), events: z.array(RecordEvent), totalHours: z.number() })
  .openapi("MyTrainingRecord");

export const OrgRecordQuery = RecordQuery.extend({ orgId: Id.optional() });

export const OrgRecord = z
  .object({
    year: z.number().int(),
    org: z.object({ id: z.string(), name: z.string() }),
    people: z.array(
      z.object({
        user: z.object({ id: z.string(), name: z.string() }),
        department: z.object({ id: z.string(), name: z.string() }).nullable(),
        events: z.number().int(),
        hours: z.number(),
      }),
    ),
    totals: z.object({ people: z.number().int(), events: z.number().int(), hours: z.number() }),
  })
  .openapi("OrgTrainingRecord");
