// HTTP routes of co-signatures (会签): the caller's institution's rounds, one round with its timeline,
// and a party's signature or refusal. Whatever the round is about (minutes, a special meeting, a
// rotation change …), signing goes through here (ADR 0008).
import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { getSubjectTimeline, SubjectEventSchema, toSubjectEvent } from "../events/events";
import {
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  newRouter,
  PageQuery,
  type AppEnv,
} from "../http/api";
import { COSIGN_STATUSES, COSIGN_SUBJECTS } from "../vocab";
import { type CosignRow, CosignSchema, decide, getCosign, listCosigns, toCosign } from "./cosign";
import { COSIGN_HOOKS } from "./hooks";

const tags = ["Co-signatures"];
const Params = z.object({ id: z.string().min(1).max(64) });

const ListQuery = PageQuery.extend({
  status: z
    .union([z.enum(COSIGN_STATUSES.codes), z.array(z.enum(COSIGN_STATUSES.codes))])
    .optional()
    .transform((s) => (s === undefined ? undefined : Array.isArray(s) ? s : [s]))
    .openapi({ description: "Only rounds in these states (repeat the parameter for several)" }),
  subjectType: z.enum(COSIGN_SUBJECTS.codes).optional(),
  awaiting: z.enum(["me"]).optional().openapi({
    description: "`me`: open rounds whose signature is yours to give (your institution, your role)",
  }),
  updatedSince: z.iso
    .datetime({ offset: true })
    // Compared as its `toISOString()`: a year outside 0000–9999 UTC would not compare as an instant.
    .refine((v) => /^\d{4}-/.test(new Date(v).toISOString()), "must be in the years 0000–9999 (UTC)")
    .optional()
    .openapi({
      description: "Only rounds changed after this instant, oldest change first (synchronisation)",
    }),
});

const CosignDetail = CosignSchema.extend({ timeline: z.array(SubjectEventSchema) }).openapi(
  "CosignatureDetail",
);

const SignInput = z
  .object({
    note: z.string().trim().min(1).max(2000).optional(),
    contentHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional()
      .openapi({
        description: "The hash of the content you read; refused (409 content_changed) if it differs",
      }),
  })
  .openapi("CosignSignInput");

const RefuseInput = z
  .object({
    reason: z.string().trim().min(1).max(2000).openapi({ example: "第三项措施的期限过短,请修改后再提交。" }),
  })
  .openapi("CosignRefuseInput");

const DECIDE_ERRORS = {
  403: errorResponse("Your institution is a party but you do not hold its signing role"),
  409: errorResponse(
    "`already_decided` (your institution signed or refused already), `round_closed` (signed or refused " +
      "by the other side, or withdrawn with its subject), `content_changed` (the hash you sent is not the round's)",
  ),
};

/**
 * A zero-length body is no body. Many HTTP clients send `Content-Type: application/json` with an
 * empty body; on a route whose body is optional that means "no body", not malformed JSON. Runs
 * before the route's validator: an empty body is dropped with its content type (the validator then
 * takes the body as absent); any other body goes on untouched (read once, cached by the request).
 */
const emptyBodyIsNoBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header("content-type") && (await c.req.text()) === "") {
    const headers = new Headers(c.req.raw.headers);
    headers.delete("content-type");
    headers.delete("content-length");
    c.req.raw = new Request(c.req.raw.url, { method: c.req.raw.method, headers, signal: c.req.raw.signal });
  }
  await next();
};

const router = newRouter();
// The routes whose body is optional (registered before them, so it runs before their validators).
router.use("/v1/cosignatures/:id/sign", emptyBodyIsNoBody);

export const cosignRoutes = router
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/cosignatures",
      tags,
      summary: "Your institution's co-signature rounds (filter `awaiting=me` for those waiting on you)",
      roles: "any",
      request: { query: ListQuery },
      responses: {
        200: jsonResponse(
          z.object({ items: z.array(CosignSchema), nextCursor: z.string().nullable() }),
          "A page of rounds: most recently changed first, or oldest change first with `updatedSince`",
        ),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const { items: rows } = await scope.list<CosignRow>(
        listCosigns(scope, {
          status: q.status,
          subjectType: q.subjectType,
          awaitingMe: q.awaiting === "me",
          updatedSince: q.updatedSince ? new Date(q.updatedSince).toISOString() : undefined,
          after: q.cursor ? decodeCursor(q.cursor) : undefined,
          limit: q.limit,
        }),
      );
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      const nextCursor = rows.length > q.limit && last ? encodeCursor([last.updatedAt, last.id]) : null;
      return c.json({ items: items.map(toCosign), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/cosignatures/{id}",
      tags,
      summary: "One round: its parties, who signed or refused and when, and its timeline",
      roles: "any",
      request: { params: Params },
      responses: { 200: jsonResponse(CosignDetail, "The round") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const {
        results: [rows, events],
      } = await scope.run(
        [getCosign(scope, id), getSubjectTimeline(scope, "cosignature", id)],
        ([r]) => r[0],
      );
      const row = JSON.parse(rows[0]!.j) as CosignRow;
      return c.json({ ...toCosign(row), timeline: events.map(toSubjectEvent) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/cosignatures/{id}/sign",
      tags,
      summary: "Sign for your institution (a user of a party holding the party's role)",
      description:
        "The last party's signature completes the round: the subject takes effect in the same request " +
        "(e.g. signed minutes become action items) and is locked. A decision is final: a retry answers " +
        "409 `already_decided` and changes nothing. The body is optional (a zero-length body, also with " +
        "`Content-Type: application/json`, is no body).",
      roles: "any",
      request: {
        params: Params,
        body: { required: false, content: { "application/json": { schema: SignInput } } },
      },
      responses: { 200: jsonResponse(CosignSchema, "The round after your signature"), ...DECIDE_ERRORS },
    }),
    async (c) => {
      const body = (c.req.valid("json") ?? {}) as z.infer<typeof SignInput>;
      const row = await decide(
        c.var.deps,
        c.var.scope,
        c.req.valid("param").id,
        { kind: "sign", note: body.note, contentHash: body.contentHash },
        COSIGN_HOOKS,
      );
      return c.json(toCosign(row), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/cosignatures/{id}/refuse",
      tags,
      summary: "Refuse for your institution, with a reason: the round ends (the subject may be resubmitted)",
      roles: "any",
      request: { params: Params, body: jsonBody(RefuseInput) },
      responses: { 200: jsonResponse(CosignSchema, "The round, refused"), ...DECIDE_ERRORS },
    }),
    async (c) => {
      const row = await decide(
        c.var.deps,
        c.var.scope,
        c.req.valid("param").id,
        { kind: "refuse", reason: c.req.valid("json").reason },
        COSIGN_HOOKS,
      );
      return c.json(toCosign(row), 200);
    },
  );
