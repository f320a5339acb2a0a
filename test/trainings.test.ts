// Trainings through the HTTP API and real libSQL: creation with per-field validation that changes
// nothing, invitations (the counterpart and basic-level institutions under it), publish, change,
// cancel, lists and the detail; tenancy (404 for every institution not organising or invited).
import { sql } from "drizzle-orm";
import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { REMINDER_SOURCES, runReminders, trainingReminders } from "../src/notifications/reminders";
import { expectProblem, setup } from "./helpers";

let keyN = 0;
const key = () => `training-key-${++keyN}-abcdef`;

async function world() {
  const t = await setup({ clock: fixedClock("2026-09-01T02:00:00Z") });
  const city = await t.pair({ level: "city" });
  const basic = await t.pair({ level: "basic", parentId: city.jurisdiction.id });
  const other = await t.pair();
  const organiser = city.user("court", "coordinator");
  const body = (o: Record<string, unknown> = {}) => ({
    kind: "training",
    title: "刑事审判实务培训",
    description: "新修订刑事诉讼法解读",
    hours: 3.5,
    capacity: 50,
    sessions: [
      {
        startsAt: "2026-10-20T09:00:00+08:00",
        endsAt: "2026-10-20T12:00:00+08:00",
        place: "市中院第一培训室",
      },
      {
        startsAt: "2026-10-21T14:00:00+08:00",
        endsAt: "2026-10-21T17:00:00+08:00",
        onlineUrl: "https://meet.example/x",
      },
    ],
    opensAt: "2026-09-05T09:00:00+08:00",
    closesAt: "2026-10-15T18:00:00+08:00",
    modifyUntil: "2026-10-18T18:00:00+08:00",
    questions: [
      {
        id: "diet",
        type: "single",
        label: { zh: "饮食", en: "Diet" },
        options: ["普通", "清真"],
        required: true,
      },
      { id: "topics", type: "text", label: { zh: "关注问题", en: "Topics" }, maxLength: 200 },
    ],
    invitations: {
      orgIds: [city.procuratorate.id, basic.procuratorate.id],
      quotas: { [city.procuratorate.id]: 20, [basic.procuratorate.id]: 10 },
    },
    ...o,
  });
  const create = (o: Record<string, unknown> = {}, as = organiser, k = key()) =>
    t.request("/v1/trainings", { method: "POST", as, headers: { "idempotency-key": k }, json: body(o) });
  const count = async (table: string) =>
    (await t.deps.db.all<{ n: number }>(sql.raw(`select count(*) as n from ${table}`)))[0]!.n;
  /** A registration written straight into the table (registration itself is another module's). */
  async function register(trainingId: string, u: { id: string; orgId: string }, status = "confirmed") {
    const id = t.deps.ids();
    const now = t.clock.now().toISOString();
    await t.deps.db.run(sql`insert into registrations (id, training_id, jurisdiction_id, user_id, org_id,
        status, seq, registered_by, created_at, updated_at)
      select ${id}, ${trainingId}, u.jurisdiction_id, u.id, u.org_id, ${status},
        coalesce((select max(seq) from registrations where training_id = ${trainingId}), 0) + 1, u.id, ${now}, ${now}
      from users u where u.id = ${u.id}`);
    return id;
  }
  return { t, city, basic, other, organiser, body, create, count, register };
}

