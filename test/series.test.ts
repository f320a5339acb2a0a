// Recurring series (ADR 0009): period arithmetic at its edges, the half-yearly joint-meeting cycle
// driven by cron over two years (duplicates, concurrency, gaps), the rotation record, swaps and skips.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob, runScheduled } from "../src/cron/cron";
import {
  addPeriods,
  isPeriod,
  nextPeriod,
  periodLabel,
  periodOf,
  periodStart,
  periodStartsAt,
  periodYearsAhead,
} from "../src/series/period";
import { runSeries } from "../src/series/series";
import { expectProblem, setup, type TestApp } from "./helpers";

const DAY = 86_400_000;
/** The daily trigger `0 0 * * *` (UTC): 08:00 China time of `day`. */
const trigger = (day: string) => new Date(`${day}T00:00:00Z`);
const days = (from: string, to: string) => {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
};

/** Runs the series job as the daily trigger of `day` would, the clock at that instant. */
async function cronDay(t: TestApp, day: string) {
  t.clock.set(trigger(day));
  const r = await runJob(t.deps, "series", trigger(day));
  expect(r.status).toBe("ok");
  return r;
}

type MeetingRow = { id: string; period: string; host: string; status: string; createdAt: string };
const meetingsOf = (t: TestApp, jurisdictionId: string) =>
  t.deps.db.all<MeetingRow>(sql`select m.id, m.period, o.kind as host, m.status, m.created_at as createdAt
    from meetings m join organizations o on o.id = m.host_org_id
    where m.jurisdiction_id = ${jurisdictionId} and m.kind = 'regular' order by m.period`);
/** The instances of the pair's series of `kind` (the joint meeting unless said). */
const instancesOf = (t: TestApp, jurisdictionId: string, kind = "joint_meeting") =>
  t.deps.db.all<{ period: string; host: string; status: string; subjectId: string | null }>(sql`
    select i.period, i.host, i.status, i.subject_id as subjectId from series_instances i
    join series s on s.id = i.series_id and s.kind = ${kind}
    where i.jurisdiction_id = ${jurisdictionId} order by i.period`);

describe("period arithmetic (China time)", () => {
  it("puts Dec 31 23:59 China time in the old year and 00:00 in the new, whatever the UTC date", () => {
    const before = new Date("2026-12-31T15:59:59.999Z"); // 2026-12-31 23:59:59.999 +08:00
    const after = new Date("2026-12-31T16:00:00Z"); // 2027-01-01 00:00 +08:00 (still Dec 31 in UTC)
    expect(periodOf("half_year", before)).toBe("2026-H2");
    expect(periodOf("half_year", after)).toBe("2027-H1");
    expect(periodOf("year", before)).toBe("2026");
    expect(periodOf("year", after)).toBe("2027");
    expect(periodOf("quarter", before)).toBe("2026-Q4");
    expect(periodOf("quarter", after)).toBe("2027-Q1");
    expect(periodOf("month", before)).toBe("2026-12");
    expect(periodOf("month", after)).toBe("2027-01");
  });

  it("changes half-year between Jun 30 and Jul 1 China time", () => {
    expect(periodOf("half_year", new Date("2027-06-30T15:59:59Z"))).toBe("2027-H1");
    expect(periodOf("half_year", new Date("2027-06-30T16:00:00Z"))).toBe("2027-H2");
    expect(periodOf("quarter", new Date("2027-06-30T16:00:00Z"))).toBe("2027-Q3");
    expect(periodOf("month", new Date("2027-06-30T16:00:00Z"))).toBe("2027-07");
  });

  it("gives first days and instants, next and earlier periods across year ends", () => {
    expect(periodStart("half_year", "2027-H2")).toBe("2027-07-01");
    expect(periodStart("quarter", "2027-Q3")).toBe("2027-07-01");
    expect(periodStart("month", "2027-03")).toBe("2027-03-01");
    expect(periodStart("year", "2027")).toBe("2027-01-01");
    expect(periodStartsAt("half_year", "2027-H1").toISOString()).toBe("2026-12-31T16:00:00.000Z");
    expect(nextPeriod("half_year", "2027-H2")).toBe("2028-H1");
    expect(nextPeriod("quarter", "2027-Q4")).toBe("2028-Q1");
    expect(nextPeriod("month", "2027-12")).toBe("2028-01");
    expect(nextPeriod("year", "2027")).toBe("2028");
    expect(addPeriods("half_year", "2027-H1", -1)).toBe("2026-H2");
    expect(addPeriods("month", "2027-01", -13)).toBe("2025-12");
    // Keys of one cadence sort as strings in time order (SQL compares them with <).
    const keys = [0, 1, 2, 3].map((n) => addPeriods("half_year", "2026-H2", n));
    expect([...keys].sort()).toEqual(keys);
  });

  it("gives the period that begins N years after the current one, per cadence (the override horizon)", () => {
    const at = new Date("2027-08-31T16:00:00Z"); // 2027-09-01 China time
    expect(periodYearsAhead("half_year", at, 5)).toBe("2032-H2");
    expect(periodYearsAhead("quarter", at, 5)).toBe("2032-Q3");
    expect(periodYearsAhead("month", at, 5)).toBe("2032-09");
    expect(periodYearsAhead("year", at, 5)).toBe("2032");
  });

  it("validates keys per cadence and labels them for people", () => {
    expect(isPeriod("half_year", "2027-H1")).toBe(true);
    expect(isPeriod("half_year", "2027-H3")).toBe(false);
    expect(isPeriod("half_year", "2027")).toBe(false);
    expect(isPeriod("month", "2027-13")).toBe(false);
    expect(isPeriod("quarter", "2027-Q0")).toBe(false);
    expect(() => periodStart("half_year", "2027-Q1")).toThrow(RangeError);
    expect(periodLabel("half_year", "2027-H1")).toEqual({ zh: "2027年上半年", en: "first half of 2027" });
    expect(periodLabel("quarter", "2027-Q3").zh).toBe("2027年第三季度");
  });
});

