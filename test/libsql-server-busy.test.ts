// The local Hrana endpoint under lock contention (issue 8, section 2): a statement refused with
// SQLITE_BUSY must never leave a poisoned connection behind (a write answered ok but never committed,
// a stale snapshot, SQLITE_LOCKED on DDL), and a transaction broken by BUSY must never be half
// committed. Through the real @libsql/client over HTTP, and raw pipeline JSON where a stream must be
// held open across requests.
import { type Client, createClient } from "@libsql/client";
import Database from "libsql";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type HranaServer, startHranaServer } from "../src/node/libsql-server";

const dir = mkdtempSync(join(tmpdir(), "fjxt-hrana-busy-"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let fileNo = 0;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** A server on a fresh file; clients made through `client()` are closed after the test. */
async function setup(opts: { busyTimeoutMs?: number; idleTimeoutMs?: number } = {}) {
  const file = join(dir, `busy-${++fileNo}.db`);
  const srv = await startHranaServer({ file, port: 0, ...opts });
  let stopped = false;
  const stop = async () => {
    if (!stopped) await srv.close();
    stopped = true;
  };
  cleanups.push(stop);
  const client = (): Client => {
    const c = createClient({ url: srv.url });
    cleanups.push(() => c.close());
    return c;
  };
  return { srv, file, client, stop };
}

/** Reads the database file directly with the engine (after the endpoint stopped). */
function readFile(file: string, sql: string): unknown[] {
  const db = new Database(file);
  try {
    return db.prepare(sql).all() as unknown[];
  } finally {
    db.close();
  }
}

type Val = { type: string; value?: string };
const text = (v: string) => ({ type: "text", value: v });

/** A stream driven by raw pipeline requests, so that it can be held open across requests. */
class RawStream {
  baton: string | null = null;
  constructor(private readonly srv: HranaServer) {}

  private async send(requests: unknown[]): Promise<any[]> {
    const res = await fetch(`${this.srv.url}/v2/pipeline`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ baton: this.baton, requests }),
    });
    const body = (await res.json()) as any;
    if (res.status !== 200) throw new Error(`pipeline failed: ${res.status} ${JSON.stringify(body)}`);
    this.baton = body.baton;
    return body.results;
  }

  /** Runs one statement; resolves to its rows (as plain values) or to `{ error: code }`. */
  async run(
    sql: string,
    args: Val[] = [],
  ): Promise<{ rows?: unknown[][]; error?: string; message?: string }> {
    const [r] = await this.send([{ type: "execute", stmt: { sql, args } }]);
    if (r.type === "error") return { error: r.error.code, message: r.error.message };
    return { rows: r.response.result.rows.map((row: any[]) => row.map((v) => v.value ?? null)) };
  }

  async close() {
    if (this.baton !== null) await this.send([{ type: "close" }]);
    this.baton = null;
  }
}

