// Security headers on every response, through Hono's own secure-headers middleware.
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/** The paths that answer HTML to a browser: they get the page CSP, everything else the API CSP. */
export const HTML_PAGES = new Set(["/", "/docs"]);

/**
 * CSP of the HTML pages (`/` and the API reference at `/docs`): only this origin. The viewer (Swagger UI)
 * is its bundle, its stylesheet and a small start script, all served from here; it loads /openapi.json
 * and "Try it out" calls the API with fetch (connect-src 'self'). Its stylesheet draws icons as data:
 * SVG images (img-src data:). No inline script and no inline style element is needed: React sets the
 * few element styles through the CSSOM, which style-src does not govern.
 */
const PAGE_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** CSP of every other answer (JSON, problem+json, the viewer's files): nothing may load or frame it. */
const API_CSP = { defaultSrc: ["'none'"], frameAncestors: ["'none'"] };

const HSTS = "max-age=31536000; includeSubDomains";

function headers(page: boolean, hsts: boolean) {
  return secureHeaders({
    contentSecurityPolicy: page ? PAGE_CSP : API_CSP,
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
    xContentTypeOptions: true,
    strictTransportSecurity: hsts ? HSTS : false,
  });
}

/**
 * `tls` says how the host knows that a request came over https:
 * - "from-url": the request URL's scheme (the Worker: Cloudflare sets it from the client's connection);
 * - "never": the host only listens on plain HTTP (the Node host, whose URL scheme a client could pick
 *   with an absolute-form request target). X-Forwarded-Proto is never read: a TLS proxy in front of
 *   the Node host sets its own Strict-Transport-Security.
 */
export function securityHeaders(tls: "from-url" | "never"): MiddlewareHandler {
  const variants = [headers(false, false), headers(false, true), headers(true, false), headers(true, true)];
  return async (c, next) => {
    const https = tls === "from-url" && new URL(c.req.url).protocol === "https:";
    const page = HTML_PAGES.has(c.req.path);
    await variants[(page ? 2 : 0) + (https ? 1 : 0)]!(c, next);
    // Authenticated answers and everything under /v1 are private to the caller: no cache keeps them,
    // unless the route said how its answer is cached (the calendar feed: `private, no-cache`, so a
    // calendar app revalidates with the ETag — ADR 0010).
    const isPrivate =
      c.req.header("authorization") !== undefined || c.req.path === "/v1" || c.req.path.startsWith("/v1/");
    if (isPrivate && !c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  };
}

/** The same headers for an answer made outside the app (the Worker's configuration error). */
export const STATIC_SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};
