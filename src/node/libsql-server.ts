// Local libSQL endpoint: "Hrana over HTTP" v2 (JSON) served from the embedded libSQL engine, behaving
// like sqld.
//
// Faithfulness notes (details in docs/adr/0002-local-hrana-endpoint.md): error codes, argument binding,
// baton handling and stream expiry follow libsql-server (sqld); SQL is checked by the engine, not a
// separate parser.
//
// Connections follow the discipline of ./sqlite.ts (shared with embedded-client.ts): a statement refused
// with SQLITE_BUSY is retried (the same prepared statement) with asynchronous back-off; past the bound, or
// on SQLITE_BUSY_SNAPSHOT / SQLITE_LOCKED, the stream's connection is broken (a statement is left in
// progress) and is retired, never pooled: the stream continues on a fresh connection, and if it was inside
// a transaction, that transaction is rolled back and the stream refuses every statement until the
// client's ROLLBACK.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Connection, rawCode, retryWhileBusy } from "./sqlite";

export type HranaServerOptions = {
  /** Path of the database file (created if missing). */
  file: string;
  port?: number;
  host?: string;
  /** When set, /v2/pipeline and /stats require `Authorization: Bearer <authToken>`. */
  authToken?: string;
  /** A stream idle longer than this expires and its open transaction is rolled back (sqld: 10 s). */
  idleTimeoutMs?: number;
  /** How long a statement keeps retrying while the database is locked by another stream. */
  busyTimeoutMs?: number;
  /** How long an expired stream is remembered, to answer STREAM_EXPIRED rather than BATON_INVALID. */
  expiredMemoryMs?: number;
  maxBodyBytes?: number;
};

export type HranaStats = {
  pipelines: number;
  requests: number;
  statements: number;
  streams: { opened: number; open: number; expired: number };
};

export type HranaServer = {
  url: string;
  port: number;
  host: string;
  stats(): HranaStats;
  resetStats(): void;
  close(): Promise<void>;
};

/** An error that invalidates the whole pipeline (HTTP 4xx/5xx), like sqld's ProtocolError and StreamError. */
class ProtoError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
/** An error of one request or batch step, returned inside a 200 response. */
class StmtError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Request bodies are parsed completely before anything runs, so a malformed pipeline executes nothing.

type Val = null | bigint | number | string | Buffer;
type Stmt = { sql?: string; sqlId?: number; args: Val[]; named: [string, Val][]; wantRows: boolean };
type Cond =
  | { type: "ok" | "error"; step: number }
  | { type: "not"; cond: Cond }
  | { type: "and" | "or"; conds: Cond[] }
  | { type: "is_autocommit" };
type Step = { cond?: Cond; stmt: Stmt };
type Req =
  | { type: "close" | "get_autocommit" }
  | { type: "execute"; stmt: Stmt }
  | { type: "batch"; steps: Step[] }
  | { type: "sequence" | "describe"; sql?: string; sqlId?: number }
  | { type: "store_sql"; sqlId: number; sql: string }
  | { type: "close_sql"; sqlId: number };

const bad = (what: string) =>
  new ProtoError(`Cannot deserialize client message from JSON: ${what}`, "JSON_DESERIALIZE");
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function obj(v: unknown, what: string): Record<string, any> {
  if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, any>;
  throw bad(`${what} must be an object`);
}
function arr(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  throw bad(`${what} must be an array`);
}
function optStr(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  throw bad(`${what} must be a string`);
}
function optInt(v: unknown, what: string, min = -(2 ** 31), max = 2 ** 31 - 1): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) return v;
  throw bad(`${what} must be an integer in [${min}, ${max}]`);
}
function int(v: unknown, what: string, min?: number, max?: number): number {
  const n = optInt(v, what, min, max);
  if (n === undefined) throw bad(`${what} is required`);
  return n;
}

function parseValue(v: unknown): Val {
  const o = obj(v, "value");
  switch (o.type) {
    case "null":
      return null;
    case "integer": {
      if (typeof o.value !== "string" || !/^-?\d{1,19}$/.test(o.value))
        throw bad("integer value must be a decimal string");
      const n = BigInt(o.value);
      if (n < I64_MIN || n > I64_MAX) throw bad("integer value out of 64-bit range");
      return n;
    }
    case "float":
      if (typeof o.value !== "number") throw bad("float value must be a number");
      return o.value;
    case "text":
      if (typeof o.value !== "string") throw bad("text value must be a string");
      return o.value;
    case "blob":
      if (typeof o.base64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(o.base64))
        throw bad("blob value must be base64");
      return Buffer.from(o.base64, "base64");
    default:
      throw new ProtoError("Value type not recognized", "VALUE_TYPE_NOT_RECOGNIZED");
  }
}

