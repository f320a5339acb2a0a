// Joint-meeting action items on the escalation ladder, through the real app, real libSQL and the cron
// entry point, on a fake clock over July 2026 (no holidays: T-3 = Fri 07-10 for a Wednesday 07-15 due
// date, T+1 = 07-16, T+10 = 07-29).
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;
const cst = (day: string, at = "10:00") => new Date(`${day}T${at}:00+08:00`);

async function world() {
  const t = await setup({ clock: fixedClock("2026-06-20T02:00:00Z") });
  let n = 0;
  /** A minuted meeting of the pair (rows as the minutes engineer's co-signature hook writes them). */
  async function meeting(p: Pair) {
    const id = t.deps.ids();
    const now = t.clock.now().toISOString();
    await t.deps.db.run(sql`insert into meetings (id, jurisdiction_id, kind, host_org_id, guest_org_id, title,
        status, starts_at, slot_status, slot_version, created_at, updated_at)
      values (${id}, ${p.jurisdiction.id}, 'regular', ${p.court.id}, ${p.procuratorate.id}, '2026年上半年法检联席会议',
        'minuted', '2026-06-18T09:00:00+08:00', 'confirmed', 1, ${now}, ${now})`);
    return id;
  }
  async function item(
    p: Pair,
    meetingId: string,
    dueOn: string,
    dept: string | null = "第六检察部(民事检察)",
  ) {
    const id = t.deps.ids();
    const now = t.clock.now().toISOString();
    const deptId = dept ? p.dept(p.procuratorate.id, dept).id : null;
    await t.deps.db.run(sql`insert into action_items (id, jurisdiction_id, meeting_id, position, title,
        owner_org_id, owner_department_id, due_on, status, deadline_version, created_at, updated_at)
      values (${id}, ${p.jurisdiction.id}, ${meetingId}, ${++n}, ${`统一民事抗诉案件裁判尺度${n}`},
        ${p.procuratorate.id}, ${deptId}, ${dueOn}, 'open', 1, ${now}, ${now})`);
    return id;
  }
  let runs = 0;
  async function sweepAt(day: string, at = "10:00") {
    t.clock.set(cst(day, at));
    const r = await runJob(t.deps, "sweep", new Date(cst(day, at).getTime() + ++runs));
    expect(r.status).toBe("ok");
  }
  const ledger = (id: string) =>
    t.deps.db.all<{ step: string; status: string }>(
      sql`select step, status from escalation_steps where subject_type = 'action_item' and subject_id = ${id}
        order by "offset"`,
    );
  /** Notices about an item per user name, as "kind" lists. */
  async function heard(p: Pair, id: string) {
    const rows = await t.deps.db.all<{ userId: string; kind: string }>(
      sql`select user_id as userId, kind from notifications where subject_id = ${id} order by id`,
    );
    const out: Record<string, string[]> = {};
    for (const r of rows) {
      const who = p.people.find((x) => x.id === r.userId);
      const key = who ? `${who.email.split("@")[0]}` : r.userId;
      (out[key] ??= []).push(r.kind);
    }
    return out;
  }
  return { t, meeting, item, sweepAt, ledger, heard };
}

