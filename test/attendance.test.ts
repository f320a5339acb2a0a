// Attendance at training sessions (organiser and QR self check-in) and training records, through the
// HTTP API and real libSQL, on a fixed clock.
import { sql } from "drizzle-orm";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { expectProblem, setup } from "./helpers";

let keyN = 0;
const key = () => `attendance-key-${++keyN}-abcdef`;

async function world() {
  const t = await setup({ clock: fixedClock("2026-09-01T02:00:00Z") });
  const city = await t.pair({ level: "city" });
  const basic = await t.pair({ level: "basic", parentId: city.jurisdiction.id });
  const organiser = city.user("court", "coordinator");
  async function training(o: Record<string, unknown> = {}) {
    const res = await t.request("/v1/trainings", {
      method: "POST",
      as: organiser,
      headers: { "idempotency-key": key() },
      json: {
        kind: "training",
        title: "裁判文书说理培训",
        hours: 3,
        capacity: 30,
        sessions: [
          { startsAt: "2026-10-20T09:00:00+08:00", endsAt: "2026-10-20T12:00:00+08:00", place: "第一培训室" },
          { startsAt: "2026-10-21T09:00:00+08:00", endsAt: "2026-10-21T12:00:00+08:00", place: "第一培训室" },
        ],
        opensAt: "2026-09-05T09:00:00+08:00",
        closesAt: "2026-10-15T18:00:00+08:00",
        invitations: { orgIds: [city.procuratorate.id, basic.procuratorate.id], quotas: {} },
        ...o,
      },
    });
    expect(res.status).toBe(201);
    const pub = await t.request(`/v1/trainings/${res.body.id}/publish`, { method: "POST", as: organiser });
    expect(pub.status).toBe(200);
    return pub.body as { id: string; sessions: { id: string; startsAt: string }[] };
  }
  /** A registration written straight into the table (registration itself is another module's). */
  async function register(trainingId: string, u: { id: string }, status = "confirmed") {
    const id = t.deps.ids();
    const now = t.clock.now().toISOString();
    await t.deps.db.run(sql`insert into registrations (id, training_id, jurisdiction_id, user_id, org_id,
        status, seq, registered_by, created_at, updated_at)
      select ${id}, ${trainingId}, u.jurisdiction_id, u.id, u.org_id, ${status},
        coalesce((select max(seq) from registrations where training_id = ${trainingId}), 0) + 1, u.id, ${now}, ${now}
      from users u where u.id = ${u.id}`);
    return id;
  }
  const qr = (tr: string, sid: string, q = "") =>
    t.request(`/v1/trainings/${tr}/sessions/${sid}/qr${q}`, { as: organiser });
  const checkIn = (tr: string, sid: string, as: { id: string }, token: string) =>
    t.request(`/v1/trainings/${tr}/sessions/${sid}/check-in`, { method: "POST", as, json: { token } });
  const rows = async () =>
    (await t.deps.db.all<{ n: number }>(sql`select count(*) as n from training_attendance`))[0]!.n;
  return { t, city, basic, organiser, training, register, qr, checkIn, rows };
}

