import { and, getTableColumns, getTableName, is, isNotNull, sql } from "drizzle-orm";
import { integer, SQLiteTable, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { beforeAll, describe, expect, it } from "vitest";
import { Scope, SCOPED_TABLES, UNSCOPED_TABLES } from "../src/auth/scope";
import { parseConfig } from "../src/config";
import * as schema from "../src/db/schema";
import { setup, type TestApp } from "./helpers";

const TABLES: SQLiteTable[] = (Object.values(schema) as unknown[]).filter((v): v is SQLiteTable =>
  is(v, SQLiteTable),
);
const name = (t: SQLiteTable) => getTableName(t);
const jurisdictionColumn = (t: SQLiteTable) =>
  Object.values(getTableColumns(t)).find((c) => c.name === "jurisdiction_id") ??
  (t === schema.jurisdictions ? schema.jurisdictions.id : undefined);

describe("the tenancy mechanism", () => {
  it("finds the tables of the schema", () => {
    expect(TABLES.map(name)).toEqual(
      expect.arrayContaining([
        "jurisdictions",
        "organizations",
        "departments",
        "users",
        "role_assignments",
        "job_runs",
      ]),
    );
  });

  it("has a policy for every table that holds a jurisdiction_id", () => {
    const missing = TABLES.filter((t) =>
      Object.values(getTableColumns(t)).some((c) => c.name === "jurisdiction_id"),
    )
      .filter((t) => !SCOPED_TABLES.includes(t))
      .map(name);
    expect(missing).toEqual([]);
  });

  it("classifies every table as scoped or deliberately unscoped, never both", () => {
    expect(
      TABLES.filter((t) => !SCOPED_TABLES.includes(t) && !UNSCOPED_TABLES.includes(t)).map(name),
    ).toEqual([]);
    expect(SCOPED_TABLES.filter((t) => UNSCOPED_TABLES.includes(t)).map(name)).toEqual([]);
    expect(UNSCOPED_TABLES.filter((t) => jurisdictionColumn(t)).map(name)).toEqual([]);
  });

  describe("Scope.visible", () => {
    let t: TestApp;
    let a: Awaited<ReturnType<TestApp["pair"]>>;
    let b: Awaited<ReturnType<TestApp["pair"]>>;

    beforeAll(async () => {
      t = await setup();
      a = await t.pair();
      b = await t.pair();
    });

    const scopeOf = (sub: string) => new Scope(t.deps.db, { issuer: "local", sub }, "any");

    async function visibleJurisdictions(scope: Scope, table: SQLiteTable) {
      const col = jurisdictionColumn(table);
      if (!col) return undefined;
      const rows = await t.deps.db.select({ j: col }).from(table).where(scope.visible(table));
      return new Set(rows.map((r) => r.j as string));
    }

    it("throws for a table without a policy", () => {
      const mystery = sqliteTable("mystery", { id: integer("id").primaryKey(), note: text("note") });
      const scope = scopeOf(a.user("court", "admin").id);
      expect(() => scope.visible(mystery)).toThrow(/no tenancy policy for table mystery/);
      for (const table of UNSCOPED_TABLES) expect(() => scope.visible(table)).toThrow(/no tenancy policy/);
    });

    it("never shows a user one pair's rows of another unrelated pair, in any scoped table", async () => {
      const scope = scopeOf(a.user("court", "admin").id);
      for (const table of SCOPED_TABLES) {
        const seen = await visibleJurisdictions(scope, table);
        if (!seen) continue;
        expect(seen.has(b.jurisdiction.id), name(table)).toBe(false);
      }
      for (const table of [
        schema.jurisdictions,
        schema.organizations,
        schema.departments,
        schema.users,
        schema.roleAssignments,
      ])
        expect([...(await visibleJurisdictions(scope, table))!], name(table)).toEqual([a.jurisdiction.id]);
    });

    it("shows a subject that is not an active user no row that belongs to a jurisdiction", async () => {
      const scope = scopeOf("01UNKNOWN0000000000000000");
      for (const table of SCOPED_TABLES) {
        // Rows without a jurisdiction (national defaults) are shared reference data, visible to all.
        const col = jurisdictionColumn(table);
        const where = col ? and(scope.visible(table), isNotNull(col)) : scope.visible(table);
        const [row] = await t.deps.db.select({ n: sql<number>`count(*)` }).from(table).where(where);
        expect(row!.n, name(table)).toBe(0);
      }
    });
  });
});

describe("parseConfig", () => {
  const base = { LIBSQL_URL: "file:./data/test.db" };

  it("applies the documented defaults", () => {
    const r = parseConfig(base);
    expect(r).toEqual({
      ok: true,
      config: {
        LIBSQL_URL: "file:./data/test.db",
        JWT_ISSUER: "fajian-xietong",
        JWT_AUDIENCE: "fajian-xietong-api",
        JWT_MAX_AGE: "12h",
        JWT_ACCESS_TTL: "15m",
        JWT_REFRESH_TTL: "30d",
        JWT_EXTERNAL_SUBJECT_CLAIM: "sub",
        BODY_LIMIT_BYTES: 1024 * 1024,
        ALLOW_PRIVATE_WEBHOOKS: false,
        SEMINAR_PLAN_BY: "03-01",
      },
    });
  });

  it("accepts an external JWKS only over https, or over http on this machine", () => {
    const ext = (url: string) =>
      parseConfig({ ...base, JWT_EXTERNAL_ISSUER: "https://idp.example", JWT_EXTERNAL_JWKS_URL: url });
    expect(ext("https://idp.example/jwks.json").ok).toBe(true);
    expect(ext("http://127.0.0.1:9000/jwks.json").ok).toBe(true);
    const plain = ext("http://idp.example/jwks.json");
    expect(plain.ok).toBe(false);
    expect(!plain.ok && plain.invalid[0]).toMatch(/^JWT_EXTERNAL_JWKS_URL: an https: URL/);
  });

  it("treats empty strings as unset and ignores unrelated bindings", () => {
    const r = parseConfig({ ...base, JWT_ISSUER: "", LIBSQL_AUTH_TOKEN: "", DB: { some: "binding" } });
    expect(r.ok && r.config.JWT_ISSUER).toBe("fajian-xietong");
    expect(r.ok && "DB" in r.config).toBe(false);
  });

  it("parses a JWK set, a body limit and the external issuer pair", () => {
    const r = parseConfig({
      ...base,
      JWT_JWKS: JSON.stringify({ keys: [{ kty: "OKP", crv: "Ed25519", x: "abc", kid: "k1" }] }),
      BODY_LIMIT_BYTES: "2048",
      JWT_EXTERNAL_ISSUER: "https://idp.example",
      JWT_EXTERNAL_JWKS_URL: "https://idp.example/jwks.json",
    });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.config.JWT_JWKS!.keys[0]!.kid).toBe("k1");
      expect(r.config.BODY_LIMIT_BYTES).toBe(2048);
    }
  });

  it.each([
    ["a missing LIBSQL_URL", { LIBSQL_URL: undefined }, "LIBSQL_URL", undefined],
    [
      "a LIBSQL_URL of another database",
      { LIBSQL_URL: "postgres://admin:hunter2@db.example/prod" },
      "LIBSQL_URL",
      "hunter2",
    ],
    [
      "a JWT_JWKS that is not JSON",
      { JWT_JWKS: '{"keys":[{"d":"PRIVATE-SECRET"' },
      "JWT_JWKS",
      "PRIVATE-SECRET",
    ],
    ["a JWT_JWKS without keys", { JWT_JWKS: '{"keys":[],"note":"SECRET-NOTE"}' }, "JWT_JWKS", "SECRET-NOTE"],
    ["a body limit that is not a number", { BODY_LIMIT_BYTES: "lots" }, "BODY_LIMIT_BYTES", "lots"],
    ["a JWT_MAX_AGE jose cannot read", { JWT_MAX_AGE: "12  h" }, "JWT_MAX_AGE", undefined],
    [
      "an external issuer without its JWKS URL",
      { JWT_EXTERNAL_ISSUER: "https://idp.example" },
      "JWT_EXTERNAL_ISSUER",
      "idp.example",
    ],
  ])("reports %s by key name without its value", (_, env, key, secret) => {
    const r = parseConfig({ ...base, ...env });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.invalid.some((line) => line.startsWith(key))).toBe(true);
    if (secret) expect(r.invalid.join("\n")).not.toContain(secret);
  });
});
