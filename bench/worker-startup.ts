// Startup of the built Worker bundle in workerd (issue 8, section 6): miniflare from `new Miniflare`
// to `ready` and to the first `/health` answer (over the local Hrana endpoint, as test/worker.test.ts
// runs it), against a one-line Worker with the same bindings and assets started the same way in the
// same run; and the startup CPU profile `wrangler check startup` records in workerd.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { parse } from "smol-toml";
import { generateDevKeys } from "../src/auth/jwt";
import { startHranaServer } from "../src/node/libsql-server";
import { migrateDb, openDb, ROOT } from "../src/node/local";

const STARTS = 3;

type Toml = {
  compatibility_date: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  assets: { directory: string; binding: string; run_worker_first: boolean };
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]!);
};

/** Milliseconds from `new Miniflare` to `ready`, and to the first 200 answer of `path`. */
async function timeStart(options: MiniflareOptions, path: string) {
  const t0 = performance.now();
  const mf = new Miniflare(options);
  try {
    await mf.ready;
    const ready = performance.now() - t0;
    const res = await mf.dispatchFetch(`http://worker.test${path}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${path} answered ${res.status} ${text}`);
    return { ready, first: performance.now() - t0 };
  } finally {
    await mf.dispose();
  }
}

/** CPU time of the startup phase in the profile `wrangler check startup` writes (idle samples excluded). */
async function startupProfile(out: string) {
  const file = join(out, "startup.cpuprofile");
  await promisify(execFile)(
    process.execPath,
    [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "check", "startup", "--outfile", file],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      maxBuffer: 16 << 20,
    },
  );
  const p = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: { id: number; callFrame: { functionName: string } }[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
  };
  const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let cpu = 0;
  p.samples.forEach((id, i) => {
    if (!idle.has(id)) cpu += p.timeDeltas[i] ?? 0;
  });
  return { cpuMs: Math.round(cpu / 1000), spanMs: Math.round((p.endTime - p.startTime) / 1000) };
}

/** `dist`: the directory `wrangler deploy --dry-run --outdir` wrote (index.js). */
export async function workerStartup(dist: string): Promise<Record<string, unknown>> {
  const toml = parse(readFileSync(join(ROOT, "wrangler.toml"), "utf8")) as unknown as Toml;
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-worker-"));
  const file = join(dir, "worker.db");
  const db = openDb(`file:${file}`);
  await migrateDb(db);
  db.$client.close();
  const srv = await startHranaServer({ file, port: 0 });
  try {
    const keys = await generateDevKeys();
    const common = {
      modules: true,
      compatibilityDate: toml.compatibility_date,
      compatibilityFlags: toml.compatibility_flags ?? [],
    };
    // The module given as a list: with `scriptPath` + `modules: true` (as test/worker.test.ts does)
    // miniflare first parses the bundle in Node to find its imports, which is not workerd's time.
    const product: MiniflareOptions = {
      ...common,
      modulesRoot: dist,
      modules: [
        {
          type: "ESModule",
          path: join(dist, "index.js"),
          contents: readFileSync(join(dist, "index.js"), "utf8"),
        },
      ],
      bindings: { ...toml.vars, LIBSQL_URL: srv.url, JWT_JWKS: JSON.stringify(keys.jwks) },
      assets: {
        directory: join(ROOT, toml.assets.directory),
        binding: toml.assets.binding,
        routerConfig: {
          has_user_worker: true,
          invoke_user_worker_ahead_of_assets: toml.assets.run_worker_first,
        },
      },
    };
    // The same options (bindings, static assets) with a one-line script: the difference is the bundle's.
    const trivial: MiniflareOptions = {
      ...product,
      modules: [
        {
          type: "ESModule",
          path: join(dist, "index.js"),
          contents: `export default { fetch() { return new Response("ok"); } };`,
        },
      ],
    };
    const viaScriptPath: MiniflareOptions = {
      ...product,
      modules: true,
      scriptPath: join(dist, "index.js"),
    };
    type Run = { ready: number; first: number };
    const runs: Record<"product" | "trivial" | "viaScriptPath", Run[]> = {
      product: [],
      trivial: [],
      viaScriptPath: [],
    };
    // Alternated, so load on the machine hits each alike.
    for (let i = 0; i < STARTS; i++) {
      runs.trivial.push(await timeStart(trivial, "/health"));
      runs.product.push(await timeStart(product, "/health"));
      runs.viaScriptPath.push(await timeStart(viaScriptPath, "/health"));
    }
    const m = (k: keyof typeof runs, f: keyof Run) => median(runs[k].map((r) => r[f]));
    const profile = await startupProfile(dir);
    return {
      startupStarts: STARTS,
      startupReadyMs: m("product", "ready"),
      startupFirstHealthMs: m("product", "first"),
      trivialWorkerReadyMs: m("trivial", "ready"),
      trivialWorkerFirstAnswerMs: m("trivial", "first"),
      startupReadyOverTrivialMs: m("product", "ready") - m("trivial", "ready"),
      startupFirstAnswerToTrivialRatio:
        Math.round((m("product", "first") / m("trivial", "first")) * 100) / 100,
      startupReadyMsViaScriptPath: m("viaScriptPath", "ready"),
      startupProfileCpuMs: profile.cpuMs,
      startupProfileSpanMs: profile.spanMs,
    };
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
