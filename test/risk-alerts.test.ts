// Petition-risk alerts (访情舆情预警) through the real app and libSQL on a fake clock: raising with an
// Idempotency-Key and urgent notices, the clock-hour acknowledgement deadline on the escalation
// ladder across midnight and the National Day holiday (raised 2026-09-30 22:30 China time with 4
// hours → due 10-01 02:30), a missed sweep, the acknowledgement stopping it, both sides'
// assessments, the contingency plan co-signed by both leaders, closing (withdrawing an open round),
// every out-of-order change a 409 that changes nothing, outsiders 404, bad input 400, lists.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import { expectProblem, setup } from "./helpers";

const cst = (at: string) => new Date(`${at}+08:00`);
let keyN = 0;
const key = () => ({ "idempotency-key": `risk-alert-test-${++keyN}-${process.pid}` });

const alert = {
  caseNumbers: ["(2026)京0105民初1234号"],
  level: "high",
  dimensions: ["mass", "petition"],
  parties: [{ name: "李某等32名购房人", role: "申请人" }],
  known: "申请人扬言到省赴京上访,并组织其他购房人聚集。",
  publicOpinion: "本地论坛已有帖文,尚未形成热点。",
  ackHours: 4,
};

async function world(at = "2026-09-30T22:30:00") {
  const t = await setup({ clock: fixedClock(cst(at)) });
  const p = await t.pair();
  const raise = (body: object = alert, as = p.user("proc", "handler"), headers = key()) =>
    t.request("/v1/risk-alerts", { method: "POST", as, headers, json: body });
  const act = (id: string, verb: string, as: { id: string }, json: object = {}, method = "POST") =>
    t.request(`/v1/risk-alerts/${id}/${verb}`, { method, as, json });
  const detail = (id: string, as = p.user("court", "handler")) => t.request(`/v1/risk-alerts/${id}`, { as });
  let runs = 0;
  async function sweepAt(at: string) {
    t.clock.set(cst(at));
    const r = await runJob(t.deps, "sweep", new Date(cst(at).getTime() + ++runs));
    expect(r.status).toBe("ok");
  }
  /** Who was told what about a subject: `court.leader` → [kind, …]. */
  async function heard(id: string, kindLike = "%") {
    const rows = await t.deps.db.all<{ userId: string; kind: string }>(
      sql`select user_id as userId, kind from notifications where subject_id = ${id} and kind like ${kindLike}
        order by created_at, id`,
    );
    const out: Record<string, string[]> = {};
    for (const r of rows) {
      const who = p.people.find((x) => x.id === r.userId);
      (out[who ? who.email.split("@")[0]! : r.userId] ??= []).push(r.kind);
    }
    return out;
  }
  const ledger = (id: string) =>
    t.deps.db.all<{ step: string; status: string }>(
      sql`select step, status from escalation_steps where subject_type = 'risk_alert' and subject_id = ${id}
        order by "offset"`,
    );
  /** Everything a refused change must leave as it was. */
  const stored = async (id: string) => ({
    row: await t.deps.db.all(sql`select * from exchanges where id = ${id}`),
    events: await t.deps.db.all(
      sql`select id, type from subject_events where subject_id = ${id} order by id`,
    ),
    notes: await t.deps.db.all(sql`select id from exchange_notes where exchange_id = ${id} order by id`),
    notices: await t.deps.db.all(sql`select id from notifications where subject_id = ${id} order by id`),
    rounds: await t.deps.db.all(
      sql`select id, status from cosignatures where subject_id = ${id} order by round`,
    ),
  });
  /** Raised by the procuratorate and acknowledged by the court. */
  async function acknowledged() {
    const r = await raise();
    expect(r.status).toBe(201);
    expect((await act(r.body.id, "acknowledge", p.user("court", "coordinator"))).status).toBe(200);
    return r.body.id as string;
  }
  return { t, p, raise, act, detail, sweepAt, heard, ledger, stored, acknowledged };
}

