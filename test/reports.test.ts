// Periodic mutual reports (定期通报) through the real app and libSQL: report series created over HTTP,
// the daily `series` cron opening each ENDED period's report exactly once (duplicate and concurrent
// runs, a missed month caught up, China-time period edges), the ladder of an unsubmitted report on
// working days (National Day 2026: 10-01…10-07 rest, 10-10 a make-up working Saturday), submission
// with figures validated against the series' fields, read, comments, wrong side and outsiders.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import { periodEnd } from "../src/series/period";
import { expectProblem, setup } from "./helpers";

const cst = (day: string, at = "08:00") => new Date(`${day}T${at}:00+08:00`);
let keyN = 0;
const key = () => ({ "idempotency-key": `report-test-${++keyN}-${process.pid}` });

const FIELDS = [
  {
    key: "cases_accepted",
    label: { zh: "受理案件数", en: "Cases accepted" },
    type: "integer",
    required: true,
  },
  {
    key: "cases_concluded",
    label: { zh: "审结案件数", en: "Cases concluded" },
    type: "integer",
    required: true,
  },
  { key: "notes", label: { zh: "说明", en: "Notes" }, type: "text", required: false },
];
const seriesBody = (o: object = {}) => ({
  title: "涉未成年人案件办理情况通报",
  topic: "minors",
  reporter: "court",
  cadence: "month",
  dueWorkdays: 5,
  fields: FIELDS,
  ...o,
});

async function world(start = cst("2026-09-10", "10:00")) {
  const t = await setup({ clock: fixedClock(start) });
  const p = await t.pair();
  let runs = 0;
  /** The daily series trigger at `at` (a distinct scheduled time each call unless given). */
  async function cron(at: Date) {
    t.clock.set(at);
    const r = await runJob(t.deps, "series", new Date(at.getTime() + ++runs));
    expect(r.status).toBe("ok");
    return r;
  }
  async function sweep(day: string) {
    const at = cst(day, "10:00");
    t.clock.set(at);
    const r = await runJob(t.deps, "sweep", new Date(at.getTime() + ++runs));
    expect(r.status).toBe("ok");
  }
  const createSeries = async (o: object = {}, as = p.user("court", "coordinator")) => {
    const r = await t.request("/v1/report-series", {
      method: "POST",
      as,
      headers: key(),
      json: seriesBody(o),
    });
    expect(r.status).toBe(201);
    return r.body;
  };
  const reportsOf = (seriesId: string) =>
    t.deps.db.all<{ id: string; period: string; sender: string; status: string; dueOn: string }>(sql`
      select x.id, x.period, o.kind as sender, x.status, x.due_on as dueOn from exchanges x
      join organizations o on o.id = x.sender_org_id
      where x.series_id = ${seriesId} order by x.period, o.kind`);
  const heard = (id: string) =>
    t.deps.db.all<{ userId: string; kind: string }>(
      sql`select user_id as userId, kind from notifications where subject_id = ${id} order by id`,
    );
  return { t, p, cron, sweep, createSeries, reportsOf, heard };
}

async function dueReport(w: Awaited<ReturnType<typeof world>>) {
  const s = await w.createSeries({ startPeriod: "2026-09" });
  await w.cron(cst("2026-10-01"));
  const [r] = await w.reportsOf(s.id);
  return { s, id: r!.id };
}

describe("period ends (China time)", () => {
  it("gives each period's last day, leap February included", () => {
    expect(periodEnd("month", "2027-02")).toBe("2027-02-28");
    expect(periodEnd("month", "2028-02")).toBe("2028-02-29");
    expect(periodEnd("month", "2026-12")).toBe("2026-12-31");
    expect(periodEnd("quarter", "2026-Q3")).toBe("2026-09-30");
    expect(periodEnd("half_year", "2027-H1")).toBe("2027-06-30");
    expect(periodEnd("year", "2026")).toBe("2026-12-31");
  });
});