describe("SQLITE_BUSY never leaves a poisoned connection", () => {
  it("after writers refused with BUSY, every later autocommit write is committed, visible and in the file", async () => {
    const { srv, file, client, stop } = await setup({ busyTimeoutMs: 300 });
    const a = client();
    await a.execute("create table t (id integer primary key, v text not null)");
    // Stream A takes the write lock and holds it.
    const tx = await a.transaction("write");
    await tx.execute("insert into t (v) values ('a')");
    // Writers on other streams (several at once, so that several pooled connections meet BUSY).
    const refused = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        client()
          .execute(`insert into t (v) values ('refused-${i}')`)
          .then(
            () => "ok",
            (e) => e.code,
          ),
      ),
    );
    expect(refused).toEqual(Array(6).fill("SQLITE_BUSY"));
    await tx.commit();

    // Every later autocommit write, on whichever pooled connection it lands, is committed: seen by other
    // streams at once. Several at a time, so that every pooled connection is used.
    const others = Array.from({ length: 8 }, () => client());
    for (let round = 0; round < 3; round++) {
      const oks = await Promise.all(
        others.map((c, i) => c.execute(`insert into t (v) values ('later-${round}-${i}')`).then(() => "ok")),
      );
      expect(oks).toEqual(Array(8).fill("ok"));
      const streams = Array.from({ length: 8 }, () => new RawStream(srv));
      const seen = await Promise.all(
        streams.map((s) => s.run("select count(*) from t where v like ?", [text(`later-${round}-%`)])),
      );
      expect(seen.map((r) => r.rows?.[0]?.[0] ?? r.error)).toEqual(Array(8).fill("8"));
      await Promise.all(streams.map((s) => s.close()));
    }
    // No writer gets BUSY afterwards: interactive write transactions on many streams, one after another.
    for (const c of others) {
      const w = await c.transaction("write");
      await w.execute("insert into t (v) values ('tx-after')");
      await w.commit();
    }
    expect((await a.execute("select count(*) as n from t where v like 'refused-%'")).rows[0]!.n).toBe(0);
    await stop();
    expect(
      readFile(file, "select v from t where v = 'a' or v like 'later-%' or v = 'tx-after'"),
    ).toHaveLength(1 + 24 + 8);
  });

  it("after a transaction fails with BUSY (stale snapshot) and rolls back, every fresh stream sees the latest commit", async () => {
    const { srv, client } = await setup({ busyTimeoutMs: 300 });
    const c = client();
    await c.executeMultiple(
      "create table c (id integer primary key, n integer); insert into c values (1, 0);",
    );
    const A = await client().transaction("deferred");
    const B = await client().transaction("deferred");
    expect((await A.execute("select n from c")).rows[0]!.n).toBe(0);
    expect((await B.execute("select n from c")).rows[0]!.n).toBe(0);
    await A.execute("update c set n = 1");
    await A.commit();
    const err = await B.execute("update c set n = 100").catch((e) => e);
    expect(err.code).toBe("SQLITE_BUSY");
    await B.rollback();
    await c.execute("create table fresh (x integer)");

    // More streams at once than the pool keeps (16): each reads the latest state and can write.
    const streams = Array.from({ length: 18 }, () => new RawStream(srv));
    const reads = await Promise.all(streams.map((s) => s.run("select n from c")));
    expect(reads.map((r) => r.rows?.[0]?.[0] ?? r.error)).toEqual(Array(18).fill("1"));
    const tables = await Promise.all(streams.map((s) => s.run("select count(*) from fresh")));
    expect(tables.map((r) => r.rows?.[0]?.[0] ?? r.error)).toEqual(Array(18).fill("0"));
    const inserts = await Promise.all(
      streams.map((s, i) =>
        s.run("insert into fresh (x) values (?)", [{ type: "integer", value: String(i) }]),
      ),
    );
    expect(inserts.map((r) => r.error ?? "ok")).toEqual(Array(18).fill("ok"));
    await Promise.all(streams.map((s) => s.close()));
    expect((await c.execute("select count(*) as n from fresh")).rows[0]!.n).toBe(18);
    expect((await c.execute("select n from c")).rows[0]!.n).toBe(1);
  });

  it("after a burst of contending write transactions, DROP TABLE succeeds on every stream", async () => {
    const { srv, client } = await setup({ busyTimeoutMs: 100 });
    const c = client();
    await c.executeMultiple(
      `create table burst (id integer primary key, v integer);
       ${Array.from({ length: 18 }, (_, i) => `create table d${i} (x);`).join("\n")}`,
    );
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const w = client();
        const tx = await w.transaction("write");
        try {
          await tx.execute({ sql: "insert into burst (v) values (?)", args: [i] });
          await sleep(20);
          await tx.execute({ sql: "update burst set v = v + 1000 where v = ?", args: [i] });
          await tx.commit();
          return "ok";
        } catch (e) {
          return (e as { code?: string }).code;
        } finally {
          tx.close();
        }
      }),
    );
    expect(outcomes).toContain("ok");
    expect(outcomes).toContain("SQLITE_BUSY"); // the burst did contend
    // Every pooled connection is taken by one of these streams; DDL works on each of them.
    const streams = Array.from({ length: 18 }, () => new RawStream(srv));
    const selects = await Promise.all(streams.map((s) => s.run("select count(*) from burst")));
    const committed = String(outcomes.filter((o) => o === "ok").length);
    expect(selects.map((r) => r.rows?.[0]?.[0] ?? r.error)).toEqual(Array(18).fill(committed));
    const drops = await Promise.all(streams.map((s, i) => s.run(`drop table d${i}`)));
    expect(drops.map((r) => r.error ?? "ok")).toEqual(Array(18).fill("ok"));
    await Promise.all(streams.map((s) => s.close()));
    await c.execute("drop table burst");
    expect((await c.execute("select count(*) as n from sqlite_master where type = 'table'")).rows[0]!.n).toBe(
      0,
    );
  });
});

