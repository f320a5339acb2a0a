// Training registration through the HTTP API: seats, quotas, the waiting list and its offers,
// withdrawal, approval, answers, group registration, tenancy.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import { answerErrors, answersValidSql, parseQuestions } from "../src/trainings/answers";
import { expectProblem, setup, type TestApp } from "./helpers";
import { bulkUsers, key, QUESTIONS, registerAs, statuses, training } from "./registration-fixtures";

let t: TestApp;
let pair: Awaited<ReturnType<TestApp["pair"]>>;
const clock = fixedClock("2026-09-01T02:00:00Z");

beforeAll(async () => {
  t = await setup({ clock });
  pair = await t.pair();
});

const ok = { diet: "普通" };

describe("POST /v1/trainings/{id}/registrations", () => {
  it("confirms while seats are free, then waitlists, in arrival order", async () => {
    const id = await training(t, pair, { capacity: 2 });
    const people = await bulkUsers(t, pair.procuratorate.id, 3);
    const res = [];
    for (const p of people) res.push(await registerAs(t, id, p));
    expect(res.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(res.map((r) => r.body.status.code)).toEqual(["confirmed", "confirmed", "waitlisted"]);
    expect(res[2]!.body).toMatchObject({ seq: 3, position: 1, offer: null });
    expect(res[2]!.body.status.label).toEqual({ zh: "候补", en: "On the waiting list" });
    expect(res[0]!.body.timeline.map((e: any) => e.type)).toEqual(["registered"]);
    expect(res[2]!.body.timeline.map((e: any) => e.type)).toEqual(["waitlisted"]);
  });

  it("answers a retry with the same Idempotency-Key with the first result (200), a new key with already_registered", async () => {
    const id = await training(t, pair);
    const [p] = await bulkUsers(t, pair.procuratorate.id, 1);
    const k = key();
    const first = await registerAs(t, id, p!, {}, k);
    expect(first.status).toBe(201);
    const again = await registerAs(t, id, p!, {}, k);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const dup = await registerAs(t, id, p!);
    expectProblem(dup, 409, "already_registered");
    expect(dup.body.label.zh).toBe("已报名");
    expect((await statuses(t, id)).length).toBe(1);
  });

  it("refuses outside the window (registration_closed) and before publication (not_published), changing nothing", async () => {
    const [p] = await bulkUsers(t, pair.procuratorate.id, 1);
    const early = await training(t, pair, { opensAt: "2026-09-02T00:00:00Z" });
    expectProblem(await registerAs(t, early, p!), 409, "registration_closed");
    const late = await training(t, pair, { closesAt: "2026-09-01T01:00:00Z" });
    expectProblem(await registerAs(t, late, p!), 409, "registration_closed");
    const draft = await training(t, pair, { status: "planning" });
    // A draft is its organisers' only: to an invited institution it does not exist (404).
    expectProblem(await registerAs(t, draft, p!), 404);
    expectProblem(await registerAs(t, draft, pair.user("court", "handler")), 409, "not_published");
    for (const id of [early, late, draft]) expect(await statuses(t, id)).toEqual([]);
  });

  it("is 404 for a user whose institution is not invited", async () => {
    const id = await training(t, pair);
    const other = await t.pair();
    const res = await registerAs(t, id, other.user("court", "handler"));
    expectProblem(res, 404);
    expect(await statuses(t, id)).toEqual([]);
    expectProblem(
      await t.request(`/v1/trainings/${id}/registrations`, { as: other.user("court", "leader") }),
      404,
    );
  });

  it("refuses answers that break their questions with per-field errors (400), changing nothing", async () => {
    const id = await training(t, pair, { questions: QUESTIONS });
    const [p] = await bulkUsers(t, pair.procuratorate.id, 1);
    const res = await registerAs(t, id, p!, {
      topics: ["刑事", "刑法"],
      note: "十一个字的备注啊啊啊啊",
      room: "yes",
      x: "1",
    });
    expectProblem(res, 400, "validation_failed");
    const byPath = Object.fromEntries(res.body.errors.map((e: any) => [e.path, e.code]));
    expect(byPath).toEqual({
      "answers.diet": "required",
      "answers.topics": "not_an_option",
      "answers.note": "too_long",
      "answers.room": "wrong_type",
      "answers.x": "unknown_question",
    });
    const shapes = await registerAs(t, id, p!, { diet: "普通", note: 5, x: 5, y: { a: 1 } });
    expectProblem(shapes, 400, "validation_failed");
    expect(Object.fromEntries(shapes.body.errors.map((e: any) => [e.path, e.code]))).toEqual({
      "answers.note": "wrong_type",
      "answers.x": "unknown_question",
      "answers.y": "unknown_question",
    });
    const single = await registerAs(t, id, p!, { diet: ["普通", "清真"] });
    expect(single.body.errors).toEqual([
      expect.objectContaining({ path: "answers.diet", code: "single_choice_only" }),
    ]);
    expect(await statuses(t, id)).toEqual([]);
    // A NUL cannot hide a text's length from the guard, nor pass for no answer.
    const nul = await registerAs(t, id, p!, { diet: "普通", note: `\u0000${"x".repeat(4000)}` });
    expectProblem(nul, 400, "validation_failed");
    expect(nul.body.errors).toEqual([
      expect.objectContaining({ path: "answers.note", code: "control_character" }),
    ]);
    const strict = await training(t, pair, {
      questions: [
        { id: "why", type: "text", label: { zh: "理由", en: "Why" }, required: true, maxLength: 5 },
      ],
    });
    const hidden = await registerAs(t, strict, p!, { why: "\u0000abc" });
    expectProblem(hidden, 400, "validation_failed");
    expect(hidden.body.errors).toEqual([
      expect.objectContaining({ path: "answers.why", code: "control_character" }),
    ]);
    expect(await statuses(t, id)).toEqual([]);
    expect(await statuses(t, strict)).toEqual([]);
    const good = await registerAs(t, id, p!, {
      diet: "清真",
      topics: ["民事"],
      note: "十个字的备注啊啊啊",
      room: true,
    });
    expect(good.status).toBe(201);
    expect(good.body.answers).toEqual({
      diet: "清真",
      topics: ["民事"],
      note: "十个字的备注啊啊啊",
      room: true,
    });
  });
});

describe("answers: the SQL guard and the zod schema agree", () => {
  const cases: Record<string, unknown>[] = [
    {},
    { diet: "普通" },
    { diet: "" },
    { diet: null },
    { diet: "素" },
    { diet: ["普通"] },
    { diet: "普通", topics: [] },
    { diet: "普通", topics: ["刑事", "刑事"] },
    { diet: "普通", topics: ["刑事", "行政"] },
    { diet: "普通", topics: "刑事" },
    { diet: "普通", topics: [1] },
    { diet: "普通", note: "" },
    { diet: "普通", note: "1234567890" },
    { diet: "普通", note: "12345678901" },
    { diet: "普通", note: "😀😀😀😀😀😀😀😀😀😀" },
    { diet: "普通", note: 5 },
    { diet: "普通", note: `\u0000${"x".repeat(40)}` },
    { diet: "普通", note: "\u0000abc" },
    { diet: "普通", note: "\u0000" },
    { diet: "普通", note: "a\u0007b" },
    { diet: "普通", note: "a\rb" },
    { diet: "普通", note: "a\u007fb" },
    { diet: "普通", note: "a\tb\nc" },
    { diet: "普通", room: false },
    { diet: "普通", room: "no" },
    { diet: "普通", other: "x" },
  ];
  it.each(cases)("%j", async (answers) => {
    const [row] = await t.deps.db.all<{ ok: number }>(
      sql`select ${answersValidSql(sql`${JSON.stringify(QUESTIONS)}`, JSON.stringify(answers))} as ok`,
    );
    expect(!!row!.ok).toBe(answerErrors(parseQuestions(QUESTIONS), answers).length === 0);
  });
});

describe("quotas", () => {
  it("gives an institution no more seats than its quota; the others still get theirs", async () => {
    const a = await t.pair();
    const id = await training(t, pair, {
      capacity: 30,
      quotas: { [pair.procuratorate.id]: 3, [a.court.id]: null },
    });
    const procs = await bulkUsers(t, pair.procuratorate.id, 5);
    for (const p of procs) await registerAs(t, id, p);
    const others = await bulkUsers(t, a.court.id, 2);
    for (const p of others) await registerAs(t, id, p);
    const rows = await statuses(t, id);
    expect(rows.map((r) => r.status)).toEqual([
      "confirmed",
      "confirmed",
      "confirmed",
      "waitlisted",
      "waitlisted",
      "confirmed",
      "confirmed",
    ]);
    const fifth = await t.request(`/v1/me/registrations`, { as: procs[4]! });
    expect(fifth.body.items[0]).toMatchObject({ position: 2, seq: 5 });
  });
});

describe("withdrawal and offers", () => {
  it("withdrawal frees the seat and offers it to the next person; after the deadline it is modification_closed", async () => {
    const id = await training(t, pair, { capacity: 1, modifyUntil: "2026-09-03T00:00:00Z" });
    const [a, b, c] = await bulkUsers(t, pair.procuratorate.id, 3);
    const ra = await registerAs(t, id, a!);
    const rb = await registerAs(t, id, b!);
    await registerAs(t, id, c!);
    clock.set("2026-09-01T02:00:01Z");
    const w = await t.request(`/v1/registrations/${ra.body.id}/withdraw`, { method: "POST", as: a! });
    expect(w.status).toBe(200);
    expect(w.body.status.code).toBe("withdrawn");
    const offered = await t.request(`/v1/registrations/${rb.body.id}`, { as: b! });
    expect(offered.body.status.code).toBe("offered");
    expect(offered.body.offer).toEqual({
      offeredAt: "2026-09-01T02:00:01.000Z",
      expiresAt: "2026-09-03T02:00:01.000Z",
    });
    expect(offered.body.timeline.map((e: any) => e.type)).toEqual(["waitlisted", "offered"]);
    const notes = await t.deps.db.all<{ kind: string; zh: string; en: string }>(
      sql`select kind, text_zh as zh, text_en as en from notifications where user_id = ${b!.id}`,
    );
    expect(notes.map((n) => n.kind)).toEqual(["registration.offered"]);
    // The deadline in China time, as people read it.
    expect(notes[0]!.zh).toContain("请在 2026-09-03 10:00 前确认");
    expect(notes[0]!.en).toContain("before 2026-09-03 10:00 (China time)");
    // Accepting takes the seat.
    const acc = await t.request(`/v1/registrations/${rb.body.id}/accept-offer`, { method: "POST", as: b! });
    expect(acc.body.status.code).toBe("confirmed");
    // After the deadline, a withdrawal is refused and changes nothing.
    clock.set("2026-09-03T00:00:00Z");
    try {
      const late = await t.request(`/v1/registrations/${rb.body.id}/withdraw`, { method: "POST", as: b! });
      expectProblem(late, 409, "modification_closed");
      expect((await statuses(t, id)).map((r) => r.status)).toEqual(["withdrawn", "confirmed", "waitlisted"]);
    } finally {
      clock.set("2026-09-01T02:00:00Z");
    }
  });

  it("an expired offer passes down the list (cron `offers`), exactly once even when runs overlap", async () => {
    const id = await training(t, pair, { capacity: 1, offerHours: 24 });
    const people = await bulkUsers(t, pair.procuratorate.id, 4);
    const regs = [];
    for (const p of people) regs.push((await registerAs(t, id, p)).body.id as string);
    await t.request(`/v1/registrations/${regs[0]}/withdraw`, { method: "POST", as: people[0]! });
    expect((await statuses(t, id)).map((r) => r.status)).toEqual([
      "withdrawn",
      "offered",
      "waitlisted",
      "waitlisted",
    ]);
    const start = Date.parse("2026-09-01T02:00:00Z");
    try {
      // Not yet due: nothing changes.
      clock.set(new Date(start + 23 * 3600_000));
      await runJob(t.deps, "offers", new Date(start + 23 * 3600_000));
      expect((await statuses(t, id)).map((r) => r.status)).toEqual([
        "withdrawn",
        "offered",
        "waitlisted",
        "waitlisted",
      ]);
      // Past expiry: two overlapping runs (different scheduled times) expire it once and offer once.
      clock.set(new Date(start + 25 * 3600_000));
      const [r1, r2] = await Promise.all([
        runJob(t.deps, "offers", new Date(start + 24.75 * 3600_000)),
        runJob(t.deps, "offers", new Date(start + 25 * 3600_000)),
      ]);
      expect([r1.status, r2.status]).toEqual(["ok", "ok"]);
      expect((await statuses(t, id)).map((r) => r.status)).toEqual([
        "withdrawn",
        "expired",
        "offered",
        "waitlisted",
      ]);
      const late = await t.request(`/v1/registrations/${regs[1]}/accept-offer`, {
        method: "POST",
        as: people[1]!,
      });
      expectProblem(late, 409, "not_live");
      // The next offer also lapses: it cascades to the fourth.
      clock.set(new Date(start + 50 * 3600_000));
      await runJob(t.deps, "offers", new Date(start + 50 * 3600_000));
      expect((await statuses(t, id)).map((r) => r.status)).toEqual([
        "withdrawn",
        "expired",
        "expired",
        "offered",
      ]);
      // A repeat of a run changes nothing more.
      await runJob(t.deps, "offers", new Date(start + 50.25 * 3600_000));
      expect((await statuses(t, id)).map((r) => r.status)).toEqual([
        "withdrawn",
        "expired",
        "expired",
        "offered",
      ]);
      const events = await t.deps.db.all<{ type: string; n: number }>(sql`select type, count(*) as n
        from subject_events where subject_type = 'registration' and subject_id in
          (select id from registrations where training_id = ${id}) and type like 'offer%' group by type order by type`);
      expect(events).toEqual([
        { type: "offer_expired", n: 2 },
        { type: "offered", n: 3 },
      ]);
      const expiredNotes = await t.deps.db.all<{ n: number }>(sql`select count(*) as n from notifications
        where kind = 'registration.offer_expired' and subject_id in (${regs[1]!}, ${regs[2]!})`);
      expect(expiredNotes[0]!.n).toBe(2);
      // An offer past its expiry cannot be accepted even before the cron runs.
      clock.set(new Date(start + 75 * 3600_000));
      const tooLate = await t.request(`/v1/registrations/${regs[3]}/accept-offer`, {
        method: "POST",
        as: people[3]!,
      });
      expectProblem(tooLate, 409, "offer_expired");
    } finally {
      clock.set(new Date(start));
    }
  });

  it("with approval required: pending holds a seat; reject (organiser) frees it; an accepted offer awaits approval", async () => {
    const id = await training(t, pair, { capacity: 1, approval: true });
    const [a, b] = await bulkUsers(t, pair.procuratorate.id, 2);
    const ra = await registerAs(t, id, a!);
    expect(ra.body.status.code).toBe("pending");
    const rb = await registerAs(t, id, b!);
    expect(rb.body.status.code).toBe("waitlisted");
    const coordinator = pair.user("court", "coordinator");
    const notes = await t.deps.db.all<{ n: number }>(sql`select count(*) as n from notifications
      where user_id = ${coordinator.id} and kind = 'registration.pending'`);
    expect(notes[0]!.n).toBeGreaterThanOrEqual(1);
    expectProblem(
      await t.request(`/v1/registrations/${ra.body.id}/reject`, {
        method: "POST",
        as: a!,
        json: { reason: "x" },
      }),
      403,
    );
    const rej = await t.request(`/v1/registrations/${ra.body.id}/reject`, {
      method: "POST",
      as: coordinator,
      json: { reason: "名额有限" },
    });
    expect(rej.status).toBe(200);
    expect(rej.body).toMatchObject({ status: { code: "rejected" }, decisionNote: "名额有限" });
    const acc = await t.request(`/v1/registrations/${rb.body.id}/accept-offer`, { method: "POST", as: b! });
    expect(acc.body.status.code).toBe("pending");
    const app = await t.request(`/v1/registrations/${rb.body.id}/approve`, {
      method: "POST",
      as: coordinator,
    });
    expect(app.body.status.code).toBe("confirmed");
    expectProblem(
      await t.request(`/v1/registrations/${rb.body.id}/approve`, { method: "POST", as: coordinator }),
      409,
      "not_pending",
    );
  });
});

describe("POST /v1/trainings/{id}/registrations/group", () => {
  it("registers a department's members in list order, all or nothing", async () => {
    const head = pair.user("proc", "department_head");
    const id = await training(t, pair, { capacity: 3, questions: QUESTIONS });
    const members = await bulkUsers(t, pair.procuratorate.id, 4, head.departmentId);
    const [outsider] = await bulkUsers(t, pair.procuratorate.id, 1);
    const group = (ms: { userId: string; answers: unknown }[], k = key()) =>
      t.request(`/v1/trainings/${id}/registrations/group`, {
        method: "POST",
        as: head,
        json: { members: ms },
        headers: { "idempotency-key": k },
      });
    const bad = await group([
      { userId: members[0]!.id, answers: ok },
      { userId: outsider!.id, answers: ok },
      { userId: members[1]!.id, answers: { diet: "素" } },
    ]);
    expectProblem(bad, 400, "group_refused");
    expect(bad.body.errors.map((e: any) => [e.path, e.code])).toEqual([
      ["members.1.userId", "not_in_department"],
      ["members.2.answers.diet", "not_an_option"],
    ]);
    expect(await statuses(t, id)).toEqual([]);
    const k = key();
    const good = await group(
      members.map((m) => ({ userId: m.id, answers: ok })),
      k,
    );
    expect(good.status).toBe(201);
    expect(good.body.registrations.map((r: any) => [r.user.id, r.status.code])).toEqual([
      [members[0]!.id, "confirmed"],
      [members[1]!.id, "confirmed"],
      [members[2]!.id, "confirmed"],
      [members[3]!.id, "waitlisted"],
    ]);
    const retry = await group(
      members.map((m) => ({ userId: m.id, answers: ok })),
      k,
    );
    expect(retry.status).toBe(200);
    const again = await group([{ userId: members[0]!.id, answers: ok }]);
    expectProblem(again, 409, "already_registered");
    expect((await statuses(t, id)).length).toBe(4);
    // Only a department head registers a group.
    expectProblem(
      await t.request(`/v1/trainings/${id}/registrations/group`, {
        method: "POST",
        as: members[0]!,
        json: { members: [{ userId: members[0]!.id, answers: ok }] },
        headers: { "idempotency-key": key() },
      }),
      403,
    );
  });
});

describe("GET lists", () => {
  it("organisers see all; an invited institution's head its own; a person their own", async () => {
    const id = await training(t, pair, { capacity: 5 });
    const people = await bulkUsers(t, pair.procuratorate.id, 3);
    for (const p of people) await registerAs(t, id, p);
    const org = await t.request(`/v1/trainings/${id}/registrations?limit=2`, {
      as: pair.user("court", "coordinator"),
    });
    expect(org.status).toBe(200);
    expect(org.body.items.map((r: any) => r.seq)).toEqual([1, 2]);
    const next = await t.request(`/v1/trainings/${id}/registrations?limit=2&cursor=${org.body.nextCursor}`, {
      as: pair.user("court", "coordinator"),
    });
    expect(next.body.items.map((r: any) => r.seq)).toEqual([3]);
    const head = await t.request(`/v1/trainings/${id}/registrations`, {
      as: pair.user("proc", "department_head"),
    });
    expect(head.body.items).toHaveLength(3);
    const own = await t.request(`/v1/trainings/${id}/registrations?status=confirmed`, { as: people[1]! });
    expect(own.body.items.map((r: any) => r.user.id)).toEqual([people[1]!.id]);
  });
});

describe("list queries", () => {
  it("updatedSince with an offset compares as an instant, on a training's list and on mine", async () => {
    const id = await training(t, pair);
    const [p] = await bulkUsers(t, pair.procuratorate.id, 1);
    await registerAs(t, id, p!);
    // Registered at 2026-09-01T02:00:00.000Z = 10:00 China time.
    const count = async (path: string, since: string, as: { id: string }) => {
      const r = await t.request(`${path}?updatedSince=${encodeURIComponent(since)}`, { as });
      expect(r.status).toBe(200);
      return r.body.items.length;
    };
    for (const [path, as] of [
      [`/v1/trainings/${id}/registrations`, pair.user("court", "coordinator")],
      ["/v1/me/registrations", p!],
    ] as const) {
      expect(await count(path, "2026-09-01T01:59:59Z", as)).toBe(1);
      expect(await count(path, "2026-09-01T09:59:59+08:00", as)).toBe(1);
      expect(await count(path, "2026-09-01T10:00:00+08:00", as)).toBe(0);
    }
  });

  it("a crafted cursor is 400 validation_failed on `cursor`, never a 500", async () => {
    const id = await training(t, pair);
    const enc = (x: unknown) => btoa(JSON.stringify(x)).replace(/=+$/, "");
    for (const cursor of [enc(["abc", "x"]), enc(["1e400", "x"]), enc([1, "x"]), "%%%"]) {
      for (const path of [`/v1/trainings/${id}/registrations`, "/v1/me/registrations"]) {
        const r = await t.request(`${path}?cursor=${encodeURIComponent(cursor)}`, {
          as: pair.user("court", "coordinator"),
        });
        expectProblem(r, 400, "validation_failed");
        expect(r.body.errors[0].path).toBe("cursor");
      }
    }
  });
});

describe("who reads what", () => {
  it("a training in planning is 404 to an invited institution on its list; its organisers list it", async () => {
    const draft = await training(t, pair, { status: "planning" });
    expectProblem(
      await t.request(`/v1/trainings/${draft}/registrations`, { as: pair.user("proc", "department_head") }),
      404,
    );
    const org = await t.request(`/v1/trainings/${draft}/registrations`, {
      as: pair.user("court", "coordinator"),
    });
    expect(org.status).toBe(200);
  });

  it("a registration is read by the person, the organisers and the institution's heads; a colleague gets 404", async () => {
    const id = await training(t, pair);
    const [p, colleague] = await bulkUsers(t, pair.procuratorate.id, 2);
    const reg = (await registerAs(t, id, p!)).body;
    const read = (as: { id: string }) => t.request(`/v1/registrations/${reg.id}`, { as });
    for (const who of [p!, pair.user("court", "coordinator"), pair.user("proc", "department_head")])
      expect((await read(who)).status).toBe(200);
    expectProblem(await read(colleague!), 404);
    expectProblem(await read(pair.user("proc", "handler")), 404);
    expectProblem(
      await t.request(`/v1/registrations/${reg.id}/withdraw`, { method: "POST", as: colleague! }),
      404,
    );
  });
});

describe("a cancelled training", () => {
  it("refuses every registration change with training_cancelled (withdrawal stays allowed) and makes no offers", async () => {
    const coordinator = pair.user("court", "coordinator");
    const cancel = async (id: string) =>
      expect(
        (
          await t.request(`/v1/trainings/${id}/cancel`, {
            method: "POST",
            as: coordinator,
            json: { reason: "场地变更" },
          })
        ).status,
      ).toBe(200);
    const post = (id: string, action: string, as: { id: string }, json?: object) =>
      t.request(`/v1/registrations/${id}/${action}`, { method: "POST", as, json });
    const id = await training(t, pair, { capacity: 1 });
    const [a, b, c, d] = await bulkUsers(t, pair.procuratorate.id, 4);
    const ra = (await registerAs(t, id, a!)).body;
    const rb = (await registerAs(t, id, b!)).body;
    const rc = (await registerAs(t, id, c!)).body;
    expect((await post(ra.id, "withdraw", a!)).status).toBe(200);
    expect((await t.request(`/v1/registrations/${rb.id}`, { as: b! })).body.status.code).toBe("offered");
    await cancel(id);
    expectProblem(await post(rb.id, "accept-offer", b!), 409, "training_cancelled");
    expectProblem(await post(rb.id, "decline-offer", b!), 409, "training_cancelled");
    expectProblem(await registerAs(t, id, d!), 409, "training_cancelled");
    expect((await post(rc.id, "withdraw", c!)).status).toBe(200);
    expect((await statuses(t, id)).map((r) => r.status)).toEqual(["withdrawn", "offered", "withdrawn"]);
    t.clock.set(new Date(t.clock.now().getTime() + 49 * 3_600_000));
    try {
      await runJob(t.deps, "offers", t.clock.now());
    } finally {
      t.clock.set(new Date("2026-09-01T02:00:00Z"));
    }
    expect((await statuses(t, id)).map((r) => r.status)).toEqual(["withdrawn", "expired", "withdrawn"]);

    const approval = await training(t, pair, { approval: true });
    const re = (await registerAs(t, approval, d!)).body;
    expect(re.status.code).toBe("pending");
    await cancel(approval);
    expectProblem(await post(re.id, "approve", coordinator), 409, "training_cancelled");
    expectProblem(await post(re.id, "reject", coordinator, { reason: "x" }), 409, "training_cancelled");
    expect((await statuses(t, approval)).map((r) => r.status)).toEqual(["pending"]);
  });
});

describe("Idempotency-Key reused for another request", () => {
  it("a group with a used key on another training or with other members writes nothing (409)", async () => {
    const head = pair.user("proc", "department_head");
    const [m1, m2] = await bulkUsers(t, pair.procuratorate.id, 2, head.departmentId);
    const t1 = await training(t, pair);
    const t2 = await training(t, pair);
    const k = key();
    const group = (id: string, ms: { id: string }[]) =>
      t.request(`/v1/trainings/${id}/registrations/group`, {
        method: "POST",
        as: head,
        json: { members: ms.map((m) => ({ userId: m.id, answers: {} })) },
        headers: { "idempotency-key": k },
      });
    expect((await group(t1, [m1!])).status).toBe(201);
    expect((await group(t1, [m1!])).status).toBe(200);
    expectProblem(await group(t2, [m2!]), 409, "idempotency_key_reused");
    expectProblem(await group(t1, [m1!, m2!]), 409, "idempotency_key_reused");
    expect(await statuses(t, t2)).toEqual([]);
    expect((await statuses(t, t1)).map((r) => r.user_id)).toEqual([m1!.id]);
    const written = await t.deps.db.all<{ n: number }>(sql`select
      (select count(*) from notifications where user_id = ${m2!.id})
      + (select count(*) from subject_events e join registrations r on r.id = e.subject_id
          where r.user_id = ${m2!.id}) as n`);
    expect(written[0]!.n).toBe(0);
    // The head's own registration with the same key is another request too.
    expectProblem(await registerAs(t, t2, head, {}, k), 409, "idempotency_key_reused");
    expect(await statuses(t, t2)).toEqual([]);
  });

  it("a registration retried with other answers is idempotency_key_reused, changing nothing", async () => {
    const id = await training(t, pair, { questions: QUESTIONS });
    const [p] = await bulkUsers(t, pair.procuratorate.id, 1);
    const k = key();
    expect((await registerAs(t, id, p!, ok, k)).status).toBe(201);
    expect((await registerAs(t, id, p!, ok, k)).status).toBe(200);
    expectProblem(await registerAs(t, id, p!, { diet: "清真" }, k), 409, "idempotency_key_reused");
    const other = await training(t, pair, { questions: QUESTIONS });
    expectProblem(await registerAs(t, other, p!, ok, k), 409, "idempotency_key_reused");
    expect(await statuses(t, other)).toEqual([]);
  });
});

describe("offers stop when the training begins", () => {
  it("a seat freed after the first session has started is not offered, by the change or the cron", async () => {
    const session = (id: string, startsAt: string, position: number) =>
      t.deps.db.run(sql`insert into training_sessions (id, training_id, jurisdiction_id, position, starts_at,
          ends_at, checkin_secret, created_at, updated_at)
        select ${t.deps.ids()}, t.id, t.jurisdiction_id, ${position}, ${startsAt}, ${startsAt}, 'secret',
          t.created_at, t.created_at from trainings t where t.id = ${id}`);
    const run = async (startsAt: string) => {
      const id = await training(t, pair, { capacity: 1 });
      await session(id, startsAt, 1);
      await session(id, "2026-09-20T09:00:00+08:00", 2);
      const [a, b] = await bulkUsers(t, pair.procuratorate.id, 2);
      const ra = (await registerAs(t, id, a!)).body;
      await registerAs(t, id, b!);
      expect(
        (await t.request(`/v1/registrations/${ra.id}/withdraw`, { method: "POST", as: a! })).status,
      ).toBe(200);
      await runJob(t.deps, "offers", t.clock.now());
      return (await statuses(t, id)).map((r) => r.status);
    };
    // Now is 2026-09-01T10:00+08:00.
    expect(await run("2026-09-01T10:00:01+08:00")).toEqual(["withdrawn", "offered"]);
    expect(await run("2026-09-01T10:00:00+08:00")).toEqual(["withdrawn", "waitlisted"]);
  });
});
