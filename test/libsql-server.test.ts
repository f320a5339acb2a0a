// The local Hrana endpoint, through the real @libsql/client over HTTP and through raw pipeline JSON.
import { createClient, LibsqlError, type Client } from "@libsql/client";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHranaServer, type HranaServer } from "../src/node/libsql-server";

let srv: HranaServer;
let db: Client;
const dir = mkdtempSync(join(tmpdir(), "fjxt-hrana-"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  srv = await startHranaServer({ file: join(dir, "hrana.db"), port: 0, idleTimeoutMs: 300 });
  db = createClient({ url: srv.url, intMode: "bigint" });
  await db.executeMultiple(`
    create table kv (id integer primary key, k text unique not null, v);
    create table acct (id integer primary key, owner text not null, balance integer not null check (balance >= 0));
  `);
});

afterAll(async () => {
  db?.close();
  await srv?.close();
});

/** One raw pipeline request. */
async function pipeline(body: unknown, url = srv.url, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as any };
}

const exec = (sql: string, args?: unknown[]) => ({
  type: "execute",
  stmt: { sql, ...(args ? { args } : {}) },
});

describe("values and arguments through @libsql/client", () => {
  it("binds positional, numbered and named arguments, with or without the prefix", async () => {
    await db.execute({ sql: "insert into kv (k, v) values (?, ?)", args: ["pos", "p"] });
    await db.execute({ sql: "insert into kv (k, v) values (:k, $v)", args: { k: "named", v: "n" } });
    await db.execute({ sql: "insert into kv (k, v) values (@k, :v)", args: { "@k": "prefixed", ":v": "x" } });
    const r = await db.execute({ sql: "select ?2 || '-' || ?1 as s", args: ["a", "b"] });
    expect(r.rows[0]!.s).toBe("b-a");
    const named = await db.execute({ sql: "select v from kv where k = :k or k = :k", args: { k: "named" } });
    expect(named.rows.map((x) => x.v)).toEqual(["n"]);
    expect(
      (await db.execute("select count(*) as n from kv where k in ('pos', 'named', 'prefixed')")).rows[0]!.n,
    ).toBe(3n);
  });

  it("round-trips NULL, blobs, 64-bit integers, floats and text exactly", async () => {
    const blob = new Uint8Array([0, 1, 2, 250, 255]);
    const big = 9223372036854775807n;
    const small = -9223372036854775808n;
    await db.execute({ sql: "create table vals (i integer, r real, t text, b blob, n)" });
    await db.execute({
      sql: "insert into vals values (?, ?, ?, ?, ?)",
      args: [big, 1.5, "法检 ✓", blob, null],
    });
    await db.execute({
      sql: "insert into vals values (?, ?, ?, ?, ?)",
      args: [small, 2.0, "", new Uint8Array(0), null],
    });
    const r = await db.execute(
      "select i, r, t, b, n, typeof(r) as tr, i - 1 as im from vals order by i desc",
    );
    expect(r.columns).toEqual(["i", "r", "t", "b", "n", "tr", "im"]);
    expect(r.columnTypes).toEqual(["INTEGER", "REAL", "TEXT", "BLOB", "", "", ""]);
    const [a, b] = r.rows as any[];
    expect(a.i).toBe(big);
    expect(a.im).toBe(big - 1n);
    expect(a.r).toBe(1.5);
    expect(a.t).toBe("法检 ✓");
    expect(new Uint8Array(a.b)).toEqual(blob);
    expect(a.n).toBeNull();
    expect(b.i).toBe(small);
    expect(typeof b.r).toBe("number"); // a REAL stays a float even when integral
    expect(b.tr).toBe("real");
    expect(new Uint8Array(b.b)).toEqual(new Uint8Array(0));
  });

  it("reports rows affected and the last rowid only where they mean something", async () => {
    const ins = await db.execute({ sql: "insert into kv (k, v) values (?, 1), (?, 2)", args: ["r1", "r2"] });
    expect(ins.rowsAffected).toBe(2);
    expect(typeof ins.lastInsertRowid).toBe("bigint");
    const upd = await db.execute("update kv set v = 3 where k in ('r1', 'r2')");
    expect(upd.rowsAffected).toBe(2);
    expect(upd.lastInsertRowid).toBeUndefined();
    const sel = await db.execute("select * from kv");
    expect(sel.rowsAffected).toBe(0);
    expect(sel.lastInsertRowid).toBeUndefined();
    const ret = await db.execute({
      sql: "insert into kv (k, v) values (?, 9) returning id, v",
      args: ["ret"],
    });
    expect(ret.rows[0]!.v).toBe(9n);
    expect(ret.rowsAffected).toBe(1);
    expect(ret.lastInsertRowid).toBe(ret.rows[0]!.id);
  });

  it("reports SQLite errors with the base code", async () => {
    const err = await db.execute({ sql: "insert into kv (k) values (?)", args: ["pos"] }).catch((e) => e);
    expect(err).toBeInstanceOf(LibsqlError);
    expect(err.code).toBe("SQLITE_CONSTRAINT");
    const missing = await db.execute("select * from nowhere").catch((e) => e);
    expect(missing.code).toBe("SQLITE_ERROR");
    expect(missing.message).toMatch(/no such table: nowhere/);
    expect((await db.execute("selec 1").catch((e) => e)).code).toBe("SQL_PARSE_ERROR");
    expect((await db.execute({ sql: "select ?, ?", args: [1] }).catch((e) => e)).code).toBe("ARGS_INVALID");
    expect((await db.execute({ sql: "select ?", args: [1, 2] }).catch((e) => e)).code).toBe("ARGS_INVALID");
    expect((await db.execute("select 1; select 2").catch((e) => e)).code).toBe("SQL_MANY_STATEMENTS");
  });
});

