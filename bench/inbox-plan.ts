// The inbox page's SQL, as the route runs it (captured from the client under GET /v1/documents), with
// its query plan and its in-process time on a database of 100k documents against the same on 1k:
// a page should cost the same whatever the table holds. `npm run bench -- inboxPlan`.
import { sql } from "drizzle-orm";
import Database from "libsql";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../src/node/server";
import { fillDocuments } from "./documents";
import { benchToken, freePort, stopServer } from "./http";

const COURT_REG = "court.registrar@city.demo";
const ROUTES = {
  inbox: "/v1/documents?box=inbox",
  inboxOverdue: "/v1/documents?box=inbox&overdue=true",
  inboxCreated: "/v1/documents?box=inbox&sort=created",
  inboxUpdated: "/v1/documents?box=inbox&sort=updated",
  inboxStatus: "/v1/documents?box=inbox&status=received",
  followup: "/v1/documents?box=followup",
};
const REPEAT = 200;

type Captured = { sql: string; args: unknown[] };

/** Median microseconds of running `stmt` to completion `REPEAT` times on one connection. */
function time(db: Database.Database, s: Captured): number {
  const stmt = db.prepare(s.sql).raw(true);
  for (let i = 0; i < 20; i++) stmt.all(s.args);
  const t: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    stmt.all(s.args);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return Math.round(t[t.length >> 1]! * 1000);
}

function plan(db: Database.Database, s: Captured): string[] {
  const rows = db.prepare(`explain query plan ${s.sql}`).all(s.args) as {
    id: number;
    parent: number;
    detail: string;
  }[];
  const depth = new Map<number, number>([[0, -1]]);
  return rows.map((r) => {
    const d = (depth.get(r.parent) ?? 0) + 1;
    depth.set(r.id, d);
    return `${"  ".repeat(d)}${r.detail}`;
  });
}

async function capture(count: number) {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-plan-"));
  const dbUrl = `file:${join(dir, "bench.db")}`;
  const port = await freePort();
  const host = await startServer({ LIBSQL_URL: dbUrl, PORT: String(port), CRON: "off" });
  const { deps } = host;
  try {
    await fillDocuments(deps.db, count);
    // PLAN_DDL: statements run on the fixture before ANALYZE, to try an index before writing its migration.
    if (process.env.PLAN_DDL) await deps.db.$client.executeMultiple(process.env.PLAN_DDL);
    await deps.db.run(sql`analyze`);
    const [user] = await deps.db.all<{ id: string }>(sql`select id from users where email = ${COURT_REG}`);
    const token = await benchToken(dbUrl, deps.config, user!.id);
    const client = deps.db.$client;
    const execute = client.execute.bind(client);
    const seen: Captured[] = [];
    client.execute = ((s: Captured) => {
      seen.push({ sql: s.sql, args: [...s.args] });
      return execute(s as never);
    }) as typeof client.execute;
    const captured: Record<string, Captured> = {};
    for (const [name, path] of Object.entries(ROUTES)) {
      seen.length = 0;
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      captured[name] = seen.find((s) => s.sql.includes("json_group_array(json(q_.j))"))!;
    }
    client.execute = execute;
    const db = new Database(join(dir, "bench.db"));
    try {
      const out: Record<string, { micros: number; plan: string[] }> = {};
      for (const [name, s] of Object.entries(captured))
        out[name] = { micros: time(db, s), plan: plan(db, s) };
      return { out, captured };
    } finally {
      db.close();
    }
  } finally {
    await stopServer(host);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function inboxPlan(): Promise<Record<string, unknown>> {
  const large = await capture(100_000);
  const small = await capture(1_000);
  const figures: Record<string, unknown> = {};
  for (const name of Object.keys(ROUTES)) {
    figures[`${name}MicrosWith100k`] = large.out[name]!.micros;
    figures[`${name}MicrosWith1k`] = small.out[name]!.micros;
    figures[`${name}100kTo1k`] = Math.round((large.out[name]!.micros / small.out[name]!.micros) * 100) / 100;
  }
  figures.inboxPlan = large.out.inbox!.plan;
  if (process.env.BENCH_SHOW_SQL) {
    for (const [name, s] of Object.entries(large.captured))
      console.log(`\n-- ${name}\n${s.sql}\n-- ${JSON.stringify(s.args)}`);
    for (const name of Object.keys(ROUTES))
      console.log(`\n-- plan ${name}\n${large.out[name]!.plan.join("\n")}`);
  }
  return figures;
}
