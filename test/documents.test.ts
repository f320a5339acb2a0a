import { beforeAll, describe, expect, it } from "vitest";
import { roleAssignments, users } from "../src/db/schema";
import { expectProblem, setup, type TestApp } from "./helpers";

let t: TestApp;
let p: Awaited<ReturnType<TestApp["pair"]>>;
let other: Awaited<ReturnType<TestApp["pair"]>>;
let keyN = 0;

const newDoc = (over: Record<string, unknown> = {}) => ({
  type: "protest.civil",
  docNumber: "示检民监〔2026〕12号",
  caseNumbers: ["(2025)示01民终1234号"],
  caseCategory: "civil",
  title: "关于张某与李某借款合同纠纷一案的抗诉书",
  summary: "原判决认定事实的主要证据不足。",
  attachments: [{ name: "抗诉书.pdf", size: 123456, sha256: "a".repeat(64), mediaType: "application/pdf" }],
  ...over,
});

async function send(pair = p, over: Record<string, unknown> = {}, as = pair.user("proc", "handler")) {
  const res = await t.request("/v1/documents", {
    method: "POST",
    as,
    json: newDoc(over),
    headers: { "idempotency-key": `key-${++keyN}-abcdef` },
  });
  return res;
}
const post = (path: string, as: { id: string }, json: unknown = {}) =>
  t.request(path, { method: "POST", as, json });

beforeAll(async () => {
  t = await setup(); // clock: 2026-09-01T02:00Z = 10:00 in China
  p = await t.pair();
  other = await t.pair();
});

