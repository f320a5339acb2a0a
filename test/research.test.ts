// Joint research topics through the real app and libSQL: creation with milestones (idempotent),
// members each side adds of its own, outputs, completion, tenancy, and milestones on the escalation
// ladder driven by the cron on a fake clock over July 2026 (due Wed 07-15: T-5 = Wed 07-08, T0 =
// 07-15, T+3 = Mon 07-20 — the weekend between does not count).
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import { expectProblem, setup, type TestApp } from "./helpers";

const cst = (day: string, at = "10:00") => new Date(`${day}T${at}:00+08:00`);
let keyN = 0;
const key = () => ({ "idempotency-key": `research-test-${++keyN}-${process.pid}` });

async function world() {
  const t = await setup({ clock: fixedClock(cst("2026-07-01")) });
  const p = await t.pair();
  const create = (body: object, as = p.user("court", "coordinator"), headers = key()) =>
    t.request("/v1/research-topics", { method: "POST", as, headers, json: body });
  let runs = 0;
  async function sweepAt(day: string, at = "10:00") {
    t.clock.set(cst(day, at));
    const r = await runJob(t.deps, "sweep", new Date(cst(day, at).getTime() + ++runs));
    expect(r.status).toBe("ok");
  }
  async function heard(id: string) {
    const rows = await t.deps.db.all<{ userId: string; kind: string }>(
      sql`select user_id as userId, kind from notifications where subject_id = ${id} order by id`,
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
      sql`select step, status from escalation_steps where subject_type = 'milestone' and subject_id = ${id}
        order by "offset"`,
    );
  return { t, p, create, sweepAt, heard, ledger };
}

describe("POST /v1/research-topics", () => {
  it("creates a topic led by the caller's institution with the counterpart as partner, milestones and a glance; a retry returns it once", async () => {
    const { t, p, create } = await world();
    const body = {
      title: "民事诉讼检察监督与审判工作衔接机制研究",
      description: "两院联合调研",
      milestones: [
        { title: "调研方案", ownerOrgId: p.court.id, dueOn: "2026-07-15" },
        { title: "调研报告初稿", ownerOrgId: p.procuratorate.id, dueOn: "2026-09-30" },
      ],
    };
    const headers = key();
    const res = await create(body, p.user("court", "coordinator"), headers);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      title: body.title,
      status: { code: "active", label: { zh: "调研中", en: "In progress" } },
      lead: { id: p.court.id, kind: { code: "court" } },
      partner: { id: p.procuratorate.id },
      members: [{ userId: p.user("court", "coordinator").id, role: { code: "lead" } }],
      milestones: [
        {
          position: 1,
          title: "调研方案",
          owner: { id: p.court.id },
          status: { code: "open" },
          overdue: false,
        },
        { position: 2, owner: { id: p.procuratorate.id } },
      ],
      glance: { total: 2, open: 2, done: 0, overdue: 0, percentDone: 0, nextDue: { title: "调研方案" } },
    });
    expect(res.body.timeline.map((e: { type: string }) => e.type)).toEqual(["created"]);
    // The same key and body: the same topic (200); the same key with another body: 409.
    const again = await create(body, p.user("court", "coordinator"), headers);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(res.body.id);
    expectProblem(
      await create({ ...body, title: "另一课题" }, p.user("court", "coordinator"), headers),
      409,
      "idempotency_key_reused",
    );
    const [n] = await t.deps.db.all<{
      topics: number;
      milestones: number;
      hooks: number;
      told: number;
    }>(sql`select
      (select count(*) from research_topics) as topics,
      (select count(*) from research_milestones) as milestones,
      (select count(*) from webhook_events where subject_type in ('research_topic', 'milestone')) as hooks,
      (select count(*) from notifications where kind = 'research.topic_created') as told`);
    expect(n).toEqual({ topics: 1, milestones: 2, hooks: 3, told: 1 });
  });

  it("refuses bad input and changes nothing: an owner outside the pair, a past due date, a handler", async () => {
    const { t, p, create } = await world();
    const other = await t.pair();
    const bad = await create({
      title: "课题",
      milestones: [
        { title: "a", ownerOrgId: p.court.id, dueOn: "2026-08-01" },
        { title: "b", ownerOrgId: other.court.id, dueOn: "2026-08-01" },
      ],
    });
    expectProblem(bad, 400, "validation_failed");
    expect(bad.body.errors).toMatchObject([{ path: "milestones[1].ownerOrgId", code: "not_in_pair" }]);
    const past = await create({
      title: "课题",
      milestones: [{ title: "a", ownerOrgId: p.court.id, dueOn: "2026-06-30" }],
    });
    expectProblem(past, 400, "validation_failed");
    expect(past.body.errors[0]).toMatchObject({ path: "milestones[0].dueOn", code: "due_in_past" });
    expectProblem(
      await create({
        title: "课题",
        milestones: [{ title: "a", ownerOrgId: p.court.id, dueOn: "2026-02-30" }],
      }),
      400,
    );
    const impossible = await create({
      title: "课题",
      milestones: [{ title: "a", ownerOrgId: p.court.id, dueOn: "2026-13-01" }],
    });
    expectProblem(impossible, 400, "validation_failed");
    expect(impossible.body.errors[0].path).toBe("milestones.0.dueOn");
    expectProblem(await create({ title: "课题" }, p.user("court", "handler")), 403, "forbidden");
    const [n] = await t.deps.db.all<{ n: number }>(sql`select count(*) as n from research_topics`);
    expect(n!.n).toBe(0);
  });
});

