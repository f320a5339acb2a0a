// The deadline engine at its edges (legal-deadlines.md), through the preview API and the calendar admin.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { expectProblem, setup, type TestApp } from "./helpers";

let t: TestApp;
let city: Awaited<ReturnType<TestApp["pair"]>>;
let district: Awaited<ReturnType<TestApp["pair"]>>;

beforeAll(async () => {
  t = await setup();
  city = await t.pair({ level: "city" });
  district = await t.pair({ parentId: city.jurisdiction.id });
});

const preview = (q: string, as = city.user("court", "registrar")) =>
  t.request(`/v1/deadlines/preview?${q}`, { as });

describe("GET /v1/deadlines/preview", () => {
  it("worked example 1: received 2026-09-08, 30 days → 2026-10-08, a working day", async () => {
    const r = await preview("type=protest.civil&receivedOn=2026-09-08");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      dueOn: "2026-10-08",
      calendarComplete: true,
      rule: { code: "protest.civil", period: { days: 30, months: null } },
    });
    expect(r.body.rule.source).toContain("第222条");
    expect(r.body.steps.map((s: any) => s.kind)).toEqual(["start", "raw_end", "due"]);
    expect(r.body.steps[0].date).toBe("2026-09-09");
  });

  it("worked example 2: received 2026-09-01, 30 days → 10-01 is National Day → rolls to 2026-10-08", async () => {
    const r = await preview("type=protest.civil&receivedOn=2026-09-01");
    expect(r.body.dueOn).toBe("2026-10-08");
    const rolled = r.body.steps.filter((s: any) => s.kind === "roll_forward");
    expect(rolled.map((s: any) => s.date)).toEqual([
      "2026-10-01",
      "2026-10-02",
      "2026-10-03",
      "2026-10-04",
      "2026-10-05",
      "2026-10-06",
      "2026-10-07",
    ]);
    expect(rolled[0].note.zh).toContain("国庆节");
  });

  it("worked example 3: received 2026-08-31, 1 month → 2026-09-30 (a Wednesday)", async () => {
    const r = await preview("type=correction.commutation_parole&receivedOn=2026-08-31");
    expect(r.body.dueOn).toBe("2026-09-30");
    expect(r.body.steps[1].note.en).toContain("last day");
  });

  it("ends a month period on the last day of a shorter month (2026-01-31 + 1 month → 02-28)", async () => {
    const r = await preview("type=correction.commutation_parole&receivedOn=2026-01-31");
    expect(r.body.steps[1].date).toBe("2026-02-28");
  });

  it("rolls a period ending on a weekend to Monday", async () => {
    // 2026-06-15 + 2 months = 2026-08-15, a Saturday → Monday 08-17
    const r = await preview("type=suggestion.general&receivedOn=2026-06-15");
    expect(r.body.dueOn).toBe("2026-08-17");
    expect(r.body.steps.filter((s: any) => s.kind === "roll_forward").map((s: any) => s.note.en)).toEqual([
      "weekend: rolls forward",
      "weekend: rolls forward",
    ]);
  });

  it("counts a make-up working Saturday (调休) as a working day unless the jurisdiction says otherwise", async () => {
    // 2026-09-10 + 30 days = 2026-10-10, a Saturday declared a working day
    expect((await preview("type=protest.civil&receivedOn=2026-09-10")).body.dueOn).toBe("2026-10-10");
    const admin = district.user("court", "admin");
    const off = await t.request(`/v1/jurisdictions/${district.jurisdiction.id}/settings`, {
      method: "PATCH",
      as: admin,
      json: { countMakeupWorkdays: false },
    });
    expect(off.status).toBe(200);
    const strict = await preview(
      "type=protest.civil&receivedOn=2026-09-10",
      district.user("court", "registrar"),
    );
    expect(strict.body.dueOn).toBe("2026-10-12");
    expect(
      strict.body.steps.find((s: any) => s.kind === "roll_forward" && s.date === "2026-10-10").note.en,
    ).toContain("make-up working day");
    expect((await preview("type=protest.civil&receivedOn=2026-09-10")).body.dueOn).toBe("2026-10-10"); // the city keeps the default
    expectProblem(
      await t.request(`/v1/jurisdictions/${district.jurisdiction.id}/settings`, {
        method: "PATCH",
        as: district.user("court", "handler"),
        json: { countMakeupWorkdays: true },
      }),
      403,
    );
    expectProblem(
      await t.request(`/v1/jurisdictions/${district.jurisdiction.id}/settings`, {
        method: "PATCH",
        as: city.user("court", "admin"),
        json: { countMakeupWorkdays: true },
      }),
      403,
    );
  });

  it("still answers for a year with no calendar loaded, counting weekends only, and says so", async () => {
    const r = await preview("type=protest.civil&receivedOn=2028-03-01");
    expect(r.body).toMatchObject({ dueOn: "2028-03-31", calendarComplete: false });
    const leap = await preview("type=correction.commutation_parole&receivedOn=2028-01-31");
    expect(leap.body.steps[1].date).toBe("2028-02-29");
  });

  it("takes a sender-set period within the rule's maximum and refuses one for a statutory type", async () => {
    const r = await preview("type=judicial_suggestion&receivedOn=2026-09-08&periodDays=20");
    expect(r.body.dueOn).toBe("2026-09-28");
    expect(r.body.rule.period).toEqual({ days: 20, months: null, senderSets: true });
    expectProblem(
      await preview("type=protest.civil&receivedOn=2026-09-08&periodDays=20"),
      400,
      "validation_failed",
    );
    expectProblem(await preview("type=protest.civil&receivedOn=2026-02-30"), 400, "validation_failed");
    expectProblem(await preview("type=nope&receivedOn=2026-09-08"), 400, "validation_failed");
  });
});

