// The Node host's database client for a `file:` URL: the @libsql/client interface over the embedded
// libSQL engine, with the connection discipline of ./sqlite.ts (docs/adr/0006-connection-discipline.md).
//
// Guarantees:
//   - a write (execute of a non-SELECT, batch, migrate) runs in BEGIN IMMEDIATE … COMMIT on the one
//     connection of the client; from the granted lock to COMMIT nothing awaits, so nothing else of
//     this process interleaves, and an answer of success means the transaction is committed;
//   - waiting for another process's lock is asynchronous and bounded (`busyTimeoutMs`); past the
//     bound the call fails with SQLITE_BUSY and has changed nothing (the API answers 503);
//   - a connection left with a statement in progress is retired and replaced, never reused.
import {
  type Client,
  type InArgs,
  type InStatement,
  LibsqlBatchError,
  LibsqlError,
  type ResultSet,
  type Transaction,
  type TransactionMode,
} from "@libsql/client";
import { Connection, isBusy, type Outcome, retryWhileBusy } from "./sqlite";

export type EmbeddedOptions = {
  /** How long a call waits for another process's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
};

type Stmt = { sql: string; args: unknown[] | Record<string, unknown> };

/** Statements that only read run without taking the write lock (WAL: readers never wait for it). */
const READ_ONLY = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*(?:select|values)\b/i;
export const isReadOnly = (sql: string) => READ_ONLY.test(sql);

export function createEmbeddedClient(url: string, opts: EmbeddedOptions = {}): Client {
  if (!url.startsWith("file:")) throw new LibsqlError(`not a file: URL: ${url}`, "URL_INVALID");
  const path = decodeURIComponent(
    url
      .slice("file:".length)
      .replace(/^\/\/(?=\/)/, "")
      .split("?")[0]!,
  );
  // Each connection to an in-memory database is a database of its own: a retired connection would
  // take the data with it. The host's promises (WAL, durability) are about files.
  if (path === "" || path === ":memory:" || /[?&]mode=memory/.test(url))
    throw new LibsqlError("the Node host needs a database file, not an in-memory database", "URL_INVALID");
  return new EmbeddedClient(path, opts.busyTimeoutMs ?? 5_000);
}

function normalize(stmt: InStatement | [string, InArgs?], args?: InArgs): Stmt {
  if (typeof stmt === "string") return { sql: stmt, args: toArgs(args) };
  if (Array.isArray(stmt)) return { sql: stmt[0], args: toArgs(stmt[1]) };
  return { sql: stmt.sql, args: toArgs(stmt.args) };
}

function toArgs(args: InArgs | undefined): Stmt["args"] {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(toSql);
  const named: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) named[/^[:@$]/.test(k) ? k.slice(1) : k] = toSql(v);
  return named;
}

function toSql(v: unknown): unknown {
  if (typeof v === "number" && !Number.isFinite(v)) throw new RangeError("Only finite numbers can be bound");
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Date) return v.valueOf();
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (v === undefined) throw new TypeError("undefined cannot be passed as argument to the database");
  return v;
}

function fromSql(v: unknown): unknown {
  if (typeof v === "bigint") {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      throw new RangeError("Received integer which cannot be safely represented as a JavaScript number");
    return Number(v);
  }
  if (Buffer.isBuffer(v)) return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
  return v;
}

/** A result set shaped as @libsql/client's: rows indexable by position and by column name. */
function resultSet(o: Outcome): ResultSet {
  const rows = o.rows.map((raw) => {
    const row: Record<string | number, unknown> = {};
    Object.defineProperty(row, "length", { value: raw.length });
    for (let i = 0; i < raw.length; i++) {
      const value = fromSql(raw[i]);
      Object.defineProperty(row, i, { value });
      const name = o.columns[i]!;
      if (!Object.hasOwn(row, name)) row[name] = value;
    }
    return row;
  });
  return {
    columns: o.columns,
    columnTypes: o.types,
    rows: rows as unknown as ResultSet["rows"],
    rowsAffected: o.changes,
    lastInsertRowid: o.lastInsertRowid,
    toJSON: () => ({ columns: o.columns, rows: o.rows.map((r) => r.map(fromSql)), rowsAffected: o.changes }),
  };
}

/** @libsql/client's error for a `libsql` error (same code names), inside a batch with its step. */
function libsqlError(e: unknown, step?: number): unknown {
  const err = e as { message?: string; code?: string; rawCode?: number };
  if (typeof err?.rawCode !== "number") return e;
  const code = SQLITE_CODES[err.rawCode & 0xff] ?? `SQLITE_UNKNOWN_${err.rawCode & 0xff}`;
  const message = err.message ?? code;
  return step === undefined
    ? new LibsqlError(message, code, err.code, err.rawCode, e as Error)
    : new LibsqlBatchError(message, step, code, err.code, err.rawCode, e as Error);
}

const SQLITE_CODES: Record<number, string> = {
  1: "SQLITE_ERROR",
  2: "SQLITE_INTERNAL",
  3: "SQLITE_PERM",
  4: "SQLITE_ABORT",
  5: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  7: "SQLITE_NOMEM",
  8: "SQLITE_READONLY",
  9: "SQLITE_INTERRUPT",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  13: "SQLITE_FULL",
  14: "SQLITE_CANTOPEN",
  17: "SQLITE_SCHEMA",
  18: "SQLITE_TOOBIG",
  19: "SQLITE_CONSTRAINT",
  20: "SQLITE_MISMATCH",
  21: "SQLITE_MISUSE",
  25: "SQLITE_RANGE",
  26: "SQLITE_NOTADB",
};

