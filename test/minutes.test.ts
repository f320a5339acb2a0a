// Minutes of a joint meeting (会议纪要): drafted by the host, co-signed by both leaders, then locked;
// the agreed measures become action items. Through the real app and real libSQL; meetings are written
// straight into the database (the meetings routes are another module's).
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;

let t: TestApp;
let p: Pair;
let other: Pair;

beforeAll(async () => {
  t = await setup(); // 2026-09-01T10:00+08:00
  p = await t.pair();
  other = await t.pair();
});

/** A meeting of the pair hosted by the court (status and start given). */
async function meeting(status = "scheduled", startsAt = "2026-08-28T09:00:00+08:00") {
  const id = t.deps.ids();
  const now = t.clock.now().toISOString();
  await t.deps.db.run(sql`insert into meetings (id, jurisdiction_id, kind, host_org_id, guest_org_id, title,
      status, starts_at, slot_status, slot_version, created_at, updated_at)
    values (${id}, ${p.jurisdiction.id}, 'regular', ${p.court.id}, ${p.procuratorate.id},
      '2026年下半年法检联席会议', ${status}, ${startsAt}, 'confirmed', 1, ${now}, ${now})`);
  return id;
}

const draft = () => ({
  text: "一、双方就民事抗诉案件办理中的共性问题达成共识。",
  measures: [
    {
      title: "建立民事检察监督案件信息共享机制",
      ownerOrgId: p.procuratorate.id,
      ownerDepartmentId: p.dept(p.procuratorate.id, "第六检察部(民事检察)").id,
      dueOn: "2026-12-31",
    },
    { title: "统一民事再审案件裁判尺度", ownerOrgId: p.court.id, dueOn: "2026-11-30" },
  ],
});

const put = (id: string, as: { id: string }, json: unknown = draft()) =>
  t.request(`/v1/meetings/${id}/minutes`, { method: "PUT", as, json });
const submit = (id: string, as = p.user("court", "coordinator")) =>
  t.request(`/v1/meetings/${id}/minutes/submit`, { method: "POST", as });
const sign = (cosignId: string, as: { id: string }) =>
  t.request(`/v1/cosignatures/${cosignId}/sign`, { method: "POST", as, json: {} });
const count = async (q: ReturnType<typeof sql>) => (await t.deps.db.all<{ n: number }>(q))[0]!.n;