describe("the half-yearly cycle by cron", () => {
  it("over two years of daily runs with duplicates, concurrent runs and gaps: four meetings, hosts alternating", async () => {
    const clock = fixedClock("2026-12-20T02:00:00Z");
    const t = await setup({ clock });
    const p = await t.pair();
    const jid = p.jurisdiction.id;
    // The pair exists before 2027; its series starts with the period of the first run (2027-H1).
    const skipped = new Set(["2027-07-01", "2027-07-02"]); // the first days of 2027-H2: no trigger
    const twice = new Set(["2027-01-01", "2027-03-15", "2028-07-01"]);
    let sawH2Late = false;
    for (const day of days("2027-01-01", "2028-12-31")) {
      if (skipped.has(day)) continue;
      if (day === "2027-07-03") {
        // Caught up by the first run after the gap.
        expect((await meetingsOf(t, jid)).map((m) => m.period)).toEqual(["2027-H1"]);
        sawH2Late = true;
      }
      if (day === "2028-01-01") {
        // The first day of a half-year, four triggers at once (two through the ledger, two bare).
        t.clock.set(trigger(day));
        const outcomes = await Promise.all([
          runJob(t.deps, "series", trigger(day)),
          runJob(t.deps, "series", trigger(day)),
          runSeries(t.deps, trigger(day)),
          runSeries(t.deps, new Date(trigger(day).getTime() + 1)),
        ]);
        const instances = outcomes.map((o) =>
          "status" in o ? ((o.counts?.instances as number | undefined) ?? 0) : o.instances,
        );
        expect(instances.reduce((a, b) => a + b, 0)).toBe(1);
        continue;
      }
      await cronDay(t, day);
      if (twice.has(day)) {
        // A duplicate trigger of the same time is skipped by the ledger; a late one changes nothing.
        expect((await runJob(t.deps, "series", trigger(day))).status).toBe("skipped");
        t.clock.advance(3 * 3600_000);
        const late = await runJob(t.deps, "series", new Date(trigger(day).getTime() + 60_000));
        expect(late.counts).toMatchObject({ series: 0, instances: 0, notifications: 0 });
      }
    }
    expect(sawH2Late).toBe(true);
    const meetings = await meetingsOf(t, jid);
    expect(meetings.map((m) => [m.period, m.host, m.status])).toEqual([
      ["2027-H1", "court", "planning"],
      ["2027-H2", "procuratorate", "planning"],
      ["2028-H1", "court", "planning"],
      ["2028-H2", "procuratorate", "planning"],
    ]);
    expect(meetings.find((m) => m.period === "2027-H2")!.createdAt).toBe("2027-07-03T00:00:00.000Z");
    expect(meetings[0]!.id).toBe((await instancesOf(t, jid))[0]!.subjectId);
    // Each meeting: one 'created' timeline entry, one webhook event, one notice per coordinator.
    const [effects] = await t.deps.db.all<{ events: number; hooks: number; notices: number; who: string }>(
      sql`select
        (select count(*) from subject_events e where e.subject_type = 'meeting' and e.type = 'created'
          and e.jurisdiction_id = ${jid}) as events,
        (select count(*) from webhook_events w where w.type = 'meeting.created'
          and w.jurisdiction_id = ${jid}) as hooks,
        (select count(*) from notifications n where n.kind = 'meeting.cycle_opened'
          and n.jurisdiction_id = ${jid}) as notices,
        (select group_concat(distinct r.role) from notifications n
          join role_assignments r on r.user_id = n.user_id
          where n.kind = 'meeting.cycle_opened' and n.jurisdiction_id = ${jid}) as who`,
    );
    expect(effects).toEqual({ events: 4, hooks: 4, notices: 8, who: "coordinator" });
    const [titles] = await t.deps.db.all<{ title: string }>(
      sql`select title from meetings where jurisdiction_id = ${jid} and period = '2027-H1'`,
    );
    expect(titles!.title).toBe("2027年上半年法检联席会议");
  });

  it("does not create a period backwards that passed without any run", async () => {
    const t = await setup({ clock: fixedClock("2027-01-05T00:00:00Z") });
    const p = await t.pair();
    await cronDay(t, "2027-01-05");
    // No run at all during 2027-H2; the next run is in 2028-H1.
    await cronDay(t, "2028-01-10");
    const rows = await instancesOf(t, p.jurisdiction.id);
    expect(rows.map((r) => [r.period, r.host])).toEqual([
      ["2027-H1", "court"],
      ["2028-H1", "procuratorate"],
    ]);
  });

  it("never creates a period earlier than the series' latest instance when the clock goes back", async () => {
    const t = await setup({ clock: fixedClock("2027-01-05T00:00:00Z") });
    const p = await t.pair();
    await cronDay(t, "2027-01-05");
    await cronDay(t, "2028-01-10"); // 2027-H2 missed
    // The clock is set back into the missed half-year (a wrong NTP answer, a restored VM).
    await cronDay(t, "2027-09-01");
    await cronDay(t, "2028-07-02");
    const rows = await instancesOf(t, p.jurisdiction.id);
    expect(rows.map((r) => [r.period, r.host])).toEqual([
      ["2027-H1", "court"],
      ["2028-H1", "procuratorate"],
      ["2028-H2", "court"],
    ]);
  });

  it("runScheduled twice for the same scheduled time: the ledger skips the second", async () => {
    const t = await setup({ clock: fixedClock("2027-01-01T00:00:00Z") });
    const p = await t.pair();
    const at = trigger("2027-01-01");
    const first = await runScheduled(t.deps, "0 0 * * *", at);
    const second = await runScheduled(t.deps, "0 0 * * *", at);
    expect(first.find((o) => o.job === "series")).toMatchObject({ status: "ok" });
    expect(second.find((o) => o.job === "series")).toMatchObject({ status: "skipped" });
    expect(await meetingsOf(t, p.jurisdiction.id)).toHaveLength(1);
  });

  it("notifies an institution's admins when it has no coordinator", async () => {
    const t = await setup({ clock: fixedClock("2027-01-01T00:00:00Z") });
    const p = await t.pair();
    await t.deps.db.run(
      sql`delete from role_assignments where org_id = ${p.procuratorate.id} and role = 'coordinator'`,
    );
    await cronDay(t, "2027-01-01");
    const rows = await t.deps.db.all<{ role: string; kind: string }>(sql`
      select r.role, o.kind from notifications n join users u on u.id = n.user_id
      join organizations o on o.id = u.org_id
      join role_assignments r on r.user_id = u.id
      where n.kind = 'meeting.cycle_opened' and n.jurisdiction_id = ${p.jurisdiction.id}
      order by o.kind`);
    expect(rows).toEqual([
      { role: "coordinator", kind: "court" },
      { role: "admin", kind: "procuratorate" },
    ]);
  });

  it("keeps round trips bounded by chunks, not by the number of pairs", async () => {
    const t = await setup({ clock: fixedClock("2027-01-01T00:00:00Z") });
    for (let i = 0; i < 5; i++) await t.pair();
    const first = await runSeries(t.deps, trigger("2027-01-01"), 2);
    // Two series per pair (the joint meeting and the seminar); in January only the meeting is due.
    expect(first).toMatchObject({ series: 10, instances: 5, subjects: 5, batches: 3 });
    const repeat = await runSeries(t.deps, trigger("2027-01-02"), 2);
    expect(repeat).toMatchObject({ series: 0, instances: 0, batches: 1 });
  });
});

