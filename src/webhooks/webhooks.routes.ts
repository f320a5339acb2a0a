// Webhook endpoints of an organisation (its administrators): register, list, change, delete, and the
// delivery log. Deliveries are signed per the Standard Webhooks spec with the endpoint's secret.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { webhookAttempts, webhookEndpoints } from "../db/schema";
import {
  defineRoute,
  errorResponse,
  newRouter,
  PageQuery,
  type Deps,
  jsonResponse,
  jsonBody,
} from "../http/api";
import { ApiError } from "../http/problem";
import { WEBHOOK_EVENT_TYPES } from "./outbox";
import { webhookUrlProblem } from "./url";

const tags = ["Webhooks"];
const EVENT_TYPES = ["*", ...WEBHOOK_EVENT_TYPES] as const;
const Id = z.object({ id: z.string().min(1).max(64) });

const Endpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.enum(EVENT_TYPES)),
    active: z.boolean(),
    consecutiveFailures: z.number().int(),
    disabledAt: z.string().nullable(),
    disabledReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookEndpoint");
const EndpointWithSecret = Endpoint.extend({
  secret: z.string().openapi({
    description: "Standard Webhooks signing secret (whsec_…): verify `webhook-signature` with it",
  }),
}).openapi("WebhookEndpointWithSecret");
const NewEndpoint = z
  .object({
    url: z.string().max(2000).openapi({ example: "https://example.gov.cn/hooks/fajian" }),
    eventTypes: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length),
    description: z.string().trim().max(500).optional(),
  })
  .openapi("NewWebhookEndpoint");
const EndpointPatch = z
  .object({
    url: z.string().max(2000).optional(),
    eventTypes: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length).optional(),
    description: z.string().trim().max(500).nullable().optional(),
    active: z
      .boolean()
      .optional()
      .openapi({ description: "true re-enables a disabled endpoint (its failure count restarts)" }),
  })
  .openapi("WebhookEndpointPatch");