describe("POST /v1/trainings", () => {
  it("creates a training in planning with sessions (China time), quotas, questions; a retry returns it", async () => {
    const w = await world();
    const k = key();
    const res = await w.create({}, w.organiser, k);
    expect(res.status).toBe(201);
    const tr = res.body;
    expect(tr).toMatchObject({
      kind: { code: "training", label: { zh: "业务培训(向对方开放)" } },
      status: { code: "planning" },
      hours: 3.5,
      capacity: 50,
      organiser: { id: w.city.court.id },
      coOrganiser: null,
      sessionCount: 2,
      firstStartsAt: "2026-10-20T09:00:00+08:00",
      counts: { confirmed: 0, waitlisted: 0, offered: 0, pending: 0 },
      myRegistration: null,
    });
    expect(tr.sessions.map((s: any) => s.position)).toEqual([1, 2]);
    expect(JSON.stringify(tr)).not.toContain("secret");
    expect(tr.invitations.map((i: any) => [i.org.id, i.quota, i.seatsTaken])).toEqual(
      expect.arrayContaining([
        [w.city.procuratorate.id, 20, 0],
        [w.basic.procuratorate.id, 10, 0],
      ]),
    );
    expect(tr.questions.map((q: any) => q.id)).toEqual(["diet", "topics"]);
    expect(tr.timeline.map((e: any) => e.type)).toEqual(["created"]);
    const secrets = await w.t.deps.db.all<{ s: string }>(
      sql`select checkin_secret as s from training_sessions`,
    );
    expect(new Set(secrets.map((r) => r.s)).size).toBe(2);
    expect(secrets[0]!.s.length).toBeGreaterThanOrEqual(40);

    const again = await w.create({}, w.organiser, k);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(tr.id);
    expect(await w.count("trainings")).toBe(1);
    expectProblem(await w.create({ title: "另一个" }, w.organiser, k), 409, "idempotency_key_reused");

    const joint = await w.create({ kind: "joint_training", invitations: { orgIds: [], quotas: {} } });
    expect(joint.body.coOrganiser.id).toBe(w.city.procuratorate.id);
  });

  it("refuses bad input field by field and writes nothing", async () => {
    const w = await world();
    const bad = await w.create({
      hours: 1.25,
      sessions: [{ startsAt: "2026-10-20T12:00:00+08:00", endsAt: "2026-10-20T09:00:00+08:00", place: "x" }],
      closesAt: "2026-09-01T09:00:00+08:00",
      questions: [
        { id: "a", type: "single", label: { zh: "甲", en: "A" }, options: ["x", "x"] },
        { id: "a", type: "yes_no", label: { zh: "乙", en: "B" }, options: ["y", "n"] },
        { id: "Bad id", type: "multiple", label: { zh: "丙", en: "C" }, options: ["one"] },
      ],
    });
    expectProblem(bad, 400, "validation_failed");
    const paths = bad.body.errors.map((e: any) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "hours",
        "sessions.0.endsAt",
        "closesAt",
        "questions.0.options",
        "questions.1.options",
        "questions.1.id",
        "questions.2.id",
        "questions.2.options",
      ]),
    );
    const quota = await w.create({ invitations: { orgIds: [w.city.procuratorate.id], quotas: { x: 1 } } });
    expectProblem(quota, 400, "validation_failed");
    expect(quota.body.errors.map((e: any) => e.path)).toEqual(["invitations.quotas.x"]);

    // Not invitable: the organiser's own kind under it, another pair's institution.
    const inv = await w.create({
      invitations: {
        orgIds: [w.city.procuratorate.id, w.basic.court.id, w.other.procuratorate.id],
        quotas: {},
      },
    });
    expectProblem(inv, 400, "validation_failed");
    expect(inv.body.errors.map((e: any) => [e.path, e.code])).toEqual([
      ["invitations.orgIds.1", "not_invitable"],
      ["invitations.orgIds.2", "not_invitable"],
    ]);
    const past = await w.create({
      sessions: [{ startsAt: "2026-08-20T09:00:00+08:00", endsAt: "2026-08-20T12:00:00+08:00", place: "x" }],
      opensAt: undefined,
      closesAt: undefined,
      modifyUntil: undefined,
    });
    expectProblem(past, 400, "validation_failed");
    expect(past.body.errors[0].path).toBe("sessions.0.startsAt");
    expectProblem(await w.create({}, w.city.user("court", "handler")), 403, "forbidden");
    for (const table of ["trainings", "training_sessions", "training_invitations", "subject_events"])
      expect(await w.count(table)).toBe(0);
  });
});