function parseStmt(v: unknown): Stmt {
  const o = obj(v, "stmt");
  const named = arr(o.named_args, "named_args").map((a): [string, Val] => {
    const n = obj(a, "named arg");
    if (typeof n.name !== "string") throw bad("named arg name must be a string");
    return [n.name, parseValue(n.value)];
  });
  if (o.want_rows !== undefined && o.want_rows !== null && typeof o.want_rows !== "boolean")
    throw bad("want_rows must be a boolean");
  return {
    sql: optStr(o.sql, "sql"),
    sqlId: optInt(o.sql_id, "sql_id"),
    args: arr(o.args, "args").map(parseValue),
    named,
    wantRows: o.want_rows ?? true,
  };
}

function parseCond(v: unknown): Cond {
  const o = obj(v, "condition");
  switch (o.type) {
    case "ok":
    case "error":
      return { type: o.type, step: int(o.step, "step", 0, 2 ** 32 - 1) };
    case "not":
      return { type: "not", cond: parseCond(o.cond) };
    case "and":
    case "or":
      return { type: o.type, conds: arr(o.conds, "conds").map(parseCond) };
    case "is_autocommit":
      return { type: "is_autocommit" };
    default:
      throw new ProtoError("BatchCond type not recognized", "BATCH_COND_NOT_RECOGNIZED");
  }
}

function parseRequest(v: unknown): Req {
  const o = obj(v, "request");
  switch (o.type) {
    case "close":
    case "get_autocommit":
      return { type: o.type };
    case "execute":
      return { type: "execute", stmt: parseStmt(o.stmt) };
    case "batch": {
      const b = obj(o.batch, "batch");
      const steps = arr(b.steps, "steps").map((s) => {
        const so = obj(s, "step");
        return { cond: so.condition == null ? undefined : parseCond(so.condition), stmt: parseStmt(so.stmt) };
      });
      return { type: "batch", steps };
    }
    case "sequence":
    case "describe":
      return { type: o.type, sql: optStr(o.sql, "sql"), sqlId: optInt(o.sql_id, "sql_id") };
    case "store_sql": {
      const sql = optStr(o.sql, "sql");
      if (sql === undefined) throw bad("sql is required");
      return { type: "store_sql", sqlId: int(o.sql_id, "sql_id"), sql };
    }
    case "close_sql":
      return { type: "close_sql", sqlId: int(o.sql_id, "sql_id") };
    default:
      throw new ProtoError("StreamRequest type not recognized", "STREAM_REQUEST_NOT_RECOGNIZED");
  }
}

// ---------------------------------------------------------------------------------------------------------
// A small SQL scanner, so that statement counting, parameter numbering and statement kinds match what sqld's
// parser reports; the engine's prepare() silently ignores a second statement and binds missing args as NULL.

type Tok = { t: "word" | "param" | "semi" | "lp" | "rp" | "other"; s: string; start: number; end: number };
type ScannedStmt = {
  text: string;
  /** Parameter names by index (0-based here, 1-based in SQLite); null for a bare `?`. */
  params: (string | null)[];
  kind: string;
  explain: boolean;
  /** Changes connection state that must not leak to another stream through the pool. */
  sticky: boolean;
  /** BEGIN, COMMIT/END, ROLLBACK, SAVEPOINT, RELEASE: run with `exec`, which finalizes even when refused. */
  control: boolean;
  /** A plain ROLLBACK (not ROLLBACK TO): ends a stream's aborted state. */
  rollback: boolean;
};

const CONTROL = new Set(["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"]);

const isIdChar = (c: string) => /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80;

