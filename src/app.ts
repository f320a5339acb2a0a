// The application: one Hono app shared by the Worker, the Node host and the tests.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { accepts } from "hono/accepts";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { type Deps, defineRoute, errorResponse, newRouter } from "./http/api";
import { docsPage, indexPage, VIEWER_FILES, VIEWER_INIT, type ViewerAssets } from "./http/pages";
import { securityHeaders } from "./http/security";
import { ApiError, databaseBusy, isDatabaseBusy, problemResponse } from "./http/problem";
import { orgRoutes } from "./org/org.routes";
import { documentRoutes } from "./documents/documents.routes";
import { calendarRoutes } from "./calendar/calendar.routes";
import { escalationRoutes } from "./escalation/escalation.routes";
import { notificationRoutes } from "./notifications/notifications.routes";
import { webhookRoutes } from "./webhooks/webhooks.routes";
import { accountRoutes } from "./accounts/accounts.routes";
import { onboardingRoutes } from "./onboarding/onboarding.routes";
import { cosignRoutes } from "./cosign/cosign.routes";
import { seriesRoutes } from "./series/series.routes";
import { meetingRoutes } from "./meetings/meetings.routes";
import { minutesRoutes } from "./meetings/minutes.routes";
import { actionItemRoutes } from "./meetings/action-items.routes";
import { icalRoutes } from "./calendar/ical.routes";
import { researchRoutes } from "./research/research.routes";
import { trainingRoutes } from "./trainings/trainings.routes";
import { attendanceRoutes } from "./trainings/attendance";
import { registrationRoutes } from "./trainings/registrations.routes";
import { referralsRoutes } from "./exchanges/referrals.routes";
import { reportsRoutes } from "./exchanges/reports.routes";
import { riskAlertsRoutes } from "./exchanges/risk-alerts.routes";
import { mediationRoutes } from "./mediations/mediations.routes";
import { sharedCasesRoutes } from "./cases/shared-cases.routes";
import { typicalCasesRoutes } from "./cases/typical-cases.routes";
import { twoHeadsRoutes } from "./cases/two-heads.routes";
import { statisticsRoutes } from "./statistics/statistics.routes";
import { IMPORT_MAX_BYTES } from "./cases/shared-cases.routes";

export const API_INFO = {
  title: "法检协同 API",
  version: "1.0.0",
  description:
    "Court–procuratorate cooperation: supervision documents, replies and deadlines, joint meetings, trainings. " +
    "Errors are RFC 9457 problem+json with a stable `code`.",
};

const Health = z
  .object({
    status: z.literal("ok"),
    db: z.literal("ok"),
    schemaVersion: z.number().int(),
    latestMigrationAt: z.string().nullable(),
  })
  .openapi("Health");

const Index = z
  .object({ name: z.string(), version: z.string(), openapi: z.string(), docs: z.string() })
  .openapi("Index");

/** What differs between the hosts: where the viewer's files come from and how https is recognised. */
export type HostOptions = {
  /** The API reference viewer's files (see src/http/pages.ts); without it /docs/assets/* is 404. */
  viewerAssets?: ViewerAssets;
  /** How a request over https is recognised (for Strict-Transport-Security); default "from-url". */
  tls?: "from-url" | "never";
};

