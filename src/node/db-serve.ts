// `npm run db:serve -- --port <port> --file <path>`: the local libSQL HTTP endpoint on a migrated
// database file.
import { parseArgs } from "node:util";
import { systemClock, ulidGen } from "../clock";
import { seedDemoIfEmpty } from "../db/seed";
import { startHranaServer, type HranaServer } from "./libsql-server";
import { DEFAULT_DB_URL, migrateDb, openDb } from "./local";

export const DEFAULT_DB_FILE = DEFAULT_DB_URL.slice("file:".length);

export type ServeOptions = {
  file?: string;
  port?: number;
  host?: string;
  authToken?: string;
  idleTimeoutMs?: number;
  seed?: boolean;
};

/** Migrates (and optionally demo-seeds) the file through the embedded client, then serves it over Hrana. */
export async function serveDatabase(
  opts: ServeOptions = {},
): Promise<HranaServer & { file: string; seeded: boolean }> {
  const file = opts.file ?? DEFAULT_DB_FILE;
  const db = openDb(`file:${file}`);
  let seeded = false;
  try {
    await migrateDb(db);
    if (opts.seed) seeded = await seedDemoIfEmpty(db, ulidGen(systemClock), systemClock.now());
  } finally {
    db.$client.close();
  }
  const server = await startHranaServer({
    file,
    port: opts.port ?? 8080,
    host: opts.host,
    authToken: opts.authToken,
    idleTimeoutMs: opts.idleTimeoutMs,
  });
  return { ...server, file, seeded };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8080" },
      file: { type: "string", default: DEFAULT_DB_FILE },
      host: { type: "string", default: "127.0.0.1" },
      token: { type: "string" },
      "idle-timeout": { type: "string", default: "10000" },
      seed: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npm run db:serve -- [--port 8080] [--file data/fajian.db] [--host 127.0.0.1] " +
        "[--token <bearer>] [--idle-timeout <ms>] [--seed]\n" +
        "The token may also come from LIBSQL_SERVER_TOKEN; a non-loopback --host requires one.",
    );
    process.exit(0);
  }
  try {
    const server = await serveDatabase({
      file: values.file,
      port: Number(values.port),
      host: values.host,
      authToken: values.token ?? process.env.LIBSQL_SERVER_TOKEN,
      idleTimeoutMs: Number(values["idle-timeout"]),
      seed: values.seed,
    });
    console.log(
      `libSQL endpoint (Hrana over HTTP v2) on ${server.url} ` +
        `for ${server.file}${server.seeded ? " (demo data seeded)" : ""}`,
    );
    console.log(`  LIBSQL_URL=${server.url}    stats: GET ${server.url}/stats`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  } catch (e) {
    console.error(`db:serve: ${(e as Error).message}`);
    process.exit(1);
  }
}
