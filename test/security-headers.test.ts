// Security headers on every answer (hono/secure-headers), the page CSP, no-store on private answers, HSTS
// only over https, and `/` as JSON for API clients and an HTML page for browsers.
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, setup, type TestApp } from "./helpers";
import { startNodeHost } from "./node-host";

let t: TestApp;
let a: Awaited<ReturnType<TestApp["pair"]>>;

beforeAll(async () => {
  t = await setup();
  a = await t.pair();
});

function expectBaseHeaders(headers: Headers, what: string) {
  expect(headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(headers.get("x-frame-options"), what).toBe("DENY");
  expect(headers.get("content-security-policy"), what).toMatch(/frame-ancestors 'none'/);
  expect(headers.get("referrer-policy"), what).toBe("no-referrer");
}

describe("headers on every answer", () => {
  it.each(["/health", "/openapi.json", "/", "/docs", "/docs/assets/init.js"])(
    "GET %s carries nosniff, frame denial and Referrer-Policy",
    async (path) => {
      const res = await t.request(path);
      expect(res.status).toBe(200);
      expectBaseHeaders(res.headers, path);
    },
  );

  it("error answers carry them too: 401, 404, 405 and 415 problem+json", async () => {
    const unauthenticated = await t.request("/v1/me");
    expectProblem(unauthenticated, 401, "unauthenticated");
    expectBaseHeaders(unauthenticated.headers, "401");
    expect(unauthenticated.headers.get("cache-control")).toBe("no-store");

    const missing = await t.request("/nope");
    expectProblem(missing, 404, "route_not_found");
    expectBaseHeaders(missing.headers, "404");

    const notAsset = await t.request("/docs/assets/package.json");
    expectProblem(notAsset, 404, "route_not_found");
    expectBaseHeaders(notAsset.headers, "404 asset");

    const method = await t.request("/health", { method: "POST" });
    expectProblem(method, 405, "method_not_allowed");
    expectBaseHeaders(method.headers, "405");

    const media = await t.request(`/v1/organizations/${a.court.id}/departments`, {
      method: "POST",
      as: a.user("court", "admin"),
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    expectProblem(media, 415, "unsupported_media_type");
    expectBaseHeaders(media.headers, "415");
    expect(media.headers.get("cache-control")).toBe("no-store");
  });

  it("API answers get a CSP that loads nothing", async () => {
    const res = await t.request("/openapi.json");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it("the HTML pages get the same-origin page CSP", async () => {
    for (const path of ["/", "/docs"]) {
      const res = await t.request(path, { headers: { accept: "text/html" } });
      const csp = res.headers.get("content-security-policy")!;
      expect(csp, path).toMatch(/default-src 'none'/);
      expect(csp, path).toMatch(/script-src 'self'(;|$)/);
      expect(csp, path).toMatch(/style-src 'self'(;|$)/);
      expect(csp, path).toMatch(/connect-src 'self'(;|$)/);
      expect(csp, path).toMatch(/frame-ancestors 'none'/);
      expect(csp, path).not.toMatch(/unsafe|https?:|\*/);
    }
  });
});

describe("Cache-Control: no-store on private answers", () => {
  it("every /v1 answer, with a token or without", async () => {
    const me = await t.request("/v1/me", { as: a.user("court", "registrar") });
    expect(me.status).toBe(200);
    expect(me.headers.get("cache-control")).toBe("no-store");
    const preflight = await t.request("/v1/me", {
      method: "OPTIONS",
      headers: { origin: "https://client.example", "access-control-request-method": "GET" },
    });
    expect(preflight.headers.get("cache-control")).toBe("no-store");
  });

  it("any answer to a request that carried Authorization", async () => {
    const token = await t.token(a.user("court", "registrar").id);
    const res = await t.request("/health", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("a route's own Cache-Control stands: the calendar feed is private, no-cache (ADR 0010)", async () => {
    const created = await t.request("/v1/calendar-feeds", {
      method: "POST",
      as: a.user("court", "leader"),
      headers: { "idempotency-key": "cache-control-feed-1" },
      json: {},
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const feed = await t.request(`/v1/calendar-feeds/${created.body.token}/calendar.ics`);
    expect(feed.status).toBe(200);
    expect(feed.headers.get("cache-control")).toBe("private, no-cache");
    const again = await t.request(`/v1/calendar-feeds/${created.body.token}/calendar.ics`, {
      headers: { "if-none-match": feed.headers.get("etag")! },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("cache-control")).toBe("private, no-cache");
    // An unknown token's 404 sets none of its own: no-store.
    const unknown = await t.request("/v1/calendar-feeds/fjc_unknown/calendar.ics");
    expectProblem(unknown, 404);
    expect(unknown.headers.get("cache-control")).toBe("no-store");
  });

  it("not on a public answer without credentials", async () => {
    const res = await t.request("/openapi.json");
    expect(res.headers.get("cache-control")).toBeNull();
  });
});

describe("Strict-Transport-Security only over https", () => {
  it("is sent when the request URL is https (the Worker), not over http", async () => {
    const secure = await t.app.request("https://fajian.example/health");
    expect(secure.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
    const plain = await t.app.request("http://fajian.example/health");
    expect(plain.headers.get("strict-transport-security")).toBeNull();
  });

  describe("the Node host (plain HTTP)", () => {
    let host: Awaited<ReturnType<typeof startNodeHost>>;
    let port: number;
    beforeAll(async () => {
      host = await startNodeHost();
      port = host.port;
    });
    afterAll(() => host?.stop());

    /** A raw HTTP/1.1 request, so the request target may be in absolute form. */
    const raw = (target: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port, path: target, headers }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers }));
        });
        req.on("error", reject);
        req.end();
      });

    it("never sends it, whatever X-Forwarded-Proto or an absolute https request target claim", async () => {
      const forwarded = await raw("/health", { "x-forwarded-proto": "https" });
      expect(forwarded.status).toBe(200);
      expect(forwarded.headers["x-content-type-options"]).toBe("nosniff");
      expect(forwarded.headers["strict-transport-security"]).toBeUndefined();
      const absolute = await raw(`https://127.0.0.1:${port}/health`);
      expect(absolute.status).toBe(200);
      expect(absolute.headers["strict-transport-security"]).toBeUndefined();
    });
  });
});

describe("GET / answers browsers and API clients", () => {
  it("answers JSON to an API client (no Accept, */*, application/json)", async () => {
    for (const accept of [undefined, "*/*", "application/json"]) {
      const res = await t.request("/", { headers: accept ? { accept } : {} });
      expect(res.status, accept).toBe(200);
      expect(res.headers.get("content-type"), accept).toMatch(/^application\/json/);
      expect(res.body, accept).toEqual({
        name: "法检协同 API",
        version: "1.0.0",
        openapi: "/openapi.json",
        docs: "/docs",
      });
      expect(res.headers.get("vary"), accept).toMatch(/accept/i);
    }
  });

  it("answers a small HTML page to a browser, linking /docs and /openapi.json", async () => {
    const res = await t.request("/", {
      headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("vary")).toMatch(/accept/i);
    const html: string = res.body;
    expect(html).toContain("法检协同");
    expect(html).toContain('href="/docs"');
    expect(html).toContain('href="/openapi.json"');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
