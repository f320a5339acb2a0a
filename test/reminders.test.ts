// Reminders 7 and 1 China calendar days before joint meetings, on a fake clock, with duplicate,
// missed and late runs, and a meeting moved to another time.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import { meetingReminders, runReminders } from "../src/notifications/reminders";
import { setup } from "./helpers";

const cst = (day: string, at = "08:00") => new Date(`${day}T${at}:00+08:00`);

async function world() {
  const t = await setup({ clock: fixedClock("2026-07-01T02:00:00Z") });
  const p = await t.pair();
  /** A meeting of the pair with a slot, and user participants with their RSVP. */
  async function meeting(
    startsAt: string,
    o: { status?: string; slot?: string; invited?: [string, string][] } = {},
  ) {
    const id = t.deps.ids();
    const now = t.clock.now().toISOString();
    await t.deps.db.run(sql`insert into meetings (id, jurisdiction_id, kind, host_org_id, guest_org_id, title,
        status, starts_at, ends_at, place, slot_status, slot_version, created_at, updated_at)
      values (${id}, ${p.jurisdiction.id}, 'regular', ${p.court.id}, ${p.procuratorate.id}, '2026年下半年法检联席会议',
        ${o.status ?? "scheduled"}, ${startsAt}, null, '中级人民法院第一会议室', ${o.slot ?? "confirmed"}, 1,
        ${now}, ${now})`);
    const invited = o.invited ?? [
      ["court.leader", "accepted"],
      ["proc.leader", "pending"],
      ["court.handler", "declined"],
      ["proc.coordinator", "tentative"],
    ];
    for (const [who, rsvp] of invited) {
      const [side, role] = who.split(".") as ["court" | "proc", never];
      const u = p.user(side, role);
      await t.deps.db.run(sql`insert into meeting_participants (id, meeting_id, jurisdiction_id, kind, user_id,
          org_id, rsvp, invited_by, created_at, updated_at)
        values (${t.deps.ids()}, ${id}, ${p.jurisdiction.id}, 'user', ${u.id}, ${u.orgId}, ${rsvp}, ${u.id}, ${now}, ${now})`);
    }
    // An external observer never has an account, so never a notice.
    await t.deps.db.run(sql`insert into meeting_participants (id, meeting_id, jurisdiction_id, kind, org_id,
        observer_organization, observer_name, invited_by, created_at, updated_at)
      values (${t.deps.ids()}, ${id}, ${p.jurisdiction.id}, 'observer', ${p.court.id}, '市委政法委', '观察员',
        ${p.user("court", "coordinator").id}, ${now}, ${now})`);
    return id;
  }
  const run = (day: string, at = "08:00") => runReminders(t.deps, cst(day, at), [meetingReminders]);
  const notices = (meetingId: string) =>
    t.deps.db.all<{ who: string; zh: string; en: string; key: string }>(sql`select u.email as who,
        n.text_zh as zh, n.text_en as en, n.dedupe_key as key
      from notifications n join users u on u.id = n.user_id
      where n.subject_type = 'meeting' and n.subject_id = ${meetingId} and n.kind = 'meeting.reminder'
      order by n.created_at, u.email`);
  const who = async (meetingId: string) => (await notices(meetingId)).map((n) => n.who.split("@")[0]);
  return { t, p, meeting, run, notices, who };
}