describe("QR self check-in", () => {
  it("a valid token checks a confirmed participant in once; forged, expired, other-session tokens are refused", async () => {
    const w = await world();
    const tr = await w.training();
    const [s1, s2] = tr.sessions;
    const me = w.basic.user("proc", "handler");
    const reg = await w.register(tr.id, me);
    w.t.clock.set("2026-10-20T08:30:00+08:00");
    const code = await w.qr(tr.id, s1!.id);
    expect(code.status).toBe(200);
    expect(code.body.expiresAt).toBe(new Date("2026-10-20T08:45:00+08:00").toISOString());
    expect(code.body.qr).toContain(code.body.token);

    const first = await w.checkIn(tr.id, s1!.id, me, code.body.token);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      registrationId: reg,
      method: { code: "qr" },
      alreadyCheckedIn: false,
    });
    const again = await w.checkIn(tr.id, s1!.id, me, code.body.token);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alreadyCheckedIn: true, checkedInAt: first.body.checkedInAt });
    expect(await w.rows()).toBe(1);

    // Forged: the right claims, signed with another key.
    const forged = await new SignJWT({ training: tr.id, session: s1!.id })
      .setProtectedHeader({ alg: "HS256", typ: "fjqr+jwt" })
      .setJti("x")
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode("not-the-session-secret-at-all-0123456789"));
    const other = w.city.user("proc", "handler");
    await w.register(tr.id, other);
    expectProblem(await w.checkIn(tr.id, s1!.id, other, forged), 422, "invalid_token");
    expectProblem(await w.checkIn(tr.id, s1!.id, other, "not.a.jwt.at-all"), 422, "invalid_token");
    // Another session's token (its own key) at this session.
    const code2 = await w.qr(tr.id, s2!.id);
    expectProblem(await w.checkIn(tr.id, s1!.id, other, code2.body.token), 422, "invalid_token");
    // Expired: 16 minutes later the 15-minute token is refused; a fresh one works.
    w.t.clock.advance(16 * 60_000);
    expectProblem(await w.checkIn(tr.id, s1!.id, other, code.body.token), 422, "token_expired");
    const fresh = await w.qr(tr.id, s1!.id, "?ttlMinutes=5");
    expect(fresh.body.expiresAt).toBe(new Date(w.t.clock.now().getTime() + 5 * 60_000).toISOString());
    // Not registered (invited, but no confirmed registration): 403.
    const waiting = w.basic.user("proc", "leader");
    await w.register(tr.id, waiting, "waitlisted");
    expectProblem(await w.checkIn(tr.id, s1!.id, waiting, fresh.body.token), 403, "not_registered");
    expect((await w.checkIn(tr.id, s1!.id, other, fresh.body.token)).status).toBe(200);
    expect(await w.rows()).toBe(2);

    // Outside the session's time: session 2 is tomorrow (opens an hour before its start).
    expectProblem(await w.checkIn(tr.id, s2!.id, other, code2.body.token), 422, "token_expired");
    const early = await w.qr(tr.id, s2!.id);
    expectProblem(await w.checkIn(tr.id, s2!.id, other, early.body.token), 409, "checkin_not_open");
    w.t.clock.set("2026-10-20T12:00:01+08:00");
    const late = await w.qr(tr.id, s1!.id);
    expectProblem(
      await w.checkIn(tr.id, s1!.id, w.city.user("proc", "leader"), late.body.token),
      403,
      "not_registered",
    );
    await w.register(tr.id, w.city.user("proc", "leader"));
    expectProblem(
      await w.checkIn(tr.id, s1!.id, w.city.user("proc", "leader"), late.body.token),
      409,
      "checkin_closed",
    );
    expect(await w.rows()).toBe(2);

    // Organiser-only: the QR code.
    expectProblem(await w.t.request(`/v1/trainings/${tr.id}/sessions/${s1!.id}/qr`, { as: me }), 403);
    const list = await w.t.request(`/v1/trainings/${tr.id}/sessions/${s1!.id}/attendance`, {
      as: w.organiser,
    });
    expect(list.body.attendance.map((a: any) => a.user.id).sort()).toEqual([me.id, other.id].sort());
    // An invited institution sees its own people only.
    const own = await w.t.request(`/v1/trainings/${tr.id}/sessions/${s1!.id}/attendance`, {
      as: w.basic.user("proc", "coordinator"),
    });
    expect(own.body.attendance.map((a: any) => a.user.id)).toEqual([me.id]);
  });

  it("a QR check-in is on the person's registration timeline, not on the training's seen by every invited institution", async () => {
    const w = await world();
    const tr = await w.training();
    const me = w.basic.user("proc", "handler");
    const reg = await w.register(tr.id, me);
    w.t.clock.set("2026-10-20T08:30:00+08:00");
    const code = await w.qr(tr.id, tr.sessions[0]!.id);
    expect((await w.checkIn(tr.id, tr.sessions[0]!.id, me, code.body.token)).status).toBe(200);
    const seen = await w.t.request(`/v1/trainings/${tr.id}`, { as: w.city.user("proc", "coordinator") });
    expect(seen.body.timeline.map((e: any) => e.type)).not.toContain("checked_in");
    for (const as of [me, w.organiser]) {
      const r = await w.t.request(`/v1/registrations/${reg}`, { as });
      expect(r.body.timeline.map((e: any) => e.type)).toContain("checked_in");
    }
    expect(
      (await w.t.request(`/v1/registrations/${reg}`, { as: w.city.user("proc", "coordinator") })).status,
    ).toBe(404);
  });
});

