// The deployable Worker bundle (built from wrangler.toml as `wrangler deploy` builds it) in real workerd via
// miniflare, with the local Hrana endpoint as its libSQL database.
import { createClient, type Client } from "@libsql/client";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/accounts/password";
import { generateDevKeys, signToken } from "../src/auth/jwt";
import { systemClock, ulidGen } from "../src/clock";
import { createPair } from "../src/db/seed";
import { startHranaServer, type HranaServer } from "../src/node/libsql-server";
import { migrateDb, openDb, ROOT } from "../src/node/local";

type Toml = {
  compatibility_date: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  assets: { directory: string; binding: string; run_worker_first: boolean };
};
const toml = parse(readFileSync(join(ROOT, "wrangler.toml"), "utf8")) as unknown as Toml;
const dir = mkdtempSync(join(tmpdir(), "fjxt-worker-"));
const script = join(dir, "dist", "index.js");

let srv: HranaServer;
let mf: Miniflare;
let sql: Client;
let keys: Awaited<ReturnType<typeof generateDevKeys>>;
let pair: Awaited<ReturnType<typeof createPair>>;

function miniflare(bindings: Record<string, string>) {
  return new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: join(dir, "dist"),
    compatibilityDate: toml.compatibility_date,
    compatibilityFlags: toml.compatibility_flags ?? [],
    bindings: { ...toml.vars, ...bindings },
    // wrangler.toml [assets]: the build command filled public/ (the API reference viewer's files).
    assets: {
      directory: join(ROOT, toml.assets.directory),
      binding: toml.assets.binding,
      routerConfig: {
        has_user_worker: true,
        invoke_user_worker_ahead_of_assets: toml.assets.run_worker_first,
      },
    },
  });
}

const userOf = (kind: "court" | "procuratorate", role: string) => {
  const org = pair.orgs.find((o) => o.kind === kind)!;
  return pair.people.find((p) => p.orgId === org.id && p.role === role)!;
};
const token = (sub: string) =>
  signToken(
    keys.privateJwk,
    { sub },
    { issuer: toml.vars!.JWT_ISSUER!, audience: toml.vars!.JWT_AUDIENCE!, now: new Date() },
  );

