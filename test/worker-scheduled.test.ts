// The Worker's scheduled handler, called as the Workers runtime calls it, over a real libSQL database
// served by the local Hrana endpoint (the Worker's own HTTP client).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { generateDevKeys } from "../src/auth/jwt";
import { SCHEDULE } from "../src/cron/cron";
import { startHranaServer, type HranaServer } from "../src/node/libsql-server";
import { migrateDb, openDb } from "../src/node/local";
import worker from "../workers/index";

let srv: HranaServer;
let env: Record<string, unknown>;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), "fjxt-scheduled-")), "worker.db");
  const db = openDb(`file:${file}`);
  await migrateDb(db);
  db.$client.close();
  srv = await startHranaServer({ file, port: 0 });
  env = { LIBSQL_URL: srv.url, JWT_JWKS: JSON.stringify((await generateDevKeys()).jwks) };
});
afterAll(() => srv?.close());
afterEach(() => vi.restoreAllMocks());

const controller = (cron: string, scheduledTime = Date.parse("2026-09-08T02:05:00Z")) =>
  ({ cron, scheduledTime, noRetry() {} }) as ScheduledController;

function captureLogs() {
  const lines: { level: "log" | "error"; text: string }[] = [];
  for (const level of ["log", "error"] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push({ level, text: args.map(String).join(" ") });
    });
  return lines;
}

describe("the Worker's scheduled handler", () => {
  it("logs one JSON line naming an unknown expression and the known ones, and returns normally", async () => {
    const lines = captureLogs();
    await expect(worker.scheduled(controller("7 7 * * *"), env)).resolves.toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("error");
    expect(lines[0]!.text).not.toMatch(/\n\s+at /); // no stack trace
    const line = JSON.parse(lines[0]!.text);
    expect(line).toMatchObject({ level: "error", cron: "7 7 * * *", known: Object.keys(SCHEDULE) });
    expect(line.known).toContain("*/5 * * * *");
    expect(line.message).toMatch(/unknown cron expression/);
  });

  it("runs a known expression's jobs against the database and logs their outcome", async () => {
    const lines = captureLogs();
    await worker.scheduled(controller("*/5 * * * *"), env);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!.text)).toMatchObject({
      level: "info",
      cron: "*/5 * * * *",
      outcome: [{ job: "webhooks", status: "ok" }],
    });
  });
});