describe("the rotation record and its changes", () => {
  type Pair = Awaited<ReturnType<TestApp["pair"]>>;
  let keyN = 0;
  const propose = (
    t: TestApp,
    p: Pair,
    seriesId: string,
    body: object,
    as = p.user("court", "coordinator"),
  ) =>
    t.request(`/v1/series/${seriesId}/overrides`, {
      method: "POST",
      as,
      headers: { "idempotency-key": `series-test-key-${++keyN}` },
      json: body,
    });
  /** Both leaders sign the change's co-signature round. */
  async function agree(t: TestApp, p: Pair, override: { cosignature: { id: string } | null }) {
    expect(override.cosignature).not.toBeNull();
    for (const side of ["court", "proc"] as const) {
      const res = await t.request(`/v1/cosignatures/${override.cosignature!.id}/sign`, {
        method: "POST",
        as: p.user(side, "leader"),
        json: {},
      });
      expect(res.status).toBe(200);
    }
  }
  async function fresh(day = "2027-01-01") {
    const t = await setup({ clock: fixedClock(trigger(day)) });
    const p = await t.pair();
    await cronDay(t, day);
    const list = await t.request("/v1/series", { as: p.user("proc", "handler") });
    expect(list.status).toBe(200);
    // The pair has two series: the joint meeting (tested here) and the seminar (test/seminar.test.ts).
    expect(list.body.items.map((s: { kind: { code: string } }) => s.kind.code).sort()).toEqual([
      "academic_seminar",
      "joint_meeting",
    ]);
    return {
      t,
      p,
      series: list.body.items.find((s: { kind: { code: string } }) => s.kind.code === "joint_meeting"),
    };
  }

  it("lists the pair's series with who hosts next and why; the detail shows instances", async () => {
    const { t, p, series } = await fresh();
    expect(series).toMatchObject({
      kind: { code: "joint_meeting" },
      cadence: { code: "half_year" },
      firstHost: { code: "court" },
      currentPeriod: "2027-H1",
      next: {
        period: "2027-H2",
        host: { code: "procuratorate" },
        org: { id: p.procuratorate.id },
        reason: { code: "alternation", label: { zh: expect.any(String), en: expect.any(String) } },
        lastHeld: { period: "2027-H1", host: { code: "court" } },
        skipped: false,
      },
    });
    const detail = await t.request(`/v1/series/${series.id}`, { as: p.user("court", "handler") });
    expect(detail.status).toBe(200);
    expect(detail.body.instances).toMatchObject([
      {
        period: "2027-H1",
        host: { code: "court" },
        org: { id: p.court.id },
        status: { code: "open" },
        meeting: { status: { code: "planning" }, slotStatus: { code: "none" } },
      },
    ]);
    // The prediction is the rule the cron applies.
    await cronDay(t, "2027-07-01");
    expect((await instancesOf(t, p.jurisdiction.id)).at(-1)).toMatchObject({
      period: "2027-H2",
      host: "procuratorate",
    });
    // Mobile sync: updatedSince and the cursor.
    const since = await t.request(`/v1/series?updatedSince=${encodeURIComponent("2027-06-01T00:00:00Z")}`, {
      as: p.user("court", "handler"),
    });
    // Both series moved on 07-01: the meeting's second half-year, the seminar's 2027 instance.
    expect(since.body.items.map((s: { kind: { code: string } }) => s.kind.code).sort()).toEqual([
      "academic_seminar",
      "joint_meeting",
    ]);
    const none = await t.request(`/v1/series?updatedSince=${encodeURIComponent("2027-07-02T00:00:00Z")}`, {
      as: p.user("court", "handler"),
    });
    expect(none.body.items).toEqual([]);
    // updatedSince compares instants: a whole second includes a change later in that second, and an
    // offset is accepted.
    await t.deps.db.run(
      sql`update series set updated_at = '2027-07-03T02:00:05.507Z' where id = ${series.id}`,
    );
    const sync = async (at: string) => {
      const r = await t.request(`/v1/series?updatedSince=${encodeURIComponent(at)}`, {
        as: p.user("court", "handler"),
      });
      expect(r.status).toBe(200);
      return r.body.items.map((s: { id: string }) => s.id);
    };
    expect(await sync("2027-07-03T02:00:05Z")).toEqual([series.id]);
    expect(await sync("2027-07-03T10:00:05+08:00")).toEqual([series.id]);
    expect(await sync("2027-07-03T10:00:06+08:00")).toEqual([]);
  });

  it("a user outside the pair gets 404 on the series and its changes, and sees none in the list", async () => {
    const { t, p, series } = await fresh();
    const other = await t.pair();
    const outsider = other.user("court", "leader");
    expectProblem(await t.request(`/v1/series/${series.id}`, { as: outsider }), 404, "not_found");
    expectProblem(
      await propose(t, p, series.id, { period: "2027-H2", action: "swap", reason: "外部人员" }, outsider),
      404,
      "not_found",
    );
    const mine = await propose(t, p, series.id, { period: "2027-H2", action: "swap", reason: "工作安排" });
    expect(mine.status).toBe(201);
    expectProblem(
      await t.request(`/v1/series-overrides/${mine.body.id}`, { as: outsider }),
      404,
      "not_found",
    );
    const list = await t.request("/v1/series", { as: outsider });
    expect(list.body.items.map((s: { id: string }) => s.id)).not.toContain(series.id);
  });

  it("proposes a change once per Idempotency-Key and refuses past periods, a live change, a scheduled meeting, wrong roles and bad periods", async () => {
    const { t, p, series } = await fresh();
    const body = { period: "2027-H2", action: "swap", reason: "法院本期承办全省审判工作会议" };
    const headers = { "idempotency-key": "same-key-0001" };
    const as = p.user("proc", "coordinator");
    const first = await t.request(`/v1/series/${series.id}/overrides`, {
      method: "POST",
      as,
      headers,
      json: body,
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      period: "2027-H2",
      action: { code: "swap" },
      status: { code: "proposed" },
      effect: null,
      proposedBy: { id: as.id, org: { id: p.procuratorate.id } },
      // Both institutions' leaders must sign.
      cosignature: {
        status: { code: "open" },
        subject: { type: { code: "series_override" }, id: first.body.id },
        parties: [
          { org: { id: p.court.id }, role: { code: "leader" }, decision: null },
          { org: { id: p.procuratorate.id }, role: { code: "leader" }, decision: null },
        ],
      },
    });
    const again = await t.request(`/v1/series/${series.id}/overrides`, {
      method: "POST",
      as,
      headers,
      json: body,
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expectProblem(
      await t.request(`/v1/series/${series.id}/overrides`, {
        method: "POST",
        as,
        headers,
        json: { ...body, action: "skip" },
      }),
      409,
      "idempotency_key_reused",
    );
    expectProblem(await propose(t, p, series.id, { ...body, action: "skip" }), 409, "override_exists");
    expectProblem(await propose(t, p, series.id, { ...body, period: "2026-H2" }), 409, "period_past");
    const past = await propose(t, p, series.id, { ...body, period: "2026-H1" });
    expect(past.body.label).toEqual({ zh: expect.any(String), en: expect.any(String) });
    expectProblem(await propose(t, p, series.id, { ...body, period: "2027-Q3" }), 400, "validation_failed");
    expectProblem(await propose(t, p, series.id, { ...body, period: "next" }), 400, "validation_failed");
    expectProblem(await propose(t, p, series.id, body, p.user("court", "handler")), 403, "forbidden");
    // The current period's meeting, once its time is confirmed, can no longer change.
    await t.deps.db.run(sql`update meetings set status = 'scheduled', slot_status = 'confirmed'
      where jurisdiction_id = ${p.jurisdiction.id} and period = '2027-H1'`);
    expectProblem(
      await propose(t, p, series.id, { ...body, period: "2027-H1" }),
      409,
      "meeting_already_scheduled",
    );
    // Nothing of the refusals was written: one change, one round, one 'created' entry.
    const [n] = await t.deps.db.all<{ overrides: number; rounds: number; events: number }>(sql`select
      (select count(*) from series_overrides where series_id = ${series.id}) as overrides,
      (select count(*) from cosignatures where subject_type = 'series_override') as rounds,
      (select count(*) from subject_events where subject_type = 'series_override' and type = 'created') as events`);
    expect(n).toEqual({ overrides: 1, rounds: 1, events: 1 });
    const detail = await t.request(`/v1/series-overrides/${first.body.id}`, {
      as: p.user("court", "leader"),
    });
    expect(detail.status).toBe(200);
    expect(detail.body.timeline.map((e: { type: string }) => e.type)).toEqual(["created"]);
  });

  it("refuses a period more than 5 years ahead (400 on the field) and writes nothing; 5 years ahead is accepted", async () => {
    const { t, p, series } = await fresh(); // now 2027-H1
    const body = { action: "skip", reason: "远期安排" };
    for (const period of ["9999-H2", "2032-H2", "2033-H1"]) {
      const res = await propose(t, p, series.id, { ...body, period });
      expectProblem(res, 400, "validation_failed");
      expect(res.body.errors).toMatchObject([{ path: "period", code: "period_too_far" }]);
      expect(res.body.errors[0].message).toContain("2032-H1");
    }
    const [n] = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from series_overrides where series_id = ${series.id}`,
    );
    expect(n!.n).toBe(0);
    expect((await propose(t, p, series.id, { ...body, period: "2032-H1" })).status).toBe(201);
  });

  it("a swap agreed for a future period is honoured by the cron; alternation continues from the actual host", async () => {
    const { t, p, series } = await fresh();
    const res = await propose(t, p, series.id, {
      period: "2027-H2",
      action: "swap",
      reason: "检察院本期无法承办",
    });
    expect(res.status).toBe(201);
    await agree(t, p, res.body);
    const agreed = await t.request(`/v1/series/${series.id}`, { as: p.user("court", "leader") });
    expect(agreed.body.overrides[0]).toMatchObject({
      status: { code: "agreed" },
      effect: { code: "pending" },
    });
    expect(agreed.body.next).toMatchObject({
      period: "2027-H2",
      host: { code: "court" },
      reason: { code: "swap" },
    });
    for (const day of ["2027-07-01", "2028-01-01", "2028-07-01"]) await cronDay(t, day);
    expect((await meetingsOf(t, p.jurisdiction.id)).map((m) => [m.period, m.host])).toEqual([
      ["2027-H1", "court"],
      ["2027-H2", "court"],
      ["2028-H1", "procuratorate"],
      ["2028-H2", "court"],
    ]);
    const after = await t.request(`/v1/series-overrides/${res.body.id}`, { as: p.user("proc", "leader") });
    expect(after.body.effect.code).toBe("applied");
    expect(after.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "approved",
      "rotation_changed",
    ]);
  });

  it("a swap agreed for the current period's planning meeting applies at once", async () => {
    const { t, p, series } = await fresh();
    const res = await propose(t, p, series.id, {
      period: "2027-H1",
      action: "swap",
      reason: "法院办公楼修缮",
    });
    expect(res.status).toBe(201);
    await agree(t, p, res.body);
    const [m] = await meetingsOf(t, p.jurisdiction.id);
    expect(m).toMatchObject({ period: "2027-H1", host: "procuratorate", status: "planning" });
    expect((await instancesOf(t, p.jurisdiction.id))[0]!.host).toBe("procuratorate");
    const timeline = await t.deps.db.all<{ type: string }>(
      sql`select type from subject_events where subject_type = 'meeting' and subject_id = ${m!.id} order by at, id`,
    );
    expect(timeline.map((e) => e.type)).toEqual(["created", "rotation_changed"]);
    await cronDay(t, "2027-07-01");
    expect((await meetingsOf(t, p.jurisdiction.id)).map((x) => x.host)).toEqual(["procuratorate", "court"]);
  });

  it("a skip agreed: no meeting that period, and the next is hosted by whoever would have hosted it", async () => {
    const { t, p, series } = await fresh();
    const res = await propose(t, p, series.id, {
      period: "2027-H2",
      action: "skip",
      reason: "换届,本期不召开",
    });
    await agree(t, p, res.body);
    for (const day of ["2027-07-01", "2027-07-02", "2028-01-01"]) await cronDay(t, day);
    expect(await instancesOf(t, p.jurisdiction.id)).toMatchObject([
      { period: "2027-H1", host: "court", status: "open" },
      { period: "2027-H2", status: "skipped", subjectId: null },
      { period: "2028-H1", host: "procuratorate", status: "open" },
    ]);
    expect((await meetingsOf(t, p.jurisdiction.id)).map((m) => m.period)).toEqual(["2027-H1", "2028-H1"]);
  });

  it("a refused change is recorded as refused and frees the period for a new proposal", async () => {
    const { t, p, series } = await fresh();
    const res = await propose(t, p, series.id, { period: "2027-H2", action: "skip", reason: "工作繁忙" });
    const refused = await t.request(`/v1/cosignatures/${res.body.cosignature.id}/refuse`, {
      method: "POST",
      as: p.user("proc", "leader"),
      json: { reason: "应按期召开" },
    });
    expect(refused.status).toBe(200);
    const detail = await t.request(`/v1/series-overrides/${res.body.id}`, {
      as: p.user("court", "coordinator"),
    });
    expect(detail.body.status.code).toBe("refused");
    expect(
      (await propose(t, p, series.id, { period: "2027-H2", action: "swap", reason: "改为调换" })).status,
    ).toBe(201);
  });
});

describe("round trips", () => {
  it("every series route is one database round trip", async () => {
    const t = await setup({ clock: fixedClock(trigger("2027-01-01")) });
    const p = await t.pair();
    await cronDay(t, "2027-01-01");
    const client = t.deps.db.$client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    let calls = 0;
    for (const m of ["execute", "batch", "executeMultiple"]) {
      const orig = client[m]!.bind(client);
      client[m] = (...a: unknown[]) => (calls++, orig(...a));
    }
    const count = async (path: string, init: Parameters<TestApp["request"]>[1] = {}) => {
      calls = 0;
      const res = await t.request(path, { as: p.user("court", "coordinator"), ...init });
      return { status: res.status, calls, body: res.body };
    };
    const list = await count("/v1/series");
    expect(list).toMatchObject({ status: 200, calls: 1 });
    const id = list.body.items[0].id;
    expect(await count(`/v1/series/${id}`)).toMatchObject({ status: 200, calls: 1 });
    const post = await count(`/v1/series/${id}/overrides`, {
      method: "POST",
      headers: { "idempotency-key": "round-trip-key-1" },
      json: { period: "2027-H2", action: "swap", reason: "测试往返次数" },
    });
    expect(post).toMatchObject({ status: 201, calls: 1 });
    expect(await count(`/v1/series-overrides/${post.body.id}`)).toMatchObject({ status: 200, calls: 1 });
    // A refusal is explained from the same batch.
    expect(
      await count(`/v1/series/${id}/overrides`, {
        method: "POST",
        headers: { "idempotency-key": "round-trip-key-2" },
        json: { period: "2026-H1", action: "skip", reason: "已过期" },
      }),
    ).toMatchObject({ status: 409, calls: 1 });
  });
});