describe("raising an alert", () => {
  it("raises to the counterpart with a clock-hour deadline; its leaders and coordinators are told at once, urgently", async () => {
    const w = await world();
    const { p } = w;
    const r = await w.raise();
    expect(r.status).toBe(201);
    expect(r.headers.get("location")).toBe(`/v1/risk-alerts/${r.body.id}`);
    expect(r.body).toMatchObject({
      kind: { code: "risk_alert", label: { zh: "访情舆情预警", en: "Petition-risk alert" } },
      status: { code: "raised", label: { zh: "已预警,待对方签收", en: "Raised, awaiting acknowledgement" } },
      level: { code: "high", label: { zh: "高风险", en: "High" } },
      sender: { id: p.procuratorate.id },
      recipient: { id: p.court.id },
      direction: "out",
      title: "关于(2026)京0105民初1234号案件的访情舆情预警",
      dueOn: null,
      // 22:30 China time + 4 hours = 02:30 on 10-01 (18:30 UTC on 09-30).
      dueAt: "2026-09-30T18:30:00.000Z",
      ackHours: 4,
      overdue: false,
      acknowledged: null,
      plan: null,
    });
    expect(r.body.dimensions.map((d: any) => [d.code, d.label.zh])).toEqual([
      ["mass", "涉重大群体性"],
      ["petition", "当事人有严重信访倾向"],
    ]);
    expect(r.body.timeline.map((e: any) => e.type)).toEqual(["created"]);
    expect(await w.heard(r.body.id)).toEqual({
      "court.leader": ["risk_alert.raised"],
      "court.coordinator": ["risk_alert.raised"],
    });
    const [n] = await w.t.deps.db.all<{ urgent: number; zh: string; en: string }>(
      sql`select urgent, text_zh as zh, text_en as en from notifications where subject_id = ${r.body.id} limit 1`,
    );
    expect(n).toMatchObject({ urgent: 1 });
    expect(n!.zh).toContain("请于2026-10-01 02:30(北京时间)前签收");
    expect(n!.en).toContain("acknowledge it by 2026-10-01 02:30 (China time)");
    // The webhook is urgent: delivered outside business hours (it is 22:30).
    const hooks = await w.t.deps.db.all<{ type: string; urgent: number }>(
      sql`select type, urgent from webhook_events where subject_id = ${r.body.id}`,
    );
    expect(hooks).toEqual([{ type: "risk_alert.created", urgent: 1 }]);

    // The level's default deadline: low → 12 hours.
    const low = await w.raise({ ...alert, level: "low", ackHours: undefined }, p.user("court", "leader"));
    expect(low.body).toMatchObject({ ackHours: 12, dueAt: "2026-10-01T02:30:00.000Z", direction: "out" });
    expect(low.body.recipient.id).toBe(p.procuratorate.id);
  });

  it("is idempotent by key; another body with the key is 409; bad input 400; only handling roles raise", async () => {
    const w = await world();
    const { p } = w;
    const headers = key();
    const first = await w.raise(alert, p.user("proc", "handler"), headers);
    const again = await w.raise(alert, p.user("proc", "handler"), headers);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expectProblem(
      await w.raise({ ...alert, level: "low" }, p.user("proc", "handler"), headers),
      409,
      "idempotency_key_reused",
    );
    const count = await w.t.deps.db.all(sql`select id from exchanges where kind = 'risk_alert'`);
    expect(count).toHaveLength(1);

    const bad = async (body: object, path: string) => {
      const r = await w.raise(body);
      expectProblem(r, 400, "validation_failed");
      expect(r.body.errors.map((e: any) => e.path)).toContain(path);
    };
    await bad({ ...alert, caseNumbers: [] }, "caseNumbers"); // neither a document nor a case number
    await bad({ ...alert, ackHours: 0 }, "ackHours");
    await bad({ ...alert, ackHours: 73 }, "ackHours");
    await bad({ ...alert, ackHours: 2.5 }, "ackHours");
    await bad({ ...alert, level: "extreme" }, "level");
    await bad({ ...alert, dimensions: [] }, "dimensions");
    await bad({ ...alert, dimensions: ["weather"] }, "dimensions.0");
    await bad({ ...alert, parties: [] }, "parties");
    await bad({ ...alert, known: " " }, "known");
    await bad({ ...alert, caseNumbers: ["1234"] }, "caseNumbers.0");
    const noDoc = await w.raise({ ...alert, caseNumbers: undefined, documentId: "no-such-document" });
    expectProblem(noDoc, 400, "validation_failed");
    expect(noDoc.body.errors[0]).toMatchObject({ path: "documentId", code: "document_not_found" });
    expectProblem(await w.raise(alert, p.user("proc", "registrar")), 403);
    expectProblem(await w.raise(alert, p.user("proc", "auditor")), 403);
  });

  it("refuses a dimension or a case given twice, a case number with a control character, and any unknown field (400), raising nothing", async () => {
    const w = await world();
    const { p } = w;
    const bad = async (body: object, path: string, message?: string) => {
      const r = await w.raise(body);
      expectProblem(r, 400, "validation_failed");
      expect(r.body.errors).toContainEqual(
        expect.objectContaining({ path, ...(message ? { message: expect.stringContaining(message) } : {}) }),
      );
    };
    await bad({ ...alert, dimensions: ["mass", "mass"] }, "dimensions.1", "the same dimension as item 0");
    const cn = "(2026)京0105民初1234号";
    await bad({ ...alert, caseNumbers: [cn, cn] }, "caseNumbers.1", "the same case number");
    // The same 案号 written with full-width brackets and 第…号 is the same case.
    await bad({ ...alert, caseNumbers: [cn, "(2026)京0105民初第1234号"] }, "caseNumbers.1");
    await bad({ ...alert, caseNumbers: ["(2026)京0105民\u0000初1234号"] }, "caseNumbers.0", "control");
    await bad({ ...alert, caseNumbers: ["(2026)京0105民\u001b初1234号"] }, "caseNumbers.0", "control");
    // A misspelt field is named, not dropped (ackhours would otherwise give the default 2 hours).
    await bad({ ...alert, ackHours: undefined, ackhours: 24 }, "ackhours", "ackhours");
    await bad(
      { ...alert, parties: [{ name: "李某", role: "申请人", phone: "1" }] },
      "parties.0.phone",
      "phone",
    );
    expect(await w.t.deps.db.all(sql`select id from exchanges`)).toEqual([]);
    const id = await w.acknowledged();
    const act = async (verb: string, json: object, method = "POST") => {
      const r = await w.act(id, verb, p.user("court", "leader"), json, method);
      expectProblem(r, 400, "validation_failed");
      expect(r.body.errors[0]).toMatchObject({
        code: "unrecognized_keys",
        message: expect.stringContaining("extra"),
      });
    };
    await act("acknowledge", { extra: 1 });
    await act("assessments", { level: "low", assessment: "a", measures: "m", extra: 1 });
    await act("plan", { text: "预案", extra: 1 }, "PUT");
    await act("close", { resolution: "办结", extra: 1 });
    const d = await w.detail(id);
    expect(d.body).toMatchObject({
      status: { code: "acknowledged" },
      plan: null,
      assessments: { sender: null },
    });
  });
});