describe("POST /v1/documents", () => {
  it("sends a protest from the procuratorate to the court's 办公室 with bilingual labels", async () => {
    const res = await send();
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/v1/documents/${res.body.id}`);
    expect(res.body.status).toEqual({ code: "sent", label: { zh: "已发送", en: "Sent" } });
    expect(res.body.type.label.zh).toBe("民事抗诉书");
    expect(res.body.recipient.id).toBe(p.court.id);
    expect(res.body.receivingDepartment.name).toBe("办公室");
    expect(res.body.deadline).toMatchObject({
      ruleId: "default:protest.civil",
      ruleVersion: 1,
      periodDays: 30,
      version: 0,
    });
    expect(res.body.dueOn).toBeNull();
  });

  it("routes a judicial suggestion from the court to the procuratorate's 综合业务部", async () => {
    const res = await send(p, { type: "judicial_suggestion", periodDays: 45 }, p.user("court", "handler"));
    expect(res.status).toBe(201);
    expect(res.body.receivingDepartment.name).toBe("综合业务部");
    expect(res.body.deadline.periodDays).toBe(45);
  });

  it("refuses a court sending a protest (422 wrong_direction) and writes nothing", async () => {
    expectProblem(await send(p, {}, p.user("court", "handler")), 422, "wrong_direction");
    const out = await t.request("/v1/documents?box=outbox", { as: p.user("court", "handler") });
    expect(out.body.items.every((d: any) => d.type.code === "judicial_suggestion")).toBe(true);
  });

  it("refuses a sender-set period on a statutory type and one above the maximum", async () => {
    expectProblem(await send(p, { periodDays: 10 }), 400, "validation_failed");
    const tooLong = await send(
      p,
      { type: "judicial_suggestion", periodDays: 90 },
      p.user("court", "handler"),
    );
    expectProblem(tooLong, 400, "validation_failed");
    expect(tooLong.body.errors[0].path).toBe("periodDays");
  });

  it("answers 400 naming both fields when both periodDays and periodMonths are sent", async () => {
    const both = await send(
      p,
      { type: "judicial_suggestion", periodDays: 20, periodMonths: 1 },
      p.user("court", "handler"),
    );
    expectProblem(both, 400, "validation_failed");
    expect(both.body.errors.map((e: any) => e.path).sort()).toEqual(["periodDays", "periodMonths"]);
  });

  it("requires an Idempotency-Key and validates fields", async () => {
    const noKey = await t.request("/v1/documents", {
      method: "POST",
      as: p.user("proc", "handler"),
      json: newDoc(),
    });
    expectProblem(noKey, 400, "validation_failed");
    const bad = await send(p, { type: "nonsense", caseNumbers: [] });
    expectProblem(bad, 400, "validation_failed");
    expect(bad.body.errors.map((e: any) => e.path).sort()).toEqual(["caseNumbers", "type"]);
  });

  it("returns the same document for a retry, and 409 for the key reused with another body", async () => {
    const headers = { "idempotency-key": "retry-key-123456" };
    const as = p.user("proc", "department_head");
    const first = await t.request("/v1/documents", { method: "POST", as, json: newDoc(), headers });
    const again = await t.request("/v1/documents", { method: "POST", as, json: newDoc(), headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expectProblem(
      await t.request("/v1/documents", { method: "POST", as, json: newDoc({ title: "另一件" }), headers }),
      409,
      "idempotency_key_reused",
    );
  });

  it("creates exactly one document under ten concurrent retries", async () => {
    const headers = { "idempotency-key": "concurrent-key-1" };
    const as = p.user("proc", "leader");
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.request("/v1/documents", { method: "POST", as, json: newDoc(), headers }),
      ),
    );
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const out = await t.request("/v1/documents?box=outbox&limit=200", { as });
    expect(out.body.items.filter((d: any) => d.id === results[0]!.body.id)).toHaveLength(1);
  });
});

describe("the life of a protest", () => {
  it("is received, assigned, replied and acknowledged, with a timeline of each step", async () => {
    const doc = (await send()).body;
    const reg = p.user("court", "registrar");
    const handler = p.user("court", "handler");

    const received = await post(`/v1/documents/${doc.id}/receive`, reg, { receivedOn: "2026-09-01" });
    expect(received.status).toBe(200);
    expect(received.body.status.code).toBe("received");
    expect(received.body.dueOn).toBe("2026-10-08"); // 30 days → 10-01 is National Day → 10-08
    expect(received.body.deadline.version).toBe(1);
    expect(received.body.deadline.calendarComplete).toBe(true);

    const dept = p.dept(p.court.id, "民事审判第一庭");
    const assigned = await post(`/v1/documents/${doc.id}/assign`, reg, {
      departmentId: dept.id,
      handlerId: handler.id,
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body.handler).toEqual({ id: handler.id, name: handler.name });

    expectProblem(
      await post(`/v1/documents/${doc.id}/reply`, handler, {
        content: "已裁定再审",
        decision: "adopted",
        repliedOn: "2026-09-01",
      }),
      400,
      "validation_failed",
    );
    const replied = await post(`/v1/documents/${doc.id}/reply`, handler, {
      content: "已裁定再审",
      decision: "adopted",
      retrialRuled: true,
      repliedOn: "2026-09-01",
    });
    expect(replied.status).toBe(200);
    expect(replied.body.reply).toMatchObject({
      decision: { code: "adopted" },
      retrialRuled: true,
      late: false,
    });

    const acked = await post(`/v1/documents/${doc.id}/acknowledge`, p.user("proc", "handler"), {
      result: "accepted",
    });
    expect(acked.body.status.code).toBe("acknowledged");

    const detail = await t.request(`/v1/documents/${doc.id}`, { as: p.user("proc", "auditor") });
    expect(detail.body.timeline.map((e: any) => e.type)).toEqual([
      "created",
      "received",
      "assigned",
      "replied",
      "acknowledged",
    ]);
    const rec = detail.body.timeline[1];
    expect(rec.actor.id).toBe(reg.id);
    expect(rec.changes.status).toEqual({ before: "sent", after: "received" });
    expect(rec.changes.dueOn).toEqual({ before: null, after: "2026-10-08" });
  });

  it("refuses a handler who is not in the chosen department (422 handler_not_in_department), changing nothing", async () => {
    const doc = (await send()).body;
    const reg = p.user("court", "registrar");
    const handler = p.user("court", "handler"); // of 民事审判第一庭
    await post(`/v1/documents/${doc.id}/receive`, reg, { receivedOn: "2026-09-01" });
    const wrong = await post(`/v1/documents/${doc.id}/assign`, reg, {
      departmentId: p.dept(p.court.id, "行政审判庭").id,
      handlerId: handler.id,
    });
    expectProblem(wrong, 422, "handler_not_in_department");
    // A department of another organisation, or someone who is no handler, stays `invalid_assignee`.
    expectProblem(
      await post(`/v1/documents/${doc.id}/assign`, reg, {
        departmentId: p.dept(p.procuratorate.id, "办公室").id,
        handlerId: handler.id,
      }),
      422,
      "invalid_assignee",
    );
    const after = await t.request(`/v1/documents/${doc.id}`, { as: reg });
    expect(after.body).toMatchObject({
      status: { code: "received" },
      handler: null,
      handlingDepartment: null,
    });
    expect(after.body.timeline.map((e: any) => e.type)).toEqual(["created", "received"]);
    const inbox = await t.request("/v1/notifications", { as: handler });
    expect(inbox.body.items.filter((n: any) => n.subject.id === doc.id)).toEqual([]);

    // Assigned properly, a reassignment to the wrong department leaves the assignment as it was.
    const civil = p.dept(p.court.id, "民事审判第一庭");
    expect(
      (await post(`/v1/documents/${doc.id}/assign`, reg, { departmentId: civil.id, handlerId: handler.id }))
        .status,
    ).toBe(200);
    expectProblem(
      await post(`/v1/documents/${doc.id}/assign`, reg, {
        departmentId: p.dept(p.court.id, "执行局").id,
        handlerId: handler.id,
      }),
      422,
      "handler_not_in_department",
    );
    const still = await t.request(`/v1/documents/${doc.id}`, { as: reg });
    expect(still.body.handlingDepartment).toEqual({ id: civil.id, name: "民事审判第一庭" });
    expect(still.body.timeline.map((e: any) => e.type)).toEqual(["created", "received", "assigned"]);
  });

  it("shows department and handler names beside their ids in the timeline", async () => {
    const pair = await t.pair();
    const doc = (await send(pair)).body;
    const reg = pair.user("court", "registrar");
    const civil = pair.dept(pair.court.id, "民事审判第一庭");
    const admin = pair.dept(pair.court.id, "行政审判庭");
    // A second handler, of the administrative division.
    const judge = { id: `admin-judge-${pair.court.id}`, name: "黄法官" };
    const at = t.clock.now().toISOString();
    await t.deps.db.insert(users).values({
      id: judge.id,
      jurisdictionId: pair.jurisdiction.id,
      orgId: pair.court.id,
      departmentId: admin.id,
      email: `judge@${pair.court.id}.test`,
      name: judge.name,
      createdAt: at,
    });
    await t.deps.db.insert(roleAssignments).values({
      id: `${judge.id}-role`,
      jurisdictionId: pair.jurisdiction.id,
      orgId: pair.court.id,
      userId: judge.id,
      role: "handler",
      createdAt: at,
    });
    const handler = pair.user("court", "handler");
    await post(`/v1/documents/${doc.id}/receive`, reg, { receivedOn: "2026-09-01" });
    await post(`/v1/documents/${doc.id}/assign`, reg, { departmentId: civil.id, handlerId: handler.id });
    const re = await post(`/v1/documents/${doc.id}/assign`, reg, {
      departmentId: admin.id,
      handlerId: judge.id,
    });
    expect(re.status).toBe(200);
    const detail = await t.request(`/v1/documents/${doc.id}`, { as: pair.user("proc", "handler") });
    const [assigned, reassigned] = detail.body.timeline.filter((e: any) => e.type.endsWith("assigned"));
    expect(assigned.changes).toMatchObject({
      handlingDepartmentId: { before: null, after: civil.id },
      handlingDepartment: { before: null, after: { id: civil.id, name: "民事审判第一庭" } },
      handlerId: { before: null, after: handler.id },
      handler: { before: null, after: { id: handler.id, name: handler.name } },
    });
    expect(reassigned.changes).toMatchObject({
      handlingDepartment: {
        before: { id: civil.id, name: "民事审判第一庭" },
        after: { id: admin.id, name: "行政审判庭" },
      },
      handler: { before: { id: handler.id, name: handler.name }, after: judge },
    });
    // A change that touches neither shows neither.
    const received = detail.body.timeline.find((e: any) => e.type === "received");
    expect(Object.keys(received.changes)).not.toContain("handler");
  });

  it("lets exactly one of two concurrent registrars receive", async () => {
    const doc = (await send()).body;
    const [a, b] = await Promise.all([
      post(`/v1/documents/${doc.id}/receive`, p.user("court", "registrar"), { receivedOn: "2026-09-01" }),
      post(`/v1/documents/${doc.id}/receive`, p.user("court", "registrar"), { receivedOn: "2026-09-01" }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expectProblem(loser, 409, "already_received");
    const detail = await t.request(`/v1/documents/${doc.id}`, { as: p.user("court", "registrar") });
    expect(detail.body.timeline.filter((e: any) => e.type === "received")).toHaveLength(1);
  });

  it("refuses out-of-order transitions with a 409 naming the problem, changing nothing", async () => {
    const doc = (await send()).body;
    const handler = p.user("court", "handler");
    expectProblem(
      await post(`/v1/documents/${doc.id}/reply`, handler, {
        content: "x",
        decision: "adopted",
        retrialRuled: false,
        repliedOn: "2026-09-01",
      }),
      409,
      "not_yet_assigned",
    );
    expectProblem(
      await post(`/v1/documents/${doc.id}/acknowledge`, p.user("proc", "handler"), { result: "accepted" }),
      409,
      "not_yet_replied",
    );
    const w = await post(`/v1/documents/${doc.id}/withdraw`, p.user("proc", "handler"), { note: "文号有误" });
    expect(w.body.status.code).toBe("withdrawn");
    expectProblem(
      await post(`/v1/documents/${doc.id}/receive`, p.user("court", "registrar"), {
        receivedOn: "2026-09-01",
      }),
      409,
      "document_withdrawn",
    );
    const detail = await t.request(`/v1/documents/${doc.id}`, { as: p.user("court", "registrar") });
    expect(detail.body.timeline.map((e: any) => e.type)).toEqual(["created", "withdrawn"]);
  });

  it("rejects a receipt date in the future or before sending", async () => {
    const doc = (await send()).body;
    expectProblem(
      await post(`/v1/documents/${doc.id}/receive`, p.user("court", "registrar"), {
        receivedOn: "2026-09-02",
      }),
      400,
      "validation_failed",
    );
    expectProblem(
      await post(`/v1/documents/${doc.id}/receive`, p.user("court", "registrar"), {
        receivedOn: "2026-08-30",
      }),
      422,
      "received_before_sent",
    );
  });

  it("answers 403 to the wrong role or party and 404 to another pair", async () => {
    const doc = (await send()).body;
    expectProblem(
      await post(`/v1/documents/${doc.id}/receive`, p.user("court", "handler"), { receivedOn: "2026-09-01" }),
      403,
      "forbidden",
    );
    expectProblem(
      await post(`/v1/documents/${doc.id}/receive`, p.user("proc", "registrar"), {
        receivedOn: "2026-09-01",
      }),
      403,
      "forbidden",
    );
    expectProblem(
      await post(`/v1/documents/${doc.id}/receive`, other.user("court", "registrar"), {
        receivedOn: "2026-09-01",
      }),
      404,
      "not_found",
    );
    expectProblem(
      await t.request(`/v1/documents/${doc.id}`, { as: other.user("court", "leader") }),
      404,
      "not_found",
    );
  });

  it("marks a reply after the deadline as late and flags 'not accepted' for follow-up by the next level", async () => {
    const city = await t.pair({ level: "city" });
    const district = await t.pair({ parentId: city.jurisdiction.id });
    t.clock.set("2026-06-15T03:00:00Z");
    const doc = (await send(district, { type: "suggestion.general" })).body;
    await post(`/v1/documents/${doc.id}/receive`, district.user("court", "registrar"), {
      receivedOn: "2026-06-15",
    });
    t.clock.set("2026-09-01T02:00:00Z");
    await post(`/v1/documents/${doc.id}/assign`, district.user("court", "registrar"), {
      departmentId: district.dept(district.court.id, "民事审判第一庭").id,
      handlerId: district.user("court", "handler").id,
    });
    const replied = await post(`/v1/documents/${doc.id}/reply`, district.user("court", "handler"), {
      content: "已整改",
      decision: "partly_adopted",
      repliedOn: "2026-08-31",
    });
    expect(replied.body.dueOn).toBe("2026-08-17"); // 2 months → 08-15 is a Saturday → Monday
    expect(replied.body.reply.late).toBe(true);
    const acked = await post(`/v1/documents/${doc.id}/acknowledge`, district.user("proc", "leader"), {
      result: "not_accepted",
      reason: "整改不到位",
    });
    expect(acked.body.followup).toEqual({ orgId: city.procuratorate.id });
    const followups = await t.request("/v1/documents?box=followup", { as: city.user("proc", "registrar") });
    expect(followups.body.items.map((d: any) => d.id)).toEqual([doc.id]);
    expectProblem(await t.request(`/v1/documents/${doc.id}`, { as: city.user("court", "registrar") }), 404);
  });
});
