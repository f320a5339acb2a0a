// Referral notices (线索通报) through the real app and libSQL on a fake clock: both directions end to
// end, idempotent sending, every out-of-order change a 409 that changes nothing, parties and
// outsiders, bad input, lists and counts, and an unacknowledged notice on the escalation ladder over
// the 2026 Mid-Autumn and National Day holidays (sent Thu 09-24 → due Wed 09-30: 09-25…27 and
// 10-01…07 are rest days, Saturday 10-10 a make-up working day).
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { runJob } from "../src/cron/cron";
import { expectProblem, setup } from "./helpers";

const cst = (day: string, at = "10:00") => new Date(`${day}T${at}:00+08:00`);
let keyN = 0;
const key = () => ({ "idempotency-key": `referral-test-${++keyN}-${process.pid}` });

const courtNotice = {
  kind: "false_litigation",
  caseNumbers: ["(2026)京0105民初1234号"],
  parties: [
    { name: "张某", role: "原告" },
    { name: "李某", role: "被告" },
  ],
  facts: "原告与被告恶意串通,虚构借款事实,骗取民事调解书。",
  policeReferredOn: "2026-08-31",
};

async function world(day = "2026-09-24") {
  const t = await setup({ clock: fixedClock(cst(day)) });
  const p = await t.pair();
  const send = (body: object = courtNotice, as = p.user("court", "handler"), headers = key()) =>
    t.request("/v1/referrals", { method: "POST", as, headers, json: body });
  const act = (id: string, verb: string, as: { id: string }, json?: object) =>
    t.request(`/v1/referrals/${id}/${verb}`, { method: "POST", as, json: json ?? {} });
  const detail = (id: string, as = p.user("court", "handler")) => t.request(`/v1/referrals/${id}`, { as });
  let runs = 0;
  async function sweepAt(d: string, at = "10:00") {
    t.clock.set(cst(d, at));
    const r = await runJob(t.deps, "sweep", new Date(cst(d, at).getTime() + ++runs));
    expect(r.status).toBe("ok");
  }
  async function heard(id: string) {
    const rows = await t.deps.db.all<{ userId: string; kind: string }>(
      sql`select user_id as userId, kind from notifications where subject_id = ${id} order by created_at, id`,
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
      sql`select step, status from escalation_steps where subject_type = 'referral' and subject_id = ${id}
        order by "offset"`,
    );
  /** The row and its timeline as stored: what a refused change must leave as it was. */
  const stored = async (id: string) => ({
    row: await t.deps.db.all(sql`select * from exchanges where id = ${id}`),
    events: await t.deps.db.all(
      sql`select id, type from subject_events where subject_id = ${id} order by id`,
    ),
    notices: await t.deps.db.all(sql`select id from notifications where subject_id = ${id} order by id`),
    outbox: await t.deps.db.all(sql`select id from webhook_events where subject_id = ${id} order by id`),
  });
  return { t, p, send, act, detail, sweepAt, heard, ledger, stored };
}

describe("referral notices end to end", () => {
  it("court → procuratorate: sent, acknowledged, handled; the sender sees the outcome", async () => {
    const w = await world();
    const { p } = w;
    const sent = await w.send();
    expect(sent.status).toBe(201);
    expect(sent.headers.get("location")).toBe(`/v1/referrals/${sent.body.id}`);
    expect(sent.body).toMatchObject({
      kind: { code: "referral", label: { zh: "线索通报", en: "Referral notice" } },
      subkind: { code: "false_litigation", label: { zh: "虚假诉讼", en: "False litigation" } },
      status: { code: "sent", label: { zh: "已通报,待签收" } },
      sender: { id: p.court.id, kind: { code: "court" } },
      recipient: { id: p.procuratorate.id, kind: { code: "procuratorate" } },
      direction: "out",
      title: "关于(2026)京0105民初1234号案件虚假诉讼线索的通报",
      caseNumbers: courtNotice.caseNumbers,
      parties: courtNotice.parties,
      facts: courtNotice.facts,
      policeReferredOn: "2026-08-31",
      // Three working days after Thu 09-24: Mid-Autumn (Fri 09-25) and the weekend do not count.
      dueOn: "2026-09-30",
      overdue: false,
      outcome: null,
    });
    expect(sent.body.timeline.map((e: any) => e.type)).toEqual(["created"]);
    const id = sent.body.id;
    expect(await w.heard(id)).toEqual({
      "proc.registrar": ["referral.received"],
      "proc.coordinator": ["referral.received"],
    });

    const inbox = await w.t.request("/v1/referrals?direction=in", { as: p.user("proc", "registrar") });
    expect(inbox.body.items.map((x: any) => [x.id, x.direction])).toEqual([[id, "in"]]);

    // No body at all is fine for an acknowledgement.
    const ack = await w.t.request(`/v1/referrals/${id}/acknowledge`, {
      method: "POST",
      as: p.user("proc", "registrar"),
    });
    expect(ack.status).toBe(200);
    expect(ack.body.status.code).toBe("acknowledged");
    expect(ack.body.acknowledgedAt).toBe(cst("2026-09-24").toISOString());

    const before = await w.stored(id);
    const badDoc = await w.act(id, "outcome", p.user("proc", "department_head"), {
      action: "opened_supervision",
      relatedDocumentId: "no-such-document",
    });
    expectProblem(badDoc, 400, "validation_failed");
    expect(badDoc.body.errors).toEqual([
      expect.objectContaining({ path: "relatedDocumentId", code: "document_not_found" }),
    ]);
    expect(await w.stored(id)).toEqual(before);
    const done = await w.act(id, "outcome", p.user("proc", "department_head"), {
      action: "opened_supervision",
      note: "已依职权启动民事监督程序",
    });
    expect(done.status).toBe(200);
    const seen = await w.detail(id);
    expect(seen.body).toMatchObject({
      status: { code: "handled", label: { zh: "已反馈处理情况", en: "Handled" } },
      direction: "out",
      outcome: {
        action: { code: "opened_supervision", label: { zh: "启动监督程序", en: "Opened supervision" } },
        note: "已依职权启动民事监督程序",
        reason: null,
        by: { id: p.user("proc", "department_head").id },
      },
    });
    // Lists name who acted too (resolved in the list's own statement).
    const head = p.user("proc", "department_head");
    for (const as of [p.user("court", "handler"), p.user("proc", "auditor")]) {
      const handled = await w.t.request("/v1/referrals?status=handled", { as });
      expect(handled.body.items.map((x: any) => x.outcome.by)).toEqual([{ id: head.id, name: head.name }]);
    }
    expect(head.name).toBeTruthy();
    expect(seen.body.timeline.map((e: any) => [e.type, e.label.zh])).toEqual([
      ["created", "创建"],
      ["acknowledged", "签收"],
      ["handled", "反馈处理情况"],
    ]);
    const h = await w.heard(id);
    expect(h["court.handler"]).toEqual(["referral.acknowledged", "referral.handled"]);
    expect(h["court.coordinator"]).toEqual(["referral.handled"]);
    // Webhooks for both institutions, one per event.
    const hooks = await w.t.deps.db.all<{ type: string }>(
      sql`select type from webhook_events where subject_id = ${id} order by created_at, id`,
    );
    expect(hooks.map((x) => x.type)).toEqual([
      "referral.created",
      "referral.acknowledged",
      "referral.handled",
    ]);
  });

  it("procuratorate → court: false litigation without a police date, no action with its reason", async () => {
    const w = await world();
    const { p } = w;
    const { policeReferredOn: _, ...body } = courtNotice;
    const sent = await w.send(
      { ...body, title: "关于某借款纠纷案虚假诉讼线索的通报" },
      p.user("proc", "handler"),
    );
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({
      sender: { id: p.procuratorate.id },
      recipient: { id: p.court.id },
      title: "关于某借款纠纷案虚假诉讼线索的通报",
      policeReferredOn: null,
    });
    const id = sent.body.id;
    expect(await w.heard(id)).toEqual({
      "court.registrar": ["referral.received"],
      "court.coordinator": ["referral.received"],
    });
    await w.act(id, "acknowledge", p.user("court", "coordinator"));
    const noReason = await w.act(id, "outcome", p.user("court", "leader"), { action: "no_action" });
    expectProblem(noReason, 400, "validation_failed");
    expect(noReason.body.errors).toEqual([
      expect.objectContaining({ path: "reason", code: "reason_required" }),
    ]);
    const done = await w.act(id, "outcome", p.user("court", "leader"), {
      action: "no_action",
      reason: "经审查,该案已依法审结,未发现虚假诉讼情形",
    });
    expect(done.body.outcome).toMatchObject({
      action: { code: "no_action" },
      reason: "经审查,该案已依法审结,未发现虚假诉讼情形",
    });
    const mine = await w.detail(id, p.user("proc", "handler"));
    expect(mine.body).toMatchObject({ direction: "out", outcome: { action: { code: "no_action" } } });
  });

  it("the sender withdraws a notice not yet acknowledged, with a reason; the recipient is told", async () => {
    const w = await world();
    const { p } = w;
    const id = (await w.send()).body.id;
    const noReason = await w.act(id, "withdraw", p.user("court", "handler"), {});
    expectProblem(noReason, 400, "validation_failed");
    const res = await w.act(id, "withdraw", p.user("court", "handler"), { reason: "案号有误" });
    expect(res.body).toMatchObject({
      status: { code: "withdrawn" },
      withdrawal: { reason: "案号有误" },
    });
    expect(res.body.timeline.at(-1)).toMatchObject({
      type: "withdrawn",
      label: { zh: "撤回通报", en: "Withdrawn" },
      note: "案号有误",
    });
    expect((await w.heard(id))["proc.registrar"]).toEqual(["referral.received", "referral.withdrawn"]);
  });
});

describe("POST /v1/referrals: Idempotency-Key and bad input", () => {
  it("a retry with the same key and body returns the first notice (200); another body is 409", async () => {
    const w = await world();
    const headers = key();
    const first = await w.send(courtNotice, w.p.user("court", "handler"), headers);
    const again = await w.send(courtNotice, w.p.user("court", "handler"), headers);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    const other = await w.send({ ...courtNotice, facts: "另一事实" }, w.p.user("court", "handler"), headers);
    expectProblem(other, 409, "idempotency_key_reused");
    const missing = await w.t.request("/v1/referrals", {
      method: "POST",
      as: w.p.user("court", "handler"),
      json: courtNotice,
    });
    expectProblem(missing, 400, "validation_failed");
    const rows = await w.t.deps.db.all(sql`select id from exchanges where kind = 'referral'`);
    expect(rows).toHaveLength(1);
    expect(await w.heard(first.body.id)).toEqual({
      "proc.registrar": ["referral.received"],
      "proc.coordinator": ["referral.received"],
    });
  });

  it("answers 400 with per-field errors and writes nothing", async () => {
    const w = await world();
    const court = w.p.user("court", "handler");
    const { policeReferredOn: _, ...noPolice } = courtNotice;
    const cases: [object, string, string?][] = [
      [noPolice, "policeReferredOn", "police_date_required"],
      [{ ...noPolice, kind: "refusal_to_execute" }, "policeReferredOn", "police_date_required"],
      [{ ...courtNotice, policeReferredOn: "2026-09-25" }, "policeReferredOn", "date_in_future"],
      [{ ...courtNotice, caseNumbers: [] }, "caseNumbers"],
      [{ ...courtNotice, caseNumbers: ["not a case number"] }, "caseNumbers.0"],
      [{ ...courtNotice, kind: "perjury" }, "kind"],
      [{ ...courtNotice, parties: [] }, "parties"],
      [{ ...courtNotice, facts: " " }, "facts"],
      [{ ...courtNotice, documentId: "no-such-document" }, "documentId", "document_not_found"],
      // The same case twice (also as 案号 compare: full- and half-width brackets alike).
      [
        { ...courtNotice, caseNumbers: ["(2026)京0105民初1234号", "(2026)京0105民初1234号"] },
        "caseNumbers.1",
      ],
      [
        { ...courtNotice, caseNumbers: ["(2026)京0105民初1234号", "(2026)京0105民初1234号"] },
        "caseNumbers.1",
      ],
      // Control characters, or nothing but spaces between the year and 号.
      [{ ...courtNotice, caseNumbers: ["(2026)京0105民\u0000初1234号"] }, "caseNumbers.0"],
      [{ ...courtNotice, caseNumbers: ["(2026)京0105民\u0085初1234号"] }, "caseNumbers.0"],
      [{ ...courtNotice, caseNumbers: ["(2026)   号"] }, "caseNumbers.0"],
      [{ ...courtNotice, caseNumbers: ["(2026)\u3000\u200b号"] }, "caseNumbers.0"],
      // An unknown (misspelt) field is named, not dropped.
      [{ ...courtNotice, fact: "拼错的字段" }, "fact", "unrecognized_keys"],
      [
        { ...courtNotice, parties: [{ name: "张某", role: "原告", phone: "1" }] },
        "parties.0.phone",
        "unrecognized_keys",
      ],
    ];
    for (const [body, path, code] of cases) {
      const res = await w.send(body, court);
      expectProblem(res, 400, "validation_failed");
      expect(res.body.errors, JSON.stringify(body)).toContainEqual(
        expect.objectContaining({ path, ...(code ? { code } : {}) }),
      );
      if (code === "unrecognized_keys") expect(res.body.errors[0].message).toMatch(/fact|phone/);
    }
    // The change routes name an unknown field too.
    const id = (await w.send({ ...noPolice, kind: "obstructing_proceedings" }, court)).body.id;
    const proc = w.p.user("proc", "registrar");
    for (const [verb, json] of [
      ["acknowledge", { notes: "x" }],
      ["outcome", { action: "joined_case", notes: "x" }],
      ["withdraw", { reason: "x", notes: "x" }],
    ] as const) {
      const res = await w.act(id, verb, verb === "withdraw" ? court : proc, json);
      expectProblem(res, 400, "validation_failed");
      expect(res.body.errors[0]).toMatchObject({
        code: "unrecognized_keys",
        message: expect.stringContaining("notes"),
      });
    }
    expect((await w.detail(id)).body.status.code).toBe("sent");
    // The court's other kinds need no police date.
    const ok = await w.send({ ...noPolice, kind: "obstructing_proceedings" }, court);
    expect(ok.status).toBe(201);
    const rows = await w.t.deps.db.all(sql`select id from exchanges`);
    expect(rows).toHaveLength(2);
  });
});

describe("refusals change nothing", () => {
  it("every change out of order is a 409 with a clear code; the row, timeline, notices and outbox stay", async () => {
    const w = await world();
    const { p } = w;
    const proc = p.user("proc", "registrar");
    const court = p.user("court", "handler");
    const id = (await w.send()).body.id;
    const refused = async (verb: string, as: { id: string }, json: object, code: string) => {
      const before = await w.stored(id);
      const res = await w.act(id, verb, as, json);
      expectProblem(res, 409, code);
      expect(res.body.label?.zh).toBeTruthy();
      expect(await w.stored(id)).toEqual(before);
    };
    await refused("outcome", proc, { action: "joined_case" }, "not_acknowledged");
    await w.act(id, "acknowledge", proc);
    await refused("acknowledge", proc, {}, "already_acknowledged");
    await refused("withdraw", court, { reason: "撤回" }, "already_acknowledged");
    await w.act(id, "outcome", proc, { action: "joined_case" });
    await refused("outcome", proc, { action: "no_action", reason: "x" }, "already_handled");
    await refused("acknowledge", proc, {}, "already_handled");

    const gone = (await w.send()).body.id;
    await w.act(gone, "withdraw", court, { reason: "重复通报" });
    for (const [verb, json] of [
      ["acknowledge", {}],
      ["outcome", { action: "joined_case" }],
    ] as const) {
      const res = await w.act(gone, verb, proc, json);
      expectProblem(res, 409, "exchange_withdrawn");
    }
    expectProblem(await w.act(gone, "withdraw", court, { reason: "再撤" }), 409, "exchange_withdrawn");
  });

  it("the wrong party or role is 403; a user of another pair gets 404 on every route", async () => {
    const w = await world();
    const { p, t } = w;
    const id = (await w.send()).body.id;
    const before = await w.stored(id);
    expectProblem(await w.act(id, "acknowledge", p.user("court", "registrar")), 403);
    expectProblem(await w.act(id, "withdraw", p.user("proc", "registrar"), { reason: "x" }), 403);
    expectProblem(await w.act(id, "acknowledge", p.user("proc", "auditor")), 403);
    expectProblem(await w.send(courtNotice, p.user("court", "auditor")), 403);
    expect(await w.stored(id)).toEqual(before);
    // The auditor reads.
    expect((await w.detail(id, p.user("proc", "auditor"))).status).toBe(200);

    const other = await t.pair();
    for (const as of [other.user("court", "handler"), other.user("proc", "leader")]) {
      expectProblem(await w.detail(id, as), 404, "not_found");
      expectProblem(await w.act(id, "acknowledge", as), 404, "not_found");
      expectProblem(await w.act(id, "outcome", as, { action: "joined_case" }), 404, "not_found");
      expectProblem(await w.act(id, "withdraw", as, { reason: "x" }), 404, "not_found");
      const list = await t.request("/v1/referrals", { as });
      expect(list.body.items).toEqual([]);
      const counts = await t.request("/v1/referrals/counts", { as });
      expect(counts.body.items).toEqual([]);
    }
    expect(await w.stored(id)).toEqual(before);
  });
});

describe("an unacknowledged notice on the escalation ladder", () => {
  it("climbs on working days only (the holidays between do not count), once per step; acknowledging stops it", async () => {
    const w = await world("2026-09-24");
    const { p } = w;
    const id = (await w.send()).body.id;
    const stopped = (await w.send({ ...courtNotice, facts: "另一线索" })).body.id;
    await w.sweepAt("2026-09-29"); // T-1: the default ladder starts on the due day
    expect(await w.ledger(id)).toEqual([]);
    await w.act(stopped, "acknowledge", p.user("proc", "registrar"));
    await w.sweepAt("2026-09-30"); // T0 (Wed)
    await w.sweepAt("2026-09-30", "16:00"); // a second run changes nothing
    expect(await w.ledger(id)).toEqual([{ step: "T0", status: "sent" }]);
    for (const d of ["2026-10-01", "2026-10-03", "2026-10-05", "2026-10-07"]) await w.sweepAt(d); // holidays
    expect((await w.ledger(id)).map((s) => s.step)).toEqual(["T0"]);
    await w.sweepAt("2026-10-08"); // T+1: the first working day after the holiday
    await w.sweepAt("2026-10-09"); // T+2: no step
    await w.sweepAt("2026-10-10"); // T+3: Saturday, a make-up working day
    expect(await w.ledger(id)).toEqual([
      { step: "T0", status: "sent" },
      { step: "T+1", status: "sent" },
      { step: "T+3", status: "sent" },
    ]);
    expect(await w.heard(id)).toEqual({
      "proc.registrar": ["referral.received", "referral.due", "referral.overdue"],
      "proc.coordinator": ["referral.received", "referral.overdue", "referral.overdue"],
      "proc.leader": ["referral.overdue"],
      "court.handler": ["referral.overdue"],
      "court.coordinator": ["referral.overdue"],
    });
    const [notice] = await w.t.deps.db.all<{ zh: string; en: string }>(sql`select text_zh as zh, text_en as en
      from notifications where subject_id = ${id} and user_id = ${p.user("court", "handler").id}`);
    expect(notice!.zh).toContain("尚未签收");
    expect(notice!.zh).toContain("已逾期3个工作日");
    expect(notice!.en).toContain("3 working day(s) overdue");
    // The acknowledged notice never escalated.
    expect(await w.ledger(stopped)).toEqual([]);

    const d = await w.detail(id);
    expect(d.body.overdue).toBe(true);
    expect(d.body.ladder).toMatchObject({
      source: "default",
      steps: [{ key: "T0" }, { key: "T+1" }, { key: "T+3" }],
    });
    expect(d.body.escalations.map((s: any) => s.step)).toEqual(["T0", "T+1", "T+3"]);
    expect(d.body.escalations[2].audience).toContainEqual({
      code: "sender",
      label: { zh: "来文单位(发文人)", en: "The sender (who sent it)" },
    });
    expect(d.body.timeline.filter((e: any) => e.type === "escalated")).toHaveLength(3);
    // Acknowledged late: nothing more.
    await w.act(id, "acknowledge", p.user("proc", "registrar"));
    await w.sweepAt("2026-10-20");
    expect(await w.ledger(id)).toHaveLength(3);
  });
});

describe("a jurisdiction's own referral ladder", () => {
  it("either institution's admins set it ('*'); the sweep follows it instead of the default", async () => {
    const w = await world("2026-09-24"); // due Wed 09-30
    const { p, t } = w;
    const put = (subjectType: string, kind: string, steps: object[], as = p.user("proc", "admin")) =>
      t.request(`/v1/admin/escalation-ladders/${subjectType}/${encodeURIComponent(kind)}`, {
        method: "PUT",
        as,
        json: { steps },
      });
    const steps = [{ offset: 2, audience: ["recipient_leaders", "sender"], urgent: true }];
    const set = await put("referral", "*", steps);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ subjectType: "referral", kind: "*", steps: [{ key: "T+2" }] });
    // Validated as a referral's ladder: its own audiences, working-day offsets, one kind.
    const bad = await put("referral", "*", [{ offset: 100, audience: ["handler"], urgent: false }]);
    expectProblem(bad, 400, "validation_failed");
    expect(bad.body.errors.map((e: any) => e.path).sort()).toEqual(["steps.0.audience", "steps.0.offset"]);
    expectProblem(await put("referral", "false_litigation", steps), 400, "validation_failed");
    expectProblem(await put("referral", "*", steps, p.user("court", "coordinator")), 403);
    // A report's ladder too, by the court's admins.
    const report = await put(
      "report",
      "*",
      [{ offset: 0, audience: ["owner_leaders"], urgent: false }],
      p.user("court", "admin"),
    );
    expect(report.status).toBe(200);

    const id = (await w.send()).body.id;
    await w.sweepAt("2026-09-30"); // T0 of the default ladder: not in force here
    await w.sweepAt("2026-10-08"); // T+1
    expect(await w.ledger(id)).toEqual([]);
    await w.sweepAt("2026-10-09"); // T+2
    expect(await w.ledger(id)).toEqual([{ step: "T+2", status: "sent" }]);
    expect(await w.heard(id)).toEqual({
      "proc.registrar": ["referral.received"],
      "proc.coordinator": ["referral.received"],
      "proc.leader": ["referral.overdue"],
      "court.handler": ["referral.overdue"],
      "court.coordinator": ["referral.overdue"],
    });
    const d = await w.detail(id);
    expect(d.body.ladder).toMatchObject({ source: "jurisdiction", steps: [{ key: "T+2" }] });
    // Back to the default.
    const del = await t.request("/v1/admin/escalation-ladders/referral/*", {
      method: "DELETE",
      as: p.user("court", "admin"),
    });
    expect(del.status).toBe(204);
    expect((await w.detail(id)).body.ladder.source).toBe("default");
  });
});

