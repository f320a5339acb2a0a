// Extensions, 催办, judicial-committee invitations, lists and isolation of supervision documents.
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, setup, type TestApp } from "./helpers";

let t: TestApp;
let p: Awaited<ReturnType<TestApp["pair"]>>;
let other: Awaited<ReturnType<TestApp["pair"]>>;
let n = 0;

const newDoc = (over: Record<string, unknown> = {}) => ({
  type: "suggestion.enforcement",
  docNumber: `示检执监〔2026〕${++n}号`,
  caseNumbers: [`(2025)示01执${1000 + n}号`],
  caseCategory: "enforcement",
  title: "关于规范执行款发放的检察建议",
  ...over,
});
const post = (path: string, as: { id: string }, json: unknown = {}) =>
  t.request(path, { method: "POST", as, json });

async function open(over: Record<string, unknown> = {}, pair = p) {
  const sent = await t.request("/v1/documents", {
    method: "POST",
    as: pair.user("proc", "handler"),
    json: newDoc(over),
    headers: { "idempotency-key": `flow-${n}-${Math.random()}` },
  });
  expect(sent.status).toBe(201);
  const id = sent.body.id;
  await post(`/v1/documents/${id}/receive`, pair.user("court", "registrar"), { receivedOn: "2026-09-01" });
  const assigned = await post(`/v1/documents/${id}/assign`, pair.user("court", "registrar"), {
    departmentId: pair.dept(pair.court.id, "民事审判第一庭").id,
    handlerId: pair.user("court", "handler").id,
  });
  expect(assigned.status).toBe(200);
  return assigned.body;
}

beforeAll(async () => {
  t = await setup();
  p = await t.pair();
  other = await t.pair();
});

describe("extensions", () => {
  it("extends an enforcement suggestion by one month after a leader approves, keeping the history", async () => {
    const doc = await open();
    expect(doc.dueOn).toBe("2026-12-01"); // 3 months from 09-01
    const asked = await post(`/v1/documents/${doc.id}/extensions`, p.user("court", "handler"), {
      reason: "需调取执行卷宗核实",
    });
    expect(asked.status).toBe(200);
    expect(asked.body.pendingExtension).toMatchObject({ periodMonths: 1, reason: "需调取执行卷宗核实" });
    expectProblem(
      await post(`/v1/documents/${doc.id}/extensions`, p.user("court", "handler"), { reason: "again" }),
      409,
      "extension_pending",
    );
    const xid = asked.body.pendingExtension.id;
    expectProblem(
      await post(`/v1/documents/${doc.id}/extensions/${xid}/decision`, p.user("court", "department_head"), {
        approve: true,
      }),
      403,
    );
    const approved = await post(
      `/v1/documents/${doc.id}/extensions/${xid}/decision`,
      p.user("court", "leader"),
      { approve: true, note: "同意延长一个月" },
    );
    expect(approved.status).toBe(200);
    // 12-01 + 1 month = 2027-01-01, a Friday: with no 2027 calendar loaded, only weekends count, and it says so.
    expect(approved.body.dueOn).toBe("2027-01-01");
    expect(approved.body.deadline).toMatchObject({ version: 2, calendarComplete: false });
    expect(approved.body.pendingExtension).toBeNull();
    expectProblem(
      await post(`/v1/documents/${doc.id}/extensions/${xid}/decision`, p.user("court", "leader"), {
        approve: true,
      }),
      409,
      "no_pending_extension",
    );
    expectProblem(
      await post(`/v1/documents/${doc.id}/extensions`, p.user("court", "handler"), { reason: "once more" }),
      409,
      "already_extended",
    );
    const detail = await t.request(`/v1/documents/${doc.id}`, { as: p.user("court", "auditor") });
    const ext = detail.body.timeline.find((e: any) => e.type === "extension_approved");
    expect(ext.actor.id).toBe(p.user("court", "leader").id);
    expect(ext.note).toBe("同意延长一个月");
    expect(ext.changes.dueOn).toEqual({ before: "2026-12-01", after: "2027-01-01" });
  });

  it("leaves the deadline unchanged when the extension is rejected", async () => {
    const doc = await open();
    const asked = await post(`/v1/documents/${doc.id}/extensions`, p.user("court", "handler"), {
      reason: "x",
    });
    const rejected = await post(
      `/v1/documents/${doc.id}/extensions/${asked.body.pendingExtension.id}/decision`,
      p.user("court", "leader"),
      { approve: false },
    );
    expect(rejected.body.dueOn).toBe("2026-12-01");
    expect(rejected.body.deadline.version).toBe(1);
  });

  it("refuses an extension for a type whose rule has none", async () => {
    const doc = await open({ type: "suggestion.general" });
    expectProblem(
      await post(`/v1/documents/${doc.id}/extensions`, p.user("court", "handler"), { reason: "x" }),
      422,
      "extension_not_allowed",
    );
  });
});