export function createApp(deps: Deps, host: HostOptions = {}) {
  const app = newRouter();

  app.use(securityHeaders(host.tls ?? "from-url"));
  app.use(requestId({ headerName: "X-Request-Id" }));
  app.use(async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use("/v1/*", cors({ origin: "*", exposeHeaders: ["X-Request-Id", "WWW-Authenticate"], maxAge: 600 }));
  const limit = bodyLimit({
    maxSize: deps.config.BODY_LIMIT_BYTES,
    onError: () => {
      throw new ApiError(
        413,
        "body_too_large",
        `The request body exceeds ${deps.config.BODY_LIMIT_BYTES} bytes.`,
      );
    },
  });
  // The one route that takes a file as it is exported (CSV) and a larger body: bulk import.
  const importLimit = bodyLimit({
    maxSize: Math.max(IMPORT_MAX_BYTES, deps.config.BODY_LIMIT_BYTES),
    onError: () => {
      throw new ApiError(413, "body_too_large", `An import file may have at most ${IMPORT_MAX_BYTES} bytes.`);
    },
  });
  // Bodies are JSON and bounded; reads carry none, so they skip the (costly) body wrapping.
  app.use("/v1/*", async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS") return next();
    const hasBody = c.req.header("content-length")
      ? c.req.header("content-length") !== "0"
      : !!c.req.header("transfer-encoding");
    const type = c.req.header("content-type") ?? "";
    const isImport = c.req.method === "POST" && c.req.path === "/v1/case-records/import";
    if (isImport && /^(text\/csv|application\/json)\s*(;|$)/i.test(type)) return importLimit(c, next);
    if (hasBody && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type))
      throw new ApiError(415, "unsupported_media_type", "Request bodies must be application/json.", {
        headers: { accept: "application/json" },
      });
    return limit(c, next);
  });

  app.openapi(
    defineRoute({
      method: "get",
      path: "/health",
      tags: ["System"],
      summary: "Liveness: the database answers and the schema version",
      roles: "public",
      responses: {
        200: { description: "Healthy", content: { "application/json": { schema: Health } } },
        503: errorResponse("The database is unreachable"),
      },
    }),
    async (c) => {
      let row: { n: number; latest: number | null } | undefined;
      try {
        row = await deps.db.get<{ n: number; latest: number | null }>(
          sql`select count(*) as n, max(created_at) as latest from __drizzle_migrations`,
        );
      } catch {
        throw new ApiError(503, "db_unavailable", "The database is not reachable or not migrated.");
      }
      const latest = row?.latest ? new Date(Number(row.latest)).toISOString() : null;
      return c.json(
        {
          status: "ok" as const,
          db: "ok" as const,
          schemaVersion: Number(row?.n ?? 0),
          latestMigrationAt: latest,
        },
        200,
      );
    },
  );

  app.openapi(
    defineRoute({
      method: "get",
      path: "/",
      tags: ["System"],
      summary: "API index: name, version and where the contract lives (an HTML page for a browser)",
      roles: "public",
      responses: {
        200: {
          description: "Index: JSON, or a small HTML page when the client prefers text/html",
          content: {
            "application/json": { schema: Index },
            "text/html": { schema: z.string() },
          },
        },
      },
    }),
    (c) => {
      c.header("Vary", "Accept");
      const type = accepts(c, {
        header: "Accept",
        supports: ["application/json", "text/html"],
        default: "application/json",
      });
      if (type === "text/html") return c.html(indexPage(API_INFO), 200);
      return c.json(
        { name: API_INFO.title, version: API_INFO.version, openapi: "/openapi.json", docs: "/docs" },
        200,
      );
    },
  );

  app.route("/", orgRoutes);
  app.route("/", documentRoutes);
  app.route("/", calendarRoutes);
  app.route("/", escalationRoutes);
  app.route("/", notificationRoutes);
  app.route("/", webhookRoutes);
  app.route("/", accountRoutes);
  app.route("/", onboardingRoutes);
  app.route("/", meetingRoutes);
  app.route("/", minutesRoutes);
  app.route("/", actionItemRoutes);
  app.route("/", cosignRoutes);
  app.route("/", seriesRoutes);
  app.route("/", icalRoutes);
  app.route("/", researchRoutes);
  app.route("/", trainingRoutes);
  app.route("/", attendanceRoutes);
  app.route("/", registrationRoutes);
  app.route("/", referralsRoutes);
  app.route("/", reportsRoutes);
  app.route("/", riskAlertsRoutes);
  app.route("/", mediationRoutes);
  app.route("/", sharedCasesRoutes);
  app.route("/", typicalCasesRoutes);
  app.route("/", twoHeadsRoutes);
  app.route("/", statisticsRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  for (const path of ["/openapi.json", "/docs"])
    app.openAPIRegistry.registerPath({
      method: "get",
      path,
      tags: ["System"],
      summary: path === "/docs" ? "Interactive API reference" : "This OpenAPI 3.1 document",
      responses: { 200: { description: "OK" } },
    });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/docs/assets/{name}",
    tags: ["System"],
    summary: "A file of the interactive API reference (its script, stylesheet and start script)",
    request: {
      params: z.object({ name: z.enum(["init.js", ...Object.keys(VIEWER_FILES)] as [string, ...string[]]) }),
    },
    responses: { 200: { description: "OK" }, 404: errorResponse("No such file") },
  });

  let doc: unknown;
  app.get("/openapi.json", (c) =>
    c.json((doc ??= app.getOpenAPI31Document({ openapi: "3.1.0", info: API_INFO }))),
  );
  app.get("/docs", (c) => c.html(docsPage(API_INFO)));
  app.get("/docs/assets/:name", async (c) => {
    const name = c.req.param("name");
    if (name === "init.js")
      return c.body(VIEWER_INIT, 200, { "content-type": "text/javascript; charset=utf-8" });
    const type = Object.hasOwn(VIEWER_FILES, name) ? VIEWER_FILES[name] : undefined;
    const res = type && host.viewerAssets ? await host.viewerAssets(name, c.req.raw) : null;
    if (!res || (res.status !== 200 && res.status !== 304))
      throw new ApiError(404, "route_not_found", `No route ${c.req.method} ${c.req.path}.`);
    // A copy: the assets binding's response headers are immutable, and the middleware adds its own.
    const copy = new Response(res.body, res);
    if (res.status === 200) copy.headers.set("content-type", type!);
    return copy;
  });

  app.notFound((c) => {
    const allowed = allowedMethods(app.routes, c.req.path);
    if (allowed.length > 0)
      return problemResponse(
        c,
        new ApiError(405, "method_not_allowed", `${c.req.method} is not allowed here.`, {
          headers: { allow: allowed.join(", ") },
        }),
      );
    return problemResponse(
      c,
      new ApiError(404, "route_not_found", `No route ${c.req.method} ${c.req.path}.`),
    );
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) return problemResponse(c, err);
    if (isDatabaseBusy(err)) {
      console.warn(
        JSON.stringify({ level: "warn", requestId: c.get("requestId"), message: "database busy" }),
      );
      return problemResponse(c, databaseBusy());
    }
    if (err instanceof HTTPException && err.status < 500)
      return problemResponse(
        c,
        new ApiError(
          err.status,
          HTTP_EXCEPTION_CODES[err.status] ?? "http_error",
          err.message || "Bad request.",
        ),
      );
    console.error(
      JSON.stringify({
        level: "error",
        requestId: c.get("requestId"),
        message: String(err),
        stack: (err as Error)?.stack,
      }),
    );
    return problemResponse(
      c,
      new ApiError(
        500,
        "internal_error",
        "An unexpected error occurred. Quote the request id when reporting it.",
      ),
    );
  });

  return app;
}

export type App = ReturnType<typeof createApp>;

// Hono's validators throw these themselves (e.g. a JSON body route given text/plain without a
// Content-Length), so they must carry the same codes as the middleware above.
const HTTP_EXCEPTION_CODES: Record<number, string> = {
  400: "malformed_request",
  413: "body_too_large",
  415: "unsupported_media_type",
};

function allowedMethods(routes: { method: string; path: string }[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || r.path.endsWith("*")) continue;
    // Matches as the router does: strict about a trailing slash, literal segments taken literally.
    const pattern = r.path
      .split("/")
      .map((seg) => (/^[:{]/.test(seg) ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    const re = new RegExp(`^${pattern}$`);
    if (re.test(path)) methods.add(r.method);
  }
  return [...methods];
}
