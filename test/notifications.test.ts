// The inbox, the daily digest within business hours, and the job ledger, through the real app.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob, runScheduled } from "../src/cron/cron";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;
const cst = (day: string, at = "10:00") => new Date(`${day}T${at}:00+08:00`);
let keyN = 0;

let t: TestApp;
let p: Pair;
let other: Pair;

async function openDoc(pair: Pair, receivedOn: string) {
  t.clock.set(cst(receivedOn));
  const sent = await t.request("/v1/documents", {
    method: "POST",
    as: pair.user("proc", "handler"),
    headers: { "idempotency-key": `ntf-key-${++keyN}-abcdef` },
    json: {
      type: "protest.civil",
      docNumber: `示检〔2026〕${keyN}号`,
      caseNumbers: ["(2025)示01民终1号"],
      caseCategory: "civil",
      title: `通知测试${keyN}`,
      attachments: [],
    },
  });
  const id = sent.body.id as string;
  const reg = pair.user("court", "registrar");
  await t.request(`/v1/documents/${id}/receive`, { method: "POST", as: reg, json: { receivedOn } });
  await t.request(`/v1/documents/${id}/assign`, {
    method: "POST",
    as: reg,
    json: {
      departmentId: pair.dept(pair.court.id, "民事审判第一庭").id,
      handlerId: pair.user("court", "handler").id,
    },
  });
  return id;
}
let scheduled = 0;
const job = async (name: "sweep" | "daily_digest", day: string, at: string) => {
  t.clock.set(cst(day, at));
  const r = await runJob(t.deps, name, new Date(cst(day, at).getTime() + ++scheduled));
  expect(r.status).toBe("ok");
  return r.counts!;
};

beforeAll(async () => {
  t = await setup({ clock: fixedClock("2026-09-01T02:00:00Z") });
  p = await t.pair();
  other = await t.pair();
});

describe("GET /v1/notifications", () => {
  it("pages the caller's notices newest first, with bilingual text, a link and the unread count", async () => {
    const ids = [
      await openDoc(p, "2026-09-08"),
      await openDoc(p, "2026-09-08"),
      await openDoc(p, "2026-09-09"),
    ];
    await job("sweep", "2026-09-21", "10:00"); // T-7 of the first two
    await job("sweep", "2026-09-22", "10:00"); // T-7 of the third
    const handler = p.user("court", "handler");
    // 3 "assigned" notices from the assign route, 3 reminders, and a digest on each of the two days
    const page1 = await t.request("/v1/notifications?limit=5", { as: handler });
    expect(page1.status).toBe(200);
    expect(page1.body.unreadCount).toBe(8);
    expect(page1.body.items).toHaveLength(5);
    expect(page1.body.items.map((n: any) => n.kind)).toEqual([
      "digest",
      "deadline.reminder",
      "digest",
      "deadline.reminder",
      "deadline.reminder",
    ]);
    expect(page1.body.items[0].subject).toEqual({
      type: "digest",
      id: "2026-09-22",
      href: "/v1/documents?box=inbox&sort=due",
    });
    const first = page1.body.items[1];
    expect(first).toMatchObject({
      kind: "deadline.reminder",
      subject: { type: "document", id: ids[2], href: `/v1/documents/${ids[2]}` },
      urgent: false,
      readAt: null,
    });
    expect(first.text.zh).toContain("距期限还有7个工作日");
    expect(first.text.en).toContain("7 working day(s) left");
    const page2 = await t.request(
      `/v1/notifications?limit=5&cursor=${encodeURIComponent(page1.body.nextCursor)}`,
      { as: handler },
    );
    expect(page2.body.items.map((n: any) => n.kind)).toEqual([
      "document.assigned",
      "document.assigned",
      "document.assigned",
    ]);
    expect(page2.body.nextCursor).toBeNull();
    const all = [...page1.body.items, ...page2.body.items].map((n: any) => n.id);
    expect(new Set(all).size).toBe(8);
    expect([...all].sort().reverse()).toEqual(all);
    // Nobody else's inbox shows them.
    expect((await t.request("/v1/notifications", { as: other.user("court", "handler") })).body).toEqual({
      unreadCount: 0,
      items: [],
      nextCursor: null,
    });
  });

  it("marks one read (idempotently), hides others' notices (404), and marks all read up to an id", async () => {
    const handler = p.user("court", "handler");
    const list = await t.request("/v1/notifications", { as: handler });
    const [newest, second] = list.body.items;
    const read = await t.request(`/v1/notifications/${encodeURIComponent(second.id)}/read`, {
      method: "POST",
      as: handler,
    });
    expect(read.status).toBe(200);
    expect(read.body.readAt).toBe(t.clock.now().toISOString());
    t.clock.advance(60_000);
    const again = await t.request(`/v1/notifications/${encodeURIComponent(second.id)}/read`, {
      method: "POST",
      as: handler,
    });
    expect(again.body.readAt).toBe(read.body.readAt);
    expectProblem(
      await t.request(`/v1/notifications/${encodeURIComponent(second.id)}/read`, {
        method: "POST",
        as: p.user("court", "leader"),
      }),
      404,
      "not_found",
    );
    const unread = await t.request("/v1/notifications?unread=true", { as: handler });
    expect(unread.body.unreadCount).toBe(list.body.unreadCount - 1);
    expect(unread.body.items.map((n: any) => n.id)).not.toContain(second.id);
    const upTo = unread.body.items[1].id;
    const some = await t.request(`/v1/notifications/read-all?upTo=${encodeURIComponent(upTo)}`, {
      method: "POST",
      as: handler,
    });
    expect(some.body).toEqual({ updated: list.body.unreadCount - 2, unreadCount: 1 });
    const rest = await t.request("/v1/notifications/read-all", { method: "POST", as: handler });
    expect(rest.body).toEqual({ updated: 1, unreadCount: 0 });
    expect(newest.id > upTo).toBe(true);
  });
});