describe("POST /v1/report-series", () => {
  it("creates a series with its fields and next period due (working days after the period, holidays skipped)", async () => {
    const w = await world();
    const s = await w.createSeries({ startPeriod: "2026-09" });
    expect(s.reporter.code).toBe("court");
    expect(s.topic).toEqual({
      code: "minors",
      label: { zh: "涉未成年人案件", en: "Cases involving minors" },
    });
    expect(s.fields.map((f: { key: string }) => f.key)).toEqual([
      "cases_accepted",
      "cases_concluded",
      "notes",
    ]);
    // September ends Wed 09-30; 10-01…10-07 are National Day; 10-08 (1), 10-09 (2), Sat 10-10 a make-up
    // working day (3), 10-12 (4), 10-13 (5).
    expect(s.next).toMatchObject({
      period: "2026-09",
      endsOn: "2026-09-30",
      opensOn: "2026-10-01",
      dueOn: "2026-10-13",
    });
    const got = await w.t.request(`/v1/report-series/${s.id}`, { as: w.p.user("proc", "handler") });
    expect(got.status).toBe(200);
    expect(got.body.next.dueOn).toBe("2026-10-13");
    const list = await w.t.request("/v1/report-series?active=true", { as: w.p.user("proc", "leader") });
    expect(list.body.items.map((x: { id: string }) => x.id)).toEqual([s.id]);
  });

  it("answers a retry with the first series and refuses the key for another body", async () => {
    const w = await world();
    const headers = key();
    const as = w.p.user("proc", "leader");
    const a = await w.t.request("/v1/report-series", { method: "POST", as, headers, json: seriesBody() });
    const b = await w.t.request("/v1/report-series", { method: "POST", as, headers, json: seriesBody() });
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body.id).toBe(a.body.id);
    const c = await w.t.request("/v1/report-series", {
      method: "POST",
      as,
      headers,
      json: seriesBody({ title: "另一个通报" }),
    });
    expectProblem(c, 409, "idempotency_key_reused");
    const [n] = await w.t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from series where kind = 'mutual_report'`,
    );
    expect(n!.n).toBe(1);
  });

  it("refuses a back-dated start period (400 start_in_past): no report opens already overdue", async () => {
    const w = await world(); // 2026-09-10
    const as = w.p.user("court", "coordinator");
    for (const o of [
      { startPeriod: "2024-12" },
      { startPeriod: "2026-08" },
      { cadence: "quarter", startPeriod: "2026-Q2" },
      { cadence: "year", startPeriod: "2025" },
    ]) {
      const r = await w.t.request("/v1/report-series", {
        method: "POST",
        as,
        headers: key(),
        json: seriesBody(o),
      });
      expectProblem(r, 400, "validation_failed");
      expect(r.body.errors, JSON.stringify(o)).toEqual([
        expect.objectContaining({ path: "startPeriod", code: "start_in_past" }),
      ]);
    }
    await w.cron(cst("2026-09-11"));
    expect(await w.t.deps.db.all(sql`select id from series where kind = 'mutual_report'`)).toEqual([]);
    expect(await w.t.deps.db.all(sql`select id from exchanges`)).toEqual([]);
    // The current period and later ones are fine.
    await w.createSeries({ startPeriod: "2026-09" });
    await w.createSeries({ cadence: "quarter", startPeriod: "2026-Q4" });
  });

  it("names an unknown field instead of dropping it (series, its fields, submit, comment)", async () => {
    const w = await world();
    const as = w.p.user("court", "coordinator");
    const post = (path: string, json: object, by = as) =>
      w.t.request(path, { method: "POST", as: by, headers: key(), json });
    const unknown = async (r: Awaited<ReturnType<typeof post>>, path: string, field: string) => {
      expectProblem(r, 400, "validation_failed");
      expect(r.body.errors).toContainEqual(
        expect.objectContaining({ path, code: "unrecognized_keys", message: expect.stringContaining(field) }),
      );
    };
    await unknown(await post("/v1/report-series", seriesBody({ duWorkdays: 3 })), "duWorkdays", "duWorkdays");
    const f = { ...FIELDS[0], requried: false };
    await unknown(
      await post("/v1/report-series", seriesBody({ fields: [f] })),
      "fields.0.requried",
      "requried",
    );
    const l = { ...FIELDS[0], label: { zh: "a", en: "a", fr: "a" } };
    await unknown(await post("/v1/report-series", seriesBody({ fields: [l] })), "fields.0.label.fr", "fr");
    const { id } = await dueReport(w);
    const figures = { cases_accepted: 1, cases_concluded: 1 };
    await unknown(await post(`/v1/reports/${id}/submit`, { figures, txt: "本月" }), "txt", "txt");
    expect((await w.t.request(`/v1/reports/${id}`, { as })).body.status.code).toBe("due");
    expect((await post(`/v1/reports/${id}/submit`, { figures })).status).toBe(200);
    const proc = w.p.user("proc", "coordinator");
    await unknown(
      await post(`/v1/reports/${id}/comments`, { body: "x", urgent: true }, proc),
      "urgent",
      "urgent",
    );
  });

  it("refuses bad input field by field, and a role that may not create series", async () => {
    const w = await world();
    const as = w.p.user("court", "coordinator");
    const bad = await w.t.request("/v1/report-series", {
      method: "POST",
      as,
      headers: key(),
      json: seriesBody({
        topic: "weather",
        dueWorkdays: 0,
        fields: [
          { key: "Cases", label: { zh: "a", en: "a" }, type: "integer", required: true },
          { key: "x", label: { zh: "b", en: "b" }, type: "float", required: true },
        ],
      }),
    });
    expectProblem(bad, 400, "validation_failed");
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    for (const p of ["topic", "dueWorkdays", "fields.0.key", "fields.1.type"]) expect(paths).toContain(p);
    const dup = await w.t.request("/v1/report-series", {
      method: "POST",
      as,
      headers: key(),
      json: seriesBody({
        fields: [
          { key: "x", label: { zh: "b", en: "b" }, type: "integer", required: true },
          { key: "x", label: { zh: "c", en: "c" }, type: "text", required: true, min: 3 },
        ],
      }),
    });
    expectProblem(dup, 400, "validation_failed");
    expect(dup.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      "fields.1.key",
      "fields.1.min",
    ]);
    const wrong = await w.t.request("/v1/report-series", {
      method: "POST",
      as,
      headers: key(),
      json: seriesBody({ cadence: "quarter", startPeriod: "2026-09" }),
    });
    expectProblem(wrong, 400, "validation_failed");
    expect(wrong.body.errors[0].path).toBe("startPeriod");
    const handler = await w.t.request("/v1/report-series", {
      method: "POST",
      as: w.p.user("court", "handler"),
      headers: key(),
      json: seriesBody(),
    });
    expectProblem(handler, 403);
  });
});

describe("the series cron opens each ended period's report", () => {
  it("exactly once per period under duplicate runs and four concurrent runs", async () => {
    const w = await world();
    const s = await w.createSeries({ startPeriod: "2026-09" });
    await w.cron(cst("2026-09-20")); // September has not ended
    expect(await w.reportsOf(s.id)).toEqual([]);
    await w.cron(cst("2026-10-01"));
    await w.cron(cst("2026-10-01", "09:00"));
    await w.cron(cst("2026-10-02"));
    const sept = await w.reportsOf(s.id);
    expect(sept).toMatchObject([{ period: "2026-09", sender: "court", status: "due", dueOn: "2026-10-13" }]);
    // Four hosts fire at once on 1 November, each with its own scheduled time.
    w.t.clock.set(cst("2026-11-01"));
    const runs = await Promise.all(
      [0, 1, 2, 3].map((i) => runJob(w.t.deps, "series", new Date(cst("2026-11-01").getTime() + 1000 + i))),
    );
    expect(runs.every((r) => r.status === "ok")).toBe(true);
    expect((await w.reportsOf(s.id)).map((r) => r.period)).toEqual(["2026-09", "2026-10"]);
    // One 'created' entry and one notice per coordinator per report: nothing doubled.
    const oct = (await w.reportsOf(s.id))[1]!;
    const [ev] = await w.t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from subject_events where subject_id = ${oct.id} and type = 'created'`,
    );
    expect(ev!.n).toBe(1);
    const notices = await w.heard(oct.id);
    expect(notices).toEqual([{ userId: w.p.user("court", "coordinator").id, kind: "report.opened" }]);
  });

  it("words the opened notice without repeating 通报: by when, to whom, which report and period", async () => {
    const w = await world();
    const { id } = await dueReport(w);
    const [n] = await w.t.deps.db.all<{ zh: string; en: string }>(
      sql`select text_zh as zh, text_en as en from notifications where subject_id = ${id}`,
    );
    const proc = w.p.procuratorate.name;
    expect(n!.zh).toBe(`请于2026-10-13前向${proc}提交《涉未成年人案件办理情况通报》(2026年9月)。`);
    expect(n!.en).toBe(`Please submit "涉未成年人案件办理情况通报" (2026-09) to ${proc} by 2026-10-13.`);
  });

  it("catches up a missed month: no run in February, March's run opens January and February", async () => {
    const w = await world(cst("2027-01-10", "10:00"));
    const s = await w.createSeries({ startPeriod: "2027-01" });
    await w.cron(cst("2027-01-31"));
    expect(await w.reportsOf(s.id)).toEqual([]);
    await w.cron(cst("2027-03-01"));
    expect((await w.reportsOf(s.id)).map((r) => r.period)).toEqual(["2027-01", "2027-02"]);
    const detail = await w.t.request(`/v1/report-series/${s.id}`, { as: w.p.user("court", "leader") });
    expect(detail.body.next.period).toBe("2027-03");
    expect(detail.body.reports.map((r: { period: string }) => r.period)).toEqual(["2027-02", "2027-01"]);
  });

  it("opens two reports, one per side, for a series both sides report in", async () => {
    const w = await world();
    const s = await w.createSeries({ reporter: "both", cadence: "quarter", startPeriod: "2026-Q3" });
    await w.cron(cst("2026-10-01"));
    await w.cron(cst("2026-10-02"));
    const rs = await w.reportsOf(s.id);
    expect(rs.map((r) => [r.period, r.sender])).toEqual([
      ["2026-Q3", "court"],
      ["2026-Q3", "procuratorate"],
    ]);
    const out = await w.t.request("/v1/reports?direction=out", { as: w.p.user("proc", "coordinator") });
    expect(out.body.items).toHaveLength(1);
    expect(out.body.items[0].sender.kind.code).toBe("procuratorate");
    const inbound = await w.t.request(`/v1/reports?direction=in&seriesId=${s.id}&period=2026-Q3`, {
      as: w.p.user("proc", "coordinator"),
    });
    expect(inbound.body.items[0].sender.kind.code).toBe("court");
  });

  it("takes the period of China time: 2026-12-31T16:30Z is already 2027, so December, Q4 and 2026 have ended", async () => {
    const w = await world(cst("2026-12-01", "10:00"));
    const m = await w.createSeries({ startPeriod: "2026-12" });
    const q = await w.createSeries({ cadence: "quarter", startPeriod: "2026-Q4" });
    const y = await w.createSeries({ cadence: "year", startPeriod: "2026" });
    await w.cron(new Date("2026-12-31T15:30:00Z")); // 23:30 on 31 December in China
    for (const s of [m, q, y]) expect(await w.reportsOf(s.id)).toEqual([]);
    await w.cron(new Date("2026-12-31T16:30:00Z")); // 00:30 on 1 January 2027 in China
    expect((await w.reportsOf(m.id)).map((r) => r.period)).toEqual(["2026-12"]);
    expect((await w.reportsOf(q.id)).map((r) => r.period)).toEqual(["2026-Q4"]);
    expect((await w.reportsOf(y.id)).map((r) => r.period)).toEqual(["2026"]);
  });

  it("opens nothing more once a series has ended; its open report stays", async () => {
    const w = await world();
    const { s, id } = await dueReport(w);
    const end = await w.t.request(`/v1/report-series/${s.id}/end`, {
      method: "POST",
      as: w.p.user("proc", "admin"),
    });
    expect(end.status).toBe(200);
    expect(end.body.active).toBe(false);
    expect(end.body.next).toBeNull();
    expectProblem(
      await w.t.request(`/v1/report-series/${s.id}/end`, { method: "POST", as: w.p.user("proc", "admin") }),
      409,
      "series_ended",
    );
    await w.cron(cst("2026-11-01"));
    expect(await w.reportsOf(s.id)).toMatchObject([{ id, period: "2026-09", status: "due" }]);
  });
});