async function call(path: string, init: { method?: string; as?: string; json?: unknown } = {}, worker = mf) {
  const headers: Record<string, string> = {};
  if (init.as) headers.authorization = `Bearer ${await token(init.as)}`;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const res = await worker.dispatchFetch(`http://worker.test${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  // The same build `npm run build` / `wrangler deploy` makes, into a temporary directory.
  const node = existsSync(join(ROOT, "node_modules/.bin/node"))
    ? join(ROOT, "node_modules/.bin/node")
    : process.execPath;
  const build = spawnSync(
    node,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "deploy",
      "--dry-run",
      "--outdir",
      join(dir, "dist"),
    ],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    },
  );
  if (build.status !== 0 || !existsSync(script))
    throw new Error(`wrangler build failed:\n${build.stdout}\n${build.stderr}`);

  const file = join(dir, "worker.db");
  const db = openDb(`file:${file}`);
  await migrateDb(db);
  pair = await createPair(db, ulidGen(systemClock), new Date(), {
    code: "W00001",
    name: "工作者区",
    level: "basic",
    courtName: "工作者区人民法院",
    procuratorateName: "工作者区人民检察院",
    emailDomain: "worker.test",
  });
  db.$client.close();

  srv = await startHranaServer({ file, port: 0 });
  sql = createClient({ url: srv.url });
  keys = await generateDevKeys();
  mf = miniflare({
    LIBSQL_URL: srv.url,
    JWT_JWKS: JSON.stringify(keys.jwks),
    JWT_PRIVATE_JWK: JSON.stringify(keys.privateJwk),
  });
  await mf.ready;
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  sql?.close();
  await srv?.close();
});

describe("the Worker bundle in workerd", () => {
  it("answers /health from the database", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", db: "ok" });
    expect(res.body.schemaVersion).toBeGreaterThan(0);
  });

  it("refuses a missing or foreign token with 401 problem+json and WWW-Authenticate", async () => {
    const none = await call("/v1/me");
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(none.body).toMatchObject({ status: 401, code: "unauthenticated" });

    const foreign = await generateDevKeys();
    const forged = await signToken(
      foreign.privateJwk,
      { sub: userOf("court", "registrar").id },
      {
        issuer: toml.vars!.JWT_ISSUER!,
        audience: toml.vars!.JWT_AUDIENCE!,
        now: new Date(),
      },
    );
    const res = await mf.dispatchFetch("http://worker.test/v1/me", {
      headers: { authorization: `Bearer ${forged}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    expect(((await res.json()) as any).code).toMatch(/^token_/);
  });

  it("reads: GET /v1/me and GET /v1/jurisdictions", async () => {
    const me = userOf("court", "registrar");
    const res = await call("/v1/me", { as: me.id });
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe(me.email);
    expect(res.body.organization.id).toBe(me.orgId);
    const list = await call("/v1/jurisdictions", { as: me.id });
    expect(list.status).toBe(200);
    expect(list.body.items.map((j: any) => j.id)).toEqual([pair.jurisdiction.id]);
  });

  it("writes: an admin adds a department, read back through the Worker and in the database", async () => {
    const admin = userOf("court", "admin");
    const created = await call(`/v1/organizations/${admin.orgId}/departments`, {
      method: "POST",
      as: admin.id,
      json: { name: "审判监督第二庭", functions: ["trial"] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ orgId: admin.orgId, name: "审判监督第二庭" });
    const list = await call(`/v1/organizations/${admin.orgId}/departments`, {
      as: userOf("court", "handler").id,
    });
    expect(list.body.items.map((d: any) => d.id)).toContain(created.body.id);
    const row = await sql.execute({
      sql: "select org_id, name from departments where id = ?",
      args: [created.body.id],
    });
    expect(row.rows[0]).toMatchObject({ org_id: admin.orgId, name: "审判监督第二庭" });
  });

  it("signs in with the JWT_PRIVATE_JWK secret, counting failures by cf-connecting-ip", async () => {
    const user = userOf("procuratorate", "registrar");
    const hash = await hashPassword("a worker passphrase");
    await sql.execute({
      sql: "insert into credentials (account_id, password_hash, changed_at) values (?, ?, ?)",
      args: [user.id, hash, new Date().toISOString()],
    });
    const login = (password: string) =>
      mf.dispatchFetch("http://worker.test/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.7" },
        body: JSON.stringify({ email: user.email, password }),
      });
    expect((await login("not the passphrase")).status).toBe(401);
    const res = await login("a worker passphrase");
    const pairOfTokens = (await res.json()) as { accessToken: string; refreshToken: string };
    expect(res.status).toBe(200);
    const me = await mf.dispatchFetch("http://worker.test/v1/me", {
      headers: { authorization: `Bearer ${pairOfTokens.accessToken}` },
    });
    expect(((await me.json()) as any).user.id).toBe(user.id);
    const events = await sql.execute({
      sql: "select kind, source from auth_events where account_id = ? order by id",
      args: [user.id],
    });
    expect(events.rows.map((r) => [r.kind, r.source])).toEqual([
      ["login_failed", "203.0.113.7"],
      ["login_succeeded", "203.0.113.7"],
    ]);
  });

  it("runs the scheduled handler: the sweep is recorded in job_runs", async () => {
    const scheduledTime = new Date("2026-09-01T02:15:00Z");
    const worker = await mf.getWorker();
    const result = await worker.scheduled({ cron: "*/15 * * * *", scheduledTime });
    expect(result.outcome).toBe("ok");
    // waitUntil work may finish just after the event; poll briefly (bounded).
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 50 && rows.length < 2; i++) {
      rows = (
        await sql.execute({
          sql: "select job, status from job_runs where scheduled_at = ? and status != 'running' order by job",
          args: [scheduledTime.toISOString()],
        })
      ).rows;
      if (rows.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows).toEqual([
      expect.objectContaining({ job: "offers", status: "ok" }),
      expect.objectContaining({ job: "sweep", status: "ok" }),
    ]);
  });

  it("serves /docs as a same-origin HTML page and the viewer's files from the assets binding", async () => {
    const page = await mf.dispatchFetch("http://worker.test/docs", { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    const html = await page.text();
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls).toContain("/docs/assets/swagger-ui-bundle.js");
    expect(urls.every((u) => u.startsWith("/"))).toBe(true);
    for (const url of urls.filter((u) => u.startsWith("/docs/assets/"))) {
      const res = await mf.dispatchFetch(`http://worker.test${url}`);
      expect(res.status, url).toBe(200);
      expect(res.headers.get("x-content-type-options"), url).toBe("nosniff");
      expect((await res.text()).length, url).toBeGreaterThan(100);
    }
    const bundle = await mf.dispatchFetch("http://worker.test/docs/assets/swagger-ui-bundle.js");
    expect(bundle.headers.get("content-type")).toMatch(/^text\/javascript/);
    await bundle.arrayBuffer();
    // The package's other files are in the assets directory but not served.
    const license = await mf.dispatchFetch("http://worker.test/docs/assets/LICENSE");
    expect(license.status).toBe(404);
    await license.arrayBuffer();
  });

  it("answers 500 config_invalid when a binding is missing or malformed", async () => {
    const cases: Record<string, string>[] = [
      { LIBSQL_URL: srv.url },
      { LIBSQL_URL: "not a url", JWT_JWKS: JSON.stringify(keys.jwks) },
    ];
    for (const bindings of cases) {
      const bad = miniflare(bindings);
      try {
        const res = await call("/health", {}, bad);
        expect(res.status, JSON.stringify(bindings)).toBe(500);
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        expect(res.body).toMatchObject({ status: 500, code: "config_invalid" });
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        expect(res.headers.get("cache-control")).toBe("no-store");
      } finally {
        await bad.dispose();
      }
    }
  });
});