describe("GET /v1/referrals and /v1/referrals/counts", () => {
  it("lists by direction, kind, status and period, pages with a cursor and syncs with updatedSince", async () => {
    const w = await world("2026-09-01");
    const { p, t } = w;
    const court = p.user("court", "handler");
    const proc = p.user("proc", "handler");
    const a = (await w.send(courtNotice, court)).body.id; // 09-01, court → proc
    t.clock.set(cst("2026-09-10"));
    const b = (await w.send({ ...courtNotice, kind: "threats_against_staff" }, court)).body.id;
    t.clock.set(cst("2026-10-12"));
    const c = (await w.send({ ...courtNotice, policeReferredOn: null }, proc)).body.id; // proc → court
    const ids = async (q: string, as = court) => {
      const r = await t.request(`/v1/referrals${q}`, { as });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.items.map((x: any) => x.id);
    };
    expect(await ids("")).toEqual([a, b, c]);
    expect(await ids("?direction=out")).toEqual([a, b]);
    expect(await ids("?direction=in")).toEqual([c]);
    expect(await ids("?direction=in", proc)).toEqual([a, b]);
    expect(await ids("?kind=threats_against_staff")).toEqual([b]);
    expect(await ids("?from=2026-09-02&to=2026-09-30")).toEqual([b]);
    expect(await ids("?to=2026-09-01")).toEqual([a]);
    expect(await ids("?status=sent,acknowledged&direction=out")).toEqual([a, b]);
    expectProblem(await t.request("/v1/referrals?status=lost", { as: court }), 400, "validation_failed");
    expectProblem(await t.request("/v1/referrals?kind=perjury", { as: court }), 400, "validation_failed");

    const page1 = await t.request("/v1/referrals?limit=2", { as: court });
    expect(page1.body.items.map((x: any) => x.id)).toEqual([a, b]);
    const page2 = await t.request(`/v1/referrals?limit=2&cursor=${page1.body.nextCursor}`, { as: court });
    expect(page2.body).toMatchObject({ items: [{ id: c }], nextCursor: null });

    t.clock.set(cst("2026-10-13"));
    await w.act(a, "acknowledge", p.user("proc", "registrar"));
    expect(await ids(`?updatedSince=${encodeURIComponent("2026-10-12T10:00:00+08:00")}`)).toEqual([a]);
  });

  it("counts by direction × kind × status match a hand count", async () => {
    const w = await world("2026-09-01");
    const { p, t } = w;
    const court = p.user("court", "handler");
    const proc = p.user("proc", "handler");
    const { policeReferredOn: _, ...plain } = courtNotice;
    // court → proc: 2 false litigation (one acknowledged), 1 obstruction; proc → court: 1 false litigation.
    const a = (await w.send(courtNotice, court)).body.id;
    await w.send(courtNotice, court);
    await w.send({ ...plain, kind: "obstructing_proceedings" }, court);
    await w.send(plain, proc);
    await w.act(a, "acknowledge", p.user("proc", "registrar"));
    t.clock.set(cst("2026-10-12"));
    await w.send({ ...plain, kind: "obstructing_proceedings" }, court); // outside September

    const res = await t.request("/v1/referrals/counts?from=2026-09-01&to=2026-09-30", { as: court });
    expect(res.status).toBe(200);
    const flat = res.body.items.map((i: any) => [i.direction, i.kind.code, i.status.code, i.count]);
    expect(flat).toEqual([
      ["in", "false_litigation", "sent", 1],
      ["out", "false_litigation", "acknowledged", 1],
      ["out", "false_litigation", "sent", 1],
      ["out", "obstructing_proceedings", "sent", 1],
    ]);
    expect(res.body.totals).toEqual({ in: 1, out: 3 });
    expect(res.body.items[0].kind.label).toEqual({ zh: "虚假诉讼", en: "False litigation" });
    expect(res.body.items[0].status.label.en).toBe("Sent, awaiting acknowledgement");
    // A range that runs backwards is a 400 on `from`, for counts and lists alike.
    for (const path of ["/v1/referrals/counts", "/v1/referrals"]) {
      const back = await t.request(`${path}?from=2026-12-31&to=2026-12-01`, { as: court });
      expectProblem(back, 400, "validation_failed");
      expect(back.body.errors).toEqual([expect.objectContaining({ in: "query", path: "from" })]);
    }
    const all = await t.request("/v1/referrals/counts", { as: p.user("proc", "auditor") });
    expect(all.body.totals).toEqual({ in: 4, out: 1 });
  });
});