describe("GET /v1/deadlines/preview at the calendar's edges and with conflicting periods", () => {
  it("refuses a receipt date before the calendar's first year, as one whose due date is after its last", async () => {
    for (const q of [
      "type=protest.civil&receivedOn=1900-01-01",
      "type=protest.civil&receivedOn=1999-12-31",
      "type=protest.civil&receivedOn=2060-12-20",
    ])
      expectProblem(await preview(q), 422, "outside_calendar");
    expect((await preview("type=protest.civil&receivedOn=2000-01-03")).status).toBe(200);
  });

  it("answers 400 naming both fields when both periodDays and periodMonths are sent", async () => {
    const r = await preview("type=judicial_suggestion&receivedOn=2026-09-08&periodDays=20&periodMonths=1");
    expectProblem(r, 400, "validation_failed");
    expect(r.body.errors.map((e: any) => [e.in, e.path]).sort()).toEqual([
      ["query", "periodDays"],
      ["query", "periodMonths"],
    ]);
  });

  it("warns that a deadline reaching into a year without a calendar is provisional, naming the year", async () => {
    const r = await preview("type=protest.civil&receivedOn=2026-12-02"); // → 2027-01-01
    expect(r.body).toMatchObject({ dueOn: "2027-01-01", calendarComplete: false });
    expect(r.body.warnings).toEqual([
      {
        code: "calendar_missing",
        label: { zh: expect.stringContaining("2027年"), en: expect.stringContaining("2027") },
        year: 2027,
      },
    ]);
    const step = r.body.steps.find((s: any) => s.kind === "calendar_missing");
    expect(step).toMatchObject({ date: "2027-01-01", note: { zh: expect.stringContaining("2027年") } });
    expect(r.body.steps.at(-1).kind).toBe("due");
    const two = await preview("type=retrial_suggestion.civil&receivedOn=2027-11-15"); // 3 months → 2028
    expect(two.body.warnings.map((w: any) => w.year)).toEqual([2027, 2028]);
    const ok = await preview("type=protest.civil&receivedOn=2026-09-08");
    expect(ok.body.warnings).toEqual([]);
    expect(ok.body.steps.map((s: any) => s.kind)).not.toContain("calendar_missing");
  });
});

describe("POST /v1/documents/{id}/receive outside the calendar", () => {
  it("refuses a receipt date whose deadline cannot be counted, changing nothing", async () => {
    const edge = await setup({ clock: fixedClock("2060-12-20T02:00:00Z") });
    const p = await edge.pair();
    const sent = await edge.request("/v1/documents", {
      method: "POST",
      as: p.user("proc", "handler"),
      headers: { "idempotency-key": "edge-of-calendar" },
      json: { type: "protest.civil", docNumber: "x", caseNumbers: ["y"], caseCategory: "civil", title: "z" },
    });
    expect(sent.status).toBe(201);
    const r = await edge.request(`/v1/documents/${sent.body.id}/receive`, {
      method: "POST",
      as: p.user("court", "registrar"),
      json: { receivedOn: "2060-12-20" }, // + 30 days → 2061
    });
    expectProblem(r, 422, "outside_calendar");
    const doc = await edge.request(`/v1/documents/${sent.body.id}`, { as: p.user("court", "registrar") });
    expect(doc.body).toMatchObject({ status: { code: "sent" }, dueOn: null });
    expect(doc.body.timeline.map((e: any) => e.type)).toEqual(["created"]);
  });
});

