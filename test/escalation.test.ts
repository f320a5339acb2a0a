// The escalation ladder through the real app, real libSQL and the cron entry points, on a fake clock.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob, runScheduled } from "../src/cron/cron";
import { LadderInput, stepKey } from "../src/escalation/ladder";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;
let keyN = 0;

/** 00:00 CST of a day is 16:00 UTC the day before; `at` is a CST time of day. */
const cst = (day: string, at = "10:00") => new Date(`${day}T${at}:00+08:00`);
const days = (from: string, to: string) => {
  const out: string[] = [];
  for (
    let d = new Date(`${from}T00:00:00Z`);
    d.toISOString().slice(0, 10) <= to;
    d.setUTCDate(d.getUTCDate() + 1)
  )
    out.push(d.toISOString().slice(0, 10));
  return out;
};

async function world() {
  const t = await setup({ clock: fixedClock("2026-06-01T02:00:00Z") });
  const post = async (path: string, as: { id: string }, json: unknown = {}) => {
    const res = await t.request(path, { method: "POST", as, json });
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  /** Sends a document on `receivedOn` (the clock moves there), receives it and assigns it to the 民事审判第一庭 handler. */
  async function openDoc(p: Pair, receivedOn: string, over: Record<string, unknown> = {}, assign = true) {
    t.clock.set(cst(receivedOn));
    const doc = await t.request("/v1/documents", {
      method: "POST",
      as: p.user("proc", "handler"),
      headers: { "idempotency-key": `esc-key-${++keyN}-abcdef` },
      json: {
        type: "protest.civil",
        docNumber: `示检民监〔2026〕${keyN}号`,
        caseNumbers: ["(2025)示01民终1234号"],
        caseCategory: "civil",
        title: `抗诉书${keyN}`,
        attachments: [],
        ...over,
      },
    });
    if (doc.status !== 201) throw new Error(JSON.stringify(doc.body));
    const received = await post(`/v1/documents/${doc.body.id}/receive`, p.user("court", "registrar"), {
      receivedOn,
    });
    if (assign)
      await post(`/v1/documents/${doc.body.id}/assign`, p.user("court", "registrar"), {
        departmentId: p.dept(p.court.id, "民事审判第一庭").id,
        handlerId: p.user("court", "handler").id,
      });
    return received as { id: string; dueOn: string };
  }
  let runs = 0;
  /** One sweep at a CST day and time, with its own scheduled time (so the ledger does not skip it). */
  async function sweepAt(day: string, at = "10:00") {
    t.clock.set(cst(day, at));
    const scheduled = new Date(cst(day, at).getTime() + ++runs); // distinct scheduled times
    const r = await runJob(t.deps, "sweep", scheduled);
    if (r.status !== "ok") {
      const [row] = await t.deps.db.all<{ error: string }>(
        sql`select error from job_runs where scheduled_at = ${scheduled.toISOString()}`,
      );
      throw new Error(`sweep failed: ${row?.error}`);
    }
    return r;
  }
  const ledger = (docId: string) =>
    t.deps.db.all<{ step: string; status: string; version: number; createdAt: string }>(
      sql`select step, status, deadline_version as version, created_at as createdAt from escalation_steps where subject_id = ${docId} order by "offset", deadline_version`,
    );
  const notices = (userId: string, docId: string) =>
    t.deps.db.all<{ kind: string; zh: string; en: string; urgent: number }>(
      sql`select kind, text_zh as zh, text_en as en, urgent from notifications where user_id = ${userId} and subject_id = ${docId} and kind like 'deadline.%' order by id`,
    );
  return { t, post, openDoc, sweepAt, ledger, notices };
}

describe("the ladder walked day by day through National Day 2026", () => {
  it("fires every step exactly once, on the right working day, for 调休 counted and not counted", async () => {
    const w = await world();
    const city = await w.t.pair({ level: "city" });
    const p = await w.t.pair({ parentId: city.jurisdiction.id });
    const strict = await w.t.pair();
    const admin = strict.user("court", "admin");
    const set = await w.t.request(`/v1/jurisdictions/${strict.jurisdiction.id}/settings`, {
      method: "PATCH",
      as: admin,
      json: { countMakeupWorkdays: false },
    });
    expect(set.status).toBe(200);

    const a = await w.openDoc(p, "2026-09-08"); // due 10-08
    const b = await w.openDoc(p, "2026-09-12"); // 10-12, the Monday after the make-up Saturday 10-10
    const c = await w.openDoc(strict, "2026-09-12"); // 10-12, make-up days not counted
    expect([a.dueOn, b.dueOn, c.dueOn]).toEqual(["2026-10-08", "2026-10-12", "2026-10-12"]);

    const firstSeen = new Map<string, Map<string, string>>([
      [a.id, new Map()],
      [b.id, new Map()],
      [c.id, new Map()],
    ]);
    for (const day of days("2026-09-12", "2026-11-06")) {
      for (const at of ["00:05", "10:00", "23:50"]) {
        await w.sweepAt(day, at);
        for (const [id, seen] of firstSeen)
          for (const r of await w.ledger(id)) if (!seen.has(r.step)) seen.set(r.step, day);
      }
    }
    // Working days counted back from 10-08: 09-30, 09-29, 09-28 (09-25…27 Mid-Autumn), 09-24, 23, 22, 21.
    expect(Object.fromEntries(firstSeen.get(a.id)!)).toEqual({
      "T-7": "2026-09-21",
      "T-3": "2026-09-28",
      T0: "2026-10-08",
      "T+1": "2026-10-09",
      "T+15": "2026-10-28",
    });
    // 10-10 (a make-up Saturday) is one of the working days before 10-12 when 调休 counts …
    expect(Object.fromEntries(firstSeen.get(b.id)!)).toEqual({
      "T-7": "2026-09-24",
      "T-3": "2026-10-08",
      T0: "2026-10-12",
      "T+1": "2026-10-13",
      "T+15": "2026-11-02",
    });
    // … and is not where it does not.
    expect(Object.fromEntries(firstSeen.get(c.id)!)).toEqual({
      "T-7": "2026-09-23",
      "T-3": "2026-09-30",
      T0: "2026-10-12",
      "T+1": "2026-10-13",
      "T+15": "2026-11-02",
    });
    for (const id of [a.id, b.id, c.id])
      expect((await w.ledger(id)).map((r) => [r.step, r.status])).toEqual([
        ["T-7", "sent"],
        ["T-3", "sent"],
        ["T0", "sent"],
        ["T+1", "sent"],
        ["T+15", "sent"],
      ]);

    // Who heard what about document a, exactly once each.
    const kinds = async (userId: string) => (await w.notices(userId, a.id)).map((n) => n.kind);
    expect(await kinds(p.user("court", "handler").id)).toEqual([
      "deadline.reminder",
      "deadline.reminder",
      "deadline.due",
      "deadline.overdue",
    ]);
    expect(await kinds(p.user("court", "department_head").id)).toEqual([
      "deadline.reminder",
      "deadline.due",
      "deadline.overdue",
    ]);
    expect(await kinds(p.user("court", "registrar").id)).toEqual(["deadline.due"]);
    expect(await kinds(p.user("court", "leader").id)).toEqual(["deadline.overdue", "deadline.overdue"]);
    expect(await kinds(p.user("proc", "handler").id)).toEqual(["deadline.overdue"]);
    expect(await kinds(p.user("court", "auditor").id)).toEqual([]);
    const [senderNotice] = await w.notices(p.user("proc", "handler").id, a.id);
    expect(senderNotice!.zh).toContain("您单位发出的");
    expect(senderNotice!.en).toContain("1 working day(s) overdue");
    // T+15 goes to the city-level procuratorate (跟进监督), which now sees the document in its follow-up box.
    expect(await kinds(city.user("proc", "leader").id)).toEqual(["deadline.followup"]);
    expect(await kinds(city.user("proc", "registrar").id)).toEqual(["deadline.followup"]);
    const box = await w.t.request("/v1/documents?box=followup", { as: city.user("proc", "registrar") });
    expect(box.body.items.map((d: any) => d.id).sort()).toEqual([a.id, b.id].sort());

    // The timeline shows each step once; the webhook outbox has one event per step.
    const detail = await w.t.request(`/v1/documents/${a.id}`, { as: p.user("court", "registrar") });
    expect(
      detail.body.timeline.filter((e: any) => e.type === "escalated").map((e: any) => e.note.split(" ")[0]),
    ).toEqual(["T-7", "T-3", "T0", "T+1", "T+15"]);
    const [outbox] = await w.t.deps.db.all<{ n: number; urgent: number }>(
      sql`select count(*) as n, sum(urgent) as urgent from webhook_events where subject_id = ${a.id} and type = 'document.escalated'`,
    );
    expect(outbox).toEqual({ n: 5, urgent: 3 });
  }, 120_000);
});

describe("at-least-once triggers", () => {
  it("duplicate and concurrent runs produce each step and notice once", async () => {
    const w = await world();
    const p = await w.t.pair();
    const doc = await w.openDoc(p, "2026-09-08"); // due 10-08
    w.t.clock.set(cst("2026-09-21", "10:00"));
    const s1 = new Date("2026-09-21T02:00:00Z");
    const same = await Promise.all([
      runScheduled(w.t.deps, "*/15 * * * *", s1),
      runScheduled(w.t.deps, "*/15 * * * *", s1),
    ]);
    expect(same.map((o) => o[0]!.status).sort()).toEqual(["ok", "skipped"]);
    expect((await runScheduled(w.t.deps, "*/15 * * * *", s1))[0]!.status).toBe("skipped");
    // Overlapping runs of different scheduled times race on the same due steps.
    await Promise.all(
      [1, 2, 3, 4].map((i) => runJob(w.t.deps, "sweep", new Date(s1.getTime() + i * 900_000))),
    );
    expect((await w.ledger(doc.id)).map((r) => r.step)).toEqual(["T-7"]);
    expect(await w.notices(p.user("court", "handler").id, doc.id)).toHaveLength(1);
    // The same on the due day, where the step fans out to several people.
    w.t.clock.set(cst("2026-10-08", "09:00"));
    await Promise.all([5, 6].map((i) => runJob(w.t.deps, "sweep", new Date(s1.getTime() + i * 900_000))));
    expect((await w.ledger(doc.id)).map((r) => [r.step, r.status])).toEqual([
      ["T-7", "sent"],
      ["T-3", "superseded"],
      ["T0", "sent"],
    ]);
    for (const role of ["handler", "department_head", "registrar"] as const)
      expect(
        (await w.notices(p.user("court", role).id, doc.id)).filter((n) => n.kind === "deadline.due"),
        role,
      ).toHaveLength(1);
    await expect(runScheduled(w.t.deps, "*/7 * * * *", s1)).rejects.toThrow(/no jobs for cron expression/);
  });

  it("after a skipped week sends only the most severe step and records the others as superseded", async () => {
    const w = await world();
    const p = await w.t.pair();
    const doc = await w.openDoc(p, "2026-09-08"); // due 10-08; no sweep runs until 10-09
    await w.sweepAt("2026-10-09");
    expect((await w.ledger(doc.id)).map((r) => [r.step, r.status])).toEqual([
      ["T-7", "superseded"],
      ["T-3", "superseded"],
      ["T0", "superseded"],
      ["T+1", "sent"],
    ]);
    const handler = await w.notices(p.user("court", "handler").id, doc.id);
    expect(handler.map((n) => n.kind)).toEqual(["deadline.overdue"]);
    expect(handler[0]!.zh).toContain("逾期1个工作日");
    const detail = await w.t.request(`/v1/documents/${doc.id}`, { as: p.user("court", "handler") });
    const escalated = detail.body.timeline.filter((e: any) => e.type === "escalated");
    expect(escalated).toHaveLength(1);
    expect(escalated[0].changes.superseded.after).toEqual(["T-7", "T-3", "T0"]);
    await w.sweepAt("2026-10-09", "15:00");
    expect(await w.ledger(doc.id)).toHaveLength(4);
  });
});

describe("catching up after missed runs", () => {
  // Received 06-03, 30 days → due Friday 2026-07-03. Working days: T-8 = 06-23 (06-19 Dragon Boat
  // Festival), T+1 = Monday 07-06, T+16 = Monday 07-27.
  const allNotices = (w: Awaited<ReturnType<typeof world>>, docId: string) =>
    w.t.deps.db.all<{ userId: string; kind: string; zh: string; en: string }>(
      sql`select user_id as userId, kind, text_zh as zh, text_en as en from notifications where subject_id = ${docId} and kind like 'deadline.%' order by id`,
    );

  it("after a long gap reaches everyone the skipped steps were for, once each, saying how overdue it is now", async () => {
    const w = await world();
    const city = await w.t.pair({ level: "city" });
    const p = await w.t.pair({ parentId: city.jurisdiction.id });
    const doc = await w.openDoc(p, "2026-06-03");
    expect(doc.dueOn).toBe("2026-07-03");
    await w.sweepAt("2026-06-23"); // T-8: nothing yet
    expect(await w.ledger(doc.id)).toEqual([]);
    await w.sweepAt("2026-07-27"); // the next run: T+16
    expect((await w.ledger(doc.id)).map((r) => [r.step, r.status])).toEqual([
      ["T-7", "superseded"],
      ["T-3", "superseded"],
      ["T0", "superseded"],
      ["T+1", "superseded"],
      ["T+15", "sent"],
    ]);
    const got = await allNotices(w, doc.id);
    const of = (u: { id: string }) => got.filter((n) => n.userId === u.id);
    // The handler, department head and registrars (of T-7…T0), the sender (of T+1): one notice each.
    for (const role of ["handler", "department_head", "registrar", "leader"] as const) {
      const mine = of(p.user("court", role));
      expect(
        mine.map((n) => n.kind),
        role,
      ).toEqual(["deadline.overdue"]);
      expect(mine[0]!.zh).toContain("逾期16个工作日");
      expect(mine[0]!.en).toContain("16 working day(s) overdue");
    }
    const sender = of(p.user("proc", "handler"));
    expect(sender.map((n) => n.kind)).toEqual(["deadline.overdue"]);
    expect(sender[0]!.zh).toMatch(/^您单位发出的.*已逾期16个工作日/);
    for (const role of ["leader", "registrar"] as const)
      expect(of(city.user("proc", role)).map((n) => n.kind)).toEqual(["deadline.followup"]);
    expect(got).toHaveLength(7);
    expect(of(p.user("court", "auditor"))).toEqual([]);
    const detail = await w.t.request(`/v1/documents/${doc.id}`, { as: p.user("court", "registrar") });
    const [escalated] = detail.body.timeline.filter((e: any) => e.type === "escalated");
    expect([...escalated.changes.audience.after].sort()).toEqual(
      [
        "department_head",
        "handler",
        "receiving_registrars",
        "recipient_leaders",
        "sender",
        "upper_level",
      ].sort(),
    );
    expect(escalated.changes.superseded.after).toEqual(["T-7", "T-3", "T0", "T+1"]);
    await w.sweepAt("2026-07-27", "15:00");
    expect(await allNotices(w, doc.id)).toHaveLength(7);
  });

  it("sends nothing on a rest day; the next working day's sweep says overdue, not 'due today'", async () => {
    const w = await world();
    const p = await w.t.pair();
    const doc = await w.openDoc(p, "2026-06-03"); // due Friday 07-03
    await w.sweepAt("2026-06-30"); // T-3 (T-7 superseded: no sweep ran on 06-24)
    await w.sweepAt("2026-07-02");
    // No sweep on Friday 07-03; the weekend's sweeps record nothing.
    await w.sweepAt("2026-07-04", "10:00");
    await w.sweepAt("2026-07-05", "23:50");
    expect((await w.ledger(doc.id)).map((r) => r.step)).toEqual(["T-7", "T-3"]);
    const weekend = await allNotices(w, doc.id);
    await w.sweepAt("2026-07-06", "00:05");
    expect((await w.ledger(doc.id)).map((r) => [r.step, r.status])).toEqual([
      ["T-7", "superseded"],
      ["T-3", "sent"],
      ["T0", "superseded"],
      ["T+1", "sent"],
    ]);
    const monday = (await allNotices(w, doc.id)).slice(weekend.length);
    expect(monday.every((n) => n.kind === "deadline.overdue" && !n.en.includes("due today"))).toBe(true);
    // The registrars, T0's audience, hear it too.
    const reg = monday.filter((n) => n.userId === p.user("court", "registrar").id);
    expect(reg.map((n) => n.en)).toEqual([expect.stringContaining("1 working day(s) overdue")]);
    expect(monday.filter((n) => n.userId === p.user("court", "handler").id)).toHaveLength(1);
  });

  it("speaks of the document as it stands: a due-day step sent late says overdue", async () => {
    const w = await world();
    const p = await w.t.pair();
    const put = await w.t.request("/v1/admin/escalation-ladders/document/protest.civil", {
      method: "PUT",
      as: p.user("proc", "admin"),
      json: {
        steps: [
          { offset: 0, audience: ["handler"], urgent: true },
          { offset: 10, audience: ["recipient_leaders"] },
        ],
      },
    });
    expect(put.status).toBe(200);
    const doc = await w.openDoc(p, "2026-06-03"); // due 07-03
    await w.sweepAt("2026-07-08"); // T+3: T0 is the most severe step due
    expect((await w.ledger(doc.id)).map((r) => [r.step, r.status])).toEqual([["T0", "sent"]]);
    const [n] = await w.notices(p.user("court", "handler").id, doc.id);
    expect(n).toMatchObject({ kind: "deadline.overdue", urgent: 1 });
    expect(n!.zh).toContain("逾期3个工作日");
    expect(n!.en).not.toContain("due today");
  });
});

describe("what restarts and what stops the ladder", () => {
  it("an approved extension starts the ladder again for the new deadline", async () => {
    const w = await world();
    const p = await w.t.pair();
    const doc = await w.openDoc(p, "2026-06-15", { type: "suggestion.enforcement" }); // 3 months → 09-15
    expect(doc.dueOn).toBe("2026-09-15");
    await w.sweepAt("2026-09-03");
    expect(await w.ledger(doc.id)).toEqual([]);
    await w.sweepAt("2026-09-04"); // 7 working days before 09-15
    expect((await w.ledger(doc.id)).map((r) => [r.step, r.version])).toEqual([["T-7", 1]]);
    w.t.clock.set(cst("2026-09-07"));
    const req = await w.post(`/v1/documents/${doc.id}/extensions`, p.user("court", "handler"), {
      reason: "案情复杂,需调取执行卷宗",
    });
    const approved = await w.post(
      `/v1/documents/${doc.id}/extensions/${req.pendingExtension.id}/decision`,
      p.user("court", "leader"),
      { approve: true },
    );
    expect([approved.dueOn, approved.deadline.version]).toEqual(["2026-10-15", 2]);
    const seen = new Map<string, string>();
    for (const day of days("2026-09-07", "2026-10-16")) {
      await w.sweepAt(day);
      for (const r of await w.ledger(doc.id))
        if (!seen.has(`${r.step}@v${r.version}`)) seen.set(`${r.step}@v${r.version}`, day);
    }
    // Version 1's later steps never fire; version 2 restarts at T-7 (10-10 is a make-up working day).
    expect(Object.fromEntries(seen)).toEqual({
      "T-7@v1": "2026-09-07",
      "T-7@v2": "2026-09-30",
      "T-3@v2": "2026-10-12",
      "T0@v2": "2026-10-15",
      "T+1@v2": "2026-10-16",
    });
    expect((await w.notices(p.user("court", "handler").id, doc.id)).map((n) => n.kind)).toEqual([
      "deadline.reminder",
      "deadline.reminder",
      "deadline.reminder",
      "deadline.due",
      "deadline.overdue",
    ]);
  }, 60_000);

  it("a reply stops it", async () => {
    const w = await world();
    const p = await w.t.pair();
    const doc = await w.openDoc(p, "2026-09-08");
    await w.sweepAt("2026-09-21");
    w.t.clock.set(cst("2026-09-22"));
    await w.post(`/v1/documents/${doc.id}/reply`, p.user("court", "handler"), {
      content: "已裁定再审",
      decision: "adopted",
      retrialRuled: true,
      repliedOn: "2026-09-22",
    });
    for (const day of ["2026-09-28", "2026-10-08", "2026-10-09", "2026-10-28", "2026-11-30"])
      await w.sweepAt(day);
    expect((await w.ledger(doc.id)).map((r) => r.step)).toEqual(["T-7"]);
  });

  it("an unassigned document's handler steps go to the receiving registrars", async () => {
    const w = await world();
    const p = await w.t.pair();
    const doc = await w.openDoc(p, "2026-09-08", {}, false);
    await w.sweepAt("2026-09-21");
    expect((await w.notices(p.user("court", "registrar").id, doc.id)).map((n) => n.kind)).toEqual([
      "deadline.reminder",
    ]);
    expect(await w.notices(p.user("court", "handler").id, doc.id)).toEqual([]);
  });
});

describe("ladder rules at their edges", () => {
  it("a step is due from the first minute of its working day and not on the rest day before", async () => {
    const w = await world();
    const p = await w.t.pair();
    const doc = await w.openDoc(p, "2026-09-08"); // T-7 = Monday 09-21; Sunday 09-20 is a make-up working day
    await w.sweepAt("2026-09-18", "23:59");
    await w.sweepAt("2026-09-19", "12:00"); // Saturday
    await w.sweepAt("2026-09-20", "23:59"); // make-up Sunday: a working day, but 8 working days before
    expect(await w.ledger(doc.id)).toEqual([]);
    await w.sweepAt("2026-09-21", "00:00");
    expect((await w.ledger(doc.id)).map((r) => r.step)).toEqual(["T-7"]);
  });

  it("a document received with its due date already near starts at the most severe due step", async () => {
    const w = await world();
    const p = await w.t.pair();
    const doc = await w.openDoc(p, "2026-09-29", { type: "correction.criminal_notice", periodDays: 3 }); // sender-set: 3 days → 10-02 → 10-08
    expect(doc.dueOn).toBe("2026-10-08");
    await w.sweepAt("2026-09-29");
    expect((await w.ledger(doc.id)).map((r) => [r.step, r.status])).toEqual([
      ["T-7", "superseded"],
      ["T-3", "sent"],
    ]);
  });

  it("validates ladders: offsets in range and distinct, at least one audience", () => {
    expect(LadderInput.safeParse({ steps: [{ offset: -3, audience: ["handler"] }] }).success).toBe(true);
    expect(LadderInput.safeParse({ steps: [{ offset: -21, audience: ["handler"] }] }).success).toBe(false);
    expect(LadderInput.safeParse({ steps: [{ offset: 61, audience: ["handler"] }] }).success).toBe(false);
    expect(LadderInput.safeParse({ steps: [{ offset: 1, audience: [] }] }).success).toBe(false);
    expect(
      LadderInput.safeParse({
        steps: [
          { offset: 1, audience: ["handler"] },
          { offset: 1, audience: ["sender"] },
        ],
      }).success,
    ).toBe(false);
    expect(LadderInput.safeParse({ steps: [{ offset: 1, audience: ["janitor"] }] }).success).toBe(false);
    expect([-7, 0, 15].map(stepKey)).toEqual(["T-7", "T0", "T+15"]);
  });
});

describe("the ladder admin API", () => {
  it("reads the defaults, overrides a type's ladder for the jurisdiction, and the sweep follows it", async () => {
    const w = await world();
    const p = await w.t.pair();
    const other = await w.t.pair();
    const admin = p.user("proc", "admin"); // protests are sent by the procuratorate: its ladder is the procuratorate's to set
    const get = await w.t.request("/v1/admin/escalation-ladders", { as: admin });
    expect(get.status).toBe(200);
    expect(get.body.defaults.map((s: any) => s.offset)).toEqual([-7, -3, 0, 1, 15]);
    expect(get.body.items.find((i: any) => i.kind === "protest.civil")).toMatchObject({ source: "default" });

    expectProblem(
      await w.t.request("/v1/admin/escalation-ladders", { as: p.user("court", "handler") }),
      403,
      "forbidden",
    );
    const bad = await w.t.request("/v1/admin/escalation-ladders/document/protest.civil", {
      method: "PUT",
      as: admin,
      json: {
        steps: [
          { offset: 2, audience: ["handler"] },
          { offset: 2, audience: ["sender"] },
        ],
      },
    });
    expectProblem(bad, 400, "validation_failed");
    expectProblem(
      await w.t.request("/v1/admin/escalation-ladders/document/nonsense", {
        method: "PUT",
        as: admin,
        json: { steps: [{ offset: 2, audience: ["handler"] }] },
      }),
      400,
      "validation_failed",
    );
    const put = await w.t.request("/v1/admin/escalation-ladders/document/protest.civil", {
      method: "PUT",
      as: admin,
      json: {
        steps: [
          { offset: 2, audience: ["recipient_leaders"], urgent: true },
          { offset: -1, audience: ["handler"] },
        ],
      },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      kind: "protest.civil",
      source: "jurisdiction",
      steps: [
        { offset: -1, key: "T-1" },
        { offset: 2, key: "T+2" },
      ],
    });
    expectProblem(
      await w.t.request("/v1/admin/escalation-ladders/document/protest.civil", {
        method: "PUT",
        as: p.user("proc", "leader"),
        json: { steps: [{ offset: 1, audience: ["handler"] }] },
      }),
      403,
    );
    // The receiving court cannot weaken the ladder that escalates its own overdue replies.
    const weaken = { steps: [{ offset: 60, audience: ["handler"] }] };
    expectProblem(
      await w.t.request("/v1/admin/escalation-ladders/document/protest.civil", {
        method: "PUT",
        as: p.user("court", "admin"),
        json: weaken,
      }),
      403,
      "forbidden",
    );
    expectProblem(
      await w.t.request("/v1/admin/escalation-ladders/document/*", {
        method: "PUT",
        as: p.user("court", "admin"),
        json: weaken,
      }),
      422,
      "per_type_only",
    );
    expectProblem(
      await w.t.request("/v1/admin/escalation-ladders/document/protest.civil", {
        method: "DELETE",
        as: p.user("court", "admin"),
      }),
      403,
      "forbidden",
    );

    const doc = await w.openDoc(p, "2026-09-08"); // due 10-08: T-1 = 09-30, T+2 = 10-10 (make-up Saturday)
    const untouched = await w.openDoc(other, "2026-09-08");
    for (const day of days("2026-09-21", "2026-10-12")) await w.sweepAt(day);
    expect((await w.ledger(doc.id)).map((r) => [r.step, r.createdAt.slice(0, 10)])).toEqual(
      [
        ["T-1", "2026-09-30"],
        ["T+2", "2026-10-10"],
      ].map(([s, d]) => [s, new Date(cst(d!).getTime()).toISOString().slice(0, 10)]),
    );
    expect((await w.ledger(untouched.id)).map((r) => r.step)).toEqual(["T-7", "T-3", "T0", "T+1"]);

    const after = await w.t.request("/v1/admin/escalation-ladders", { as: admin });
    expect(after.body.items.find((i: any) => i.kind === "protest.civil")).toMatchObject({
      source: "jurisdiction",
    });
    expect(
      (
        await w.t.request("/v1/admin/escalation-ladders", { as: other.user("proc", "admin") })
      ).body.items.find((i: any) => i.kind === "protest.civil").source,
    ).toBe("default");
    const del = await w.t.request("/v1/admin/escalation-ladders/document/protest.civil", {
      method: "DELETE",
      as: admin,
    });
    expect(del.status).toBe(204);
    expect(
      (await w.t.request("/v1/admin/escalation-ladders", { as: admin })).body.items.find(
        (i: any) => i.kind === "protest.civil",
      ).source,
    ).toBe("default");
  }, 60_000);
});
