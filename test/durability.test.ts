// An acknowledged write is never lost: SQLITE_BUSY, an outside lock, two hosts on one database file.
// (docs/adr/0006-connection-discipline.md; issue 8, section 1.)
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runJob } from "../src/cron/cron";
import { createEmbeddedClient } from "../src/node/embedded-client";
import { ROOT } from "../src/node/local";
import { Connection } from "../src/node/sqlite";
import { fixedClock } from "../src/clock";
import { expectProblem, setup, type TestApp } from "./helpers";

const tmp = () => mkdtempSync(join(tmpdir(), "fjxt-durable-"));

/** A second connection to the file, as another process or a backup tool would hold it. */
function outsider(path: string) {
  const db = new Database(path);
  db.exec("PRAGMA busy_timeout = 0");
  return db;
}

function freshFile() {
  const path = join(tmp(), "d.db");
  const setupDb = new Database(path);
  setupDb.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
  setupDb.close();
  return path;
}

const count = (path: string, where = "1") => {
  const db = new Database(path);
  try {
    return Number((db.prepare(`SELECT count(*) FROM t WHERE ${where}`).raw(true).get() as unknown[])[0]);
  } finally {
    db.close();
  }
};

// These two pin the upstream behaviour the embedded client works around. When one of them fails
// after an upgrade of `libsql` or `@libsql/client`, upstream has fixed it: see ADR 0006 for what can
// then be removed.
describe("upstream behaviour (pinned)", () => {
  it("libsql: a statement that failed with SQLITE_BUSY stays in progress and swallows later commits", () => {
    const path = freshFile();
    const db = outsider(path);
    const other = outsider(path);
    other.exec("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('outside')");
    const stuck = db.prepare("INSERT INTO t (v) VALUES ('refused')");
    expect(() => stuck.run()).toThrow(/locked|busy/i);
    other.exec("ROLLBACK");
    db.prepare("INSERT INTO t (v) VALUES ('reported')").run(); // answers success…
    expect(count(path, "v = 'reported'")).toBe(0); // …but is not committed
    expect(stuck).toBeDefined(); // keep the statement reachable until here
  });

  it("@libsql/client (file:): an INSERT … RETURNING after a busy batch reports a row that is never committed", async () => {
    const path = freshFile();
    const client = createClient({ url: `file:${path}` });
    const other = outsider(path);
    other.exec("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('outside')");
    await expect(client.execute("INSERT INTO t (v) VALUES ('a') RETURNING id")).rejects.toThrow(/BUSY/);
    other.exec("ROLLBACK");
    const r = await client.execute("INSERT INTO t (v) VALUES ('lost') RETURNING id");
    expect(r.rows).toHaveLength(1);
    client.close();
    expect(count(path, "v = 'lost'")).toBe(0);
  });
});

describe("the embedded client", () => {
  it("waits for an outside lock without blocking the event loop, then commits durably", async () => {
    const path = freshFile();
    const client = createEmbeddedClient(`file:${path}`, { busyTimeoutMs: 3_000 });
    const other = outsider(path);
    other.exec("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('outside')");
    const write = client.execute("INSERT INTO t (v) VALUES ('waited') RETURNING id");
    // While the write waits, timers still run: the loop is free.
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 20));
    expect(performance.now() - t0).toBeLessThan(200);
    setTimeout(() => other.exec("COMMIT"), 300);
    const r = await write;
    expect(r.rows).toHaveLength(1);
    expect(count(path)).toBe(2); // seen by another connection at once
    client.close();
    expect(count(path, "v = 'waited'")).toBe(1);
  });

  it("fails with SQLITE_BUSY past the bound, changes nothing, and its next writes are durable", async () => {
    const path = freshFile();
    const client = createEmbeddedClient(`file:${path}`, { busyTimeoutMs: 200 });
    const other = outsider(path);
    other.exec("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('outside')");
    const started = performance.now();
    const err = await client
      .batch(["INSERT INTO t (v) VALUES ('x')", "INSERT INTO t (v) VALUES ('y')"])
      .catch((e) => e);
    expect(err.code).toBe("SQLITE_BUSY");
    expect(performance.now() - started).toBeLessThan(1_000);
    const single = await client.execute("INSERT INTO t (v) VALUES ('z') RETURNING id").catch((e) => e);
    expect(single.code).toBe("SQLITE_BUSY");
    other.exec("COMMIT");
    // The client's next writes are committed, visible at once, and the outsider can write again.
    await client.execute("INSERT INTO t (v) VALUES ('after') RETURNING id");
    await client.batch(["INSERT INTO t (v) VALUES ('after2')"], "write");
    expect(count(path, "v in ('after', 'after2')")).toBe(2);
    other.exec("INSERT INTO t (v) VALUES ('outsider again')");
    client.close();
    expect(count(path, "v in ('x', 'y', 'z')")).toBe(0);
    expect(count(path)).toBe(4);
  });

  it("marks a connection broken when a statement is left in progress, and retiring it loses nothing", () => {
    const path = freshFile();
    const conn = new Connection(path);
    const other = outsider(path);
    other.exec("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('outside')");
    // A write outside BEGIN IMMEDIATE (what the endpoint runs for its clients) meets the lock.
    expect(() => conn.query("INSERT INTO t (v) VALUES ('refused')", [])).toThrow(/locked|busy/i);
    expect(conn.broken).toBe(true);
    expect(conn.reusable).toBe(false);
    conn.retire();
    other.exec("COMMIT");
    other.exec("INSERT INTO t (v) VALUES ('outsider again')"); // the retired connection blocks no writer
    expect(count(path)).toBe(2);
  });
});