describe("PUT /v1/meetings/{id}/minutes", () => {
  it("drafts a version, bumps it on change, and keeps it on an identical retry", async () => {
    const id = await meeting();
    const first = await put(id, p.user("court", "coordinator"));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      meetingId: id,
      version: 1,
      locked: false,
      underSignature: false,
      cosignature: null,
      draftedBy: { id: p.user("court", "coordinator").id },
    });
    expect(first.body.measures[0]).toMatchObject({
      position: 0,
      ownerOrg: { id: p.procuratorate.id, name: p.procuratorate.name },
      ownerDepartment: { name: "第六检察部(民事检察)" },
      dueOn: "2026-12-31",
    });
    expect(first.body.measures[1].ownerDepartment).toBeNull();
    // The content hash is sha-256 of exactly what is stored.
    const stored = {
      text: draft().text,
      measures: draft().measures.map((m) => ({ ownerDepartmentId: null, ...m })),
    };
    const canonical = JSON.stringify({
      text: stored.text,
      measures: stored.measures.map((m) => ({
        title: m.title,
        ownerOrgId: m.ownerOrgId,
        ownerDepartmentId: m.ownerDepartmentId,
        dueOn: m.dueOn,
      })),
    });
    expect(first.body.contentHash).toBe(createHash("sha256").update(canonical).digest("hex"));

    const again = await put(id, p.user("court", "leader"));
    expect(again.body.version).toBe(1);
    const changed = await put(id, p.user("court", "leader"), { ...draft(), text: "一、修改后的纪要。" });
    expect(changed.body).toMatchObject({ version: 2, text: "一、修改后的纪要。" });
    expect(changed.body.contentHash).not.toBe(first.body.contentHash);

    const got = await t.request(`/v1/meetings/${id}/minutes`, { as: p.user("proc", "handler") });
    expect(got.status).toBe(200);
    expect(got.body.version).toBe(2);
    const events = await t.deps.db.all<{ type: string }>(
      sql`select type from subject_events where subject_id = ${id} order by at, id`,
    );
    expect(events.map((e) => e.type)).toEqual(["minutes_drafted", "minutes_drafted"]);
  });

  it("is the host's: the guest 403, a host handler 403, an outsider 404 on every minutes route", async () => {
    const id = await meeting();
    expectProblem(await put(id, p.user("proc", "coordinator")), 403, "forbidden");
    expectProblem(await put(id, p.user("court", "handler")), 403, "forbidden");
    for (const as of [other.user("court", "coordinator"), other.user("proc", "leader")]) {
      expectProblem(await put(id, as), 404, "not_found");
      expectProblem(await t.request(`/v1/meetings/${id}/minutes`, { as }), 404, "not_found");
      expectProblem(await submit(id, as), 404, "not_found");
    }
    expectProblem(
      await t.request(`/v1/meetings/${id}/minutes`, { as: p.user("court", "handler") }),
      404,
      "no_minutes",
    );
    expect(await count(sql`select count(*) as n from meeting_minutes where meeting_id = ${id}`)).toBe(0);
  });

  it("answers per-field errors: owner not of the meeting, department not the owner's, due date not after today", async () => {
    const id = await meeting();
    const d = draft();
    const res = await put(id, p.user("court", "coordinator"), {
      text: d.text,
      measures: [
        { ...d.measures[0], ownerOrgId: other.procuratorate.id },
        { ...d.measures[1], ownerDepartmentId: p.dept(p.procuratorate.id, "第六检察部(民事检察)").id },
        { ...d.measures[1], dueOn: "2026-09-01" },
        { ...d.measures[1], dueOn: "2026-02-30" },
      ],
    });
    expectProblem(res, 400, "validation_failed");
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(["measures.3.dueOn"]);
    const res2 = await put(id, p.user("court", "coordinator"), {
      text: d.text,
      measures: [
        { ...d.measures[0], ownerOrgId: other.procuratorate.id },
        { ...d.measures[1], ownerDepartmentId: p.dept(p.procuratorate.id, "第六检察部(民事检察)").id },
        { ...d.measures[1], dueOn: "2026-09-01" },
        d.measures[1],
      ],
    });
    expectProblem(res2, 400, "validation_failed");
    expect(res2.body.errors.map((e: { path: string; code: string }) => [e.path, e.code])).toEqual([
      ["measures.0.ownerOrgId", "not_a_meeting_org"],
      ["measures.1.ownerDepartmentId", "not_of_owner"],
      ["measures.2.dueOn", "not_future"],
    ]);
    expect(await count(sql`select count(*) as n from meeting_minutes where meeting_id = ${id}`)).toBe(0);
    // Without measures is fine (a meeting may agree on nothing to track).
    const none = await put(id, p.user("court", "coordinator"), { text: d.text, measures: [] });
    expect(none.status).toBe(200);
    expect(none.body.measures).toEqual([]);
  });

  it("refuses a due date after 2100-12-31 (400 per measure)", async () => {
    const id = await meeting();
    const d = draft();
    const r = await put(id, p.user("court", "coordinator"), {
      ...d,
      measures: [d.measures[0], { ...d.measures[1], dueOn: "9999-12-31" }],
    });
    expectProblem(r, 400, "validation_failed");
    expect(r.body.errors.map((e: any) => e.path)).toEqual(["measures.1.dueOn"]);
    expect(await count(sql`select count(*) as n from meeting_minutes where meeting_id = ${id}`)).toBe(0);
  });

  it("waits for the meeting to be scheduled or held", async () => {
    const id = await meeting("planning", "2026-10-20T09:00:00+08:00");
    expectProblem(await put(id, p.user("court", "coordinator")), 409, "meeting_not_ready");
  });
});