describe("publish, change, cancel", () => {
  it("publishes only when ready; invited coordinators are told; a second publish is 409", async () => {
    const w = await world();
    const draft = (await w.create({ capacity: undefined, opensAt: undefined, closesAt: undefined })).body;
    const notReady = await w.t.request(`/v1/trainings/${draft.id}/publish`, {
      method: "POST",
      as: w.organiser,
    });
    expectProblem(notReady, 422, "not_ready_to_publish");
    expect(notReady.body.errors.map((e: any) => e.path)).toEqual(["capacity", "opensAt", "closesAt"]);
    expect((await w.t.request(`/v1/trainings/${draft.id}`, { as: w.organiser })).body.status.code).toBe(
      "planning",
    );
    // A draft is the organisers' own: an invited institution does not see it yet.
    expectProblem(
      await w.t.request(`/v1/trainings/${draft.id}`, { as: w.city.user("proc", "handler") }),
      404,
      "not_found",
    );

    const patch = await w.t.request(`/v1/trainings/${draft.id}`, {
      method: "PATCH",
      as: w.organiser,
      json: { capacity: 40, opensAt: "2026-09-05T09:00:00+08:00", closesAt: "2026-10-15T18:00:00+08:00" },
    });
    expect(patch.status).toBe(200);
    expect(patch.body.capacity).toBe(40);
    expectProblem(
      await w.t.request(`/v1/trainings/${draft.id}/publish`, {
        method: "POST",
        as: w.city.user("proc", "coordinator"),
      }),
      404,
    );
    const pub = await w.t.request(`/v1/trainings/${draft.id}/publish`, { method: "POST", as: w.organiser });
    expect(pub.status).toBe(200);
    expect(pub.body.status.code).toBe("published");
    expect(pub.body.timeline.map((e: any) => e.type)).toEqual(["created", "updated", "published"]);
    expectProblem(
      await w.t.request(`/v1/trainings/${draft.id}/publish`, { method: "POST", as: w.organiser }),
      409,
      "already_published",
    );
    const notices = await w.t.deps.db.all<{ email: string }>(sql`select u.email from notifications n
      join users u on u.id = n.user_id where n.kind = 'training.published' order by u.email`);
    expect(notices.map((n) => n.email.split("@")[0])).toEqual(["proc.coordinator", "proc.coordinator"]);
    const hooks = await w.t.deps.db.all<{ type: string }>(
      sql`select type from webhook_events order by created_at`,
    );
    expect(hooks.map((h) => h.type)).toContain("training.published");
  });

  it("capacity and quotas go up or down but never below the seats held; bad changes change nothing", async () => {
    const w = await world();
    const tr = (
      await w.create({
        capacity: 3,
        invitations: {
          orgIds: [w.city.procuratorate.id, w.basic.procuratorate.id],
          quotas: { [w.city.procuratorate.id]: 3 },
        },
      })
    ).body;
    await w.t.request(`/v1/trainings/${tr.id}/publish`, { method: "POST", as: w.organiser });
    await w.register(tr.id, w.city.user("proc", "handler"));
    await w.register(tr.id, w.city.user("proc", "leader"));
    await w.register(tr.id, w.basic.user("proc", "handler"), "waitlisted");
    const patch = (json: unknown) =>
      w.t.request(`/v1/trainings/${tr.id}`, { method: "PATCH", as: w.organiser, json });
    expectProblem(await patch({ capacity: 1 }), 409, "capacity_below_taken");
    expectProblem(
      await patch({ invitations: { quotas: { [w.city.procuratorate.id]: 1 } } }),
      409,
      "quota_below_taken",
    );
    expectProblem(await patch({ questions: [] }), 409, "questions_locked");
    expectProblem(await patch({ closesAt: "2026-11-01T00:00:00+08:00" }), 422, "window_invalid");
    const inv = await patch({ invitations: { orgIds: [w.other.procuratorate.id] } });
    expectProblem(inv, 400, "validation_failed");
    expect(inv.body.errors[0].code).toBe("not_invitable");
    const same = await w.t.request(`/v1/trainings/${tr.id}`, { as: w.organiser });
    expect(same.body.capacity).toBe(3);
    expect(same.body.timeline.map((e: any) => e.type)).toEqual(["created", "published"]);

    const down = await patch({ capacity: 2, invitations: { quotas: { [w.city.procuratorate.id]: 2 } } });
    expect(down.status).toBe(200);
    expect(down.body.capacity).toBe(2);
    const cp = down.body.invitations.find((i: any) => i.org.id === w.city.procuratorate.id);
    expect(cp).toMatchObject({ quota: 2, seatsTaken: 2 });
    expect(down.body.counts).toEqual({ confirmed: 2, waitlisted: 1, offered: 0, pending: 0 });
    // Raising the capacity frees a seat: the waiting list's first person is offered it at once.
    const up = await patch({ capacity: 60, hours: 4 });
    expect(up.body).toMatchObject({ capacity: 60, hours: 4 });
    expect(up.body.counts).toEqual({ confirmed: 2, waitlisted: 0, offered: 1, pending: 0 });
  });

  it("the capacity never drops below a quota (409 capacity_below_quota, nothing changed) unless the quota goes down with it", async () => {
    const w = await world();
    const tr = (await w.create()).body; // capacity 50, city procuratorate quota 20
    const patch = (json: unknown) =>
      w.t.request(`/v1/trainings/${tr.id}`, { method: "PATCH", as: w.organiser, json });
    expectProblem(await patch({ capacity: 15 }), 409, "capacity_below_quota");
    const same = await w.t.request(`/v1/trainings/${tr.id}`, { as: w.organiser });
    expect(same.body.capacity).toBe(50);
    expect(same.body.timeline.map((e: any) => e.type)).toEqual(["created"]);
    const both = await patch({ capacity: 15, invitations: { quotas: { [w.city.procuratorate.id]: 15 } } });
    expect(both.status).toBe(200);
    expect(both.body.capacity).toBe(15);
  });

  it("cancels with a reason; registrants are told; nothing more changes it", async () => {
    const w = await world();
    const tr = (await w.create()).body;
    await w.t.request(`/v1/trainings/${tr.id}/publish`, { method: "POST", as: w.organiser });
    const person = w.basic.user("proc", "handler");
    await w.register(tr.id, person);
    expectProblem(
      await w.t.request(`/v1/trainings/${tr.id}/cancel`, {
        method: "POST",
        as: w.organiser,
        json: { reason: "" },
      }),
      400,
    );
    const res = await w.t.request(`/v1/trainings/${tr.id}/cancel`, {
      method: "POST",
      as: w.organiser,
      json: { reason: "疫情防控需要" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: { code: "cancelled" }, cancelReason: "疫情防控需要" });
    const n = await w.t.deps.db.all<{ user_id: string; text_zh: string }>(
      sql`select user_id, text_zh from notifications where kind = 'training.cancelled'`,
    );
    expect(n).toEqual([{ user_id: person.id, text_zh: "您报名的培训已取消。原因:疫情防控需要" }]);
    expectProblem(
      await w.t.request(`/v1/trainings/${tr.id}`, {
        method: "PATCH",
        as: w.organiser,
        json: { capacity: 70 },
      }),
      409,
      "training_cancelled",
    );
  });
});

describe("visibility", () => {
  it("an uninvited institution gets 404 on every route; a basic-level invited one sees it", async () => {
    const w = await world();
    const tr = (await w.create()).body;
    await w.t.request(`/v1/trainings/${tr.id}/publish`, { method: "POST", as: w.organiser });
    const sid = tr.sessions[0].id;
    const outsiders = [
      w.other.user("proc", "coordinator"),
      w.other.user("court", "admin"),
      w.basic.user("court", "leader"),
    ];
    for (const as of outsiders) {
      for (const [path, method, json] of [
        [`/v1/trainings/${tr.id}`, "GET"],
        [`/v1/trainings/${tr.id}`, "PATCH", { capacity: 9 }],
        [`/v1/trainings/${tr.id}/publish`, "POST"],
        [`/v1/trainings/${tr.id}/cancel`, "POST", { reason: "x" }],
        [`/v1/trainings/${tr.id}/sessions/${sid}/attendance`, "GET"],
        [
          `/v1/trainings/${tr.id}/sessions/${sid}/attendance`,
          "POST",
          { entries: [{ registrationId: "x", attended: true }] },
        ],
        [`/v1/trainings/${tr.id}/sessions/${sid}/qr`, "GET"],
        [`/v1/trainings/${tr.id}/sessions/${sid}/check-in`, "POST", { token: "x".repeat(20) }],
      ] as const) {
        const res = await w.t.request(path, { method, as, json });
        // Role-restricted routes answer 404 before 403, so nothing leaks either way.
        expectProblem(res, 404);
      }
      const list = await w.t.request("/v1/trainings", { as });
      expect(list.body.items).toEqual([]);
    }
    const invited = w.basic.user("proc", "handler");
    const seen = await w.t.request(`/v1/trainings/${tr.id}`, { as: invited });
    expect(seen.status).toBe(200);
    const list = await w.t.request("/v1/trainings?mine=invited&year=2026&kind=training", { as: invited });
    expect(list.body.items.map((i: any) => i.id)).toEqual([tr.id]);
    expect((await w.t.request("/v1/trainings?year=2027", { as: invited })).body.items).toEqual([]);
    expect((await w.t.request("/v1/trainings?mine=organised", { as: invited })).body.items).toEqual([]);
    // Organiser-only routes: an invited institution is told 403.
    expectProblem(
      await w.t.request(`/v1/trainings/${tr.id}`, {
        method: "PATCH",
        as: w.basic.user("proc", "coordinator"),
        json: { capacity: 9 },
      }),
      403,
    );
    expectProblem(
      await w.t.request(`/v1/trainings/${tr.id}/sessions/${sid}/qr`, {
        as: w.basic.user("proc", "coordinator"),
      }),
      403,
    );
  });

  it("lists with a cursor and updatedSince; shows my registration and waiting-list position", async () => {
    const w = await world();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const tr = (await w.create({ title: `培训${i}` })).body;
      await w.t.request(`/v1/trainings/${tr.id}/publish`, { method: "POST", as: w.organiser });
      ids.push(tr.id);
      w.t.clock.advance(60_000);
    }
    const p1 = await w.t.request("/v1/trainings?limit=2", { as: w.organiser });
    expect(p1.body.items.map((i: any) => i.id)).toEqual([ids[2], ids[1]]);
    const p2 = await w.t.request(`/v1/trainings?limit=2&cursor=${p1.body.nextCursor}`, { as: w.organiser });
    expect(p2.body).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    const since = await w.t.request(
      `/v1/trainings?updatedSince=${new Date("2026-09-01T02:00:30Z").toISOString()}`,
      {
        as: w.organiser,
      },
    );
    expect(since.body.items.map((i: any) => i.id)).toEqual([ids[1], ids[2]]);

    const a = w.city.user("proc", "handler");
    const b = w.city.user("proc", "leader");
    await w.register(ids[0]!, w.basic.user("proc", "handler"), "waitlisted");
    const ra = await w.register(ids[0]!, a, "waitlisted");
    await w.register(ids[0]!, b, "withdrawn");
    const mine = await w.t.request(`/v1/trainings/${ids[0]}`, { as: a });
    // The same position as the registration's: a's institution has its own quota, so a waits only
    // behind people of that pool (the basic-level handler ahead waits for another quota).
    expect(mine.body.myRegistration).toMatchObject({ status: { code: "waitlisted" }, waitlistPosition: 1 });
    expect((await w.t.request(`/v1/registrations/${ra}`, { as: a })).body.position).toBe(1);
    expect((await w.t.request(`/v1/trainings/${ids[0]}`, { as: b })).body.myRegistration.status.code).toBe(
      "withdrawn",
    );
  });
});