describe("calendar administration", () => {
  it("lists a loaded year's special days", async () => {
    const r = await t.request("/v1/calendar/2026", { as: district.user("court", "handler") });
    expect(r.body.loaded.source).toBe("chinese-days");
    expect(r.body.days).toContainEqual({ date: "2026-10-10", kind: "makeup", name: "国庆节" });
  });

  it("lets the deployment operator load a new year, after which deadlines use it and open documents are recomputed", async () => {
    const before = await preview("type=protest.civil&receivedOn=2026-12-02"); // → 2027-01-01, a Friday
    expect(before.body).toMatchObject({ dueOn: "2027-01-01", calendarComplete: false });
    // One protest counted wholly within 2026, and one received in December, counted before the
    // State Council's 2027 calendar was loaded.
    t.clock.set("2026-11-02T02:00:00Z");
    const untouched = await t.request("/v1/documents", {
      method: "POST",
      as: district.user("proc", "handler"),
      headers: { "idempotency-key": "within-2026" },
      json: {
        type: "protest.civil",
        docNumber: "示检民监〔2026〕98号",
        caseNumbers: ["(2026)示0102民初8号"],
        caseCategory: "civil",
        title: "年内期限",
      },
    });
    await t.request(`/v1/documents/${untouched.body.id}/receive`, {
      method: "POST",
      as: district.user("court", "registrar"),
      json: { receivedOn: "2026-11-02" },
    });
    t.clock.set("2026-12-02T02:00:00Z");
    const sent = await t.request("/v1/documents", {
      method: "POST",
      as: district.user("proc", "handler"),
      headers: { "idempotency-key": "provisional-deadline" },
      json: {
        type: "protest.civil",
        docNumber: "示检民监〔2026〕99号",
        caseNumbers: ["(2026)示0102民初9号"],
        caseCategory: "civil",
        title: "跨年期限",
      },
    });
    const received = await t.request(`/v1/documents/${sent.body.id}/receive`, {
      method: "POST",
      as: district.user("court", "registrar"),
      json: { receivedOn: "2026-12-02" },
    });
    expect(received.body).toMatchObject({
      dueOn: "2027-01-01",
      deadline: { calendarComplete: false, version: 1 },
      warnings: [{ code: "calendar_missing", year: 2027 }],
    });
    const listed = await t.request("/v1/documents?box=inbox", { as: district.user("court", "registrar") });
    expect(listed.body.items.find((d: any) => d.id === sent.body.id).warnings).toEqual(
      received.body.warnings,
    );
    t.clock.set("2026-12-10T02:00:00Z"); // the State Council's 2027 arrangement is loaded a week later
    const days = [
      { date: "2027-01-01", kind: "holiday", name: "元旦" },
      { date: "2027-02-20", kind: "makeup", name: "春节" },
    ];
    expectProblem(
      await t.request("/v1/calendar/2027", {
        method: "PUT",
        as: district.user("court", "admin"),
        json: { days },
      }),
      403,
    );
    expectProblem(
      await t.request("/v1/calendar/2027", {
        method: "PUT",
        as: city.user("court", "handler"),
        json: { days },
      }),
      403,
    );
    // The national calendar is the deployment's: even a city-level admin is refused (issue 9).
    expectProblem(
      await t.request("/v1/calendar/2027", {
        method: "PUT",
        as: city.user("court", "admin"),
        json: { days },
      }),
      403,
    );
    const op = await t.operator();
    expectProblem(
      await t.request("/v1/calendar/2027", {
        method: "PUT",
        as: op,
        json: { days: [{ date: "2028-01-01", kind: "holiday", name: "x" }] },
      }),
      400,
    );
    const put = await t.request("/v1/calendar/2027", {
      method: "PUT",
      as: op,
      json: { days },
    });
    expect(put.status).toBe(200);
    const after = await preview("type=protest.civil&receivedOn=2026-12-02");
    expect(after.body).toMatchObject({ dueOn: "2027-01-04", calendarComplete: true });
    const recomputed = await t.request(`/v1/documents/${sent.body.id}`, {
      as: district.user("court", "registrar"),
    });
    expect(recomputed.body).toMatchObject({
      dueOn: "2027-01-04",
      deadline: { calendarComplete: true, version: 1 },
      warnings: [],
    });
    const event = recomputed.body.timeline.at(-1);
    // A system event: it names nobody (the operator is no user of this jurisdiction).
    expect(event).toMatchObject({ type: "deadline_recomputed", actor: null });
    expect(event.changes.dueOn).toEqual({ before: "2027-01-01", after: "2027-01-04" });
    expect(event.changes.calendarComplete).toEqual({ before: false, after: true });
    const stored = await t.deps.db.all<{ b: string; a: string }>(
      sql`select json_type(before, '$.calendarComplete') as b, json_type(after, '$.calendarComplete') as a
        from document_events where document_id = ${sent.body.id} and type = 'deadline_recomputed'`,
    );
    expect(stored).toEqual([{ b: "false", a: "true" }]); // so webhook payloads carry booleans too
    const other = await t.request(`/v1/documents/${untouched.body.id}`, {
      as: district.user("court", "registrar"),
    });
    expect(other.body.timeline.map((e: any) => e.type)).toEqual(["created", "received"]);
    t.clock.set("2026-09-01T02:00:00Z");
    const got = await t.request("/v1/calendar/2027", { as: city.user("court", "handler") });
    expect(got.body.days).toEqual([days[0], days[1]]);
    expect(got.body.loaded.source).toBe("operator");
  });
});

