// Joint mediation of retried cases (共同调解) through the real app and libSQL: a protest received,
// replied with a retrial ruled, then a mediation opened by either side, participants each side adds
// of its own, sessions and the outcome — and the document's detail showing it; the refusals (no
// retrial, criminal protest, a second mediation, anything after the conclusion) changing nothing;
// outsiders (another pair, the level above) 404 everywhere; idempotent retries; sync lists.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;
let t: TestApp;
let city: Pair;
let p: Pair;
let other: Pair;
let n = 0;
const key = () => ({ "idempotency-key": `mediation-test-${++n}-${process.pid}` });

const post = (path: string, as: { id: string }, json: unknown, headers: Record<string, string> = {}) =>
  t.request(path, { method: "POST", as, json, headers });
const get = (path: string, as: { id: string }) => t.request(path, { as });

/** A supervision document sent by the procuratorate, received, assigned and replied by the court. */
async function replied(
  over: { type?: string; caseCategory?: string; retrialRuled?: boolean | null } = {},
  pair = p,
) {
  const sent = await post(
    "/v1/documents",
    pair.user("proc", "handler"),
    {
      type: over.type ?? "protest.civil",
      docNumber: `示检民监〔2026〕${++n}号`,
      caseNumbers: [`(2025)示01民终${1000 + n}号`],
      caseCategory: over.caseCategory ?? "civil",
      title: "关于张某与李某借款合同纠纷一案的抗诉书",
    },
    key(),
  );
  expect(sent.status).toBe(201);
  const id = sent.body.id as string;
  const reg = pair.user("court", "registrar");
  expect((await post(`/v1/documents/${id}/receive`, reg, { receivedOn: "2026-09-01" })).status).toBe(200);
  const assigned = await post(`/v1/documents/${id}/assign`, reg, {
    departmentId: pair.dept(pair.court.id, "民事审判第一庭").id,
    handlerId: pair.user("court", "handler").id,
  });
  expect(assigned.status).toBe(200);
  const reply: Record<string, unknown> = {
    content: "已裁定再审",
    decision: "adopted",
    repliedOn: "2026-09-01",
  };
  if (over.retrialRuled !== null) reply.retrialRuled = over.retrialRuled ?? true;
  const r = await post(`/v1/documents/${id}/reply`, pair.user("court", "handler"), reply);
  expect(r.status).toBe(200);
  return id;
}

const open = (documentId: string, as = p.user("proc", "coordinator"), body: object = {}, headers = key()) =>
  post("/v1/mediations", as, { documentId, ...body }, headers);

const session = (over: object = {}) => ({
  heldOn: "2026-09-01",
  place: "测试区人民法院第三调解室",
  attendees: [
    { name: "王法官", side: "court" },
    { name: "张某", side: "party" },
  ],
  ...over,
});

const notices = (subjectId: string, kind: string) =>
  t.deps.db.all<{ userId: string }>(
    sql`select user_id as userId from notifications where subject_id = ${subjectId} and kind = ${kind}`,
  );

beforeAll(async () => {
  t = await setup(); // 2026-09-01T02:00Z = 10:00 in China
  city = await t.pair({ level: "city" });
  p = await t.pair({ parentId: city.jurisdiction.id });
  other = await t.pair();
});

