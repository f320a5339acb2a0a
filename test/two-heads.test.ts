// Two heads in one hearing (两长同庭): nominated by either side, approved by both heads (co-signature of
// both leaders), then scheduled, then its outcome; refusal, cancellation, per-year lists, another pair
// 404. Through the real app, real libSQL and a fake clock.
import { beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;

let t: TestApp;
let p: Pair;
let other: Pair;
let keyN = 0;
const START = "2026-09-01T02:00:00Z"; // 10:00 China time

beforeAll(async () => {
  t = await setup({ clock: fixedClock(START) });
  p = await t.pair();
  other = await t.pair();
});

const nomination = (over: Record<string, unknown> = {}) => ({
  caseNumber: "(2026)示0102刑初88号",
  caseTitle: "某公司非法占用农用地案",
  reason: "涉生态环境公益保护,社会关注度高,适宜两长同庭。",
  ...over,
});
const nominate = (
  as = p.user("proc", "coordinator"),
  json: unknown = nomination(),
  key = `th-${++keyN}-key`,
) => t.request("/v1/two-heads-hearings", { method: "POST", as, json, headers: { "idempotency-key": key } });
const act = (id: string, action: string, json: unknown, as = p.user("court", "coordinator")) =>
  t.request(`/v1/two-heads-hearings/${id}/${action}`, { method: "POST", as, json });
const sign = (cosignId: string, as: { id: string }) =>
  t.request(`/v1/cosignatures/${cosignId}/sign`, { method: "POST", as, json: {} });
const at = (iso: string) => t.clock.set(iso);

/** A nomination approved by both heads. */
async function approved() {
  const n = await nominate();
  await sign(n.body.cosignature.id, p.user("court", "leader"));
  expect((await sign(n.body.cosignature.id, p.user("proc", "leader"))).status).toBe(200);
  return n.body.id as string;
}

describe("nomination (POST /v1/two-heads-hearings)", () => {
  it("opens both heads' round at once, labelled zh/en; a retry answers the same nomination", async () => {
    at(START);
    const key = `th-${++keyN}-retry`;
    const res = await nominate(undefined, nomination(), key);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: {
        code: "pending_approval",
        label: { zh: "待两长批准", en: "Awaiting both heads' approval" },
      },
      year: 2026,
      nominatedBy: { id: p.procuratorate.id, kind: { code: "procuratorate" } },
      cosignature: { status: { code: "open" }, subject: { type: { code: "two_heads_hearing" } } },
    });
    expect(
      res.body.cosignature.parties.map((x: { org: { id: string }; role: { code: string } }) => [
        x.org.id,
        x.role.code,
      ]),
    ).toEqual([
      [p.court.id, "leader"],
      [p.procuratorate.id, "leader"],
    ]);
    expect(res.body.timeline.map((e: { type: string }) => e.type)).toEqual(["created", "cosign_opened"]);
    const again = await nominate(undefined, nomination(), key);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(res.body.id);
    expectProblem(
      await nominate(undefined, nomination({ caseTitle: "另案" }), key),
      409,
      "idempotency_key_reused",
    );
  });

  it("refuses bad input (400) and links the caller cannot see", async () => {
    const bad = await nominate(undefined, { caseNumber: "", reason: 5 });
    expectProblem(bad, 400, "validation_failed");
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(["caseNumber", "caseTitle", "reason"]),
    );
    const hidden = await nominate(undefined, nomination({ documentId: "no-such-document" }));
    expectProblem(hidden, 400, "validation_failed");
    expect(hidden.body.errors[0]).toMatchObject({ path: "documentId", code: "not_visible" });
    expectProblem(await nominate(p.user("court", "registrar")), 403);
  });
});

describe("input hygiene", () => {
  it("refuses control characters per field (400) on nomination, schedule, outcome and cancel", async () => {
    for (const field of ["caseNumber", "caseTitle", "reason"]) {
      const res = await nominate(undefined, nomination({ [field]: "案情\u0000\u001f" }));
      expectProblem(res, 400, "validation_failed");
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([field]);
    }
    const ok = await nominate(undefined, nomination({ reason: "理由一\n\t理由二" }));
    expect(ok.status).toBe(201);
    const id = ok.body.id as string;
    const place = await act(id, "schedule", { hearingAt: "2026-10-20T09:30:00+08:00", place: "法庭\u007f" });
    expect(place.body.errors.map((e: { path: string }) => e.path)).toEqual(["place"]);
    const reason = await act(id, "cancel", { reason: "取消\ufffe" });
    expect(reason.body.errors.map((e: { path: string }) => e.path)).toEqual(["reason"]);
    const outcome = await act(id, "outcome", { outcome: "结果\u009b", outcomeOn: "2026-09-01" });
    expect(outcome.body.errors.map((e: { path: string }) => e.path)).toEqual(["outcome"]);
  });

  it("refuses unknown fields (400 naming them) on every body", async () => {
    const res = await nominate(undefined, nomination({ status: "approved" }));
    expectProblem(res, 400, "validation_failed");
    expect(JSON.stringify(res.body.errors)).toContain("status");
    const { body } = await nominate();
    for (const [action, json] of [
      ["schedule", { hearingAt: "2026-10-20T09:30:00+08:00", place: "第一法庭", status: "held" }],
      ["outcome", { outcome: "x", outcomeOn: "2026-09-01", heldBy: "x" }],
      ["cancel", { reason: "x", force: true }],
    ] as const) {
      const r = await act(body.id, action, json);
      expectProblem(r, 400, "validation_failed");
      expect(JSON.stringify(r.body.errors)).toContain(Object.keys(json).at(-1)!);
    }
  });
});

