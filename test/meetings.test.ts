// Joint meetings through the HTTP API: special-meeting approval gate, the time slot, topics and
// agenda, participants and observers, RSVP, attendance, cancellation, and tenancy on every route.
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { meetingParticipants, meetings, meetingTopics, notifications, users } from "../src/db/schema";
import { runSeries } from "../src/series/series";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;

let t: TestApp;
let city: Pair;
let pair: Pair;
let other: Pair;
const START = "2026-09-01T02:00:00Z";

beforeAll(async () => {
  t = await setup();
  city = await t.pair({ level: "city" });
  pair = await t.pair({ parentId: city.jurisdiction.id });
  other = await t.pair({ parentId: city.jurisdiction.id });
});

/** A regular meeting of the pair's half-yearly series, as the cycle job leaves it (planning). */
async function regularMeeting(p: Pair = pair, host: "court" | "procuratorate" = "court") {
  const id = t.deps.ids();
  const now = t.clock.now().toISOString();
  const [h, g] = host === "court" ? [p.court, p.procuratorate] : [p.procuratorate, p.court];
  await t.deps.db.insert(meetings).values({
    id,
    jurisdictionId: p.jurisdiction.id,
    kind: "regular",
    period: "2026-H2",
    hostOrgId: h.id,
    guestOrgId: g.id,
    title: "2026年下半年法检联席会议",
    status: "planning",
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

const courtDept = (p: Pair = pair) => p.dept(p.court.id, "民事审判第一庭").id;
const procDept = (p: Pair = pair) => p.dept(p.procuratorate.id, "第六检察部(民事检察)").id;

const slot = (startsAt = "2026-09-15T09:00:00+08:00", endsAt = "2026-09-15T12:00:00+08:00") => ({
  startsAt,
  endsAt,
  place: "区法院第一会议室",
});

const post = (path: string, as: { id: string }, json: unknown, headers: Record<string, string> = {}) =>
  t.request(path, { method: "POST", as, json, headers });

async function noticesOf(userId: string, kind: string) {
  return t.deps.db
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, userId), eq(notifications.kind, kind)));
}

