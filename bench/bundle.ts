// Size of the Worker bundle as wrangler would upload it, gzipped, and what takes the room; and how long
// the built bundle takes to start in workerd (bench/worker-startup.ts).
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { ROOT } from "../src/node/local";
import { workerStartup } from "./worker-startup";

/** The budget of the whole product's Worker (issue 8, section 6; it was 150 KB). */
const GOAL_KB = 350;

type Metafile = { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };

/** Bytes in the bundle per npm package (or per src/ folder), largest first. */
function largestInputs(meta: Metafile, top = 6): Record<string, number> {
  const by = new Map<string, number>();
  for (const out of Object.values(meta.outputs))
    for (const [file, { bytesInOutput }] of Object.entries(out.inputs)) {
      const pkg =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split("/").slice(0, 2).join("/");
      by.set(pkg, (by.get(pkg) ?? 0) + bytesInOutput);
    }
  return Object.fromEntries(
    [...by]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => [k, Math.round(v / 102.4) / 10]),
  );
}

export async function benchBundle(): Promise<Record<string, unknown>> {
  const out = mkdtempSync(join(tmpdir(), "fjxt-bundle-"));
  try {
    // The same command as `npm run build`, on this process's Node (wrangler needs Node >= 22).
    await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
        "deploy",
        "--dry-run",
        "--outdir",
        out,
        "--metafile",
        join(out, "meta.json"),
      ],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, maxBuffer: 16 * 1024 * 1024 },
    );
    const js = readdirSync(out).filter((f) => f.endsWith(".js"));
    if (js.length === 0) throw new Error("wrangler emitted no .js file");
    let raw = 0;
    let gzip = 0;
    for (const f of js) {
      const bytes = readFileSync(join(out, f));
      raw += bytes.length;
      gzip += gzipSync(bytes, { level: 9 }).length;
    }
    const gzipKB = Math.round(gzip / 102.4) / 10;
    return {
      rawBytes: raw,
      gzipBytes: gzip,
      gzipKB,
      goalKB: GOAL_KB,
      goalMet: gzipKB <= GOAL_KB,
      largestInputsKB: largestInputs(JSON.parse(readFileSync(join(out, "meta.json"), "utf8"))),
      ...(await workerStartup(out)),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