describe("attendance by the organiser", () => {
  it("records confirmed registrations only, all or nothing, once; removes with attended: false", async () => {
    const w = await world();
    const tr = await w.training();
    const s1 = tr.sessions[0]!.id;
    const a = await w.register(tr.id, w.basic.user("proc", "handler"));
    const b = await w.register(tr.id, w.city.user("proc", "handler"));
    const c = await w.register(tr.id, w.city.user("proc", "leader"), "waitlisted");
    const post = (entries: unknown, as = w.organiser) =>
      w.t.request(`/v1/trainings/${tr.id}/sessions/${s1}/attendance`, {
        method: "POST",
        as,
        json: { entries },
      });
    expectProblem(await post([{ registrationId: a, attended: true }]), 409, "checkin_not_open");
    w.t.clock.set("2026-10-20T10:00:00+08:00");
    const bad = await post([
      { registrationId: a, attended: true },
      { registrationId: c, attended: true },
    ]);
    expectProblem(bad, 400, "validation_failed");
    expect(bad.body.errors).toEqual([
      expect.objectContaining({ path: "entries.1.registrationId", code: "not_confirmed" }),
    ]);
    expect(await w.rows()).toBe(0);
    expectProblem(
      await post([{ registrationId: a, attended: true }], w.city.user("proc", "coordinator")),
      403,
    );
    expectProblem(await post([{ registrationId: a, attended: true }], w.city.user("court", "handler")), 403);

    const ok = await post([
      { registrationId: a, attended: true },
      { registrationId: b, attended: true },
    ]);
    expect(ok.status).toBe(200);
    expect(ok.body.attendance).toHaveLength(2);
    expect((await post([{ registrationId: a, attended: true }])).body.attendance).toHaveLength(2);
    const off = await post([{ registrationId: b, attended: false }]);
    expect(off.body.attendance.map((x: any) => x.registrationId)).toEqual([a]);
    expect(await w.rows()).toBe(1);
  });
});

describe("attendance after a withdrawal", () => {
  it("the organiser removes the attendance of a withdrawn registration; its hours no longer count", async () => {
    const w = await world();
    const tr = await w.training();
    const s1 = tr.sessions[0]!.id;
    const me = w.basic.user("proc", "handler");
    const reg = await w.register(tr.id, me);
    w.t.clock.set("2026-10-20T10:00:00+08:00");
    const post = (entries: unknown) =>
      w.t.request(`/v1/trainings/${tr.id}/sessions/${s1}/attendance`, {
        method: "POST",
        as: w.organiser,
        json: { entries },
      });
    expect((await post([{ registrationId: reg, attended: true }])).status).toBe(200);
    const record = async () =>
      (await w.t.request("/v1/me/training-record?year=2026", { as: me })).body.totalHours;
    expect(await record()).toBe(1.5);
    await w.t.deps.db.run(sql`update registrations set status = 'withdrawn' where id = ${reg}`);
    // Withdrawn: no hours, and the record can still be corrected.
    expect(await record()).toBe(0);
    const fixed = await post([{ registrationId: reg, attended: false }]);
    expect(fixed.status).toBe(200);
    expect(await w.rows()).toBe(0);
    // Recording a withdrawn registration stays refused; an unknown id cannot be removed either.
    expect((await post([{ registrationId: reg, attended: true }])).body.errors[0].code).toBe("not_confirmed");
    const unknown = await post([{ registrationId: "nope", attended: false }]);
    expectProblem(unknown, 400, "validation_failed");
    expect(unknown.body.errors[0]).toMatchObject({
      path: "entries.0.registrationId",
      code: "not_registered",
    });
  });
});

