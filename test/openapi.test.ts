import SwaggerParser from "@apidevtools/swagger-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { ROLES } from "../src/vocab";
import { setup, type TestApp } from "./helpers";

/** Operations anyone may call; every other operation must be authenticated. */
const PUBLIC = new Set([
  "GET /",
  "GET /health",
  "GET /openapi.json",
  "GET /docs",
  "GET /docs/assets/{name}",
  "POST /v1/auth/login",
  "POST /v1/auth/refresh",
  "POST /v1/invitations/accept",
  // A calendar app's subscription: the secret token in the URL is the credential (ADR 0010).
  "GET /v1/calendar-feeds/{token}/calendar.ics",
  // The public feed of jointly published typical cases.
  "GET /public/typical-cases",
  "GET /public/typical-cases.atom",
  "GET /public/typical-cases/{id}",
]);
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;

type Operation = {
  security?: Record<string, string[]>[];
  responses: Record<string, any>;
  "x-roles"?: string[];
  requestBody?: { required?: boolean };
};
type Doc = {
  openapi: string;
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: any;
};

let t: TestApp;
let doc: Doc;

beforeAll(async () => {
  t = await setup();
  const res = await t.request("/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  doc = res.body;
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({
      key: `${m.toUpperCase()} ${path}`,
      path,
      method: m,
      op: item[m]!,
    })),
  );

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it("is checked by a validator that rejects a broken copy", async () => {
    const broken = structuredClone(doc);
    (broken.paths["/v1/me"]!.get as any).responses = { "200": { content: "none" } };
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  it("lists exactly the routes the app serves", () => {
    const served = new Set(
      t.app.routes
        .filter((r) => r.method !== "ALL" && !r.path.endsWith("*"))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    const documented = new Set(operations().map((o) => o.key));
    expect(
      [...served].filter((k) => !documented.has(k)),
      "served but not documented",
    ).toEqual([]);
    expect(
      [...documented].filter((k) => !served.has(k)),
      "documented but not served",
    ).toEqual([]);
    expect(served.size).toBeGreaterThanOrEqual(10);
  });

  it("declares bearer security, 401/403/404 problem responses and x-roles on every non-public operation", () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    for (const { key, op } of operations()) {
      if (PUBLIC.has(key)) {
        expect(op.security, key).toBeUndefined();
        continue;
      }
      expect(op.security, key).toEqual([{ bearer: [] }]);
      for (const status of ["401", "403", "404"]) {
        expect(op.responses[status], `${key} ${status}`).toBeDefined();
        expect(op.responses[status].content["application/problem+json"].schema, `${key} ${status}`).toEqual({
          $ref: "#/components/schemas/Problem",
        });
      }
      expect(op["x-roles"], key).toBeInstanceOf(Array);
      expect(op["x-roles"]!.length, key).toBeGreaterThan(0);
      // A tenant role, or the deployment operator (outside every jurisdiction).
      for (const role of op["x-roles"]!)
        expect([...ROLES.codes, "operator"], `${key} x-roles`).toContain(role);
    }
  });

  it("matches behaviour: secured operations answer 401 without a token, public ones do not", async () => {
    for (const { key, path, method, op } of operations()) {
      // A public path with a parameter needs a value that exists.
      const concrete =
        key === "GET /docs/assets/{name}" ? "/docs/assets/init.js" : path.replace(/\{\w+\}/g, "x");
      const res = await t.request(concrete, { method: method.toUpperCase() });
      // A public operation that needs a body (signing in) answers 400 without one, never 401; the
      // calendar feed of an unknown token answers 404.
      if (key === "GET /v1/calendar-feeds/{token}/calendar.ics" || key === "GET /public/typical-cases/{id}")
        expect(res.status, key).toBe(404);
      else if (PUBLIC.has(key)) expect(res.status, key).toBe(op.requestBody?.required ? 400 : 200);
      else expect(res.status, key).toBe(401);
    }
  });
});

describe("GET /docs", () => {
  it("answers an HTML reference page that loads /openapi.json", async () => {
    const res = await t.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<html/i);
    expect(res.body).toContain("/openapi.json");
  });
});
