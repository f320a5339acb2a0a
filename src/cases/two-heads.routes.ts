// HTTP routes of two-heads hearings (两长同庭): nominate (opens both heads' co-signature round),
// schedule once approved, record the outcome after the hearing, cancel; list per year; detail with
// the round and the timeline. Signing is the co-signature's (POST /v1/cosignatures/{id}/sign).
// One database round trip per request; another pair's nomination is 404.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { chinaDate } from "../calendar/calendar.engine";
import { toCosign } from "../cosign/cosign";
import { SubjectEventSchema, type SubjectEventRow, toSubjectEvent } from "../events/events";
import {
  type AppEnv,
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
  pageOf,
} from "../http/api";
import { ApiError, conflict } from "../http/problem";
import { CosignOrNull, IdempotencyHeader, updatedSince } from "../meetings/meetings.schemas";
import { ORG_KINDS, TWO_HEADS_STATUSES } from "../vocab";
import {
  byKey,
  cancel,
  getHearing,
  type HearingRow,
  hearingTimeline,
  linkProbe,
  listHearings,
  type NominationInput,
  nominate,
  readHearings,
  recordOutcome,
  schedule,
  TWO_HEADS_ACTORS,
} from "./two-heads";
import { NO_CONTROL, NO_CONTROL_MESSAGE } from "./text";

const tags = ["Two-heads hearings"];

// ── Schemas ───────────────────────────────────────────────────────────────────────────────────

const Id = z.string().min(1).max(64);
const Params = z.object({ id: Id });
const text = (max: number) => z.string().trim().min(1).max(max).regex(NO_CONTROL, NO_CONTROL_MESSAGE);
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
  .refine((d) => {
    const at = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().startsWith(d);
  }, "no such day")
  .openapi({ example: "2026-10-20" });
/** An instant with an explicit offset in the years 2000–2100; stored as UTC ISO. */
const Instant = z.iso
  .datetime({ offset: true })
  .refine((v) => {
    const at = Date.parse(v);
    return at >= Date.parse("2000-01-01T00:00:00+08:00") && at < Date.parse("2101-01-01T00:00:00+08:00");
  }, "must be in the years 2000–2100 (China time)")
  .openapi({ example: "2026-10-20T09:30:00+08:00" });

const NominationSchema = z
  .object({
    caseNumber: text(100).openapi({ example: "(2026)示0102刑初88号" }),
    caseTitle: text(200).openapi({ example: "某公司非法占用农用地案" }),
    reason: text(4000).openapi({
      description: "Why the case suits both heads appearing in the same hearing",
    }),
    documentId: Id.nullish().openapi({ description: "A supervision document the caller sees" }),
    caseRecordId: Id.nullish().openapi({ description: "A shared case record the caller sees" }),
  })
  .strict()
  .openapi("TwoHeadsNomination");