describe("approval by both heads", () => {
  it("a non-leader cannot sign; both leaders signing approves it", async () => {
    at(START);
    const n = await nominate();
    expectProblem(await sign(n.body.cosignature.id, p.user("court", "department_head")), 403);
    expectProblem(
      await act(n.body.id, "schedule", { hearingAt: "2026-10-20T09:30:00+08:00", place: "第一法庭" }),
      409,
      "not_approved",
    );
    await sign(n.body.cosignature.id, p.user("proc", "leader"));
    const mid = await t.request(`/v1/two-heads-hearings/${n.body.id}`, { as: p.user("court", "auditor") });
    expect(mid.body.status.code).toBe("pending_approval");
    await sign(n.body.cosignature.id, p.user("court", "leader"));
    const done = await t.request(`/v1/two-heads-hearings/${n.body.id}`, { as: p.user("court", "auditor") });
    expect(done.body.status).toEqual({ code: "approved", label: { zh: "已批准", en: "Approved" } });
    expect(done.body.cosignature.status.code).toBe("signed");
    expect(done.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "cosign_opened",
      "approved",
    ]);
  });

  it("a head's refusal rejects it; nothing can be scheduled after", async () => {
    at(START);
    const n = await nominate();
    const r = await t.request(`/v1/cosignatures/${n.body.cosignature.id}/refuse`, {
      method: "POST",
      as: p.user("court", "leader"),
      json: { reason: "本案不宜公开庭审" },
    });
    expect(r.status).toBe(200);
    const done = await t.request(`/v1/two-heads-hearings/${n.body.id}`, {
      as: p.user("proc", "coordinator"),
    });
    expect(done.body.status.code).toBe("rejected");
    expect(done.body.timeline.at(-1)).toMatchObject({ type: "rejected", note: "本案不宜公开庭审" });
    expectProblem(
      await act(n.body.id, "schedule", { hearingAt: "2026-10-20T09:30:00+08:00", place: "第一法庭" }),
      409,
      "rejected",
    );
  });
});

