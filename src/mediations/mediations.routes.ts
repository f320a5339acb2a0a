// HTTP routes of joint mediations of retried cases (共同调解, S3.1.3): opening one on a supervision
// document whose reply recorded a retrial, participants each side adds of its own, sessions, the
// outcome. Each route is one database round trip; an outsider (another pair, the level above) gets 404.
import { z } from "@hono/zod-openapi";
import { IsoDate } from "../documents/documents.schemas";
import { today } from "../documents/documents.service";
import {
  getSubjectTimeline,
  SubjectEventSchema,
  type SubjectEventRow,
  toSubjectEvent,
} from "../events/events";
import {
  coded,
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  newRouter,
  sha256,
  paginate,
  PageQuery,
} from "../http/api";
import { ApiError } from "../http/problem";
import { IdempotencyHeader, updatedSince } from "../meetings/meetings.schemas";
import { usersOfMine } from "../research/research";
import { DOC_TYPES, MEDIATION_OUTCOMES, MEDIATION_STATUSES, ORG_KINDS } from "../vocab";
import {
  ATTENDEE_SIDES,
  addParticipants,
  concludeMediation,
  documentProbe,
  eventExists,
  getMediation,
  listMediations,
  MEDIABLE_TYPES,
  MEDIATION_PROBLEMS,
  MEDIATION_ROLES,
  type MediationProblem,
  type MediationRow,
  mediationRows,
  NEEDS_SESSION,
  openMediation,
  PARTICIPANT_ROLES,
  recordSession,
  type SessionRow,
  timelineByKey,
} from "./mediations";

const tags = ["Joint mediation"];

const refuse = (code: MediationProblem, detail: string, extra: Record<string, unknown> = {}) =>
  new ApiError(409, code, detail, { label: MEDIATION_PROBLEMS.label(code), ...extra });
const invalid = (errors: { path: string; message: string; code: string }[]) =>
  new ApiError(400, "validation_failed", "The request has invalid fields.", {
    errors: errors.map((e) => ({ in: "json", ...e })),
  });

// ── Schemas ──────────────────────────────────────────────────────────────────────────────────

const Id = z.string().min(1).max(64);
const text = (max: number) => z.string().trim().min(1).max(max);
const Params = z.object({ id: Id });

const NewMediationInput = z
  .object({
    documentId: Id.openapi({
      description: "A protest, retrial suggestion or procuratorial suggestion whose reply recorded a retrial",
    }),
    participants: z
      .array(Id)
      .max(50)
      .default([])
      .openapi({ description: "Users of the caller's own institution (the caller is added as opener)" }),
    note: z.string().trim().max(2000).nullable().optional().openapi({ example: "双方当事人均同意调解" }),
  })
  .strict()
  .openapi("NewMediation");

const ParticipantsInput = z
  .object({ userIds: z.array(Id).min(1).max(50) })
  .strict()
  .openapi("MediationParticipantsInput");

const Attendee = z
  .object({
    name: text(100).openapi({ example: "张某" }),
    side: z.enum(ATTENDEE_SIDES.codes),
    userId: Id.optional().openapi({ description: "A participant of the mediation, of the side given" }),
  })
  .strict()
  .openapi("MediationAttendeeInput");

const SessionInput = z
  .object({
    heldOn: IsoDate.openapi({
      description:
        "Not in the future (China time), nor before the reply that ruled the retrial (`document.repliedOn`)",
    }),
    place: text(200).openapi({ example: "示范区人民法院第三调解室" }),
    attendees: z.array(Attendee).min(1).max(100),
    note: z.string().trim().max(4000).nullable().optional(),
  })
  .strict()
  .openapi("MediationSessionInput");

const OutcomeInputSchema = z
  .object({
    outcome: z.enum(MEDIATION_OUTCOMES.codes),
    outcomeOn: IsoDate.openapi({
      description:
        "Not in the future, nor before the reply that ruled the retrial (`document.repliedOn`) or the last session",
    }),
    note: z
      .string()
      .trim()
      .max(4000)
      .nullable()
      .optional()
      .openapi({ example: "双方达成调解协议,法院出具调解书" }),
  })
  .strict()
  .openapi("MediationOutcomeInput");

