// The co-signature mechanism (会签, ADR 0008) through its routes: who may sign, decisions final,
// refusals with reasons, completion exactly once with the subject's hooks, the caller's lists.
// Rounds are opened over minutes (the first subject type) and over special meetings (opened straight
// through openCosign, as the meetings module does); meetings are fixture rows.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { cosignOpened, openCosign } from "../src/cosign/cosign";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;

let t: TestApp;
let p: Pair;
let other: Pair;

beforeAll(async () => {
  t = await setup();
  p = await t.pair();
  other = await t.pair();
});

async function meeting(status = "held", kind = "regular") {
  const id = t.deps.ids();
  const now = t.clock.now().toISOString();
  await t.deps.db.run(sql`insert into meetings (id, jurisdiction_id, kind, host_org_id, guest_org_id, title,
      status, starts_at, slot_status, slot_version, created_at, updated_at)
    values (${id}, ${p.jurisdiction.id}, ${kind}, ${p.court.id}, ${p.procuratorate.id}, '联席会议',
      ${status}, '2026-08-28T09:00:00+08:00', 'confirmed', 1, ${now}, ${now})`);
  return id;
}

/** A meeting with submitted minutes (one measure): the id of its open round. */
async function minutesRound(measures = 1) {
  const id = await meeting();
  const res = await t.request(`/v1/meetings/${id}/minutes`, {
    method: "PUT",
    as: p.user("court", "coordinator"),
    json: {
      text: "纪要",
      measures: Array.from({ length: measures }, (_, i) => ({
        title: `措施${i}`,
        ownerOrgId: p.procuratorate.id,
        dueOn: "2026-12-31",
      })),
    },
  });
  expect(res.status).toBe(200);
  const sub = await t.request(`/v1/meetings/${id}/minutes/submit`, {
    method: "POST",
    as: p.user("court", "coordinator"),
  });
  expect(sub.status).toBe(201);
  return { meetingId: id, cosignId: sub.body.cosignature.id as string };
}

const sign = (id: string, as: { id: string }, json: unknown = {}) =>
  t.request(`/v1/cosignatures/${id}/sign`, { method: "POST", as, json });
const refuse = (id: string, as: { id: string }, json: unknown) =>
  t.request(`/v1/cosignatures/${id}/refuse`, { method: "POST", as, json });
const count = async (q: ReturnType<typeof sql>) => (await t.deps.db.all<{ n: number }>(q))[0]!.n;
const events = (id: string) =>
  t.deps.db.all<{ type: string }>(
    sql`select type from subject_events where subject_id = ${id} order by at, id`,
  );

