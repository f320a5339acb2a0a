// Node host set-up: the database URL, migrations, development keys and the app's dependencies.
import { createClient } from "@libsql/client";
import { migrate } from "drizzle-orm/libsql/migrator";
import { backfillCaseKeys } from "../documents/documents.queries";
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { JWK } from "jose";
import { getConnInfo } from "@hono/node-server/conninfo";
import { generateDevKeys, createVerifier } from "../auth/jwt";
import { createSigner } from "../auth/signer";
import { systemClock, ulidGen, type Clock } from "../clock";
import { parseConfig, type Config } from "../config";
import { createDb, type Db } from "../db/client";
import { seedCalendar } from "./calendar-seed";
import { createEmbeddedClient } from "./embedded-client";
import { guardedFetch } from "./guarded-fetch";
import type { Deps } from "../http/api";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const MIGRATIONS = join(ROOT, "migrations");
export const DEFAULT_DB_URL = `file:${join(ROOT, "data", "fajian.db")}`;

export function dbUrl(env: Record<string, string | undefined>): string {
  return env.LIBSQL_URL || DEFAULT_DB_URL;
}

/** A `file:` URL opens the embedded engine through the connection discipline of ./embedded-client. */
export function openDb(url: string, authToken?: string, busyTimeoutMs?: number): Db {
  if (!url.startsWith("file:")) return createDb(createClient({ url, authToken }));
  mkdirSync(dirname(url.slice(5)), { recursive: true });
  return createDb(createEmbeddedClient(url, { busyTimeoutMs }));
}

/** Applies migrations (and the data they need computed, e.g. documents' case keys), then loads the holiday calendar for years not yet loaded. */
export async function migrateDb(db: Db, clock: Clock = systemClock) {
  // Two hosts starting on one file may both find a migration (or a calendar year) missing before
  // either writes it; the later one's batch then fails as a whole, and looking again finds nothing
  // left to do. A real failure fails twice and is thrown.
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db, { migrationsFolder: MIGRATIONS });
      await backfillCaseKeys(db);
      await seedCalendar(db, clock.now());
      return;
    } catch (e) {
      if (attempt === 2) throw e;
    }
  }
}

/** Where the development key pair of a database lives: beside a file database, else under data/. */
export function devKeyPath(url: string) {
  return url.startsWith("file:") ? `${url.slice(5)}.keys.json` : join(ROOT, "data", "dev-keys.json");
}

/** Loads the development key pair kept beside the database, creating it on first use. */
export async function devKeys(url: string): Promise<{ privateJwk: JWK; jwks: { keys: JWK[] } }> {
  const path = devKeyPath(url);
  if (existsSync(path)) return JSON.parse(readFileSync(path, "utf8"));
  const keys = await generateDevKeys();
  mkdirSync(dirname(path), { recursive: true });
  // Written aside, then linked into place (atomic, refused if it exists): of two hosts starting on
  // one database, both end up with the first one's keys, and nobody reads a half-written file.
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, JSON.stringify(keys, null, 2), { mode: 0o600 });
  try {
    linkSync(aside, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return JSON.parse(readFileSync(path, "utf8"));
  } finally {
    unlinkSync(aside);
  }
  return keys;
}

/** Builds the dependencies of the Node host; with no JWT_JWKS configured, development keys are used. */
export async function nodeDeps(
  env: Record<string, string | undefined>,
  opts: { clock?: Clock } = {},
): Promise<{ deps: Deps; config: Config; privateJwk?: JWK }> {
  const url = dbUrl(env);
  let privateJwk: JWK | undefined;
  let jwks = env.JWT_JWKS;
  if (!jwks) {
    const keys = await devKeys(url);
    privateJwk = keys.privateJwk;
    jwks = JSON.stringify(keys.jwks);
  }
  const parsed = parseConfig({ ...env, LIBSQL_URL: url, JWT_JWKS: jwks });
  if (!parsed.ok) throw new Error(`invalid configuration:\n  ${parsed.invalid.join("\n  ")}`);
  const config = parsed.config;
  const clock = opts.clock ?? systemClock;
  const busy = Number(env.DB_BUSY_TIMEOUT_MS ?? 5000);
  if (!Number.isInteger(busy) || busy < 0)
    throw new Error("invalid configuration:\n  DB_BUSY_TIMEOUT_MS: milliseconds");
  const db = openDb(url, config.LIBSQL_AUTH_TOKEN, busy);
  // Login signs with the development key beside the database, or with JWT_PRIVATE_JWK (checked
  // against JWT_JWKS by parseConfig); with neither, login answers 503 login_unavailable.
  const signingKey = (config.JWT_PRIVATE_JWK as JWK | undefined) ?? privateJwk;
  const deps: Deps = {
    db,
    clock,
    ids: ulidGen(clock),
    config,
    verify: createVerifier(config, () => clock.now()),
    signer: signingKey && createSigner(config, signingKey, () => clock.now()),
    clientAddress: (c) => {
      try {
        return getConnInfo(c).remote.address;
      } catch {
        return undefined; // not served by @hono/node-server (e.g. app.request in tests)
      }
    },
    webhookFetch: config.ALLOW_PRIVATE_WEBHOOKS ? undefined : guardedFetch(),
  };
  return { deps, config, privateJwk };
}