describe("deadline rules", () => {
  it("lets a jurisdiction override a period; new documents record the new rule version, others are unaffected", async () => {
    const admin = district.user("proc", "admin");
    const put = await t.request("/v1/deadline-rules/protest.civil", {
      method: "PUT",
      as: admin,
      json: { periodDays: 20, source: "本区法检协作意见:二十日内" },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ local: true, version: 1, periodDays: 20 });
    const again = await t.request("/v1/deadline-rules/protest.civil", {
      method: "PUT",
      as: admin,
      json: { periodDays: 25, source: "修订" },
    });
    expect(again.body.version).toBe(2);
    const rules = await t.request("/v1/deadline-rules", { as: district.user("court", "handler") });
    expect(rules.body.items.find((r: any) => r.type.code === "protest.civil")).toMatchObject({
      periodDays: 25,
      local: true,
    });
    expect(rules.body.items).toHaveLength(13);
    const cityRules = await t.request("/v1/deadline-rules", { as: city.user("court", "handler") });
    expect(cityRules.body.items.find((r: any) => r.type.code === "protest.civil")).toMatchObject({
      periodDays: 30,
      local: false,
    });
    const sent = await t.request("/v1/documents", {
      method: "POST",
      as: district.user("proc", "handler"),
      headers: { "idempotency-key": "rule-version-doc" },
      json: { type: "protest.civil", docNumber: "x", caseNumbers: ["y"], caseCategory: "civil", title: "z" },
    });
    expect(sent.body.deadline).toMatchObject({ ruleId: again.body.id, ruleVersion: 2, periodDays: 25 });
    expectProblem(
      await t.request("/v1/deadline-rules/protest.civil", {
        method: "PUT",
        as: district.user("proc", "handler"),
        json: { periodDays: 5, source: "x" },
      }),
      403,
    );
    // The receiving court may not set the period of its own reply, and nobody may lengthen a statutory one.
    expectProblem(
      await t.request("/v1/deadline-rules/protest.civil", {
        method: "PUT",
        as: district.user("court", "admin"),
        json: { periodMonths: 24, source: "x" },
      }),
      403,
      "forbidden",
    );
    expectProblem(
      await t.request("/v1/deadline-rules/protest.civil", {
        method: "PUT",
        as: admin,
        json: { periodDays: 31, source: "x" },
      }),
      422,
      "longer_than_statute",
    );
    expectProblem(
      await t.request("/v1/deadline-rules/protest.civil", {
        method: "PUT",
        as: admin,
        json: { periodMonths: 1, source: "x" },
      }),
      422,
      "longer_than_statute",
    );
    expectProblem(
      await t.request("/v1/deadline-rules/judicial_suggestion", {
        method: "PUT",
        as: district.user("court", "admin"),
        json: { periodMonths: 3, source: "x" },
      }),
      422,
      "longer_than_statute",
    );
    expect(
      (
        await t.request("/v1/deadline-rules/judicial_suggestion", {
          method: "PUT",
          as: district.user("court", "admin"),
          json: { periodDays: 45, source: "本区意见" },
        })
      ).status,
    ).toBe(200);
    expectProblem(
      await t.request("/v1/deadline-rules/judicial_suggestion", {
        method: "PUT",
        as: admin,
        json: { periodDays: 45, source: "x" },
      }),
      403,
      "forbidden",
    );
    const latest = await t.request("/v1/deadline-rules", { as: district.user("court", "handler") });
    expect(latest.body.items.find((r: any) => r.type.code === "protest.civil")).toMatchObject({
      periodDays: 25,
      version: 2,
    });
    expectProblem(
      await t.request("/v1/deadline-rules/protest.civil", {
        method: "PUT",
        as: admin,
        json: { periodDays: 5, periodMonths: 1, source: "x" },
      }),
      400,
    );
  });
});
