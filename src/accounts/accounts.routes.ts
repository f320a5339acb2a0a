// Sign-in and sessions: login, refresh, logout, password change; disabling users; the sign-in audit.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  type AppEnv,
  defineRoute,
  errorResponse,
  jsonBody,
  jsonResponse,
  newRouter,
  PageQuery,
  pageOf,
  paginate,
} from "../http/api";
import { ApiError } from "../http/problem";
import { ROLES } from "../vocab";
import { listAuthEvents, ownOrganization, setUserActive } from "./accounts.queries";
import {
  AUTH_EVENT_CODES,
  AuthEvent,
  AuthEventQuery,
  authEventItem,
  LoginBody,
  PasswordBody,
  RefreshBody,
  TokenPair,
  UserStatus,
} from "./accounts.schemas";
import { changePassword, login, logout, refresh } from "./accounts.service";

const tags = ["Sign-in"];
const Id = z.string().min(1).max(64);
const source = (c: Context<AppEnv>) => c.var.deps.clientAddress?.(c);
/** The verified token of a route open to every account, user or operator. */
const subjectOf = (c: Context<AppEnv>) => c.var.operator?.subject ?? c.var.scope.subject;
/** Logout and password change are for every account: any user of an institution, and operators. */
const EVERY_ACCOUNT = [...ROLES.codes, "operator"] as const;
const unavailable = errorResponse("`login_unavailable`: no signing key is configured (JWT_PRIVATE_JWK)");

export const accountRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/auth/login",
      tags,
      summary: "Sign in with e-mail and password: an access token and a refresh token",
      description:
        "A wrong e-mail and a wrong password get the same 401 `invalid_credentials`. Repeated failures " +
        "per account and per source address first delay further attempts (429 `login_throttled`), " +
        "then lock them for 15 minutes (429 `login_locked`), both with `Retry-After`.",
      roles: "public",
      request: { body: jsonBody(LoginBody) },
      responses: {
        200: jsonResponse(TokenPair, "Signed in"),
        400: errorResponse("Invalid input: see `errors[]`"),
        401: errorResponse("`invalid_credentials`"),
        429: errorResponse("`login_throttled` or `login_locked`: retry after `Retry-After` seconds"),
        503: unavailable,
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      return c.json(await login(c.var.deps, { ...body, source: source(c) }), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/auth/refresh",
      tags,
      summary: "Exchange a refresh token for a new pair (the old one is used up)",
      description:
        "Presenting a refresh token a second time ends its whole session: 401 `refresh_token_reused`, " +
        "and every token of that session stops working.",
      roles: "public",
      request: { body: jsonBody(RefreshBody) },
      responses: {
        200: jsonResponse(TokenPair, "A new pair"),
        400: errorResponse("Invalid input: see `errors[]`"),
        401: errorResponse(
          "`refresh_token_invalid`, `refresh_token_reused`, `refresh_token_revoked` or `refresh_token_expired`",
        ),
        503: unavailable,
      },
    }),
    async (c) => {
      const { refreshToken } = c.req.valid("json");
      return c.json(await refresh(c.var.deps, { refreshToken, source: source(c) }), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/auth/logout",
      tags,
      summary: "End the caller's login session (idempotent)",
      roles: EVERY_ACCOUNT,
      responses: {
        204: { description: "The session is ended (or already was)" },
        409: errorResponse("`no_session`: the token belongs to no login session"),
      },
    }),
    async (c) => {
      await logout(c.var.deps, subjectOf(c), source(c));
      return c.body(null, 204);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/auth/password",
      tags,
      summary: "Change the caller's password; every other session of the account ends at once",
      description:
        "The current password is counted on the sign-in counters of the account and the source " +
        "address: a wrong one answers 403 `current_password_invalid` and is audited; once they wait or " +
        "are locked, the change answers 429 `login_throttled` / `login_locked` (with `Retry-After`), " +
        "even for the right current password.",
      roles: EVERY_ACCOUNT,
      request: { body: jsonBody(PasswordBody) },
      responses: {
        204: { description: "Changed" },
        403: errorResponse("`current_password_invalid` or `password_not_local`"),
        409: errorResponse("`password_changed_concurrently`"),
        422: errorResponse("`password_rejected`: the e-mail address, or the current password again"),
        429: errorResponse("`login_throttled` or `login_locked`: retry after `Retry-After` seconds"),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      await changePassword(c.var.deps, subjectOf(c), { ...body, source: source(c) });
      return c.body(null, 204);
    },
  );

const setActive = (active: boolean) =>
  defineRoute({
    method: "post",
    path: `/v1/users/{id}/${active ? "enable" : "disable"}`,
    tags,
    summary: active
      ? "Enable a user of the caller's organisation (admins)"
      : "Disable a user of the caller's organisation (admins): every session and token stops at once",
    roles: ["admin"],
    request: { params: z.object({ id: Id }) },
    responses: {
      200: jsonResponse(UserStatus, "The user"),
      409: errorResponse("`cannot_disable_self`"),
    },
  });

for (const active of [false, true])
  accountRoutes.openapi(setActive(active), async (c) => {
    const scope = c.var.scope;
    const { deps } = c.var;
    const userId = c.req.valid("param").id;
    const {
      principal,
      results: [, , , rows],
    } = await scope.run(
      setUserActive(scope, { userId, active, eventId: deps.ids(), at: deps.clock.now().toISOString() }),
      (r) => r[3][0],
    );
    if (principal.id === userId)
      throw new ApiError(409, "cannot_disable_self", "An admin cannot disable or enable itself.");
    return c.json(rows[0]!, 200);
  });

accountRoutes.openapi(
  defineRoute({
    method: "get",
    path: "/v1/organizations/{id}/auth-events",
    tags,
    summary: "The sign-in audit of the caller's own organisation, newest first (admins, auditors)",
    description: `Kinds: ${AUTH_EVENT_CODES.join(", ")}. Never holds password material.`,
    roles: ["admin", "auditor"],
    request: { params: z.object({ id: Id }), query: PageQuery.extend(AuthEventQuery.shape) },
    responses: { 200: jsonResponse(pageOf(AuthEvent), "A page of events") },
  }),
  async (c) => {
    const scope = c.var.scope;
    const orgId = c.req.valid("param").id;
    const q = c.req.valid("query");
    const kinds = q.kind
      ?.split(",")
      .map((k) => k.trim())
      .filter(Boolean);
    const {
      results: [, rows],
    } = await scope.run(
      [ownOrganization(scope, orgId), listAuthEvents(scope, { ...q, orgId, kinds })],
      ([org]) => org[0],
    );
    const { items, nextCursor } = paginate(rows, q.limit, (r) => r.id);
    return c.json({ items: items.map(authEventItem), nextCursor }, 200);
  },
);