describe("refusals and sync", () => {
  it("training and attendance refusals carry a bilingual label", async () => {
    const w = await world();
    const tr = (await w.create()).body;
    const patch = await w.t.request(`/v1/trainings/${tr.id}`, {
      method: "PATCH",
      as: w.organiser,
      json: { closesAt: "2026-11-01T00:00:00+08:00" },
    });
    expectProblem(patch, 422, "window_invalid");
    expect(patch.body.label).toEqual({ zh: expect.any(String), en: expect.any(String) });
    const att = await w.t.request(`/v1/trainings/${tr.id}/sessions/${tr.sessions[0].id}/attendance`, {
      method: "POST",
      as: w.organiser,
      json: { entries: [{ registrationId: "x", attended: true }] },
    });
    expectProblem(att, 409, "not_published");
    expect(att.body.label.en).toBe("The training is not published");
  });

  it("updatedSince accepts an offset and compares as an instant (a whole second, +08:00)", async () => {
    const w = await world();
    w.t.clock.advance(500); // updated at 02:00:00.500Z
    const tr = (await w.create()).body;
    for (const since of ["2026-09-01T02:00:00Z", "2026-09-01T10:00:00+08:00"]) {
      const res = await w.t.request(`/v1/trainings?updatedSince=${encodeURIComponent(since)}`, {
        as: w.organiser,
      });
      expect(res.status).toBe(200);
      expect(res.body.items.map((i: any) => i.id)).toEqual([tr.id]);
    }
    const later = await w.t.request(
      `/v1/trainings?updatedSince=${encodeURIComponent("2026-09-01T10:00:01+08:00")}`,
      {
        as: w.organiser,
      },
    );
    expect(later.body.items).toEqual([]);
  });
});