describe("a joint mediation of a retried case", () => {
  it("is opened on a protest whose reply ruled a retrial, gains both sides' people, sessions and an outcome; the document shows it", async () => {
    const docId = await replied();
    const opener = p.user("proc", "coordinator");
    const opened = await open(docId, opener, {
      participants: [p.user("proc", "handler").id],
      note: "当事人同意调解",
    });
    expect(opened.status).toBe(201);
    const id = opened.body.id;
    expect(opened.headers.get("location")).toBe(`/v1/mediations/${id}`);
    expect(opened.body).toMatchObject({
      status: { code: "open", label: { zh: "调解中", en: "In mediation" } },
      document: {
        id: docId,
        type: { code: "protest.civil", label: { zh: "民事抗诉书" } },
        href: `/v1/documents/${docId}`,
      },
      openedBy: { id: p.procuratorate.id, kind: { code: "procuratorate" } },
      outcome: null,
      sessions: [],
    });
    expect(opened.body.participants).toEqual([
      {
        user: { id: opener.id, name: opener.name },
        role: { code: "opener", label: { zh: "发起人", en: "Opened the mediation" } },
        institution: { id: p.procuratorate.id, name: p.procuratorate.name, kind: expect.anything() },
      },
      expect.objectContaining({ user: { id: p.user("proc", "handler").id, name: expect.any(String) } }),
    ]);
    expect(opened.body.timeline.map((e: any) => [e.type, e.note])).toEqual([["created", "当事人同意调解"]]);
    // The court's coordinator hears of it; nobody of the procuratorate does.
    expect((await notices(id, "mediation.opened")).map((r) => r.userId)).toEqual([
      p.user("court", "coordinator").id,
    ]);

    const courtHandler = p.user("court", "handler");
    const added = await post(`/v1/mediations/${id}/participants`, courtHandler, {
      userIds: [courtHandler.id, p.user("court", "department_head").id],
    });
    expect(added.status).toBe(200);
    expect(added.body.participants.map((x: any) => [x.user.id, x.institution.id, x.role.code])).toEqual([
      [opener.id, p.procuratorate.id, "opener"],
      [p.user("proc", "handler").id, p.procuratorate.id, "participant"],
      [courtHandler.id, p.court.id, "participant"],
      [p.user("court", "department_head").id, p.court.id, "participant"],
    ]);

    const s = await post(
      `/v1/mediations/${id}/sessions`,
      courtHandler,
      session({
        attendees: [
          { name: courtHandler.name, side: "court", userId: courtHandler.id },
          { name: "张某", side: "party" },
        ],
        note: "双方初步达成一致",
      }),
      key(),
    );
    expect(s.status).toBe(201);
    expect(s.body.sessions).toEqual([
      expect.objectContaining({
        heldOn: "2026-09-01",
        attendees: [
          {
            name: courtHandler.name,
            side: { code: "court", label: { zh: "法院", en: "Court" } },
            userId: courtHandler.id,
          },
          { name: "张某", side: { code: "party", label: { zh: "当事人", en: "Party" } }, userId: null },
        ],
        recordedBy: { id: courtHandler.id, name: courtHandler.name },
      }),
    ]);

    const shown = await get(`/v1/documents/${docId}`, p.user("court", "registrar"));
    expect(shown.body.mediation).toEqual({
      id,
      status: { code: "open", label: { zh: "调解中", en: "In mediation" } },
      outcome: null,
      outcomeOn: null,
      sessions: 1,
      href: `/v1/mediations/${id}`,
    });

    const done = await post(`/v1/mediations/${id}/outcome`, opener, {
      outcome: "agreement",
      outcomeOn: "2026-09-01",
      note: "法院出具调解书",
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: { code: "concluded" },
      outcome: { code: "agreement", label: { zh: "达成调解协议", en: "Mediated agreement" } },
      outcomeOn: "2026-09-01",
      outcomeNote: "法院出具调解书",
    });
    expect(done.body.timeline.map((e: any) => e.type)).toEqual([
      "created",
      "participants_added",
      "session_recorded",
      "concluded",
    ]);
    expect((await notices(id, "mediation.concluded")).map((r) => r.userId)).toEqual([
      p.user("court", "coordinator").id,
    ]);
    const after = await get(`/v1/documents/${docId}`, p.user("proc", "handler"));
    expect(after.body.mediation).toMatchObject({
      status: { code: "concluded" },
      outcome: { code: "agreement" },
      outcomeOn: "2026-09-01",
      sessions: 1,
    });
    const read = await get(`/v1/mediations/${id}`, p.user("court", "auditor"));
    expect(read.status).toBe(200);
    expect(read.body.timeline).toHaveLength(4);
    // The webhook outbox carries each step for both institutions.
    const outbox = await t.deps.db.all<{ type: string; orgIds: string }>(
      sql`select type, org_ids as orgIds from webhook_events where subject_id = ${id} order by created_at, id`,
    );
    expect(outbox.map((o) => o.type)).toEqual([
      "mediation.created",
      "mediation.participants_added",
      "mediation.session_recorded",
      "mediation.concluded",
    ]);
    expect(JSON.parse(outbox[0]!.orgIds).sort()).toEqual([p.court.id, p.procuratorate.id].sort());
  });

  it("is opened by the court as well (the side that ruled the retrial), on a retrial suggestion; the procuratorate is told", async () => {
    const docId = await replied({ type: "retrial_suggestion.civil" });
    const opened = await open(docId, p.user("court", "leader"));
    expect(opened.status).toBe(201);
    expect(opened.body.openedBy.id).toBe(p.court.id);
    expect((await notices(opened.body.id, "mediation.opened")).map((r) => r.userId)).toEqual([
      p.user("proc", "coordinator").id,
    ]);
    // A withdrawal needs no session.
    const w = await post(`/v1/mediations/${opened.body.id}/outcome`, p.user("proc", "handler"), {
      outcome: "withdrawn",
      outcomeOn: "2026-09-01",
    });
    expect(w.status).toBe(200);
    expect(w.body.outcome.code).toBe("withdrawn");
  });

  it("refuses a document whose reply ruled no retrial (409 not_retried), a procuratorial suggestion without one, and a criminal protest (409 not_mediable), writing nothing", async () => {
    const noRetrial = await replied({ retrialRuled: false });
    const r1 = await open(noRetrial);
    expectProblem(r1, 409, "not_retried");
    expect(r1.body.label.zh).toContain("裁定再审");
    const suggestion = await replied({ type: "suggestion.general", retrialRuled: null });
    expectProblem(await open(suggestion, p.user("court", "coordinator")), 409, "not_retried");
    const criminal = await replied({ type: "protest.criminal_retrial", caseCategory: "criminal" });
    const r2 = await open(criminal);
    expectProblem(r2, 409, "not_mediable");
    expect(r2.body.detail).toContain("Criminal");
    for (const d of [noRetrial, suggestion, criminal]) {
      const list = await get(`/v1/mediations?documentId=${d}`, p.user("proc", "coordinator"));
      expect(list.body.items).toEqual([]);
      expect((await get(`/v1/documents/${d}`, p.user("proc", "handler"))).body.mediation).toBeNull();
    }
    // A procuratorial suggestion whose reply did record a retrial is mediable.
    const retried = await replied({ type: "suggestion.general", retrialRuled: true });
    expect((await open(retried)).status).toBe(201);
  });

  it("allows one mediation per document: a second is 409 mediation_exists naming it; a retry with the same key is 200", async () => {
    const docId = await replied();
    const headers = key();
    const body = { participants: [p.user("proc", "handler").id] };
    const first = await open(docId, p.user("proc", "coordinator"), body, headers);
    expect(first.status).toBe(201);
    const again = await open(docId, p.user("proc", "coordinator"), body, headers);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.timeline.map((e: any) => e.type)).toEqual(["created"]);
    expectProblem(
      await open(docId, p.user("proc", "coordinator"), { participants: [] }, headers),
      409,
      "idempotency_key_reused",
    );
    const second = await open(docId, p.user("court", "coordinator"));
    expectProblem(second, 409, "mediation_exists");
    expect(second.body.mediationId).toBe(first.body.id);
    // Concurrent openings by both sides: exactly one mediation.
    const docB = await replied();
    const race = await Promise.all([
      open(docB, p.user("proc", "coordinator")),
      open(docB, p.user("court", "coordinator")),
      open(docB, p.user("court", "leader")),
    ]);
    expect(race.filter((r) => r.status === 201)).toHaveLength(1);
    expect(race.filter((r) => r.status === 409 && r.body.code === "mediation_exists")).toHaveLength(2);
    const rows = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from mediations where document_id = ${docB}`,
    );
    expect(rows[0]!.n).toBe(1);
    expect((await notices(race.find((r) => r.status === 201)!.body.id, "mediation.opened")).length).toBe(1);
  });

  it("records a session once under a retried Idempotency-Key, and 409s the key reused for another session", async () => {
    const id = (await open(await replied())).body.id;
    const headers = key();
    const as = p.user("court", "handler");
    const first = await post(`/v1/mediations/${id}/sessions`, as, session(), headers);
    const again = await post(`/v1/mediations/${id}/sessions`, as, session(), headers);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.sessions).toHaveLength(1);
    expectProblem(
      await post(`/v1/mediations/${id}/sessions`, as, session({ place: "别处" }), headers),
      409,
      "idempotency_key_reused",
    );
    const read = await get(`/v1/mediations/${id}`, as);
    expect(read.body.sessions).toHaveLength(1);
    expect(read.body.timeline.filter((e: any) => e.type === "session_recorded")).toHaveLength(1);
  });

  it("once concluded, refuses every change with 409 mediation_concluded and changes nothing", async () => {
    const id = (await open(await replied())).body.id;
    const as = p.user("court", "handler");
    expect((await post(`/v1/mediations/${id}/sessions`, as, session(), key())).status).toBe(201);
    expect(
      (await post(`/v1/mediations/${id}/outcome`, as, { outcome: "failed", outcomeOn: "2026-09-01" })).status,
    ).toBe(200);
    const before = await get(`/v1/mediations/${id}`, as);
    const noticesBefore = await t.deps.db.all(sql`select id from notifications where subject_id = ${id}`);
    t.clock.set(new Date("2026-09-01T03:00:00Z"));
    try {
      const tries = [
        await post(`/v1/mediations/${id}/sessions`, as, session(), key()),
        await post(`/v1/mediations/${id}/participants`, as, { userIds: [p.user("court", "leader").id] }),
        await post(`/v1/mediations/${id}/outcome`, as, { outcome: "agreement", outcomeOn: "2026-09-01" }),
        await post(`/v1/mediations/${id}/outcome`, p.user("proc", "coordinator"), {
          outcome: "failed",
          outcomeOn: "2026-09-01",
        }),
      ];
      for (const r of tries) {
        expectProblem(r, 409, "mediation_concluded");
        expect(r.body.label.en).toContain("concluded");
      }
    } finally {
      t.clock.set(new Date("2026-09-01T02:00:00Z"));
    }
    const after = await get(`/v1/mediations/${id}`, as);
    expect(after.body).toEqual(before.body);
    const noticesAfter = await t.deps.db.all(sql`select id from notifications where subject_id = ${id}`);
    expect(noticesAfter).toEqual(noticesBefore);
    const sessions = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from mediation_sessions where mediation_id = ${id}`,
    );
    expect(sessions[0]!.n).toBe(1);
  });
});