describe("POST /v1/cosignatures/{id}/sign", () => {
  it("refuses a signer who is not a party: 403 in a party institution without its role, 404 outside", async () => {
    const { cosignId } = await minutesRound();
    for (const role of ["handler", "coordinator", "admin", "department_head"] as const)
      expectProblem(await sign(cosignId, p.user("proc", role)), 403, "forbidden");
    for (const as of [other.user("court", "leader"), other.user("proc", "leader")]) {
      expectProblem(await sign(cosignId, as), 404, "not_found");
      expectProblem(await refuse(cosignId, as, { reason: "不同意" }), 404, "not_found");
      expectProblem(await t.request(`/v1/cosignatures/${cosignId}`, { as }), 404, "not_found");
    }
    expect(
      await count(
        sql`select count(*) as n from cosign_parties where cosign_id = ${cosignId} and decision is not null`,
      ),
    ).toBe(0);
  });

  it("takes one decision per party: a second signature 409 already_decided, nothing written twice", async () => {
    const { cosignId, meetingId } = await minutesRound();
    const first = await sign(cosignId, p.user("court", "leader"), { note: "同意" });
    expect(first.status).toBe(200);
    expect(first.body.status.code).toBe("open");
    expect(first.body.parties[0]).toMatchObject({
      decision: { code: "signed" },
      signer: { id: p.user("court", "leader").id, name: p.user("court", "leader").name },
      at: t.clock.now().toISOString(),
      reason: "同意",
    });
    expectProblem(await sign(cosignId, p.user("court", "leader")), 409, "already_decided");
    expectProblem(
      await refuse(cosignId, p.user("court", "leader"), { reason: "反悔" }),
      409,
      "already_decided",
    );
    expect((await events(cosignId)).map((e) => e.type)).toEqual(["cosign_opened", "signed"]);
    // A non-final signature runs no hook: the meeting is not minuted, no action item exists.
    expect(await count(sql`select count(*) as n from action_items where meeting_id = ${meetingId}`)).toBe(0);
    const [m] = await t.deps.db.all<{ status: string }>(
      sql`select status from meetings where id = ${meetingId}`,
    );
    expect(m!.status).toBe("held");
    expect((await events(meetingId)).map((e) => e.type)).not.toContain("cosign_completed");
  });

  it("signs exactly the submitted content: a different hash 409 content_changed", async () => {
    const { cosignId } = await minutesRound();
    const res = await sign(cosignId, p.user("proc", "leader"), { contentHash: "0".repeat(64) });
    expectProblem(res, 409, "content_changed");
    const detail = await t.request(`/v1/cosignatures/${cosignId}`, { as: p.user("proc", "leader") });
    const ok = await sign(cosignId, p.user("proc", "leader"), { contentHash: detail.body.contentHash });
    expect(ok.status).toBe(200);
  });

  it("completes once under two concurrent last signatures; a retry after success changes nothing", async () => {
    const { cosignId, meetingId } = await minutesRound(3);
    const [a, b] = await Promise.all([
      sign(cosignId, p.user("proc", "leader")),
      sign(cosignId, p.user("court", "leader")),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const completed = await count(
      sql`select count(*) as n from subject_events where subject_id = ${cosignId} and type = 'cosign_completed'`,
    );
    expect(completed).toBe(1);
    expect(await count(sql`select count(*) as n from action_items where meeting_id = ${meetingId}`)).toBe(3);
    const snapshot = async () => ({
      events: await count(sql`select count(*) as n from subject_events`),
      notices: await count(sql`select count(*) as n from notifications`),
      outbox: await count(sql`select count(*) as n from webhook_events`),
      items: await count(sql`select count(*) as n from action_items`),
    });
    const before = await snapshot();
    for (const who of ["proc", "court"] as const)
      expectProblem(await sign(cosignId, p.user(who, "leader")), 409, "already_decided");
    expect(await snapshot()).toEqual(before);
    // The opener hears it once; the webhook outbox has the round's and the items' events.
    expect(
      await count(sql`select count(*) as n from notifications where subject_id = ${cosignId} and kind = 'cosign.signed'
        and user_id = ${p.user("court", "coordinator").id}`),
    ).toBe(1);
    expect(
      await count(sql`select count(*) as n from webhook_events where subject_id = ${cosignId}
        and type in ('cosignature.signed', 'cosignature.cosign_completed')`),
    ).toBe(3);
    expect(
      await count(sql`select count(*) as n from webhook_events where type = 'action_item.created'
        and subject_id in (select id from action_items where meeting_id = ${meetingId})`),
    ).toBe(3);
    const detail = await t.request(`/v1/cosignatures/${cosignId}`, { as: p.user("court", "handler") });
    expect(detail.body.status.code).toBe("signed");
    expect(detail.body.completedAt).toBe(t.clock.now().toISOString());
  });
});

describe("POST /v1/cosignatures/{id}/refuse", () => {
  it("needs a reason (400, nothing changes) and ends the round, notifying its opener", async () => {
    const { cosignId } = await minutesRound();
    for (const json of [{}, { reason: "" }, { reason: "   " }])
      expectProblem(await refuse(cosignId, p.user("proc", "leader"), json), 400, "validation_failed");
    expect((await events(cosignId)).map((e) => e.type)).toEqual(["cosign_opened"]);
    const res = await refuse(cosignId, p.user("proc", "leader"), { reason: "措施表述不清" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: { code: "refused" }, completedAt: t.clock.now().toISOString() });
    expect(res.body.parties[1]).toMatchObject({ decision: { code: "refused" }, reason: "措施表述不清" });
    // The round is over: the other party can no longer sign it.
    expectProblem(await sign(cosignId, p.user("court", "leader")), 409, "round_closed");
    expect(
      await count(
        sql`select count(*) as n from notifications where subject_id = ${cosignId} and kind = 'cosign.refused'`,
      ),
    ).toBe(1);
  });
});

describe("GET /v1/cosignatures", () => {
  it("lists the institution's rounds; awaiting=me those waiting on the caller; status, updatedSince, cursor", async () => {
    const pair = await t.pair();
    const saved = p;
    p = pair;
    try {
      const r1 = await minutesRound();
      const r2 = await minutesRound();
      const r3 = await minutesRound();
      await sign(r2.cosignId, p.user("proc", "leader"));
      await refuse(r3.cosignId, p.user("court", "leader"), { reason: "重写" });

      const list = (as: { id: string }, q = "") => t.request(`/v1/cosignatures${q}`, { as });
      const all = await list(p.user("proc", "handler"));
      expect(all.status).toBe(200);
      expect(all.body.items.map((r: any) => r.id).sort()).toEqual([r1, r2, r3].map((r) => r.cosignId).sort());
      const mine = await list(p.user("proc", "leader"), "?awaiting=me");
      expect(mine.body.items.map((r: any) => r.id)).toEqual([r1.cosignId]);
      expect(mine.body.items[0].awaitingMe).toBe(true);
      const court = await list(p.user("court", "leader"), "?awaiting=me");
      expect(court.body.items.map((r: any) => r.id).sort()).toEqual([r1.cosignId, r2.cosignId].sort());
      expect((await list(p.user("court", "handler"), "?awaiting=me")).body.items).toEqual([]);
      const refused = await list(p.user("court", "handler"), "?status=refused");
      expect(refused.body.items.map((r: any) => r.id)).toEqual([r3.cosignId]);
      const open = await list(p.user("court", "handler"), "?status=open&subjectType=meeting_minutes");
      expect(open.body.items).toHaveLength(2);

      // Pages of one, newest change first, then synchronisation from an instant, oldest change first.
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await list(
          p.user("court", "handler"),
          `?limit=1${cursor ? `&cursor=${cursor}` : ""}`,
        );
        seen.push(...page.body.items.map((r: any) => r.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual([r1, r2, r3].map((r) => r.cosignId).sort());
      t.clock.advance(60_000);
      const since = new Date(t.clock.now().getTime() - 1).toISOString();
      await sign(r1.cosignId, p.user("court", "leader"));
      const sync = await list(p.user("court", "handler"), `?updatedSince=${encodeURIComponent(since)}`);
      expect(sync.body.items.map((r: any) => r.id)).toEqual([r1.cosignId]);
      // An outsider sees none of them.
      expect((await list(other.user("court", "leader"))).body.items).toEqual([]);
      expectProblem(await list(p.user("court", "handler"), "?cursor=nonsense"), 400, "validation_failed");
    } finally {
      p = saved;
    }
  });

  it("answers one round with its parties, signer names and timeline", async () => {
    const { cosignId } = await minutesRound();
    await sign(cosignId, p.user("court", "leader"), { note: "同意" });
    const res = await t.request(`/v1/cosignatures/${cosignId}`, { as: p.user("proc", "coordinator") });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      round: 1,
      status: { code: "open", label: { zh: "会签中", en: "Being signed" } },
      openedBy: { id: p.user("court", "coordinator").id },
      awaitingMe: false,
    });
    expect(
      res.body.parties.map((x: any) => [x.org.kind.code, x.role.code, x.decision?.code ?? null]),
    ).toEqual([
      ["court", "leader", "signed"],
      ["procuratorate", "leader", null],
    ]);
    expect(res.body.parties[0].signer.name).toBe(p.user("court", "leader").name);
    expect(res.body.timeline.map((e: any) => [e.type, e.label.en, e.note])).toEqual([
      ["cosign_opened", "Submitted for signature", null],
      ["signed", "Signed", "同意"],
    ]);
  });
});

describe("special-meeting approval (the meetings module opens the round)", () => {
  async function proposal() {
    const id = await meeting("pending_approval", "special");
    const cosignId = t.deps.ids();
    const now = t.clock.now().toISOString();
    await t.deps.db.batch(
      openCosign(t.deps.db, {
        id: cosignId,
        jurisdictionId: p.jurisdiction.id,
        subjectType: "special_meeting",
        subjectId: id,
        title: "专题联席会议",
        contentHash: null,
        parties: [
          { orgId: p.court.id, role: "leader" },
          { orgId: p.procuratorate.id, role: "leader" },
        ],
        actorId: p.user("court", "department_head").id,
        now,
        when: sql`1`,
      }) as never,
    );
    return { id, cosignId };
  }
  const status = async (id: string) =>
    (await t.deps.db.all<{ status: string }>(sql`select status from meetings where id = ${id}`))[0]!.status;

  it("both leaders approve (no body, or an empty JSON body): planning, an 'approved' entry, both coordinators told", async () => {
    const { id, cosignId } = await proposal();
    // A signature needs no body.
    const first = await t.request(`/v1/cosignatures/${cosignId}/sign`, {
      method: "POST",
      as: p.user("proc", "leader"),
    });
    expect(first.status).toBe(200);
    expect(await status(id)).toBe("pending_approval");
    // A body that is there is still parsed: malformed JSON is refused and changes nothing.
    const broken = await t.request(`/v1/cosignatures/${cosignId}/sign`, {
      method: "POST",
      as: p.user("court", "leader"),
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expectProblem(broken, 400, "malformed_request");
    expect(await status(id)).toBe("pending_approval");
    // Nor does a JSON content type with a zero-length body (many clients send that): no body.
    const empty = await t.request(`/v1/cosignatures/${cosignId}/sign`, {
      method: "POST",
      as: p.user("court", "leader"),
      headers: { "content-type": "application/json" },
      body: "",
    });
    expect(empty.status).toBe(200);
    expect(empty.body.parties.map((x: any) => x.decision?.code)).toEqual(["signed", "signed"]);
    expect(await status(id)).toBe("planning");
    expect((await events(id)).map((e) => e.type)).toEqual(["approved"]);
    const told = await t.deps.db.all<{ userId: string }>(
      sql`select user_id as userId from notifications where subject_id = ${id} and kind = 'meeting.special_approved'`,
    );
    expect(told.map((x) => x.userId).sort()).toEqual(
      [p.user("court", "coordinator").id, p.user("proc", "coordinator").id].sort(),
    );
    // No action item: minutes hooks do not run for another subject type.
    expect(await count(sql`select count(*) as n from action_items where meeting_id = ${id}`)).toBe(0);
  });

  it("one leader refuses: rejected, with the reason on the meeting's timeline", async () => {
    const { id, cosignId } = await proposal();
    await refuse(cosignId, p.user("court", "leader"), { reason: "时机不成熟" });
    expect(await status(id)).toBe("rejected");
    const [e] = await t.deps.db.all<{ type: string; note: string }>(
      sql`select type, note from subject_events where subject_id = ${id}`,
    );
    expect(e).toEqual({ type: "rejected", note: "时机不成熟" });
  });

  it("opens no second round beside an open one", async () => {
    const { id, cosignId } = await proposal();
    const again = t.deps.ids();
    await t.deps.db.batch(
      openCosign(t.deps.db, {
        id: again,
        jurisdictionId: p.jurisdiction.id,
        subjectType: "special_meeting",
        subjectId: id,
        title: "再次",
        contentHash: null,
        parties: [{ orgId: p.court.id, role: "leader" }],
        actorId: p.user("court", "leader").id,
        now: t.clock.now().toISOString(),
        when: sql`1`,
      }) as never,
    );
    const [r] = await t.deps.db.all<{ ok: number }>(sql`select ${cosignOpened(again)} as ok`);
    expect(r!.ok).toBe(0);
    expect(await count(sql`select count(*) as n from cosignatures where subject_id = ${id}`)).toBe(1);
    expect(cosignId).not.toBe(again);
  });
});
