// HTTP routes of training registration: register (self or a department's group), the lists, one
// registration with its waiting-list position and timeline, withdrawal, approval, and offers from
// the waiting list. Each route is one database round trip; a user whose institution is neither
// organising nor invited gets 404 (the trainings tenancy policy).
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { SubjectEventSchema, toSubjectEvent, type SubjectEventRow } from "../events/events";
import {
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  LabelSchema,
  newRouter,
  PageQuery,
  paginate,
} from "../http/api";
import { REGISTRATION_STATUSES } from "../vocab";
import { AnswersSchema } from "./answers";
import {
  change,
  cursorKey,
  type ChangeSpec,
  listForTraining,
  listMine,
  ORGANISER_ROLES,
  readRegistration,
  refuse,
  register,
  registerGroup,
  regRows,
  type RegistrationFilter,
  type RegistrationRow,
  trainingSeen,
  utc,
} from "./registrations";

const tags = ["Trainings"];

// ── Schemas ───────────────────────────────────────────────────────────────────────────────────────

const Ref = z.object({ id: z.string(), name: z.string() });

export const RegistrationSchema = z
  .object({
    id: z.string(),
    training: z.object({ id: z.string(), title: z.string() }),
    user: Ref,
    org: Ref,
    departmentId: z.string().nullable(),
    status: z.object({ code: z.enum(REGISTRATION_STATUSES.codes), label: LabelSchema }),
    seq: z.number().int().openapi({ description: "Arrival order within the training (1, 2, …)." }),
    position: z.number().int().nullable().openapi({
      description: "Place on the waiting list in the registrant's pool (1 = next); null unless waitlisted.",
    }),
    answers: z.record(z.string(), z.unknown()),
    registeredBy: Ref,
    offer: z.object({ offeredAt: z.string(), expiresAt: z.string() }).nullable(),
    decisionNote: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Registration");

const RegistrationDetail = RegistrationSchema.extend({ timeline: z.array(SubjectEventSchema) }).openapi(
  "RegistrationDetail",
);

const RegistrationPage = z
  .object({ items: z.array(RegistrationSchema), nextCursor: z.string().nullable() })
  .openapi("RegistrationPage");

const GroupResult = z.object({ registrations: z.array(RegistrationSchema) }).openapi("GroupRegistration");

const IdempotencyHeader = z.object({
  "idempotency-key": z.string().min(8).max(200).openapi({ example: "5d0f3c1e-6a1d-4c1e-b7f5-5b8f1c7d2a10" }),
});

const TrainingParams = z.object({ id: z.string().min(1).max(64) });
const RegistrationParams = z.object({ id: z.string().min(1).max(64) });

const RegisterInput = z.object({ answers: AnswersSchema }).openapi("RegisterInput");

const GroupInput = z
  .object({
    members: z
      .array(z.object({ userId: z.string().min(1).max(64), answers: AnswersSchema }))
      .min(1)
      .max(100)
      .refine((ms) => new Set(ms.map((m) => m.userId)).size === ms.length, {
        message: "each member once",
      }),
  })
  .openapi("GroupRegisterInput");

const ReasonInput = z.object({ reason: z.string().trim().min(1).max(500) }).openapi("RejectInput");

const ListQuery = PageQuery.extend({
  status: z
    .union([z.enum(REGISTRATION_STATUSES.codes), z.array(z.enum(REGISTRATION_STATUSES.codes))])
    .optional()
    .transform((s) => (s === undefined ? undefined : Array.isArray(s) ? s : [s])),
  updatedSince: z.string().datetime({ offset: true }).optional(),
});

// ── Mapping ───────────────────────────────────────────────────────────────────────────────────────

export function toRegistration(r: RegistrationRow) {
  return {
    id: r.id,
    training: { id: r.training.id, title: r.training.title },
    user: r.user,
    org: r.org,
    departmentId: r.departmentId,
    status: REGISTRATION_STATUSES.item(r.status),
    seq: r.seq,
    position: r.position,
    answers: r.answers,
    registeredBy: r.registeredBy,
    offer: r.offeredAt && r.offerExpiresAt ? { offeredAt: r.offeredAt, expiresAt: r.offerExpiresAt } : null,
    decisionNote: r.decisionNote,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

const toDetail = (v: { registration: RegistrationRow; timeline: SubjectEventRow[] }) => ({
  ...toRegistration(v.registration),
  timeline: v.timeline.map(toSubjectEvent),
});

/** A registration list's sort key is a seq (digits) or an instant. */
const SEQ_OR_INSTANT = (k: string) => /^\d{1,12}$/.test(k) || Number.isFinite(Date.parse(k));

// ── Routes ────────────────────────────────────────────────────────────────────────────────────────

export const registrationRoutes = newRouter();

registrationRoutes.openapi(
  defineRoute({
    method: "post",
    path: "/v1/trainings/{id}/registrations",
    tags,
    summary: "Register myself (seat, approval or waiting list decided by the database statement)",
    description:
      "The caller registers for a training their institution organises or is invited to. The status " +
      "is decided atomically: `confirmed` (or `pending` when the organiser approves registrations) when " +
      "a seat is free within the capacity and the institution's quota and nobody eligible waits ahead; " +
      "else `waitlisted`. A retry with the same Idempotency-Key answers the first result (200).",
    roles: "any",
    request: { params: TrainingParams, headers: IdempotencyHeader, body: jsonBody(RegisterInput) },
    responses: {
      201: jsonResponse(RegistrationDetail, "Registered (see `status`)"),
      200: jsonResponse(RegistrationDetail, "A retry: the first attempt's registration"),
      409: errorResponse(
        "`not_published`, `training_cancelled`, `registration_closed`, `already_registered`, `idempotency_key_reused`",
      ),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const key = c.req.valid("header")["idempotency-key"];
    const { answers } = c.req.valid("json");
    const r = await register(c.get("deps"), c.get("scope"), id, key, answers);
    return c.json(toDetail(r), r.created ? 201 : 200);
  },
);

registrationRoutes.openapi(
  defineRoute({
    method: "post",
    path: "/v1/trainings/{id}/registrations/group",
    tags,
    summary: "Register members of my department (all or nothing)",
    description:
      "A department head registers several people of their own department in one call. Any member " +
      "outside the department, already registered, or with invalid answers refuses the whole group " +
      "(per-member `errors[]`); seats are given in list order by the same rule as individuals.",
    roles: ["department_head"],
    request: { params: TrainingParams, headers: IdempotencyHeader, body: jsonBody(GroupInput) },
    responses: {
      201: jsonResponse(GroupResult, "Registered"),
      200: jsonResponse(GroupResult, "A retry: the first attempt's registrations"),
      409: errorResponse(
        "`not_published`, `training_cancelled`, `registration_closed`, `already_registered` (see errors[]), `idempotency_key_reused`",
      ),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const key = c.req.valid("header")["idempotency-key"];
    const { members } = c.req.valid("json");
    const r = await registerGroup(c.get("deps"), c.get("scope"), id, key, members);
    return c.json({ registrations: r.registrations.map(toRegistration) }, r.created ? 201 : 200);
  },
);

function filterOf(q: z.infer<typeof ListQuery>): RegistrationFilter {
  // An instant with any offset compares as UTC text with milliseconds, the stored form.
  const updatedSince = q.updatedSince && new Date(q.updatedSince).toISOString();
  return {
    status: q.status,
    updatedSince,
    limit: q.limit,
    after: q.cursor === undefined ? undefined : decodeCursor(q.cursor, SEQ_OR_INSTANT),
  };
}

registrationRoutes.openapi(
  defineRoute({
    method: "get",
    path: "/v1/trainings/{id}/registrations",
    tags,
    summary: "A training's registrations (organisers: all; an institution's heads: theirs; others: own)",
    roles: "any",
    request: { params: TrainingParams, query: ListQuery },
    responses: { 200: jsonResponse(RegistrationPage, "A page, in arrival order (or order of change)") },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const f = filterOf(c.req.valid("query"));
    const scope = c.get("scope");
    const { results } = await scope.run(
      [trainingSeen(scope, id), listForTraining(scope, id, f)] as const,
      ([t]) => t[0],
    );
    const page = paginate(regRows(results[1]), f.limit, (r) => encodeCursor(cursorKey(r, f)));
    return c.json({ items: page.items.map(toRegistration), nextCursor: page.nextCursor }, 200);
  },
);

registrationRoutes.openapi(
  defineRoute({
    method: "get",
    path: "/v1/me/registrations",
    tags,
    summary: "My registrations, with my place on each waiting list",
    roles: "any",
    request: { query: ListQuery },
    responses: { 200: jsonResponse(RegistrationPage, "A page, in order of registration") },
  }),
  async (c) => {
    const f = filterOf(c.req.valid("query"));
    const { items } = await c.get("scope").list<RegistrationRow>(listMine(c.get("scope"), f));
    const page = paginate(items, f.limit, (r) => encodeCursor(cursorKey(r, f, true)));
    return c.json({ items: page.items.map(toRegistration), nextCursor: page.nextCursor }, 200);
  },
);

registrationRoutes.openapi(
  defineRoute({
    method: "get",
    path: "/v1/registrations/{id}",
    tags,
    summary: "A registration, its waiting-list position and its timeline",
    roles: "any",
    request: { params: RegistrationParams },
    responses: { 200: jsonResponse(RegistrationDetail, "The registration") },
  }),
  async (c) => c.json(toDetail(await readRegistration(c.get("scope"), c.req.valid("param").id)), 200),
);

// ── Changes ───────────────────────────────────────────────────────────────────────────────────────

/** The status after accepting an offer: approval, where required, is still the organiser's. */
const ACCEPTED = sql`case when t_.approval_required then 'pending' else 'confirmed' end`;

const CHANGES: Record<
  string,
  {
    summary: string;
    roles: "any" | typeof ORGANISER_ROLES;
    errors: string;
    body?: boolean;
    spec: (body: { reason?: string }) => ChangeSpec;
  }
> = {
  withdraw: {
    summary:
      "Withdraw (before the modification deadline); a freed seat is offered to the next person (also allowed on a cancelled training)",
    roles: "any",
    errors: "`modification_closed`, `not_live`",
    spec: () => ({
      event: "withdrawn",
      by: "registrant",
      from: ["pending", "confirmed", "waitlisted", "offered"],
      to: sql`'withdrawn'`,
      when: (now) => sql`(t_.modify_until is null or ${now} < ${utc("t_.modify_until")})`,
      evenCancelled: true,
      frees: true,
      refuse: (_r, t) =>
        refuse(409, "modification_closed", `Registrations could be withdrawn until ${t.modifyUntil}.`),
    }),
  },
  approve: {
    summary: "Approve a registration awaiting approval (organiser)",
    roles: ORGANISER_ROLES,
    errors: "`not_pending`, `not_live`, `training_cancelled`",
    spec: () => ({
      event: "approved",
      by: "organiser",
      from: ["pending"],
      to: sql`'confirmed'`,
      notify: {
        kind: "registration.approved",
        zh: sql`'您报名的《' || t_.title || '》已通过审核'`,
        en: sql`'Your registration for “' || t_.title || '” is approved'`,
      },
      refuse: () => refuse(409, "not_pending", "Only a registration awaiting approval can be approved."),
    }),
  },
  reject: {
    summary: "Reject a registration awaiting approval (organiser), with a reason; the seat passes on",
    roles: ORGANISER_ROLES,
    errors: "`not_pending`, `not_live`, `training_cancelled`",
    body: true,
    spec: (b) => ({
      event: "rejected",
      by: "organiser",
      from: ["pending"],
      to: sql`'rejected'`,
      note: b.reason ?? null,
      frees: true,
      notify: {
        kind: "registration.rejected",
        zh: sql`'您报名的《' || t_.title || '》未通过审核'`,
        en: sql`'Your registration for “' || t_.title || '” was not approved'`,
      },
      refuse: () => refuse(409, "not_pending", "Only a registration awaiting approval can be rejected."),
    }),
  },
  "accept-offer": {
    summary: "Accept the seat offered from the waiting list, before the offer expires",
    roles: "any",
    errors: "`offer_expired`, `no_offer`, `not_live`, `training_cancelled`",
    spec: () => ({
      event: "offer_accepted",
      by: "registrant",
      from: ["offered"],
      to: ACCEPTED,
      when: (now) => sql`r_.offer_expires_at > ${now}`,
      refuse: (r, _t, now) =>
        r.status === "offered" && r.offerExpiresAt && r.offerExpiresAt <= now
          ? refuse(409, "offer_expired", `The offer expired at ${r.offerExpiresAt}.`)
          : refuse(409, "no_offer", "There is no open offer for this registration."),
    }),
  },
  "decline-offer": {
    summary: "Decline the seat offered from the waiting list; it passes on",
    roles: "any",
    errors: "`offer_expired`, `no_offer`, `not_live`, `training_cancelled`",
    spec: () => ({
      event: "offer_declined",
      by: "registrant",
      from: ["offered"],
      to: sql`'declined'`,
      when: (now) => sql`r_.offer_expires_at > ${now}`,
      frees: true,
      refuse: (r, _t, now) =>
        r.status === "offered" && r.offerExpiresAt && r.offerExpiresAt <= now
          ? refuse(409, "offer_expired", `The offer expired at ${r.offerExpiresAt}.`)
          : refuse(409, "no_offer", "There is no open offer for this registration."),
    }),
  },
};

for (const [action, def] of Object.entries(CHANGES)) {
  registrationRoutes.openapi(
    defineRoute({
      method: "post",
      path: `/v1/registrations/{id}/${action}`,
      tags,
      summary: def.summary,
      roles: def.roles,
      request: def.body
        ? { params: RegistrationParams, body: jsonBody(ReasonInput) }
        : { params: RegistrationParams },
      responses: {
        200: jsonResponse(RegistrationDetail, "The registration after the change"),
        409: errorResponse(def.errors),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param" as never) as { id: string };
      const body = def.body ? (c.req.valid("json" as never) as { reason: string }) : {};
      const deps = c.get("deps");
      const spec = def.spec(body);
      const r = await change(deps, c.get("scope"), id, spec);
      return c.json(toDetail(r), 200);
    },
  );
}