describe("the acknowledgement deadline in clock hours", () => {
  it("crosses midnight into the National Day holiday: H-1, H0, H+2 fire at 01:30, 02:30, 04:30 on 10-01, each once", async () => {
    const w = await world("2026-09-30T22:30:00");
    const { p } = w;
    const id = (await w.raise()).body.id as string;
    await w.sweepAt("2026-09-30T23:45:00"); // nothing due yet
    await w.sweepAt("2026-10-01T01:15:00");
    expect(await w.ledger(id)).toEqual([]);
    await w.sweepAt("2026-10-01T01:30:00"); // H-1, at night on a holiday
    await w.sweepAt("2026-10-01T01:30:00"); // a duplicate trigger (its own scheduled time)
    await w.sweepAt("2026-10-01T01:45:00");
    expect(await w.heard(id, "risk_alert.%")).toEqual({
      "court.leader": ["risk_alert.raised"],
      "court.coordinator": ["risk_alert.raised", "risk_alert.reminder"],
    });
    await w.sweepAt("2026-10-01T02:30:00"); // H0
    await w.sweepAt("2026-10-01T02:30:00");
    await w.sweepAt("2026-10-01T04:15:00");
    await w.sweepAt("2026-10-01T04:30:00"); // H+2
    await w.sweepAt("2026-10-01T04:30:00");
    await w.sweepAt("2026-10-01T09:00:00");
    expect(await w.ledger(id)).toEqual([
      { step: "H-1", status: "sent" },
      { step: "H0", status: "sent" },
      { step: "H+2", status: "sent" },
    ]);
    expect(await w.heard(id, "risk_alert.%")).toEqual({
      "court.leader": ["risk_alert.raised", "risk_alert.due", "risk_alert.overdue"],
      "court.coordinator": [
        "risk_alert.raised",
        "risk_alert.reminder",
        "risk_alert.due",
        "risk_alert.overdue",
      ],
      "proc.leader": ["risk_alert.overdue"],
      "proc.handler": ["risk_alert.overdue"], // who raised it
    });
    const notices = await w.t.deps.db.all<{
      kind: string;
      zh: string;
      en: string;
      urgent: number;
      userId: string;
    }>(
      sql`select kind, text_zh as zh, text_en as en, urgent, user_id as userId from notifications
        where subject_id = ${id} and kind like 'risk_alert.%' and kind <> 'risk_alert.raised' order by created_at`,
    );
    expect(notices.every((n) => n.urgent === 1)).toBe(true);
    const of = (kind: string, user: { id: string }) =>
      notices.find((n) => n.kind === kind && n.userId === user.id)!;
    expect(of("risk_alert.reminder", p.user("court", "coordinator")).zh).toContain(
      "须于2026-10-01 02:30(北京时间)前签收,还剩约1小时",
    );
    expect(of("risk_alert.reminder", p.user("court", "coordinator")).en).toContain("about 1 hour(s) left");
    expect(of("risk_alert.due", p.user("court", "leader")).zh).toContain(
      "签收时限(2026-10-01 02:30,北京时间)已到",
    );
    expect(of("risk_alert.overdue", p.user("court", "leader")).zh).toContain("已超过2小时仍未签收");
    expect(of("risk_alert.overdue", p.user("proc", "leader")).zh).toContain("已超过2小时,对方仍未签收");
    expect(of("risk_alert.overdue", p.user("proc", "leader")).en).toContain(
      "2 hour(s) past, still not acknowledged",
    );

    const d = await w.detail(id);
    expect(d.body.overdue).toBe(true);
    expect(d.body.escalations.map((s: any) => [s.step, s.status.code, s.dueOn])).toEqual([
      ["H-1", "sent", "2026-09-30T18:30:00.000Z"],
      ["H0", "sent", "2026-09-30T18:30:00.000Z"],
      ["H+2", "sent", "2026-09-30T18:30:00.000Z"],
    ]);
    expect(d.body.ladder).toMatchObject({ source: "default" });
    expect(d.body.ladder.steps.map((s: any) => s.key)).toEqual(["H-1", "H0", "H+2"]);
    const escalated = d.body.timeline.filter((e: any) => e.type === "escalated");
    expect(escalated.map((e: any) => e.data.step)).toEqual(["H-1", "H0", "H+2"]);
    expect(escalated[0]).toMatchObject({ label: { zh: "逐级催办", en: "Escalated" } });
    expect(escalated[0].data.dueAt).toBe("2026-09-30T18:30:00.000Z");
    const hooks = await w.t.deps.db.all<{ urgent: number }>(
      sql`select urgent from webhook_events where type = 'risk_alert.escalated' and subject_id = ${id}`,
    );
    expect(hooks).toEqual([{ urgent: 1 }, { urgent: 1 }, { urgent: 1 }]);
  });

  it("after missed sweeps the most severe step is sent, the others superseded, and everyone they were for hears once", async () => {
    const w = await world();
    const id = (await w.raise()).body.id as string;
    await w.sweepAt("2026-10-01T05:00:00");
    expect(await w.ledger(id)).toEqual([
      { step: "H-1", status: "superseded" },
      { step: "H0", status: "superseded" },
      { step: "H+2", status: "sent" },
    ]);
    expect(await w.heard(id, "risk_alert.%")).toEqual({
      "court.leader": ["risk_alert.raised", "risk_alert.overdue"],
      "court.coordinator": ["risk_alert.raised", "risk_alert.overdue"],
      "proc.leader": ["risk_alert.overdue"],
      "proc.handler": ["risk_alert.overdue"],
    });
    await w.sweepAt("2026-10-01T06:00:00");
    expect(await w.ledger(id)).toHaveLength(3);
  });

  it("the acknowledgement stops the ladder; only the recipient acknowledges, once", async () => {
    const w = await world();
    const { p } = w;
    const id = (await w.raise()).body.id as string;
    await w.sweepAt("2026-10-01T01:30:00"); // H-1
    const before = await w.stored(id);
    expectProblem(await w.act(id, "acknowledge", p.user("proc", "leader")), 403); // the sender
    expectProblem(await w.act(id, "acknowledge", p.user("court", "registrar")), 403);
    expect(await w.stored(id)).toEqual(before);
    w.t.clock.set(cst("2026-10-01T02:10:00"));
    const ack = await w.act(id, "acknowledge", p.user("court", "leader"), { note: "已安排专人" });
    expect(ack.status).toBe(200);
    expect(ack.body.status.code).toBe("acknowledged");
    expect(ack.body.acknowledged).toMatchObject({
      at: "2026-09-30T18:10:00.000Z",
      by: { id: p.user("court", "leader").id },
    });
    expect(await w.heard(id, "risk_alert.acknowledged")).toEqual({
      "proc.coordinator": ["risk_alert.acknowledged"],
      "proc.handler": ["risk_alert.acknowledged"],
    });
    const after = await w.stored(id);
    const again = await w.act(id, "acknowledge", p.user("court", "coordinator"));
    expectProblem(again, 409, "already_acknowledged");
    expect(again.body.label).toEqual({ zh: expect.any(String), en: expect.any(String) });
    expect(await w.stored(id)).toEqual(after);
    for (const at of ["2026-10-01T02:30:00", "2026-10-01T04:30:00", "2026-10-02T10:00:00"])
      await w.sweepAt(at);
    expect(await w.ledger(id)).toEqual([{ step: "H-1", status: "sent" }]);
  });
});

