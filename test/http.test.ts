import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ROOT } from "../src/node/local";
import { expectProblem, setup, type TestApp } from "./helpers";

let t: TestApp;
let a: Awaited<ReturnType<TestApp["pair"]>>;
let admin: { id: string };
let departmentsPath: string;

beforeAll(async () => {
  t = await setup();
  a = await t.pair();
  admin = a.user("court", "admin");
  departmentsPath = `/v1/organizations/${a.court.id}/departments`;
});

describe("unknown routes and methods", () => {
  it.each(["/nope", "/v1/nope", "/v1/me/", "/v1/me/extra", "/openapiXjson"])(
    "answers 404 route_not_found for GET %s",
    async (path) => {
      const res = await t.request(path);
      expectProblem(res, 404, "route_not_found");
      expect(res.headers.get("allow")).toBeNull();
    },
  );

  it("answers 405 with Allow for a method the path does not serve", async () => {
    const me = await t.request("/v1/me", { method: "DELETE" });
    expectProblem(me, 405, "method_not_allowed");
    expect(me.headers.get("allow")).toBe("GET");

    const depts = await t.request(departmentsPath, { method: "PUT" });
    expectProblem(depts, 405, "method_not_allowed");
    expect(depts.headers.get("allow")!.split(/,\s*/).sort()).toEqual(["GET", "POST"]);

    const health = await t.request("/health", { method: "POST" });
    expectProblem(health, 405, "method_not_allowed");
    expect(health.headers.get("allow")).toBe("GET");
  });
});

describe("validation", () => {
  it("answers 400 validation_failed naming the query field", async () => {
    const res = await t.request("/v1/users?limit=0", { as: admin });
    expectProblem(res, 400, "validation_failed");
    expect(res.body.errors).toEqual([
      expect.objectContaining({ in: "query", path: "limit", code: "too_small" }),
    ]);
    expect(typeof res.body.errors[0].message).toBe("string");
  });

  it("answers 400 validation_failed naming every bad body field", async () => {
    const res = await t.request(departmentsPath, {
      method: "POST",
      as: admin,
      json: { name: "", functions: ["trial", "astrology"] },
    });
    expectProblem(res, 400, "validation_failed");
    const paths = res.body.errors.map((e: { in: string; path: string }) => `${e.in}:${e.path}`).sort();
    expect(paths).toEqual(["json:functions.1", "json:name"]);
  });

  it("answers 400 malformed_request for a body that is not JSON", async () => {
    const res = await t.request(departmentsPath, {
      method: "POST",
      as: admin,
      headers: { "content-type": "application/json" },
      body: '{"name": "刑事审判第二庭",',
    });
    expectProblem(res, 400, "malformed_request");
  });
});

describe("the problem shape of each error class", () => {
  it("answers 401 for a request without a token", async () => {
    const res = await t.request("/v1/me");
    expectProblem(res, 401, "unauthenticated");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
  });

  it("answers 403 forbidden for a role the route does not admit", async () => {
    expectProblem(await t.request("/v1/users", { as: a.user("court", "handler") }), 403, "forbidden");
  });

  it("answers 404 not_found for a record that does not exist", async () => {
    expectProblem(
      await t.request("/v1/jurisdictions/01J0000000000000000000000", { as: admin }),
      404,
      "not_found",
    );
  });

  it("answers 409 department_exists for a duplicate department", async () => {
    expectProblem(
      await t.request(departmentsPath, { method: "POST", as: admin, json: { name: "立案庭" } }),
      409,
      "department_exists",
    );
  });

  it("answers 415 unsupported_media_type for a text/plain body, declared length or not", async () => {
    const text = "name=研究室";
    const declared = await t.request(departmentsPath, {
      method: "POST",
      as: admin,
      headers: { "content-type": "text/plain", "content-length": String(Buffer.byteLength(text)) },
      body: text,
    });
    expectProblem(declared, 415, "unsupported_media_type");
    const streamed = await t.request(departmentsPath, {
      method: "POST",
      as: admin,
      headers: { "content-type": "text/plain" },
      body: "hello",
    });
    expectProblem(streamed, 415, "unsupported_media_type");
  });
});

