// `npm run bench [-- <section> ...]`: runs the benchmark sections in order, prints their figures and
// merges them into bench/results.json, one entry per section, so each issue adds its own section.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { ROOT } from "../src/node/local";
import { benchBundle } from "./bundle";
import { benchHttp } from "./http";

export type Section = { name: string; run: () => Promise<Record<string, unknown>> };

const SECTIONS: Section[] = [
  { name: "http", run: benchHttp },
  { name: "bundle", run: benchBundle },
  { name: "hrana", run: async () => (await import("./hrana")).benchHrana() },
  { name: "documentRoundTrips", run: async () => (await import("./documents")).documentRoundTrips() },
  { name: "documentInbox", run: async () => (await import("./documents")).inboxThroughput() },
  { name: "inboxPlan", run: async () => (await import("./inbox-plan")).inboxPlan() },
  { name: "sweep", run: async () => (await import("./sweep")).benchSweep() },
  { name: "twoHosts", run: async () => (await import("./two-hosts")).benchTwoHosts() },
  { name: "login", run: async () => (await import("./login")).benchLogin() },
  { name: "onboarding", run: async () => (await import("./onboarding")).onboardingRoundTrips() },
  { name: "seriesCycle", run: async () => (await import("./series")).benchSeries() },
  { name: "meetingRoundTrips", run: async () => (await import("./meeting-routes")).meetingRoundTrips() },
  { name: "registrations", run: async () => (await import("./registrations")).benchRegistrations() },
  { name: "statistics", run: async () => (await import("./statistics")).benchStatistics() },
  { name: "reportOpening", run: async () => (await import("./reports")).benchReports() },
  { name: "publicFeed", run: async () => (await import("./typical-feed")).benchPublicFeed() },
  { name: "exchangeRoundTrips", run: async () => (await import("./exchange-routes")).exchangeRoundTrips() },
];

const RESULTS = join(ROOT, "bench", "results.json");

function cell(v: unknown): string {
  if (typeof v === "number") return v.toLocaleString("en-US");
  if (typeof v === "object" && v !== null)
    return Object.entries(v)
      .map(([k, x]) => `${k} ${cell(x)}`)
      .join(", ");
  return String(v);
}

function printTable(name: string, figures: Record<string, unknown>) {
  const rows = Object.entries(figures);
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${name}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${cell(v)}`);
}

async function main(only: string[]) {
  const unknown = only.filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length)
    throw new Error(
      `unknown section(s) ${unknown.join(", ")}; known: ${SECTIONS.map((s) => s.name).join(", ")}`,
    );
  const results: Record<string, unknown> = existsSync(RESULTS)
    ? JSON.parse(readFileSync(RESULTS, "utf8"))
    : {};
  const machine = { node: process.version, cpus: cpus().length };
  let failed = false;
  for (const section of SECTIONS.filter((s) => only.length === 0 || only.includes(s.name))) {
    const started = Date.now();
    process.stdout.write(`running ${section.name}…`);
    try {
      // Other work on the machine moves the figures: the 1-minute load average when the section began.
      const loadAvg1m = Math.round(loadavg()[0]! * 10) / 10;
      const figures = await section.run();
      console.log(` ${((Date.now() - started) / 1000).toFixed(1)} s`);
      printTable(section.name, figures);
      results[section.name] = { date: new Date().toISOString(), ...machine, loadAvg1m, ...figures };
      // Written after every section, so a later failure keeps the earlier figures.
      writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    } catch (e) {
      failed = true;
      console.log(" failed");
      console.error(`  ${section.name}: ${(e as Error).stack ?? e}`);
    }
  }
  console.log(`\nresults merged into ${RESULTS}`);
  if (failed) process.exitCode = 1;
}

await main(process.argv.slice(2));