describe("the daily digest", () => {
  it("comes once per user per working day, only within business hours, and is caught up by the sweep", async () => {
    const q = await t.pair();
    const doc = await openDoc(q, "2026-09-08"); // due 10-08
    const handler = q.user("court", "handler");
    const digests = () =>
      t.deps.db.all<{ day: string; zh: string; en: string }>(
        sql`select subject_id as day, text_zh as zh, text_en as en from notifications where user_id = ${handler.id} and kind = 'digest' order by subject_id`,
      );
    // 08:00 CST trigger: before the default 08:30 start, so nothing yet; the 08:30 sweep delivers it.
    await runScheduled(t.deps, "0 0 * * *", new Date("2026-09-29T00:00:00Z"));
    t.clock.set("2026-09-29T00:00:00Z");
    expect(await digests()).toEqual([]);
    await job("sweep", "2026-09-29", "08:30");
    await job("sweep", "2026-09-29", "16:00");
    await job("daily_digest", "2026-09-29", "17:00");
    const [d] = await digests();
    expect(d).toMatchObject({ day: "2026-09-29" });
    expect(d!.zh).toContain("1件文书将在7个工作日内到期(最近期限2026-10-08)");
    expect(d!.en).toContain("0 overdue");
    // After hours, on a holiday (10-02) and a weekend: none. On the make-up Saturday 10-10: yes.
    await job("sweep", "2026-09-30", "17:45");
    await job("sweep", "2026-10-02", "10:00");
    await job("sweep", "2026-10-10", "10:00");
    await job("sweep", "2026-10-11", "10:00");
    expect((await digests()).map((x) => x.day)).toEqual(["2026-09-29", "2026-10-10"]);
    // A jurisdiction that starts at 08:00 gets it from the 08:00 trigger.
    const put = await t.request("/v1/admin/business-hours", {
      method: "PUT",
      as: q.user("court", "admin"),
      json: { start: "08:00", end: "18:00" },
    });
    expect(put.body).toEqual({ start: "08:00", end: "18:00", timeZone: "Asia/Shanghai", default: false });
    const counts = await job("daily_digest", "2026-10-12", "08:00");
    expect(counts.digests).toBeGreaterThan(0);
    expect((await digests()).map((x) => x.day)).toEqual(["2026-09-29", "2026-10-10", "2026-10-12"]);
    const overdue = await digests();
    expect(overdue.at(-1)!.zh).toContain("1件已逾期");
    void doc;
    // Settings are per jurisdiction and for admins.
    expect(
      (await t.request("/v1/admin/business-hours", { as: p.user("court", "admin") })).body,
    ).toMatchObject({ start: "08:30", end: "17:30", default: true });
    expectProblem(
      await t.request("/v1/admin/business-hours", {
        method: "PUT",
        as: q.user("court", "leader"),
        json: { start: "08:00", end: "18:00" },
      }),
      403,
    );
    expectProblem(
      await t.request("/v1/admin/business-hours", {
        method: "PUT",
        as: q.user("court", "admin"),
        json: { start: "18:00", end: "08:00" },
      }),
      400,
      "validation_failed",
    );
  });
});