describe("who may do what", () => {
  it("refuses participants of the other side or unknown (400 per item), and adds nobody", async () => {
    const docId = await replied();
    const bad = await open(docId, p.user("proc", "coordinator"), {
      participants: [p.user("proc", "handler").id, p.user("court", "handler").id, "no-such-user"],
    });
    expectProblem(bad, 400, "validation_failed");
    expect(bad.body.errors.map((e: any) => [e.path, e.code])).toEqual([
      ["participants[1]", "not_your_user"],
      ["participants[2]", "not_your_user"],
    ]);
    expect(
      (await get(`/v1/mediations?documentId=${docId}`, p.user("proc", "coordinator"))).body.items,
    ).toEqual([]);

    const id = (await open(docId)).body.id;
    const add = await post(`/v1/mediations/${id}/participants`, p.user("proc", "handler"), {
      userIds: [p.user("proc", "leader").id, p.user("court", "leader").id],
    });
    expectProblem(add, 400, "validation_failed");
    expect(add.body.errors.map((e: any) => e.path)).toEqual(["userIds[1]"]);
    const read = await get(`/v1/mediations/${id}`, p.user("proc", "handler"));
    expect(read.body.participants).toHaveLength(1);
    expect(read.body.timeline.map((e: any) => e.type)).toEqual(["created"]);
    // Naming someone already there changes nothing and is no error.
    const same = await post(`/v1/mediations/${id}/participants`, p.user("proc", "handler"), {
      userIds: [p.user("proc", "coordinator").id],
    });
    expect(same.status).toBe(200);
    expect(same.body.timeline).toHaveLength(1);

    // An attendee naming a user must be a participant of that side.
    const s = await post(
      `/v1/mediations/${id}/sessions`,
      p.user("court", "handler"),
      session({
        attendees: [
          { name: "法官", side: "court", userId: p.user("court", "handler").id },
          { name: "检察官", side: "court", userId: p.user("proc", "coordinator").id },
        ],
      }),
      key(),
    );
    expectProblem(s, 400, "validation_failed");
    expect(s.body.errors.map((e: any) => [e.path, e.code])).toEqual([
      ["attendees[0].userId", "not_a_participant"],
      ["attendees[1].side", "side_mismatch"],
    ]);
    expect((await get(`/v1/mediations/${id}`, p.user("court", "handler"))).body.sessions).toEqual([]);
  });

  it("answers 404 on every route to another pair and to the level above, and 403 to a read-only role of the pair", async () => {
    const docId = await replied();
    const id = (await open(docId)).body.id;
    const outsiders = [
      other.user("proc", "coordinator"),
      other.user("court", "leader"),
      city.user("proc", "coordinator"),
      city.user("court", "coordinator"),
    ];
    for (const as of outsiders) {
      expectProblem(await get(`/v1/mediations/${id}`, as), 404);
      expectProblem(await open(docId, as), 404);
      expectProblem(await post(`/v1/mediations/${id}/participants`, as, { userIds: [as.id] }), 404);
      expectProblem(await post(`/v1/mediations/${id}/sessions`, as, session(), key()), 404);
      expectProblem(
        await post(`/v1/mediations/${id}/outcome`, as, { outcome: "judgment", outcomeOn: "2026-09-01" }),
        404,
      );
      const list = await get("/v1/mediations", as);
      expect(list.status).toBe(200);
      expect(list.body.items.map((m: any) => m.id)).not.toContain(id);
    }
    const auditor = p.user("court", "auditor");
    expectProblem(await post(`/v1/mediations/${id}/sessions`, auditor, session(), key()), 403);
    expectProblem(await open(await replied(), auditor), 403);
    const read = await get(`/v1/mediations/${id}`, auditor);
    expect(read.body.status.code).toBe("open");
    expect(read.body.sessions).toEqual([]);
  });
});