describe("催办 (urging)", () => {
  it("notifies the handler and department head, and allows it once per 24 hours", async () => {
    const doc = await open();
    const urged = await post(`/v1/documents/${doc.id}/urge`, p.user("proc", "handler"), {
      note: "请尽快回复",
    });
    expect(urged.status).toBe(200);
    expect(urged.body.lastUrgedAt).toBe(t.clock.now().toISOString());
    const again = await post(`/v1/documents/${doc.id}/urge`, p.user("proc", "handler"), {});
    expectProblem(again, 429, "urge_rate_limited");
    expect(Number(again.headers.get("retry-after"))).toBe(86400);
    const rows = await t.deps.db.$client.execute({
      sql: "select user_id from notifications where subject_id = ? and kind = 'document.urged'",
      args: [doc.id],
    });
    const told = rows.rows.map((r) => r.user_id).sort();
    expect(told).toEqual([p.user("court", "handler").id, p.user("court", "department_head").id].sort());
    t.clock.advance(24 * 3600_000);
    expect((await post(`/v1/documents/${doc.id}/urge`, p.user("proc", "handler"), {})).status).toBe(200);
    t.clock.set("2026-09-01T02:00:00Z");
    expectProblem(await post(`/v1/documents/${doc.id}/urge`, p.user("court", "handler"), {}), 403);
  });
});

describe("judicial-committee invitations", () => {
  it("invites the chief procurator for a protest, and the procuratorate delegates to a deputy", async () => {
    const doc = await open({ type: "protest.civil", caseCategory: "civil" });
    const invited = await post(
      `/v1/documents/${doc.id}/committee-sessions`,
      p.user("court", "department_head"),
      { sessionAt: "2026-09-20T09:00:00+08:00", place: "第一审判委员会会议室" },
    );
    expect(invited.status).toBe(200);
    expect(invited.body.committeeSession).toMatchObject({
      sessionAt: "2026-09-20T01:00:00.000Z",
      place: "第一审判委员会会议室",
      response: null,
    });
    const sid = invited.body.committeeSession.id;
    const inbox = await t.request(`/v1/documents?box=outbox`, { as: p.user("proc", "leader") });
    expect(inbox.body.items.find((d: any) => d.id === doc.id).committeeSession.id).toBe(sid);
    expectProblem(
      await post(`/v1/documents/${doc.id}/committee-sessions/${sid}/response`, p.user("proc", "leader"), {
        response: "delegate",
      }),
      400,
      "validation_failed",
    );
    const answered = await post(
      `/v1/documents/${doc.id}/committee-sessions/${sid}/response`,
      p.user("proc", "leader"),
      { response: "delegate", delegateName: "钱副检察长" },
    );
    expect(answered.body.committeeSession).toMatchObject({
      response: { code: "delegate", label: { zh: "委托副检察长列席" } },
      delegateName: "钱副检察长",
    });
    const courtView = await t.request(`/v1/documents/${doc.id}`, { as: p.user("court", "registrar") });
    expect(courtView.body.committeeSession.response.code).toBe("delegate");
    expectProblem(
      await post(`/v1/documents/${doc.id}/committee-sessions/${sid}/response`, p.user("proc", "leader"), {
        response: "attend",
      }),
      409,
      "invitation_not_open",
    );
  });

  it("refuses an invitation on a document that is not a protest", async () => {
    const doc = await open();
    expectProblem(
      await post(`/v1/documents/${doc.id}/committee-sessions`, p.user("court", "leader"), {
        sessionAt: "2026-09-20T09:00:00+08:00",
        place: "x",
      }),
      422,
      "not_a_protest",
    );
  });
});