const OrgRef = z.object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) });

const SessionSchema = z
  .object({
    id: z.string(),
    heldOn: z.string(),
    place: z.string(),
    attendees: z.array(
      z.object({ name: z.string(), side: coded(ATTENDEE_SIDES.codes), userId: z.string().nullable() }),
    ),
    note: z.string().nullable(),
    recordedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    createdAt: z.string(),
  })
  .openapi("MediationSession");

const MediationSchema = z
  .object({
    id: z.string(),
    status: coded(MEDIATION_STATUSES.codes),
    document: z.object({
      id: z.string(),
      docNumber: z.string(),
      type: coded(DOC_TYPES.codes),
      title: z.string(),
      caseNumbers: z.array(z.string()),
      repliedOn: z.string().nullable().openapi({
        description: "The date of the reply that ruled the retrial: no session or outcome before it",
        example: "2026-09-01",
      }),
      href: z.string(),
    }),
    openedBy: OrgRef,
    participants: z.array(
      z.object({
        user: z.object({ id: z.string(), name: z.string().nullable() }),
        role: coded(PARTICIPANT_ROLES.codes),
        institution: OrgRef,
      }),
    ),
    sessions: z.array(SessionSchema),
    outcome: coded(MEDIATION_OUTCOMES.codes).nullable(),
    outcomeOn: z.string().nullable(),
    outcomeNote: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Mediation");

const MediationDetail = MediationSchema.extend({ timeline: z.array(SubjectEventSchema) }).openapi(
  "MediationDetail",
);

const org = (o: MediationRow["openedBy"]) => ({ id: o.id, name: o.name, kind: ORG_KINDS.item(o.kind) });

const toSession = (s: SessionRow): z.infer<typeof SessionSchema> => ({
  id: s.id,
  heldOn: s.heldOn,
  place: s.place,
  attendees: s.attendees.map((a) => ({
    name: a.name,
    side: ATTENDEE_SIDES.item(a.side),
    userId: a.userId ?? null,
  })),
  note: s.note,
  recordedBy: s.recordedBy,
  createdAt: s.createdAt,
});

function toMediation(m: MediationRow): z.infer<typeof MediationSchema> {
  return {
    id: m.id,
    status: MEDIATION_STATUSES.item(m.status),
    document: {
      id: m.document.id,
      docNumber: m.document.docNumber,
      type: DOC_TYPES.item(m.document.type as (typeof DOC_TYPES.codes)[number]),
      title: m.document.title,
      caseNumbers: m.document.caseNumbers,
      repliedOn: m.document.repliedOn,
      href: `/v1/documents/${m.document.id}`,
    },
    openedBy: org(m.openedBy),
    participants: m.participants.map((p) => ({
      user: { id: p.userId, name: p.name },
      role: PARTICIPANT_ROLES.item(p.role),
      institution: org(p.org),
    })),
    sessions: m.sessions.map(toSession),
    outcome: m.outcome ? MEDIATION_OUTCOMES.item(m.outcome) : null,
    outcomeOn: m.outcomeOn,
    outcomeNote: m.outcomeNote,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

const detail = (m: MediationRow, timeline: SubjectEventRow[]) => ({
  ...toMediation(m),
  timeline: timeline.map(toSubjectEvent),
});

const found = (rows: unknown) => (rows as unknown[]).length > 0;

/** 400 when a date is after today (China time). */
function notFuture(day: string, path: string, todayCst: string) {
  if (day > todayCst)
    throw invalid([{ path, message: `must be today (${todayCst}) or earlier`, code: "future_date" }]);
}

/** The per-item errors of user ids that are not active users of the caller's institution. */
const notMine = (ids: string[], mine: Set<string>, path: string) =>
  ids.flatMap((u, i) =>
    mine.has(u)
      ? []
      : [{ path: `${path}[${i}]`, message: "not an active user of your institution", code: "not_your_user" }],
  );

/** The 400 of a session or outcome date before the reply that ruled the retrial, if it is. */
const beforeRuling = (m: MediationRow, day: string, path: string) =>
  m.document.repliedOn && day < m.document.repliedOn
    ? [
        {
          path,
          message: `before the reply that ruled the retrial (${m.document.repliedOn})`,
          code: "before_retrial_ruling",
        },
      ]
    : [];

const concluded = () =>
  refuse("mediation_concluded", "The mediation is concluded: no session, participant or outcome changes.");

// ── Routes ───────────────────────────────────────────────────────────────────────────────────

export const mediationRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/mediations",
      tags,
      summary: "Open the joint mediation (共同调解) of a case retried on a supervision document",
      description:
        "Either institution of the document (its handlers, department heads, leaders, coordinators). " +
        "The document must be a civil or administrative protest, retrial suggestion or procuratorial " +
        "suggestion whose reply recorded that a retrial was ruled (409 `not_mediable`, `not_retried`). " +
        "One per document: a second is 409 `mediation_exists` with `mediationId`. Participants are users " +
        "of the caller's own institution (any other is a 400 naming its item). The other institution's " +
        "coordinators are told. Idempotent: a retry with the same `Idempotency-Key` returns the first " +
        "attempt's mediation with 200.",
      roles: MEDIATION_ROLES,
      request: { headers: IdempotencyHeader, body: jsonBody(NewMediationInput) },
      responses: {
        201: jsonResponse(MediationDetail, "Opened"),
        200: jsonResponse(MediationDetail, "A retry: the mediation opened by the first attempt"),
        404: errorResponse("No such document, or the caller's institution is neither of its two"),
        409: errorResponse("`not_mediable`, `not_retried`, `mediation_exists`, `idempotency_key_reused`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const input = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const participants = [...new Set(input.participants)];
      const id = deps.ids();
      const eventId = deps.ids();
      const now = deps.clock.now().toISOString();
      const hash = await sha256(
        JSON.stringify([input.documentId, [...participants].sort(), input.note ?? null]),
      );
      const { statements, byKey } = openMediation(scope, {
        id,
        key,
        hash,
        eventId,
        now,
        input: { ...input, participants },
      });
      const n = statements.length;
      const { results } = await scope.run(
        [
          ...statements,
          byKey,
          documentProbe(scope, input.documentId),
          usersOfMine(scope, participants),
          timelineByKey(scope, key),
        ],
        (r) => found(r[n]) || found(r[n + 1]),
      );
      const [mine] = mediationRows(results[n] as { j: string }[]);
      if (mine) {
        if (mine.id !== id) {
          if (mine.requestHash !== hash)
            throw refuse("idempotency_key_reused", "This Idempotency-Key was used for a different request.");
          c.header("Idempotent-Replayed", "true");
        } else c.header("Location", `/v1/mediations/${id}`);
        return c.json(detail(mine, results[n + 3] as SubjectEventRow[]), mine.id === id ? 201 : 200);
      }
      const errors = notMine(
        input.participants,
        new Set((results[n + 2] as { id: string }[]).map((u) => u.id)),
        "participants",
      );
      if (errors.length) throw invalid(errors);
      const doc = (
        results[n + 1] as { type: string; retried: number | null; mediationId: string | null }[]
      )[0]!;
      if (!(MEDIABLE_TYPES as string[]).includes(doc.type))
        throw refuse(
          "not_mediable",
          doc.type.startsWith("protest.criminal")
            ? "Criminal protests are not jointly mediated (the mechanism is for civil litigation supervision)."
            : "Only protests, retrial suggestions and procuratorial suggestions lead to a retried case.",
        );
      if (doc.retried !== 1)
        throw refuse("not_retried", "The document's reply did not record that a retrial was ruled.");
      if (doc.mediationId)
        throw refuse("mediation_exists", "The document already has a joint mediation.", {
          mediationId: doc.mediationId,
        });
      throw refuse("concurrent_change", "The mediation could not be opened; retry.");
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/mediations",
      tags,
      summary: "The joint mediations of the caller's institution (either side of their documents)",
      description: "In update order, cursor-paginated; `updatedSince` for mobile sync.",
      roles: "any",
      request: {
        query: z.object({
          status: z.enum(MEDIATION_STATUSES.codes).optional(),
          outcome: z.enum(MEDIATION_OUTCOMES.codes).optional(),
          documentId: Id.optional(),
          updatedSince: updatedSince(
            "Only mediations changed after this instant (any offset; compared as an instant).",
          ),
          ...PageQuery.shape,
        }),
      },
      responses: {
        200: jsonResponse(
          z
            .object({ items: z.array(MediationSchema), nextCursor: z.string().nullable() })
            .openapi("MediationPage"),
          "A page of mediations",
        ),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const { items: rows } = await scope.list<MediationRow>(
        listMediations(scope, {
          ...q,
          after: q.cursor ? decodeCursor(q.cursor, (k) => Number.isFinite(Date.parse(k))) : undefined,
        }),
      );
      const { items, nextCursor } = paginate(rows, q.limit, (r) => encodeCursor([r.updatedAt, r.id]));
      return c.json({ items: items.map(toMediation), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/mediations/{id}",
      tags,
      summary: "One mediation: its document, participants, sessions, outcome and timeline",
      roles: "any",
      request: { params: Params },
      responses: { 200: jsonResponse(MediationDetail, "The mediation") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const {
        results: [rows, events],
      } = await scope.run([getMediation(scope, id), getSubjectTimeline(scope, "mediation", id)], ([r]) =>
        found(r),
      );
      return c.json(detail(mediationRows(rows)[0]!, events), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/mediations/{id}/participants",
      tags,
      summary: "Add participants: each side adds its own people",
      description:
        "Every user must be an active user of the caller's own institution: any other is a 400 naming " +
        "its item, and nobody is added. Users already participants are left as they are. 409 " +
        "`mediation_concluded` once concluded.",
      roles: MEDIATION_ROLES,
      request: { params: Params, body: jsonBody(ParticipantsInput) },
      responses: {
        200: jsonResponse(MediationDetail, "The mediation with its participants"),
        409: errorResponse("`mediation_concluded`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const asked = c.req.valid("json").userIds;
      const userIds = [...new Set(asked)];
      const eventId = deps.ids();
      const now = deps.clock.now().toISOString();
      const writes = addParticipants(scope, { id, userIds, eventId, now });
      const n = writes.length;
      const { results } = await scope.run(
        [
          ...writes,
          getMediation(scope, id),
          getSubjectTimeline(scope, "mediation", id),
          usersOfMine(scope, userIds),
          eventExists(scope, eventId),
        ],
        (r) => found(r[n]),
      );
      const m = mediationRows(results[n] as { j: string }[])[0]!;
      if (!(results[n + 3] as { ok: number }[])[0]?.ok) {
        if (m.status === "concluded") throw concluded();
        const errors = notMine(
          asked,
          new Set((results[n + 2] as { id: string }[]).map((u) => u.id)),
          "userIds",
        );
        if (errors.length) throw invalid(errors);
        // Everyone named was a participant already: nothing to add.
      }
      return c.json(detail(m, results[n + 1] as SubjectEventRow[]), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/mediations/{id}/sessions",
      tags,
      summary: "Record a mediation session (date, place, attendees)",
      description:
        "For either side while the mediation is open (409 `mediation_concluded` after), held on or " +
        "after the reply that ruled the retrial (400 `before_retrial_ruling` on `heldOn`). An attendee " +
        "with a `userId` must be a participant of the side given. Idempotent: a retry with the same " +
        "`Idempotency-Key` returns the mediation with 200 and records nothing more.",
      roles: MEDIATION_ROLES,
      request: { params: Params, headers: IdempotencyHeader, body: jsonBody(SessionInput) },
      responses: {
        201: jsonResponse(MediationDetail, "Recorded: the mediation with the session"),
        200: jsonResponse(MediationDetail, "A retry: the mediation with the first attempt's session"),
        409: errorResponse("`mediation_concluded`, `idempotency_key_reused`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      notFuture(input.heldOn, "heldOn", today(deps));
      const sessionId = deps.ids();
      const { statements, byKey } = recordSession(scope, {
        mediationId: id,
        id: sessionId,
        key: c.req.valid("header")["idempotency-key"],
        eventId: deps.ids(),
        now: deps.clock.now().toISOString(),
        input,
      });
      const n = statements.length;
      const { results } = await scope.run(
        [...statements, byKey, getMediation(scope, id), getSubjectTimeline(scope, "mediation", id)],
        (r) => found(r[n + 1]),
      );
      const m = mediationRows(results[n + 1] as { j: string }[])[0]!;
      const timeline = results[n + 2] as SubjectEventRow[];
      const [k] = results[n] as { j: string; mediationId: string }[];
      if (k) {
        const s = JSON.parse(k.j) as SessionRow;
        if (s.id === sessionId) {
          c.header("Location", `/v1/mediations/${id}`);
          return c.json(detail(m, timeline), 201);
        }
        const same =
          k.mediationId === id &&
          s.heldOn === input.heldOn &&
          s.place === input.place &&
          (s.note ?? null) === (input.note ?? null) &&
          JSON.stringify(s.attendees) === JSON.stringify(input.attendees);
        if (!same)
          throw refuse("idempotency_key_reused", "This Idempotency-Key was used for a different session.");
        c.header("Idempotent-Replayed", "true");
        return c.json(detail(m, timeline), 200);
      }
      if (m.status === "concluded") throw concluded();
      const attendeeErrors = input.attendees.flatMap((a, i) => {
        if (!a.userId) return [];
        const p = m.participants.find((x) => x.userId === a.userId);
        if (!p)
          return [
            { path: `attendees[${i}].userId`, message: "not a participant", code: "not_a_participant" },
          ];
        if (p.org.kind !== a.side)
          return [
            {
              path: `attendees[${i}].side`,
              message: `the participant is of the ${p.org.kind}`,
              code: "side_mismatch",
            },
          ];
        return [];
      });
      const errors = [...beforeRuling(m, input.heldOn, "heldOn"), ...attendeeErrors];
      if (errors.length) throw invalid(errors);
      throw refuse("concurrent_change", "The session could not be recorded; retry.");
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/mediations/{id}/outcome",
      tags,
      summary: "Record the outcome and conclude the mediation",
      description:
        "For either side. `outcomeOn` is not in the future, nor before the reply that ruled the retrial " +
        "(400 `before_retrial_ruling`) or the last session (400 `before_last_session`); an agreement " +
        "or a failure needs at least one session (409 `no_sessions`); a withdrawal or a judgment does " +
        "not. After it the mediation is concluded: every change answers 409 `mediation_concluded`. " +
        "The other institution's coordinators are told.",
      roles: MEDIATION_ROLES,
      request: { params: Params, body: jsonBody(OutcomeInputSchema) },
      responses: {
        200: jsonResponse(MediationDetail, "The mediation, concluded"),
        409: errorResponse("`mediation_concluded`, `no_sessions`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      notFuture(input.outcomeOn, "outcomeOn", today(deps));
      const eventId = deps.ids();
      const change = concludeMediation(scope, { id, eventId, now: deps.clock.now().toISOString(), input });
      const n = change.statements.length;
      const { results } = await scope.run(
        [
          ...change.statements,
          getMediation(scope, id),
          getSubjectTimeline(scope, "mediation", id),
          eventExists(scope, eventId),
        ],
        (r) => found(r[n]),
      );
      const m = mediationRows(results[n] as { j: string }[])[0]!;
      if (!(results[n + 2] as { ok: number }[])[0]?.ok) {
        if (m.status === "concluded") throw concluded();
        const last = m.sessions.at(-1)?.heldOn;
        const errors = [
          ...beforeRuling(m, input.outcomeOn, "outcomeOn"),
          ...(last && input.outcomeOn < last
            ? [
                {
                  path: "outcomeOn",
                  message: `before the last session (${last})`,
                  code: "before_last_session",
                },
              ]
            : []),
        ];
        if (errors.length) throw invalid(errors);
        if (NEEDS_SESSION.includes(input.outcome) && m.sessions.length === 0)
          throw refuse("no_sessions", "An agreement or a failure needs at least one recorded session.");
        throw refuse("concurrent_change", "The mediation changed while this request ran; retry.");
      }
      return c.json(detail(m, results[n + 1] as SubjectEventRow[]), 200);
    },
  );
