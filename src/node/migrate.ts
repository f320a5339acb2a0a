// `npm run db:migrate`: applies migrations/ to the LIBSQL_URL database (run before a Worker deploy).
import { migrateDb, openDb, dbUrl } from "./local";

const url = dbUrl(process.env);
await migrateDb(openDb(url, process.env.LIBSQL_AUTH_TOKEN));
console.log(`migrations applied to ${url.replace(/\/\/[^@/]*@/, "//***@")}`);
