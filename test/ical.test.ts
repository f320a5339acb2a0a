// Calendar feeds and a meeting's .ics, parsed back with an iCalendar library (ical.js), through the
// real app and real libSQL.
import { sql } from "drizzle-orm";
import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;
type Who = { id: string };
let keyN = 0;
const key = () => `feed-key-${++keyN}-abcdef`;

/** The VEVENTs of an iCalendar text, by UID, via ical.js. */
function parse(text: string) {
  const cal = new ICAL.Component(ICAL.parse(text));
  expect(cal.name).toBe("vcalendar");
  const events = new Map<string, ICAL.Component>();
  for (const v of cal.getAllSubcomponents("vevent")) events.set(String(v.getFirstPropertyValue("uid")), v);
  return events;
}
const alarms = (v: ICAL.Component) =>
  v
    .getAllSubcomponents("valarm")
    .map((a) => (a.getFirstPropertyValue("trigger") as ICAL.Duration).toSeconds())
    .sort((a, b) => a - b);

async function world() {
  const t = await setup({ clock: fixedClock("2026-07-01T02:00:00Z") });
  const p = await t.pair();
  const q = await t.pair();
  async function meeting(
    pair: Pair,
    o: { startsAt: string; status?: string; slot?: string; version?: number; invited: [Who, string][] },
  ) {
    const id = t.deps.ids();
    const now = t.clock.now().toISOString();
    await t.deps.db.run(sql`insert into meetings (id, jurisdiction_id, kind, host_org_id, guest_org_id, title,
        status, starts_at, ends_at, place, slot_status, slot_version, created_at, updated_at)
      values (${id}, ${pair.jurisdiction.id}, 'regular', ${pair.court.id}, ${pair.procuratorate.id},
        ${`联席会议${id.slice(-4)}`}, ${o.status ?? "scheduled"}, ${o.startsAt}, null, '第一会议室',
        ${o.slot ?? "confirmed"}, ${o.version ?? 1}, ${now}, ${now})`);
    for (const [u, rsvp] of o.invited)
      await t.deps.db.run(sql`insert into meeting_participants (id, meeting_id, jurisdiction_id, kind, user_id,
          org_id, rsvp, invited_by, created_at, updated_at)
        values (${t.deps.ids()}, ${id}, ${pair.jurisdiction.id}, 'user', ${u.id},
          (select org_id from users where id = ${u.id}), ${rsvp}, ${u.id}, ${now}, ${now})`);
    return id;
  }
  async function newFeed(as: Who, k = key()) {
    const res = await t.request("/v1/calendar-feeds", {
      method: "POST",
      as,
      headers: { "idempotency-key": k },
      json: { label: "手机日历" },
    });
    return res;
  }
  /** The feed of a token as a calendar app fetches it: no bearer. */
  const fetchFeed = (token: string, headers: Record<string, string> = {}) =>
    t.request(`/v1/calendar-feeds/${token}/calendar.ics`, { headers });
  return { t, p, q, meeting, newFeed, fetchFeed };
}