describe("GET /v1/documents", () => {
  it("filters, sorts by due date and paginates without gaps or repeats", async () => {
    const pair = await t.pair();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push(
        (
          await open(
            {
              type: i % 2 ? "suggestion.general" : "protest.civil",
              caseCategory: "civil",
              caseNumbers: [`(2026)示01民终${i}号`],
            },
            pair,
          )
        ).id,
      );
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.request(`/v1/documents?limit=3${cursor ? `&cursor=${cursor}` : ""}`, {
        as: pair.user("court", "registrar"),
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.map((d) => d.id).sort()).toEqual([...ids].sort());
    const dues = seen.map((d) => d.dueOn);
    expect(dues).toEqual([...dues].sort());
    const protests = await t.request(`/v1/documents?type=protest.civil`, {
      as: pair.user("court", "registrar"),
    });
    expect(protests.body.items).toHaveLength(4);
    const byCase = await t.request(`/v1/documents?caseNumber=${encodeURIComponent("民终3号")}`, {
      as: pair.user("court", "registrar"),
    });
    expect(byCase.body.items.map((d: any) => d.id)).toEqual([ids[3]]);
    const dueBefore = await t.request(`/v1/documents?dueBefore=2026-10-09`, {
      as: pair.user("court", "registrar"),
    });
    expect(dueBefore.body.items.every((d: any) => d.dueOn < "2026-10-09")).toBe(true);
    expect(dueBefore.body.items).toHaveLength(4);
    const byHandler = await t.request(
      `/v1/documents?handlerId=${pair.user("court", "handler").id}&status=assigned`,
      { as: pair.user("court", "registrar") },
    );
    expect(byHandler.body.items).toHaveLength(7);
    expectProblem(
      await t.request(`/v1/documents?status=bogus`, { as: pair.user("court", "registrar") }),
      400,
      "validation_failed",
    );
    expectProblem(
      await t.request(`/v1/documents?cursor=nonsense`, { as: pair.user("court", "registrar") }),
      400,
      "validation_failed",
    );
  });

  it("reports overdue documents and counts by status", async () => {
    const pair = await t.pair();
    const doc = await open({ type: "protest.civil", caseCategory: "civil" }, pair);
    t.clock.set("2026-10-09T02:00:00Z"); // due 10-08
    const overdue = await t.request(`/v1/documents?overdue=true`, { as: pair.user("court", "registrar") });
    expect(overdue.body.items.map((d: any) => d.id)).toEqual([doc.id]);
    expect(overdue.body.items[0].overdue).toBe(true);
    const counts = await t.request(`/v1/documents/counts?box=inbox`, { as: pair.user("court", "leader") });
    expect(counts.body).toMatchObject({
      box: "inbox",
      total: 1,
      overdue: 1,
      byStatus: { assigned: 1, sent: 0 },
    });
    const outCounts = await t.request(`/v1/documents/counts?box=outbox`, { as: pair.user("proc", "leader") });
    expect(outCounts.body.overdue).toBe(1);
    t.clock.set("2026-09-01T02:00:00Z");
  });

  it("returns only documents changed since a given instant, for mobile sync", async () => {
    const pair = await t.pair();
    const a = await open({}, pair);
    const mark = t.clock.now().toISOString();
    t.clock.advance(60_000);
    const b = await open({}, pair);
    t.clock.advance(60_000);
    await post(`/v1/documents/${a.id}/urge`, pair.user("proc", "handler"), {});
    const changed = await t.request(`/v1/documents?box=outbox&updatedSince=${encodeURIComponent(mark)}`, {
      as: pair.user("proc", "handler"),
    });
    expect(changed.body.items.map((d: any) => d.id)).toEqual([b.id, a.id]);
    t.clock.set("2026-09-01T02:00:00Z");
  });
});

describe("isolation", () => {
  it("answers 404 on every document route to a user of another jurisdiction, and lists nothing", async () => {
    const doc = await open({ type: "protest.civil", caseCategory: "civil" });
    const outsider = other.user("court", "leader");
    const outsiderProc = other.user("proc", "leader");
    expectProblem(await t.request(`/v1/documents/${doc.id}`, { as: outsider }), 404);
    for (const [path, as, json] of [
      ["/withdraw", outsiderProc, {}],
      ["/receive", other.user("court", "registrar"), { receivedOn: "2026-09-01" }],
      ["/assign", other.user("court", "registrar"), { departmentId: "x", handlerId: "y" }],
      [
        "/reply",
        other.user("court", "handler"),
        { content: "x", decision: "adopted", retrialRuled: true, repliedOn: "2026-09-01" },
      ],
      ["/acknowledge", outsiderProc, { result: "accepted" }],
      ["/urge", outsiderProc, {}],
      ["/extensions", other.user("court", "handler"), { reason: "x" }],
      ["/extensions/x/decision", outsider, { approve: true }],
      ["/committee-sessions", outsider, { sessionAt: "2026-09-20T09:00:00+08:00", place: "x" }],
      ["/committee-sessions/x/response", outsiderProc, { response: "attend" }],
    ] as const)
      expectProblem(await post(`/v1/documents/${doc.id}${path}`, as, json), 404, "not_found");
    for (const box of ["inbox", "outbox", "followup"]) {
      const list = await t.request(`/v1/documents?box=${box}&limit=200`, { as: outsider });
      expect(list.body.items.some((d: any) => d.id === doc.id)).toBe(false);
    }
    const counts = await t.request(`/v1/documents/counts`, { as: outsider });
    expect(counts.body.total).toBe(0);
  });
});

describe("receiving departments", () => {
  it("routes a type to the department an admin designates, and defaults to 办公室 otherwise", async () => {
    const pair = await t.pair();
    const admin = pair.user("court", "admin");
    const supervision = pair.dept(pair.court.id, "审判监督庭");
    const put = await t.request(`/v1/organizations/${pair.court.id}/receiving-routes/protest.civil`, {
      method: "PUT",
      as: admin,
      json: { departmentId: supervision.id },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      type: { code: "protest.civil" },
      department: { id: supervision.id, name: "审判监督庭" },
    });
    const send = (type: string) =>
      t.request("/v1/documents", {
        method: "POST",
        as: pair.user("proc", "handler"),
        headers: { "idempotency-key": `route-${type}-123` },
        json: { type, docNumber: "x", caseNumbers: ["y"], caseCategory: "civil", title: "z" },
      });
    expect((await send("protest.civil")).body.receivingDepartment.name).toBe("审判监督庭");
    expect((await send("suggestion.general")).body.receivingDepartment.name).toBe("办公室");
    const listed = await t.request(`/v1/organizations/${pair.court.id}/receiving-routes`, {
      as: pair.user("court", "registrar"),
    });
    expect(listed.body.items).toHaveLength(1);
    expectProblem(
      await t.request(`/v1/organizations/${pair.court.id}/receiving-routes/*`, {
        method: "PUT",
        as: admin,
        json: { departmentId: pair.dept(pair.procuratorate.id, "综合业务部").id },
      }),
      422,
      "invalid_department",
    );
    expectProblem(
      await t.request(`/v1/organizations/${pair.court.id}/receiving-routes/*`, {
        method: "PUT",
        as: pair.user("proc", "admin"),
        json: { departmentId: supervision.id },
      }),
      403,
    );
    expectProblem(
      await t.request(`/v1/organizations/${pair.court.id}/receiving-routes`, {
        as: other.user("court", "admin"),
      }),
      404,
    );
  });
});

describe("reassignment", () => {
  it("tells both the new handler and the one it was taken from", async () => {
    const pair = await t.pair();
    const doc = await open({}, pair);
    const colleague = pair.people.find((u) => u.orgId === pair.court.id && u.role === "department_head")!;
    // A department head may also handle: give the colleague the handler role for this test.
    await t.deps.db.$client.execute({
      sql: "insert into role_assignments (id, jurisdiction_id, org_id, user_id, role, created_at) values (?, ?, ?, ?, 'handler', ?)",
      args: ["ra-test-1", pair.jurisdiction.id, pair.court.id, colleague.id, "2026-09-01T00:00:00Z"],
    });
    const re = await post(`/v1/documents/${doc.id}/assign`, pair.user("court", "registrar"), {
      departmentId: doc.handlingDepartment.id,
      handlerId: colleague.id,
    });
    expect(re.body.handler.id).toBe(colleague.id);
    const rows = await t.deps.db.$client.execute({
      sql: "select user_id, kind from notifications where subject_id = ? order by kind",
      args: [doc.id],
    });
    const byKind = rows.rows.map((r) => [r.kind, r.user_id]);
    expect(byKind).toContainEqual(["document.reassigned", pair.user("court", "handler").id]);
    expect(byKind).toContainEqual(["document.assigned", colleague.id]);
    const timeline = (await t.request(`/v1/documents/${doc.id}`, { as: pair.user("court", "auditor") })).body
      .timeline;
    expect(timeline.at(-1)).toMatchObject({
      type: "reassigned",
      changes: { handlerId: { before: pair.user("court", "handler").id, after: colleague.id } },
    });
  });
});