const HearingSchema = z
  .object({
    id: z.string(),
    status: coded(TWO_HEADS_STATUSES.codes),
    caseNumber: z.string(),
    caseTitle: z.string(),
    reason: z.string(),
    documentId: z.string().nullable(),
    caseRecordId: z.string().nullable(),
    year: z
      .number()
      .int()
      .openapi({ description: "The year of the nomination (China time): lists go by it" }),
    hearingAt: z.string().nullable().openapi({ description: "UTC ISO instant, once scheduled" }),
    place: z.string().nullable(),
    outcome: z.string().nullable(),
    outcomeOn: z.string().nullable(),
    nominatedBy: z.object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) }),
    createdBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    cosignature: CosignOrNull.openapi({ description: "Both heads' approval round (the latest)" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("TwoHeadsHearing");

const HearingDetail = HearingSchema.extend({ timeline: z.array(SubjectEventSchema) }).openapi(
  "TwoHeadsHearingDetail",
);

function toHearing(r: HearingRow): z.infer<typeof HearingSchema> {
  return {
    id: r.id,
    status: TWO_HEADS_STATUSES.item(r.status),
    caseNumber: r.caseNumber,
    caseTitle: r.caseTitle,
    reason: r.reason,
    documentId: r.documentId,
    caseRecordId: r.caseRecordId,
    year: r.year,
    hearingAt: r.hearingAt,
    place: r.place,
    outcome: r.outcome,
    outcomeOn: r.outcomeOn,
    nominatedBy: { ...r.nominatedBy, kind: ORG_KINDS.item(r.nominatedBy.kind) },
    createdBy: r.createdBy,
    cosignature: r.cosignature ? toCosign(r.cosignature) : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

const invalid = (path: string, message: string, code: string) =>
  new ApiError(400, "validation_failed", "The request has invalid fields.", {
    errors: [{ in: "json", path, message, code }],
  });

/** Why a change did not apply, from the nomination as it is now. */
function refusal(r: HearingRow, action: "schedule" | "outcome" | "cancel", now: string): ApiError {
  const s = r.status;
  if (s === "cancelled") return conflict("cancelled", "The nomination was cancelled.");
  if (s === "rejected") return conflict("rejected", "The heads did not approve the nomination.");
  if (s === "held") return conflict("already_held", "The hearing has been held; its record is final.");
  if (action === "schedule" && s === "pending_approval")
    return conflict("not_approved", "The hearing is scheduled once both heads have approved it.");
  if (action === "schedule")
    return conflict(
      "schedule_changed",
      r.hearingAt
        ? `The hearing is now at ${r.hearingAt}: name it in \`replaces\` to move it.`
        : "The hearing is not scheduled yet: omit `replaces`.",
    );
  if (action === "outcome") {
    if (s !== "scheduled")
      return conflict("not_scheduled", "The outcome is recorded after the hearing: schedule it first.");
    if (r.hearingAt && r.hearingAt > now)
      return conflict("not_yet_held", `The hearing is at ${r.hearingAt}; record its outcome afterwards.`);
    return invalid("outcomeOn", "must be on or after the hearing's day (China time)", "before_hearing");
  }
  return conflict("concurrent_change", "The nomination changed while this request ran; reload it and retry.");
}

/**
 * The one batch of a change: its statements, the nomination after it and its timeline. Applied
 * exactly when the change's own timeline entry exists; otherwise explained by `refusal`.
 */
async function answerChange(
  c: Context<AppEnv>,
  id: string,
  statements: readonly unknown[],
  action: "schedule" | "outcome" | "cancel",
  eventId: string,
  wanted?: { hearingAt: string; place: string },
) {
  const scope = c.var.scope;
  const n = statements.length;
  const { results } = await scope.run(
    [...(statements as never[]), getHearing(scope, sql`${id}`), hearingTimeline(scope, sql`${id}`)] as never,
    (r) => ((r as unknown[])[n] as unknown[]).length > 0,
  );
  const rs = results as unknown[];
  const row = readHearings(rs[n] as { j: string }[])[0]!;
  const events = rs[n + 1] as SubjectEventRow[];
  const body = { ...toHearing(row), timeline: events.map(toSubjectEvent) };
  if (events.some((e) => e.id === eventId)) return c.json(body, 200);
  // Scheduled already at this date and place (a repeat, or the move someone else just made): no-op.
  if (
    wanted &&
    row.status === "scheduled" &&
    row.hearingAt === wanted.hearingAt &&
    row.place === wanted.place
  )
    return c.json(body, 200);
  throw refusal(row, action, c.var.deps.clock.now().toISOString());
}

// ── Routes ────────────────────────────────────────────────────────────────────────────────────

export const twoHeadsRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/two-heads-hearings",
      tags,
      summary: "Nominate a case for both heads to appear in one hearing (opens their approval round)",
      description:
        "Either institution of the pair. The round's parties are the `leader` of the court and of the " +
        "procuratorate (the president and the chief procurator sign as leaders); both signing approves " +
        "it, a refusal rejects it. Idempotent by `Idempotency-Key` (same body → 200 with the first " +
        "nomination; another body → 409 `idempotency_key_reused`).",
      roles: TWO_HEADS_ACTORS,
      request: { headers: IdempotencyHeader, body: jsonBody(NominationSchema) },
      responses: {
        201: jsonResponse(HearingDetail, "Nominated: `cosignature` is the heads' open round"),
        200: jsonResponse(HearingDetail, "A retry: the first attempt's nomination"),
        409: errorResponse("`idempotency_key_reused`"),
      },
    }),
    async (c) => {
      const { deps, scope } = c.var;
      const input = c.req.valid("json") as NominationInput;
      const key = c.req.valid("header")["idempotency-key"];
      const id = deps.ids();
      const now = deps.clock.now();
      const hash = await sha256(JSON.stringify(input));
      const statements = nominate(scope, {
        id,
        key,
        hash,
        year: Number(chinaDate(now).slice(0, 4)),
        now: now.toISOString(),
        roundId: deps.ids(),
        input,
      });
      const n = statements.length;
      const { results } = await scope.run([
        ...statements,
        getHearing(scope, byKey(scope, key)),
        hearingTimeline(scope, byKey(scope, key)),
        linkProbe(scope, input),
      ] as never);
      const rs = results as unknown[];
      const [row] = readHearings(rs[n] as { j: string }[]);
      if (!row) {
        const [links] = rs[n + 2] as { documentOk: number; caseRecordOk: number }[];
        if (!links?.documentOk) throw invalid("documentId", "not a document you can see", "not_visible");
        if (!links?.caseRecordOk)
          throw invalid("caseRecordId", "not a case record you can see", "not_visible");
        throw conflict("concurrent_change", "The nomination could not be made; retry.");
      }
      if (row.id !== id && row.requestHash !== hash)
        throw conflict("idempotency_key_reused", "This Idempotency-Key was used for a different nomination.");
      if (row.id !== id) c.header("Idempotent-Replayed", "true");
      c.header("Location", `/v1/two-heads-hearings/${row.id}`);
      const timeline = (rs[n + 1] as SubjectEventRow[]).map(toSubjectEvent);
      return c.json({ ...toHearing(row), timeline }, row.id === id ? 201 : 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/two-heads-hearings",
      tags,
      summary: "The pair's two-heads hearings, per year of nomination, in update order",
      description: "Cursor-paginated, oldest change first; `updatedSince` for mobile sync.",
      roles: "any",
      request: {
        query: z.object({
          year: z.coerce.number().int().min(2000).max(2100).optional().openapi({ example: 2026 }),
          status: z.enum(TWO_HEADS_STATUSES.codes).optional(),
          updatedSince: updatedSince("Only nominations changed after this instant (any offset)"),
          ...PageQuery.shape,
        }),
      },
      responses: {
        200: jsonResponse(pageOf(HearingSchema), "A page of nominations"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const { items: rows } = await scope.list<HearingRow>(
        listHearings(scope, {
          ...q,
          after: q.cursor ? decodeCursor(q.cursor, (k) => Number.isFinite(Date.parse(k))) : undefined,
        }),
      );
      const { items, nextCursor } = paginate(rows, q.limit, (r) => encodeCursor([r.updatedAt, r.id]));
      return c.json({ items: items.map(toHearing), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/two-heads-hearings/{id}",
      tags,
      summary: "One nomination with the heads' round and its timeline",
      roles: "any",
      request: { params: Params },
      responses: { 200: jsonResponse(HearingDetail, "The nomination") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const id = sql`${c.req.valid("param").id}`;
      const {
        results: [rows, events],
      } = await scope.run([getHearing(scope, id), hearingTimeline(scope, id)], ([r]) => r.length > 0);
      return c.json({ ...toHearing(readHearings(rows)[0]!), timeline: events.map(toSubjectEvent) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/two-heads-hearings/{id}/schedule",
      tags,
      summary: "Set (or move) the hearing's date and place: once approved, until it is held",
      description:
        "Optimistic: a move names the `hearingAt` it replaces (`replaces`); if the hearing was " +
        "scheduled or moved meanwhile it is 409 `schedule_changed` and nothing changes. The same date " +
        "and place again answers 200 and changes nothing (no new timeline entry).",
      roles: TWO_HEADS_ACTORS,
      request: {
        params: Params,
        body: jsonBody(
          z
            .object({
              hearingAt: Instant,
              place: text(200).openapi({ example: "示范区人民法院第一法庭" }),
              replaces: Instant.nullish().openapi({
                description:
                  "The `hearingAt` this one replaces, as last read (omit or null for the first " +
                  "schedule): moving a hearing someone else moved meanwhile is 409 `schedule_changed`",
                example: "2026-10-19T09:30:00+08:00",
              }),
            })
            .strict()
            .openapi("TwoHeadsSchedule"),
        ),
      },
      responses: {
        200: jsonResponse(HearingDetail, "Scheduled"),
        409: errorResponse("`schedule_changed`, `not_approved`, `already_held`, `rejected` or `cancelled`"),
      },
    }),
    async (c) => {
      const { deps, scope } = c.var;
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const now = deps.clock.now().toISOString();
      const hearingAt = new Date(body.hearingAt).toISOString();
      if (hearingAt <= now) throw invalid("hearingAt", "must be in the future", "not_future");
      const replaces = body.replaces ? new Date(body.replaces).toISOString() : null;
      const eventId = deps.ids();
      const statements = schedule(scope, { id, eventId, now, hearingAt, place: body.place, replaces });
      return answerChange(c, id, statements, "schedule", eventId, { hearingAt, place: body.place }) as never;
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/two-heads-hearings/{id}/outcome",
      tags,
      summary: "Record the outcome after the hearing (→ held)",
      roles: TWO_HEADS_ACTORS,
      request: {
        params: Params,
        body: jsonBody(
          z
            .object({
              outcome: text(20_000).openapi({ example: "当庭宣判,被告人认罪认罚……" }),
              outcomeOn: Day.openapi({
                description: "On or after the hearing's day, not after today (China time)",
              }),
            })
            .strict()
            .openapi("TwoHeadsOutcome"),
        ),
      },
      responses: {
        200: jsonResponse(HearingDetail, "Held, with its outcome"),
        409: errorResponse("`not_scheduled`, `not_yet_held`, `already_held`, `rejected` or `cancelled`"),
      },
    }),
    async (c) => {
      const { deps, scope } = c.var;
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const now = deps.clock.now();
      if (body.outcomeOn > chinaDate(now))
        throw invalid("outcomeOn", "must not be in the future", "not_past");
      const eventId = deps.ids();
      const statements = recordOutcome(scope, { id, eventId, now: now.toISOString(), ...body });
      return answerChange(c, id, statements, "outcome", eventId) as never;
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/two-heads-hearings/{id}/cancel",
      tags,
      summary: "Cancel a nomination before the hearing is held (withdraws an open approval round)",
      roles: TWO_HEADS_ACTORS,
      request: {
        params: Params,
        body: jsonBody(
          z
            .object({ reason: text(2000) })
            .strict()
            .openapi("TwoHeadsCancellation"),
        ),
      },
      responses: {
        200: jsonResponse(HearingDetail, "Cancelled"),
        409: errorResponse("`already_held`, `rejected` or `cancelled`"),
      },
    }),
    async (c) => {
      const { deps, scope } = c.var;
      const { id } = c.req.valid("param");
      const eventId = deps.ids();
      const statements = cancel(scope, {
        id,
        eventId,
        now: deps.clock.now().toISOString(),
        reason: c.req.valid("json").reason,
        ids: deps.ids,
      });
      return answerChange(c, id, statements, "cancel", eventId) as never;
    },
  );