describe("a user's calendar feed", () => {
  it("shows my meetings (confirmed, tentative, cancelled) with alarms, never another pair's or a declined one", async () => {
    const w = await world();
    const { p, q } = w;
    const me = p.user("court", "leader");
    const confirmed = await w.meeting(p, {
      startsAt: "2026-07-20T09:30:00+08:00",
      version: 3,
      invited: [
        [me, "accepted"],
        [p.user("court", "handler"), "declined"],
      ],
    });
    const tentative = await w.meeting(p, {
      startsAt: "2026-12-10T14:00:00+08:00",
      status: "planning",
      slot: "proposed",
      invited: [[me, "pending"]],
    });
    const cancelled = await w.meeting(p, {
      startsAt: "2026-07-25T09:00:00+08:00",
      status: "cancelled",
      invited: [[me, "accepted"]],
    });
    const notInvited = await w.meeting(p, { startsAt: "2026-08-01T09:00:00+08:00", invited: [] });
    const otherPair = await w.meeting(q, {
      startsAt: "2026-07-21T09:00:00+08:00",
      invited: [[q.user("court", "leader"), "accepted"]],
    });

    const created = await w.newFeed(me);
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^fjc_[\w-]{43}$/);
    expect(created.body.url).toMatch(/\/v1\/calendar-feeds\/fjc_[\w-]+\/calendar\.ics$/);
    const [stored] = await w.t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from feed_tokens where token_hash = ${created.body.token}`,
    );
    expect(stored!.n).toBe(0); // only the hash is kept

    const res = await w.fetchFeed(created.body.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/calendar/);
    const events = parse(res.body);
    expect([...events.keys()].sort()).toEqual(
      [
        `meeting-${confirmed}@fajian-xietong`,
        `meeting-${tentative}@fajian-xietong`,
        `meeting-${cancelled}@fajian-xietong`,
      ].sort(),
    );
    expect(events.has(`meeting-${notInvited}@fajian-xietong`)).toBe(false);
    expect(events.has(`meeting-${otherPair}@fajian-xietong`)).toBe(false);

    const c = events.get(`meeting-${confirmed}@fajian-xietong`)!;
    const ev = new ICAL.Event(c);
    expect(ev.startDate.toJSDate().toISOString()).toBe("2026-07-20T01:30:00.000Z");
    expect(ev.endDate.toJSDate().toISOString()).toBe("2026-07-20T03:30:00.000Z");
    expect(ev.sequence).toBe(3);
    expect(c.getFirstPropertyValue("status")).toBe("CONFIRMED");
    expect(alarms(c)).toEqual([-7 * 86_400, -86_400]);
    expect(events.get(`meeting-${tentative}@fajian-xietong`)!.getFirstPropertyValue("status")).toBe(
      "TENTATIVE",
    );
    const x = events.get(`meeting-${cancelled}@fajian-xietong`)!;
    expect(x.getFirstPropertyValue("status")).toBe("CANCELLED");
    expect(new ICAL.Event(x).sequence).toBe(2);

    // The other pair's leader sees only their own meeting.
    const theirs = await w.newFeed(q.user("court", "leader"));
    const their = parse((await w.fetchFeed(theirs.body.token)).body);
    expect([...their.keys()]).toEqual([`meeting-${otherPair}@fajian-xietong`]);

    // A declined invitation is not in the handler's feed.
    const handler = await w.newFeed(p.user("court", "handler"));
    expect(parse((await w.fetchFeed(handler.body.token)).body).size).toBe(0);
  });

  it("shows a meeting skipped this period as cancelled, without alarms, in the feed and its .ics", async () => {
    const w = await world();
    const me = w.p.user("court", "coordinator");
    const skipped = await w.meeting(w.p, {
      startsAt: "2026-09-10T09:00:00+08:00",
      status: "skipped",
      slot: "proposed",
      invited: [[me, "accepted"]],
    });
    const uid = `meeting-${skipped}@fajian-xietong`;
    const feed = parse((await w.fetchFeed((await w.newFeed(me)).body.token)).body);
    expect([...feed.keys()]).toEqual([uid]);
    const one = parse((await w.t.request(`/v1/meetings/${skipped}/calendar.ics`, { as: me })).body);
    for (const v of [feed.get(uid)!, one.get(uid)!]) {
      expect(v.getFirstPropertyValue("status")).toBe("CANCELLED");
      expect(alarms(v)).toEqual([]);
      expect(new ICAL.Event(v).sequence).toBe(2);
      expect(String(v.getFirstPropertyValue("description"))).toContain("本期不召开");
    }
  });

  it("answers an ETag and 304 to If-None-Match until something changes", async () => {
    const w = await world();
    const me = w.p.user("proc", "leader");
    const m = await w.meeting(w.p, { startsAt: "2026-07-20T09:30:00+08:00", invited: [[me, "accepted"]] });
    const { token } = (await w.newFeed(me)).body;
    const first = await w.fetchFeed(token);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await w.fetchFeed(token, { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.get("etag")).toBe(etag);
    expect((await w.fetchFeed(token, { "if-none-match": '"other"' })).status).toBe(200);
    // The meeting moves: a new body, a new ETag.
    w.t.clock.advance(60_000);
    await w.t.deps.db.run(sql`update meetings set starts_at = '2026-07-27T09:30:00+08:00', slot_version = 2,
      updated_at = ${w.t.clock.now().toISOString()} where id = ${m}`);
    const moved = await w.fetchFeed(token, { "if-none-match": etag });
    expect(moved.status).toBe(200);
    expect(moved.headers.get("etag")).not.toBe(etag);
    expect(new ICAL.Event(parse(moved.body).get(`meeting-${m}@fajian-xietong`)!).sequence).toBe(2);
  });

  it("keeps its ETag through topics and RSVPs (stamps come from the slot), changes it with the slot", async () => {
    const w = await world();
    const { p, t } = w;
    const me = p.user("court", "leader");
    const id = t.deps.ids();
    const at = t.clock.now().toISOString();
    await t.deps.db.run(sql`insert into meetings (id, jurisdiction_id, kind, period, host_org_id, guest_org_id,
        title, status, slot_status, slot_version, created_at, updated_at)
      values (${id}, ${p.jurisdiction.id}, 'regular', '2026-H2', ${p.court.id}, ${p.procuratorate.id},
        '2026年下半年法检联席会议', 'planning', 'none', 0, ${at}, ${at})`);
    const post = async (path: string, as: Who, json: unknown, headers: Record<string, string> = {}) => {
      t.clock.advance(60_000);
      const r = await t.request(path, { method: "POST", as, json, headers });
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
      return r.body;
    };
    const coordinator = p.user("court", "coordinator");
    await post(`/v1/meetings/${id}/slot`, coordinator, {
      startsAt: "2026-09-15T09:00:00+08:00",
      endsAt: "2026-09-15T12:00:00+08:00",
      place: "区法院第一会议室",
    });
    await post(`/v1/meetings/${id}/participants`, coordinator, { userIds: [me.id] });
    const { token } = (await w.newFeed(me)).body;
    const first = await w.fetchFeed(token);
    const etag = first.headers.get("etag")!;
    const stamp = (body: string) =>
      String(parse(body).get(`meeting-${id}@fajian-xietong`)!.getFirstPropertyValue("dtstamp"));

    await post(
      `/v1/meetings/${id}/topics`,
      p.user("proc", "handler"),
      {
        field: "civil",
        title: "虚假诉讼线索移送",
        description: "说明",
        proposingDepartmentId: p.dept(p.procuratorate.id, "第六检察部(民事检察)").id,
      },
      { "idempotency-key": `ical-topic-${id}` },
    );
    await post(`/v1/meetings/${id}/rsvp`, me, { response: "accepted" });
    await post(`/v1/meetings/${id}/participants`, coordinator, { roles: ["handler"] });
    expect((await w.fetchFeed(token, { "if-none-match": etag })).status).toBe(304);

    const confirmed = await post(`/v1/meetings/${id}/slot/confirm`, p.user("proc", "coordinator"), {
      slotVersion: 1,
    });
    expect(confirmed.status.code).toBe("scheduled");
    const after = await w.fetchFeed(token, { "if-none-match": etag });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(etag);
    expect(stamp(after.body)).not.toBe(stamp(first.body));
    expect(new Date(stamp(after.body)).toISOString()).toBe(
      t.clock
        .now()
        .toISOString()
        .replace(/\.\d+Z$/, ".000Z"),
    );
  });

  it("over 500 events keeps the upcoming ones (and the most recent past), dropping the oldest", async () => {
    const w = await world();
    const { p, t } = w;
    const me = p.user("proc", "coordinator");
    const at = t.clock.now().toISOString();
    // 520 past meetings (the last 130 days before 07-01, four a day; past-0001 the most recent), all in
    // the window.
    await t.deps.db.run(sql`insert into meetings (id, jurisdiction_id, kind, host_org_id, guest_org_id, title,
        status, starts_at, slot_status, slot_version, created_at, updated_at)
      with recursive n(i) as (select 1 union all select i + 1 from n where i < 520)
      select 'past-' || printf('%04d', i), ${p.jurisdiction.id}, 'regular', ${p.court.id}, ${p.procuratorate.id},
        '旧会议' || i, 'held',
        strftime('%Y-%m-%dT%H:%M:%S+08:00', '2026-07-01 09:00:00', '-' || ((i + 3) / 4) || ' days',
          '+' || (3 - (i - 1) % 4) || ' hours'),
        'confirmed', 1, ${at}, ${at}
      from n`);
    await t.deps.db.run(sql`insert into meeting_participants (id, meeting_id, jurisdiction_id, kind, user_id,
        org_id, rsvp, invited_by, created_at, updated_at)
      select 'pp-' || m.id, m.id, m.jurisdiction_id, 'user', ${me.id}, ${p.procuratorate.id}, 'accepted',
        ${me.id}, ${at}, ${at}
      from meetings m where m.id like 'past-%'`);
    const upcoming = [
      await w.meeting(p, { startsAt: "2026-07-01T15:00:00+08:00", invited: [[me, "accepted"]] }),
      await w.meeting(p, { startsAt: "2026-07-20T09:30:00+08:00", invited: [[me, "accepted"]] }),
      await w.meeting(p, { startsAt: "2026-12-10T09:30:00+08:00", invited: [[me, "pending"]] }),
    ];
    const events = parse((await w.fetchFeed((await w.newFeed(me)).body.token)).body);
    expect(events.size).toBe(500);
    for (const id of upcoming) expect(events.has(`meeting-${id}@fajian-xietong`), id).toBe(true);
    // The 497 most recent past ones stay; the oldest go.
    expect(events.has("meeting-past-0001@fajian-xietong")).toBe(true);
    expect(events.has("meeting-past-0497@fajian-xietong")).toBe(true);
    expect(events.has("meeting-past-0498@fajian-xietong")).toBe(false);
    expect(events.has("meeting-past-0520@fajian-xietong")).toBe(false);
  });

  it("404 for a revoked, forged or retried-away token and for a disabled user; retries never duplicate", async () => {
    const w = await world();
    const me = w.p.user("court", "coordinator");
    const k = key();
    const a = await w.newFeed(me, k);
    expect(a.status).toBe(201);
    const b = await w.newFeed(me, k); // a retry: the same feed, a renewed secret
    expect(b.status).toBe(200);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(b.body.id).toBe(a.body.id);
    expect(b.body.token).not.toBe(a.body.token);
    expectProblem(await w.fetchFeed(a.body.token), 404);
    expect((await w.fetchFeed(b.body.token)).status).toBe(200);

    const list = await w.t.request("/v1/calendar-feeds", { as: me });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).not.toHaveProperty("token");
    expect(list.body.items[0].status.code).toBe("active");

    // Another user can neither see nor revoke it.
    const other = w.p.user("court", "leader");
    expect((await w.t.request("/v1/calendar-feeds", { as: other })).body.items).toEqual([]);
    expectProblem(await w.t.request(`/v1/calendar-feeds/${b.body.id}`, { method: "DELETE", as: other }), 404);
    expect((await w.fetchFeed(b.body.token)).status).toBe(200);

    const revoked = await w.t.request(`/v1/calendar-feeds/${b.body.id}`, { method: "DELETE", as: me });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status.code).toBe("revoked");
    expectProblem(await w.fetchFeed(b.body.token), 404);
    expect((await w.t.request(`/v1/calendar-feeds/${b.body.id}`, { method: "DELETE", as: me })).status).toBe(
      200,
    );
    expectProblem(await w.newFeed(me, k), 409, "feed_revoked");

    expectProblem(await w.fetchFeed("fjc_forged0000000000000000000000000000000000000"), 404);
    expectProblem(await w.fetchFeed("x"), 404);

    const leader = w.p.user("proc", "leader");
    const live = (await w.newFeed(leader)).body.token;
    expect((await w.fetchFeed(live)).status).toBe(200);
    await w.t.deps.db.run(sql`update users set active = 0 where id = ${leader.id}`);
    expectProblem(await w.fetchFeed(live), 404);
  });

  it("shows judicial-committee sessions to the people concerned, with an alarm", async () => {
    const w = await world();
    const { p, t } = w;
    const post = async (path: string, as: Who, json: unknown, headers: Record<string, string> = {}) => {
      const r = await t.request(path, { method: "POST", as, json, headers });
      if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const doc = await post(
      "/v1/documents",
      p.user("proc", "handler"),
      {
        type: "protest.civil",
        docNumber: "示检民监〔2026〕88号",
        caseNumbers: ["(2025)示01民终88号"],
        caseCategory: "civil",
        title: "民事抗诉书",
        attachments: [],
      },
      { "idempotency-key": "ical-doc-key-1" },
    );
    await post(`/v1/documents/${doc.id}/receive`, p.user("court", "registrar"), { receivedOn: "2026-07-01" });
    await post(`/v1/documents/${doc.id}/assign`, p.user("court", "registrar"), {
      departmentId: p.dept(p.court.id, "民事审判第一庭").id,
      handlerId: p.user("court", "handler").id,
    });
    const after = await post(`/v1/documents/${doc.id}/committee-sessions`, p.user("court", "handler"), {
      sessionAt: "2026-07-28T09:00:00+08:00",
      place: "审判委员会会议室",
    });
    const uid = `committee-session-${after.committeeSession.id}@fajian-xietong`;
    const feedOf = async (u: Who) => parse((await w.fetchFeed((await w.newFeed(u)).body.token)).body);
    for (const who of [p.user("court", "handler"), p.user("proc", "handler"), p.user("proc", "leader")]) {
      const events = await feedOf(who);
      expect(events.has(uid), who.id).toBe(true);
      const v = events.get(uid)!;
      expect(new ICAL.Event(v).startDate.toJSDate().toISOString()).toBe("2026-07-28T01:00:00.000Z");
      expect(alarms(v)).toEqual([-86_400]);
    }
    // Not concerned: the court's leader and auditor; and nobody of another pair.
    for (const who of [p.user("court", "leader"), p.user("proc", "auditor"), w.q.user("proc", "leader")])
      expect((await feedOf(who)).has(uid), who.id).toBe(false);
  });
});

describe("user text never breaks out of its property", () => {
  /** Text that would start a forged event (and a second calendar) if written unescaped. */
  const forged = (text: string) =>
    `${text}\r\nBEGIN:VEVENT\r\nUID:forged@evil\r\nDTSTART:20270124T010000Z\r\nSUMMARY:伪造会议\r\n` +
    "END:VEVENT\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nX-Y:z\n\rX-Z:\u0000\u000b\u001b\u007f;,\\";
  /** Exactly one VCALENDAR, and the UIDs of its events. */
  function only(text: string) {
    const jcal = ICAL.parse(text);
    expect(jcal[0], "one VCALENDAR").toBe("vcalendar");
    expect(text.match(/^BEGIN:VCALENDAR$/gm)).toHaveLength(1);
    expect(text).not.toMatch(/[^\P{Cc}\t\r\n]/u); // no control character but the line ends
    const cal = new ICAL.Component(jcal);
    return {
      cal,
      uids: cal.getAllSubcomponents("vevent").map((v) => String(v.getFirstPropertyValue("uid"))),
    };
  }

  it("a meeting title and a user name with CR/LF and control characters: one calendar, only our events", async () => {
    const w = await world();
    const me = w.p.user("court", "leader");
    const m = await w.meeting(w.p, { startsAt: "2026-07-20T09:30:00+08:00", invited: [[me, "accepted"]] });
    await w.t.deps.db.run(sql`update meetings set title = ${forged("专题会议")}, place = ${forged("会议室")},
      online_url = ${forged("https://meet.example/1")} where id = ${m}`);
    await w.t.deps.db.run(sql`update users set name = ${forged("张三")} where id = ${me.id}`);

    const one = await w.t.request(`/v1/meetings/${m}/calendar.ics`, { as: me });
    expect(one.status).toBe(200);
    const a = only(one.body);
    expect(a.uids).toEqual([`meeting-${m}@fajian-xietong`]);
    const name = String(a.cal.getFirstPropertyValue("x-wr-calname"));
    expect(name).toMatch(/^专题会议 BEGIN:VEVENT/);
    const v = a.cal.getFirstSubcomponent("vevent")!;
    expect(String(v.getFirstPropertyValue("summary"))).toMatch(/^专题会议 BEGIN:VEVENT UID:forged@evil /);

    const feed = await w.fetchFeed((await w.newFeed(me)).body.token);
    expect(feed.status).toBe(200);
    const b = only(feed.body);
    expect(b.uids).toEqual([`meeting-${m}@fajian-xietong`]);
    expect(String(b.cal.getFirstPropertyValue("x-wr-calname"))).toMatch(/^法检协同 · 张三 BEGIN:VEVENT/);
  });
});

describe("one meeting's .ics", () => {
  it("is served to the pair (404 outside it), parses, has alarms and an ETag", async () => {
    const w = await world();
    const m = await w.meeting(w.p, { startsAt: "2026-07-20T09:30:00+08:00", invited: [] });
    const res = await w.t.request(`/v1/meetings/${m}/calendar.ics`, { as: w.p.user("proc", "auditor") });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/calendar/);
    const v = parse(res.body).get(`meeting-${m}@fajian-xietong`)!;
    expect(new ICAL.Event(v).startDate.toJSDate().toISOString()).toBe("2026-07-20T01:30:00.000Z");
    expect(alarms(v)).toEqual([-7 * 86_400, -86_400]);
    const again = await w.t.request(`/v1/meetings/${m}/calendar.ics`, {
      as: w.p.user("court", "handler"),
      headers: { "if-none-match": res.headers.get("etag")! },
    });
    expect(again.status).toBe(304);
    expectProblem(
      await w.t.request(`/v1/meetings/${m}/calendar.ics`, { as: w.q.user("court", "leader") }),
      404,
    );
    expectProblem(await w.t.request(`/v1/meetings/${m}/calendar.ics`), 401);
  });
});