describe("the joint risk assessment", () => {
  it("each side assesses once, the recipient after acknowledging; the detail shows both and that it is complete", async () => {
    const w = await world();
    const { p } = w;
    const id = (await w.raise()).body.id as string;
    const assessment = { level: "high", assessment: "存在进京上访风险。", measures: "包案领导,释法说理。" };
    // The sender may assess at once.
    const mine = await w.act(id, "assessments", p.user("proc", "department_head"), assessment);
    expect(mine.status).toBe(201);
    expect(mine.body.timeline.at(-1)).toMatchObject({
      type: "assessed",
      label: { zh: "风险评估", en: "Risk assessed" },
    });
    expect(await w.heard(id, "risk_alert.assessed")).toEqual({
      "court.coordinator": ["risk_alert.assessed"],
    });
    let before = await w.stored(id);
    expectProblem(
      await w.act(id, "assessments", p.user("court", "leader"), assessment),
      409,
      "not_acknowledged",
    );
    expectProblem(
      await w.act(id, "assessments", p.user("proc", "leader"), assessment),
      409,
      "already_assessed",
    );
    expect(await w.stored(id)).toEqual(before);
    let d = await w.detail(id);
    expect(d.body.assessments).toMatchObject({
      sender: { org: { id: p.procuratorate.id }, level: { code: "high" }, measures: "包案领导,释法说理。" },
      recipient: null,
      complete: false,
    });

    await w.act(id, "acknowledge", p.user("court", "coordinator"));
    const theirs = await w.act(id, "assessments", p.user("court", "handler"), {
      ...assessment,
      level: "medium",
      assessment: "风险可控。",
    });
    expect(theirs.status).toBe(201);
    before = await w.stored(id);
    expectProblem(
      await w.act(id, "assessments", p.user("court", "leader"), assessment),
      409,
      "already_assessed",
    );
    expect(await w.stored(id)).toEqual(before);
    d = await w.detail(id, p.user("proc", "handler"));
    expect(d.body.assessments).toMatchObject({
      sender: { level: { code: "high" } },
      recipient: {
        org: { id: p.court.id },
        author: { id: p.user("court", "handler").id },
        level: { code: "medium", label: { zh: "中风险", en: "Medium" } },
        assessment: "风险可控。",
      },
      complete: true,
    });
    expect(d.body.notes.map((n: any) => n.kind.code)).toEqual(["assessment", "assessment"]);
    const bad = await w.act(id, "assessments", p.user("court", "handler"), { level: "high", assessment: "" });
    expectProblem(bad, 400, "validation_failed");
  });
});

