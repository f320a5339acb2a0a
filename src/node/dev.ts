// `npm run dev`: the real Worker under `wrangler dev`, its database the local Hrana endpoint on the
// `npm start` file.
//
// Extra arguments go to `wrangler dev` (e.g. `npm run dev -- --port 9000`); DB_FILE and DB_PORT move the
// database. Ctrl-C stops both.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DB_FILE, serveDatabase } from "./db-serve";
import { devKeys, ROOT } from "./local";

const file = process.env.DB_FILE ?? DEFAULT_DB_FILE;
const server = await serveDatabase({ file, port: Number(process.env.DB_PORT ?? 8080), seed: true });
// The key set beside the database, so `npm run token -- <email>` signs tokens this Worker accepts.
const { jwks } = await devKeys(`file:${file}`);

// Bindings go through an env file rather than --var, which cannot carry JSON with colons reliably.
const envDir = mkdtempSync(join(tmpdir(), "fjxt-dev-"));
const envFile = join(envDir, ".env");
writeFileSync(envFile, `LIBSQL_URL=${server.url}\nJWT_JWKS='${JSON.stringify(jwks)}'\n`, { mode: 0o600 });

const args = process.argv.slice(2);
const wrangler = spawn(
  process.execPath,
  [
    join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--env-file",
    envFile,
    "--test-scheduled",
    "--ip",
    "127.0.0.1",
    ...(args.includes("--port") ? [] : ["--port", process.env.PORT ?? "8787"]),
    ...args,
  ],
  { cwd: ROOT, stdio: "inherit" },
);

console.log(
  `\nlibSQL endpoint ${server.url} serving ${server.file}${server.seeded ? " (demo data seeded)" : ""}\n` +
    `  tokens:  npm run token -- court.registrar@city.demo\n` +
    `  cron:    curl "http://127.0.0.1:${process.env.PORT ?? 8787}/__scheduled?cron=*/15+*+*+*+*"\n` +
    `  db load: curl ${server.url}/stats\n`,
);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (wrangler.exitCode === null) {
    wrangler.kill("SIGINT");
    // wrangler normally exits within a second; never wait forever.
    await Promise.race([
      new Promise((r) => wrangler.once("exit", r)),
      new Promise((r) => setTimeout(r, 5000)),
    ]);
    if (wrangler.exitCode === null) wrangler.kill("SIGKILL");
  }
  await server.close();
  rmSync(envDir, { recursive: true, force: true });
  process.exit(code);
}

// Ctrl-C reaches wrangler too (same process group); either way both end and the terminal comes back.
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));
