import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;
let t: TestApp;
let n = 0;

beforeAll(async () => {
  t = await setup(); // clock: 2026-09-01T02:00Z
});

const key = () => `case-key-${++n}-abcdef`;
const post = (path: string, as: { id: string }, json: unknown = {}, headers: Record<string, string> = {}) =>
  t.request(path, { method: "POST", as, json, headers });
const get = (path: string, as: { id: string }) => t.request(path, { as });

const record = (over: Record<string, unknown> = {}) => ({
  caseNumber: `(2026)示0102刑初${100 + ++n}号`,
  courtName: "测试区人民法院",
  caseType: "criminal",
  area: "telecom_fraud",
  stage: "judged",
  parties: [
    { name: "张某", role: "被告人" },
    { name: "示范 科技有限公司", role: "被害单位" },
  ],
  keyDates: { filedOn: "2026-03-02", judgedOn: "2026-06-18" },
  summary: "被告人张某以冒充客服方式实施电信诈骗。",
  chargeProsecuted: "诈骗罪",
  chargeJudged: "诈骗罪",
  material: [
    { name: "判决书.pdf", size: 2048, sha256: "b".repeat(64), mediaType: "application/pdf" },
    { name: "起诉书.pdf", size: 1024, sha256: "c".repeat(64), mediaType: "application/pdf" },
  ],
  ...over,
});

const coord = (p: Pair, side: "court" | "proc" = "court") => p.user(side, "coordinator");