describe("a notice due on a day of a year whose calendar was missing", () => {
  it("gets its acknowledgement date counted again when the year's calendar is loaded; the ladder starts again on it", async () => {
    const w = await world("2026-12-29"); // Tue; 2027 has no official calendar yet
    const { p, t } = w;
    const id = (await w.send()).body.id;
    const acked = (await w.send({ ...courtNotice, facts: "另一线索" })).body.id;
    await w.act(acked, "acknowledge", p.user("proc", "registrar"));
    // 12-30, 12-31, then Fri 2027-01-01 taken for a working day.
    expect((await w.detail(id)).body).toMatchObject({
      dueOn: "2027-01-01",
      deadlineVersion: 1,
      calendarComplete: false,
    });
    await w.sweepAt("2027-01-01", "09:00"); // T0 on the provisional due day
    expect(await w.ledger(id)).toEqual([{ step: "T0", status: "sent" }]);
    t.clock.set(cst("2027-01-01", "11:00"));
    const put = await t.request("/v1/calendar/2027", {
      method: "PUT",
      as: await t.operator(),
      json: { days: [{ date: "2027-01-01", kind: "holiday", name: "元旦" }] },
    });
    expect(put.status).toBe(200);
    const d = await w.detail(id);
    expect(d.body).toMatchObject({
      dueOn: "2027-01-04", // Mon: New Year's Day and the weekend do not count
      deadlineVersion: 2,
      calendarComplete: true,
      overdue: false,
    });
    expect(d.body.timeline.at(-1)).toMatchObject({
      type: "deadline_recomputed",
      label: { zh: "按更新的节假日安排重算期限", en: "Deadline recomputed on the updated holiday calendar" },
      actor: null,
      data: {
        dueOn: { before: "2027-01-01", after: "2027-01-04" },
        deadlineVersion: { before: 1, after: 2 },
      },
    });
    const hooks = await t.deps.db.all<{ type: string }>(
      sql`select type from webhook_events where subject_id = ${id} and type = 'referral.deadline_recomputed'`,
    );
    expect(hooks).toHaveLength(1);
    // The acknowledged notice is not counted again.
    const other = await w.detail(acked);
    expect(other.body.deadlineVersion).toBe(1);
    expect(other.body.timeline.map((e: any) => e.type)).toEqual(["created", "acknowledged"]);
    // Loading the same year again changes nothing more.
    await t.request("/v1/calendar/2027", {
      method: "PUT",
      as: await t.operator(),
      json: { days: [{ date: "2027-01-01", kind: "holiday", name: "元旦" }] },
    });
    expect((await w.detail(id)).body.deadlineVersion).toBe(2);
    // The ladder follows the new date: T0 again on Mon 01-04 (a new deadline), not on the holiday.
    await w.sweepAt("2027-01-04");
    expect(await w.ledger(id)).toEqual([
      { step: "T0", status: "sent" },
      { step: "T0", status: "sent" },
    ]);
    const [v] = await t.deps.db.all<{ v: number }>(
      sql`select max(deadline_version) as v from escalation_steps where subject_id = ${id}`,
    );
    expect(v!.v).toBe(2);
  });
});