describe("reminders", () => {
  it("3 and 1 days before each session, once each, to confirmed registrants only", async () => {
    const w = await world();
    const tr = (await w.create()).body;
    await w.t.request(`/v1/trainings/${tr.id}/publish`, { method: "POST", as: w.organiser });
    const me = w.basic.user("proc", "handler");
    await w.register(tr.id, me);
    await w.register(tr.id, w.city.user("proc", "handler"), "waitlisted");
    await w.register(tr.id, w.city.user("proc", "leader"), "withdrawn");
    const run = (day: string) =>
      runReminders(w.t.deps, new Date(`${day}T08:00:00+08:00`), [trainingReminders]);
    const notices = () =>
      w.t.deps.db.all<{ user_id: string; subject_id: string; text_zh: string }>(
        sql`select user_id, subject_id, text_zh from notifications where kind = 'training.reminder'
          order by created_at, text_zh`,
      );
    // Sessions on 10-20 09:00 and 10-21 14:00 (China time).
    expect(await run("2026-10-16")).toEqual({ training: 0 });
    expect(await run("2026-10-17")).toEqual({ training: 1 }); // 3 days before the first session
    expect(await run("2026-10-17")).toEqual({ training: 0 });
    expect(await run("2026-10-18")).toEqual({ training: 1 }); // 3 days before the second
    expect(await run("2026-10-19")).toEqual({ training: 1 }); // 1 day before the first
    expect(await run("2026-10-20")).toEqual({ training: 1 }); // 1 day before the second
    expect(await run("2026-10-21")).toEqual({ training: 0 });
    const all = await notices();
    expect(all).toHaveLength(4);
    expect(all.every((n) => n.user_id === me.id && n.subject_id === tr.id)).toBe(true);
    expect(all[0]!.text_zh).toBe(
      "培训「刑事审判实务培训」将于2026-10-20 09:00在市中院第一培训室举行,还有3天。",
    );
    // The daily job runs every source (meetings and trainings).
    expect(REMINDER_SOURCES).toContain(trainingReminders);
  });
});