describe("bad input", () => {
  it("answers 400 per field, and 409 no_sessions for an agreement without a session", async () => {
    const id = (await open(await replied())).body.id;
    const as = p.user("court", "handler");
    const noDoc = await post("/v1/mediations", p.user("proc", "coordinator"), { participants: "x" }, key());
    expectProblem(noDoc, 400, "validation_failed");
    expect(noDoc.body.errors.map((e: any) => e.path).sort()).toEqual(["documentId", "participants"]);
    expectProblem(await post("/v1/mediations", p.user("proc", "coordinator"), { documentId: "x" }), 400);

    const badSession = await post(
      `/v1/mediations/${id}/sessions`,
      as,
      { heldOn: "2026-02-30", place: "", attendees: [{ name: "张某", side: "judge" }] },
      key(),
    );
    expectProblem(badSession, 400, "validation_failed");
    expect(badSession.body.errors.map((e: any) => e.path).sort()).toEqual([
      "attendees.0.side",
      "heldOn",
      "place",
    ]);
    const future = await post(`/v1/mediations/${id}/sessions`, as, session({ heldOn: "2026-09-02" }), key());
    expectProblem(future, 400, "validation_failed");
    expect(future.body.errors[0]).toMatchObject({ path: "heldOn", code: "future_date" });
    expectProblem(await post(`/v1/mediations/${id}/sessions`, as, session({ attendees: [] }), key()), 400);

    const badOutcome = await post(`/v1/mediations/${id}/outcome`, as, {
      outcome: "settled",
      outcomeOn: "soon",
    });
    expectProblem(badOutcome, 400, "validation_failed");
    expect([...new Set(badOutcome.body.errors.map((e: any) => e.path))].sort()).toEqual([
      "outcome",
      "outcomeOn",
    ]);
    expectProblem(
      await post(`/v1/mediations/${id}/outcome`, as, { outcome: "agreement", outcomeOn: "2026-09-01" }),
      409,
      "no_sessions",
    );
    expectProblem(
      await post(`/v1/mediations/${id}/outcome`, as, { outcome: "judgment", outcomeOn: "2026-09-02" }),
      400,
    );
    t.clock.set(new Date("2026-09-03T02:00:00Z"));
    try {
      expect(
        (await post(`/v1/mediations/${id}/sessions`, as, session({ heldOn: "2026-09-02" }), key())).status,
      ).toBe(201);
      const early = await post(`/v1/mediations/${id}/outcome`, as, {
        outcome: "judgment",
        outcomeOn: "2026-09-01",
      });
      expectProblem(early, 400, "validation_failed");
      expect(early.body.errors).toEqual([
        expect.objectContaining({ path: "outcomeOn", code: "before_last_session" }),
      ]);
    } finally {
      t.clock.set(new Date("2026-09-01T02:00:00Z"));
    }
    const read = await get(`/v1/mediations/${id}`, as);
    expect(read.body.status.code).toBe("open");
    expect(read.body.timeline.map((e: any) => e.type)).toEqual(["created", "session_recorded"]);
    expectProblem(await get("/v1/mediations?status=pending", as), 400);
    expectProblem(await get("/v1/mediations?cursor=nonsense", as), 400);
  });
});

