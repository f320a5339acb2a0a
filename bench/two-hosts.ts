// Two Node hosts (`npm start`) on ONE database file against one host, under the same mixed load
// (issue 8, section 1): throughput, writes/s, 5xx, 503 database_busy, and acknowledged writes lost
// (every 201 id looked up in the file after the hosts stopped). The hosts run with CRON=on, and this
// process claims and runs cron jobs on the same file meanwhile (as a third host would), so the run
// ledger (job_runs) shows whether any claim failed under the load.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { signToken } from "../src/auth/jwt";
import { parseConfig } from "../src/config";
import { runJob } from "../src/cron/cron";
import { devKeys, nodeDeps, ROOT } from "../src/node/local";
import { freePort } from "./http";

export const TWO_HOSTS_BENCH = {
  seconds: 10,
  /** Concurrent request loops; in the two-host run half go to each host. */
  concurrency: 16,
  /** Per 20 requests: 6 creates (30 %), 7 inbox pages, 7 `/v1/me`. */
  mix: { writes: 6, inbox: 7, me: 7 },
  /** A cron claim every this many ms from this process, alternating `sweep` and `webhooks`. */
  cronEveryMs: 500,
  /** Configurations alternate (1 host, 2 hosts, 1, 2, …) so the machine's other load hits both alike. */
  rounds: 2,
} as const;

const SENDER = "proc.handler@donghu.demo";
const READER = "court.registrar@donghu.demo";

type Host = { proc: ChildProcess; url: string; log: string[] };

async function startHost(dbUrl: string, seed: boolean): Promise<Host> {
  const port = await freePort();
  const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/node/server.ts")], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), LIBSQL_URL: dbUrl, SEED_DEMO: String(seed), CRON: "on" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  for (const s of [proc.stdout!, proc.stderr!])
    s.on("data", (b: Buffer) => log.push(...b.toString().split("\n")));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`host on ${port} exited:\n${log.join("\n")}`);
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { proc, url, log };
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill("SIGTERM");
  throw new Error(`host on ${port} did not start:\n${log.join("\n")}`);
}

async function stopHost(h: Host) {
  if (h.proc.exitCode !== null) return;
  const exited = new Promise((r) => h.proc.once("exit", r));
  h.proc.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (h.proc.exitCode === null) h.proc.kill("SIGKILL");
}

const percentile = (sorted: number[], p: number) =>
  sorted.length
    ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! * 10) / 10
    : 0;

type Round = { figures: Record<string, unknown>; latencies: number[] };

