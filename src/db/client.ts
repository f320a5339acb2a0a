// The drizzle database over any @libsql/client Client (embedded file, HTTP or Worker client).
// Given a client, every drizzle-orm/libsql entry point builds the same database; this one's own
// convenience `createClient` is the HTTP-only one, so no other libSQL transport is pulled into the
// Worker bundle through drizzle (docs/adr/0004-performance.md).
import type { Client } from "@libsql/client";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { drizzle } from "drizzle-orm/libsql/http";
import * as schema from "./schema";

export type Db = LibSQLDatabase<typeof schema> & { $client: Client };

export function createDb(client: Client): Db {
  return drizzle(client, { schema }) as Db;
}