describe("special-topic meetings (专题联席会议)", () => {
  const body = () => ({
    subjectKind: "major_case",
    subject: "(2026)示0102刑初88号 涉众型非法集资案",
    title: "关于涉众型非法集资案件的专题联席会议",
    proposingDepartmentId: courtDept(),
    reason: "案件涉众面广,需两院协调证据标准。",
  });

  it("is proposed by a department, hosted by the proposer, awaiting both leaders; a retry is the same meeting", async () => {
    const as = pair.user("court", "department_head");
    const key = { "idempotency-key": "special-meeting-0001" };
    const r = await post("/v1/meetings", as, body(), key);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      kind: { code: "special" },
      status: { code: "pending_approval", label: { zh: "待双方院领导批准" } },
      host: { id: pair.court.id, kind: { code: "court" } },
      guest: { id: pair.procuratorate.id },
      special: { subjectKind: { code: "major_case" }, reason: "案件涉众面广,需两院协调证据标准。" },
    });
    expect(r.body.timeline.map((e: any) => e.type)).toEqual(["created"]);

    const again = await post("/v1/meetings", as, body(), key);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(r.body.id);
    const rows = await t.deps.db
      .select()
      .from(meetings)
      .where(eq(meetings.idempotencyKey, key["idempotency-key"]));
    expect(rows).toHaveLength(1);

    expectProblem(
      await post("/v1/meetings", as, { ...body(), title: "另一个会议" }, key),
      409,
      "idempotency_key_reused",
    );
  });

  it("refuses a handler (403) and a department of the other institution (400, nothing created)", async () => {
    const key = (k: string) => ({ "idempotency-key": `special-meeting-${k}` });
    expectProblem(await post("/v1/meetings", pair.user("court", "handler"), body(), key("h")), 403);
    const r = await post(
      "/v1/meetings",
      pair.user("court", "leader"),
      { ...body(), proposingDepartmentId: procDept() },
      key("d"),
    );
    expectProblem(r, 400, "validation_failed");
    expect(r.body.errors[0]).toMatchObject({ path: "proposingDepartmentId", code: "not_your_department" });
    const rows = await t.deps.db
      .select()
      .from(meetings)
      .where(eq(meetings.idempotencyKey, "special-meeting-d"));
    expect(rows).toHaveLength(0);
  });

  it("cannot be scheduled or given topics before both leaders approve (409 not_approved); after both sign it can", async () => {
    const r = await post(
      "/v1/meetings",
      pair.user("proc", "coordinator"),
      {
        ...body(),
        proposingDepartmentId: procDept(),
      },
      { "idempotency-key": "special-meeting-gate" },
    );
    expect(r.status).toBe(201);
    const id = r.body.id;
    expect(r.body.host.id).toBe(pair.procuratorate.id);
    expectProblem(
      await post(`/v1/meetings/${id}/slot`, pair.user("proc", "coordinator"), slot()),
      409,
      "not_approved",
    );
    expectProblem(
      await post(
        `/v1/meetings/${id}/topics`,
        pair.user("court", "handler"),
        { field: "criminal", title: "证据标准", proposingDepartmentId: courtDept() },
        { "idempotency-key": "topic-before-approval" },
      ),
      409,
      "not_approved",
    );

    // Both institutions' leaders approve through the co-signature mechanism.
    const cosignId = r.body.approval?.id;
    expect(cosignId, "the special meeting opens a co-signature round of both leaders").toBeTruthy();
    for (const side of ["proc", "court"] as const) {
      const s = await post(`/v1/cosignatures/${cosignId}/sign`, pair.user(side, "leader"), {});
      expect(s.status).toBe(200);
    }
    const after = await t.request(`/v1/meetings/${id}`, { as: pair.user("court", "leader") });
    expect(after.body.status.code).toBe("planning");
    const ok = await post(`/v1/meetings/${id}/slot`, pair.user("proc", "coordinator"), slot());
    expect(ok.status).toBe(200);
  });

  it("cancelled while awaiting approval: its round is withdrawn, the leaders are told, nobody can approve it after", async () => {
    const host = pair.user("court", "coordinator");
    const r = await post("/v1/meetings", host, body(), { "idempotency-key": "special-cancel-pending" });
    const id = r.body.id;
    const cosignId = r.body.approval.id;
    // One leader has signed already; the other has not.
    expect((await post(`/v1/cosignatures/${cosignId}/sign`, pair.user("court", "leader"), {})).status).toBe(
      200,
    );

    const c = await post(`/v1/meetings/${id}/cancel`, host, { reason: "案件已移送,不再需要" });
    expect(c.status).toBe(200);
    expect(c.body.status.code).toBe("cancelled");

    const round = await t.request(`/v1/cosignatures/${cosignId}`, { as: pair.user("proc", "leader") });
    expect(round.body).toMatchObject({ status: { code: "withdrawn" }, awaitingMe: false });
    expect(round.body.completedAt).toBeTruthy();
    expect(round.body.timeline.at(-1)).toMatchObject({
      type: "cosign_withdrawn",
      label: { zh: "撤回会签" },
      actor: { id: host.id },
    });
    for (const side of ["court", "proc"] as const)
      expect(await noticesOf(pair.user(side, "leader").id, "cosign.withdrawn")).toHaveLength(1);
    expect(await noticesOf(host.id, "cosign.withdrawn")).toHaveLength(0);
    const hooks = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from webhook_events where subject_id = ${cosignId}
        and type = 'cosignature.cosign_withdrawn'`,
    );
    expect(hooks[0]!.n).toBe(1);

    // The other leader's signature is refused; the meeting stays cancelled and is never "approved".
    expectProblem(
      await post(`/v1/cosignatures/${cosignId}/sign`, pair.user("proc", "leader"), {}),
      409,
      "round_closed",
    );
    const after = await t.request(`/v1/meetings/${id}`, { as: host });
    expect(after.body.status.code).toBe("cancelled");
    expect(after.body.timeline.map((e: any) => e.type)).toEqual(["created", "cancelled"]);
    expect((await noticesOf(host.id, "meeting.special_approved")).filter((n) => n.subjectId === id)).toEqual(
      [],
    );
  });

  it("the detail embeds its approval round as /v1/cosignatures answers it: labelled, typed in OpenAPI", async () => {
    const r = await post("/v1/meetings", pair.user("court", "coordinator"), body(), {
      "idempotency-key": "special-approval-shape",
    });
    const leader = pair.user("proc", "leader");
    const detail = await t.request(`/v1/meetings/${r.body.id}`, { as: leader });
    const round = await t.request(`/v1/cosignatures/${r.body.approval.id}`, { as: leader });
    const { timeline: _, ...shape } = round.body;
    expect(detail.body.approval).toEqual(shape);
    expect(detail.body.approval).toMatchObject({
      subject: { type: { code: "special_meeting" }, id: r.body.id, href: `/v1/meetings/${r.body.id}` },
      status: { code: "open", label: { zh: "会签中", en: "Being signed" } },
      awaitingMe: true,
      parties: [
        {
          org: { id: pair.court.id, kind: { code: "court" } },
          role: { code: "leader", label: { zh: "院领导" } },
        },
        { org: { id: pair.procuratorate.id }, role: { code: "leader" }, decision: null },
      ],
    });
    const coordinator = await t.request(`/v1/meetings/${r.body.id}`, {
      as: pair.user("proc", "coordinator"),
    });
    expect(coordinator.body.approval.awaitingMe).toBe(false);
    const api = await t.request("/openapi.json");
    const props = api.body.components.schemas.MeetingDetail.allOf[1].properties;
    const roundOrNull = [{ $ref: "#/components/schemas/Cosignature" }, { type: "null" }];
    expect(props.approval.anyOf).toEqual(roundOrNull);
    expect(props.minutes.properties.cosignature.anyOf).toEqual(roundOrNull);
  });

  it("the approval hooks never act on a meeting that is no longer pending approval (defence in depth)", async () => {
    const host = pair.user("court", "coordinator");
    const r = await post("/v1/meetings", host, body(), { "idempotency-key": "special-hook-guard" });
    const id = r.body.id;
    // A cancellation that left the round open (as before the round was withdrawn with it).
    await t.deps.db.run(sql`update meetings set status = 'cancelled' where id = ${id}`);
    for (const side of ["court", "proc"] as const)
      expect(
        (await post(`/v1/cosignatures/${r.body.approval.id}/sign`, pair.user(side, "leader"), {})).status,
      ).toBe(200);
    const after = await t.request(`/v1/meetings/${id}`, { as: host });
    expect(after.body.status.code).toBe("cancelled");
    expect(after.body.timeline.map((e: any) => e.type)).toEqual(["created"]);
    const approvedNotices = await noticesOf(pair.user("proc", "coordinator").id, "meeting.special_approved");
    expect(approvedNotices.filter((n) => n.subjectId === id)).toEqual([]);

    // Refused: not marked rejected either.
    const r2 = await post("/v1/meetings", host, body(), { "idempotency-key": "special-hook-guard-2" });
    await t.deps.db.run(sql`update meetings set status = 'cancelled' where id = ${r2.body.id}`);
    const refused = await post(
      `/v1/cosignatures/${r2.body.approval.id}/refuse`,
      pair.user("proc", "leader"),
      {
        reason: "不同意",
      },
    );
    expect(refused.body.status.code).toBe("refused");
    const after2 = await t.request(`/v1/meetings/${r2.body.id}`, { as: host });
    expect(after2.body.status.code).toBe("cancelled");
    expect(after2.body.timeline.map((e: any) => e.type)).toEqual(["created"]);
  });
});

describe("POST /v1/meetings/{id}/slot and /slot/confirm", () => {
  it("the host proposes, the guest counter-proposes, the host confirms the current version", async () => {
    const id = await regularMeeting();
    const host = pair.user("court", "coordinator");
    const guest = pair.user("proc", "coordinator");

    expectProblem(await post(`/v1/meetings/${id}/slot`, guest, slot()), 409, "host_proposes_first");

    const p1 = await post(
      `/v1/meetings/${id}/slot`,
      host,
      slot("2026-09-15T01:00:00Z", "2026-09-15T04:00:00Z"),
    );
    expect(p1.status).toBe(200);
    expect(p1.body.slot).toMatchObject({
      status: { code: "proposed" },
      version: 1,
      startsAt: "2026-09-15T09:00:00+08:00",
      endsAt: "2026-09-15T12:00:00+08:00",
      proposedBy: { id: pair.court.id },
      restDay: false,
    });
    expect(p1.body.warnings).toEqual([]);
    // The other side's coordinator hears of it.
    expect(await noticesOf(guest.id, "meeting.slot_proposed")).toHaveLength(1);

    const own = await post(`/v1/meetings/${id}/slot/confirm`, host, { slotVersion: 1 });
    expectProblem(own, 403, "proposer_cannot_confirm");

    const p2 = await post(
      `/v1/meetings/${id}/slot`,
      guest,
      slot("2026-09-16T14:30:00+08:00", "2026-09-16T17:00:00+08:00"),
    );
    expect(p2.body.slot).toMatchObject({ version: 2, proposedBy: { id: pair.procuratorate.id } });
    expectProblem(
      await post(`/v1/meetings/${id}/slot/confirm`, guest, { slotVersion: 2 }),
      403,
      "proposer_cannot_confirm",
    );
    expectProblem(
      await post(`/v1/meetings/${id}/slot/confirm`, host, { slotVersion: 1 }),
      409,
      "slot_changed",
    );

    const ok = await post(`/v1/meetings/${id}/slot/confirm`, host, { slotVersion: 2 });
    expect(ok.status).toBe(200);
    expect(ok.body.status.code).toBe("scheduled");
    expect(ok.body.slot).toMatchObject({ status: { code: "confirmed" }, version: 2 });
    expect(await noticesOf(guest.id, "meeting.slot_confirmed")).toHaveLength(1);
    expectProblem(
      await post(`/v1/meetings/${id}/slot/confirm`, guest, { slotVersion: 2 }),
      409,
      "slot_already_confirmed",
    );
    expect(ok.body.timeline.map((e: any) => e.type)).toEqual([
      "slot_proposed",
      "slot_proposed",
      "slot_confirmed",
    ]);
    expect(ok.body.timeline[2].label).toEqual({ zh: "确认会议时间", en: "Time confirmed" });
  });

  it("of two concurrent confirmations of one version exactly one applies; each change has its webhook event", async () => {
    const id = await regularMeeting();
    await post(`/v1/meetings/${id}/slot`, pair.user("court", "coordinator"), slot());
    const results = await Promise.all(
      [pair.user("proc", "coordinator"), pair.user("proc", "leader")].map((as) =>
        post(`/v1/meetings/${id}/slot/confirm`, as, { slotVersion: 1 }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expectProblem(results.find((r) => r.status === 409)!, 409, "slot_already_confirmed");
    const detail = await t.request(`/v1/meetings/${id}`, { as: pair.user("court", "handler") });
    expect(detail.body.timeline.map((e: any) => e.type)).toEqual(["slot_proposed", "slot_confirmed"]);
    const hooks = await t.deps.db.all<{ type: string }>(
      sql`select type from webhook_events where subject_id = ${id} order by created_at, id`,
    );
    expect(hooks.map((h) => h.type)).toEqual(["meeting.slot_proposed", "meeting.slot_confirmed"]);
  });

  it("a new proposal after confirmation re-opens it (version + 1) and tells the invitees", async () => {
    const id = await regularMeeting();
    const host = pair.user("court", "coordinator");
    const guest = pair.user("proc", "coordinator");
    await post(`/v1/meetings/${id}/slot`, host, slot());
    await post(`/v1/meetings/${id}/slot/confirm`, guest, { slotVersion: 1 });
    const invitee = pair.user("proc", "handler");
    await post(`/v1/meetings/${id}/participants`, guest, { userIds: [invitee.id] });
    const moved = await post(
      `/v1/meetings/${id}/slot`,
      host,
      slot("2026-09-17T09:00:00+08:00", "2026-09-17T11:00:00+08:00"),
    );
    expect(moved.body).toMatchObject({
      status: { code: "planning" },
      slot: { version: 2, status: { code: "proposed" } },
    });
    expect(await noticesOf(invitee.id, "meeting.slot_changed")).toHaveLength(1);
  });

  it("accepts a slot on a public holiday with a rest_day warning", async () => {
    const id = await regularMeeting();
    const r = await post(
      `/v1/meetings/${id}/slot`,
      pair.user("court", "leader"),
      slot("2026-10-01T09:00:00+08:00", "2026-10-01T11:00:00+08:00"),
    );
    expect(r.status).toBe(200);
    expect(r.body.slot.restDay).toBe(true);
    expect(r.body.warnings).toHaveLength(1);
    expect(r.body.warnings[0]).toMatchObject({ code: "rest_day", date: "2026-10-01" });
    expect(r.body.warnings[0].label.zh).toContain("休息日");
    expect(r.body.warnings[0].name).toContain("国庆");
  });

  it("accepts a half-yearly meeting's slot outside its half-year with an outside_period warning", async () => {
    const id = await regularMeeting(); // 2026-H2
    const as = pair.user("court", "coordinator");
    // The last evening of the half-year, China time (already 2026-12-31 in UTC too): no warning.
    const inside = await post(
      `/v1/meetings/${id}/slot`,
      as,
      slot("2026-12-31T19:00:00+08:00", "2026-12-31T21:00:00+08:00"),
    );
    expect(inside.body.warnings.map((w: any) => w.code)).not.toContain("outside_period");
    // 00:30 on 2027-01-12 China time is still 2027-01-11 in UTC: the China date decides.
    const r = await post(`/v1/meetings/${id}/slot`, as, slot("2027-01-11T16:30:00Z", "2027-01-11T18:00:00Z"));
    expect(r.status).toBe(200);
    expect(r.body.slot.startsAt).toBe("2027-01-12T00:30:00+08:00");
    expect(r.body.warnings).toEqual([
      {
        code: "outside_period",
        label: {
          zh: "会议日期不在其所属周期(如所属半年度)内",
          en: "The meeting falls outside its period (e.g. the half-year it belongs to)",
        },
        date: "2027-01-12",
        name: null,
        period: "2026-H2",
      },
    ]);
    const listed = await t.request("/v1/meetings?kind=regular", { as });
    const row = listed.body.items.find((m: any) => m.id === id);
    expect(row.warnings.map((w: any) => w.code)).toEqual(["outside_period"]);
  });

  it("validates each field: end after start, start in the future, an https link, a place or a link", async () => {
    const id = await regularMeeting();
    const as = pair.user("court", "coordinator");
    const path = `/v1/meetings/${id}/slot`;
    const e1 = await post(path, as, slot("2026-09-15T09:00:00+08:00", "2026-09-15T08:00:00+08:00"));
    expectProblem(e1, 400, "validation_failed");
    expect(e1.body.errors.map((e: any) => e.path)).toEqual(["endsAt"]);
    const e2 = await post(path, as, slot("2026-08-15T09:00:00+08:00", "2026-08-15T10:00:00+08:00"));
    expect(e2.body.errors.map((e: any) => e.path)).toEqual(["startsAt"]);
    const e3 = await post(path, as, { ...slot(), place: undefined, onlineUrl: "http://meet.example.cn/1" });
    expect(e3.body.errors.map((e: any) => e.path)).toContain("onlineUrl");
    const e4 = await post(path, as, { startsAt: slot().startsAt, endsAt: slot().endsAt });
    expect(e4.body.errors.map((e: any) => e.path).sort()).toEqual(["onlineUrl", "place"]);
    const e5 = await post(path, as, { ...slot(), startsAt: "2026-09-15 09:00" });
    expect(e5.body.errors.map((e: any) => e.path)).toContain("startsAt");
    const [m] = await t.deps.db.select().from(meetings).where(eq(meetings.id, id));
    expect(m).toMatchObject({ slotVersion: 0, slotStatus: "none" });
  });

  it("bounds instants to the years 2000–2100: a year-10000 slot is refused per field and stores nothing", async () => {
    const id = await regularMeeting();
    const as = pair.user("court", "coordinator");
    const path = `/v1/meetings/${id}/slot`;
    const far = await post(path, as, slot("9999-12-31T20:00:00-12:00", "9999-12-31T22:00:00-12:00"));
    expectProblem(far, 400, "validation_failed");
    expect(far.body.errors.map((e: any) => e.path).sort()).toEqual(["endsAt", "startsAt"]);
    expect(far.body.errors[0].message).toContain("2000–2100");
    const end = await post(path, as, slot("2100-12-31T20:00:00+08:00", "2101-01-01T08:00:00+08:00"));
    expect(end.body.errors.map((e: any) => e.path)).toEqual(["endsAt"]);
    const [m] = await t.deps.db.select().from(meetings).where(eq(meetings.id, id));
    expect(m).toMatchObject({ slotVersion: 0, slotStatus: "none", startsAt: null });
    // The last instant of 2100 in China time is still fine.
    const ok = await post(path, as, slot("2100-12-31T20:00:00+08:00", "2100-12-31T23:59:59+08:00"));
    expect(ok.status).toBe(200);
    expect(ok.body.slot.startsAt).toBe("2100-12-31T20:00:00+08:00");
  });
});

describe("topics and the agenda", () => {
  it("either side proposes; the host decides; the agenda lists exactly the accepted topics in order", async () => {
    const id = await regularMeeting();
    const propose = (as: { id: string }, title: string, dept: string, key: string) =>
      post(
        `/v1/meetings/${id}/topics`,
        as,
        { field: "civil", title, description: `${title}的说明`, proposingDepartmentId: dept },
        { "idempotency-key": key },
      );
    const a = await propose(pair.user("proc", "handler"), "虚假诉讼线索移送", procDept(), `topic-a-${id}`);
    expect(a.status).toBe(201);
    expect(a.body.topic).toMatchObject({
      status: { code: "proposed" },
      field: { code: "civil", label: { zh: "民事" } },
      proposingOrg: { id: pair.procuratorate.id },
    });
    // The host's coordinator hears of a topic from the other side.
    expect(await noticesOf(pair.user("court", "coordinator").id, "meeting.topic_proposed")).not.toHaveLength(
      0,
    );

    const retry = await propose(
      pair.user("proc", "handler"),
      "虚假诉讼线索移送",
      procDept(),
      `topic-a-${id}`,
    );
    expect(retry.status).toBe(200);
    expect(retry.body.topic.id).toBe(a.body.topic.id);
    expect(await t.deps.db.select().from(meetingTopics).where(eq(meetingTopics.meetingId, id))).toHaveLength(
      1,
    );
    expectProblem(
      await propose(pair.user("proc", "handler"), "另一议题", procDept(), `topic-a-${id}`),
      409,
      "idempotency_key_reused",
    );
    const wrongDept = await propose(pair.user("proc", "handler"), "X", courtDept(), `topic-x-${id}`);
    expectProblem(wrongDept, 400, "validation_failed");
    expect(wrongDept.body.errors[0].path).toBe("proposingDepartmentId");

    const b = await propose(
      pair.user("court", "department_head"),
      "民事执行衔接",
      courtDept(),
      `topic-b-${id}`,
    );
    const c = await propose(pair.user("court", "handler"), "公益诉讼诉前程序", courtDept(), `topic-c-${id}`);
    const d = await propose(pair.user("proc", "handler"), "待定议题", procDept(), `topic-d-${id}`);
    const [ta, tb, tc, td] = [a, b, c, d].map((r) => r.body.topic.id as string) as [
      string,
      string,
      string,
      string,
    ];

    const decide = (as: { id: string }, topic: string, json: unknown) =>
      post(`/v1/meetings/${id}/topics/${topic}/decision`, as, json);
    const host = pair.user("court", "coordinator");
    expectProblem(await decide(pair.user("proc", "coordinator"), ta, { decision: "accept" }), 403);
    expectProblem(await decide(pair.user("court", "handler"), ta, { decision: "accept" }), 403);
    expect((await decide(host, ta, { decision: "accept" })).status).toBe(200);
    expectProblem(await decide(host, ta, { decision: "accept" }), 409, "already_accepted");
    expect((await decide(pair.user("court", "leader"), tb, { decision: "accept" })).status).toBe(200);
    const noReason = await decide(host, tc, { decision: "decline" });
    expectProblem(noReason, 400, "validation_failed");
    expect(noReason.body.errors[0].path).toBe("reason");
    expect(
      (await decide(host, tc, { decision: "decline", reason: "本次会议时间有限,下期讨论" })).status,
    ).toBe(200);
    expectProblem(await decide(host, "no-such-topic", { decision: "accept" }), 404);

    const agenda = (json: unknown) =>
      t.request(`/v1/meetings/${id}/agenda`, { method: "PUT", as: host, json });
    const missing = await agenda({ topicIds: [tb] });
    expectProblem(missing, 400, "validation_failed");
    expect(missing.body.errors[0]).toMatchObject({ path: "topicIds", code: "missing" });
    const extra = await agenda({ topicIds: [tb, ta, tc] });
    expectProblem(extra, 400, "validation_failed");
    expect(extra.body.errors[0]).toMatchObject({ path: "topicIds.2", code: "not_accepted" });
    expectProblem(
      await t.request(`/v1/meetings/${id}/agenda`, {
        method: "PUT",
        as: pair.user("proc", "coordinator"),
        json: { topicIds: [tb, ta] },
      }),
      403,
    );
    const ok = await agenda({ topicIds: [tb, ta] });
    expect(ok.status).toBe(200);
    expect(ok.body.topics.map((x: any) => [x.id, x.status.code, x.position])).toEqual([
      [tb, "accepted", 1],
      [ta, "accepted", 2],
      [td, "proposed", null],
      [tc, "declined", null],
    ]);
    expect(ok.body.topics[3].reason).toBe("本次会议时间有限,下期讨论");
    expect(ok.body.counts).toMatchObject({ topics: 4, accepted: 2 });
  });
});

describe("participants, observers, RSVP and attendance", () => {
  it("each side invites its own users by role, department or id; another institution's user is refused per item", async () => {
    const id = await regularMeeting();
    const court = pair.user("court", "coordinator");
    const r = await post(`/v1/meetings/${id}/participants`, court, {
      roles: ["leader"],
      departmentIds: [courtDept()],
      userIds: [pair.user("court", "registrar").id],
    });
    expect(r.status).toBe(200);
    const invited = r.body.participants.map((p: any) => p.user.id).sort();
    expect(invited).toEqual(
      [
        pair.user("court", "leader").id,
        pair.user("court", "registrar").id,
        pair.user("court", "handler").id,
        pair.user("court", "department_head").id,
      ].sort(),
    );
    expect(
      r.body.participants.every((p: any) => p.org.id === pair.court.id && p.rsvp.code === "pending"),
    ).toBe(true);
    expect(await noticesOf(pair.user("court", "leader").id, "meeting.invited")).toHaveLength(1);

    // Inviting again changes nothing: an invited user stays invited once.
    const again = await post(`/v1/meetings/${id}/participants`, court, { roles: ["leader"] });
    expect(again.status).toBe(200);
    expect(again.body.participants).toHaveLength(4);

    const bad = await post(`/v1/meetings/${id}/participants`, court, {
      userIds: [
        pair.user("court", "auditor").id,
        pair.user("proc", "handler").id,
        other.user("court", "handler").id,
      ],
    });
    expectProblem(bad, 400, "validation_failed");
    expect(bad.body.errors.map((e: any) => [e.path, e.code])).toEqual([
      ["userIds.1", "not_your_user"],
      ["userIds.2", "not_your_user"],
    ]);
    const depts = await post(`/v1/meetings/${id}/participants`, court, { departmentIds: [procDept()] });
    expect(depts.body.errors[0]).toMatchObject({ path: "departmentIds.0", code: "not_your_department" });
    const rows = await t.deps.db
      .select()
      .from(meetingParticipants)
      .where(eq(meetingParticipants.meetingId, id));
    expect(rows).toHaveLength(4);

    // The guest invites its own.
    const g = await post(`/v1/meetings/${id}/participants`, pair.user("proc", "leader"), {
      roles: ["leader"],
    });
    expect(g.body.participants).toHaveLength(5);
    expect(g.body.participants.at(-1)).toMatchObject({ org: { id: pair.procuratorate.id } });
  });

  it("observers (列席) are invited by the host, never become users, and are invited once", async () => {
    const id = await regularMeeting();
    const before = (await t.deps.db.select({ n: sql<number>`count(*)` }).from(users))[0]!.n;
    const observers = [
      { organization: "测试区委政法委", name: "张三", title: "副书记", contact: "0571-88888888" },
      { organization: "某大学法学院", name: "李四", title: "教授", contact: "lisi@univ.example" },
    ];
    expectProblem(
      await post(`/v1/meetings/${id}/participants`, pair.user("proc", "coordinator"), { observers }),
      403,
      "host_invites_observers",
    );
    const r = await post(`/v1/meetings/${id}/participants`, pair.user("court", "coordinator"), { observers });
    expect(r.status).toBe(200);
    expect(r.body.participants).toHaveLength(2);
    expect(r.body.participants[0]).toMatchObject({
      kind: { code: "observer" },
      user: null,
      org: { id: pair.court.id },
      observer: { organization: "测试区委政法委", name: "张三", contact: "0571-88888888" },
    });
    await post(`/v1/meetings/${id}/participants`, pair.user("court", "coordinator"), { observers });
    const rows = await t.deps.db
      .select()
      .from(meetingParticipants)
      .where(eq(meetingParticipants.meetingId, id));
    expect(rows).toHaveLength(2);
    expect(rows.every((p) => p.userId === null)).toBe(true);
    const after = (await t.deps.db.select({ n: sql<number>`count(*)` }).from(users))[0]!.n;
    expect(after).toBe(before);
    const named = await t.deps.db.select().from(users).where(eq(users.name, "张三"));
    expect(named).toHaveLength(0);
    // The guest sees the observers' contacts too (everyone who sees the meeting).
    const seen = await t.request(`/v1/meetings/${id}`, { as: pair.user("proc", "handler") });
    expect(seen.body.participants[1].observer.contact).toBe("lisi@univ.example");
  });

  it("an invitee answers; someone not invited gets 404; invitations are withdrawn by their own side", async () => {
    const id = await regularMeeting();
    await post(`/v1/meetings/${id}/participants`, pair.user("court", "coordinator"), { roles: ["leader"] });
    const m = await post(`/v1/meetings/${id}/participants`, pair.user("proc", "coordinator"), {
      roles: ["handler"],
    });
    expectProblem(
      await post(`/v1/meetings/${id}/rsvp`, pair.user("proc", "leader"), { response: "accepted" }),
      404,
      "not_invited",
    );
    const r = await post(`/v1/meetings/${id}/rsvp`, pair.user("proc", "handler"), {
      response: "tentative",
      note: "开庭冲突",
    });
    expect(r.status).toBe(200);
    const mine = r.body.participants.find((p: any) => p.user?.id === pair.user("proc", "handler").id);
    expect(mine).toMatchObject({ rsvp: { code: "tentative", label: { zh: "待定" } }, rsvpNote: "开庭冲突" });

    const courtLeader = m.body.participants.find(
      (p: any) => p.user?.id === pair.user("court", "leader").id,
    ).id;
    const del = (as: { id: string }, pid: string) =>
      t.request(`/v1/meetings/${id}/participants/${pid}`, { method: "DELETE", as });
    expectProblem(await del(pair.user("proc", "coordinator"), courtLeader), 403);
    expectProblem(await del(pair.user("court", "coordinator"), "no-such-participant"), 404);
    const ok = await del(pair.user("court", "coordinator"), courtLeader);
    expect(ok.status).toBe(200);
    expect(ok.body.participants.map((p: any) => p.id)).not.toContain(courtLeader);
    expect(ok.body.timeline.at(-1)).toMatchObject({
      type: "participant_removed",
      label: { en: "Invitation withdrawn" },
    });
  });

  it("attendance only after the slot has begun (409 before); it marks the meeting held and closes topics", async () => {
    const id = await regularMeeting();
    const host = pair.user("court", "coordinator");
    await post(
      `/v1/meetings/${id}/slot`,
      host,
      slot("2026-09-10T09:00:00+08:00", "2026-09-10T11:00:00+08:00"),
    );
    const attendance = (json: unknown, as = host) => post(`/v1/meetings/${id}/attendance`, as, json);
    expectProblem(await attendance({ entries: [] }), 409, "not_scheduled");
    await post(`/v1/meetings/${id}/slot/confirm`, pair.user("proc", "coordinator"), { slotVersion: 1 });
    const inv = await post(`/v1/meetings/${id}/participants`, host, {
      roles: ["leader"],
      observers: [{ organization: "测试区司法局", name: "王五" }],
    });
    const [leader, observer] = inv.body.participants.map((p: any) => p.id);
    expectProblem(
      await attendance({ entries: [{ participantId: leader, attended: true }] }),
      409,
      "not_started",
    );
    try {
      t.clock.set("2026-09-10T01:30:00Z"); // 09:30 China time: the meeting has begun
      expectProblem(await attendance({ entries: [] }, pair.user("proc", "coordinator")), 403);
      const bad = await attendance({ entries: [{ participantId: "nobody", attended: true }] });
      expectProblem(bad, 400, "validation_failed");
      expect(bad.body.errors[0].path).toBe("entries.0.participantId");
      const ok = await attendance({
        entries: [
          { participantId: leader, attended: true },
          { participantId: observer, attended: false },
        ],
      });
      expect(ok.status).toBe(200);
      expect(ok.body.status.code).toBe("held");
      expect(ok.body.participants.map((p: any) => p.attended)).toEqual([true, false]);
      expectProblem(
        await post(
          `/v1/meetings/${id}/topics`,
          pair.user("court", "handler"),
          { field: "criminal", title: "迟到的议题", proposingDepartmentId: courtDept() },
          { "idempotency-key": `late-topic-${id}` },
        ),
        409,
        "topics_closed",
      );
      expectProblem(await post(`/v1/meetings/${id}/cancel`, host, { reason: "x" }), 409, "meeting_held");
    } finally {
      t.clock.set(START);
    }
  });
});

describe("POST /v1/meetings/{id}/cancel", () => {
  it("the host cancels before the meeting is held; the invitees are told; nothing else changes it after", async () => {
    const id = await regularMeeting(pair, "procuratorate");
    await post(`/v1/meetings/${id}/participants`, pair.user("court", "coordinator"), { roles: ["handler"] });
    expectProblem(
      await post(`/v1/meetings/${id}/cancel`, pair.user("court", "leader"), { reason: "x" }),
      403,
    );
    const r = await post(`/v1/meetings/${id}/cancel`, pair.user("proc", "leader"), {
      reason: "因疫情防控取消",
    });
    expect(r.status).toBe(200);
    expect(r.body.status.code).toBe("cancelled");
    expect(r.body.timeline.at(-1)).toMatchObject({ type: "cancelled", note: "因疫情防控取消" });
    expect(await noticesOf(pair.user("court", "handler").id, "meeting.cancelled")).toHaveLength(1);
    expectProblem(
      await post(`/v1/meetings/${id}/slot`, pair.user("proc", "coordinator"), slot()),
      409,
      "meeting_cancelled",
    );
  });
});

describe("once the meeting has begun", () => {
  /** A regular meeting of the pair, its slot (09:00–11:00 China time on 09-10) confirmed. */
  async function confirmedMeeting() {
    const id = await regularMeeting();
    await post(
      `/v1/meetings/${id}/slot`,
      pair.user("court", "coordinator"),
      slot("2026-09-10T09:00:00+08:00", "2026-09-10T11:00:00+08:00"),
    );
    const c = await post(`/v1/meetings/${id}/slot/confirm`, pair.user("proc", "coordinator"), {
      slotVersion: 1,
    });
    expect(c.body.status.code).toBe("scheduled");
    return id;
  }
  const begun = "2026-09-10T01:30:00Z"; // 09:30 China time

  it("cancel is refused: 409 meeting_started after the start, 409 under_signature while the minutes are signed", async () => {
    const id = await confirmedMeeting();
    const host = pair.user("court", "coordinator");
    try {
      t.clock.set(begun);
      expectProblem(await post(`/v1/meetings/${id}/cancel`, host, { reason: "x" }), 409, "meeting_started");
      const minutes = await t.request(`/v1/meetings/${id}/minutes`, {
        method: "PUT",
        as: host,
        json: {
          text: "纪要",
          measures: [{ title: "措施", ownerOrgId: pair.court.id, dueOn: "2026-12-31" }],
        },
      });
      expect(minutes.status).toBe(200);
      const submitted = await t.request(`/v1/meetings/${id}/minutes/submit`, { method: "POST", as: host });
      const round = submitted.body.cosignature.id;
      expectProblem(await post(`/v1/meetings/${id}/cancel`, host, { reason: "x" }), 409, "under_signature");
      // The detail embeds the minutes' round as /v1/cosignatures answers it.
      const leader = pair.user("court", "leader");
      const detail = await t.request(`/v1/meetings/${id}`, { as: leader });
      const { timeline: _, ...shape } = (await t.request(`/v1/cosignatures/${round}`, { as: leader })).body;
      expect(detail.body.minutes).toMatchObject({ version: 1, cosignature: shape });
      expect(detail.body.minutes.cosignature).toMatchObject({
        status: { code: "open", label: { zh: "会签中" } },
        subject: { type: { code: "meeting_minutes" } },
        awaitingMe: true,
      });
      for (const side of ["court", "proc"] as const)
        expect((await post(`/v1/cosignatures/${round}/sign`, pair.user(side, "leader"), {})).status).toBe(
          200,
        );
      const after = await t.request(`/v1/meetings/${id}`, { as: host });
      expect(after.body.status.code).toBe("minuted");
      expect(after.body.actionItems.count).toBe(1);
      expect(after.body.timeline.map((e: any) => e.type)).not.toContain("cancelled");
    } finally {
      t.clock.set(START);
    }
  });

  it("slot proposals, topics, the agenda, invitations and RSVPs are refused (409 meeting_started); attendance is not", async () => {
    const id = await confirmedMeeting();
    const host = pair.user("court", "coordinator");
    const guest = pair.user("proc", "coordinator");
    await post(`/v1/meetings/${id}/participants`, guest, { roles: ["leader"] });
    const topic = await post(
      `/v1/meetings/${id}/topics`,
      pair.user("proc", "handler"),
      { field: "civil", title: "会前议题", proposingDepartmentId: procDept() },
      { "idempotency-key": `begun-topic-${id}` },
    );
    const tid = topic.body.topic.id;
    try {
      t.clock.set(begun);
      const late = "2026-09-20T09:00:00+08:00";
      const refused: [string, { id: string }, unknown, Record<string, string>?][] = [
        [`/slot`, guest, slot(late, "2026-09-20T10:00:00+08:00")],
        [`/slot`, host, slot(late, "2026-09-20T10:00:00+08:00")],
        [
          `/topics`,
          pair.user("court", "handler"),
          { field: "criminal", title: "会中议题", proposingDepartmentId: courtDept() },
          { "idempotency-key": `begun-topic-2-${id}` },
        ],
        [`/topics/${tid}/decision`, host, { decision: "accept" }],
        [`/participants`, host, { roles: ["handler"] }],
        [`/rsvp`, pair.user("proc", "leader"), { response: "declined" }],
      ];
      for (const [path, as, json, headers] of refused) {
        const r = await post(`/v1/meetings/${id}${path}`, as, json, headers);
        try {
          expectProblem(r, 409, "meeting_started");
        } catch (e) {
          throw new Error(`${path}: ${(e as Error).message}`);
        }
      }
      expectProblem(
        await t.request(`/v1/meetings/${id}/agenda`, { method: "PUT", as: host, json: { topicIds: [] } }),
        409,
        "meeting_started",
      );
      // A retry of a topic proposed before the start still answers that topic.
      const retry = await post(
        `/v1/meetings/${id}/topics`,
        pair.user("proc", "handler"),
        { field: "civil", title: "会前议题", proposingDepartmentId: procDept() },
        { "idempotency-key": `begun-topic-${id}` },
      );
      expect(retry.status).toBe(200);
      const m = await t.request(`/v1/meetings/${id}`, { as: host });
      expect(m.body).toMatchObject({
        status: { code: "scheduled" },
        slot: { version: 1, status: { code: "confirmed" } },
      });
      expect(m.body.participants.map((p: any) => p.rsvp.code)).toEqual(["pending"]);
      expect(m.body.topics.map((x: any) => x.status.code)).toEqual(["proposed"]);
      const held = await post(`/v1/meetings/${id}/attendance`, host, {
        entries: [{ participantId: m.body.participants[0].id, attended: true }],
      });
      expect(held.status).toBe(200);
      expect(held.body.status.code).toBe("held");
    } finally {
      t.clock.set(START);
    }
  });

  it("the slot is final once minutes exist (409 minutes_exist), and after the start with minutes under signature", async () => {
    const id = await confirmedMeeting();
    const host = pair.user("court", "coordinator");
    const guest = pair.user("proc", "coordinator");
    const draft = {
      text: "会前起草的纪要",
      measures: [{ title: "措施", ownerOrgId: pair.procuratorate.id, dueOn: "2026-12-31" }],
    };
    expect(
      (await t.request(`/v1/meetings/${id}/minutes`, { method: "PUT", as: host, json: draft })).status,
    ).toBe(200);
    const later = slot("2026-09-20T09:00:00+08:00", "2026-09-20T10:00:00+08:00");
    expectProblem(await post(`/v1/meetings/${id}/slot`, guest, later), 409, "minutes_exist");
    try {
      t.clock.set(begun);
      const submitted = await t.request(`/v1/meetings/${id}/minutes/submit`, { method: "POST", as: host });
      expect(submitted.status).toBe(201);
      expectProblem(await post(`/v1/meetings/${id}/slot`, guest, later), 409, "meeting_started");
      for (const side of ["court", "proc"] as const)
        await post(`/v1/cosignatures/${submitted.body.cosignature.id}/sign`, pair.user(side, "leader"), {});
      const m = await t.request(`/v1/meetings/${id}`, { as: host });
      expect(m.body).toMatchObject({
        status: { code: "minuted" },
        slot: { version: 1, status: { code: "confirmed" }, startsAt: "2026-09-10T09:00:00+08:00" },
        actionItems: { count: 1 },
      });
    } finally {
      t.clock.set(START);
    }
  });
});

describe("GET /v1/meetings", () => {
  it("lists the pair's meetings with filters and an updatedSince sync cursor", async () => {
    const p = await t.pair();
    const m1 = await regularMeeting(p);
    const mark = t.clock.now().toISOString();
    t.clock.advance(1000);
    const m2 = await regularMeeting(p);
    try {
      const as = p.user("proc", "handler");
      const all = await t.request("/v1/meetings", { as });
      expect(all.status).toBe(200);
      expect(all.body.items.map((m: any) => m.id)).toEqual([m2, m1]);
      const page = await t.request("/v1/meetings?limit=1", { as });
      expect(page.body.items.map((m: any) => m.id)).toEqual([m2]);
      const next = await t.request(`/v1/meetings?limit=1&cursor=${page.body.nextCursor}`, { as });
      expect(next.body.items.map((m: any) => m.id)).toEqual([m1]);
      expect(next.body.nextCursor).toBeNull();

      t.clock.advance(1000);
      await post(`/v1/meetings/${m1}/participants`, p.user("court", "coordinator"), { roles: ["leader"] });
      const since = await t.request(`/v1/meetings?updatedSince=${encodeURIComponent(mark)}`, { as });
      expect(since.body.items.map((m: any) => m.id)).toEqual([m2, m1]);
      const later = new Date(t.clock.now().getTime() - 500).toISOString();
      const changed = await t.request(`/v1/meetings?updatedSince=${encodeURIComponent(later)}`, { as });
      expect(changed.body.items.map((m: any) => m.id)).toEqual([m1]);

      expect((await t.request("/v1/meetings?status=cancelled", { as })).body.items).toEqual([]);
      expect((await t.request("/v1/meetings?kind=regular&year=2026", { as })).body.items).toHaveLength(2);
      expect((await t.request("/v1/meetings?year=2027", { as })).body.items).toHaveLength(0);
      expectProblem(await t.request("/v1/meetings?status=bogus", { as }), 400, "validation_failed");
      // Nobody outside the pair lists them.
      for (const outsider of [other.user("court", "coordinator"), city.user("court", "leader")]) {
        const ids = (await t.request("/v1/meetings", { as: outsider })).body.items.map((m: any) => m.id);
        expect(ids).not.toContain(m1);
      }
    } finally {
      t.clock.set(START);
    }
  });
});

describe("GET /v1/meetings?updatedSince", () => {
  it("compares instants: a whole second includes a change later in that second; an offset is accepted", async () => {
    const p = await t.pair();
    try {
      t.clock.set("2026-09-01T02:00:05.507Z");
      const id = await regularMeeting(p);
      const as = p.user("proc", "handler");
      const since = async (at: string) => {
        const r = await t.request(`/v1/meetings?updatedSince=${encodeURIComponent(at)}`, { as });
        expect(r.status).toBe(200);
        return r.body.items.map((m: any) => m.id);
      };
      expect(await since("2026-09-01T02:00:05Z")).toEqual([id]);
      expect(await since("2026-09-01T10:00:05+08:00")).toEqual([id]);
      expect(await since("2026-09-01T10:00:05.507+08:00")).toEqual([]);
      expect(await since("2026-09-01T10:00:06+08:00")).toEqual([]);
      const far = await t.request(
        `/v1/meetings?updatedSince=${encodeURIComponent("9999-12-31T20:00:00-12:00")}`,
        {
          as,
        },
      );
      expectProblem(far, 400, "validation_failed");
    } finally {
      t.clock.set(START);
    }
  });

  it("answers 400, not 500, to an updatedSince that is no instant, on every sync list", async () => {
    const as = pair.user("proc", "handler");
    for (const list of [
      "/v1/meetings",
      "/v1/referrals",
      "/v1/reports",
      "/v1/risk-alerts",
      "/v1/mediations",
      "/v1/typical-cases",
      "/v1/case-records",
    ])
      for (const bad of ["garbage", "2026-13-45T99:00:00Z"]) {
        const r = await t.request(`${list}?updatedSince=${encodeURIComponent(bad)}`, { as });
        expectProblem(r, 400, "validation_failed");
      }
  });
});

describe("tenancy: a meeting is seen by its host and guest only", () => {
  it("answers 404 on every route to a user of another pair and to the level above", async () => {
    const id = await regularMeeting();
    await post(`/v1/meetings/${id}/slot`, pair.user("court", "coordinator"), slot());
    const inv = await post(`/v1/meetings/${id}/participants`, pair.user("court", "coordinator"), {
      roles: ["leader"],
    });
    const pid = inv.body.participants[0].id;
    const top = await post(
      `/v1/meetings/${id}/topics`,
      pair.user("court", "handler"),
      { field: "criminal", title: "T", proposingDepartmentId: courtDept() },
      { "idempotency-key": `tenancy-topic-${id}` },
    );
    const tid = top.body.topic.id;
    const routes: [string, string, unknown?][] = [
      ["GET", `/v1/meetings/${id}`],
      ["POST", `/v1/meetings/${id}/slot`, slot()],
      ["POST", `/v1/meetings/${id}/slot/confirm`, { slotVersion: 1 }],
      [
        "POST",
        `/v1/meetings/${id}/topics`,
        { field: "civil", title: "X", proposingDepartmentId: courtDept(other) },
      ],
      ["POST", `/v1/meetings/${id}/topics/${tid}/decision`, { decision: "accept" }],
      ["PUT", `/v1/meetings/${id}/agenda`, { topicIds: [] }],
      ["POST", `/v1/meetings/${id}/participants`, { roles: ["leader"] }],
      ["DELETE", `/v1/meetings/${id}/participants/${pid}`],
      ["POST", `/v1/meetings/${id}/rsvp`, { response: "accepted" }],
      ["POST", `/v1/meetings/${id}/attendance`, { entries: [] }],
      ["POST", `/v1/meetings/${id}/cancel`, { reason: "x" }],
    ];
    const outsiders = [
      other.user("court", "coordinator"),
      other.user("proc", "leader"),
      city.user("court", "leader"),
      city.user("proc", "coordinator"),
    ];
    for (const as of outsiders)
      for (const [method, path, json] of routes) {
        const r = await t.request(path, {
          method,
          as,
          json,
          headers: { "idempotency-key": `outsider-${as.id}` },
        });
        try {
          expectProblem(r, 404);
        } catch (e) {
          throw new Error(`${method} ${path} as ${as.id}: ${(e as Error).message}`);
        }
      }
    // Nothing changed.
    const [m] = await t.deps.db.select().from(meetings).where(eq(meetings.id, id));
    expect(m).toMatchObject({ status: "planning", slotVersion: 1 });
  });
});

describe("the meeting detail", () => {
  it("shows host and guest, the slot, topics, participants, minutes, approval, action items and the timeline", async () => {
    const id = await regularMeeting();
    const r = await t.request(`/v1/meetings/${id}`, { as: pair.user("proc", "auditor") });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id,
      kind: { code: "regular", label: { zh: "法检联席会议(半年度)" } },
      status: { code: "planning", label: { en: "Planning" } },
      host: { id: pair.court.id, name: pair.court.name, kind: { code: "court", label: { zh: "人民法院" } } },
      guest: { id: pair.procuratorate.id },
      slot: { status: { code: "none" }, version: 0, startsAt: null, proposedBy: null },
      special: null,
      topics: [],
      participants: [],
      minutes: null,
      approval: null,
      actionItems: { count: 0 },
      timeline: [],
    });
  });
});

describe("a regular meeting of the half-yearly cycle", () => {
  it("is created by the cycle job and arranged through the same routes", async () => {
    await runSeries(t.deps, t.clock.now());
    const as = pair.user("proc", "coordinator");
    const list = await t.request("/v1/meetings?kind=regular&status=planning", { as });
    const cycle = list.body.items.find((m: any) => m.seriesId);
    expect(cycle).toMatchObject({
      kind: { code: "regular" },
      period: "2026-H2",
      status: { code: "planning" },
    });
    const host = cycle.host.id === pair.court.id ? "court" : "proc";
    const guest = host === "court" ? "proc" : "court";
    const p = await post(`/v1/meetings/${cycle.id}/slot`, pair.user(host, "coordinator"), slot());
    expect(p.status).toBe(200);
    const c = await post(`/v1/meetings/${cycle.id}/slot/confirm`, pair.user(guest, "coordinator"), {
      slotVersion: 1,
    });
    expect(c.body.status.code).toBe("scheduled");
    // The city pair's meeting is not the basic pair's business, nor the reverse.
    expectProblem(
      await t.request(`/v1/meetings/${cycle.id}`, { as: city.user("court", "coordinator") }),
      404,
    );
  });
});
