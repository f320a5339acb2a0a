// The annual joint academic seminar (ADR 0009, series kind 'academic_seminar'): planned by the daily
// cron on its first run on or after SEMINAR_PLAN_BY of each year, host alternating, exactly once per
// pair and year, caught up when late; rotation changes through the co-signature of both leaders.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { parseConfig } from "../src/config";
import { runJob } from "../src/cron/cron";
import { dueKinds, runSeries } from "../src/series/series";
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

async function cronDay(t: TestApp, day: string) {
  t.clock.set(trigger(day));
  const r = await runJob(t.deps, "series", trigger(day));
  expect(r.status).toBe("ok");
  return r;
}

type SeminarRow = {
  id: string;
  period: string;
  organiser: string;
  coOrganiser: string;
  title: string;
  status: string;
  kind: string;
  capacity: number | null;
  createdAt: string;
};
const seminarsOf = (t: TestApp, jurisdictionId: string) =>
  t.deps.db.all<SeminarRow>(sql`select tr.id, tr.period, o.kind as organiser, g.kind as coOrganiser,
      tr.title, tr.status, tr.kind, tr.capacity, tr.created_at as createdAt
    from trainings tr join organizations o on o.id = tr.organiser_org_id
    join organizations g on g.id = tr.co_organiser_org_id
    where tr.jurisdiction_id = ${jurisdictionId} and tr.series_id is not null order by tr.period`);