describe("POST /v1/meetings/{id}/minutes/submit and the signing that follows", () => {
  it("opens a round of both leaders over the version's hash; edits 409 under_signature; a repeat is a replay", async () => {
    const id = await meeting();
    const drafted = await put(id, p.user("court", "coordinator"));
    const res = await submit(id);
    expect(res.status).toBe(201);
    const round = res.body.cosignature;
    expect(res.headers.get("location")).toBe(`/v1/cosignatures/${round.id}`);
    expect(round).toMatchObject({
      round: 1,
      status: { code: "open" },
      contentHash: drafted.body.contentHash,
      subject: { type: { code: "meeting_minutes" }, id, href: `/v1/meetings/${id}/minutes` },
    });
    expect(round.parties.map((x: any) => [x.org.id, x.role.code, x.decision])).toEqual([
      [p.court.id, "leader", null],
      [p.procuratorate.id, "leader", null],
    ]);
    expect(res.body.underSignature).toBe(true);
    expectProblem(
      await put(id, p.user("court", "coordinator"), { ...draft(), text: "改" }),
      409,
      "under_signature",
    );
    const again = await submit(id);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.cosignature.id).toBe(round.id);
    expect(await count(sql`select count(*) as n from cosignatures where subject_id = ${id}`)).toBe(1);
    // Both leaders are asked to sign.
    const asked = await t.deps.db.all<{ userId: string }>(
      sql`select user_id as userId from notifications where subject_id = ${round.id} and kind = 'cosign.opened'
        order by user_id`,
    );
    expect(asked.map((a) => a.userId).sort()).toEqual(
      [p.user("court", "leader").id, p.user("proc", "leader").id].sort(),
    );
  });

  it("refuses before the meeting began, and without minutes", async () => {
    const future = await meeting("scheduled", "2026-10-20T09:00:00+08:00");
    expectProblem(await submit(future), 409, "no_minutes");
    expect((await put(future, p.user("court", "coordinator"))).status).toBe(200);
    expectProblem(await submit(future), 409, "meeting_not_held");
    expectProblem(await submit(future, p.user("proc", "coordinator")), 403, "forbidden");
    expect(await count(sql`select count(*) as n from cosignatures where subject_id = ${future}`)).toBe(0);
  });

  it("both leaders at once: signed once, action items once, meeting minuted, then every edit 409 locked", async () => {
    const id = await meeting("held");
    await put(id, p.user("court", "coordinator"));
    const round = (await submit(id)).body.cosignature;
    const [a, b] = await Promise.all([
      sign(round.id, p.user("court", "leader")),
      sign(round.id, p.user("proc", "leader")),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.status.code, b.body.status.code].sort()).toEqual(["open", "signed"]);

    const items = await t.deps.db.all<{
      position: number;
      title: string;
      status: string;
      dueOn: string;
      v: number;
    }>(
      sql`select position, title, status, due_on as dueOn, deadline_version as v from action_items
        where meeting_id = ${id} order by position`,
    );
    expect(items).toEqual([
      { position: 0, title: "建立民事检察监督案件信息共享机制", status: "open", dueOn: "2026-12-31", v: 1 },
      { position: 1, title: "统一民事再审案件裁判尺度", status: "open", dueOn: "2026-11-30", v: 1 },
    ]);
    expect(
      await count(sql`select count(*) as n from subject_events where subject_type = 'action_item' and type = 'created'
        and subject_id in (select id from action_items where meeting_id = ${id})`),
    ).toBe(2);
    expect(
      await count(
        sql`select count(*) as n from subject_events where subject_id = ${id} and type = 'cosign_completed'`,
      ),
    ).toBe(1);
    expect(
      await count(
        sql`select count(*) as n from notifications where kind = 'meeting.minutes_signed' and subject_id = ${id}`,
      ),
    ).toBe(2); // both coordinators, once each

    const got = await t.request(`/v1/meetings/${id}/minutes`, { as: p.user("proc", "coordinator") });
    expect(got.body).toMatchObject({
      meetingStatus: { code: "minuted" },
      locked: true,
      underSignature: false,
    });
    expect(got.body.cosignature.parties.map((x: any) => x.signer.name).sort()).toEqual(
      [p.user("court", "leader").name, p.user("proc", "leader").name].sort(),
    );
    expectProblem(await put(id, p.user("court", "coordinator"), { ...draft(), text: "改" }), 409, "locked");
    expectProblem(await put(id, p.user("court", "leader")), 409, "locked");
    expectProblem(await submit(id), 409, "locked");

    // A retried signature after success changes nothing.
    expectProblem(await sign(round.id, p.user("proc", "leader")), 409, "already_decided");
    expect(await count(sql`select count(*) as n from action_items where meeting_id = ${id}`)).toBe(2);
  });

  it("a refusal reopens the minutes: the host redrafts and resubmits as round 2", async () => {
    const id = await meeting();
    await put(id, p.user("court", "coordinator"));
    const r1 = (await submit(id)).body.cosignature;
    const refused = await t.request(`/v1/cosignatures/${r1.id}/refuse`, {
      method: "POST",
      as: p.user("proc", "leader"),
      json: { reason: "第二项措施的期限过短。" },
    });
    expect(refused.status).toBe(200);
    expect(refused.body.status.code).toBe("refused");
    const timeline = await t.deps.db.all<{ type: string; note: string | null }>(
      sql`select type, note from subject_events where subject_id = ${id} order by at, id`,
    );
    expect(timeline.map((e) => e.type)).toEqual(["minutes_drafted", "cosign_opened", "refused"]);
    expect(timeline[2]!.note).toBe("第二项措施的期限过短。");
    const d = draft();
    const redrafted = await put(id, p.user("court", "coordinator"), {
      ...d,
      measures: [d.measures[0], { ...d.measures[1], dueOn: "2027-01-31" }],
    });
    expect(redrafted.body).toMatchObject({ version: 2, underSignature: false, locked: false });
    const r2 = await submit(id);
    expect(r2.status).toBe(201);
    expect(r2.body.cosignature).toMatchObject({ round: 2, contentHash: redrafted.body.contentHash });
    expect(await count(sql`select count(*) as n from action_items where meeting_id = ${id}`)).toBe(0);
  });

  it("signed minutes of a meeting no longer scheduled or held (cancelled): no action items, no minuted (defence in depth)", async () => {
    const id = await meeting("held");
    await put(id, p.user("court", "coordinator"));
    const round = (await submit(id)).body.cosignature;
    // A cancellation that slipped past its guards while the minutes were being signed.
    await t.deps.db.run(sql`update meetings set status = 'cancelled' where id = ${id}`);
    expect((await sign(round.id, p.user("court", "leader"))).status).toBe(200);
    const last = await sign(round.id, p.user("proc", "leader"));
    expect(last.body.status.code).toBe("signed");
    expect(await count(sql`select count(*) as n from action_items where meeting_id = ${id}`)).toBe(0);
    expect(
      await count(sql`select count(*) as n from meetings where id = ${id} and status = 'cancelled'`),
    ).toBe(1);
    expect(
      await count(sql`select count(*) as n from subject_events where subject_id = ${id}
        and type = 'cosign_completed'`),
    ).toBe(0);
    expect(
      await count(sql`select count(*) as n from notifications where subject_id = ${id}
        and kind = 'meeting.minutes_signed'`),
    ).toBe(0);
  });
});