describe("members, milestones, outputs, completion", () => {
  it("each side adds its own users only (another institution's user: 400 per item, nobody added)", async () => {
    const { t, p, create } = await world();
    const topic = (await create({ title: "课题" })).body;
    const add = (as: { id: string }, userIds: string[]) =>
      t.request(`/v1/research-topics/${topic.id}/members`, { method: "POST", as, json: { userIds } });
    const mixed = await add(p.user("court", "coordinator"), [
      p.user("court", "handler").id,
      p.user("proc", "handler").id,
    ]);
    expectProblem(mixed, 400, "validation_failed");
    expect(mixed.body.errors).toMatchObject([{ path: "userIds[1]", code: "not_your_user" }]);
    const ok = await add(p.user("court", "coordinator"), [p.user("court", "handler").id]);
    expect(ok.status).toBe(200);
    const theirs = await add(p.user("proc", "department_head"), [
      p.user("proc", "handler").id,
      p.user("proc", "leader").id,
    ]);
    expect(theirs.status).toBe(200);
    expect(theirs.body.members.map((m: { org: { id: string } }) => m.org.id)).toEqual([
      p.court.id,
      p.court.id,
      p.procuratorate.id,
      p.procuratorate.id,
    ]);
    // A handler who is not a member may not add anyone; one who is may (their own side).
    expectProblem(await add(p.user("court", "registrar"), [p.user("court", "registrar").id]), 403);
    expect((await add(p.user("court", "handler"), [p.user("court", "registrar").id])).status).toBe(200);
    // Adding an existing member again changes nothing.
    const same = await add(p.user("court", "coordinator"), [p.user("court", "handler").id]);
    expect(same.body.members).toHaveLength(5);
  });

  it("outputs: file metadata validated (bad sha256 → 400), idempotent per key; completion waits for every milestone", async () => {
    const { t, p, create } = await world();
    const topic = (
      await create({
        title: "课题",
        milestones: [{ title: "报告", ownerOrgId: p.procuratorate.id, dueOn: "2026-08-01" }],
      })
    ).body;
    const output = (body: object, headers = key(), as = p.user("proc", "leader")) =>
      t.request(`/v1/research-topics/${topic.id}/outputs`, { method: "POST", as, headers, json: body });
    const file = { name: "调研报告.pdf", size: 123456, sha256: "a".repeat(64), mediaType: "application/pdf" };
    const badSha = await output({
      title: "调研报告",
      producedOn: "2026-07-20",
      file: { ...file, sha256: "xyz" },
    });
    expectProblem(badSha, 400, "validation_failed");
    expect(badSha.body.errors[0].path).toContain("sha256");
    expectProblem(
      await output({
        title: "调研报告",
        producedOn: "2026-07-20",
        file: { ...file, sha256: "a".repeat(63) },
      }),
      400,
    );
    const h = key();
    const first = await output({ title: "调研报告", producedOn: "2026-07-20", file }, h);
    expect(first.status).toBe(201);
    const retry = await output({ title: "调研报告", producedOn: "2026-07-20", file }, h);
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(first.body.id);
    expectProblem(
      await output({ title: "另一报告", producedOn: "2026-07-20" }, h),
      409,
      "idempotency_key_reused",
    );

    const noDay = await output({ title: "调研报告", producedOn: "2026-00-10" });
    expectProblem(noDay, 400, "validation_failed");
    expect(noDay.body.errors[0].path).toBe("producedOn");
    const noDue = await t.request(`/v1/research-topics/${topic.id}/milestones`, {
      method: "POST",
      as: p.user("court", "coordinator"),
      headers: key(),
      json: { title: "补充", ownerOrgId: p.court.id, dueOn: "2026-13-01" },
    });
    expectProblem(noDue, 400, "validation_failed");
    expect(noDue.body.errors[0].path).toBe("dueOn");

    const complete = (as: { id: string }) =>
      t.request(`/v1/research-topics/${topic.id}/complete`, { method: "POST", as });
    expectProblem(await complete(p.user("court", "coordinator")), 409, "milestones_open");
    expectProblem(await complete(p.user("proc", "leader")), 403);
    const msId = topic.milestones[0].id;
    const done = (as: { id: string }) =>
      t.request(`/v1/research-milestones/${msId}/done`, { method: "POST", as, json: { note: "已完成" } });
    expectProblem(await done(p.user("court", "leader")), 403); // not the owner institution
    expectProblem(await done(p.user("proc", "handler")), 403); // not a member nor a manager
    expect((await done(p.user("proc", "department_head"))).status).toBe(200);
    expectProblem(await done(p.user("proc", "leader")), 409, "already_done");
    const completed = await complete(p.user("court", "coordinator"));
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({
      status: { code: "completed" },
      glance: { total: 1, done: 1, percentDone: 100, nextDue: null },
      outputs: [{ title: "调研报告", file: { sha256: "a".repeat(64) } }],
    });
    expectProblem(await complete(p.user("court", "coordinator")), 409, "not_active");
    const [n] = await t.deps.db.all<{ outputs: number }>(
      sql`select count(*) as outputs from research_outputs`,
    );
    expect(n!.outputs).toBe(1);
  });

  it("an outsider gets 404 on every route and sees no topic in the list", async () => {
    const { t, p, create } = await world();
    const topic = (
      await create({
        title: "课题",
        milestones: [{ title: "报告", ownerOrgId: p.court.id, dueOn: "2026-08-01" }],
      })
    ).body;
    const msId = topic.milestones[0].id;
    const other = await t.pair();
    const as = other.user("court", "leader");
    const calls = [
      t.request(`/v1/research-topics/${topic.id}`, { as }),
      t.request(`/v1/research-topics/${topic.id}/members`, {
        method: "POST",
        as,
        json: { userIds: [as.id] },
      }),
      t.request(`/v1/research-topics/${topic.id}/milestones`, {
        method: "POST",
        as,
        json: { title: "x", ownerOrgId: other.court.id, dueOn: "2026-08-01" },
      }),
      t.request(`/v1/research-topics/${topic.id}/outputs`, {
        method: "POST",
        as,
        headers: key(),
        json: { title: "x", producedOn: "2026-07-01" },
      }),
      t.request(`/v1/research-topics/${topic.id}/complete`, { method: "POST", as }),
      t.request(`/v1/research-milestones/${msId}`, { as }),
      t.request(`/v1/research-milestones/${msId}/done`, { method: "POST", as, json: { note: "x" } }),
    ];
    for (const res of await Promise.all(calls)) expectProblem(res, 404, "not_found");
    const list = await t.request("/v1/research-topics", { as });
    expect(list.body.items).toEqual([]);
    // The pair's own users see it, filtered and paged.
    const mine = await t.request("/v1/research-topics?status=active&limit=1", {
      as: p.user("proc", "handler"),
    });
    expect(mine.body.items.map((x: { id: string }) => x.id)).toEqual([topic.id]);
    const none = await t.request(`/v1/research-topics?updatedSince=${encodeURIComponent(topic.updatedAt)}`, {
      as: p.user("proc", "handler"),
    });
    expect(none.body.items).toEqual([]);
    // Any offset, compared as an instant: a second before the change, written in China time.
    const before = new Date(Date.parse(topic.updatedAt) - 1000 + 8 * 3600_000).toISOString().slice(0, 19);
    const since = await t.request(
      `/v1/research-topics?updatedSince=${encodeURIComponent(`${before}+08:00`)}`,
      {
        as: p.user("proc", "handler"),
      },
    );
    expect(since.status).toBe(200);
    expect(since.body.items.map((x: { id: string }) => x.id)).toEqual([topic.id]);
  });
});