describe("the calendar feed", () => {
  it("shows the sessions of my registrations (confirmed, tentative when offered or pending) and of trainings I created", async () => {
    const w = await world();
    const tr = (await w.create()).body;
    await w.t.request(`/v1/trainings/${tr.id}/publish`, { method: "POST", as: w.organiser });
    const other = (await w.create({ title: "另一培训" })).body;
    await w.t.request(`/v1/trainings/${other.id}/publish`, { method: "POST", as: w.organiser });
    const me = w.basic.user("proc", "handler");
    await w.register(tr.id, me);
    await w.register(other.id, me, "offered");
    const waiting = w.city.user("proc", "handler");
    await w.register(tr.id, waiting, "waitlisted");
    const feedOf = async (as: { id: string }) => {
      const res = await w.t.request("/v1/calendar-feeds", {
        method: "POST",
        as,
        headers: { "idempotency-key": key() },
        json: { label: "手机" },
      });
      const ics = await w.t.request(`/v1/calendar-feeds/${res.body.token}/calendar.ics`);
      expect(ics.status).toBe(200);
      const cal = new ICAL.Component(ICAL.parse(ics.body));
      return new Map(
        cal.getAllSubcomponents("vevent").map((v) => [String(v.getFirstPropertyValue("uid")), v] as const),
      );
    };
    const mine = await feedOf(me);
    const uid = (sid: string) => `training-session-${sid}@fajian-xietong`;
    expect([...mine.keys()].sort()).toEqual(
      [...tr.sessions, ...other.sessions].map((s: any) => uid(s.id)).sort(),
    );
    const first = mine.get(uid(tr.sessions[0].id))!;
    expect(first.getFirstPropertyValue("summary")).toBe("刑事审判实务培训(1/2)");
    expect(first.getFirstPropertyValue("status")).toBe("CONFIRMED");
    expect(first.getFirstPropertyValue("location")).toBe("市中院第一培训室");
    expect(
      first
        .getAllSubcomponents("valarm")
        .map((a) => (a.getFirstPropertyValue("trigger") as ICAL.Duration).toSeconds())
        .sort((a, b) => a - b),
    ).toEqual([-259200, -86400]);
    expect(mine.get(uid(other.sessions[0].id))!.getFirstPropertyValue("status")).toBe("TENTATIVE");
    // A waiting list is not a seat: nothing in the calendar; the organiser's creator sees all sessions.
    expect((await feedOf(waiting)).size).toBe(0);
    expect((await feedOf(w.organiser)).size).toBe(4);
    // Cancelled: still in the feed, as CANCELLED, so calendar apps remove it.
    await w.t.request(`/v1/trainings/${tr.id}/cancel`, {
      method: "POST",
      as: w.organiser,
      json: { reason: "调整" },
    });
    const after = await feedOf(me);
    expect(after.get(uid(tr.sessions[0].id))!.getFirstPropertyValue("status")).toBe("CANCELLED");
  });
});
