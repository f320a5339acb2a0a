// RFC 9457 problem details: the one shape of every error this API returns.
import type { Context } from "hono";

export type FieldError = { in: string; path: string; message: string; code?: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } & Record<
      string,
      unknown
    > = {},
  ) {
    super(detail);
  }
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export const notFound = (what = "resource") => new ApiError(404, "not_found", `No such ${what}.`);
export const conflict = (code: string, detail: string) => new ApiError(409, code, detail);
export const forbidden = (detail = "Your role does not allow this.") =>
  new ApiError(403, "forbidden", detail);

/**
 * Whether an error (or one it was caused by: drizzle wraps the driver's) is the database staying
 * locked past the client's bounded wait: SQLITE_BUSY from the embedded client, or from a libSQL
 * server over HTTP. Nothing was written; the request can be retried.
 */
export function isDatabaseBusy(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    if ((e as { code?: unknown }).code === "SQLITE_BUSY") return true;
  return false;
}

export const databaseBusy = () =>
  new ApiError(503, "database_busy", "The database is busy; nothing was changed. Retry shortly.", {
    headers: { "retry-after": "1" },
  });

export function problemBody(err: ApiError, requestId: string | undefined) {
  const { headers: _h, ...extra } = err.extra;
  return {
    type: `https://fajian.example/problems/${err.code.replaceAll("_", "-")}`,
    title: TITLES[err.status] ?? "Error",
    status: err.status,
    detail: err.message,
    code: err.code,
    requestId,
    ...extra,
  };
}

export function problemResponse(c: Context, err: ApiError): Response {
  const requestId: string | undefined = c.get("requestId" as never);
  const headers: Record<string, string> = {
    "content-type": "application/problem+json",
    ...err.extra.headers,
  };
  // A fresh Response drops headers prepared on the context, so the request id is set here.
  if (requestId) headers["x-request-id"] = requestId;
  return new Response(JSON.stringify(problemBody(err, requestId)), { status: err.status, headers });
}
