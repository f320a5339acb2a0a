// The connection discipline for the embedded libSQL engine (the `libsql` package), shared by the Node
// host's database client (embedded-client.ts) and the local Hrana endpoint (libsql-server.ts).
//
// Why it exists (docs/adr/0006-connection-discipline.md): when a statement of `libsql` fails with
// SQLITE_BUSY or SQLITE_LOCKED, SQLite leaves it mid-step (so that it can be retried) and `libsql`
// offers no way to reset it: the connection keeps it "in progress" until the garbage collector
// finalizes it. Until then every autocommit write on that connection reports success but is never
// committed, COMMIT fails, and the read snapshot it holds goes stale. So:
//   - locks are taken with `exec` (BEGIN IMMEDIATE), which finalizes its statement even when refused;
//   - a connection on which a prepared statement failed that way is `broken` and is retired, never
//     reused (retire() rolls back and closes it);
//   - busy waits happen here, asynchronously and bounded (`busy_timeout` is 0), never in SQLite's
//     blocking busy handler, which would stall the event loop.
import Database from "libsql";

type Statement = Database.Statement;
type Prepared = { stmt: Statement; reader: boolean; columns: string[]; types: string[] };

/** SQLite's base result codes after which a statement is left mid-step instead of halted. */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_BUSY_SNAPSHOT = 517;

/** The raw SQLite result code of an error thrown by `libsql`, if it carries one. */
export function rawCode(e: unknown): number | undefined {
  const raw = (e as { rawCode?: unknown } | null)?.rawCode;
  return typeof raw === "number" ? raw : undefined;
}

/** A lock held by another connection or process; worth waiting for (a stale snapshot is not). */
export function isBusy(e: unknown): boolean {
  const raw = rawCode(e);
  return raw !== undefined && (raw & 0xff) === SQLITE_BUSY && raw !== SQLITE_BUSY_SNAPSHOT;
}

/** An error after which SQLite leaves the statement in progress (see the module comment). */
export function leavesStatementOpen(e: unknown): boolean {
  const raw = rawCode(e);
  return raw !== undefined && ((raw & 0xff) === SQLITE_BUSY || (raw & 0xff) === SQLITE_LOCKED);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fn` until it does not fail with SQLITE_BUSY, waiting between tries without blocking the
 * event loop (1 ms doubling to 25 ms, with jitter so two processes do not retry in step), until
 * `deadline` (a `performance.now()` instant); then the last busy error is thrown.
 */
export async function retryWhileBusy<T>(fn: () => T, deadline: number): Promise<T> {
  let wait = 1;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e) || performance.now() >= deadline) throw e;
      await sleep(wait * (0.5 + Math.random()));
      wait = Math.min(wait * 2, 25);
    }
  }
}

export type Outcome = {
  columns: string[];
  types: string[];
  /** Rows as arrays of SQLite values (integers as bigint). */
  rows: unknown[][];
  changes: number;
  lastInsertRowid: bigint | undefined;
};

/** One connection with a statement cache, and the knowledge of whether it may still be used. */
export class Connection {
  readonly db: Database.Database;
  /** A statement was left in progress: roll back and retire this connection, never reuse it. */
  broken = false;
  private readonly cache = new Map<string, Prepared>();

  constructor(
    path: string,
    private readonly cacheSize = 200,
  ) {
    this.db = new Database(path);
    this.db.exec("PRAGMA busy_timeout = 0");
  }

  /** Switches the database file to WAL (persistent): readers never block the writer, nor it them. */
  useWal(): string {
    const [mode] = this.db.prepare("PRAGMA journal_mode = WAL").raw(true).get() as [string];
    // WAL with synchronous=FULL syncs the log on every commit: an acknowledged write survives a crash.
    this.db.exec("PRAGMA synchronous = FULL");
    return mode;
  }

  get inTransaction(): boolean {
    return this.db.open && this.db.inTransaction;
  }

  /** Runs SQL through `exec`, which finalizes its statements whatever happens. */
  exec(sql: string) {
    this.db.exec(sql);
  }

  private prepare(sql: string): Prepared {
    let p = this.cache.get(sql);
    if (p) {
      this.cache.delete(sql); // re-inserted below: the map's order is the LRU order
    } else {
      const stmt = this.db.prepare(sql);
      const reader = stmt.reader;
      const cols = reader ? stmt.columns() : [];
      if (reader) stmt.raw(true);
      stmt.safeIntegers(true);
      p = { stmt, reader, columns: cols.map((c) => c.name), types: cols.map((c) => c.type ?? "") };
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(sql, p);
    return p;
  }

  private step(p: Prepared, args: unknown[] | Record<string, unknown>): Outcome {
    if (p.reader) {
      const rows = p.stmt.all(args) as unknown[][];
      return { columns: p.columns, types: p.types, rows, changes: 0, lastInsertRowid: undefined };
    }
    const info = p.stmt.run(args);
    return {
      columns: [],
      types: [],
      rows: [],
      changes: Number(info.changes),
      lastInsertRowid: BigInt(info.lastInsertRowid),
    };
  }

  /** Runs one statement to completion (a cached prepared statement), or marks the connection broken. */
  query(sql: string, args: unknown[] | Record<string, unknown>): Outcome {
    try {
      return this.step(this.prepare(sql), args);
    } catch (e) {
      if (leavesStatementOpen(e)) {
        this.broken = true;
        this.cache.delete(sql);
      }
      throw e;
    }
  }

  /**
   * Like query(), but a statement refused with SQLITE_BUSY is run again, the same prepared statement
   * (which running to completion resets), after an asynchronous back-off as in retryWhileBusy, until
   * `deadline`. If it still fails with BUSY then, or with BUSY_SNAPSHOT or LOCKED, the connection is
   * broken as with query(). Nothing else may use the connection while this runs.
   */
  async queryWhileBusy(
    sql: string,
    args: unknown[] | Record<string, unknown>,
    deadline: number,
  ): Promise<Outcome> {
    let wait = 1;
    for (;;) {
      try {
        return this.step(this.prepare(sql), args);
      } catch (e) {
        if (isBusy(e) && performance.now() < deadline) {
          await sleep(wait * (0.5 + Math.random()));
          wait = Math.min(wait * 2, 25);
          continue;
        }
        if (leavesStatementOpen(e)) {
          this.broken = true;
          this.cache.delete(sql);
        }
        throw e;
      }
    }
  }

  /** Rolls back what is open, if anything; a failure to do so breaks the connection. */
  rollback() {
    try {
      if (this.inTransaction) this.db.exec("ROLLBACK");
    } catch {
      this.broken = true;
    }
  }

  /**
   * Rolls back and closes the connection. A statement left in progress keeps the closed
   * connection's read snapshot until it is garbage-collected (libsql cannot finalize it on demand);
   * in WAL mode that blocks no writer.
   */
  retire() {
    this.rollback();
    this.cache.clear();
    try {
      if (this.db.open) this.db.close();
    } catch {
      // closing is best effort; the connection is dropped either way
    }
  }

  /** Whether the connection can go back to a pool: open, in autocommit, nothing left in progress. */
  get reusable(): boolean {
    return !this.broken && this.db.open && !this.db.inTransaction;
  }
}