describe("schedule, outcome, cancel", () => {
  it("schedules once approved, reschedules until held, records the outcome only after the hearing", async () => {
    at(START);
    const id = await approved();
    expectProblem(
      await act(id, "schedule", { hearingAt: "2026-08-31T09:30:00+08:00", place: "第一法庭" }),
      400,
      "validation_failed",
    );
    const s1 = await act(id, "schedule", { hearingAt: "2026-10-20T09:30:00+08:00", place: "第一法庭" });
    expect(s1.status).toBe(200);
    expect(s1.body).toMatchObject({
      status: { code: "scheduled" },
      hearingAt: "2026-10-20T01:30:00.000Z",
      place: "第一法庭",
    });
    const s2 = await act(
      id,
      "schedule",
      { hearingAt: "2026-10-21T14:00:00+08:00", place: "第二法庭", replaces: s1.body.hearingAt },
      p.user("proc", "leader"),
    );
    expect(s2.body).toMatchObject({ hearingAt: "2026-10-21T06:00:00.000Z", place: "第二法庭" });
    expectProblem(
      await act(id, "outcome", { outcome: "当庭宣判", outcomeOn: "2026-09-01" }),
      409,
      "not_yet_held",
    );
    at("2026-10-21T08:00:00Z");
    expectProblem(
      await act(id, "outcome", { outcome: "当庭宣判", outcomeOn: "2026-10-20" }),
      400,
      "validation_failed",
    );
    expectProblem(
      await act(id, "outcome", { outcome: "当庭宣判", outcomeOn: "2026-10-22" }),
      400,
      "validation_failed",
    );
    const held = await act(id, "outcome", { outcome: "当庭宣判,被告人认罪认罚。", outcomeOn: "2026-10-21" });
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({
      status: { code: "held", label: { zh: "已开庭", en: "Held" } },
      outcome: "当庭宣判,被告人认罪认罚。",
      outcomeOn: "2026-10-21",
    });
    expect(held.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "cosign_opened",
      "approved",
      "hearing_scheduled",
      "hearing_scheduled",
      "outcome_recorded",
    ]);
    expectProblem(
      await act(id, "schedule", { hearingAt: "2026-12-20T09:30:00+08:00", place: "第一法庭" }),
      409,
      "already_held",
    );
    expectProblem(await act(id, "cancel", { reason: "x" }), 409, "already_held");
    at(START);
  });

  it("reschedules optimistically: of 5 concurrent moves one applies, the rest 409 schedule_changed; a repeat is a no-op", async () => {
    at(START);
    const id = await approved();
    const days = ["2026-10-20", "2026-10-21", "2026-10-22", "2026-10-23", "2026-10-26"];
    const first = await Promise.all(
      days.map((d) => act(id, "schedule", { hearingAt: `${d}T09:30:00+08:00`, place: "第一法庭" })),
    );
    expect(first.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    for (const r of first.filter((x) => x.status === 409)) expectProblem(r, 409, "schedule_changed");
    const current = (await t.request(`/v1/two-heads-hearings/${id}`, { as: p.user("court", "leader") })).body;
    const moves = await Promise.all(
      days.map((d) =>
        act(id, "schedule", {
          hearingAt: `${d}T15:00:00+08:00`,
          place: "第二法庭",
          replaces: current.hearingAt,
        }),
      ),
    );
    expect(moves.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const moved = moves.find((r) => r.status === 200)!.body;
    // A stale `replaces`, or none on a scheduled hearing: refused, nothing changes.
    expectProblem(
      await act(id, "schedule", {
        hearingAt: "2026-11-02T09:30:00+08:00",
        place: "第一法庭",
        replaces: current.hearingAt,
      }),
      409,
      "schedule_changed",
    );
    expectProblem(
      await act(id, "schedule", { hearingAt: "2026-11-02T09:30:00+08:00", place: "第一法庭" }),
      409,
      "schedule_changed",
    );
    // The same date and place again (a retry of the winning move): 200, no new entry.
    const repeat = await act(id, "schedule", {
      hearingAt: moved.hearingAt,
      place: "第二法庭",
      replaces: current.hearingAt,
    });
    expect(repeat.status).toBe(200);
    expect(repeat.body.hearingAt).toBe(moved.hearingAt);
    expect(repeat.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "cosign_opened",
      "approved",
      "hearing_scheduled",
      "hearing_scheduled",
    ]);
  });

  it("cancelling while the heads sign withdraws the round; a signature after it changes nothing", async () => {
    at(START);
    const n = await nominate();
    expectProblem(await act(n.body.id, "cancel", {}), 400, "validation_failed");
    const c = await act(n.body.id, "cancel", { reason: "当事人撤回起诉" }, p.user("proc", "coordinator"));
    expect(c.status).toBe(200);
    expect(c.body.status.code).toBe("cancelled");
    expect(c.body.cosignature.status.code).toBe("withdrawn");
    expectProblem(await sign(n.body.cosignature.id, p.user("court", "leader")), 409, "round_closed");
    expectProblem(await act(n.body.id, "cancel", { reason: "again" }), 409, "cancelled");
  });

  it("lists per year, with status and updatedSince filters and a cursor", async () => {
    at("2027-01-05T02:00:00Z");
    const n2027 = await nominate();
    expect(n2027.body.year).toBe(2027);
    at(START);
    const y27 = await t.request("/v1/two-heads-hearings?year=2027", { as: p.user("court", "auditor") });
    expect(y27.body.items.map((i: { id: string }) => i.id)).toEqual([n2027.body.id]);
    const y26 = await t.request("/v1/two-heads-hearings?year=2026&limit=2", {
      as: p.user("court", "auditor"),
    });
    expect(y26.body.items).toHaveLength(2);
    expect(y26.body.items.every((i: { year: number }) => i.year === 2026)).toBe(true);
    const next = await t.request(`/v1/two-heads-hearings?year=2026&limit=2&cursor=${y26.body.nextCursor}`, {
      as: p.user("court", "auditor"),
    });
    expect(next.body.items[0].id).not.toBe(y26.body.items[1].id);
    const cancelled = await t.request("/v1/two-heads-hearings?status=cancelled", {
      as: p.user("court", "auditor"),
    });
    expect(
      cancelled.body.items.every((i: { status: { code: string } }) => i.status.code === "cancelled"),
    ).toBe(true);
    const since = await t.request(
      `/v1/two-heads-hearings?updatedSince=${encodeURIComponent("2027-01-05T10:00:00+08:00")}`,
      { as: p.user("court", "auditor") },
    );
    expect(since.body.items).toEqual([]);
    expectProblem(
      await t.request("/v1/two-heads-hearings?year=abc", { as: p.user("court", "auditor") }),
      400,
    );
  });

  it("is 404 to another pair on every route", async () => {
    at(START);
    const n = await nominate();
    const stranger = other.user("court", "leader");
    expectProblem(await t.request(`/v1/two-heads-hearings/${n.body.id}`, { as: stranger }), 404);
    for (const [action, json] of [
      ["schedule", { hearingAt: "2026-10-20T09:30:00+08:00", place: "x" }],
      ["outcome", { outcome: "x", outcomeOn: "2026-09-01" }],
      ["cancel", { reason: "x" }],
    ] as const)
      expectProblem(await act(n.body.id, action, json, stranger), 404);
    expectProblem(await sign(n.body.cosignature.id, stranger), 404);
    const list = await t.request("/v1/two-heads-hearings", { as: stranger });
    expect(list.body.items).toEqual([]);
  });
});