describe("the level above following the document up (跟进监督)", () => {
  it("sees the mediation's summary on the document (status, outcome, dates; no participants, no link) but not the mediation itself", async () => {
    const docId = await replied();
    const id = (
      await open(docId, p.user("proc", "coordinator"), { participants: [p.user("proc", "handler").id] })
    ).body.id;
    const acked = await post(`/v1/documents/${docId}/acknowledge`, p.user("proc", "leader"), {
      result: "not_accepted",
      reason: "再审进展缓慢",
    });
    expect(acked.body.followup).toEqual({ orgId: city.procuratorate.id });
    const follower = city.user("proc", "registrar");
    let doc = await get(`/v1/documents/${docId}`, follower);
    expect(doc.status).toBe(200);
    expect(doc.body.mediation).toEqual({
      id,
      status: { code: "open", label: { zh: "调解中", en: "In mediation" } },
      outcome: null,
      outcomeOn: null,
      sessions: 0,
      href: null,
    });
    const as = p.user("court", "handler");
    expect((await post(`/v1/mediations/${id}/sessions`, as, session(), key())).status).toBe(201);
    const done = await post(`/v1/mediations/${id}/outcome`, as, {
      outcome: "agreement",
      outcomeOn: "2026-09-01",
    });
    expect(done.status).toBe(200);
    doc = await get(`/v1/documents/${docId}`, follower);
    expect(doc.body.mediation).toMatchObject({
      status: { code: "concluded" },
      outcome: { code: "agreement" },
      outcomeOn: "2026-09-01",
      sessions: 1,
      href: null,
    });
    // The mediation itself (its people, places, notes) stays the two institutions'.
    expectProblem(await get(`/v1/mediations/${id}`, follower), 404);
    // The document's own institutions keep the link.
    expect((await get(`/v1/documents/${docId}`, p.user("proc", "handler"))).body.mediation.href).toBe(
      `/v1/mediations/${id}`,
    );
  });
});

