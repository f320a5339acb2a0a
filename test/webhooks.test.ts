// Webhooks end to end: endpoints registered through the API, events from real document changes,
// delivered by the job to a real HTTP server on 127.0.0.1, verified with the standardwebhooks library.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import { backoffMs, claimDeliveries, INTERRUPTED, IN_FLIGHT, WEBHOOK_POLICY } from "../src/webhooks/deliver";
import { webhookUrlProblem } from "../src/webhooks/url";
import { expectProblem, setup, type TestApp } from "./helpers";

type Received = { path: string; headers: IncomingHttpHeaders; body: string };
type Pair = Awaited<ReturnType<TestApp["pair"]>>;

/** A receiver: records every request; `status(path)` says what to answer. */
async function receiver() {
  const got: Received[] = [];
  const answers = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(answers.get(req.url ?? "") ?? 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    got,
    answers,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

let t: TestApp;
let p: Pair;
let rx: Awaited<ReturnType<typeof receiver>>;
let keyN = 0;
let runs = 0;
const cst = (day: string, at = "10:00") => new Date(`${day}T${at}:00+08:00`);

async function deliverAt(when: Date) {
  t.clock.set(when);
  const scheduled = new Date(when.getTime() + ++runs);
  const r = await runJob(t.deps, "webhooks", scheduled);
  if (r.status !== "ok") {
    const [row] = await t.deps.db.all<{ error: string }>(
      sql`select error from job_runs where job = 'webhooks' and scheduled_at = ${scheduled.toISOString()}`,
    );
    throw new Error(`webhooks job: ${row?.error}`);
  }
  return r.counts!;
}
async function sendDoc(pair: Pair) {
  const res = await t.request("/v1/documents", {
    method: "POST",
    as: pair.user("proc", "handler"),
    headers: { "idempotency-key": `wh-key-${++keyN}-abcdef` },
    json: {
      type: "protest.civil",
      docNumber: `示检〔2026〕${keyN}号`,
      caseNumbers: ["(2025)示01民终1号"],
      caseCategory: "civil",
      title: `回调测试${keyN}`,
      attachments: [],
    },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}
const register = async (pair: Pair, side: "court" | "proc", path: string, eventTypes: string[] = ["*"]) => {
  const res = await t.request("/v1/webhooks", {
    method: "POST",
    as: pair.user(side, "admin"),
    json: { url: rx.url(path), eventTypes },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string };
};
/** Verifies with the library as a receiver would, at the time of delivery. */
function verify(secret: string, r: Received) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(t.clock.now());
  try {
    return new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as {
      type: string;
      data: Record<string, unknown>;
    };
  } finally {
    vi.useRealTimers();
  }
}

beforeAll(async () => {
  t = await setup({ clock: fixedClock(cst("2026-09-01")), env: { ALLOW_PRIVATE_WEBHOOKS: "true" } });
  p = await t.pair();
  rx = await receiver();
});
afterAll(() => rx.close());

describe("webhook endpoints", () => {
  it("are registered, listed, changed and deleted by the organisation's admins only", async () => {
    const admin = p.user("court", "admin");
    const created = await t.request("/v1/webhooks", {
      method: "POST",
      as: admin,
      json: { url: rx.url("/crud"), eventTypes: ["document.received"], description: "收文系统" },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(created.body).toMatchObject({
      url: rx.url("/crud"),
      eventTypes: ["document.received"],
      active: true,
      consecutiveFailures: 0,
    });
    const id = created.body.id;
    expect((await t.request("/v1/webhooks", { as: admin })).body.items.map((e: any) => e.id)).toContain(id);
    expect((await t.request("/v1/webhooks", { as: admin })).body.items[0].secret).toBeUndefined();
    expect((await t.request(`/v1/webhooks/${id}`, { as: admin })).body.secret).toBeUndefined();
    const rotated = await t.request(`/v1/webhooks/${id}/rotate-secret`, { method: "POST", as: admin });
    expect(rotated.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(
      (
        await t.request(`/v1/webhooks/${id}/rotate-secret`, {
          method: "POST",
          as: p.user("court", "handler"),
        })
      ).status,
    ).toBe(403);
    expectProblem(await t.request("/v1/webhooks", { as: p.user("court", "leader") }), 403, "forbidden");
    expectProblem(await t.request(`/v1/webhooks/${id}`, { as: p.user("proc", "admin") }), 404, "not_found");
    expectProblem(
      await t.request("/v1/webhooks", {
        method: "POST",
        as: admin,
        json: { url: rx.url("/x"), eventTypes: ["document.nonsense"] },
      }),
      400,
      "validation_failed",
    );
    const patched = await t.request(`/v1/webhooks/${id}`, {
      method: "PATCH",
      as: admin,
      json: { eventTypes: ["document.received", "document.replied"] },
    });
    expect(patched.body.eventTypes).toEqual(["document.received", "document.replied"]);
    expectProblem(
      await t.request(`/v1/webhooks/${id}`, { method: "DELETE", as: p.user("proc", "admin") }),
      404,
    );
    expect((await t.request(`/v1/webhooks/${id}`, { method: "DELETE", as: admin })).status).toBe(204);
    expectProblem(await t.request(`/v1/webhooks/${id}`, { as: admin }), 404);
  });

  it("refuses private and loopback URLs unless the deployment allows them", async () => {
    for (const url of [
      "http://127.0.0.1:8080/x",
      "https://127.0.0.1/x",
      "https://localhost/x",
      "https://10.1.2.3/x",
      "https://172.16.0.1/x",
      "https://192.168.1.10/x",
      "https://169.254.169.254/latest",
      "https://[::1]/x",
      "https://[fd00::1]/x",
      "https://[::ffff:127.0.0.1]/x",
      "https://2130706433/x",
      "https://0x7f.1/x",
      "https://intranet.local/x",
      "https://100.64.0.1/x",
      "https://0.0.0.0/x",
    ])
      expect(webhookUrlProblem(url, false), url).not.toBeNull();
    expect(webhookUrlProblem("http://example.com/x", false)).toMatch(/https/);
    expect(webhookUrlProblem("https://user:pw@example.com/x", false)).toMatch(/credentials/);
    expect(webhookUrlProblem("https://hooks.example.com/fajian", false)).toBeNull();
    expect(webhookUrlProblem("https://8.8.8.8/x", false)).toBeNull();
    expect(webhookUrlProblem("http://127.0.0.1:8080/x", true)).toBeNull();

    const strict = await setup(); // ALLOW_PRIVATE_WEBHOOKS defaults to false
    const q = await strict.pair();
    const res = await strict.request("/v1/webhooks", {
      method: "POST",
      as: q.user("court", "admin"),
      json: { url: "https://192.168.0.5/hook", eventTypes: ["*"] },
    });
    expectProblem(res, 400, "validation_failed");
    expect(res.body.errors[0]).toMatchObject({ path: "url", code: "url_refused" });
  });
});

describe("delivery", () => {
  it("signs each event so that the standardwebhooks verifier accepts it, to subscribed endpoints of the parties only", async () => {
    const court = await register(p, "court", "/court");
    const proc = await register(p, "proc", "/proc", ["document.received"]);
    const stranger = await t.pair();
    await register(stranger, "court", "/stranger");
    t.clock.set(cst("2026-09-08"));
    const id = await sendDoc(p);
    const rec = await t.request(`/v1/documents/${id}/receive`, {
      method: "POST",
      as: p.user("court", "registrar"),
      json: { receivedOn: "2026-09-08" },
    });
    expect(rec.status).toBe(200);
    const counts = await deliverAt(cst("2026-09-08", "10:05"));
    expect(counts).toMatchObject({ attempted: 3, delivered: 3, failed: 0 });
    const toCourt = rx.got.filter((r) => r.path === "/court");
    expect(toCourt.map((r) => verify(court.secret, r).type)).toEqual([
      "document.created",
      "document.received",
    ]);
    const received = verify(court.secret, toCourt[1]!);
    expect(received.data).toMatchObject({
      documentId: id,
      status: "received",
      dueOn: "2026-10-08",
      href: `/v1/documents/${id}`,
    });
    expect(toCourt[1]!.headers["webhook-id"]).toBe(received.data.eventId);
    const toProc = rx.got.filter((r) => r.path === "/proc");
    expect(toProc.map((r) => verify(proc.secret, r).type)).toEqual(["document.received"]);
    // A wrong secret or a tampered body is rejected by the same verifier.
    expect(() => verify(court.secret, toProc[0]!)).toThrow();
    expect(() =>
      verify(court.secret, { ...toCourt[0]!, body: toCourt[0]!.body.replace("created", "withdrawn") }),
    ).toThrow();
    expect(rx.got.filter((r) => r.path === "/stranger")).toEqual([]);
    // Nothing twice: a second run delivers nothing new.
    expect(await deliverAt(cst("2026-09-08", "10:10"))).toMatchObject({ attempted: 0 });
    // A failed document change writes no event.
    await t.request(`/v1/documents/${id}/receive`, {
      method: "POST",
      as: p.user("court", "registrar"),
      json: { receivedOn: "2026-09-08" },
    });
    const [n] = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from webhook_events where subject_id = ${id}`,
    );
    expect(n!.n).toBe(2);
  });

  it("holds non-urgent events outside business hours and on rest days, but not urgent ones", async () => {
    const q = await t.pair();
    t.clock.set(cst("2026-09-08", "09:00")); // endpoints receive events from their registration on
    await register(q, "court", "/hours");
    t.clock.set(cst("2026-09-08"));
    const id = await sendDoc(q);
    await t.request(`/v1/documents/${id}/receive`, {
      method: "POST",
      as: q.user("court", "registrar"),
      json: { receivedOn: "2026-09-08" },
    });
    await t.request(`/v1/documents/${id}/assign`, {
      method: "POST",
      as: q.user("court", "registrar"),
      json: {
        departmentId: q.dept(q.court.id, "民事审判第一庭").id,
        handlerId: q.user("court", "handler").id,
      },
    });
    t.clock.set(cst("2026-09-08", "19:00"));
    const urged = await t.request(`/v1/documents/${id}/urge`, {
      method: "POST",
      as: q.user("proc", "handler"),
      json: { note: "请尽快" },
    });
    expect(urged.status).toBe(200);
    const seen = () => rx.got.filter((r) => r.path === "/hours").map((r) => JSON.parse(r.body).type);
    await deliverAt(cst("2026-09-08", "19:05")); // after hours: only the urgent 催办
    expect(seen()).toEqual(["document.urged"]);
    await deliverAt(cst("2026-09-26", "10:00")); // Mid-Autumn holiday (a Saturday)
    await deliverAt(cst("2026-09-09", "08:25")); // clock back to before opening: still held
    expect(seen()).toEqual(["document.urged"]);
    await deliverAt(cst("2026-09-09", "08:30"));
    expect(seen().slice(1).sort()).toEqual(["document.assigned", "document.created", "document.received"]);
  });

  it("retries with exponential backoff, gives up after the limit, and disables an endpoint after repeated failures", async () => {
    const q = await t.pair();
    t.clock.set(cst("2026-09-08"));
    const ep = await register(q, "court", "/failing");
    rx.answers.set("/failing", 500);
    const first = await sendDoc(q);
    const attemptsOf = () => rx.got.filter((r) => r.path === "/failing");
    // Business hours all day, so the backoff alone decides when each retry happens.
    await t.request("/v1/admin/business-hours", {
      method: "PUT",
      as: q.user("court", "admin"),
      json: { start: "00:00", end: "23:59" },
    });
    const nextAttempt = async () =>
      new Date(
        (
          await t.deps.db.all<{ at: string }>(
            sql`select next_attempt_at as at from webhook_deliveries where endpoint_id = ${ep.id}`,
          )
        )[0]!.at,
      );
    let at = cst("2026-09-08", "10:00");
    const times: number[] = [];
    for (let i = 0; i < 100 && times.length < WEBHOOK_POLICY.maxAttempts; i++) {
      const before = attemptsOf().length;
      await deliverAt(new Date(at.getTime() - 1000)); // a second early: not yet due
      expect(attemptsOf().length).toBe(before);
      await deliverAt(at);
      expect(attemptsOf().length).toBe(before + 1);
      times.push(at.getTime());
      at = await nextAttempt();
    }
    const gaps = times.slice(1).map((x, i) => x - times[i]!);
    expect(gaps).toEqual([1, 2, 3, 4, 5, 6, 7].map(backoffMs));
    expect(gaps.map((g) => g / 60_000)).toEqual([1, 3, 9, 27, 81, 243, 729]);
    expect(times).toHaveLength(WEBHOOK_POLICY.maxAttempts);
    const [delivery] = await t.deps.db.all<{ status: string; attempts: number }>(
      sql`select status, attempts from webhook_deliveries where endpoint_id = ${ep.id}`,
    );
    expect(delivery).toEqual({ status: "failed", attempts: WEBHOOK_POLICY.maxAttempts });
    // Same message id on every retry, so a receiver can deduplicate.
    expect(new Set(attemptsOf().map((r) => r.headers["webhook-id"])).size).toBe(1);
    const log = await t.request(`/v1/webhooks/${ep.id}/attempts?limit=3`, { as: q.user("court", "admin") });
    expect(log.body.items).toHaveLength(3);
    expect(log.body.items[0]).toMatchObject({
      attempt: WEBHOOK_POLICY.maxAttempts,
      statusCode: 500,
      error: "HTTP 500",
      deliveryStatus: "failed",
      eventType: "document.created",
    });
    expect(log.body.nextCursor).not.toBeNull();
    let endpoint = (await t.request(`/v1/webhooks/${ep.id}`, { as: q.user("court", "admin") })).body;
    expect(endpoint).toMatchObject({ active: true, consecutiveFailures: WEBHOOK_POLICY.maxAttempts });

    // Two more failures reach the disabling limit.
    t.clock.set(at);
    await t.request(`/v1/documents/${first}/withdraw`, {
      method: "POST",
      as: q.user("proc", "handler"),
      json: { note: "撤回" },
    });
    for (let i = 0; i < 100; i++) {
      await deliverAt(at);
      endpoint = (await t.request(`/v1/webhooks/${ep.id}`, { as: q.user("court", "admin") })).body;
      if (!endpoint.active) break;
      const [next] = await t.deps.db.all<{ at: string }>(
        sql`select min(next_attempt_at) as at from webhook_deliveries where endpoint_id = ${ep.id} and status = 'pending'`,
      );
      at = new Date(Math.max(new Date(next!.at).getTime(), at.getTime() + 60_000));
    }
    expect(endpoint).toMatchObject({
      active: false,
      consecutiveFailures: WEBHOOK_POLICY.disableAfter,
      disabledReason: expect.stringContaining("consecutive"),
    });
    const inbox = await t.request("/v1/notifications", { as: q.user("court", "admin") });
    expect(inbox.body.items.filter((n: any) => n.kind === "webhook.disabled")).toHaveLength(1);
    // Disabled: nothing more is attempted; re-enabled and fixed, the pending delivery goes through.
    const count = attemptsOf().length;
    expect(at.getTime()).toBeLessThan(cst("2026-09-11").getTime());
    await deliverAt(cst("2026-09-11")); // Friday: due, but the endpoint is disabled
    expect(attemptsOf().length).toBe(count);
    rx.answers.set("/failing", 200);
    const re = await t.request(`/v1/webhooks/${ep.id}`, {
      method: "PATCH",
      as: q.user("court", "admin"),
      json: { active: true },
    });
    expect(re.body).toMatchObject({ active: true, consecutiveFailures: 0, disabledAt: null });
    await deliverAt(cst("2026-09-12")); // Saturday: held until the next working day
    expect(attemptsOf().length).toBe(count);
    await deliverAt(cst("2026-09-14", "00:00"));
    expect(attemptsOf().length).toBe(count + 1);
    expect(JSON.parse(attemptsOf().at(-1)!.body).type).toBe("document.withdrawn");
  }, 120_000);

  it("two overlapping runs deliver each event once", async () => {
    const q = await t.pair();
    t.clock.set(cst("2026-09-08"));
    await register(q, "court", "/overlap");
    for (let i = 0; i < 5; i++) await sendDoc(q);
    t.clock.set(cst("2026-09-08", "11:00"));
    await Promise.all([
      runJob(t.deps, "webhooks", new Date(cst("2026-09-08", "11:00").getTime() + 1)),
      runJob(t.deps, "webhooks", new Date(cst("2026-09-08", "11:00").getTime() + 2)),
    ]);
    const got = rx.got.filter((r) => r.path === "/overlap").map((r) => r.headers["webhook-id"]);
    expect(got).toHaveLength(5);
    expect(new Set(got).size).toBe(5);
  });

  it("counts an attempt exactly as often as it logs one, whatever run dies between claim and outcome", async () => {
    const q = await t.pair();
    t.clock.set(cst("2026-09-08", "09:00"));
    const ep = await register(q, "court", "/crash");
    const start = cst("2026-09-08", "10:00");
    t.clock.set(start);
    await sendDoc(q);
    const sent = () => rx.got.filter((r) => r.path === "/crash").length;
    const state = async () => {
      const [d] = await t.deps.db.all<{ counted: number; logged: number; status: string }>(
        sql`select sum(d.attempts) as counted, (select count(*) from webhook_attempts a where a.endpoint_id = ${ep.id}) as logged,
              group_concat(d.status) as status
            from webhook_deliveries d where d.endpoint_id = ${ep.id}`,
      );
      const log = await t.deps.db.all<{ attempt: number; error: string | null; status: number | null }>(
        sql`select attempt, error, status_code as status from webhook_attempts where endpoint_id = ${ep.id} order by attempt`,
      );
      return { ...d!, log };
    };
    const lease = WEBHOOK_POLICY.leaseMs;
    const later = (ms: number) => new Date(start.getTime() + ms);

    // A run claims the delivery and dies before any outcome is recorded.
    t.clock.set(start);
    const crashed = await claimDeliveries(t.deps, start, "crashed-run-1");
    expect(crashed.claimed.map((c) => c.endpointId)).toEqual([ep.id]);
    expect(await state()).toMatchObject({ counted: 1, logged: 1, log: [{ attempt: 1, error: IN_FLIGHT }] });
    // While its lease lasts, no other run takes the delivery.
    await deliverAt(later(lease - 1000));
    expect(sent()).toBe(0);
    // A second run dies too, after its lease expired.
    await claimDeliveries(t.deps, later(lease), "crashed-run-2");
    expect(await state()).toMatchObject({
      counted: 2,
      logged: 2,
      log: [{ error: INTERRUPTED }, { error: IN_FLIGHT }],
    });
    // The next run after that lease delivers; every attempt is both counted and logged, once.
    await deliverAt(later(2 * lease));
    expect(sent()).toBe(1);
    expect(await state()).toEqual({
      counted: 3,
      logged: 3,
      status: "delivered",
      log: [
        { attempt: 1, error: INTERRUPTED, status: null },
        { attempt: 2, error: INTERRUPTED, status: null },
        { attempt: 3, error: null, status: 204 },
      ],
    });
    const api = await t.request(`/v1/webhooks/${ep.id}/attempts`, { as: q.user("court", "admin") });
    expect(api.body.items.map((a: any) => [a.attempt, a.statusCode, a.error])).toEqual([
      [3, 204, null],
      [2, null, INTERRUPTED],
      [1, null, INTERRUPTED],
    ]);
  });

  it("gives a delivery up when its last allowed attempt is interrupted, with no attempt beyond the limit", async () => {
    const q = await t.pair();
    t.clock.set(cst("2026-09-08", "09:00"));
    const ep = await register(q, "court", "/crash-always");
    await t.request("/v1/admin/business-hours", {
      method: "PUT",
      as: q.user("court", "admin"),
      json: { start: "00:00", end: "23:59" },
    });
    const start = cst("2026-09-08", "10:00");
    t.clock.set(start);
    await sendDoc(q);
    let at = start;
    for (let i = 1; i <= WEBHOOK_POLICY.maxAttempts + 2; i++) {
      t.clock.set(at);
      await claimDeliveries(t.deps, at, `crashing-run-${i}`);
      at = new Date(at.getTime() + WEBHOOK_POLICY.leaseMs);
    }
    await deliverAt(at);
    expect(rx.got.filter((r) => r.path === "/crash-always")).toHaveLength(0);
    const [d] = await t.deps.db.all<{ attempts: number; status: string; lastError: string; logged: number }>(
      sql`select d.attempts, d.status, d.last_error as lastError,
            (select count(*) from webhook_attempts a where a.delivery_id = d.id and a.error = ${INTERRUPTED}) as logged
          from webhook_deliveries d where d.endpoint_id = ${ep.id}`,
    );
    expect(d).toEqual({
      attempts: WEBHOOK_POLICY.maxAttempts,
      status: "failed",
      lastError: INTERRUPTED,
      logged: WEBHOOK_POLICY.maxAttempts,
    });
  });
});