describe("npm run db:backup", () => {
  it("copies every acknowledged write, including those still in the WAL, while the database is open", async () => {
    const path = freshFile();
    const client = createEmbeddedClient(`file:${path}`);
    await client.batch(["INSERT INTO t (v) VALUES ('a')", "INSERT INTO t (v) VALUES ('b')"]);
    const target = join(tmp(), "copy.db");
    const run = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/node/backup.ts"), target], {
      cwd: ROOT,
      env: { ...process.env, LIBSQL_URL: `file:${path}` },
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    client.close();
    expect(count(target)).toBe(2);
  });
});

describe("the API when the database stays busy", () => {
  let t: TestApp;
  let p: Awaited<ReturnType<TestApp["pair"]>>;
  beforeAll(async () => {
    t = await setup({ env: { DB_BUSY_TIMEOUT_MS: "300" } });
    p = await t.pair();
  });

  const doc = (key: string) =>
    t.request("/v1/documents", {
      method: "POST",
      as: p.user("proc", "handler"),
      headers: { "idempotency-key": key },
      json: {
        type: "protest.civil",
        docNumber: "示检民监〔2026〕7号",
        caseNumbers: ["(2025)示01民终7号"],
        caseCategory: "civil",
        title: "抗诉书",
      },
    });

  it("answers 503 database_busy with Retry-After, never 500, and the retry succeeds once", async () => {
    const path = t.config.LIBSQL_URL.slice("file:".length);
    const other = outsider(path);
    other.exec("BEGIN IMMEDIATE");
    const busy = await doc("busy-key-000001");
    const health = await t.request("/health");
    other.exec("ROLLBACK");
    expectProblem(busy, 503, "database_busy");
    expect(busy.headers.get("retry-after")).toBe("1");
    expect(health.status).toBe(200);
    const retried = await doc("busy-key-000001");
    expect(retried.status).toBe(201);
    const replay = await doc("busy-key-000001");
    expect(replay.body.id).toBe(retried.body.id);
  });

  it("records a cron run that could not be claimed as not claimed, without throwing", async () => {
    const path = t.config.LIBSQL_URL.slice("file:".length);
    const other = outsider(path);
    other.exec("BEGIN IMMEDIATE");
    const at = new Date("2026-09-01T02:15:00Z");
    const outcome = await runJob(t.deps, "sweep", at);
    other.exec("ROLLBACK");
    expect(outcome.status).toBe("not_claimed");
    expect((await runJob(t.deps, "sweep", at)).status).toBe("ok");
  });
});

