// `npm start`: the Node host. Migrates, seeds demo data into an empty database, serves, and fires cron.
import { serve } from "@hono/node-server";
import { Cron } from "croner";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { createApp } from "../app";
import { runScheduled } from "../cron/cron";
import { seedDemoIfEmpty } from "../db/seed";
import { migrateDb, nodeDeps, ROOT } from "./local";
import { nodeViewerAssets } from "./viewer-assets";

/** The cron expressions of wrangler.toml: the one source of truth for both hosts. */
export function wranglerCrons(): string[] {
  const toml = parse(readFileSync(join(ROOT, "wrangler.toml"), "utf8")) as {
    triggers?: { crons?: string[] };
  };
  return toml.triggers?.crons ?? [];
}

export async function startServer(env: Record<string, string | undefined> = process.env) {
  const { deps } = await nodeDeps(env);
  await migrateDb(deps.db, deps.clock);
  const seeded =
    env.SEED_DEMO === "false" ? false : await seedDemoIfEmpty(deps.db, deps.ids, deps.clock.now());
  // Plain HTTP only: Strict-Transport-Security is for a TLS proxy in front to set.
  const app = createApp(deps, { viewerAssets: nodeViewerAssets(), tls: "never" });
  const port = Number(env.PORT ?? 8787);
  const hostname = env.HOST ?? "127.0.0.1";
  const server = serve({ fetch: app.fetch, port, hostname });
  // An intranet machine may be off when a trigger fires (the daily one at 08:00 China time): on start,
  // each expression's latest scheduled time is run once more. The run ledger makes this a no-op when
  // that time already ran, and every job catches up everything due, so nothing happens twice.
  const catchUp =
    env.CRON === "off"
      ? Promise.resolve()
      : (async () => {
          for (const expr of wranglerCrons()) {
            const [last] = new Cron(expr, { timezone: "UTC", paused: true }).previousRuns(
              1,
              deps.clock.now(),
            );
            if (!last) continue;
            const outcome = await runScheduled(deps, expr, last).catch((e) => String(e));
            console.log(
              JSON.stringify({ level: "info", cron: expr, scheduledAt: last, catchUp: true, outcome }),
            );
          }
        })();
  const jobs =
    env.CRON === "off"
      ? []
      : wranglerCrons().map(
          (expr) =>
            new Cron(expr, { timezone: "UTC", protect: true }, async (self) => {
              const scheduledAt = new Date(Math.floor(deps.clock.now().getTime() / 60000) * 60000);
              try {
                const outcome = await runScheduled(deps, expr, scheduledAt);
                console.log(JSON.stringify({ level: "info", cron: expr, scheduledAt, outcome }));
              } catch (e) {
                console.error(JSON.stringify({ level: "error", cron: expr, message: String(e) }));
              }
              void self;
            }),
        );
  console.log(
    `法检协同 API on http://${hostname}:${port} ` +
      `(database ${deps.config.LIBSQL_URL}${seeded ? ", demo data seeded" : ""})`,
  );
  const stop = () => {
    for (const j of jobs) j.stop();
    server.close();
  };
  return { server, stop, deps, catchUp };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { stop } = await startServer();
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => (stop(), process.exit(0)));
}