describe("a report: submit, read, comment", () => {
  it("validates the figures against the series' fields and writes nothing when they are wrong", async () => {
    const w = await world();
    const { id } = await dueReport(w);
    const as = w.p.user("court", "coordinator");
    const bad = await w.t.request(`/v1/reports/${id}/submit`, {
      method: "POST",
      as,
      json: { figures: { cases_accepted: -1, notes: 5, extra: 1 }, text: "" },
    });
    expectProblem(bad, 400, "validation_failed");
    const errs = Object.fromEntries(
      bad.body.errors.map((e: { path: string; code: string }) => [e.path, e.code]),
    );
    expect(errs).toEqual({
      "figures.cases_accepted": "below_minimum",
      "figures.notes": "wrong_type",
      "figures.extra": "unknown_field",
      "figures.cases_concluded": "required",
    });
    const text = await w.t.request(`/v1/reports/${id}/submit`, {
      method: "POST",
      as,
      json: { figures: { cases_accepted: "12", cases_concluded: 1.5 } },
    });
    expectProblem(text, 400, "validation_failed");
    expect(text.body.errors.map((e: { code: string }) => e.code)).toEqual(["wrong_type", "wrong_type"]);
    const r = await w.t.request(`/v1/reports/${id}`, { as });
    expect(r.body.status.code).toBe("due");
    expect(r.body.figures).toBeNull();
    expect(r.body.timeline.map((e: { type: string }) => e.type)).toEqual(["created"]);
  });

  it("runs due → submitted → read with comments; every step out of order or by the wrong side changes nothing", async () => {
    const w = await world();
    const { id } = await dueReport(w);
    w.t.clock.set(cst("2026-10-09", "10:00"));
    const court = w.p.user("court", "coordinator");
    const proc = w.p.user("proc", "coordinator");
    const figures = { cases_accepted: 12, cases_concluded: 10, notes: "其中3件涉校园欺凌" };
    expectProblem(
      await w.t.request(`/v1/reports/${id}/read`, { method: "POST", as: proc }),
      409,
      "not_submitted",
    );
    expectProblem(
      await w.t.request(`/v1/reports/${id}/comments`, {
        method: "POST",
        as: proc,
        headers: key(),
        json: { body: "请补充" },
      }),
      409,
      "not_submitted",
    );
    expectProblem(
      await w.t.request(`/v1/reports/${id}/submit`, { method: "POST", as: proc, json: { figures } }),
      403,
    );
    const sub = await w.t.request(`/v1/reports/${id}/submit`, {
      method: "POST",
      as: court,
      json: { figures, text: "本月情况", attachments: [] },
    });
    expect(sub.status).toBe(200);
    expect(sub.body).toMatchObject({ status: { code: "submitted" }, late: false, figures });
    expect(await w.heard(id)).toContainEqual({ userId: proc.id, kind: "report.submitted" });
    expectProblem(
      await w.t.request(`/v1/reports/${id}/submit`, { method: "POST", as: court, json: { figures } }),
      409,
      "already_submitted",
    );
    expectProblem(await w.t.request(`/v1/reports/${id}/read`, { method: "POST", as: court }), 403);
    const read = await w.t.request(`/v1/reports/${id}/read`, { method: "POST", as: proc });
    expect(read.body.status.code).toBe("read");
    expectProblem(
      await w.t.request(`/v1/reports/${id}/read`, { method: "POST", as: proc }),
      409,
      "already_read",
    );
    const headers = key();
    const c1 = await w.t.request(`/v1/reports/${id}/comments`, {
      method: "POST",
      as: proc,
      headers,
      json: { body: "请补充同比数据。" },
    });
    const c2 = await w.t.request(`/v1/reports/${id}/comments`, {
      method: "POST",
      as: proc,
      headers,
      json: { body: "请补充同比数据。" },
    });
    expect([c1.status, c2.status]).toEqual([201, 200]);
    expect(c2.body.id).toBe(c1.body.id);
    expectProblem(
      await w.t.request(`/v1/reports/${id}/comments`, {
        method: "POST",
        as: proc,
        headers,
        json: { body: "别的" },
      }),
      409,
      "idempotency_key_reused",
    );
    expect(await w.heard(id)).toContainEqual({ userId: court.id, kind: "report.commented" });
    const d = await w.t.request(`/v1/reports/${id}`, { as: court });
    expect(d.body.comments.map((c: { body: string }) => c.body)).toEqual(["请补充同比数据。"]);
    expect(d.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "submitted",
      "read",
      "commented",
    ]);
  });

  it("climbs the ladder on working days while due, records a late submission, and stops once submitted", async () => {
    const w = await world();
    const { id } = await dueReport(w); // due Tue 2026-10-13
    await w.sweep("2026-10-03"); // a National Day rest day: nothing fires
    await w.sweep("2026-10-14"); // T+1: T-3 and T0 superseded, T+1 sent
    const steps = () =>
      w.t.deps.db.all<{ step: string; status: string }>(sql`select step, status from escalation_steps
        where subject_type = 'report' and subject_id = ${id} order by "offset"`);
    expect(await steps()).toEqual([
      { step: "T-3", status: "superseded" },
      { step: "T0", status: "superseded" },
      { step: "T+1", status: "sent" },
    ]);
    const heard = await w.heard(id);
    expect(heard).toContainEqual({ userId: w.p.user("court", "leader").id, kind: "report.overdue" });
    expect(heard).toContainEqual({ userId: w.p.user("court", "coordinator").id, kind: "report.overdue" });
    const sub = await w.t.request(`/v1/reports/${id}/submit`, {
      method: "POST",
      as: w.p.user("court", "coordinator"),
      json: { figures: { cases_accepted: 1, cases_concluded: 0 } },
    });
    expect(sub.body.late).toBe(true);
    await w.sweep("2026-10-20"); // T+5 would be due: the report is submitted
    expect(await steps()).toHaveLength(3);
    const d = await w.t.request(`/v1/reports/${id}`, { as: w.p.user("proc", "leader") });
    expect(d.body.escalations.map((e: { step: string }) => e.step)).toEqual(["T-3", "T0", "T+1"]);
    expect(d.body.late).toBe(true);
  });

  it("answers 404 to a user of another pair on every route", async () => {
    const w = await world();
    const { s, id } = await dueReport(w);
    const other = await w.t.pair();
    const as = other.user("court", "coordinator");
    const calls: [string, string, object?][] = [
      ["GET", `/v1/report-series/${s.id}`],
      ["POST", `/v1/report-series/${s.id}/end`],
      ["GET", `/v1/reports/${id}`],
      ["POST", `/v1/reports/${id}/submit`, { figures: { cases_accepted: 1, cases_concluded: 1 } }],
      ["POST", `/v1/reports/${id}/read`],
      ["POST", `/v1/reports/${id}/comments`, { body: "x" }],
    ];
    for (const [method, path, json] of calls)
      expectProblem(await w.t.request(path, { method, as, headers: key(), json }), 404);
    const lists = await Promise.all([
      w.t.request("/v1/report-series", { as }),
      w.t.request("/v1/reports", { as }),
    ]);
    for (const l of lists) expect(l.body.items).toEqual([]);
    expect((await w.reportsOf(s.id))[0]!.status).toBe("due");
  });
});