const Attempt = z
  .object({
    deliveryId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    attempt: z.number().int(),
    at: z.string(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
    deliveryStatus: z.enum(["pending", "delivered", "failed"]),
    nextAttemptAt: z.string().nullable(),
  })
  .openapi("WebhookAttempt");

type Row = {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string;
  active: number;
  consecutiveFailures: number;
  disabledAt: string | null;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
  secret: string;
};
const COLUMNS = sql`e.id, e.url, e.description, e.event_types as eventTypes, e.active,
  e.consecutive_failures as consecutiveFailures,
  e.disabled_at as disabledAt, e.disabled_reason as disabledReason,
  e.created_at as createdAt, e.updated_at as updatedAt, e.secret`;
const toEndpoint = ({ secret: _s, ...r }: Row) => ({
  ...r,
  eventTypes: JSON.parse(r.eventTypes) as (typeof EVENT_TYPES)[number][],
  active: !!r.active,
});

function checkUrl(deps: Deps, url: string) {
  const problem = webhookUrlProblem(url, deps.config.ALLOW_PRIVATE_WEBHOOKS);
  if (problem)
    throw new ApiError(400, "validation_failed", "The request has invalid fields.", {
      errors: [{ in: "json", path: "url", message: problem, code: "url_refused" }],
    });
}

/** 24 random bytes, base64, with the Standard Webhooks prefix. */
function newSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

export const webhookRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/webhooks",
      tags,
      summary: "Register a webhook endpoint for the caller's organisation (admins)",
      description:
        "URLs must be https and must not point at private or loopback addresses " +
        "(unless the deployment allows it). The response carries the signing secret.",
      roles: ["admin"],
      request: { body: jsonBody(NewEndpoint) },
      responses: { 201: jsonResponse(EndpointWithSecret, "Registered") },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const deps = c.var.deps;
      checkUrl(deps, input.url);
      const scope = c.var.scope;
      const id = deps.ids();
      const now = deps.clock.now().toISOString();
      const {
        results: [, rows],
      } = await scope.run([
        scope.db.run(sql`insert into webhook_endpoints (id, jurisdiction_id, org_id, url, description, secret,
            event_types, created_by, created_at, updated_at)
          select ${id}, u_.jurisdiction_id, u_.org_id, ${input.url}, ${input.description ?? null},
            ${newSecret()}, ${JSON.stringify([...new Set(input.eventTypes)])}, u_.id, ${now}, ${now}
          from users u_ where u_.id = ${scope.me.userId} and ${scope.hasRole()}`),
        scope.db.all<Row>(
          sql`select ${COLUMNS} from webhook_endpoints e
            where e.id = ${id} and ${scope.visible(webhookEndpoints, "e")}`,
        ),
      ]);
      const row = rows[0]!;
      c.header("Location", `/v1/webhooks/${id}`);
      return c.json({ ...toEndpoint(row), secret: row.secret }, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/webhooks",
      tags,
      summary: "The organisation's webhook endpoints (admins)",
      roles: ["admin"],
      responses: { 200: jsonResponse(z.object({ items: z.array(Endpoint) }), "Endpoints") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const {
        results: [rows],
      } = await scope.run([
        scope.db.all<Row>(
          sql`select ${COLUMNS} from webhook_endpoints e where ${scope.visible(webhookEndpoints, "e")}
            order by e.created_at, e.id`,
        ),
      ]);
      return c.json({ items: rows.map(toEndpoint) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/webhooks/{id}",
      tags,
      summary: "One endpoint (admins); its signing secret is shown only on creation and rotation",
      roles: ["admin"],
      request: { params: Id },
      responses: { 200: jsonResponse(Endpoint, "The endpoint") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const {
        results: [rows],
      } = await scope.run(
        [
          scope.db.all<Row>(
            sql`select ${COLUMNS} from webhook_endpoints e
              where e.id = ${c.req.valid("param").id} and ${scope.visible(webhookEndpoints, "e")}`,
          ),
        ],
        ([r]) => r[0],
      );
      return c.json(toEndpoint(rows[0]!), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/webhooks/{id}/rotate-secret",
      tags,
      summary: "Replace an endpoint's signing secret and show the new one, once (admins)",
      description:
        "Deliveries from now on are signed with the new secret; " +
        "a receiver that lost the old one rotates instead of reading it back.",
      roles: ["admin"],
      request: { params: Id },
      responses: { 200: jsonResponse(EndpointWithSecret, "The endpoint with its new secret") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const now = c.var.deps.clock.now().toISOString();
      const {
        results: [, rows],
      } = await scope.run(
        [
          scope.db.run(
            sql`update webhook_endpoints set secret = ${newSecret()}, updated_at = ${now}
              where id = ${id} and ${scope.visible(webhookEndpoints)} and ${scope.hasRole()}`,
          ),
          scope.db.all<Row>(
            sql`select ${COLUMNS} from webhook_endpoints e
              where e.id = ${id} and ${scope.visible(webhookEndpoints, "e")}`,
          ),
        ],
        ([, r]) => r[0],
      );
      return c.json({ ...toEndpoint(rows[0]!), secret: rows[0]!.secret }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/v1/webhooks/{id}",
      tags,
      summary: "Change an endpoint's URL, event types or description, or re-enable it (admins)",
      roles: ["admin"],
      request: { params: Id, body: jsonBody(EndpointPatch) },
      responses: { 200: jsonResponse(Endpoint, "The endpoint after the change") },
    }),
    async (c) => {
      const p = c.req.valid("json");
      const deps = c.var.deps;
      if (p.url !== undefined) checkUrl(deps, p.url);
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const now = deps.clock.now().toISOString();
      const sets = [sql`updated_at = ${now}`];
      if (p.url !== undefined) sets.push(sql`url = ${p.url}`);
      if (p.eventTypes !== undefined)
        sets.push(sql`event_types = ${JSON.stringify([...new Set(p.eventTypes)])}`);
      if (p.description !== undefined) sets.push(sql`description = ${p.description}`);
      if (p.active === true)
        sets.push(sql`active = 1, consecutive_failures = 0, disabled_at = null, disabled_reason = null`);
      if (p.active === false)
        sets.push(sql`active = 0, disabled_at = ${now}, disabled_reason = 'disabled by an administrator'`);
      const {
        results: [, rows],
      } = await scope.run(
        [
          scope.db.run(
            sql`update webhook_endpoints set ${sql.join(sets, sql`, `)}
              where id = ${id} and ${scope.visible(webhookEndpoints)} and ${scope.hasRole()}`,
          ),
          scope.db.all<Row>(
            sql`select ${COLUMNS} from webhook_endpoints e
              where e.id = ${id} and ${scope.visible(webhookEndpoints, "e")}`,
          ),
        ],
        ([, r]) => r[0],
      );
      return c.json(toEndpoint(rows[0]!), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/v1/webhooks/{id}",
      tags,
      summary: "Delete an endpoint with its deliveries and log (admins)",
      roles: ["admin"],
      request: { params: Id },
      responses: { 204: { description: "Deleted" } },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const scope = c.var.scope;
      const mine = sql`(select e.id from webhook_endpoints e
        where e.id = ${id} and ${scope.visible(webhookEndpoints, "e")} and ${scope.hasRole()})`;
      await scope.run(
        [
          scope.db.all<{ id: string }>(
            sql`select e.id from webhook_endpoints e
              where e.id = ${id} and ${scope.visible(webhookEndpoints, "e")}`,
          ),
          scope.db.run(sql`delete from webhook_attempts where endpoint_id in ${mine}`),
          scope.db.run(sql`delete from webhook_deliveries where endpoint_id in ${mine}`),
          scope.db.run(sql`delete from webhook_endpoints where id in ${mine}`),
        ],
        ([r]) => r[0],
      );
      return c.body(null, 204);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/webhooks/{id}/attempts",
      tags,
      summary: "The delivery log of an endpoint: every attempt, newest first (admins)",
      roles: ["admin"],
      request: { params: Id, query: PageQuery },
      responses: {
        200: jsonResponse(
          z.object({ items: z.array(Attempt), nextCursor: z.string().nullable() }),
          "Attempts",
        ),
        400: errorResponse("Bad cursor"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const q = c.req.valid("query");
      const scope = c.var.scope;
      type A = z.infer<typeof Attempt> & { id: string };
      const after = q.cursor ? q.cursor.split("|") : null;
      if (after && after.length !== 2)
        throw new ApiError(400, "validation_failed", "The request has invalid fields.", {
          errors: [{ in: "query", path: "cursor", message: "not a cursor from this API" }],
        });
      const {
        results: [endpoint, rows],
      } = await scope.run(
        [
          scope.db.all<{ id: string }>(
            sql`select e.id from webhook_endpoints e
              where e.id = ${id} and ${scope.visible(webhookEndpoints, "e")}`,
          ),
          scope.db.all<A>(sql`select a.id, a.delivery_id as deliveryId, d.event_id as eventId,
              ev.type as eventType, a.attempt, a.at, a.status_code as statusCode, a.error,
              a.duration_ms as durationMs, d.status as deliveryStatus,
              case when d.status = 'pending' then d.next_attempt_at end as nextAttemptAt
            from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
              join webhook_events ev on ev.id = d.event_id
            where a.endpoint_id = ${id} and ${scope.visible(webhookAttempts, "a")}
              ${after ? sql` and (a.at, a.id) < (${after[0]}, ${after[1]})` : sql``}
            order by a.at desc, a.id desc limit ${q.limit + 1}`),
        ],
        ([e]) => e[0],
      );
      void endpoint;
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      return c.json(
        {
          items: items.map(({ id: _id, ...a }) => a),
          nextCursor: rows.length > q.limit && last ? `${last.at}|${last.id}` : null,
        },
        200,
      );
    },
  );