describe("the contingency plan, co-signed by both institutions' leaders", () => {
  it("drafts, submits, is refused and reopened, is signed by both leaders once, and is locked", async () => {
    const w = await world();
    const { p } = w;
    const raised = (await w.raise()).body.id as string;
    expectProblem(
      await w.act(raised, "plan", p.user("proc", "leader"), { text: "预案" }, "PUT"),
      409,
      "not_acknowledged",
    );
    const id = await w.acknowledged();

    expectProblem(await w.act(id, "plan/submit", p.user("proc", "leader")), 409, "no_plan");
    const v1 = await w.act(id, "plan", p.user("court", "coordinator"), { text: "应急预案第一稿" }, "PUT");
    expect(v1.status).toBe(200);
    expect(v1.body.plan).toMatchObject({
      text: "应急预案第一稿",
      status: { code: "draft", label: { zh: "预案起草中", en: "Draft" } },
      version: 1,
      cosignatureId: null,
      updatedBy: { id: p.user("court", "coordinator").id },
    });
    expect(v1.body.plan.contentHash).toMatch(/^[0-9a-f]{64}$/);
    // The same text again makes no version.
    const same = await w.act(id, "plan", p.user("proc", "handler"), { text: "应急预案第一稿" }, "PUT");
    expect(same.status).toBe(200);
    expect(same.body.plan.version).toBe(1);
    const v2 = await w.act(
      id,
      "plan",
      p.user("proc", "handler"),
      { text: "应急预案第二稿", baseVersion: 1 },
      "PUT",
    );
    expect(v2.body.plan.version).toBe(2);

    const sub = await w.act(id, "plan/submit", p.user("proc", "coordinator"));
    expect(sub.status).toBe(200);
    expect(sub.body.plan.status.code).toBe("under_signature");
    const round1 = sub.body.plan.cosignatureId as string;
    let d = await w.detail(id);
    expect(d.body.cosignature).toMatchObject({
      id: round1,
      round: 1,
      status: { code: "open" },
      subject: { type: { code: "contingency_plan" }, id, href: `/v1/risk-alerts/${id}` },
      contentHash: v2.body.plan.contentHash,
    });
    expect(d.body.cosignature.parties.map((x: any) => [x.org.id, x.role.code])).toEqual([
      [p.procuratorate.id, "leader"],
      [p.court.id, "leader"],
    ]);

    // Nothing changes while it is being signed.
    let before = await w.stored(id);
    expectProblem(
      await w.act(id, "plan", p.user("court", "leader"), { text: "改" }, "PUT"),
      409,
      "cosign_open",
    );
    expectProblem(await w.act(id, "plan/submit", p.user("court", "leader")), 409, "cosign_open");
    // Only leaders sign.
    expectProblem(
      await w.t.request(`/v1/cosignatures/${round1}/sign`, {
        method: "POST",
        as: p.user("court", "coordinator"),
        json: {},
      }),
      403,
    );
    expect(await w.stored(id)).toEqual(before);

    const refused = await w.t.request(`/v1/cosignatures/${round1}/refuse`, {
      method: "POST",
      as: p.user("court", "leader"),
      json: { reason: "处置措施不够具体" },
    });
    expect(refused.status).toBe(200);
    d = await w.detail(id);
    expect(d.body.plan.status.code).toBe("draft");
    expect(d.body.timeline.at(-1)).toMatchObject({ type: "rejected", note: "处置措施不够具体" });
    // Editable again; a new round.
    const v3 = await w.act(
      id,
      "plan",
      p.user("court", "leader"),
      { text: "应急预案第三稿", baseVersion: 2 },
      "PUT",
    );
    expect(v3.body.plan).toMatchObject({ version: 3, status: { code: "draft" } });
    const round2 = (await w.act(id, "plan/submit", p.user("court", "leader"))).body.plan
      .cosignatureId as string;
    expect(round2).not.toBe(round1);

    const sign = (who: { id: string }, round = round2, json: object = {}) =>
      w.t.request(`/v1/cosignatures/${round}/sign`, { method: "POST", as: who, json });
    expect(
      (await sign(p.user("proc", "leader"), round2, { contentHash: v3.body.plan.contentHash })).status,
    ).toBe(200);
    expect((await w.detail(id)).body.plan.status.code).toBe("under_signature");
    expect((await sign(p.user("court", "leader"))).status).toBe(200);
    d = await w.detail(id);
    expect(d.body.plan).toMatchObject({
      status: { code: "in_force", label: { zh: "已会签生效", en: "Signed by both; in force" } },
      text: "应急预案第三稿",
    });
    expect(d.body.plan.inForceAt).toEqual(expect.any(String));
    expect(d.body.cosignature).toMatchObject({ id: round2, round: 2, status: { code: "signed" } });
    expect(d.body.timeline.filter((e: any) => e.type === "approved")).toHaveLength(1);
    expect(d.body.timeline.map((e: any) => e.type)).toEqual([
      "created",
      "acknowledged",
      "plan_drafted",
      "plan_drafted",
      "cosign_opened",
      "rejected",
      "plan_drafted",
      "cosign_opened",
      "approved",
    ]);

    // Locked: no edit, no new round, no second completion.
    before = await w.stored(id);
    expectProblem(
      await w.act(id, "plan", p.user("proc", "leader"), { text: "再改" }, "PUT"),
      409,
      "plan_locked",
    );
    expectProblem(await w.act(id, "plan/submit", p.user("proc", "leader")), 409, "plan_locked");
    expectProblem(await sign(p.user("court", "leader")), 409, "already_decided");
    expect(await w.stored(id)).toEqual(before);
  });

  it("two people editing at once: the edit made on a stale version is 409 plan_changed with the current version and writes nothing; the notice says who changed it", async () => {
    const w = await world();
    const { p } = w;
    const id = await w.acknowledged();
    const editors = [
      p.user("court", "handler"),
      p.user("court", "leader"),
      p.user("proc", "handler"),
      p.user("proc", "leader"),
      p.user("proc", "coordinator"),
    ];
    const before = await w.heard(id, "risk_alert.plan_drafted");
    const answers = await Promise.all(
      editors.map((as, i) => w.act(id, "plan", as, { text: `第${i}稿`, baseVersion: 0 }, "PUT")),
    );
    const won = answers.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    const lost = answers.filter((r) => r.status !== 200);
    expect(lost).toHaveLength(4);
    for (const r of lost) {
      expectProblem(r, 409, "plan_changed");
      expect(r.body).toMatchObject({ currentVersion: 1 });
    }
    const winner = editors[answers.indexOf(won[0]!)]!;
    let d = await w.detail(id);
    expect(d.body.plan).toMatchObject({ version: 1, text: won[0]!.body.plan.text });
    expect(d.body.timeline.filter((e: any) => e.type === "plan_drafted")).toHaveLength(1);
    // One notice per person of the other side, naming the editor and their institution.
    const notices = await w.t.deps.db.all<{ zh: string; en: string }>(
      sql`select text_zh as zh, text_en as en from notifications
        where subject_id = ${id} and kind = 'risk_alert.plan_drafted'`,
    );
    expect(notices.length).toBeGreaterThan(0);
    const org = winner === editors[0] || winner === editors[1] ? p.court : p.procuratorate;
    for (const n of notices) {
      expect(n.zh).toContain(`${winner.name}(${org.name})修改了`);
      expect(n.zh).toContain("(第1版)");
      expect(n.en).toContain(`${winner.name}(${org.name}) edited the contingency plan`);
    }
    expect(before).toEqual({});

    // A stale base later: refused, nothing written; the current base saves version 2.
    const stored = await w.stored(id);
    const stale = await w.act(id, "plan", p.user("proc", "handler"), { text: "另一稿" }, "PUT");
    expectProblem(stale, 409, "plan_changed");
    expect(stale.body).toMatchObject({ currentVersion: 1, updatedBy: winner.id });
    expect(await w.stored(id)).toEqual(stored);
    // Resending the saved text on its old base is a retry: 200, no version.
    const retry = await w.act(id, "plan", winner, { text: won[0]!.body.plan.text, baseVersion: 0 }, "PUT");
    expect(retry.status).toBe(200);
    expect(retry.body.plan.version).toBe(1);
    expect(await w.stored(id)).toEqual(stored);
    const v2 = await w.act(id, "plan", p.user("proc", "handler"), { text: "另一稿", baseVersion: 1 }, "PUT");
    expect(v2.status).toBe(200);
    expect(v2.body.plan.version).toBe(2);
    d = await w.detail(id);
    expect(d.body.plan).toMatchObject({ version: 2, text: "另一稿" });
  });

  it("closing withdraws an open round; after closing every change is 409 and changes nothing", async () => {
    const w = await world();
    const { p } = w;
    const raised = (await w.raise()).body.id as string;
    expectProblem(
      await w.act(raised, "close", p.user("proc", "leader"), { resolution: "x" }),
      409,
      "not_acknowledged",
    );
    const id = await w.acknowledged();
    await w.act(id, "plan", p.user("proc", "leader"), { text: "应急预案" }, "PUT");
    const round = (await w.act(id, "plan/submit", p.user("proc", "leader"))).body.plan
      .cosignatureId as string;
    expectProblem(
      await w.act(id, "close", p.user("court", "leader"), { resolution: " " }),
      400,
      "validation_failed",
    );
    const closed = await w.act(id, "close", p.user("court", "department_head"), {
      resolution: "申请人息诉罢访。",
    });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({
      status: { code: "closed", label: { zh: "已办结", en: "Closed" } },
      closure: { resolution: "申请人息诉罢访。", by: { id: p.user("court", "department_head").id } },
      plan: { status: { code: "withdrawn" } },
    });
    const d = await w.detail(id);
    expect(d.body.cosignature).toMatchObject({ id: round, status: { code: "withdrawn" } });
    expect(await w.heard(id, "risk_alert.closed")).toEqual({
      "proc.leader": ["risk_alert.closed"],
      "proc.coordinator": ["risk_alert.closed"],
      "proc.handler": ["risk_alert.closed"],
    });

    const before = await w.stored(id);
    const sign = await w.t.request(`/v1/cosignatures/${round}/sign`, {
      method: "POST",
      as: p.user("proc", "leader"),
      json: {},
    });
    expectProblem(sign, 409, "round_closed");
    expectProblem(
      await w.act(id, "close", p.user("proc", "leader"), { resolution: "再次" }),
      409,
      "already_closed",
    );
    expectProblem(await w.act(id, "acknowledge", p.user("court", "leader")), 409, "already_closed");
    expectProblem(
      await w.act(id, "plan", p.user("proc", "leader"), { text: "改" }, "PUT"),
      409,
      "already_closed",
    );
    expectProblem(await w.act(id, "plan/submit", p.user("proc", "leader")), 409, "already_closed");
    expectProblem(
      await w.act(id, "assessments", p.user("proc", "leader"), {
        level: "low",
        assessment: "a",
        measures: "m",
      }),
      409,
      "already_closed",
    );
    expect(await w.stored(id)).toEqual(before);

    // Closing without a plan.
    const other = await w.acknowledged();
    const c2 = await w.act(other, "close", p.user("proc", "handler"), { resolution: "风险已化解" });
    expect(c2.body).toMatchObject({ status: { code: "closed" }, plan: null });
  });
});