describe("milestones on the escalation ladder", () => {
  it("escalate on working days to the owner's members, then the lead's coordinators, then both leaders; once each; done stops it", async () => {
    const w = await world();
    const { t, p } = w;
    const topic = (
      await w.create({
        title: "课题",
        milestones: [{ title: "调研报告", ownerOrgId: p.procuratorate.id, dueOn: "2026-07-15" }],
      })
    ).body;
    const id = topic.milestones[0].id;
    await t.request(`/v1/research-topics/${topic.id}/members`, {
      method: "POST",
      as: p.user("proc", "leader"),
      json: { userIds: [p.user("proc", "handler").id] },
    });
    await w.sweepAt("2026-07-07"); // T-6: nothing
    expect(await w.ledger(id)).toEqual([]);
    await w.sweepAt("2026-07-08"); // T-5
    await w.sweepAt("2026-07-08", "16:00"); // a duplicate sweep changes nothing
    expect(await w.heard(id)).toEqual({ "proc.handler": ["milestone.reminder"] });
    await w.sweepAt("2026-07-15"); // T0
    await w.sweepAt("2026-07-17"); // T+2: nothing new
    await w.sweepAt("2026-07-18"); // Saturday: nothing fires on a rest day
    await w.sweepAt("2026-07-19");
    expect((await w.ledger(id)).map((s) => s.step)).toEqual(["T-5", "T0"]);
    await w.sweepAt("2026-07-20"); // T+3 (Monday)
    expect(await w.ledger(id)).toEqual([
      { step: "T-5", status: "sent" },
      { step: "T0", status: "sent" },
      { step: "T+3", status: "sent" },
    ]);
    expect(await w.heard(id)).toEqual({
      "proc.handler": ["milestone.reminder", "milestone.due", "milestone.overdue"],
      "court.coordinator": ["milestone.due"],
      "court.leader": ["milestone.overdue"],
      "proc.leader": ["milestone.overdue"],
    });
    const [notice] = await t.deps.db.all<{ zh: string; en: string }>(sql`select text_zh as zh, text_en as en
      from notifications where subject_id = ${id} and user_id = ${p.user("court", "leader").id}`);
    expect(notice!.zh).toContain("已逾期3个工作日");
    expect(notice!.en).toContain("3 working day(s) overdue");

    const detail = await t.request(`/v1/research-milestones/${id}`, { as: p.user("court", "handler") });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ overdue: true, ladder: { source: "default" } });
    expect(detail.body.ladder.steps.map((s: { key: string }) => s.key)).toEqual(["T-5", "T0", "T+3"]);
    expect(detail.body.escalations.map((s: { step: string }) => s.step)).toEqual(["T-5", "T0", "T+3"]);
    expect(detail.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "escalated",
      "escalated",
      "escalated",
    ]);
    const topicNow = await t.request(`/v1/research-topics/${topic.id}`, { as: p.user("court", "handler") });
    expect(topicNow.body.glance).toMatchObject({ open: 1, overdue: 1, percentDone: 0 });
    const [hooks] = await t.deps.db.all<{ n: number; urgent: number }>(sql`select count(*) as n,
      sum(urgent) as urgent from webhook_events where subject_id = ${id} and type = 'milestone.escalated'`);
    expect(hooks).toEqual({ n: 3, urgent: 1 });

    // A member of the owner institution marks it done; the ladder stops.
    const done = await t.request(`/v1/research-milestones/${id}/done`, {
      method: "POST",
      as: p.user("proc", "handler"),
      json: { note: "报告已提交" },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: { code: "done" },
      overdue: false,
      done: { note: "报告已提交" },
    });
    expect((await w.heard(id))["court.coordinator"]).toEqual(["milestone.due", "milestone.done"]);
    // A later milestone added to the topic is tracked too; the done one never again.
    const added = await t.request(`/v1/research-topics/${topic.id}/milestones`, {
      method: "POST",
      as: p.user("court", "coordinator"),
      json: { title: "成果转化", ownerOrgId: p.court.id, dueOn: "2026-08-05" },
    });
    expect(added.status).toBe(201);
    expect(added.body.position).toBe(2);
    await w.sweepAt("2026-07-29"); // T-5 of 08-05 (Wed)
    expect((await w.ledger(id)).map((s) => s.step)).toEqual(["T-5", "T0", "T+3"]);
    // The court's member on the topic is its coordinator, who created it.
    expect(await w.heard(added.body.id)).toEqual({ "court.coordinator": ["milestone.reminder"] });
  });
});