describe("training records", () => {
  it("credits hours pro rata per session attended, to each session's year (a year boundary)", async () => {
    const w = await world();
    // Two sessions across New Year (China time): 3 hours, 1.5 per session.
    const tr = await w.training({
      title: "跨年培训",
      hours: 3,
      sessions: [
        { startsAt: "2026-12-31T19:00:00+08:00", endsAt: "2026-12-31T23:30:00+08:00", place: "礼堂" },
        { startsAt: "2027-01-01T00:30:00+08:00", endsAt: "2027-01-01T02:00:00+08:00", place: "礼堂" },
      ],
      closesAt: "2026-12-20T18:00:00+08:00",
    });
    const single = await w.training({
      title: "单场讲座",
      hours: 2.5,
      sessions: [
        { startsAt: "2027-03-01T09:00:00+08:00", endsAt: "2027-03-01T11:00:00+08:00", place: "礼堂" },
      ],
      closesAt: "2027-02-20T18:00:00+08:00",
    });
    const me = w.basic.user("proc", "handler");
    const colleague = w.basic.user("proc", "leader");
    const rMe = await w.register(tr.id, me);
    const rCol = await w.register(tr.id, colleague);
    const rMe2 = await w.register(single.id, me);
    const mark = async (trainingId: string, sid: string, ids: string[]) => {
      const res = await w.t.request(`/v1/trainings/${trainingId}/sessions/${sid}/attendance`, {
        method: "POST",
        as: w.organiser,
        json: { entries: ids.map((registrationId) => ({ registrationId, attended: true })) },
      });
      expect(res.status).toBe(200);
    };
    w.t.clock.set("2027-03-02T09:00:00+08:00");
    await mark(tr.id, tr.sessions[0]!.id, [rMe, rCol]);
    await mark(tr.id, tr.sessions[1]!.id, [rMe]);
    await mark(single.id, single.sessions[0]!.id, [rMe2]);

    const y2026 = await w.t.request("/v1/me/training-record?year=2026", { as: me });
    expect(y2026.body).toMatchObject({
      year: 2026,
      events: [{ trainingId: tr.id, sessionsAttended: 1, sessionsTotal: 2, hours: 1.5 }],
      totalHours: 1.5,
    });
    const y2027 = await w.t.request("/v1/me/training-record?year=2027", { as: me });
    expect(y2027.body.events.map((e: any) => [e.title, e.hours])).toEqual([
      ["跨年培训", 1.5],
      ["单场讲座", 2.5],
    ]);
    expect(y2027.body.totalHours).toBe(4);
    expect((await w.t.request("/v1/me/training-record?year=2027", { as: colleague })).body.totalHours).toBe(
      0,
    );

    const org = await w.t.request("/v1/training-records?year=2026", { as: w.basic.user("proc", "leader") });
    expect(org.status).toBe(200);
    expect(org.body.people.map((p: any) => [p.user.id, p.events, p.hours]).sort()).toEqual(
      [
        [me.id, 1, 1.5],
        [colleague.id, 1, 1.5],
      ].sort(),
    );
    expect(org.body.totals).toEqual({ people: 2, events: 2, hours: 3 });
    // The organiser's institution reads its own people only (none attended).
    const own = await w.t.request("/v1/training-records?year=2026", { as: w.city.user("court", "leader") });
    expect(own.body.people).toEqual([]);
    expectProblem(
      await w.t.request(`/v1/training-records?year=2026&orgId=${w.basic.procuratorate.id}`, {
        as: w.city.user("court", "leader"),
      }),
      404,
    );
    expectProblem(await w.t.request("/v1/training-records?year=2026", { as: me }), 403);
  });
});