async function share(p: Pair, over: Record<string, unknown> = {}) {
  const res = await post("/v1/case-records", coord(p), record(over), { "idempotency-key": key() });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function grant(p: Pair, body: Record<string, unknown>) {
  const res = await post("/v1/case-grants", coord(p), body, { "idempotency-key": key() });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** The owner's audit rows (read straight from the table: what the log route must show). */
const auditRows = async (p: Pair) =>
  t.deps.db.all<{
    case_record_id: string;
    action: string;
    actor_id: string;
    purpose: string | null;
    query: string | null;
    grant_id: string | null;
    at: string;
  }>(sql`select * from case_access_log where owner_org_id = ${p.court.id} order by at, id`);

async function sendDoc(p: Pair, caseNumbers: string[], from: "proc" | "court" = "proc") {
  const res = await post(
    "/v1/documents",
    p.user(from, "handler"),
    {
      type: from === "proc" ? "protest.criminal_appeal" : "judicial_suggestion",
      docNumber: `示检刑抗〔2026〕${++n}号`,
      caseNumbers,
      caseCategory: "criminal",
      title: "刑事抗诉书",
      summary: "量刑畸轻。",
      attachments: [],
    },
    { "idempotency-key": key() },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe("POST /v1/case-records", () => {
  it("shares a case with normalised 案号, bilingual labels and 诉判不一 read from the charges", async () => {
    const p = await t.pair();
    const res = await post(
      "/v1/case-records",
      coord(p),
      record({ caseNumber: "（2026）示0102刑初１２３号", chargeJudged: "帮助信息网络犯罪活动罪" }),
      { "idempotency-key": key() },
    );
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/v1/case-records/${res.body.id}`);
    expect(res.body.caseNumber).toBe("（2026）示0102刑初１２３号");
    expect(res.body.caseKey).toBe("(2026)示0102刑初123");
    expect(res.body.caseType).toEqual({ code: "criminal", label: { zh: "刑事", en: "Criminal" } });
    expect(res.body.stage).toEqual({ code: "judged", label: { zh: "已裁判", en: "Judged" } });
    expect(res.body.area.label).toEqual({ zh: "电信诈骗", en: "Telecom fraud" });
    expect(res.body.charges).toEqual({
      prosecuted: "诈骗罪",
      judged: "帮助信息网络犯罪活动罪",
      differs: true,
    });
    expect(res.body.owner).toMatchObject({ id: p.court.id, kind: { code: "court" } });
    expect(res.body.access).toEqual({ own: true, grantId: null, audited: false });
  });

  it("is idempotent: the same key and body answer the first record; another body 409", async () => {
    const p = await t.pair();
    const k = key();
    const body = record();
    const first = await post("/v1/case-records", coord(p), body, { "idempotency-key": k });
    const again = await post("/v1/case-records", coord(p), body, { "idempotency-key": k });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const other = await post("/v1/case-records", coord(p), record(), { "idempotency-key": k });
    expectProblem(other, 409, "idempotency_key_reused");
    const list = await get("/v1/case-records", coord(p));
    expect(list.body.items).toHaveLength(1);
  });

  it("refuses a second record of the same normalised 案号 (409) and changes nothing", async () => {
    const p = await t.pair();
    await share(p, { caseNumber: "(2026)示0102刑初77号" });
    const dup = await post(
      "/v1/case-records",
      coord(p),
      record({ caseNumber: "〔2026〕示0102刑初第７７号" }),
      {
        "idempotency-key": key(),
      },
    );
    expectProblem(dup, 409, "duplicate_case_number");
    expect((await get("/v1/case-records", coord(p))).body.items).toHaveLength(1);
  });

  it("is for the coordinating department only: a trial judge and an auditor are refused", async () => {
    const p = await t.pair();
    const judge = await post("/v1/case-records", p.user("court", "handler"), record(), {
      "idempotency-key": key(),
    });
    expectProblem(judge, 403, "not_coordinating_department");
    const auditor = await post("/v1/case-records", p.user("court", "auditor"), record(), {
      "idempotency-key": key(),
    });
    expectProblem(auditor, 403);
    // the procuratorate's 综合业务部 is its coordinating department
    const proc = await post("/v1/case-records", coord(p, "proc"), record(), { "idempotency-key": key() });
    expect(proc.status).toBe(201);
  });

  it("refuses control characters per field (400) in a record, by hand or imported", async () => {
    const p = await t.pair();
    const res = await post(
      "/v1/case-records",
      coord(p),
      record({
        summary: "摘要\u0000",
        courtName: "法院\u001b",
        parties: [{ name: "张某\u0085", role: "被告人" }],
      }),
      { "idempotency-key": key() },
    );
    expectProblem(res, 400, "validation_failed");
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      "courtName",
      "parties.0.name",
      "summary",
    ]);
    const ok = await post("/v1/case-records", coord(p), record({ summary: "第一行\n\t第二行" }), {
      "idempotency-key": key(),
    });
    expect(ok.status).toBe(201);
    const imp = await t.request("/v1/case-records/import", {
      method: "POST",
      as: coord(p),
      json: {
        csv: "案号,法院,案件类型,当事人,阶段,摘要\n(2026)示0102刑初1501号,院,刑事,张某,已裁判,a\u0007b",
      },
    });
    expect(imp.status).toBe(422);
    expect(imp.body.errors).toEqual([
      { row: 1, field: "summary", code: "invalid_format", message: expect.any(String) },
    ]);
    const revoke = await post(`/v1/case-grants/${"x"}/revoke`, coord(p), { note: "n", extra: 1 });
    expectProblem(revoke, 400, "validation_failed");
    expect(JSON.stringify(revoke.body.errors)).toContain("extra");
  });

  it("answers 400 validation_failed for a bad case type, date or material", async () => {
    const p = await t.pair();
    const res = await post(
      "/v1/case-records",
      coord(p),
      record({
        caseType: "tax",
        keyDates: { filedOn: "2026-02-30" },
        material: [{ name: "x", size: 1, sha256: "z", mediaType: "pdf" }],
      }),
      { "idempotency-key": key() },
    );
    expectProblem(res, 400, "validation_failed");
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["caseType", "keyDates.filedOn", "material.0.sha256"]));
  });
});

describe("visibility without a grant", () => {
  it("hides the owner's records from the counterpart (404) and from another pair even with a rule grant", async () => {
    const p = await t.pair();
    const other = await t.pair();
    const r = await share(p);
    const proc = coord(p, "proc");
    expectProblem(await get(`/v1/case-records/${r.id}`, proc), 404);
    expectProblem(await post(`/v1/case-records/${r.id}/copy`, proc, { purpose: "审查" }), 404);
    expect(
      (await get(`/v1/case-records?caseNumber=${encodeURIComponent(r.caseNumber)}`, proc)).body.items,
    ).toEqual([]);
    await grant(p, { rule: "all" });
    for (const u of [coord(other, "proc"), coord(other, "court")]) {
      expectProblem(await get(`/v1/case-records/${r.id}`, u), 404);
      expect((await get("/v1/case-records", u)).body.items).toEqual([]);
      expectProblem(
        await post("/v1/case-grants", u, { caseRecordId: r.id }, { "idempotency-key": key() }),
        400,
      );
    }
    expect(await auditRows(p)).toHaveLength(0);
  });

  it("does not audit the owner's own reads", async () => {
    const p = await t.pair();
    const r = await share(p);
    await grant(p, { rule: "all" });
    expect((await get(`/v1/case-records/${r.id}`, p.user("court", "auditor"))).status).toBe(200);
    expect((await get("/v1/case-records", coord(p))).body.items).toHaveLength(1);
    expect(await auditRows(p)).toHaveLength(0);
  });
});

describe("audit completeness", () => {
  it("records every detail read by the counterpart with who, what, when and the grant", async () => {
    const p = await t.pair();
    const r = await share(p);
    const g = await grant(p, { caseRecordId: r.id });
    const reader = p.user("proc", "handler");
    for (let i = 0; i < 3; i++) {
      const res = await get(`/v1/case-records/${r.id}`, reader);
      expect(res.status).toBe(200);
      expect(res.body.access).toEqual({ own: false, grantId: g.id, audited: true });
      expect(res.body.timeline.map((e: { type: string }) => e.type)).toEqual(["created"]);
    }
    const rows = await auditRows(p);
    expect(rows).toHaveLength(3);
    for (const a of rows)
      expect(a).toMatchObject({
        case_record_id: r.id,
        action: "read",
        actor_id: reader.id,
        grant_id: g.id,
        at: "2026-09-01T02:00:00.000Z",
      });
  });

  it("records one 'search' row per record a search returns, page by page, with the query", async () => {
    const p = await t.pair();
    const ids = [(await share(p)).id, (await share(p)).id, (await share(p)).id];
    await share(p, { stage: "filed" }); // not matched by the filter: never audited
    await grant(p, { rule: "all" });
    const reader = coord(p, "proc");
    const first = await get("/v1/case-records?stage=judged&limit=2", reader);
    expect(first.body.items).toHaveLength(2);
    expect(await auditRows(p)).toHaveLength(2);
    const second = await get(`/v1/case-records?stage=judged&limit=2&cursor=${first.body.nextCursor}`, reader);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const rows = await auditRows(p);
    const returned = [...first.body.items, ...second.body.items].map((i: { id: string }) => i.id);
    expect(returned.sort()).toEqual([...ids].sort());
    expect(rows.map((a) => a.case_record_id).sort()).toEqual([...ids].sort());
    expect(rows.every((a) => a.action === "search" && JSON.parse(a.query!).stage === "judged")).toBe(true);
  });

  it("records a copy with its purpose; without a purpose 400 and nothing recorded", async () => {
    const p = await t.pair();
    const r = await share(p);
    await grant(p, { caseRecordId: r.id });
    const reader = p.user("proc", "handler");
    expectProblem(await post(`/v1/case-records/${r.id}/copy`, reader, {}), 400, "validation_failed");
    expectProblem(
      await post(`/v1/case-records/${r.id}/copy`, reader, { purpose: "  " }),
      400,
      "validation_failed",
    );
    const unknown = await post(`/v1/case-records/${r.id}/copy`, reader, {
      purpose: "审查",
      material: ["d".repeat(64)],
    });
    expectProblem(unknown, 400, "validation_failed");
    expect(await auditRows(p)).toHaveLength(0);
    const res = await post(`/v1/case-records/${r.id}/copy`, reader, {
      purpose: "办理抗诉审查需要",
      material: ["B".repeat(64)],
    });
    expect(res.status).toBe(200);
    expect(res.body.material).toEqual([r.material[0]]);
    expect(res.body.purpose).toBe("办理抗诉审查需要");
    const rows = await auditRows(p);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "copy", purpose: "办理抗诉审查需要", actor_id: reader.id });
    expect(JSON.parse(rows[0]!.query!)).toEqual({ material: ["b".repeat(64)] });
  });

  it("records one 'export' row per exported record; the CSV has Chinese headers", async () => {
    const p = await t.pair();
    await share(p);
    await share(p, { caseNumber: "(2026)示0102刑初9号", summary: '含有,逗号和"引号"' });
    await grant(p, { rule: "all" });
    const res = await t.request("/v1/case-records/export", { as: coord(p, "proc") });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const lines = String(res.body)
      .replace(/^\ufeff/, "")
      .trim()
      .split("\r\n");
    expect(lines[0]).toBe(
      "案号,法院,案件类型,领域,当事人,阶段,立案日期,裁判日期,调解日期,执行立案日期,结案日期,摘要,起诉罪名,判决罪名,提供单位",
    );
    expect(lines).toHaveLength(3);
    expect(res.body).toContain('"含有,逗号和""引号"""');
    const rows = await auditRows(p);
    expect(rows).toHaveLength(2);
    expect(rows.every((a) => a.action === "export")).toBe(true);
  });

  it("lets the owner read and filter the audit; the counterpart reads none of it", async () => {
    const p = await t.pair();
    const a = await share(p);
    const b = await share(p);
    await grant(p, { rule: "all" });
    const h = p.user("proc", "handler");
    await get(`/v1/case-records/${a.id}`, h);
    await get(`/v1/case-records/${b.id}`, coord(p, "proc"));
    await post(`/v1/case-records/${a.id}/copy`, h, { purpose: "审查" });
    const all = await get("/v1/case-access-log", p.user("court", "auditor"));
    expect(all.body.items).toHaveLength(3);
    expect(all.body.items[0].action.label).toEqual({ zh: "复制", en: "Copy" });
    expect(all.body.items[0].actor).toMatchObject({ id: h.id, org: { id: p.procuratorate.id } });
    const byActor = await get(`/v1/case-access-log?actorId=${h.id}&action=read`, coord(p));
    expect(byActor.body.items.map((i: { caseRecord: { id: string } }) => i.caseRecord.id)).toEqual([a.id]);
    const byRecord = await get(`/v1/case-access-log?caseRecordId=${b.id}`, coord(p));
    expect(byRecord.body.items).toHaveLength(1);
    const paged = await get("/v1/case-access-log?limit=2", coord(p));
    const rest = await get(`/v1/case-access-log?limit=2&cursor=${paged.body.nextCursor}`, coord(p));
    expect([...paged.body.items, ...rest.body.items]).toHaveLength(3);
    const later = await get("/v1/case-access-log?from=2026-09-02T00:00:00Z", coord(p));
    expect(later.body.items).toEqual([]);
    expect((await get("/v1/case-access-log", coord(p, "proc"))).body.items).toEqual([]);
  });

  it("is append-only: UPDATE and DELETE on the audit fail", async () => {
    const p = await t.pair();
    const r = await share(p);
    await grant(p, { rule: "all" });
    await get(`/v1/case-records/${r.id}`, coord(p, "proc"));
    await expect(t.deps.db.run(sql`update case_access_log set purpose = 'x'`)).rejects.toThrow();
    await expect(t.deps.db.run(sql`delete from case_access_log`)).rejects.toThrow();
    expect(await auditRows(p)).toHaveLength(1);
  });
});

describe("revoking a grant", () => {
  it("makes the record 404 on detail and copy and absent from search; the audit stays", async () => {
    const p = await t.pair();
    const r = await share(p);
    const g = await grant(p, { caseRecordId: r.id });
    const reader = coord(p, "proc");
    expect((await get(`/v1/case-records/${r.id}`, reader)).status).toBe(200);
    expectProblem(await post(`/v1/case-grants/${g.id}/revoke`, reader, {}), 403, "not_owner");
    const rev = await post(`/v1/case-grants/${g.id}/revoke`, coord(p), { note: "案件已移送" });
    expect(rev.status).toBe(200);
    expect(rev.body.status).toEqual({ code: "revoked", label: { zh: "已撤销", en: "Revoked" } });
    expect(rev.body.revokedBy.id).toBe(coord(p).id);
    expectProblem(await post(`/v1/case-grants/${g.id}/revoke`, coord(p), {}), 409, "already_revoked");
    expectProblem(await get(`/v1/case-records/${r.id}`, reader), 404);
    expectProblem(await post(`/v1/case-records/${r.id}/copy`, reader, { purpose: "审查" }), 404);
    expect((await get("/v1/case-records", reader)).body.items).toEqual([]);
    const rows = await auditRows(p);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.grant_id).toBe(g.id);
    const grants = await get("/v1/case-grants?status=revoked", reader);
    expect(grants.body.items.map((x: { id: string }) => x.id)).toEqual([g.id]);
  });

  it("is 404 to another pair and refuses a grant twice", async () => {
    const p = await t.pair();
    const other = await t.pair();
    const r = await share(p);
    const g = await grant(p, { caseRecordId: r.id });
    expectProblem(await post(`/v1/case-grants/${g.id}/revoke`, coord(other), {}), 404);
    const twice = await post(
      "/v1/case-grants",
      coord(p),
      { caseRecordId: r.id },
      { "idempotency-key": key() },
    );
    expectProblem(twice, 409, "already_granted");
  });
});

describe("GET /v1/case-grants/{id}", () => {
  it("answers the grant a case_grant webhook links to, to its owner and grantee only (else 404)", async () => {
    const p = await t.pair();
    const r = await share(p);
    const g = await grant(p, { caseRecordId: r.id });
    const href = `/v1/case-grants/${g.id}`;
    const events = await t.deps.db.all<{ payload: string }>(
      sql`select payload from webhook_events where payload like ${`%${href}%`}`,
    );
    expect(events.length).toBeGreaterThan(0);
    for (const who of [coord(p), p.user("proc", "handler")]) {
      const res = await get(href, who);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ id: g.id, caseRecordId: r.id, status: { code: "active" } });
    }
    const other = await t.pair();
    expectProblem(await get(href, other.user("court", "coordinator")), 404);
    expectProblem(await get("/v1/case-grants/nope", coord(p)), 404);
  });
});

describe("rule grants", () => {
  it("'with_supervision_document' opens only the records whose 案号 is on a document between the two", async () => {
    const p = await t.pair();
    const other = await t.pair();
    const onDoc = await share(p, { caseNumber: "(2026)示0102刑初501号" });
    const onOtherPairsDoc = await share(p, { caseNumber: "(2026)示0102刑初502号" });
    const onWithdrawnDoc = await share(p, { caseNumber: "(2026)示0102刑初503号" });
    const plain = await share(p, { caseNumber: "(2026)示0102刑初504号" });
    await sendDoc(p, ["（2026）示0102刑初第５０１号"]);
    await sendDoc(other, ["(2026)示0102刑初502号"]);
    const w = await sendDoc(p, ["(2026)示0102刑初503号"]);
    expect(
      (await post(`/v1/documents/${w.id}/withdraw`, p.user("proc", "handler"), { note: "文号有误" })).status,
    ).toBe(200);
    const g = await grant(p, { rule: "with_supervision_document" });
    expect(g.rule).toEqual({
      code: "with_supervision_document",
      label: { zh: "有监督文书的案件", en: "Cases with a supervision document" },
    });
    const reader = coord(p, "proc");
    const seen = (await get("/v1/case-records", reader)).body.items.map((i: { id: string }) => i.id);
    expect(seen).toEqual([onDoc.id]);
    expect((await get(`/v1/case-records/${onDoc.id}`, reader)).body.access.grantId).toBe(g.id);
    for (const hidden of [onOtherPairsDoc, onWithdrawnDoc, plain])
      expectProblem(await get(`/v1/case-records/${hidden.id}`, reader), 404);
    // a new document on a case opens it at once, with no change to the grant
    await sendDoc(p, ["(2026)示0102刑初504号"]);
    expect((await get(`/v1/case-records/${plain.id}`, reader)).status).toBe(200);
  });

  it("'all' opens every record of the owner, not the counterpart's own to the owner", async () => {
    const p = await t.pair();
    const a = await share(p);
    const procsOwn = await post("/v1/case-records", coord(p, "proc"), record(), { "idempotency-key": key() });
    await grant(p, { rule: "all" });
    expect((await get(`/v1/case-records/${a.id}`, coord(p, "proc"))).status).toBe(200);
    expectProblem(await get(`/v1/case-records/${procsOwn.body.id}`, coord(p)), 404);
  });

  it("refuses a grant of a record the caller's institution does not own (403) and a non-coordinator", async () => {
    const p = await t.pair();
    const r = await share(p);
    await grant(p, { caseRecordId: r.id });
    const proc = await post(
      "/v1/case-grants",
      coord(p, "proc"),
      { caseRecordId: r.id },
      { "idempotency-key": key() },
    );
    expectProblem(proc, 403, "not_owner");
    const judge = await post(
      "/v1/case-grants",
      p.user("court", "handler"),
      { rule: "all" },
      { "idempotency-key": key() },
    );
    expectProblem(judge, 403, "not_coordinating_department");
    const both = await post(
      "/v1/case-grants",
      coord(p),
      { rule: "all", caseRecordId: r.id },
      { "idempotency-key": key() },
    );
    expectProblem(both, 400, "validation_failed");
  });
});

describe("search", () => {
  it("finds a 案号 written in any bracket, digit width and 第…号 form, and shows its supervision documents", async () => {
    const p = await t.pair();
    const r = await share(p, { caseNumber: "(2026)京0105民初123号", caseType: "civil", area: null });
    const doc = await sendDoc(p, ["〔2026〕京0105民初１２３号"]);
    for (const q of [
      "（2026）京0105民初１２３号",
      "(2026)京0105民初123号",
      "［2026］京0105民初第123号",
      " (2026) 京0105民初 123 ",
    ]) {
      const res = await get(`/v1/case-records?caseNumber=${encodeURIComponent(q)}`, coord(p));
      expect(
        res.body.items.map((i: { id: string }) => i.id),
        q,
      ).toEqual([r.id]);
      expect(res.body.supervisionDocuments.map((d: { id: string }) => d.id)).toEqual([doc.id]);
    }
    const miss = await get(
      `/v1/case-records?caseNumber=${encodeURIComponent("(2026)京0105民初1234号")}`,
      coord(p),
    );
    expect(miss.body.items).toEqual([]);
    const detail = await get(`/v1/case-records/${r.id}`, coord(p));
    expect(detail.body.supervisionDocuments).toHaveLength(1);
    expect(detail.body.supervisionDocuments[0].type.label.zh).toBe("刑事二审抗诉书");
    expect(detail.body.timeline.map((e: { type: string }) => e.type)).toEqual(["created"]);
  });

  it("finds by part of a party's name (normalised) and by stage and case type", async () => {
    const p = await t.pair();
    const a = await share(p, {
      parties: [{ name: "示范ＡＢＣ 科技有限公司", role: "原告" }],
      caseType: "civil",
      stage: "filed",
    });
    await share(p, { parties: [{ name: "李某", role: "被告人" }] });
    const q = (s: string) => get(`/v1/case-records?${s}`, coord(p));
    expect(
      (await q(`party=${encodeURIComponent("abc科技")}`)).body.items.map((i: { id: string }) => i.id),
    ).toEqual([a.id]);
    expect((await q("stage=filed")).body.items.map((i: { id: string }) => i.id)).toEqual([a.id]);
    expect((await q("caseType=civil")).body.items.map((i: { id: string }) => i.id)).toEqual([a.id]);
    expect((await q("caseType=criminal&owner=mine")).body.items).toHaveLength(1);
    expect((await q("owner=shared")).body.items).toEqual([]);
  });
});

describe("PATCH /v1/case-records/{id}", () => {
  it("lets the owner change stage and dates; the counterpart 403 not_owner; another pair 404", async () => {
    const p = await t.pair();
    const other = await t.pair();
    const r = await share(p, { stage: "trial", keyDates: { filedOn: "2026-03-02" } });
    await grant(p, { caseRecordId: r.id });
    const res = await t.request(`/v1/case-records/${r.id}`, {
      method: "PATCH",
      as: coord(p),
      json: { stage: "judged", keyDates: { judgedOn: "2026-08-20" } },
    });
    expect(res.status).toBe(200);
    expect(res.body.stage.code).toBe("judged");
    expect(res.body.keyDates).toEqual({ filedOn: "2026-03-02", judgedOn: "2026-08-20" });
    const proc = await t.request(`/v1/case-records/${r.id}`, {
      method: "PATCH",
      as: coord(p, "proc"),
      json: { stage: "closed" },
    });
    expectProblem(proc, 403, "not_owner");
    const out = await t.request(`/v1/case-records/${r.id}`, {
      method: "PATCH",
      as: coord(other),
      json: { stage: "closed" },
    });
    expectProblem(out, 404);
    const after = await get(`/v1/case-records/${r.id}`, coord(p));
    expect(after.body.stage.code).toBe("judged");
    expect(after.body.timeline.map((e: { type: string }) => e.type)).toEqual(["created", "updated"]);
  });
});

describe("POST /v1/case-records/import", () => {
  // A CSV file travels as text/csv (as exported) or as { csv } in a JSON body.
  const importAs = (p: Pair, body: string, type = "csv", headers: Record<string, string> = {}) =>
    type === "csv"
      ? t.request("/v1/case-records/import", { method: "POST", as: coord(p), json: { csv: body } })
      : t.request("/v1/case-records/import", {
          method: "POST",
          as: coord(p),
          body,
          headers: { "content-type": type, ...headers },
        });

  const HEADER = "案号,法院,案件类型,领域,当事人,阶段,立案日期,裁判日期,摘要,起诉罪名,判决罪名";

  it("imports every row of a CSV with Chinese headers and labels in one go", async () => {
    const p = await t.pair();
    const csv = [
      `\ufeff${HEADER}`,
      '(2026)示0102刑初601号,测试区人民法院,刑事,电信诈骗,张某(被告人);李某(被害人),已裁判,2026-01-05,2026-04-01,"摘要,含逗号",诈骗罪,诈骗罪',
      "(2026)示0102民初602号,测试区人民法院,civil,,示范公司(原告),filed,2026-02-01,,,,",
    ].join("\r\n");
    const res = await importAs(p, csv);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ received: 2, imported: 2, errors: [] });
    const list = await get("/v1/case-records", coord(p));
    expect(list.body.items).toHaveLength(2);
    const first = list.body.items.find((i: { caseKey: string }) => i.caseKey === "(2026)示0102刑初601");
    expect(first).toMatchObject({ source: "import", importId: res.body.importId, summary: "摘要,含逗号" });
    expect(first.parties).toEqual([
      { name: "张某", role: "被告人" },
      { name: "李某", role: "被害人" },
    ]);
  });

  it("refuses the whole file with a per-row report when any row is bad, and writes nothing", async () => {
    const p = await t.pair();
    await share(p, { caseNumber: "(2026)示0102刑初700号" });
    const csv = [
      HEADER,
      "(2026)示0102刑初701号,测试区人民法院,刑事,,张某,已裁判,2026-01-05,,,,", // fine
      "(2026)示0102刑初702号,测试区人民法院,税务,,张某,已裁判,2026-13-05,,,,", // type, date
      ",测试区人民法院,刑事,,,已裁判,,,,,", // no 案号, no party
      "（2026）示0102刑初７０１号,测试区人民法院,刑事,,王某,已裁判,,,,,", // same 案号 as row 1
    ].join("\n");
    const res = await importAs(p, csv);
    expect(res.status).toBe(422);
    expect(res.body.imported).toBe(0);
    const by = (row: number) =>
      res.body.errors
        .filter((e: { row: number }) => e.row === row)
        .map((e: { field: string; code: string }) => `${e.field}:${e.code}`);
    expect(by(1)).toEqual([]);
    expect(by(2)).toEqual(expect.arrayContaining(["caseType:unknown_code", "filedOn:custom"]));
    expect(by(3)).toEqual(expect.arrayContaining(["caseNumber:required", "parties:required"]));
    expect(by(4)).toEqual(["caseNumber:duplicate_in_file"]);
    expect((await get("/v1/case-records", coord(p))).body.items).toHaveLength(1);

    // rows that are each valid but whose 案号 is already shared: still nothing imported
    const dup = await importAs(
      p,
      [
        HEADER,
        "(2026)示0102刑初701号,院,刑事,,张某,已裁判,,,,,",
        "(2026)示0102刑初第700号,院,刑事,,张某,已裁判,,,,,",
      ].join("\n"),
    );
    expect(dup.status).toBe(422);
    expect(dup.body.errors).toEqual([
      { row: 2, field: "caseNumber", code: "duplicate_case_number", message: expect.any(String) },
    ]);
    expect((await get("/v1/case-records", coord(p))).body.items).toHaveLength(1);
  });

  it("refuses a row with more fields than the header and a header named twice; nothing written", async () => {
    const p = await t.pair();
    // An unquoted comma in 摘要 shifts the row: the text after it would be lost.
    const extra = await importAs(
      p,
      [
        HEADER,
        "(2026)示0102刑初1201号,测试区人民法院,刑事,,张某,已裁判,,,摘要前半,后半,诈骗罪,诈骗罪",
        "(2026)示0102刑初1202号,测试区人民法院,刑事,,张某,已裁判,,,,,",
      ].join("\n"),
    );
    expect(extra.status, JSON.stringify(extra.body)).toBe(422);
    expect(extra.body.imported).toBe(0);
    expect(extra.body.errors).toEqual([
      { row: 1, field: "", code: "too_many_fields", message: expect.any(String) },
    ]);
    // 案号 twice in the header: the last would win silently.
    const twice = await importAs(
      p,
      [
        "案号,法院,案件类型,当事人,阶段,案号",
        "(2026)示0102刑初1203号,院,刑事,张某,已裁判,(2026)示0102刑初1204号",
      ].join("\n"),
    );
    expect(twice.status, JSON.stringify(twice.body)).toBe(422);
    expect(twice.body.errors).toEqual([
      { row: 0, field: "案号", code: "duplicate_column", message: expect.any(String) },
    ]);
    expect((await get("/v1/case-records", coord(p))).body.items).toEqual([]);
  });

  it("reports rows clashing with shared 案号 in the same answer as invalid rows", async () => {
    const p = await t.pair();
    await share(p, { caseNumber: "(2026)示0102刑初1300号" });
    const res = await importAs(
      p,
      [
        HEADER,
        "(2026)示0102刑初1300号,院,刑事,,张某,已裁判,,,,,", // already shared
        "(2026)示0102刑初1301号,院,税务,,张某,已裁判,,,,,", // bad type
        "(2026)示0102刑初1302号,院,刑事,,张某,已裁判,,,,,", // fine
      ].join("\n"),
    );
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { row: number; code: string }) => `${e.row}:${e.code}`)).toEqual([
      "1:duplicate_case_number",
      "2:unknown_code",
    ]);
    expect((await get("/v1/case-records", coord(p))).body.items).toHaveLength(1);
  });

  it("re-imports an exported file into the counterpart's own records unchanged (提供单位 ignored, formulas restored)", async () => {
    const p = await t.pair();
    const a = await share(p, { summary: "=1+1 不是公式", chargeJudged: "-诈骗罪" });
    const b = await share(p, {
      caseNumber: "(2026)民初1401号",
      caseType: "civil",
      area: null,
      stage: "filed",
      parties: [{ name: "示范公司", role: "原告" }, { name: "李某" }],
      keyDates: { filedOn: "2026-02-01" },
      summary: "'@已带引号",
      chargeProsecuted: null,
      chargeJudged: null,
    });
    await grant(p, { rule: "all" });
    const exported = await t.request("/v1/case-records/export", { as: coord(p, "proc") });
    expect(exported.status).toBe(200);
    expect(String(exported.body)).toContain("'=1+1 不是公式");
    const res = await t.request("/v1/case-records/import", {
      method: "POST",
      as: coord(p, "proc"),
      json: { csv: String(exported.body) },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ received: 2, imported: 2, errors: [] });
    const mine = (await get("/v1/case-records?owner=mine", coord(p, "proc"))).body.items;
    const fields = (r: Record<string, unknown>) => ({
      caseNumber: r.caseNumber,
      courtName: r.courtName,
      caseType: r.caseType,
      area: r.area,
      stage: r.stage,
      parties: r.parties,
      keyDates: r.keyDates,
      summary: r.summary,
      charges: r.charges,
    });
    expect(
      mine
        .map(fields)
        .sort((x: { caseNumber: string }, y: { caseNumber: string }) =>
          x.caseNumber.localeCompare(y.caseNumber),
        ),
    ).toEqual([a, b].map(fields).sort((x, y) => String(x.caseNumber).localeCompare(String(y.caseNumber))));
    expect(mine.map((r: { owner: { kind: { code: string } } }) => r.owner.kind.code)).toEqual([
      "procuratorate",
      "procuratorate",
    ]);
  });

  it("accepts a JSON array with English keys and refuses unknown columns", async () => {
    const p = await t.pair();
    const rows = [
      {
        caseNumber: "(2026)示0102执801号",
        courtName: "测试区人民法院",
        caseType: "enforcement",
        stage: "enforcement",
        parties: [{ name: "赵某", role: "被执行人" }],
      },
    ];
    const ok = await importAs(p, JSON.stringify(rows), "application/json");
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.imported).toBe(1);
    const bad = await importAs(
      p,
      JSON.stringify([{ ...rows[0], caseNumber: "(2026)示0102执802号", secret: 1 }]),
      "application/json",
    );
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([
      { row: 1, field: "secret", code: "unknown_column", message: expect.any(String) },
    ]);
    expectProblem(await importAs(p, "x", "text/plain"), 415, "unsupported_media_type");
  });

  it("takes a CSV file as text/csv through the request gate, with its own 2 MB limit", async () => {
    const p = await t.pair();
    const csv = `${HEADER}\n(2026)示0102刑初950号,测试区人民法院,刑事,,张某(被告人),已裁判,,,,,`;
    // A real client sends a content-length: the app's JSON-only gate runs (app.request alone skips it).
    const bytes = new TextEncoder().encode(csv).length;
    const res = await importAs(p, csv, "text/csv; charset=utf-8", { "content-length": String(bytes) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ received: 1, imported: 1 });
    // Bigger than the general 1 MB body limit but within the import's 2 MB: admitted to the route.
    const big = `${HEADER}\n${"(2026)示0102刑初951号,院,刑事,,张某,已裁判,,,,,\n".repeat(30_000)}`;
    const size = new TextEncoder().encode(big).length;
    expect(size).toBeGreaterThan(1024 * 1024);
    const tooMany = await importAs(p, big, "text/csv", { "content-length": String(size) });
    expectProblem(tooMany, 413, "file_too_large");
    // Another text type is still refused at the gate.
    expectProblem(
      await importAs(p, "x", "text/plain", { "content-length": "1" }),
      415,
      "unsupported_media_type",
    );
  });

  it("is for the coordinating department only", async () => {
    const p = await t.pair();
    const res = await t.request("/v1/case-records/import", {
      method: "POST",
      as: p.user("court", "handler"),
      json: { csv: `${HEADER}\n(2026)示0102刑初901号,院,刑事,,张某,已裁判,,,,,` },
    });
    expectProblem(res, 403, "not_coordinating_department");
    const bad = await t.request("/v1/case-records/import", {
      method: "POST",
      as: p.user("court", "handler"),
      json: { csv: `${HEADER}\n,院,刑事,,张某,已裁判,,,,,` },
    });
    expectProblem(bad, 403, "not_coordinating_department");
    expect((await get("/v1/case-records", coord(p))).body.items).toEqual([]);
  });
});