async function runConfiguration(hostCount: 1 | 2): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-bench-hosts-"));
  const file = join(dir, "bench.db");
  const dbUrl = `file:${file}`;
  const hosts: Host[] = [];
  let cronDeps: Awaited<ReturnType<typeof nodeDeps>>["deps"] | undefined;
  try {
    // The first host migrates and seeds; only then does the second start, on the same file.
    hosts.push(await startHost(dbUrl, true));
    if (hostCount === 2) hosts.push(await startHost(dbUrl, false));

    const keys = await devKeys(dbUrl);
    const parsed = parseConfig({ LIBSQL_URL: dbUrl, JWT_JWKS: JSON.stringify(keys.jwks) });
    if (!parsed.ok) throw new Error(parsed.invalid.join("; "));
    const { config } = parsed;
    const ro = new Database(file);
    const idOf = (email: string) =>
      (ro.prepare("select id from users where email = ?").raw(true).get(email) as [string] | undefined)?.[0];
    const [senderId, readerId] = [idOf(SENDER), idOf(READER)];
    ro.close();
    if (!senderId || !readerId) throw new Error("demo users not seeded");
    const sign = (sub: string) =>
      signToken(
        keys.privateJwk,
        { sub },
        { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, expiresIn: "1h", now: new Date() },
      );
    const sender = { authorization: `Bearer ${await sign(senderId)}` };
    const reader = { authorization: `Bearer ${await sign(readerId)}` };

    const run = `${hostCount}h${Date.now().toString(36)}`;
    const send = (url: string, i: number, key = `bench-${run}-${i}`) =>
      fetch(`${url}/v1/documents`, {
        method: "POST",
        headers: { ...sender, "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify({
          type: "protest.civil",
          docNumber: `东检民监〔2026〕${i}号`,
          caseNumbers: [`(2026)示0102民初${i}号`],
          caseCategory: "civil",
          title: `抗诉书 ${i}`,
        }),
        signal: AbortSignal.timeout(15_000),
      });
    const get = (url: string, path: string) =>
      fetch(url + path, { headers: reader, signal: AbortSignal.timeout(15_000) });

    // Every kind of request must succeed once before the load, or the figures measure error answers.
    for (const h of hosts) {
      const probe = [
        await send(h.url, 0, `probe-${run}-${h.url}`),
        await get(h.url, "/v1/documents?box=inbox"),
        await get(h.url, "/v1/me"),
      ];
      for (const r of probe)
        if (r.status >= 300) throw new Error(`${h.url}: probe answered ${r.status} ${await r.text()}`);
    }

    const { mix, concurrency, seconds } = TWO_HOSTS_BENCH;
    const period = mix.writes + mix.inbox + mix.me;
    const statuses = new Map<string, number>();
    const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
    const acknowledged: string[] = [];
    const latencies: number[] = [];
    let busy = 0;
    let networkErrors = 0;
    let n = 0;
    let writesSent = 0;
    const started = performance.now();
    const until = started + seconds * 1000;
    const loop = async (w: number) => {
      const url = hosts[w % hosts.length]!.url;
      while (performance.now() < until) {
        const i = n++;
        const slot = i % period;
        const t0 = performance.now();
        try {
          const kind = slot < mix.writes ? "write" : slot < mix.writes + mix.inbox ? "inbox" : "me";
          if (kind === "write") writesSent++;
          const res =
            kind === "write"
              ? await send(url, i)
              : await get(url, kind === "inbox" ? "/v1/documents?box=inbox" : "/v1/me");
          const text = await res.text();
          latencies.push(performance.now() - t0);
          count(`${kind} ${res.status}`);
          if (res.status === 201) acknowledged.push((JSON.parse(text) as { id: string }).id);
          if (res.status === 503 && text.includes("database_busy")) busy++;
        } catch {
          networkErrors++;
        }
      }
    };

    // A third process's cron claims (here: this one's) on the same file, during the load.
    cronDeps = (await nodeDeps({ LIBSQL_URL: dbUrl, JWT_JWKS: JSON.stringify(keys.jwks) })).deps;
    const cronOutcomes: Record<string, number> = {};
    const cron = (async () => {
      for (let k = 0; performance.now() < until; k++) {
        const job = k % 2 ? "sweep" : "webhooks";
        const outcome = await runJob(cronDeps!, job, new Date(Date.UTC(2000, 0, 1, 0, k)));
        cronOutcomes[outcome.status] = (cronOutcomes[outcome.status] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, TWO_HOSTS_BENCH.cronEveryMs));
      }
    })();
    await Promise.all(Array.from({ length: concurrency }, (_, w) => loop(w)));
    const elapsed = (performance.now() - started) / 1000;
    await cron;
    cronDeps.db.$client.close();
    cronDeps = undefined;

    for (const h of hosts) await stopHost(h);
    const db = new Database(file);
    let found = 0;
    for (let k = 0; k < acknowledged.length; k += 500) {
      const ids = acknowledged.slice(k, k + 500);
      found += Number(
        (
          db
            .prepare(`select count(*) from documents where id in (${ids.map(() => "?").join(",")})`)
            .raw(true)
            .get(...ids) as [number]
        )[0],
      );
    }
    const committed = Number(
      (
        db
          .prepare("select count(*) from documents where idempotency_key like ?")
          .raw(true)
          .get(`bench-${run}-%`) as [number]
      )[0],
    );
    const ledger = db.prepare("select status, count(*) as n from job_runs group by status").all() as {
      status: string;
      n: number;
    }[];
    db.close();
    const logLines = hosts.flatMap((h) => h.log);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    const fivexx = [...statuses]
      .filter(([k]) => Number(k.split(" ")[1]) >= 500)
      .reduce((a, [, v]) => a + v, 0);
    const figures = {
      hosts: hostCount,
      seconds: elapsed,
      requests: total,
      statuses: Object.fromEntries([...statuses].sort()),
      fivexx,
      databaseBusy503: busy,
      networkErrors,
      writesSent,
      writesAcknowledged: acknowledged.length,
      acknowledgedWritesLost: acknowledged.length - found,
      // Created but never acknowledged (e.g. the client gave up): not lost, but worth knowing.
      writesCommittedNotAcknowledged: committed - found,
      cronClaims: cronOutcomes,
      jobRuns: Object.fromEntries(ledger.map((r) => [r.status, r.n])),
      hostLogErrors: logLines.filter((l) => l.includes('"level":"error"')).length,
      hostLogRunsNotClaimed: logLines.filter((l) => l.includes("run not claimed")).length,
    };
    return { figures, latencies };
  } finally {
    cronDeps?.db.$client.close();
    for (const h of hosts) await stopHost(h);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sums the rounds of one configuration: counts add up, rates and percentiles are over all of them. */
function summarize(rounds: Round[]): Record<string, unknown> {
  const sum: Record<string, unknown> = {};
  for (const { figures } of rounds)
    for (const [k, v] of Object.entries(figures)) {
      if (k === "hosts") sum[k] = v;
      else if (typeof v === "number") sum[k] = ((sum[k] as number) ?? 0) + v;
      else {
        const into = (sum[k] ??= {}) as Record<string, number>;
        for (const [kk, vv] of Object.entries(v as Record<string, number>)) into[kk] = (into[kk] ?? 0) + vv;
      }
    }
  const seconds = sum.seconds as number;
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return {
    hosts: sum.hosts,
    rounds: rounds.length,
    seconds: Math.round(seconds * 10) / 10,
    reqPerSec: Math.round((sum.requests as number) / seconds),
    reqPerSecPerRound: rounds.map((r) =>
      Math.round((r.figures.requests as number) / (r.figures.seconds as number)),
    ),
    writesPerSec: Math.round((sum.writesAcknowledged as number) / seconds),
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    ...Object.fromEntries(Object.entries(sum).filter(([k]) => !["hosts", "seconds"].includes(k))),
  };
}

export async function benchTwoHosts(): Promise<Record<string, unknown>> {
  const rounds: Record<1 | 2, Round[]> = { 1: [], 2: [] };
  for (let i = 0; i < TWO_HOSTS_BENCH.rounds; i++) {
    rounds[1].push(await runConfiguration(1));
    rounds[2].push(await runConfiguration(2));
  }
  const one = summarize(rounds[1]);
  const two = summarize(rounds[2]);
  const ratio = (k: string) => Math.round(((two[k] as number) / (one[k] as number)) * 100) / 100;
  return {
    load: `${TWO_HOSTS_BENCH.rounds} alternating rounds per configuration, each ${TWO_HOSTS_BENCH.concurrency} loops for ${TWO_HOSTS_BENCH.seconds} s: 30 % POST /v1/documents (unique Idempotency-Key), 35 % GET /v1/documents?box=inbox, 35 % GET /v1/me; cron claims every ${TWO_HOSTS_BENCH.cronEveryMs} ms`,
    oneHost: one,
    twoHosts: two,
    twoToOneReqPerSecRatio: ratio("reqPerSec"),
    twoToOneWritesPerSecRatio: ratio("writesPerSec"),
    goal: "0 5xx, 0 acknowledged writes lost, 0 failed cron claims (every job_runs row ok)",
    met: [one, two].every(
      (r) =>
        r.fivexx === 0 &&
        r.acknowledgedWritesLost === 0 &&
        !(r.cronClaims as Record<string, number>).not_claimed &&
        Object.keys(r.jobRuns as Record<string, number>).every((status) => status === "ok") &&
        r.hostLogRunsNotClaimed === 0,
    ),
  };
}