// Two Node hosts (`npm start`) on one database file, each taking writes and reads, and a third
// process running cron jobs: no 5xx, no acknowledged write lost, one winner of a race.
describe("two hosts on one database file", () => {
  let t: TestApp;
  const dbUrl = `file:${join(tmp(), "shared.db")}`;
  const hosts: { proc: ChildProcess; url: string }[] = [];
  const demo: Record<string, string> = {};

  async function startHost(port: number) {
    const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/node/server.ts")], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), LIBSQL_URL: dbUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i++) {
      if (proc.exitCode !== null) throw new Error(`host on ${port} exited`);
      if (
        await fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return { proc, url };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`host on ${port} did not start`);
  }

  beforeAll(async () => {
    // Both start together on an empty file: migrations, calendar, demo data and development keys
    // are each written once, by whichever host gets there first.
    const base = 20_000 + (process.pid % 20_000);
    hosts.push(...(await Promise.all([startHost(base), startHost(base + 1)])));
    // This process is a third host (it runs cron below). Real time: the hosts check tokens' age.
    t = await setup({ clock: fixedClock(new Date().toISOString()), env: { LIBSQL_URL: dbUrl } });
    for (const email of ["proc.handler@donghu.demo", "court.registrar@donghu.demo"]) {
      const [u] = await t.deps.db.all<{ id: string }>(sql`select id from users where email = ${email}`);
      demo[email] = u!.id;
    }
  }, 60_000);

  it("seeded the demo data once", async () => {
    const [j] = await t.deps.db.all<{ n: number }>(sql`select count(*) as n from jurisdictions`);
    expect(j!.n).toBe(2);
  });

  afterAll(() => {
    for (const h of hosts) h.proc.kill("SIGTERM");
  });

  const send = async (url: string, token: string, key: string) =>
    fetch(`${url}/v1/documents`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "idempotency-key": key,
      },
      body: JSON.stringify({
        type: "protest.civil",
        docNumber: "示检民监〔2026〕9号",
        caseNumbers: ["(2025)示01民终9号"],
        caseCategory: "civil",
        title: `抗诉书 ${key}`,
      }),
    });

  it("mixed load on both: 0 5xx, every acknowledged create is in the file, cron runs recorded", async () => {
    const sender = await t.token(demo["proc.handler@donghu.demo"]!);
    const reader = await t.token(demo["court.registrar@donghu.demo"]!);
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    const until = performance.now() + 4_000;
    let n = 0;
    const worker = async (w: number) => {
      while (performance.now() < until) {
        const url = hosts[(w + n) % 2]!.url;
        const i = n++;
        const res =
          i % 3 === 0
            ? await send(url, sender, `load-${w}-${i}-key`)
            : await fetch(`${url}/v1/documents?box=inbox&limit=20`, {
                headers: { authorization: `Bearer ${reader}` },
              });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const body = (await res.json()) as { id: string };
        if (res.status === 201) acknowledged.push(body.id);
      }
    };
    // A third host runs the cron jobs meanwhile, as `npm start` does every few minutes.
    const cron = (async () => {
      const out = [];
      for (let k = 0; performance.now() < until; k++) {
        const job = k % 2 ? "sweep" : "webhooks";
        out.push({ job, ...(await runJob(t.deps, job, new Date(Date.UTC(2026, 8, 1, 3, k)))) });
        await new Promise((r) => setTimeout(r, 100));
      }
      return out;
    })();
    await Promise.all([...Array(12).keys()].map(worker));
    const runs = await cron;
    const fivexx = [...statuses].filter(([s]) => s >= 500);
    expect(fivexx).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(20);
    expect(runs.filter((r) => r.status !== "ok")).toEqual([]);
    const db = new Database(dbUrl.slice("file:".length));
    const found = db
      .prepare(`SELECT count(*) FROM documents WHERE id IN (${acknowledged.map(() => "?").join(",")})`)
      .raw(true)
      .get(...acknowledged) as unknown[];
    db.close();
    expect(Number(found[0])).toBe(acknowledged.length);
  }, 30_000);

  it("two registrars receiving one document on different hosts: exactly one succeeds", async () => {
    const sender = await t.token(demo["proc.handler@donghu.demo"]!);
    const registrar = await t.token(demo["court.registrar@donghu.demo"]!);
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
    for (let round = 0; round < 5; round++) {
      const created = await send(hosts[0]!.url, sender, `race-${round}-key`);
      const { id } = (await created.json()) as { id: string };
      const receive = (url: string) =>
        fetch(`${url}/v1/documents/${id}/receive`, {
          method: "POST",
          headers: { authorization: `Bearer ${registrar}`, "content-type": "application/json" },
          body: JSON.stringify({ receivedOn: today }),
        }).then((r) => r.status);
      const both = await Promise.all([receive(hosts[0]!.url), receive(hosts[1]!.url)]);
      expect(both.sort()).toEqual([200, 409]);
    }
    // Creates still work on both afterwards.
    for (const h of hosts)
      expect((await send(h.url, sender, `after-race-${h.url.slice(-5)}`)).status).toBe(201);
  }, 30_000);
});