describe("dates before the retrial was ruled", () => {
  it("refuses a session or an outcome dated before the reply that ruled the retrial (400 before_retrial_ruling), writing nothing; the ruling day itself is fine", async () => {
    const docId = await replied(); // replied (retrial ruled) on 2026-09-01
    const id = (await open(docId)).body.id;
    const as = p.user("court", "handler");
    const before = await t.deps.db.all(
      sql`select (select count(*) from mediation_sessions where mediation_id = ${id}) as s,
        (select count(*) from subject_events where subject_id = ${id}) as e,
        (select status || updated_at from mediations where id = ${id}) as m`,
    );
    const early = await post(`/v1/mediations/${id}/sessions`, as, session({ heldOn: "2020-01-01" }), key());
    expectProblem(early, 400, "validation_failed");
    expect(early.body.errors).toEqual([
      expect.objectContaining({
        path: "heldOn",
        code: "before_retrial_ruling",
        message: expect.stringContaining("2026-09-01"),
      }),
    ]);
    expectProblem(
      await post(`/v1/mediations/${id}/sessions`, as, session({ heldOn: "2026-08-31" }), key()),
      400,
      "validation_failed",
    );
    const earlyOutcome = await post(`/v1/mediations/${id}/outcome`, as, {
      outcome: "withdrawn",
      outcomeOn: "2026-08-31",
    });
    expectProblem(earlyOutcome, 400, "validation_failed");
    expect(earlyOutcome.body.errors).toEqual([
      expect.objectContaining({ path: "outcomeOn", code: "before_retrial_ruling" }),
    ]);
    expect(
      await t.deps.db.all(
        sql`select (select count(*) from mediation_sessions where mediation_id = ${id}) as s,
          (select count(*) from subject_events where subject_id = ${id}) as e,
          (select status || updated_at from mediations where id = ${id}) as m`,
      ),
    ).toEqual(before);
    const read = await get(`/v1/mediations/${id}`, as);
    expect(read.body.document.repliedOn).toBe("2026-09-01");
    expect((await post(`/v1/mediations/${id}/sessions`, as, session(), key())).status).toBe(201);
    const done = await post(`/v1/mediations/${id}/outcome`, as, {
      outcome: "agreement",
      outcomeOn: "2026-09-01",
    });
    expect(done.status).toBe(200);
  });
});