class EmbeddedClient implements Client {
  closed = false;
  protocol = "file";
  private conn: Connection | null = null;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {
    const c = this.connection();
    const mode = c.useWal();
    if (mode !== "wal")
      console.warn(JSON.stringify({ level: "warn", message: `journal_mode is ${mode}, not wal`, path }));
  }

  /** The client's connection; a broken one is retired and replaced first. */
  private connection(): Connection {
    if (this.closed) throw new LibsqlError("The client is closed", "CLIENT_CLOSED");
    if (this.conn?.broken) {
      this.conn.retire();
      this.conn = null;
    }
    this.conn ??= new Connection(this.path);
    return this.conn;
  }

  private deadline() {
    return performance.now() + this.busyTimeoutMs;
  }

  async execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const stmt = normalize(stmtOrSql as InStatement, args);
    if (!isReadOnly(stmt.sql)) return (await this.write([stmt], undefined))[0]!;
    return this.read(() => resultSet(this.connection().query(stmt.sql, stmt.args)));
  }

  async batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode): Promise<ResultSet[]> {
    const list = stmts.map((s) => normalize(s));
    if (mode !== "read" && !list.every((s) => isReadOnly(s.sql))) return this.write(list, 0);
    // Reads in one deferred transaction: one snapshot; nothing awaits inside it.
    return this.read(() => {
      const c = this.connection();
      c.exec("BEGIN");
      try {
        const out = list.map((s, i) => this.step(c, s, i));
        c.exec("COMMIT");
        return out;
      } finally {
        c.rollback();
      }
    });
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    const c = this.connection();
    c.exec("PRAGMA foreign_keys = OFF");
    try {
      return await this.write(
        stmts.map((s) => normalize(s)),
        0,
      );
    } finally {
      if (!c.broken) c.exec("PRAGMA foreign_keys = ON");
    }
  }

  async executeMultiple(sql: string): Promise<void> {
    const deadline = this.deadline();
    try {
      await retryWhileBusy(() => {
        const c = this.connection();
        try {
          c.exec(sql);
        } finally {
          c.rollback(); // a script that left a transaction open does not keep it
        }
      }, deadline);
    } catch (e) {
      throw libsqlError(e);
    }
  }

  /** An interactive transaction on a connection of its own (tools and tests; the API uses batches). */
  async transaction(mode: TransactionMode = "write"): Promise<Transaction> {
    if (this.closed) throw new LibsqlError("The client is closed", "CLIENT_CLOSED");
    const c = new Connection(this.path);
    const begin = mode === "write" ? "BEGIN IMMEDIATE" : "BEGIN";
    try {
      await retryWhileBusy(() => c.exec(begin), this.deadline());
    } catch (e) {
      c.retire();
      throw libsqlError(e);
    }
    return new EmbeddedTransaction(c, (s, i) => this.step(c, s, i));
  }

  async sync(): Promise<never> {
    throw new LibsqlError("sync() is for embedded replicas", "SYNC_NOT_SUPPORTED");
  }

  close() {
    this.closed = true;
    this.conn?.retire();
    this.conn = null;
  }

  reconnect() {
    this.conn?.retire();
    this.conn = null;
    this.closed = false;
  }

  private step(c: Connection, s: Stmt, index: number | undefined): ResultSet {
    try {
      return resultSet(c.query(s.sql, s.args));
    } catch (e) {
      throw libsqlError(e, index);
    }
  }

  /** Runs reads; a busy read (rare in WAL) is retried on a fresh connection until the deadline. */
  private async read<T>(fn: () => T): Promise<T> {
    try {
      return await retryWhileBusy(fn, this.deadline());
    } catch (e) {
      throw libsqlError(e);
    }
  }

  /**
   * Runs statements as one write transaction: BEGIN IMMEDIATE, the statements and COMMIT in one
   * synchronous call (an `await` in between would let another request of this process onto the
   * connection mid-transaction). The lock is taken with `exec`, so a refused BEGIN leaves nothing
   * open; a busy failure anywhere rolls everything back and the whole transaction is tried again
   * after an asynchronous wait, until the deadline.
   */
  private async write(list: Stmt[], batchIndex: 0 | undefined): Promise<ResultSet[]> {
    try {
      return await retryWhileBusy(() => {
        const c = this.connection();
        c.exec("BEGIN IMMEDIATE");
        try {
          const out = list.map((s, i) => this.step(c, s, batchIndex === undefined ? undefined : i));
          c.exec("COMMIT"); // WAL: a commit waits for no reader
          return out;
        } finally {
          c.rollback(); // after a failure: nothing of the transaction stays
        }
      }, this.deadline());
    } catch (e) {
      throw libsqlError(e);
    }
  }
}

class EmbeddedTransaction implements Transaction {
  private done = false;

  constructor(
    private readonly c: Connection,
    private readonly run: (s: Stmt, index: number | undefined) => ResultSet,
  ) {}

  get closed() {
    return this.done || !this.c.inTransaction;
  }

  private check() {
    if (this.closed) throw new LibsqlError("The transaction is closed", "TRANSACTION_CLOSED");
  }

  async execute(stmt: InStatement): Promise<ResultSet> {
    this.check();
    return this.run(normalize(stmt), undefined);
  }

  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    this.check();
    return stmts.map((s, i) => this.run(normalize(s), i));
  }

  async executeMultiple(sql: string): Promise<void> {
    this.check();
    this.c.exec(sql);
  }

  async commit() {
    this.check();
    try {
      this.c.exec("COMMIT");
    } catch (e) {
      if (!isBusy(e)) this.close();
      throw libsqlError(e);
    }
    this.close();
  }

  async rollback() {
    this.close();
  }

  close() {
    if (this.done) return;
    this.done = true;
    this.c.retire();
  }
}