function tokenize(sql: string): Tok[] {
  const out: Tok[] = [];
  const n = sql.length;
  let i = 0;
  const push = (t: Tok["t"], end: number) => {
    out.push({ t, s: sql.slice(i, end), start: i, end });
    i = end;
  };
  while (i < n) {
    const c = sql[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f") i++;
    else if (c === "-" && sql[i + 1] === "-") {
      const j = sql.indexOf("\n", i);
      i = j < 0 ? n : j + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const j = sql.indexOf("*/", i + 2);
      i = j < 0 ? n : j + 2;
    } else if (c === "'" || c === '"' || c === "`") {
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(c, j);
        if (k < 0) {
          j = n;
          break;
        }
        if (sql[k + 1] === c) j = k + 2;
        else {
          j = k + 1;
          break;
        }
      }
      push("other", j);
    } else if (c === "[") {
      const k = sql.indexOf("]", i);
      push("other", k < 0 ? n : k + 1);
    } else if (c === ";") push("semi", i + 1);
    else if (c === "(") push("lp", i + 1);
    else if (c === ")") push("rp", i + 1);
    else if (c === "?") {
      let j = i + 1;
      while (j < n && sql[j]! >= "0" && sql[j]! <= "9") j++;
      push("param", j);
    } else if (c === ":" || c === "@" || c === "$") {
      // SQLite's variable syntax: identifier characters, `::` separators and one trailing `(...)` suffix.
      let j = i + 1;
      let len = 0;
      while (j < n) {
        const d = sql[j]!;
        if (isIdChar(d)) j++, len++;
        else if (d === ":" && sql[j + 1] === ":") j += 2;
        else if (d === "(" && len > 0) {
          const k = sql.indexOf(")", j);
          j = k < 0 ? n : k + 1;
          break;
        } else break;
      }
      push(len > 0 ? "param" : "other", len > 0 ? j : i + 1);
    } else if (isIdChar(c)) {
      let j = i + 1;
      while (j < n && isIdChar(sql[j]!)) j++;
      push("word", j);
    } else push("other", i + 1);
  }
  return out;
}