describe("the reminder that next year's holiday calendar is missing", () => {
  it("from 1 December tells each city-level admin once a year, from the daily trigger, until the year is loaded", async () => {
    const city = await t.pair({ level: "city" });
    const district = await t.pair({ parentId: city.jurisdiction.id });
    const reminders = async (u: { id: string }) =>
      (await t.request("/v1/notifications", { as: u })).body.items.filter(
        (n: any) => n.kind === "calendar.missing",
      );
    const admins = [city.user("court", "admin"), city.user("proc", "admin")];
    const daily = (day: string) => {
      t.clock.set(cst(day, "08:00"));
      return runScheduled(t.deps, "0 0 * * *", new Date(`${day}T00:00:00Z`)); // 08:00 China time
    };

    expect((await daily("2026-11-30")).map((o) => [o.job, o.status])).toContainEqual([
      "calendar_reminder",
      "ok",
    ]);
    for (const a of admins) expect(await reminders(a)).toEqual([]);

    await daily("2026-12-01");
    for (const a of admins) {
      const [n, ...more] = await reminders(a);
      expect(more).toEqual([]);
      expect(n).toMatchObject({
        subject: { type: "calendar", id: "2027", href: "/v1/calendar/2027" },
        urgent: false,
        text: {
          zh: expect.stringContaining("2027年节假日安排尚未载入"),
          en: expect.stringContaining("2027"),
        },
      });
    }
    for (const u of [
      city.user("court", "leader"),
      city.user("court", "registrar"),
      district.user("court", "admin"),
      district.user("proc", "admin"),
    ])
      expect(await reminders(u)).toEqual([]);

    // Repeated and overlapping runs on the following days add nothing for them; an admin who
    // arrived meanwhile is told on the next run, since the year is still missing.
    const newcomer = await t.pair({ level: "city" });
    t.clock.set(cst("2026-12-02", "08:00"));
    await Promise.all([
      runJob(t.deps, "calendar_reminder", new Date("2026-12-02T00:00:00Z")),
      runJob(t.deps, "calendar_reminder", new Date("2026-12-02T00:00:00.001Z")),
    ]);
    for (const a of admins) expect(await reminders(a)).toHaveLength(1);
    expect(await reminders(newcomer.user("proc", "admin"))).toHaveLength(1);

    // Once 2027 is loaded, nobody is reminded any more.
    t.clock.set(cst("2026-12-03", "09:00"));
    const load = await t.request("/v1/calendar/2027", {
      method: "PUT",
      as: await t.operator(),
      json: { days: [{ date: "2027-01-01", kind: "holiday", name: "元旦" }] },
    });
    expect(load.status).toBe(200);
    const late = await t.pair({ level: "city" });
    const [, reminder] = await daily("2026-12-04");
    expect(reminder).toMatchObject({ job: "calendar_reminder", status: "ok", counts: { reminders: 0 } });
    expect(await reminders(late.user("court", "admin"))).toEqual([]);
  });
});

describe("GET /v1/admin/jobs", () => {
  it("shows the last runs of each job with status, duration, counts and errors (deployment operators only)", async () => {
    const city = await t.pair({ level: "city" });
    const op = await t.operator();
    const res = await t.request("/v1/admin/jobs?limit=2", { as: op });
    expect(res.status).toBe(200);
    const byJob = Object.fromEntries(res.body.items.map((j: any) => [j.job, j]));
    expect(Object.keys(byJob).sort()).toEqual([
      "calendar_reminder",
      "daily_digest",
      "event_reminders",
      "offers",
      "series",
      "sweep",
      "webhooks",
    ]);
    expect(byJob.sweep.runs).toHaveLength(2);
    expect(byJob.sweep.lastStatus).toBe("ok");
    expect(byJob.sweep.runs[0]).toMatchObject({ status: "ok", error: null, durationMs: expect.any(Number) });
    expect(byJob.sweep.runs[0].counts).toHaveProperty("document.sent");
    expect(byJob.webhooks).toEqual({ job: "webhooks", lastStatus: null, runs: [] });
    // A failing run is recorded with its error.
    await t.deps.db.run(sql`insert into job_runs (job, scheduled_at, started_at, finished_at, status, error) values
      ('daily_digest', '2099-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z', '2099-01-01T00:00:01.500Z', 'error', 'LibsqlError: boom')`);
    const after = await t.request("/v1/admin/jobs", { as: op });
    const digest = after.body.items.find((j: any) => j.job === "daily_digest");
    expect(digest.lastStatus).toBe("error");
    expect(digest.runs[0]).toMatchObject({
      status: "error",
      error: "LibsqlError: boom",
      durationMs: 1500,
      counts: null,
    });
    expectProblem(await t.request("/v1/admin/jobs", { as: city.user("court", "admin") }), 403, "forbidden");
    expectProblem(await t.request("/v1/admin/jobs", { as: city.user("court", "leader") }), 403, "forbidden");
    expectProblem(await t.request("/v1/admin/jobs", { as: p.user("court", "admin") }), 403, "forbidden"); // a basic-level admin
  });
});