describe("round trips", () => {
  it("every research route is one database round trip, refusals included", async () => {
    const { t, p } = await world();
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
    const created = await count("/v1/research-topics", {
      method: "POST",
      headers: key(),
      json: { title: "课题", milestones: [{ title: "a", ownerOrgId: p.court.id, dueOn: "2026-08-01" }] },
    });
    expect(created).toMatchObject({ status: 201, calls: 1 });
    const id = created.body.id;
    const msId = created.body.milestones[0].id;
    expect(await count("/v1/research-topics")).toMatchObject({ status: 200, calls: 1 });
    expect(await count(`/v1/research-topics/${id}`)).toMatchObject({ status: 200, calls: 1 });
    const members = { method: "POST", json: { userIds: [p.user("court", "handler").id] } };
    expect(await count(`/v1/research-topics/${id}/members`, members)).toMatchObject({
      status: 200,
      calls: 1,
    });
    const foreign = { method: "POST", json: { userIds: [p.user("proc", "handler").id] } };
    expect(await count(`/v1/research-topics/${id}/members`, foreign)).toMatchObject({
      status: 400,
      calls: 1,
    });
    const ms = { method: "POST", json: { title: "b", ownerOrgId: p.court.id, dueOn: "2026-08-02" } };
    expect(await count(`/v1/research-topics/${id}/milestones`, ms)).toMatchObject({ status: 201, calls: 1 });
    const out = { method: "POST", headers: key(), json: { title: "报告", producedOn: "2026-07-01" } };
    expect(await count(`/v1/research-topics/${id}/outputs`, out)).toMatchObject({ status: 201, calls: 1 });
    expect(await count(`/v1/research-milestones/${msId}`)).toMatchObject({ status: 200, calls: 1 });
    const done = { method: "POST", json: { note: "完成" } };
    expect(await count(`/v1/research-milestones/${msId}/done`, done)).toMatchObject({
      status: 200,
      calls: 1,
    });
    expect(await count(`/v1/research-topics/${id}/complete`, { method: "POST" })).toMatchObject({
      status: 409,
      calls: 1,
    });
  });
});