describe("unknown fields", () => {
  it("answers 400 naming a field no body has (a misspelling is not dropped) on every write, and writes nothing", async () => {
    const docId = await replied();
    const as = p.user("court", "handler");
    const unknown = async (r: Awaited<ReturnType<typeof get>>, field: string) => {
      expectProblem(r, 400, "validation_failed");
      expect(r.body.errors).toContainEqual(
        expect.objectContaining({ code: "unrecognized_keys", message: expect.stringContaining(field) }),
      );
    };
    await unknown(await open(docId, p.user("proc", "coordinator"), { notes: "x" }), "notes");
    const id = (await open(docId)).body.id;
    await unknown(
      await post(`/v1/mediations/${id}/participants`, as, { userIds: [as.id], role: "x" }),
      "role",
    );
    await unknown(
      await post(`/v1/mediations/${id}/sessions`, as, session({ heldon: "2026-09-01" }), key()),
      "heldon",
    );
    await unknown(
      await post(
        `/v1/mediations/${id}/sessions`,
        as,
        session({ attendees: [{ name: "张某", side: "party", phone: "1" }] }),
        key(),
      ),
      "phone",
    );
    await unknown(
      await post(`/v1/mediations/${id}/outcome`, as, {
        outcome: "judgment",
        outcomeOn: "2026-09-01",
        notes: "x",
      }),
      "notes",
    );
    const read = await get(`/v1/mediations/${id}`, as);
    expect(read.body).toMatchObject({ status: { code: "open" }, sessions: [] });
    expect(read.body.participants).toHaveLength(1);
  });
});

describe("GET /v1/mediations", () => {
  it("pages by cursor in update order, filters by status, outcome and document, and syncs by updatedSince", async () => {
    const q = await t.pair();
    const as = q.user("court", "coordinator");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      t.clock.set(new Date(`2026-09-01T02:0${i}:00Z`));
      ids.push((await open(await replied({}, q), q.user("proc", "coordinator"))).body.id);
    }
    t.clock.set(new Date("2026-09-01T02:10:00Z"));
    await post(`/v1/mediations/${ids[0]}/outcome`, as, { outcome: "judgment", outcomeOn: "2026-09-01" });
    t.clock.set(new Date("2026-09-01T02:00:00Z"));

    const page1 = await get("/v1/mediations?limit=2", as);
    expect(page1.body.items.map((m: any) => m.id)).toEqual([ids[1], ids[2]]);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await get(`/v1/mediations?limit=2&cursor=${page1.body.nextCursor}`, as);
    expect(page2.body.items.map((m: any) => m.id)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();

    const since = await get(
      `/v1/mediations?updatedSince=${encodeURIComponent("2026-09-01T10:05:00+08:00")}`,
      as,
    );
    expect(since.body.items.map((m: any) => m.id)).toEqual([ids[0]]);
    const open_ = await get("/v1/mediations?status=open", as);
    expect(open_.body.items.map((m: any) => m.id)).toEqual([ids[1], ids[2]]);
    const judged = await get("/v1/mediations?outcome=judgment", as);
    expect(judged.body.items.map((m: any) => [m.id, m.outcome.label.zh])).toEqual([[ids[0], "依法判决"]]);
    const byDoc = await get(`/v1/mediations?documentId=${page1.body.items[0].document.id}`, as);
    expect(byDoc.body.items.map((m: any) => m.id)).toEqual([ids[1]]);
  });
});