describe("action items on the escalation ladder", () => {
  it("escalate step by step to the owner, then both sides; once each; done stops the ladder", async () => {
    const w = await world();
    const p = await w.t.pair();
    const m = await w.meeting(p);
    const a = await w.item(p, m, "2026-07-15");

    await w.sweepAt("2026-07-09"); // T-4: nothing
    expect(await w.ledger(a)).toEqual([]);
    await w.sweepAt("2026-07-10"); // T-3
    await w.sweepAt("2026-07-10", "15:00"); // a duplicate run changes nothing
    expect(await w.heard(p, a)).toEqual({ "proc.department_head": ["action_item.reminder"] });

    await w.sweepAt("2026-07-15"); // T0
    await w.sweepAt("2026-07-16"); // T+1
    await w.sweepAt("2026-07-16", "23:00");
    expect(await w.ledger(a)).toEqual([
      { step: "T-3", status: "sent" },
      { step: "T0", status: "sent" },
      { step: "T+1", status: "sent" },
    ]);
    expect(await w.heard(p, a)).toEqual({
      "proc.department_head": ["action_item.reminder", "action_item.due", "action_item.overdue"],
      "proc.coordinator": ["action_item.due", "action_item.overdue"],
      "proc.leader": ["action_item.overdue"],
      "court.coordinator": ["action_item.overdue"],
    });
    const [other] = await w.t.deps.db.all<{ zh: string; en: string }>(
      sql`select text_zh as zh, text_en as en from notifications
        where subject_id = ${a} and user_id = ${p.user("court", "coordinator").id}`,
    );
    expect(other!.zh).toContain("负责落实的联席会议议定事项");
    expect(other!.zh).toContain("已逾期1个工作日");
    expect(other!.en).toContain("1 working day(s) overdue");

    // The detail: timeline with one escalated entry per step, the ladder in force, the steps.
    const detail = await w.t.request(`/v1/action-items/${a}`, { as: p.user("court", "handler") });
    expect(detail.status).toBe(200);
    expect(detail.body.overdue).toBe(true);
    expect(detail.body.ladder.source).toBe("default");
    expect(detail.body.ladder.steps.map((s: any) => s.key)).toEqual(["T-3", "T0", "T+1", "T+10"]);
    expect(detail.body.escalations.map((s: any) => [s.step, s.status.code])).toEqual([
      ["T-3", "sent"],
      ["T0", "sent"],
      ["T+1", "sent"],
    ]);
    expect(
      detail.body.timeline.filter((e: any) => e.type === "escalated").map((e: any) => e.data.step),
    ).toEqual(["T-3", "T0", "T+1"]);
    const [outbox] = await w.t.deps.db.all<{ n: number; urgent: number }>(
      sql`select count(*) as n, sum(urgent) as urgent from webhook_events
        where subject_id = ${a} and type = 'action_item.escalated'`,
    );
    expect(outbox).toEqual({ n: 3, urgent: 1 });

    // Only the owner institution's department heads, leaders and coordinators may mark it done.
    const done = (as: { id: string }) =>
      w.t.request(`/v1/action-items/${a}/done`, { method: "POST", as, json: { note: "已联合出台指导意见" } });
    expectProblem(await done(p.user("court", "coordinator")), 403);
    expectProblem(await done(p.user("proc", "handler")), 403);
    const ok = await done(p.user("proc", "coordinator"));
    expect(ok.status).toBe(200);
    expect(ok.body.status.code).toBe("done");
    expect(ok.body.done.note).toBe("已联合出台指导意见");
    expectProblem(await done(p.user("proc", "leader")), 409, "already_done");
    // The other side's coordinators are told, once.
    expect((await w.heard(p, a))["court.coordinator"]).toEqual(["action_item.overdue", "action_item.done"]);

    // T+10 (07-29) never comes for a done item.
    await w.sweepAt("2026-07-29");
    await w.sweepAt("2026-08-20");
    expect((await w.ledger(a)).map((r) => r.step)).toEqual(["T-3", "T0", "T+1"]);
    const after = await w.t.request(`/v1/action-items/${a}`, { as: p.user("proc", "leader") });
    expect(after.body.timeline.map((e: any) => e.type)).toEqual([
      "escalated",
      "escalated",
      "escalated",
      "done",
    ]);
    expect(after.body.overdue).toBe(false);
    const [hooks] = await w.t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from webhook_events where subject_id = ${a} and type = 'action_item.done'`,
    );
    expect(hooks!.n).toBe(1);
  });

  it("after missed runs sends one notice per person, for the most severe step, to everyone skipped", async () => {
    const w = await world();
    const p = await w.t.pair();
    const m = await w.meeting(p);
    const b = await w.item(p, m, "2026-07-15");
    const noDept = await w.item(p, m, "2026-07-20", null);
    await w.sweepAt("2026-07-29"); // T+10 of b; no run since June
    await w.sweepAt("2026-07-29", "18:00");
    expect(await w.ledger(b)).toEqual([
      { step: "T-3", status: "superseded" },
      { step: "T0", status: "superseded" },
      { step: "T+1", status: "superseded" },
      { step: "T+10", status: "sent" },
    ]);
    const heard = await w.heard(p, b);
    // Everyone T+10 and the skipped steps were for, exactly once.
    expect(Object.keys(heard).sort()).toEqual([
      "court.coordinator",
      "court.leader",
      "proc.coordinator",
      "proc.department_head",
      "proc.leader",
    ]);
    for (const kinds of Object.values(heard)) expect(kinds).toEqual(["action_item.overdue"]);
    const [text] = await w.t.deps.db.all<{ zh: string }>(
      sql`select text_zh as zh from notifications where subject_id = ${b}
        and user_id = ${p.user("proc", "leader").id}`,
    );
    expect(text!.zh).toContain("逾期10个工作日");

    // Without an owner department, the owner's coordinators stand in for its head.
    expect(await w.ledger(noDept)).toEqual([
      { step: "T-3", status: "superseded" },
      { step: "T0", status: "superseded" },
      { step: "T+1", status: "sent" },
    ]);
    expect(await w.heard(p, noDept)).toEqual({
      "proc.coordinator": ["action_item.overdue"],
      "proc.leader": ["action_item.overdue"],
      "court.coordinator": ["action_item.overdue"],
    });
  });
});

describe("an owner without coordinators", () => {
  it("is reached through its admins at T-3 and T0 when no department head stands either", async () => {
    const w = await world();
    const p = await w.t.pair();
    const m = await w.meeting(p);
    const a = await w.item(p, m, "2026-07-15", null); // no owner department: no head
    // The procuratorate's only coordinator leaves.
    await w.t.deps.db.run(sql`update users set active = 0 where id = ${p.user("proc", "coordinator").id}`);
    await w.sweepAt("2026-07-10"); // T-3
    expect(await w.heard(p, a)).toEqual({ "proc.admin": ["action_item.reminder"] });
    await w.sweepAt("2026-07-15"); // T0
    await w.sweepAt("2026-07-16"); // T+1: the court's coordinator, the owner's admin and leaders
    expect(await w.heard(p, a)).toEqual({
      "proc.admin": ["action_item.reminder", "action_item.due", "action_item.overdue"],
      "proc.leader": ["action_item.overdue"],
      "court.coordinator": ["action_item.overdue"],
    });
  });
});

describe("action items are the pair's", () => {
  it("lists with filters and cursors; an outsider gets 404 on every item route and sees none", async () => {
    const w = await world();
    const p = await w.t.pair();
    const q = await w.t.pair();
    const m = await w.meeting(p);
    const ids = [
      await w.item(p, m, "2026-07-01"),
      await w.item(p, m, "2026-08-01"),
      await w.item(p, m, "2026-09-01"),
    ];
    w.t.clock.set(cst("2026-07-10"));
    const me = p.user("court", "handler");
    const page1 = await w.t.request("/v1/action-items?limit=2", { as: me });
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((i: any) => i.id)).toEqual(ids.slice(0, 2));
    const page2 = await w.t.request(`/v1/action-items?limit=2&cursor=${page1.body.nextCursor}`, { as: me });
    expect(page2.body.items.map((i: any) => i.id)).toEqual(ids.slice(2));
    expect(page2.body.nextCursor).toBeNull();
    const overdue = await w.t.request("/v1/action-items?overdue=true", { as: me });
    expect(overdue.body.items.map((i: any) => i.id)).toEqual(ids.slice(0, 1));
    const mine = await w.t.request(`/v1/action-items?ownerOrgId=${p.court.id}`, { as: me });
    expect(mine.body.items).toEqual([]);
    const since = await w.t.request(`/v1/action-items?updatedSince=2027-01-01T00:00:00Z`, { as: me });
    expect(since.body.items).toEqual([]);

    // updatedSince compares instants: a whole second includes a change later in that second, and an
    // offset is accepted.
    w.t.clock.set(new Date("2026-07-10T02:00:05.507Z"));
    const late = await w.item(p, m, "2026-10-01");
    const sync = async (at: string) => {
      const r = await w.t.request(`/v1/action-items?updatedSince=${encodeURIComponent(at)}`, { as: me });
      expect(r.status).toBe(200);
      return r.body.items.map((i: any) => i.id);
    };
    expect(await sync("2026-07-10T02:00:05Z")).toEqual([late]);
    expect(await sync("2026-07-10T10:00:05+08:00")).toEqual([late]);
    expect(await sync("2026-07-10T10:00:06+08:00")).toEqual([]);

    const outsider = q.user("proc", "coordinator");
    expect((await w.t.request("/v1/action-items", { as: outsider })).body.items).toEqual([]);
    expectProblem(await w.t.request(`/v1/action-items/${ids[0]}`, { as: outsider }), 404);
    expectProblem(
      await w.t.request(`/v1/action-items/${ids[0]}/done`, {
        method: "POST",
        as: outsider,
        json: { note: "x" },
      }),
      404,
    );
    const still = await w.t.request(`/v1/action-items/${ids[0]}`, { as: me });
    expect(still.body.status.code).toBe("open");
  });
});

describe("ladder settings", () => {
  it("a document ladder may name only the audiences documents resolve (not the action items' ones)", async () => {
    const w = await world();
    const p = await w.t.pair();
    const res = await w.t.request("/v1/admin/escalation-ladders/document/protest.civil", {
      method: "PUT",
      as: p.user("proc", "admin"),
      json: { steps: [{ offset: 0, audience: ["handler", "leaders"] }] },
    });
    expectProblem(res, 400, "validation_failed");
    expect(res.body.errors[0].path).toBe("steps.0.audience");
    const list = await w.t.request("/v1/admin/escalation-ladders", { as: p.user("proc", "admin") });
    expect(list.body.audiences.map((a: any) => a.code)).not.toContain("leaders");
  });
});