const KINDS = new Set(["SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "VALUES"]);

function describeTokens(sql: string, toks: Tok[]): ScannedStmt {
  const params: (string | null)[] = [];
  const seen = new Set<string>();
  for (const t of toks) {
    if (t.t !== "param") continue;
    if (t.s === "?") params.push(null);
    else if (t.s[0] === "?") {
      const idx = Number(t.s.slice(1));
      while (params.length < idx) params.push(null);
      if (params[idx - 1] == null) params[idx - 1] = t.s;
    } else if (!seen.has(t.s)) {
      seen.add(t.s);
      params.push(t.s);
    }
  }
  const words = toks.filter((t) => t.t === "word").map((t) => t.s.toUpperCase());
  const explain = words[0] === "EXPLAIN";
  let kind = words[explain ? 1 : 0] ?? "";
  if (kind === "QUERY") kind = words[3] ?? "";
  if (kind === "WITH") {
    let depth = 0;
    for (const t of toks) {
      if (t.t === "lp") depth++;
      else if (t.t === "rp") depth--;
      else if (t.t === "word" && depth === 0 && KINDS.has(t.s.toUpperCase())) {
        kind = t.s.toUpperCase();
        break;
      }
    }
  }
  const sticky =
    ["PRAGMA", "ATTACH", "DETACH"].includes(words[0] ?? "") ||
    (words[0] === "CREATE" && /^TEMP/.test(words[1] ?? ""));
  const control = !explain && CONTROL.has(words[0] ?? "");
  const rollback = words[0] === "ROLLBACK" && !words.includes("TO");
  return {
    text: sql.slice(toks[0]!.start, toks[toks.length - 1]!.end),
    params,
    kind,
    explain,
    sticky,
    control,
    rollback,
  };
}

/**
 * Splits SQL into statements like sqlite3_complete() does: `;` ends a statement, except inside a
 * trigger body.
 */
function scanSql(sql: string): ScannedStmt[] {
  const stmts: ScannedStmt[] = [];
  let cur: Tok[] = [];
  let trigger = false;
  for (const t of tokenize(sql)) {
    if (t.t === "semi") {
      const last = cur[cur.length - 1];
      if (trigger && !(last?.t === "word" && last.s.toUpperCase() === "END")) {
        cur.push(t);
        continue;
      }
      if (cur.length) stmts.push(describeTokens(sql, cur));
      cur = [];
      trigger = false;
      continue;
    }
    cur.push(t);
    if (
      !trigger &&
      t.t === "word" &&
      t.s.toUpperCase() === "TRIGGER" &&
      cur[0]!.s.toUpperCase() === "CREATE"
    ) {
      const mid = cur.slice(1, -1).map((x) => x.s.toUpperCase());
      trigger = mid.length === 0 || (mid.length === 1 && (mid[0] === "TEMP" || mid[0] === "TEMPORARY"));
    }
  }
  if (cur.length) stmts.push(describeTokens(sql, cur));
  return stmts;
}

const scanCache = new Map<string, ScannedStmt[]>();
function scan(sql: string): ScannedStmt[] {
  let s = scanCache.get(sql);
  if (!s) {
    s = scanSql(sql);
    if (scanCache.size >= 1000) scanCache.delete(scanCache.keys().next().value!);
    scanCache.set(sql, s);
  }
  return s;
}

function single(sql: string): ScannedStmt {
  const stmts = scan(sql);
  if (stmts.length === 0)
    throw new StmtError("SQL string does not contain any statement", "SQL_NO_STATEMENT");
  if (stmts.length > 1)
    throw new StmtError("SQL string contains more than one statement", "SQL_MANY_STATEMENTS");
  return stmts[0]!;
}

/**
 * Binds like sqld: `?NNN` and `?` by position, names with or without their prefix, every parameter
 * required.
 */
function bindArgs(s: ScannedStmt, stmt: Pick<Stmt, "args" | "named">): Val[] {
  const invalid = (m: string) => new StmtError(`Arguments do not match SQL parameters: ${m}`, "ARGS_INVALID");
  const given = stmt.args.length + stmt.named.length;
  if (given > s.params.length)
    throw invalid(`too many parameters, expected ${s.params.length} found ${given}`);
  const named = new Map(stmt.named);
  const out: Val[] = [];
  for (let i = 0; i < s.params.length; i++) {
    const name = s.params[i]!;
    let v: Val | undefined;
    if (name === null) v = stmt.args[i];
    else if (name[0] === "?") v = stmt.args[Number(name.slice(1)) - 1];
    else v = named.get(name) ?? named.get(name.slice(1));
    if (v === undefined) {
      if (s.explain) v = null;
      else throw invalid(`value for parameter ${name ?? i + 1} not found`);
    }
    out.push(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Engine errors → Hrana errors with the base SQLite code, as sqld reports them.

const SQLITE_CODES = [
  "SQLITE_OK",
  "SQLITE_ERROR",
  "SQLITE_INTERNAL",
  "SQLITE_PERM",
  "SQLITE_ABORT",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_NOMEM",
  "SQLITE_READONLY",
  "SQLITE_INTERRUPT",
  "SQLITE_IOERR",
  "SQLITE_CORRUPT",
  "SQLITE_NOTFOUND",
  "SQLITE_FULL",
  "SQLITE_CANTOPEN",
  "SQLITE_PROTOCOL",
  "SQLITE_EMPTY",
  "SQLITE_SCHEMA",
  "SQLITE_TOOBIG",
  "SQLITE_CONSTRAINT",
  "SQLITE_MISMATCH",
  "SQLITE_MISUSE",
  "SQLITE_NOLFS",
  "SQLITE_AUTH",
  "SQLITE_FORMAT",
  "SQLITE_RANGE",
  "SQLITE_NOTADB",
];
function toStmtError(e: unknown): StmtError {
  if (e instanceof StmtError) return e;
  const raw = rawCode(e);
  const message = e instanceof Error ? e.message : String(e);
  if (raw === undefined) return new StmtError(`SQLite error: ${message}`, "SQLITE_UNKNOWN");
  if ((raw & 0xff) === 1 && /syntax error|unrecognized token|incomplete input/.test(message))
    return new StmtError(`SQL string could not be parsed: ${message}`, "SQL_PARSE_ERROR");
  return new StmtError(`SQLite error: ${message}`, SQLITE_CODES[raw & 0xff] ?? "SQLITE_UNKNOWN");
}

// ---------------------------------------------------------------------------------------------------------

type Stream = {
  id: Buffer;
  seq: bigint;
  conn: Connection | null;
  sqls: Map<number, string>;
  state: "available" | "acquired" | "expired";
  timer?: NodeJS.Timeout;
  sticky: boolean;
  /** Why the stream's transaction was rolled back under it; every statement but ROLLBACK fails until then. */
  aborted: string | null;
};

type StmtResult = {
  cols: { name: string | null; decltype: string | null }[];
  rows: unknown[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
};

const MAX_STORED_SQLS = 50;
const MAX_STORED_SQL_BYTES = 5 * 1024;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function encodeValue(v: unknown): unknown {
  if (v === null || v === undefined) return { type: "null" };
  if (typeof v === "bigint") return { type: "integer", value: v.toString() };
  if (typeof v === "number") return { type: "float", value: v };
  if (typeof v === "string") return { type: "text", value: v };
  if (v instanceof Uint8Array)
    return {
      type: "blob",
      base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64").replace(/=+$/, ""),
    };
  throw new Error(`unexpected value from the engine: ${typeof v}`);
}

export async function startHranaServer(opts: HranaServerOptions): Promise<HranaServer> {
  const host = opts.host ?? "127.0.0.1";
  if (!LOOPBACK.test(host) && !opts.authToken)
    throw new Error(`refusing to listen on non-loopback address ${host} without an auth token`);
  const idleMs = opts.idleTimeoutMs ?? 10_000;
  const busyMs = opts.busyTimeoutMs ?? 5_000;
  const expiredMemoryMs = opts.expiredMemoryMs ?? 300_000;
  const maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  const batonKey = randomBytes(32);
  const tokenHash = opts.authToken ? createHash("sha256").update(opts.authToken).digest() : undefined;

  const streams = new Map<string, Stream>();
  /** Idle connections: open, in autocommit, nothing in progress (Connection.reusable), no session state. */
  const pool: Connection[] = [];
  let counts = { pipelines: 0, requests: 0, statements: 0, opened: 0, expired: 0 };

  const openConn = () => new Connection(opts.file, 100);
  const takeConn = () => pool.pop() ?? openConn();
  const deadline = () => performance.now() + busyMs;
  {
    const c = openConn();
    c.useWal(); // persistent; readers and one writer proceed concurrently, as with sqld
    pool.push(c);
  }
  const engineVersion = String(pool[0]!.query("select sqlite_version()", []).rows[0]![0]);

  /**
   * Takes a connection back: pooled only when reusable and free of session state, otherwise retired
   * (rolled back and closed). A connection with a statement left in progress is never pooled.
   */
  function releaseConn(conn: Connection, sticky: boolean) {
    if (conn.reusable && !sticky && pool.length < 16) pool.push(conn);
    else conn.retire();
  }

  function closeStream(st: Stream) {
    if (st.conn) releaseConn(st.conn, st.sticky);
    st.conn = null;
    st.aborted = null;
  }

  /**
   * After a statement left the stream's connection broken: retire it (which rolls back what was open) and go
   * on with a fresh one. A transaction that was open is gone, so the stream is aborted until ROLLBACK: a
   * client that did not notice must not get the rest of its transaction run (and committed) in autocommit.
   */
  function replaceBroken(st: Stream, conn: Connection, wasInTransaction: boolean, e: unknown) {
    if (conn.broken) {
      conn.retire();
      st.conn = takeConn();
      st.sticky = false;
    }
    if (wasInTransaction && !st.conn?.inTransaction) {
      const code = SQLITE_CODES[(rawCode(e) ?? 0) & 0xff] ?? "an error";
      st.aborted = `the transaction was rolled back after ${code}; ROLLBACK to continue`;
    }
  }

  // --- batons: 8 bytes stream id, 8 bytes sequence number, HMAC-SHA256 of both (as sqld encodes them)
  function encodeBaton(st: Stream): string {
    const payload = Buffer.alloc(16);
    st.id.copy(payload, 0);
    payload.writeBigUInt64BE(st.seq, 8);
    const mac = createHmac("sha256", batonKey).update(payload).digest();
    return Buffer.concat([payload, mac]).toString("base64").replace(/=+$/, "");
  }

  function acquire(baton: string | undefined): Stream {
    if (baton === undefined) {
      const st: Stream = {
        id: randomBytes(8),
        seq: randomBytes(8).readBigUInt64BE(),
        conn: takeConn(),
        sqls: new Map(),
        state: "acquired",
        sticky: false,
        aborted: null,
      };
      streams.set(st.id.toString("hex"), st);
      counts.opened++;
      return st;
    }
    const data = /^[A-Za-z0-9+/]*={0,2}$/.test(baton) ? Buffer.from(baton, "base64") : Buffer.alloc(0);
    const invalid = new ProtoError("Received an invalid baton", "BATON_INVALID");
    if (data.length !== 48) throw invalid;
    const mac = createHmac("sha256", batonKey).update(data.subarray(0, 16)).digest();
    if (!timingSafeEqual(mac, data.subarray(16))) throw invalid;
    const st = streams.get(data.subarray(0, 8).toString("hex"));
    if (!st) throw invalid;
    if (st.state === "expired")
      throw new ProtoError("The stream has expired due to inactivity", "STREAM_EXPIRED", 500);
    if (st.state === "acquired" || st.seq !== data.readBigUInt64BE(8))
      throw new ProtoError("Received a baton that has already been used", "BATON_REUSED");
    clearTimeout(st.timer);
    st.state = "acquired";
    st.seq = (st.seq + 1n) & 0xffffffffffffffffn;
    return st;
  }

  function release(st: Stream): string | null {
    const key = st.id.toString("hex");
    if (!st.conn) {
      streams.delete(key);
      return null;
    }
    st.state = "available";
    st.timer = setTimeout(() => {
      closeStream(st);
      st.state = "expired";
      counts.expired++;
      st.timer = setTimeout(() => streams.delete(key), expiredMemoryMs);
      st.timer.unref();
    }, idleMs);
    st.timer.unref();
    return encodeBaton(st);
  }

  function drop(st: Stream) {
    closeStream(st);
    streams.delete(st.id.toString("hex"));
  }

  // --- execution
  function dbOf(st: Stream): Connection {
    if (!st.conn) throw new ProtoError("Stream for this baton was closed", "BATON_STREAM_CLOSED");
    return st.conn;
  }

  function sqlOf(st: Stream, sql: string | undefined, sqlId: number | undefined): string {
    if (sql !== undefined && sqlId !== undefined)
      throw new ProtoError("Either `sql` or `sql_id` are required, but not both", "SQL_ID_AND_SQL_GIVEN");
    if (sql !== undefined) return sql;
    if (sqlId === undefined)
      throw new ProtoError("Either `sql` or `sql_id` are required", "SQL_ID_OR_SQL_NOT_GIVEN");
    const text = st.sqls.get(sqlId);
    if (text === undefined) throw new ProtoError(`SQL text ${sqlId} not found`, "SQL_NOT_FOUND");
    return text;
  }

  /** Resolves and checks a statement before a batch runs (sqld compiles the whole batch first). */
  function compile(st: Stream, stmt: Stmt): { s: ScannedStmt; stmt: Stmt } {
    const s = single(sqlOf(st, stmt.sql, stmt.sqlId));
    if (stmt.args.length > 0 && stmt.named.length > 0)
      throw new StmtError(
        "Specifying both positional and named arguments is not supported",
        "ARGS_BOTH_POSITIONAL_AND_NAMED",
      );
    return { s, stmt };
  }

  const empty = (): StmtResult => ({ cols: [], rows: [], affected_row_count: 0, last_insert_rowid: null });

  async function run(st: Stream, s: ScannedStmt, args: Val[], wantRows: boolean): Promise<StmtResult> {
    const conn = dbOf(st);
    counts.statements++;
    if (st.aborted) {
      if (!s.rollback) throw new StmtError(`SQLite error: ${st.aborted}`, "SQLITE_ABORT");
      st.aborted = null; // the transaction is already rolled back: the client's ROLLBACK is a no-op
      return empty();
    }
    if (s.sticky) st.sticky = true;
    const wasInTransaction = conn.inTransaction;
    try {
      if (s.control) {
        // exec finalizes its statement even when refused (a BEGIN IMMEDIATE answered SQLITE_BUSY).
        await retryWhileBusy(() => conn.exec(s.text), deadline());
        return empty();
      }
      const out = await conn.queryWhileBusy(s.text, args, deadline());
      const cols = out.columns.map((name, i) => ({ name, decltype: out.types[i] || null }));
      const rows = wantRows ? out.rows.map((r) => r.map(encodeValue)) : [];
      // sqlite3_changes() is sticky across SELECTs and the rowid only means something after an INSERT.
      let affected = 0;
      let lastId: string | null = null;
      if (["INSERT", "REPLACE", "UPDATE", "DELETE"].includes(s.kind)) {
        const [changes, rowid] = conn.query("select changes(), last_insert_rowid()", []).rows[0] as bigint[];
        affected = Number(changes);
        if (s.kind === "INSERT" || s.kind === "REPLACE") lastId = String(rowid);
      }
      return { cols, rows, affected_row_count: affected, last_insert_rowid: lastId };
    } catch (e) {
      if (conn.broken || (wasInTransaction && !conn.inTransaction))
        replaceBroken(st, conn, wasInTransaction, e);
      const err = toStmtError(e);
      if (!st.aborted) throw err;
      throw new StmtError(`${err.message} (the transaction was rolled back; ROLLBACK to continue)`, err.code);
    }
  }

  const evalCond = (c: Cond, outcomes: ("ok" | "error" | "skipped")[]): boolean => {
    switch (c.type) {
      case "ok":
      case "error":
        return outcomes[c.step] === c.type;
      case "not":
        return !evalCond(c.cond, outcomes);
      case "and":
        return c.conds.every((x) => evalCond(x, outcomes));
      case "or":
        return c.conds.some((x) => evalCond(x, outcomes));
      default:
        throw new Error("unreachable");
    }
  };

  function checkCond(c: Cond, stepIndex: number) {
    if (c.type === "ok" || c.type === "error") {
      if (c.step >= stepIndex)
        throw new ProtoError("Invalid reference to step in a batch condition", "BATCH_COND_BAD_STEP");
    } else if (c.type === "not") checkCond(c.cond, stepIndex);
    else if (c.type === "and" || c.type === "or") for (const x of c.conds) checkCond(x, stepIndex);
    else
      throw new ProtoError(
        "BatchCond of type `is_autocommit` is only supported in protocol version hrana3 and higher",
        "NOT_SUPPORTED",
      );
  }

  const errorOf = (e: StmtError) => ({ message: e.message, code: e.code });

  async function handle(st: Stream, req: Req): Promise<unknown> {
    counts.requests++;
    const ok = (response: unknown) => ({ type: "ok", response });
    const fail = (e: unknown) => {
      if (e instanceof StmtError) return { type: "error", error: errorOf(e) };
      throw e;
    };
    switch (req.type) {
      case "close":
        closeStream(st);
        return ok({ type: "close" });
      case "execute":
        try {
          dbOf(st);
          const { s, stmt } = compile(st, req.stmt);
          return ok({ type: "execute", result: await run(st, s, bindArgs(s, stmt), stmt.wantRows) });
        } catch (e) {
          return fail(e);
        }
      case "batch": {
        dbOf(st);
        let program: { s: ScannedStmt; stmt: Stmt; cond?: Cond }[];
        try {
          program = req.steps.map((step, i) => {
            if (step.cond) checkCond(step.cond, i);
            return { ...compile(st, step.stmt), cond: step.cond };
          });
        } catch (e) {
          return fail(e);
        }
        const outcomes: ("ok" | "error" | "skipped")[] = [];
        const step_results: (StmtResult | null)[] = [];
        const step_errors: ({ message: string; code: string } | null)[] = [];
        for (const step of program) {
          if (step.cond && !evalCond(step.cond, outcomes)) {
            outcomes.push("skipped");
            step_results.push(null);
            step_errors.push(null);
            continue;
          }
          try {
            step_results.push(await run(st, step.s, bindArgs(step.s, step.stmt), step.stmt.wantRows));
            step_errors.push(null);
            outcomes.push("ok");
          } catch (e) {
            if (!(e instanceof StmtError)) throw e;
            step_results.push(null);
            step_errors.push(errorOf(e));
            outcomes.push("error");
          }
        }
        return ok({ type: "batch", result: { step_results, step_errors } });
      }
      case "sequence": {
        dbOf(st);
        const sql = sqlOf(st, req.sql, req.sqlId);
        try {
          for (const s of scan(sql)) await run(st, s, bindArgs(s, { args: [], named: [] }), false);
          return ok({ type: "sequence" });
        } catch (e) {
          return fail(e);
        }
      }
      case "describe": {
        const conn = dbOf(st);
        const sql = sqlOf(st, req.sql, req.sqlId);
        try {
          const s = single(sql);
          // Prepared, never run (EXPLAIN takes no lock): nothing is left in progress, whatever happens.
          const result = await retryWhileBusy(() => {
            const p = conn.db.prepare(s.text);
            const cols = p.reader ? p.columns().map((c) => ({ name: c.name, decltype: c.type })) : [];
            // sqlite3_stmt_readonly(): no write transaction is opened and the journal is not touched.
            const ops = s.explain
              ? []
              : (conn.db.prepare(`EXPLAIN ${s.text}`).raw(true).all() as unknown[][]);
            const readonly = !ops.some(
              (o) => (o[1] === "Transaction" && o[3] !== 0) || o[1] === "Vacuum" || o[1] === "JournalMode",
            );
            return {
              params: s.params.map((name) => ({ name })),
              cols,
              is_explain: s.explain,
              is_readonly: readonly,
            };
          }, deadline());
          return ok({ type: "describe", result });
        } catch (e) {
          return fail(toStmtError(e));
        }
      }
      case "store_sql":
        if (st.sqls.has(req.sqlId))
          throw new ProtoError(`SQL text ${req.sqlId} already exists`, "SQL_EXISTS");
        if (st.sqls.size >= MAX_STORED_SQLS)
          return fail(
            new StmtError(
              `The server already stores ${st.sqls.size} SQL texts, it cannot store more`,
              "SQL_STORE_TOO_MANY",
            ),
          );
        if (Buffer.byteLength(req.sql) > MAX_STORED_SQL_BYTES)
          return fail(
            new StmtError(
              `The statement is too large to be stored: ${Buffer.byteLength(req.sql)} bytes`,
              "SQL_STORE_TOO_LARGE",
            ),
          );
        st.sqls.set(req.sqlId, req.sql);
        return ok({ type: "store_sql" });
      case "close_sql":
        st.sqls.delete(req.sqlId);
        return ok({ type: "close_sql" });
      case "get_autocommit":
        throw new ProtoError(
          "The `get_autocommit` request is only supported in protocol version hrana3 and higher",
          "NOT_SUPPORTED",
        );
    }
  }

  async function pipeline(raw: unknown) {
    const body = obj(raw, "pipeline request body");
    const baton = optStr(body.baton, "baton");
    if (!Array.isArray(body.requests)) throw bad("requests must be an array");
    const requests = body.requests.map(parseRequest);
    const st = acquire(baton);
    const results: unknown[] = [];
    try {
      for (const r of requests) results.push(await handle(st, r));
    } catch (e) {
      drop(st); // like sqld, a pipeline that fails as a whole loses its stream (and rolls back)
      throw e;
    }
    return { baton: release(st), base_url: null, results };
  }

  // --- HTTP
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const data = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(data),
      ...headers,
    });
    res.end(data);
  };
  const text = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };

  function authorized(req: IncomingMessage): boolean {
    if (!tokenHash) return true;
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
    return !!m && timingSafeEqual(createHash("sha256").update(m[1]!.trim()).digest(), tokenHash);
  }

  function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      // An oversized body is drained, not kept, so the 413 can still be written on the same connection.
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size <= maxBody) chunks.push(c);
        else chunks.length = 0;
      });
      req.on("end", () => resolve(size > maxBody ? undefined : Buffer.concat(chunks)));
      req.on("error", reject);
    });
  }

  const stats = (): HranaStats => ({
    pipelines: counts.pipelines,
    requests: counts.requests,
    statements: counts.statements,
    streams: {
      opened: counts.opened,
      open: [...streams.values()].filter((s) => s.conn).length,
      expired: counts.expired,
    },
  });
  const resetStats = () => {
    counts = { pipelines: 0, requests: 0, statements: 0, opened: 0, expired: 0 };
  };

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    const only = (m: string) => {
      if (method === m) return true;
      json(
        res,
        405,
        { message: `Method ${method} not allowed on ${path}`, code: "METHOD_NOT_ALLOWED" },
        { allow: m },
      );
      return false;
    };
    const unauthorized = () => {
      json(
        res,
        401,
        { message: "Unauthorized: a valid bearer token is required", code: "AUTH_UNAUTHORIZED" },
        { "www-authenticate": "Bearer" },
      );
      return false;
    };
    switch (path) {
      case "/":
        if (only("GET")) text(res, 200, "Hello, this is the local libSQL endpoint (Hrana over HTTP v2)");
        return;
      case "/health":
        if (only("GET")) text(res, 200, "");
        return;
      case "/version":
        if (only("GET")) text(res, 200, `fajian-local-hrana (libSQL engine ${engineVersion})`);
        return;
      case "/v2":
        if (only("GET")) text(res, 200, "Hello, this is HTTP API v2 (Hrana over HTTP)");
        return;
      case "/stats":
      case "/stats/reset":
        if (!(path === "/stats" ? only("GET") : only("POST")) || !(authorized(req) || unauthorized())) return;
        json(res, 200, stats());
        if (path === "/stats/reset" || url.searchParams.get("reset") === "1") resetStats();
        return;
      case "/v2/pipeline": {
        if (!only("POST") || !(authorized(req) || unauthorized())) return;
        counts.pipelines++;
        const body = await readBody(req);
        if (!body)
          return json(res, 413, { message: `Request body exceeds ${maxBody} bytes`, code: "BODY_TOO_LARGE" });
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString("utf8"));
        } catch (e) {
          return json(res, 400, {
            message: `Cannot deserialize client message from JSON: ${(e as Error).message}`,
            code: "JSON_DESERIALIZE",
          });
        }
        try {
          json(res, 200, await pipeline(parsed));
        } catch (e) {
          if (e instanceof ProtoError) return json(res, e.status, { message: e.message, code: e.code });
          throw e;
        }
        return;
      }
      default:
        // Includes /v3 and /v3-protobuf: answering 404 makes clients fall back to v2.
        json(res, 404, { message: `Not found: ${path}`, code: "NOT_FOUND" });
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e) => {
      console.error("libsql-server: internal error", e);
      if (!res.headersSent)
        json(res, 500, { message: `Internal error: ${(e as Error)?.message ?? e}`, code: "INTERNAL_ERROR" });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8080, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    host,
    stats,
    resetStats,
    async close() {
      for (const st of streams.values()) {
        clearTimeout(st.timer);
        closeStream(st);
      }
      streams.clear();
      for (const c of pool.splice(0)) c.retire();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