describe("a transaction broken by SQLITE_BUSY", () => {
  it("is rolled back and its stream refuses statements until ROLLBACK; COMMIT commits nothing", async () => {
    const { srv, client } = await setup({ busyTimeoutMs: 300 });
    const c = client();
    await c.execute("create table t (v text)");
    const B = await client().transaction("deferred");
    expect((await B.execute("select count(*) as n from t")).rows[0]!.n).toBe(0);
    const A = await client().transaction("write");
    await A.execute("insert into t values ('a')");
    const busy = await B.execute("insert into t values ('b1')").catch((e) => e);
    expect(busy.code).toBe("SQLITE_BUSY");
    expect(busy.message).toMatch(/the transaction was rolled back/);
    await A.rollback(); // the lock is free again and nothing changed: B's snapshot would still be valid
    const after = await B.execute("insert into t values ('b2')").catch((e) => e);
    expect(after.code).toBe("SQLITE_ABORT");
    expect(after.message).toMatch(/rolled back .*SQLITE_BUSY.*ROLLBACK/);
    const commit = await B.commit().catch((e) => e);
    expect(commit?.code).toBe("SQLITE_ABORT");
    expect((await c.execute("select v from t")).rows).toEqual([]);

    // ROLLBACK is answered ok, and the stream then works again (and commits for real).
    const raw = new RawStream(srv);
    expect((await raw.run("begin deferred")).error).toBeUndefined();
    expect((await raw.run("select count(*) from t")).rows).toEqual([["0"]]);
    const A2 = await client().transaction("write");
    await A2.execute("insert into t values ('a2')");
    expect((await raw.run("insert into t values ('r1')")).error).toBe("SQLITE_BUSY");
    await A2.rollback();
    expect((await raw.run("insert into t values ('r2')")).error).toBe("SQLITE_ABORT");
    expect((await raw.run("commit")).error).toBe("SQLITE_ABORT");
    expect((await raw.run("rollback")).error).toBeUndefined();
    expect((await raw.run("insert into t values ('r3')")).error).toBeUndefined();
    expect((await c.execute("select v from t")).rows.map((r) => r.v)).toEqual(["r3"]);
    expect((await raw.run("begin immediate")).error).toBeUndefined();
    expect((await raw.run("insert into t values ('r4')")).error).toBeUndefined();
    expect((await raw.run("commit")).error).toBeUndefined();
    await raw.close();
    expect((await c.execute("select v from t order by v")).rows.map((r) => r.v)).toEqual(["r3", "r4"]);
  });

  it("applies to a transaction that SQLite itself rolled back on an error", async () => {
    const { srv, client } = await setup();
    const c = client();
    await c.execute("create table u (k text primary key)");
    await c.execute("insert into u values ('dup')");
    const raw = new RawStream(srv);
    expect((await raw.run("begin")).error).toBeUndefined();
    expect((await raw.run("insert into u values ('x1')")).error).toBeUndefined();
    expect((await raw.run("insert or rollback into u values ('dup')")).error).toBe("SQLITE_CONSTRAINT");
    expect((await raw.run("insert into u values ('x2')")).error).toBe("SQLITE_ABORT");
    expect((await raw.run("commit")).error).toBe("SQLITE_ABORT");
    expect((await raw.run("rollback")).error).toBeUndefined();
    // A plain constraint error does not end the transaction: the stream goes on as usual.
    expect((await raw.run("begin")).error).toBeUndefined();
    expect((await raw.run("insert into u values ('dup')")).error).toBe("SQLITE_CONSTRAINT");
    expect((await raw.run("insert into u values ('x3')")).error).toBeUndefined();
    expect((await raw.run("commit")).error).toBeUndefined();
    await raw.close();
    expect((await c.execute("select k from u order by k")).rows.map((r) => r.k)).toEqual(["dup", "x3"]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// A randomised test against a model of the committed state.

/** mulberry32: a small seeded PRNG, so that a failing run can be replayed with FUZZ_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("randomised streams against a model of the committed state", () => {
  it("never loses an acknowledged commit, never commits a failed one, reads consistent snapshots", async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`libsql-server-busy randomised test: FUZZ_SEED=${seed}`);
    const rnd = prng(seed);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const { file, client, stop } = await setup({ busyTimeoutMs: 150 });
    const admin = client();
    await admin.executeMultiple(`
      create table m (k integer primary key, v integer not null);
      create table log (seq integer primary key, tx text not null unique);
      create table a (id integer primary key);
    `);

    // The model: every write transaction logs itself (in the same transaction), so the log gives the
    // commit order; its writes are known to the test. A tx acknowledged as committed must be in the log,
    // one whose commit failed must not be.
    type Writes = [number, number][];
    const txWrites = new Map<string, Writes>();
    const acked = new Map<string, number>(); // tx → seq answered by its log insert
    const failed = new Set<string>();
    const insertsAcked = new Set<number>();
    const insertsFailed = new Set<number>();
    let maxAckedSeq = 0;
    type ReadCheck = { what: string; own: Writes; m: [number, number][]; seq: number; atLeast: number };
    const reads: ReadCheck[] = [];
    type SetCheck = { ids: Set<number>; mustHave: number[] };
    const setChecks: SetCheck[] = [];
    const violations: string[] = [];
    let counter = 0;
    let txNo = 0;
    const errs = new Map<string, number>();
    const noteErr = (e: unknown) => {
      const code = (e as { code?: string }).code ?? String(e);
      errs.set(code, (errs.get(code) ?? 0) + 1);
      if (!["SQLITE_BUSY", "SQLITE_ABORT", "TRANSACTION_CLOSED"].includes(code))
        violations.push(`unexpected error ${code}: ${(e as Error).message}`);
    };
    const rowsOf = (rs: { rows: ArrayLike<unknown>[] }) =>
      rs.rows.map((r) => [Number(r[0]), Number(r[1])] as [number, number]);

    const until = performance.now() + 4_000;
    const worker = async (w: number) => {
      const c = client();
      while (performance.now() < until) {
        const step = rnd();
        if (step < 0.45) {
          // An interactive transaction of random steps.
          const id = `w${w}-t${++txNo}`;
          const mode = pick(["write", "deferred", "deferred"] as const);
          const tx = await c.transaction(mode);
          const writes: Writes = [];
          let atLeast = -1;
          let broken = false;
          try {
            for (let n = 0; n < 1 + Math.floor(rnd() * 5) && !broken; n++) {
              if (atLeast < 0) atLeast = maxAckedSeq;
              const r = rnd();
              try {
                if (r < 0.4) {
                  const [m, s] = await tx.batch([
                    "select k, v from m order by k",
                    "select coalesce(max(seq), 0) from log",
                  ]);
                  reads.push({
                    what: `${id} read`,
                    own: [...writes],
                    m: rowsOf(m!),
                    seq: Number(s!.rows[0]![0]),
                    atLeast,
                  });
                } else if (r < 0.8) {
                  const k = Math.floor(rnd() * 6);
                  const v = ++counter;
                  await tx.execute({
                    sql: "insert into m (k, v) values (?, ?) on conflict (k) do update set v = excluded.v",
                    args: [k, v],
                  });
                  writes.push([k, v]);
                } else await sleep(rnd() * 20);
              } catch (e) {
                noteErr(e);
                broken = true;
              }
            }
            if (broken) {
              if (tx.closed || rnd() < 0.6) {
                await tx.rollback();
              } else {
                // A client that ignores the error: nothing more may succeed, COMMIT must not commit.
                const more = await tx
                  .execute({ sql: "insert into log (tx) values (?)", args: [`${id}-ignored`] })
                  .then(
                    () => "ok",
                    (e) => e.code,
                  );
                if (more === "ok") violations.push(`${id}: a statement after SQLITE_BUSY succeeded`);
                const commit = await tx.commit().then(
                  () => "ok",
                  (e) => e.code,
                );
                if (commit === "ok") violations.push(`${id}: COMMIT after SQLITE_BUSY succeeded`);
                failed.add(`${id}-ignored`);
              }
              failed.add(id);
            } else if (rnd() < 0.2) {
              await tx.rollback();
              failed.add(id);
            } else {
              try {
                const logged = await tx.execute({
                  sql: "insert into log (tx) values (?) returning seq",
                  args: [id],
                });
                txWrites.set(id, writes);
                await tx.commit();
                const seq = Number(logged.rows[0]![0]);
                acked.set(id, seq);
                maxAckedSeq = Math.max(maxAckedSeq, seq);
              } catch (e) {
                noteErr(e);
                failed.add(id);
                await tx.rollback().catch(() => undefined);
              }
            }
          } finally {
            tx.close();
          }
        } else if (step < 0.6) {
          // An autocommit insert.
          const idNo = ++counter;
          await c.execute({ sql: "insert into a (id) values (?)", args: [idNo] }).then(
            () => insertsAcked.add(idNo),
            (e) => {
              noteErr(e);
              insertsFailed.add(idNo);
            },
          );
        } else if (step < 0.75) {
          // A write batch (one request: BEGIN IMMEDIATE … COMMIT).
          const id = `w${w}-b${++txNo}`;
          const writes: Writes = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => [
            Math.floor(rnd() * 6),
            ++counter,
          ]);
          txWrites.set(id, writes);
          try {
            const out = await c.batch(
              [
                ...writes.map(([k, v]) => ({
                  sql: "insert into m (k, v) values (?, ?) on conflict (k) do update set v = excluded.v",
                  args: [k, v],
                })),
                { sql: "insert into log (tx) values (?) returning seq", args: [id] },
              ],
              "write",
            );
            const seq = Number(out[out.length - 1]!.rows[0]![0]);
            acked.set(id, seq);
            maxAckedSeq = Math.max(maxAckedSeq, seq);
          } catch (e) {
            noteErr(e);
            failed.add(id);
          }
        } else if (step < 0.9) {
          // A fresh stream's consistent read: the model at or after everything acknowledged before it.
          const atLeast = maxAckedSeq;
          const mustHave = [...insertsAcked];
          try {
            const [m, s, ids] = await c.batch(
              ["select k, v from m order by k", "select coalesce(max(seq), 0) from log", "select id from a"],
              "read",
            );
            reads.push({
              what: `w${w} fresh read`,
              own: [],
              m: rowsOf(m!),
              seq: Number(s!.rows[0]![0]),
              atLeast,
            });
            setChecks.push({ ids: new Set(ids!.rows.map((r) => Number(r[0]))), mustHave });
          } catch (e) {
            noteErr(e);
          }
        } else await sleep(rnd() * 30);
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, w) => worker(w)));

    // The final state, through the endpoint and then straight from the file.
    const log = (await admin.execute("select seq, tx from log order by seq")).rows.map(
      (r) => [Number(r[0]), String(r[1])] as [number, string],
    );
    const finalM = rowsOf(await admin.execute("select k, v from m order by k"));
    const finalA = new Set((await admin.execute("select id from a")).rows.map((r) => Number(r[0])));
    await stop();
    const fileM = (readFile(file, "select k, v from m order by k") as { k: number; v: number }[]).map(
      (r) => [Number(r.k), Number(r.v)] as [number, number],
    );

    // Replay the log: the model as of each seq.
    const states = new Map<number, Map<number, number>>([[0, new Map()]]);
    let state = new Map<number, number>();
    for (const [seq, tx] of log) {
      if (!acked.has(tx)) violations.push(`${tx} is in the log but its commit was not acknowledged`);
      else if (acked.get(tx) !== seq) violations.push(`${tx}: answered seq ${acked.get(tx)}, logged ${seq}`);
      state = new Map(state);
      for (const [k, v] of txWrites.get(tx) ?? []) state.set(k, v);
      states.set(seq, state);
    }
    const logged = new Set(log.map(([, tx]) => tx));
    for (const tx of acked.keys())
      if (!logged.has(tx)) violations.push(`acknowledged commit ${tx} is missing`);
    const sorted = (s: Map<number, number>) => [...s].sort((x, y) => x[0] - y[0]);
    const expectM = JSON.stringify(sorted(state));
    if (JSON.stringify(finalM) !== expectM)
      violations.push(`final m ${JSON.stringify(finalM)} ≠ model ${expectM}`);
    if (JSON.stringify(fileM) !== expectM)
      violations.push(`file m ${JSON.stringify(fileM)} ≠ model ${expectM}`);
    for (const id of insertsAcked)
      if (!finalA.has(id)) violations.push(`acknowledged insert ${id} is missing`);
    for (const id of insertsFailed) if (finalA.has(id)) violations.push(`failed insert ${id} was committed`);
    for (const r of reads) {
      const base = states.get(r.seq);
      if (!base) {
        violations.push(`${r.what}: saw log seq ${r.seq}, which was never committed`);
        continue;
      }
      if (r.seq < r.atLeast)
        violations.push(`${r.what}: saw seq ${r.seq}, older than its begin (${r.atLeast})`);
      const seen = new Map(base);
      for (const [k, v] of r.own) seen.set(k, v);
      if (JSON.stringify(sorted(seen)) !== JSON.stringify(r.m))
        violations.push(
          `${r.what}: read ${JSON.stringify(r.m)}, model at ${r.seq} ${JSON.stringify(sorted(seen))}`,
        );
    }
    for (const s of setChecks)
      for (const id of s.mustHave)
        if (!s.ids.has(id)) violations.push(`a fresh read missed acknowledged insert ${id}`);

    const summary = `seed ${seed}: ${acked.size} commits, ${failed.size} failed tx, ${insertsAcked.size} inserts, ${reads.length} reads, errors ${JSON.stringify(Object.fromEntries(errs))}`;
    console.log(summary);
    expect(violations.slice(0, 10), summary).toEqual([]);
    expect(acked.size, summary).toBeGreaterThan(0); // the checks above had something to check
    expect(errs.get("SQLITE_BUSY") ?? 0, summary).toBeGreaterThan(0); // the run did contend
  }, 20_000);
});