describe("tenancy, lists and sync", () => {
  it("a user of another pair gets 404 on every route", async () => {
    const w = await world();
    const other = await w.t.pair();
    const id = await w.acknowledged();
    const stranger = other.user("court", "leader");
    const before = await w.stored(id);
    const calls: [string, string, object][] = [
      ["GET", "", {}],
      ["POST", "acknowledge", {}],
      ["POST", "assessments", { level: "low", assessment: "a", measures: "m" }],
      ["PUT", "plan", { text: "t" }],
      ["POST", "plan/submit", {}],
      ["POST", "close", { resolution: "r" }],
    ];
    for (const [method, verb, json] of calls) {
      const path = verb ? `/v1/risk-alerts/${id}/${verb}` : `/v1/risk-alerts/${id}`;
      expectProblem(
        await w.t.request(path, { method, as: stranger, json: method === "GET" ? undefined : json }),
        404,
      );
    }
    expect((await w.t.request("/v1/risk-alerts", { as: stranger })).body.items).toEqual([]);
    expect(await w.stored(id)).toEqual(before);
  });

  it("lists both directions with level, status, document, period, cursor and updatedSince", async () => {
    const w = await world("2026-09-01T10:00:00");
    const { p } = w;
    const doc = await w.t.request("/v1/documents", {
      method: "POST",
      as: p.user("proc", "handler"),
      headers: key(),
      json: {
        type: "protest.civil",
        docNumber: "示检民监〔2026〕9号",
        caseNumbers: ["(2025)示01民终1234号"],
        caseCategory: "civil",
        title: "抗诉书",
        attachments: [],
      },
    });
    expect(doc.status).toBe(201);
    const a = (await w.raise({ ...alert, caseNumbers: undefined, documentId: doc.body.id })).body;
    expect(a.documentId).toBe(doc.body.id);
    w.t.clock.set(cst("2026-09-02T10:00:00"));
    const b = (await w.raise({ ...alert, level: "low" }, p.user("court", "handler"))).body;
    w.t.clock.set(cst("2026-09-03T10:00:00"));
    await w.act(a.id, "acknowledge", p.user("court", "leader"));

    const list = (q: string, as = p.user("proc", "leader")) => w.t.request(`/v1/risk-alerts?${q}`, { as });
    const ids = async (q: string) => (await list(q)).body.items.map((x: any) => x.id);
    expect(await ids("")).toEqual([b.id, a.id]); // update order
    expect(await ids("direction=out")).toEqual([a.id]);
    expect(await ids("direction=in")).toEqual([b.id]);
    expect(await ids("level=low")).toEqual([b.id]);
    expect(await ids("status=acknowledged")).toEqual([a.id]);
    expect(await ids("status=raised,closed")).toEqual([b.id]);
    expect(await ids(`documentId=${doc.body.id}`)).toEqual([a.id]);
    expect(await ids("from=2026-09-02&to=2026-09-02")).toEqual([b.id]);
    expect(await ids("updatedSince=2026-09-02T10:30:00%2B08:00")).toEqual([a.id]);
    const page1 = await list("limit=1");
    expect(page1.body.items.map((x: any) => x.id)).toEqual([b.id]);
    expect(await ids(`limit=1&cursor=${page1.body.nextCursor}`)).toEqual([a.id]);
    const item = (await list("direction=in")).body.items[0];
    expect(item).toMatchObject({
      direction: "in",
      status: { code: "raised" },
      level: { label: { zh: "低风险", en: "Low" } },
    });
    expectProblem(await list("status=nonsense"), 400, "validation_failed");
    expectProblem(await list("level=extreme"), 400, "validation_failed");
    expectProblem(await list("cursor=zzz"), 400, "validation_failed");
  });
});

