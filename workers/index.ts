// Cloudflare Worker host: validates bindings, builds the shared app once per isolate, runs cron.
// The Hrana-over-HTTP client (what @libsql/client/web picks for libsql:, https: and http: URLs) without
// the WebSocket transport, which a Worker does not use: docs/adr/0004-performance.md.
import { createClient } from "@libsql/client/http";
import { createApp, type App } from "../src/app";
import { type EdgeCache, edgeCached } from "../src/cases/typical-cases.routes";
import type { JWK } from "jose";
import { createVerifier } from "../src/auth/jwt";
import { createSigner } from "../src/auth/signer";
import { systemClock, ulidGen } from "../src/clock";
import { parseConfig } from "../src/config";
import { runScheduled, SCHEDULE, UnknownCronError } from "../src/cron/cron";
import { createDb } from "../src/db/client";
import type { Deps } from "../src/http/api";
import { STATIC_SECURITY_HEADERS } from "../src/http/security";

type Env = Record<string, unknown>;
type Built = { ok: true; app: App; deps: Deps } | { ok: false; invalid: string[] };

let cached: { env: Env; built: Built } | undefined;

function build(env: Env): Built {
  if (cached?.env === env) return cached.built;
  const parsed = parseConfig(env);
  let built: Built;
  if (!parsed.ok) built = parsed;
  else if (!parsed.config.JWT_JWKS)
    built = { ok: false, invalid: ["JWT_JWKS: required on Workers (no development keys here)"] };
  else {
    const config = parsed.config;
    let db: Deps["db"] | undefined;
    let error = "";
    try {
      db = createDb(createClient({ url: config.LIBSQL_URL, authToken: config.LIBSQL_AUTH_TOKEN }));
    } catch (e) {
      error = (e as Error).message.split(". ")[0]!;
    }
    if (!db) {
      // e.g. a file: or ws(s): URL, which the Worker's HTTP client cannot open.
      built = { ok: false, invalid: [`LIBSQL_URL: ${error} (use a libsql: or https: URL on Workers)`] };
    } else {
      const deps: Deps = {
        db,
        clock: systemClock,
        ids: ulidGen(systemClock),
        config,
        verify: createVerifier(config, () => systemClock.now()),
        // The JWT_PRIVATE_JWK secret (checked against JWT_JWKS); without it login answers 503.
        signer:
          config.JWT_PRIVATE_JWK &&
          createSigner(config, config.JWT_PRIVATE_JWK as JWK, () => systemClock.now()),
        clientAddress: (c) => c.req.header("cf-connecting-ip"),
      };
      // The viewer's files are static assets (wrangler.toml [assets], laid out as their URLs), never
      // part of this script; the Worker runs first for every path, so they get the app's headers too.
      const assets = env.ASSETS as Fetcher | undefined;
      built = {
        ok: true,
        app: createApp(deps, { viewerAssets: assets && ((_name, request) => assets.fetch(request)) }),
        deps,
      };
    }
  }
  cached = { env, built };
  return built;
}

function misconfigured(invalid: string[]): Response {
  const requestId = crypto.randomUUID();
  console.error(
    JSON.stringify({ level: "error", requestId, message: "invalid Worker configuration", invalid }),
  );
  return new Response(
    JSON.stringify({
      type: "https://fajian.example/problems/config-invalid",
      title: "Internal Server Error",
      status: 500,
      detail: "The service is misconfigured; an operator must fix its bindings.",
      code: "config_invalid",
      requestId,
      errors: invalid.map((message) => ({ in: "config", path: message.split(":")[0], message })),
    }),
    {
      status: 500,
      headers: {
        ...STATIC_SECURITY_HEADERS,
        "content-type": "application/problem+json",
        "x-request-id": requestId,
      },
    },
  );
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const built = build(env);
    if (!built.ok) return misconfigured(built.invalid);
    // The public feed (/public/*) answers from this data centre's cache while fresh (its max-age);
    // every other request goes straight to the app.
    // (`caches.default` is Cloudflare's; the DOM typings of `caches` in this project do not know it.)
    const edge = (caches as unknown as { default: EdgeCache }).default;
    return edgeCached(
      request,
      edge,
      (p) => ctx.waitUntil(p),
      (r) => built.app.fetch(r, env, ctx),
    );
  },
  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    const built = build(env);
    if (!built.ok) throw new Error(`invalid configuration: ${built.invalid.join("; ")}`);
    // Awaited, so a failing run fails the invocation and shows in Cron Events, besides being logged.
    // An expression with no jobs (a trigger in wrangler.toml that SCHEDULE lacks) is a configuration
    // slip, not a failed run: one error line that names it and the known ones, no stack trace.
    try {
      const outcome = await runScheduled(built.deps, controller.cron, new Date(controller.scheduledTime));
      console.log(
        JSON.stringify({
          level: "info",
          cron: controller.cron,
          scheduledAt: controller.scheduledTime,
          outcome,
        }),
      );
    } catch (e) {
      if (e instanceof UnknownCronError) {
        console.error(
          JSON.stringify({
            level: "error",
            message: "unknown cron expression: no jobs are scheduled for it (src/cron/cron.ts SCHEDULE)",
            cron: controller.cron,
            scheduledAt: controller.scheduledTime,
            known: Object.keys(SCHEDULE),
          }),
        );
        return;
      }
      console.error(JSON.stringify({ level: "error", cron: controller.cron, message: String(e) }));
      throw e;
    }
  },
} satisfies ExportedHandler<Env>;
