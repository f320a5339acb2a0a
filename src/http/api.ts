// Route definition helpers: every route declares who may call it and the errors it can answer.
import { createRoute, OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { Clock, IdGen } from "../clock";
import type { Config } from "../config";
import type { Db } from "../db/client";
import { missingToken, type Verifier } from "../auth/jwt";
import type { Signer } from "../auth/signer";
import { isOperatorSubject, OperatorScope } from "../auth/operator";
import { Scope } from "../auth/scope";
import { ApiError, forbidden } from "./problem";
import { ROLES, type Role } from "../vocab";

export type Deps = {
  db: Db;
  clock: Clock;
  ids: IdGen;
  config: Config;
  verify: Verifier;
  /** Signs access tokens at login and refresh; absent without a private key (login answers 503). */
  signer?: Signer;
  /**
   * The address a request came from (login throttling): the socket's on Node, cf-connecting-ip on
   * Workers.
   */
  clientAddress?: (c: Context) => string | undefined;
  /**
   * fetch for webhook deliveries; the Node host passes one that refuses private addresses at connect
   * time.
   */
  webhookFetch?: typeof fetch;
};

export type AppEnv = {
  Variables: {
    deps: Deps;
    scope: Scope;
    /** Set instead of `scope` when a deployment operator calls a route that admits operators. */
    operator: OperatorScope | undefined;
    requestId: string;
  };
};

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ example: "not_found" }),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ in: z.string(), path: z.string(), message: z.string(), code: z.string().optional() }))
      .optional(),
  })
  .openapi("Problem");

export const LabelSchema = z
  .object({ zh: z.string(), en: z.string() })
  .openapi("Label", { example: { zh: "办公室", en: "General office" } });
export const coded = <T extends readonly [string, ...string[]]>(codes: T) =>
  z.object({ code: z.enum(codes), label: LabelSchema });

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

const STANDARD_ERRORS = {
  400: problem("Invalid input: see `errors[]`"),
  401: problem("Missing or invalid bearer token"),
  403: problem("The caller's role may not do this"),
  404: problem("Not found, or not visible to the caller"),
  500: problem("Unexpected error (no internals disclosed)"),
  503: problem("`database_busy`: the database stayed locked; nothing changed; retry after `Retry-After`"),
} as const;

export const errorResponse = problem;

/** A JSON response of a route. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** A required JSON request body. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** A tenant role, or the deployment operator (outside every jurisdiction; see src/auth/operator.ts). */
export type Access = Role | "operator";

type RouteSpec = Omit<RouteConfig, "middleware" | "security"> & {
  /**
   * Who may call the route: tenant roles and/or "operator"; "any" = any authenticated user of an
   * institution; "operator" = deployment operators only; "public" = no token.
   */
  roles: readonly Access[] | "any" | "public" | "operator";
};

/** createRoute plus authentication, role declaration (documented as x-roles) and the standard errors. */
export function defineRoute<const R extends RouteSpec>(spec: R) {
  const { roles, ...config } = spec;
  const isPublic = roles === "public";
  return createRoute({
    ...config,
    responses: {
      ...(isPublic ? { 500: STANDARD_ERRORS[500], 503: STANDARD_ERRORS[503] } : STANDARD_ERRORS),
      ...config.responses,
    },
    ...(isPublic
      ? {}
      : {
          security: [{ bearer: [] }],
          middleware: [authenticate(roles)] as const,
          "x-roles": roles === "any" ? ROLES.codes : roles === "operator" ? ["operator"] : roles,
        }),
  } as RouteConfig) as unknown as R;
}

function authenticate(roles: readonly Access[] | "any" | "operator"): MiddlewareHandler<AppEnv> {
  const admitsOperator = roles === "operator" || (roles !== "any" && roles.includes("operator"));
  const tenantRoles =
    roles === "any" ? "any" : roles === "operator" ? [] : roles.filter((r): r is Role => r !== "operator");
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (!header) throw missingToken();
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m)
      throw new ApiError(401, "auth_scheme_unsupported", "Authorization must be 'Bearer <token>'.", {
        headers: { "www-authenticate": 'Bearer error="invalid_request"' },
      });
    const deps = c.get("deps");
    const subject = await deps.verify(m[1]!);
    // Operators and tenants never cross: an operator sees no tenant's data through a tenant route,
    // and no tenant role reaches an operator route.
    if (isOperatorSubject(subject)) {
      if (!admitsOperator)
        throw forbidden(
          "Deployment operators act outside every jurisdiction: this route is for institutions.",
        );
      c.set("operator", new OperatorScope(deps.db, subject));
    } else {
      if (tenantRoles !== "any" && tenantRoles.length === 0)
        throw forbidden("Only deployment operators may do this.");
      c.set("scope", new Scope(deps.db, subject, tenantRoles));
    }
    await next();
  };
}

export function newRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

const validationHook = (result: { success: boolean; error?: unknown; target: string }) => {
  if (result.success) return;
  const issues = (result.error as z.ZodError).issues;
  throw new ApiError(400, "validation_failed", "The request has invalid fields.", {
    // An unknown field (a strict body) is named in the path, one entry per field, like any other.
    errors: issues.flatMap((i) =>
      (i.code === "unrecognized_keys" ? i.keys.map((k) => [...i.path, k]) : [i.path]).map((path) => ({
        in: result.target,
        path: path.join("."),
        message:
          i.code === "unrecognized_keys"
            ? `not a field of this request: "${String(path.at(-1))}"`
            : i.message,
        code: i.code,
      })),
    ),
  });
};

/** Cursor pagination query parameters shared by every list route. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ example: 50 }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: "Opaque cursor from the previous page's `nextCursor`." }),
});

/** Turns `limit + 1` fetched rows into a page: the extra row only says that there is a next page. */
export function paginate<T>(rows: T[], limit: number, cursorOf: (row: T) => string) {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? cursorOf(items[items.length - 1]!) : null };
}

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** A list cursor: the last row's sort key and id, opaque to clients. */
export const encodeCursor = (k: [string, string]) => btoa(JSON.stringify(k)).replace(/=+$/, "");

/**
 * Decodes a cursor of `encodeCursor`; `validKey` checks its sort key (a key of the wrong shape would
 * reach SQL as a bad value). Anything else is 400 `validation_failed` on `cursor`.
 */
export function decodeCursor(c: string, validKey: (key: string) => boolean = () => true): [string, string] {
  try {
    const v = JSON.parse(atob(c));
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "string") && validKey(String(v[0])))
      return v as [string, string];
  } catch {}
  throw new ApiError(400, "validation_failed", "The request has invalid fields.", {
    errors: [{ in: "query", path: "cursor", message: "not a cursor from this API" }],
  });
}

/** SHA-256 of a text, hex: the request hash that tells an Idempotency-Key's retry from a reuse. */
export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
