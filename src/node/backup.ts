// `npm run db:backup -- <file>`: a consistent copy of the embedded database while it is in use.
// In WAL mode the newest commits live in `<db>-wal` until a checkpoint, so copying the .db file
// alone can miss them; VACUUM INTO writes one self-contained file from a single read snapshot.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { dbUrl, openDb } from "./local";

const target = process.argv[2];
const url = dbUrl(process.env);
if (!target || !url.startsWith("file:")) {
  console.error(
    "usage: npm run db:backup -- <file>   (for the file: database LIBSQL_URL names, default data/fajian.db)",
  );
  process.exit(2);
}
const path = resolve(target);
if (existsSync(path)) {
  console.error(`refusing to overwrite ${path}`);
  process.exit(1);
}
const db = openDb(url);
await db.$client.executeMultiple(`VACUUM INTO '${path.replaceAll("'", "''")}'`);
db.$client.close();
console.log(`backed up ${url} to ${path}`);