describe("the body limit", () => {
  let small: TestApp;
  let p: Awaited<ReturnType<TestApp["pair"]>>;

  beforeAll(async () => {
    small = await setup({ env: { BODY_LIMIT_BYTES: "1024" } });
    p = await small.pair();
  });

  it("answers 413 body_too_large above BODY_LIMIT_BYTES and writes nothing", async () => {
    const path = `/v1/organizations/${p.court.id}/departments`;
    const name = "超".repeat(400); // 1200 bytes of UTF-8
    const streamed = await small.request(path, {
      method: "POST",
      as: p.user("court", "admin"),
      json: { name },
    });
    expectProblem(streamed, 413, "body_too_large");
    const body = JSON.stringify({ name });
    const declared = await small.request(path, {
      method: "POST",
      as: p.user("court", "admin"),
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
      body,
    });
    expectProblem(declared, 413, "body_too_large");
    const list = await small.request(path, { as: p.user("court", "handler") });
    expect(list.body.items.map((d: { name: string }) => d.name)).not.toContain(name);
  });

  it("lets a body under the limit through", async () => {
    const res = await small.request(`/v1/organizations/${p.court.id}/departments`, {
      method: "POST",
      as: p.user("court", "admin"),
      json: { name: "审判监督第二庭", functions: ["trial"] },
    });
    expect(res.status).toBe(201);
  });
});

describe("when the database fails", () => {
  let broken: TestApp;
  let token: string;
  const logged: string[] = [];

  beforeAll(async () => {
    broken = await setup();
    const p = await broken.pair();
    token = await broken.token(p.user("court", "handler").id);
    broken.deps.db.$client.close();
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void logged.push(args.join(" ")));
  });
  afterAll(() => vi.restoreAllMocks());

  it("answers 500 internal_error without SQL, stack or file paths, logging the request id", async () => {
    const res = await broken.request("/v1/me", { headers: { authorization: `Bearer ${token}` } });
    expectProblem(res, 500, "internal_error");
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/select|sqlite|libsql|\bat\s|\.ts\b|\.js\b|node_modules|\/tmp\/|\/work\//i);
    expect(Object.keys(res.body).sort()).toEqual(["code", "detail", "requestId", "status", "title", "type"]);
    expect(logged.some((line) => line.includes(res.body.requestId))).toBe(true);
  });

  it("answers /health with 503 db_unavailable", async () => {
    expectProblem(await broken.request("/health"), 503, "db_unavailable");
  });
});

describe("GET /health", () => {
  it("reports the database reachable and the schema version of the applied migrations", async () => {
    const res = await t.request("/health");
    expect(res.status).toBe(200);
    const journal = JSON.parse(readFileSync(join(ROOT, "migrations/meta/_journal.json"), "utf8")) as {
      entries: unknown[];
    };
    expect(res.body).toEqual({
      status: "ok",
      db: "ok",
      schemaVersion: journal.entries.length,
      latestMigrationAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
  });
});

describe("request ids", () => {
  it.each([
    ["a public success", "/health", {}],
    ["an authenticated success", "/v1/me", { as: "admin" }],
    ["the index", "/", {}],
    ["the OpenAPI document", "/openapi.json", {}],
    ["a 404", "/nope", {}],
    ["a 401", "/v1/me", {}],
  ] as const)("puts X-Request-Id on %s", async (_, path, opts) => {
    const res = await t.request(path, "as" in opts ? { as: admin } : {});
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[\w-]{8,}$/);
    if (res.status >= 400) expect(res.body.requestId).toBe(id);
  });

  it("gives each request its own id", async () => {
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await t.request("/health")).headers.get("x-request-id")),
    );
    expect(new Set(ids).size).toBe(3);
  });

  it("keeps a well-formed id the client sends, so logs correlate across hops", async () => {
    const res = await t.request("/v1/nope", { headers: { "x-request-id": "gateway-42" } });
    expect(res.headers.get("x-request-id")).toBe("gateway-42");
    expect(res.body.requestId).toBe("gateway-42");
  });
});

describe("CORS for web clients", () => {
  const origin = "https://app.court.example";

  it("answers a preflight for an authenticated JSON POST", async () => {
    const res = await t.request(departmentsPath, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")!.toLowerCase()).toContain("authorization");
    expect(res.headers.get("access-control-allow-headers")!.toLowerCase()).toContain("content-type");
  });

  it("lets the client read the request id and the challenge of a 401", async () => {
    const res = await t.request("/v1/me", { headers: { origin } });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const exposed = res.headers.get("access-control-expose-headers")!.toLowerCase();
    expect(exposed).toContain("x-request-id");
    expect(exposed).toContain("www-authenticate");
  });
});