describe("the annual academic seminar by cron", () => {
  it("over three years of daily runs with duplicates, concurrent and late runs: one seminar a year, hosts alternating, none before the date", async () => {
    const t = await setup({ clock: fixedClock("2026-12-20T02:00:00Z") });
    const p = await t.pair();
    const jid = p.jurisdiction.id;
    const missed = new Set(days("2029-02-25", "2029-03-04")); // no trigger around the 2029 date
    for (const day of days("2027-01-01", "2029-12-31")) {
      if (missed.has(day)) continue;
      if (day === "2028-03-01") {
        // The planning day itself, four triggers at once (two through the run ledger, two bare).
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
      if (day.endsWith("-02-28")) {
        // The day before the date: this year's seminar is not planned yet.
        expect((await seminarsOf(t, jid)).map((s) => s.period)).not.toContain(day.slice(0, 4));
      }
      if (day === "2027-03-01" || day === "2029-03-05") {
        // A duplicate trigger is skipped by the ledger; a later one the same day changes nothing.
        expect((await runJob(t.deps, "series", trigger(day))).status).toBe("skipped");
        t.clock.advance(5 * 3600_000);
        const late = await runJob(t.deps, "series", new Date(trigger(day).getTime() + 60_000));
        expect(late.counts).toMatchObject({ instances: 0, subjects: 0, notifications: 0 });
      }
    }
    const seminars = await seminarsOf(t, jid);
    expect(seminars.map((s) => [s.period, s.organiser, s.coOrganiser, s.status, s.kind])).toEqual([
      ["2027", "court", "procuratorate", "planning", "seminar"],
      ["2028", "procuratorate", "court", "planning", "seminar"],
      ["2029", "court", "procuratorate", "planning", "seminar"],
    ]);
    expect(seminars.map((s) => s.createdAt)).toEqual([
      "2027-03-01T00:00:00.000Z",
      "2028-03-01T00:00:00.000Z",
      "2029-03-05T00:00:00.000Z", // caught up by the first run after the missed days
    ]);
    expect(seminars[0]).toMatchObject({ title: "2027年度法检联合学术研讨会", capacity: null });
    // Each seminar: one 'created' timeline entry (English title in its data), one webhook event,
    // one notice per coordinator of both institutions.
    const [effects] = await t.deps.db.all<{ events: number; hooks: number; notices: number; who: string }>(
      sql`select
        (select count(*) from subject_events e where e.subject_type = 'training' and e.type = 'created'
          and e.jurisdiction_id = ${jid}) as events,
        (select count(*) from webhook_events w where w.type = 'training.created'
          and w.jurisdiction_id = ${jid}) as hooks,
        (select count(*) from notifications n where n.kind = 'training.seminar_planned'
          and n.jurisdiction_id = ${jid}) as notices,
        (select group_concat(distinct r.role) from notifications n
          join role_assignments r on r.user_id = n.user_id
          where n.kind = 'training.seminar_planned' and n.jurisdiction_id = ${jid}) as who`,
    );
    expect(effects).toEqual({ events: 3, hooks: 3, notices: 6, who: "coordinator" });
    const [created] = await t.deps.db.all<{ data: string }>(
      sql`select data from subject_events where subject_type = 'training' and subject_id = ${seminars[1]!.id}`,
    );
    expect(JSON.parse(created!.data)).toMatchObject({
      period: "2028",
      host: "procuratorate",
      title: { zh: "2028年度法检联合学术研讨会", en: expect.stringContaining("2028 joint academic seminar") },
    });
    const [notice] = await t.deps.db.all<{ zh: string; en: string }>(
      sql`select text_zh as zh, text_en as en from notifications
        where subject_id = ${seminars[1]!.id} and user_id = ${p.user("court", "coordinator").id}`,
    );
    expect(notice!.zh).toContain(`由${p.procuratorate.name}主办`);
    expect(notice!.en).toContain(`host: ${p.procuratorate.name}`);
    // The meetings of the same pair are unaffected: six half-years, six meetings.
    const [m] = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from meetings where jurisdiction_id = ${jid}`,
    );
    expect(m!.n).toBe(6);
  });

  it("honours a configured date in China time: none the day before, one from 00:00 of the day", async () => {
    const t = await setup({
      clock: fixedClock("2027-01-01T00:00:00Z"),
      env: { SEMINAR_PLAN_BY: "06-15" },
    });
    const p = await t.pair();
    await cronDay(t, "2027-03-01");
    await cronDay(t, "2027-06-14");
    expect(await seminarsOf(t, p.jurisdiction.id)).toEqual([]);
    // 2027-06-14T16:00Z is 00:00 on 06-15 in China: due.
    expect(dueKinds(t.config, new Date("2027-06-14T15:59:59Z"))).toEqual(["joint_meeting"]);
    expect(dueKinds(t.config, new Date("2027-06-14T16:00:00Z"))).toEqual([
      "joint_meeting",
      "academic_seminar",
    ]);
    await cronDay(t, "2027-06-15");
    expect((await seminarsOf(t, p.jurisdiction.id)).map((s) => [s.period, s.organiser])).toEqual([
      ["2027", "court"],
    ]);
  });

  it("reads SEMINAR_PLAN_BY as MM-DD, default 03-01, and refuses a day that does not exist", () => {
    const base = { LIBSQL_URL: "file:x.db" };
    const ok = parseConfig(base);
    expect(ok.ok && ok.config.SEMINAR_PLAN_BY).toBe("03-01");
    expect(parseConfig({ ...base, SEMINAR_PLAN_BY: "02-29" }).ok).toBe(true);
    for (const bad of ["02-30", "13-01", "3-1", "2027-03-01"]) {
      const r = parseConfig({ ...base, SEMINAR_PLAN_BY: bad });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.invalid[0]).toMatch(/^SEMINAR_PLAN_BY/);
    }
  });
});

describe("rotation changes of the seminar (co-signed by both leaders)", () => {
  type Pair = Awaited<ReturnType<TestApp["pair"]>>;
  let keyN = 0;
  const propose = (t: TestApp, p: Pair, seriesId: string, body: object) =>
    t.request(`/v1/series/${seriesId}/overrides`, {
      method: "POST",
      as: p.user("proc", "coordinator"),
      headers: { "idempotency-key": `seminar-test-key-${++keyN}` },
      json: body,
    });
  async function agree(t: TestApp, p: Pair, override: { cosignature: { id: string } | null }) {
    for (const side of ["court", "proc"] as const) {
      const res = await t.request(`/v1/cosignatures/${override.cosignature!.id}/sign`, {
        method: "POST",
        as: p.user(side, "leader"),
        json: {},
      });
      expect(res.status).toBe(200);
    }
  }
  async function fresh(day: string) {
    const t = await setup({ clock: fixedClock(trigger(day)) });
    const p = await t.pair();
    await cronDay(t, day);
    const list = await t.request("/v1/series", { as: p.user("proc", "handler") });
    const series = list.body.items.find(
      (s: { kind: { code: string } }) => s.kind.code === "academic_seminar",
    );
    expect(series).toMatchObject({ cadence: { code: "year" }, firstHost: { code: "court" } });
    return { t, p, series };
  }

  it("a swap agreed before the date is applied when the cron plans the seminar; alternation continues from the actual host", async () => {
    const { t, p, series } = await fresh("2027-01-10");
    // Before 1 March the year's seminar is still to come: the rotation record says who and why.
    expect(series.next).toMatchObject({ period: "2027", host: { code: "court" }, reason: { code: "first" } });
    const res = await propose(t, p, series.id, {
      period: "2027",
      action: "swap",
      reason: "法院年内承办全省会议",
    });
    expect(res.status).toBe(201);
    await agree(t, p, res.body);
    for (const day of ["2027-03-01", "2028-03-01", "2029-03-01"]) await cronDay(t, day);
    expect((await seminarsOf(t, p.jurisdiction.id)).map((s) => [s.period, s.organiser])).toEqual([
      ["2027", "procuratorate"],
      ["2028", "court"],
      ["2029", "procuratorate"],
    ]);
    const after = await t.request(`/v1/series-overrides/${res.body.id}`, { as: p.user("court", "leader") });
    expect(after.body.effect.code).toBe("applied");
  });

  it("a swap agreed for a seminar still planning applies at once", async () => {
    const { t, p, series } = await fresh("2027-03-02");
    const [before] = await seminarsOf(t, p.jurisdiction.id);
    expect(before).toMatchObject({ period: "2027", organiser: "court" });
    const res = await propose(t, p, series.id, { period: "2027", action: "swap", reason: "场地调整" });
    expect(res.status).toBe(201);
    await agree(t, p, res.body);
    const [swapped] = await seminarsOf(t, p.jurisdiction.id);
    expect(swapped).toMatchObject({ id: before!.id, organiser: "procuratorate", coOrganiser: "court" });
    const timeline = await t.deps.db.all<{ type: string }>(
      sql`select type from subject_events where subject_type = 'training' and subject_id = ${before!.id}
        order by at, id`,
    );
    expect(timeline.map((e) => e.type)).toEqual(["created", "rotation_changed"]);
  });

  it("after a swap the seminar keeps only invitations its new organiser could make", async () => {
    const t = await setup({ clock: fixedClock(trigger("2027-03-01")) });
    const p = await t.pair({ level: "city" });
    const basic = await t.pair({ level: "basic", parentId: p.jurisdiction.id });
    await cronDay(t, "2027-03-01");
    const [s] = await seminarsOf(t, p.jurisdiction.id);
    const inv = await t.request(`/v1/trainings/${s!.id}`, {
      method: "PATCH",
      as: p.user("court", "coordinator"),
      json: { invitations: { orgIds: [p.procuratorate.id, basic.procuratorate.id] } },
    });
    expect(inv.status).toBe(200);
    const series = (await t.request("/v1/series", { as: p.user("proc", "handler") })).body.items.find(
      (x: { kind: { code: string } }) => x.kind.code === "academic_seminar",
    );
    const res = await propose(t, p, series.id, { period: "2027", action: "swap", reason: "场地调整" });
    await agree(t, p, res.body);
    const after = await t.request(`/v1/trainings/${s!.id}`, { as: p.user("proc", "coordinator") });
    expect(after.body.organiser.id).toBe(p.procuratorate.id);
    // Both were procuratorates: the new organiser itself and a basic-level one of its own side.
    expect(after.body.invitations).toEqual([]);
    // The new organiser invites the basic-level court under it.
    const again = await t.request(`/v1/trainings/${s!.id}`, {
      method: "PATCH",
      as: p.user("proc", "coordinator"),
      json: { invitations: { orgIds: [basic.court.id] } },
    });
    expect(again.body.invitations.map((i: { org: { id: string } }) => i.org.id)).toEqual([basic.court.id]);
  });

  it("a published seminar can no longer change host (409)", async () => {
    const { t, p, series } = await fresh("2027-03-01");
    const [s] = await seminarsOf(t, p.jurisdiction.id);
    await t.deps.db.run(sql`update trainings set status = 'published' where id = ${s!.id}`);
    expectProblem(
      await propose(t, p, series.id, { period: "2027", action: "swap", reason: "场地调整" }),
      409,
      "meeting_already_scheduled",
    );
    // A later year is still open to change.
    expect(
      (await propose(t, p, series.id, { period: "2028", action: "swap", reason: "场地调整" })).status,
    ).toBe(201);
  });

  it("a skip agreed for a planning seminar cancels it, and next year goes to whoever would have hosted", async () => {
    const { t, p, series } = await fresh("2027-03-01");
    const res = await propose(t, p, series.id, { period: "2027", action: "skip", reason: "换届,本年不举办" });
    await agree(t, p, res.body);
    await cronDay(t, "2028-03-01");
    expect((await seminarsOf(t, p.jurisdiction.id)).map((s) => [s.period, s.organiser, s.status])).toEqual([
      ["2027", "court", "cancelled"],
      ["2028", "court", "planning"],
    ]);
  });
});

describe("preparing the cron's seminar through the API", () => {
  it("the cron's seminar (no sessions) gets sessions, a window, a capacity and invitations by PATCH, is published and someone registers", async () => {
    const t = await setup({ clock: fixedClock(trigger("2027-03-01")) });
    const p = await t.pair();
    await cronDay(t, "2027-03-01");
    const [s] = await seminarsOf(t, p.jurisdiction.id);
    const as = p.user("court", "coordinator");
    const patch = (json: unknown) => t.request(`/v1/trainings/${s!.id}`, { method: "PATCH", as, json });
    // A window alone is accepted before there is any session.
    const w = await patch({ opensAt: "2027-04-01T09:00:00+08:00", closesAt: "2027-05-10T18:00:00+08:00" });
    expect(w.status).toBe(200);
    const sessions = [
      { startsAt: "2027-05-20T09:00:00+08:00", endsAt: "2027-05-20T17:00:00+08:00", place: "市检察院报告厅" },
      { startsAt: "2027-05-21T09:00:00+08:00", endsAt: "2027-05-21T12:00:00+08:00", place: "市检察院报告厅" },
    ];
    // Sessions must not start before the window closes.
    expectProblem(
      await patch({ sessions: [{ ...sessions[0], startsAt: "2027-05-01T09:00:00+08:00" }] }),
      422,
      "window_invalid",
    );
    const r = await patch({ sessions, capacity: 80, invitations: { orgIds: [p.procuratorate.id] } });
    expect(r.status).toBe(200);
    expect(r.body.sessions.map((x: { startsAt: string }) => x.startsAt)).toEqual([
      "2027-05-20T09:00:00+08:00",
      "2027-05-21T09:00:00+08:00",
    ]);
    // Replacing the list replaces it; each session has its own check-in secret.
    const again = await patch({ sessions: [sessions[1]] });
    expect(again.body.sessionCount).toBe(1);
    const secrets = await t.deps.db.all<{ s: string | null }>(
      sql`select checkin_secret as s from training_sessions where training_id = ${s!.id}`,
    );
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.s?.length).toBeGreaterThan(30);
    expect((await t.request(`/v1/trainings/${s!.id}/publish`, { method: "POST", as })).status).toBe(200);
    t.clock.set(new Date("2027-04-02T02:00:00Z"));
    const reg = await t.request(`/v1/trainings/${s!.id}/registrations`, {
      method: "POST",
      as: p.user("proc", "handler"),
      json: { answers: {} },
      headers: { "idempotency-key": "seminar-registration-1" },
    });
    expect(reg.status).toBe(201);
    // Once someone registered, the sessions are fixed.
    expectProblem(await patch({ sessions }), 409, "sessions_locked");
  });
});

describe("cancelling the series seminar", () => {
  it("neither side cancels the seminar of a series alone: 409 use_rotation_skip, nothing changes", async () => {
    const t = await setup({ clock: fixedClock(trigger("2027-03-01")) });
    const p = await t.pair();
    await cronDay(t, "2027-03-01");
    const [s] = await seminarsOf(t, p.jurisdiction.id);
    for (const side of ["court", "proc"] as const) {
      const res = await t.request(`/v1/trainings/${s!.id}/cancel`, {
        method: "POST",
        as: p.user(side, "coordinator"),
        json: { reason: "不办了" },
      });
      expectProblem(res, 409, "use_rotation_skip");
      expect(res.body.label.en).toContain("overrides");
    }
    const [after] = await seminarsOf(t, p.jurisdiction.id);
    expect(after!.status).toBe("planning");
  });
});