describe("batches, transactions and streams through @libsql/client", () => {
  it("batch() is atomic: a failing middle statement leaves nothing committed", async () => {
    const err = await db
      .batch(
        [
          { sql: "insert into acct (owner, balance) values (?, ?)", args: ["atomic-1", 10] },
          { sql: "insert into acct (owner, balance) values (?, ?)", args: ["atomic-2", -5] },
          { sql: "insert into acct (owner, balance) values (?, ?)", args: ["atomic-3", 10] },
        ],
        "write",
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(LibsqlError);
    expect(err.code).toBe("SQLITE_CONSTRAINT");
    expect(err.statementIndex).toBe(1);
    expect((await db.execute("select count(*) as n from acct where owner like 'atomic-%'")).rows[0]!.n).toBe(
      0n,
    );
    const ok = await db.batch(
      [
        { sql: "insert into acct (owner, balance) values (?, ?)", args: ["atomic-4", 10] },
        "select count(*) as n from acct where owner = 'atomic-4'",
      ],
      "write",
    );
    expect(ok[1]!.rows[0]!.n).toBe(1n);
  });

  it("transaction('write') commits, and rolls back; others never see uncommitted rows", async () => {
    const other = createClient({ url: srv.url });
    try {
      const tx = await db.transaction("write");
      await tx.execute({ sql: "insert into acct (owner, balance) values (?, 1)", args: ["tx-commit"] });
      expect((await tx.execute("select count(*) as n from acct where owner = 'tx-commit'")).rows[0]!.n).toBe(
        1n,
      );
      expect(
        (await other.execute("select count(*) as n from acct where owner = 'tx-commit'")).rows[0]!.n,
      ).toBe(0);
      await tx.commit();
      expect(
        (await other.execute("select count(*) as n from acct where owner = 'tx-commit'")).rows[0]!.n,
      ).toBe(1);

      const rb = await db.transaction("write");
      await rb.execute({ sql: "insert into acct (owner, balance) values (?, 1)", args: ["tx-rollback"] });
      await rb.rollback();
      expect(
        (await other.execute("select count(*) as n from acct where owner = 'tx-rollback'")).rows[0]!.n,
      ).toBe(0);
    } finally {
      other.close();
    }
  });

  it("transaction('read') reads one consistent snapshot", async () => {
    const tx = await db.transaction("read");
    try {
      const before = (await tx.execute("select count(*) as n from acct")).rows[0]!.n;
      await db.execute({ sql: "insert into acct (owner, balance) values (?, 1)", args: ["during-read"] });
      expect((await tx.execute("select count(*) as n from acct")).rows[0]!.n).toBe(before);
      expect((await db.execute("select count(*) as n from acct")).rows[0]!.n).toBe((before as bigint) + 1n);
    } finally {
      tx.close();
    }
  });

  it("expires an idle stream and rolls back its transaction", async () => {
    const tx = await db.transaction("write");
    await tx.execute({ sql: "insert into acct (owner, balance) values (?, 1)", args: ["expired"] });
    await sleep(600); // the server runs with a 300 ms idle timeout
    const err = await tx.execute("select 1").catch((e) => e);
    expect(err).toBeInstanceOf(LibsqlError);
    expect(err.code).toBe("STREAM_EXPIRED");
    tx.close();
    expect((await db.execute("select count(*) as n from acct where owner = 'expired'")).rows[0]!.n).toBe(0n);
    // The write lock went with it: another writer proceeds.
    await db.execute({ sql: "insert into acct (owner, balance) values (?, 1)", args: ["after-expiry"] });
  });

  it("rejects a forged baton and a reused one, with JSON errors", async () => {
    const first = await pipeline({ baton: null, requests: [exec("select 1")] });
    expect(first.status).toBe(200);
    const baton: string = first.body.baton;
    expect(typeof baton).toBe("string");
    const raw = Buffer.from(baton, "base64");
    raw[20] = raw[20]! ^ 1; // flip one MAC bit
    const forged = await pipeline({ baton: raw.toString("base64"), requests: [exec("select 1")] });
    expect(forged.status).toBe(400);
    expect(forged.type).toBe("application/json");
    expect(forged.body).toMatchObject({ code: "BATON_INVALID" });
    const idForged = Buffer.from(baton, "base64");
    idForged[0] = idForged[0]! ^ 1; // another stream id under the old MAC
    expect((await pipeline({ baton: idForged.toString("base64"), requests: [] })).body.code).toBe(
      "BATON_INVALID",
    );

    const second = await pipeline({ baton, requests: [exec("select 2")] });
    expect(second.status).toBe(200);
    expect(second.body.baton).not.toBe(baton);
    const reused = await pipeline({ baton, requests: [exec("select 3")] });
    expect(reused.status).toBe(400);
    expect(reused.body.code).toBe("BATON_REUSED");
    const closed = await pipeline({ baton: second.body.baton, requests: [{ type: "close" }] });
    expect(closed.body.baton).toBeNull();
    expect((await pipeline({ baton: second.body.baton, requests: [] })).body.code).toBe("BATON_INVALID");
  });

  it("runs executeMultiple() as a sequence", async () => {
    await db.executeMultiple(`
      insert into kv (k, v) values ('seq-1', 1);
      -- a comment; with a semicolon
      insert into kv (k, v) values ('seq-2', 'a;b');
      create trigger kv_seq after insert on kv when new.k = 'seq-3' begin
        update kv set v = 'fired' where k = 'seq-1';
      end;
      insert into kv (k, v) values ('seq-3', 3);
    `);
    const r = await db.execute("select k, v from kv where k like 'seq-%' order by k");
    expect(r.rows.map((x) => [x.k, x.v])).toEqual([
      ["seq-1", "fired"],
      ["seq-2", "a;b"],
      ["seq-3", 3n],
    ]);
    const err = await db
      .executeMultiple(
        "insert into kv (k) values ('seq-4'); insert into kv (k) values ('seq-1'); insert into kv (k) values ('seq-5');",
      )
      .catch((e) => e);
    expect(err.code).toBe("SQLITE_CONSTRAINT");
    expect((await db.execute("select count(*) as n from kv where k in ('seq-4', 'seq-5')")).rows[0]!.n).toBe(
      1n,
    );
  });

  it("lets ten concurrent writers all succeed, every row present", async () => {
    const writers = Array.from({ length: 10 }, () => createClient({ url: srv.url }));
    try {
      await Promise.all(
        writers.map(async (w, i) => {
          // Interleaved interactive transactions: each holds the write lock across HTTP requests.
          const tx = await w.transaction("write");
          await tx.execute({
            sql: "insert into acct (owner, balance) values (?, ?)",
            args: [`writer-${i}`, i],
          });
          await sleep(5);
          await tx.execute({
            sql: "update acct set balance = balance + 1 where owner = ?",
            args: [`writer-${i}`],
          });
          await tx.commit();
          await w.batch(
            [{ sql: "insert into acct (owner, balance) values (?, ?)", args: [`writer-${i}-b`, i] }],
            "write",
          );
          await w.execute({
            sql: "insert into acct (owner, balance) values (?, ?)",
            args: [`writer-${i}-c`, i],
          });
        }),
      );
    } finally {
      for (const w of writers) w.close();
    }
    const r = await db.execute("select owner, balance from acct where owner like 'writer-%' order by owner");
    expect(r.rows).toHaveLength(30);
    for (let i = 0; i < 10; i++)
      expect(r.rows.find((x) => x.owner === `writer-${i}`)!.balance).toBe(BigInt(i + 1));
  });
});

describe("raw pipeline JSON", () => {
  it("evaluates batch conditions ok, error, not, and, or; skipped steps are null in both arrays", async () => {
    const cond = (c: unknown, sql: string) => ({ condition: c, stmt: { sql } });
    const res = await pipeline({
      requests: [
        {
          type: "batch",
          batch: {
            steps: [
              { stmt: { sql: "select 1" } }, // 0 ok
              { stmt: { sql: "select * from missing_table" } }, // 1 error
              cond({ type: "ok", step: 0 }, "select 'ok0'"), // 2 runs
              cond({ type: "ok", step: 1 }, "select 'ok1'"), // 3 skipped
              cond({ type: "error", step: 1 }, "select 'err1'"), // 4 runs
              cond({ type: "not", cond: { type: "error", step: 0 } }, "select 'not'"), // 5 runs
              cond(
                {
                  type: "and",
                  conds: [
                    { type: "ok", step: 0 },
                    { type: "ok", step: 3 },
                  ],
                },
                "select 'and'",
              ), // 6 skipped
              cond(
                {
                  type: "or",
                  conds: [
                    { type: "ok", step: 3 },
                    { type: "error", step: 1 },
                  ],
                },
                "select 'or'",
              ), // 7 runs
              cond({ type: "error", step: 3 }, "select 'skipped-is-not-error'"), // 8 skipped
              cond({ type: "and", conds: [] }, "select 'empty-and'"), // 9 runs
              cond({ type: "or", conds: [] }, "select 'empty-or'"), // 10 skipped
            ],
          },
        },
        { type: "close" },
      ],
    });
    expect(res.status).toBe(200);
    const { step_results, step_errors } = res.body.results[0].response.result;
    const ran = step_results.map((r: any, i: number) => (r ? "ok" : step_errors[i] ? "error" : null));
    expect(ran).toEqual(["ok", "error", "ok", null, "ok", "ok", null, "ok", null, "ok", null]);
    expect(step_errors[1]).toMatchObject({ code: "SQLITE_ERROR" });
    expect(step_results[7].rows).toEqual([[{ type: "text", value: "or" }]]);
    expect(step_results[0]).toEqual({
      cols: [{ name: "1", decltype: null }],
      rows: [[{ type: "integer", value: "1" }]],
      affected_row_count: 0,
      last_insert_rowid: null,
    });
  });

  it("stores SQL texts per stream, describes statements, honours want_rows", async () => {
    const res = await pipeline({
      requests: [
        { type: "store_sql", sql_id: 7, sql: "select k, v from kv where k = ?" },
        { type: "execute", stmt: { sql_id: 7, args: [{ type: "text", value: "pos" }] } },
        { type: "execute", stmt: { sql_id: 7, args: [{ type: "text", value: "pos" }], want_rows: false } },
        { type: "describe", sql: "select id, k from kv where k = :k and v = ?" },
        { type: "describe", sql: "insert into kv (k) values (?)" },
        { type: "close_sql", sql_id: 7 },
        { type: "sequence", sql: "select 1; select 2" },
        { type: "execute", stmt: { sql: "select ?", args: [{ type: "blob", base64: "AAEC/w" }] } },
        {
          type: "execute",
          stmt: {
            sql: "select ?, ?",
            args: [
              { type: "integer", value: "-9223372036854775808" },
              { type: "float", value: 0.25 },
            ],
          },
        },
      ],
    });
    expect(res.status).toBe(200);
    const r = res.body.results.map((x: any) => x.response);
    expect(r[0]).toEqual({ type: "store_sql" });
    expect(r[1].result.rows).toEqual([
      [
        { type: "text", value: "pos" },
        { type: "text", value: "p" },
      ],
    ]);
    expect(r[2].result.rows).toEqual([]);
    expect(r[3].result).toEqual({
      params: [{ name: ":k" }, { name: null }],
      cols: [
        { name: "id", decltype: "INTEGER" },
        { name: "k", decltype: "TEXT" },
      ],
      is_explain: false,
      is_readonly: true,
    });
    expect(r[4].result).toMatchObject({ params: [{ name: null }], cols: [], is_readonly: false });
    expect(r[6]).toEqual({ type: "sequence" });
    expect(r[7].result.rows[0][0]).toEqual({ type: "blob", base64: "AAEC/w" });
    expect(r[8].result.rows[0]).toEqual([
      { type: "integer", value: "-9223372036854775808" },
      { type: "float", value: 0.25 },
    ]);
    // The stored SQL was closed: using it now is a protocol error for the whole pipeline.
    const gone = await pipeline({
      baton: res.body.baton,
      requests: [{ type: "execute", stmt: { sql_id: 7 } }],
    });
    expect(gone.status).toBe(400);
    expect(gone.body.code).toBe("SQL_NOT_FOUND");
  });

  it("answers protocol errors with 4xx JSON bodies and executes nothing of a malformed pipeline", async () => {
    const cases: [unknown, string][] = [
      ["{not json", "JSON_DESERIALIZE"],
      [{ requests: "nope" }, "JSON_DESERIALIZE"],
      [
        { requests: [exec("insert into kv (k) values ('never')"), { type: "frobnicate" }] },
        "STREAM_REQUEST_NOT_RECOGNIZED",
      ],
      [
        {
          requests: [
            exec("insert into kv (k) values ('never')"),
            exec("select ?", [{ type: "integer", value: "1.5" }]),
          ],
        },
        "JSON_DESERIALIZE",
      ],
      [
        { requests: [exec("select ?", [{ type: "integer", value: "9223372036854775808" }])] },
        "JSON_DESERIALIZE",
      ],
      [{ requests: [exec("select ?", [{ type: "date", value: "x" }])] }, "VALUE_TYPE_NOT_RECOGNIZED"],
      [
        {
          requests: [
            {
              type: "batch",
              batch: { steps: [{ condition: { type: "ok", step: 0 }, stmt: { sql: "select 1" } }] },
            },
          ],
        },
        "BATCH_COND_BAD_STEP",
      ],
      [
        {
          requests: [
            {
              type: "batch",
              batch: {
                steps: [
                  { stmt: { sql: "select 1" } },
                  { condition: { type: "maybe" }, stmt: { sql: "select 1" } },
                ],
              },
            },
          ],
        },
        "BATCH_COND_NOT_RECOGNIZED",
      ],
      [{ requests: [{ type: "execute", stmt: { sql: "select 1", sql_id: 1 } }] }, "SQL_ID_AND_SQL_GIVEN"],
      [{ requests: [{ type: "execute", stmt: {} }] }, "SQL_ID_OR_SQL_NOT_GIVEN"],
      [
        {
          requests: [
            { type: "store_sql", sql_id: 1, sql: "select 1" },
            { type: "store_sql", sql_id: 1, sql: "select 2" },
          ],
        },
        "SQL_EXISTS",
      ],
      [{ requests: [{ type: "close" }, exec("select 1")] }, "BATON_STREAM_CLOSED"],
      [{ requests: [{ type: "get_autocommit" }] }, "NOT_SUPPORTED"],
      [{ baton: "not a baton", requests: [] }, "BATON_INVALID"],
    ];
    for (const [body, code] of cases) {
      const res = await pipeline(body);
      expect([res.status, res.type, res.body.code], JSON.stringify(body)).toEqual([
        400,
        "application/json",
        code,
      ]);
      expect(typeof res.body.message).toBe("string");
    }
    expect((await db.execute("select count(*) as n from kv where k = 'never'")).rows[0]!.n).toBe(0n);
  });

  it("returns per-request errors inside a 200 and keeps the stream", async () => {
    const res = await pipeline({
      requests: [
        exec("select 1; select 2"),
        exec(""),
        {
          type: "execute",
          stmt: {
            sql: "select ?",
            args: [{ type: "null" }],
            named_args: [{ name: "a", value: { type: "null" } }],
          },
        },
        {
          type: "batch",
          batch: { steps: [{ stmt: { sql: "select 1" } }, { stmt: { sql: "select 1; select 2" } }] },
        },
        exec("select 'still here'"),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => r.error?.code ?? r.type)).toEqual([
      "SQL_MANY_STATEMENTS",
      "SQL_NO_STATEMENT",
      "ARGS_BOTH_POSITIONAL_AND_NAMED",
      "SQL_MANY_STATEMENTS",
      "ok",
    ]);
    expect(typeof res.body.baton).toBe("string");
  });

  it("serves the version probes and the health, version and stats routes", async () => {
    const get = (p: string, init?: RequestInit) => fetch(srv.url + p, init);
    expect((await get("/v2")).status).toBe(200);
    for (const p of ["/v3", "/v3-protobuf", "/v3/pipeline", "/v3-protobuf/pipeline", "/v1/execute"]) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/json");
    }
    expect((await get("/health")).status).toBe(200);
    expect(await (await get("/version")).text()).toMatch(/libSQL engine \d+\.\d+/);
    expect((await get("/v2/pipeline")).status).toBe(405);

    await get("/stats?reset=1");
    await pipeline({
      requests: [
        exec("select 1"),
        { type: "batch", batch: { steps: [{ stmt: { sql: "select 1" } }, { stmt: { sql: "select 2" } }] } },
        { type: "close" },
      ],
    });
    await db.execute("select 1");
    const stats = await (await get("/stats")).json();
    expect(stats).toMatchObject({ pipelines: 2, statements: 4, requests: 5 });
    expect(((await (await get("/stats/reset", { method: "POST" })).json()) as any).pipelines).toBe(2);
    expect(((await (await get("/stats")).json()) as any).pipelines).toBe(0);
  });
});

describe("authentication and binding", () => {
  it("requires the bearer token when one is configured, on pipelines and stats only", async () => {
    const guarded = await startHranaServer({ file: join(dir, "guarded.db"), port: 0, authToken: "s3cret" });
    try {
      const none = await pipeline({ requests: [exec("select 1")] }, guarded.url);
      expect([none.status, none.type, none.body.code]).toEqual([
        401,
        "application/json",
        "AUTH_UNAUTHORIZED",
      ]);
      expect((await pipeline({ requests: [] }, guarded.url, { authorization: "Bearer wrong" })).status).toBe(
        401,
      );
      expect((await fetch(`${guarded.url}/stats`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/v2`)).status).toBe(200); // version probes stay open, as with sqld
      const client = createClient({ url: guarded.url, authToken: "s3cret" });
      expect((await client.execute("select 41 + 1 as n")).rows[0]!.n).toBe(42);
      client.close();
      const wrong = createClient({ url: guarded.url, authToken: "nope" });
      expect((await wrong.execute("select 1").catch((e) => e)).code).toBe("AUTH_UNAUTHORIZED");
      wrong.close();
    } finally {
      await guarded.close();
    }
  });

  it("answers an oversized pipeline body 413 in JSON", async () => {
    const small = await startHranaServer({ file: join(dir, "small.db"), port: 0, maxBodyBytes: 1024 });
    try {
      const res = await pipeline({ requests: [exec(`select '${"x".repeat(4096)}'`)] }, small.url);
      expect([res.status, res.type, res.body.code]).toEqual([413, "application/json", "BODY_TOO_LARGE"]);
      expect((await pipeline({ requests: [exec("select 1")] }, small.url)).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it("refuses a non-loopback address without a token", async () => {
    await expect(startHranaServer({ file: join(dir, "x.db"), port: 0, host: "0.0.0.0" })).rejects.toThrow(
      /non-loopback/,
    );
  });
});