describe("meeting reminders", () => {
  it("7 and 1 days before, once each, to invited users who did not decline; duplicate runs send nothing", async () => {
    const w = await world();
    const m = await w.meeting("2026-07-20T09:30:00+08:00");
    expect(await w.run("2026-07-12")).toEqual({ meeting: 0 }); // 8 days before
    expect(await w.run("2026-07-13")).toEqual({ meeting: 3 }); // 7 days before
    expect(await w.run("2026-07-13", "08:00")).toEqual({ meeting: 0 });
    await Promise.all([w.run("2026-07-13", "12:00"), w.run("2026-07-13", "12:00")]);
    expect(await w.run("2026-07-14")).toEqual({ meeting: 0 });
    expect(await w.who(m)).toEqual(["court.leader", "proc.coordinator", "proc.leader"]);
    const [first] = await w.notices(m);
    expect(first!.zh).toBe(
      "联席会议「2026年下半年法检联席会议」将于2026-07-20 09:30在中级人民法院第一会议室举行,还有7天。",
    );
    expect(first!.en).toContain("starts in 7 days, on 2026-07-20 09:30 (China time)");

    // The daily job through the cron ledger: the day before.
    w.t.clock.set(cst("2026-07-19", "08:00"));
    const r = await runJob(w.t.deps, "event_reminders", cst("2026-07-19", "08:00"));
    expect(r).toMatchObject({ status: "ok", counts: { meeting: 3 } });
    expect(await w.run("2026-07-19", "20:00")).toEqual({ meeting: 0 });
    expect(await w.run("2026-07-20", "08:00")).toEqual({ meeting: 0 }); // the start day: already reminded
    const all = await w.notices(m);
    expect(all).toHaveLength(6);
    expect(all.at(-1)!.zh).toContain("就在明天");
    expect(new Set(all.map((n) => n.key)).size).toBe(6);
  });

  it("catches a missed reminder up once, late, before the start, never after; one notice after a long gap", async () => {
    const w = await world();
    const late = await w.meeting("2026-07-20T14:00:00+08:00");
    const gap = await w.meeting("2026-07-16T15:00:00+08:00");
    const started = await w.meeting("2026-07-15T07:00:00+08:00");
    await w.run("2026-07-15"); // first run since July 1st
    // 7 days before `late` was 07-13: sent now, saying how far it really is.
    expect((await w.notices(late)).map((n) => n.zh.slice(-5))).toEqual([
      "还有5天。",
      "还有5天。",
      "还有5天。",
    ]);
    // `gap`: both reminders' days have come; only the nearest (1 day) is sent.
    const g = await w.notices(gap);
    expect(g).toHaveLength(3);
    expect(g.every((n) => n.key.includes(":1:"))).toBe(true);
    // `started` began at 07:00, before this 08:00 run: no reminder after the start.
    expect(await w.notices(started)).toEqual([]);
    await w.run("2026-07-16");
    await w.run("2026-07-17");
    expect(await w.notices(late)).toHaveLength(3);
    expect(await w.notices(gap)).toHaveLength(3);
    await w.run("2026-07-20", "13:00"); // the day-before reminder of `late`, late but before the start
    expect((await w.notices(late)).filter((n) => n.zh.endsWith("就在今天。"))).toHaveLength(3);
    expect(await w.notices(late)).toHaveLength(6);
  });

  it("reminds a moved meeting again; not a meeting that is not scheduled with a confirmed slot", async () => {
    const w = await world();
    const m = await w.meeting("2026-07-20T09:30:00+08:00");
    const planning = await w.meeting("2026-07-20T09:30:00+08:00", { status: "planning", slot: "proposed" });
    const cancelled = await w.meeting("2026-07-20T09:30:00+08:00", { status: "cancelled" });
    await w.run("2026-07-13");
    expect(await w.notices(m)).toHaveLength(3);
    // Moved a week later: a new slot version.
    await w.t.deps.db.run(sql`update meetings set starts_at = '2026-07-27T09:30:00+08:00',
      slot_version = 2 where id = ${m}`);
    await w.run("2026-07-19"); // 1 day before the old time: nothing for the old version
    expect(await w.notices(m)).toHaveLength(3);
    await w.run("2026-07-20");
    const after = await w.notices(m);
    expect(after).toHaveLength(6);
    expect(after.at(-1)!.key).toMatch(/:v2:7:/);
    expect(await w.notices(planning)).toEqual([]);
    expect(await w.notices(cancelled)).toEqual([]);
  });
});