describe("a report due in a year whose calendar was missing", () => {
  it("gets its due date counted again when the year's calendar is loaded (a new deadline version)", async () => {
    const w = await world(cst("2026-12-10", "10:00"));
    const s = await w.createSeries({ startPeriod: "2026-12" });
    await w.cron(cst("2027-01-01", "08:00"));
    const [r] = await w.reportsOf(s.id);
    const as = w.p.user("court", "coordinator");
    // 5 working days after Thu 12-31 with 2027 unknown: 01-01 (taken for one), 01-04 … 01-07.
    expect((await w.t.request(`/v1/reports/${r!.id}`, { as })).body).toMatchObject({
      dueOn: "2027-01-07",
      deadlineVersion: 1,
      calendarComplete: false,
    });
    const put = await w.t.request("/v1/calendar/2027", {
      method: "PUT",
      as: await w.t.operator(),
      json: { days: [{ date: "2027-01-01", kind: "holiday", name: "元旦" }] },
    });
    expect(put.status).toBe(200);
    const d = await w.t.request(`/v1/reports/${r!.id}`, { as });
    expect(d.body).toMatchObject({ dueOn: "2027-01-08", deadlineVersion: 2, calendarComplete: true });
    expect(d.body.timeline.map((e: { type: string }) => e.type)).toEqual(["created", "deadline_recomputed"]);
    expect(d.body.timeline[1].data.dueOn).toEqual({ before: "2027-01-07", after: "2027-01-08" });
  });
});