describe("who acted, by name", () => {
  it("names who acknowledged, last edited the plan and closed in the list and in the PUT answer, a no-op included", async () => {
    const w = await world();
    const { p } = w;
    const id = (await w.raise()).body.id as string;
    const [acker, drafter, other, closer] = [
      p.user("court", "coordinator"),
      p.user("court", "handler"),
      p.user("proc", "handler"),
      p.user("proc", "leader"),
    ];
    expect((await w.act(id, "acknowledge", acker)).status).toBe(200);
    const put = await w.act(id, "plan", drafter, { text: "应急预案" }, "PUT");
    expect(put.body.plan.updatedBy).toEqual({ id: drafter.id, name: drafter.name });
    expect(put.body.acknowledged.by).toEqual({ id: acker.id, name: acker.name });
    // The same text again, by someone else: nothing changes, and the answer still names the drafter.
    const noop = await w.act(id, "plan", other, { text: "应急预案" }, "PUT");
    expect(noop.status).toBe(200);
    expect(noop.body.plan.updatedBy).toEqual({ id: drafter.id, name: drafter.name });
    expect((await w.act(id, "close", closer, { resolution: "办结" })).status).toBe(200);
    const list = await w.t.request("/v1/risk-alerts?status=closed", { as: p.user("court", "auditor") });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      acknowledged: { by: { id: acker.id, name: acker.name } },
      plan: { updatedBy: { id: drafter.id, name: drafter.name } },
      closure: { resolution: "办结", by: { id: closer.id, name: closer.name } },
    });
    expect(acker.name && drafter.name && closer.name).toBeTruthy();
  });
});

describe("round trips", () => {
  it("every risk-alert route is one database round trip, refusals and the co-signature included", async () => {
    const w = await world();
    const { p, t } = w;
    const client = t.deps.db.$client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    let calls = 0;
    for (const m of ["execute", "batch", "executeMultiple"]) {
      const orig = client[m]!.bind(client);
      client[m] = (...a: unknown[]) => (calls++, orig(...a));
    }
    const count = async (path: string, as: { id: string }, init: { method?: string; json?: object } = {}) => {
      calls = 0;
      const res = await t.request(path, { as, headers: key(), ...init });
      return { status: res.status, calls, body: res.body };
    };
    const [court, proc] = [p.user("court", "leader"), p.user("proc", "leader")];
    const raised = await count("/v1/risk-alerts", proc, { method: "POST", json: alert });
    expect(raised).toMatchObject({ status: 201, calls: 1 });
    const id = raised.body.id;
    const at = (verb: string) => `/v1/risk-alerts/${id}/${verb}`;
    const steps: [string, { id: string }, { method?: string; json?: object }, number][] = [
      ["/v1/risk-alerts", proc, {}, 200],
      [`/v1/risk-alerts/${id}`, court, {}, 200],
      [
        at("assessments"),
        court,
        { method: "POST", json: { level: "low", assessment: "a", measures: "m" } },
        409,
      ],
      [at("acknowledge"), court, { method: "POST", json: {} }, 200],
      [at("acknowledge"), court, { method: "POST", json: {} }, 409],
      [
        at("assessments"),
        court,
        { method: "POST", json: { level: "low", assessment: "a", measures: "m" } },
        201,
      ],
      [at("plan"), court, { method: "PUT", json: { text: "预案" } }, 200],
      [at("plan"), court, { method: "PUT", json: { text: "预案" } }, 200],
      [at("plan/submit"), proc, { method: "POST" }, 200],
      [at("plan"), court, { method: "PUT", json: { text: "改" } }, 409],
      [at("close"), proc, { method: "POST", json: { resolution: "办结" } }, 200],
      [at("close"), proc, { method: "POST", json: { resolution: "办结" } }, 409],
    ];
    for (const [path, as, init, status] of steps)
      expect({ path, ...(await count(path, as, init)) }).toMatchObject({ path, status, calls: 1 });
  });
});
