// Statistics of a pair and period, the city roll-up, exports, and the retrial result in the
// documents flow. The fixture is counted by hand in the comments; every figure is checked against it.
import { sql } from "drizzle-orm";
import readXlsxFile from "read-excel-file/node";
import { beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;
let t: TestApp;
let city: Pair;
let p: Pair; // the basic pair under `city` with the hand-counted documents
let q: Pair; // a second basic pair under `city`
let otherCity: Pair;
let r: Pair; // a basic pair under `otherCity`
let n = 0;

/** 10:00 China time of a day. */
const cst = (day: string) => new Date(`${day}T10:00:00+08:00`);
const post = (path: string, as: { id: string }, json: unknown = {}) =>
  t.request(path, { method: "POST", as, json });

/**
 * A document sent today (the clock's day) by `from`, received and assigned on `receivedOn` unless
 * `stop` says where it stays.
 */
async function doc(
  pair: Pair,
  o: { type: string; from?: "proc" | "court"; receivedOn?: string; stop?: "sent" | "withdrawn" },
) {
  const from = o.from ?? "proc";
  const to = from === "proc" ? "court" : "proc";
  const sent = await t.request("/v1/documents", {
    method: "POST",
    as: pair.user(from, "handler"),
    headers: { "idempotency-key": `stats-${++n}-${Math.random()}` },
    json: {
      type: o.type,
      docNumber: `统计〔2026〕${n}号`,
      caseNumbers: [`(2026)统${n}号`],
      caseCategory: o.type.endsWith("criminal") ? "criminal" : "civil",
      title: `统计用文书${n}`,
      ...(o.type === "judicial_suggestion" ? { periodDays: 30 } : {}),
    },
  });
  expect(sent.status).toBe(201);
  const id: string = sent.body.id;
  if (o.stop === "sent") return id;
  if (o.stop === "withdrawn") {
    expect((await post(`/v1/documents/${id}/withdraw`, pair.user(from, "handler"))).status).toBe(200);
    return id;
  }
  const recv = await post(`/v1/documents/${id}/receive`, pair.user(to, "registrar"), {
    receivedOn: o.receivedOn,
  });
  expect(recv.status).toBe(200);
  const org = to === "court" ? pair.court : pair.procuratorate;
  const dept = to === "court" ? "民事审判第一庭" : "第六检察部(民事检察)";
  const assigned = await post(`/v1/documents/${id}/assign`, pair.user(to, "registrar"), {
    departmentId: pair.dept(org.id, dept).id,
    handlerId: pair.user(to, "handler").id,
  });
  expect(assigned.status).toBe(200);
  return id;
}

async function reply(pair: Pair, id: string, repliedOn: string, retrialRuled?: boolean, to = "court") {
  const res = await post(`/v1/documents/${id}/reply`, pair.user(to as "court", "handler"), {
    content: "书面回复",
    decision: "adopted",
    repliedOn,
    ...(retrialRuled === undefined ? {} : { retrialRuled }),
  });
  expect(res.status).toBe(200);
  return res.body;
}

async function ack(pair: Pair, id: string, result: string, from: "proc" | "court" = "proc") {
  const res = await post(`/v1/documents/${id}/acknowledge`, pair.user(from, "handler"), {
    result,
    ...(result === "not_accepted" ? { reason: "回复未落实" } : {}),
  });
  expect(res.status).toBe(200);
}

type DocKey = "h1a" | "h1b" | "g1" | "g2" | "g3" | "g4" | "p5" | "p6" | "p8" | "rs7" | "e9" | "g10" | "g11";
const ids = {} as Record<DocKey | "j12" | "q1" | "r1", string>;

beforeAll(async () => {
  t = await setup({ clock: fixedClock(cst("2026-03-02")) });
  city = await t.pair({ level: "city" });
  p = await t.pair({ parentId: city.jurisdiction.id });
  q = await t.pair({ parentId: city.jurisdiction.id });
  otherCity = await t.pair({ level: "city" });
  r = await t.pair({ parentId: otherCity.jurisdiction.id });

  // ── 2026-H1 (sent Mon 03-02) ──
  ids.h1a = await doc(p, { type: "suggestion.general", receivedOn: "2026-03-02" });
  t.clock.set(cst("2026-03-03"));
  await reply(p, ids.h1a, "2026-03-03"); // 1 working day
  await ack(p, ids.h1a, "accepted");
  t.clock.set(cst("2026-03-02"));
  ids.h1b = await doc(p, { type: "judicial_suggestion", from: "court", stop: "sent" });

  // ── 2026-H2 (sent Tue 09-01, received that day) ──
  t.clock.set(cst("2026-09-01"));
  const recv = { receivedOn: "2026-09-01" };
  for (const k of ["g1", "g2", "g3", "g4"] as const)
    ids[k] = await doc(p, { type: "suggestion.general", ...recv });
  for (const k of ["p5", "p6", "p8"] as const) ids[k] = await doc(p, { type: "protest.civil", ...recv });
  ids.rs7 = await doc(p, { type: "retrial_suggestion.civil", ...recv });
  ids.e9 = await doc(p, { type: "suggestion.enforcement", ...recv });
  ids.g10 = await doc(p, { type: "suggestion.general", stop: "sent" });
  ids.g11 = await doc(p, { type: "suggestion.general", stop: "withdrawn" });
  ids.j12 = await doc(p, { type: "judicial_suggestion", from: "court", ...recv });
  // The other pairs: one document each, sent and left.
  ids.q1 = await doc(q, { type: "suggestion.general", stop: "sent" });
  ids.r1 = await doc(r, { type: "suggestion.general", stop: "sent" });

  t.clock.set(cst("2026-11-16"));
  // Working days after receipt on 09-01 (Tue), 调休 counted: 09-04 Fri = 3; 09-07 Mon = 4 (weekend);
  // 09-21 = 15 (Sun 09-20 is a make-up working day); 09-28 = 19 (中秋 09-25..27); 10-09 = 23 (国庆).
  await reply(p, ids.g1, "2026-09-04");
  await ack(p, ids.g1, "accepted");
  await reply(p, ids.g2, "2026-09-07");
  await ack(p, ids.g2, "not_accepted"); // follow-up by the city procuratorate
  await reply(p, ids.g3, "2026-09-21");
  await ack(p, ids.g3, "partly_accepted");
  await reply(p, ids.g4, "2026-09-28");
  await reply(p, ids.p5, "2026-10-09", true); // due 10-08 (30 days → 10-01, 国庆 → 10-08): late
  await reply(p, ids.p6, "2026-09-07", true);
  await reply(p, ids.rs7, "2026-09-04", false);
  await reply(p, ids.j12, "2026-09-02", undefined, "proc"); // 1 working day
  await ack(p, ids.j12, "accepted", "court");

  // 诉判不一: written through the database (the case-record routes are another engineer's, in progress).
  const now = cst("2026-09-01").toISOString();
  const rec = (n: number, caseType: string, prosecuted: string | null, judged: string | null) =>
    sql`(${`cr-${n}`}, ${p.jurisdiction.id}, ${p.court.id}, ${`(2026)统刑${n}号`}, ${`2026统刑${n}`},
      '法院', ${caseType}, 'judgment', '[]', '', '{}', ${prosecuted}, ${judged}, 'manual', ${now}, ${now})`;
  await t.deps.db.run(sql`insert into case_records (id, jurisdiction_id, owner_org_id, case_number,
      case_key, court_name, case_type, stage, parties, party_keys, key_dates, charge_prosecuted,
      charge_judged, source, created_at, updated_at) values
    ${rec(1, "criminal", "故意伤害罪", "故意伤害罪")}, ${rec(2, "criminal", "诈骗罪", "合同诈骗罪")},
    ${rec(3, "criminal", "盗窃罪　", " 盗 窃罪")}, ${rec(4, "criminal", "抢劫罪", null)},
    ${rec(5, "civil", "x", "y")}`);
  // Referral notices and periodic reports, written the same way.
  const ex = (id: string, kind: string, subkind: string, status: string, extra: Record<string, unknown>) =>
    sql`(${id}, ${p.jurisdiction.id}, ${kind}, ${subkind}, ${p.court.id}, ${p.procuratorate.id}, ${status},
      '通报', ${(extra.dueOn as string) ?? null}, ${(extra.period as string) ?? null},
      ${JSON.stringify(extra.body ?? {})}, ${(extra.createdAt as string) ?? now}, ${now})`;
  await t.deps.db.run(sql`insert into exchanges (id, jurisdiction_id, kind, subkind, sender_org_id,
      recipient_org_id, status, title, due_on, period, body, created_at, updated_at) values
    ${ex("x1", "referral", "false_litigation", "sent", {})},
    ${ex("x2", "referral", "false_litigation", "handled", {})},
    ${ex("x3", "referral", "refusal_to_execute", "sent", { createdAt: "2025-12-31T15:59:59.000Z" })},
    ${ex("x4", "report", "minors", "submitted", { period: "2026-07", dueOn: "2026-08-14", body: { late: true } })},
    ${ex("x5", "report", "minors", "read", { period: "2026-06", dueOn: "2026-07-14", body: { late: false } })},
    ${ex("x6", "report", "minors", "due", { period: "2026-09", dueOn: "2026-10-20" })},
    ${ex("x7", "report", "minors", "due", { period: "2025-12", dueOn: "2026-01-14" })}`);
});

const stats = (as: { id: string }, query = "period=2026-H2") => t.request(`/v1/statistics?${query}`, { as });
const table = (body: any, key: string) => body.tables.find((x: any) => x.key === key);
const row = (tb: any, dims: Record<string, string>) =>
  tb.rows.find((x: any) => Object.entries(dims).every(([k, v]) => x.dims[k]?.code === v));
const values = (rw: any) => Object.fromEntries(Object.entries(rw.figures).map(([k, f]: any) => [k, f.value]));

describe("POST /v1/documents/{id}/retrial-result", () => {
  it("records the retrial's result once, on the timeline, in the detail and the list", async () => {
    const as = p.user("court", "registrar");
    expectProblem(
      await post(`/v1/documents/${ids.p5}/retrial-result`, p.user("proc", "leader"), {
        result: "changed",
        decidedOn: "2026-11-10",
      }),
      403,
    );
    expectProblem(
      await post(`/v1/documents/${ids.p5}/retrial-result`, as, {
        result: "changed",
        decidedOn: "2026-11-17",
      }),
      400,
      "validation_failed",
    );
    expectProblem(
      await post(`/v1/documents/${ids.p5}/retrial-result`, as, {
        result: "changed",
        decidedOn: "2026-10-08",
      }),
      422,
      "decided_before_reply",
    );
    const done = await post(`/v1/documents/${ids.p5}/retrial-result`, as, {
      result: "changed",
      decidedOn: "2026-11-10",
    });
    expect(done.status).toBe(200);
    expect(done.body.retrialResult).toEqual({
      code: "changed",
      label: { zh: "改判", en: "Judgment changed" },
    });
    expect(done.body.retrialResultOn).toBe("2026-11-10");
    expectProblem(
      await post(`/v1/documents/${ids.p5}/retrial-result`, as, { result: "upheld", decidedOn: "2026-11-10" }),
      409,
      "retrial_result_recorded",
    );
    // No retrial was ruled (a retrial suggestion answered "no"), or not yet replied.
    expectProblem(
      await post(`/v1/documents/${ids.rs7}/retrial-result`, as, {
        result: "upheld",
        decidedOn: "2026-11-10",
      }),
      409,
      "no_retrial_ruled",
    );
    expectProblem(
      await post(`/v1/documents/${ids.p8}/retrial-result`, as, { result: "upheld", decidedOn: "2026-11-10" }),
      409,
      "not_yet_replied",
    );
    const detail = await t.request(`/v1/documents/${ids.p5}`, { as: p.user("proc", "handler") });
    const ev = detail.body.timeline.find((e: any) => e.type === "retrial_result");
    expect(ev.label.zh).toBe("登记再审结果");
    expect(ev.changes.retrialResult).toEqual({ before: null, after: "changed" });
    const list = await t.request("/v1/documents?box=outbox&retrialResult=changed", {
      as: p.user("proc", "handler"),
    });
    expect(list.body.items.map((d: any) => d.id)).toEqual([ids.p5]);
    expect(list.body.items[0].retrialResultOn).toBe("2026-11-10");
    const outbox = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from webhook_events where type = 'document.retrial_result'`,
    );
    expect(outbox[0]!.n).toBe(1);
  });
});

describe("GET /v1/statistics", () => {
  it("counts the pair's documents sent in the period by direction, type and status", async () => {
    const res = await stats(p.user("court", "auditor"));
    expect(res.status).toBe(200);
    expect(res.body.period).toMatchObject({ key: "2026-H2", from: "2026-07-01", to: "2026-12-31" });
    expect(res.body.pair.id).toBe(p.jurisdiction.id);
    const docs = table(res.body, "documents");
    expect(values(row(docs, { direction: "procuratorate", type: "suggestion.general" }))).toMatchObject({
      total: 6,
      sent: 1,
      replied: 1,
      acknowledged: 3,
      withdrawn: 1,
    });
    expect(values(row(docs, { direction: "procuratorate", type: "total" }))).toEqual({
      total: 11,
      sent: 1,
      received: 0,
      assigned: 2,
      replied: 4,
      acknowledged: 3,
      withdrawn: 1,
    });
    expect(values(row(docs, { direction: "court", type: "total" }))).toMatchObject({
      total: 1,
      acknowledged: 1,
    });
    // The first half-year and the whole year.
    const h1 = table((await stats(p.user("court", "auditor"), "period=2026-H1")).body, "documents");
    expect(values(row(h1, { direction: "procuratorate", type: "total" }))).toMatchObject({
      total: 1,
      acknowledged: 1,
    });
    expect(values(row(h1, { direction: "court", type: "total" }))).toMatchObject({ total: 1, sent: 1 });
    const year = table((await stats(p.user("court", "auditor"), "period=2026")).body, "documents");
    expect(values(row(year, { direction: "procuratorate", type: "total" })).total).toBe(12);
  });

  it("measures reply timeliness in working days (weekends, holidays, 调休) and acceptance", async () => {
    const res = await stats(p.user("proc", "leader"));
    const rep = table(res.body, "replies");
    // Replied: 3, 4, 15, 19, 23 (late), 4, 3 working days → sorted 3 3 4 4 15 19 23; mean 71/7;
    // p90 is the ⌈0.9 × 7⌉ = 7th.
    expect(values(row(rep, { direction: "procuratorate" }))).toEqual({
      replied: 7,
      onTime: 6,
      late: 1,
      overdueNow: 1, // protest p8, due 10-08, still assigned on 11-16
      avgWorkdays: 10.1,
      p90Workdays: 23,
      awaitingAck: 4,
      accepted: 1,
      partlyAccepted: 1,
      notAccepted: 1,
      followup: 1,
    });
    expect(values(row(rep, { direction: "court" }))).toMatchObject({
      replied: 1,
      onTime: 1,
      avgWorkdays: 1,
      p90Workdays: 1,
      accepted: 1,
    });
  });

  it("counts protests and retrial suggestions by retrial ruling and result", async () => {
    const ret = table((await stats(p.user("court", "leader"))).body, "retrials");
    expect(values(row(ret, { type: "protest.civil" }))).toMatchObject({
      total: 3,
      replied: 2,
      ruled: 2,
      notRuled: 0,
      changed: 1,
      upheld: 0,
      pending: 1,
    });
    expect(values(row(ret, { type: "total" }))).toMatchObject({
      total: 4,
      replied: 3,
      ruled: 2,
      notRuled: 1,
      changed: 1,
      pending: 1,
    });
  });

  it("counts 诉判不一 over the criminal case records, white space ignored", async () => {
    const v = table((await stats(p.user("court", "leader"))).body, "verdicts");
    expect(values(v.rows[0])).toEqual({ criminal: 4, compared: 3, differing: 1 });
  });

  it("counts referral notices and periodic reports, reports late and overdue", async () => {
    const ex = table((await stats(p.user("court", "leader"))).body, "exchanges");
    // x3 was created at 23:59:59 China time on 2025-12-31: outside the year.
    expect(values(row(ex, { kind: "referral", subkind: "total" }))).toMatchObject({ count: 2 });
    expect(
      row(ex, { kind: "referral", subkind: "false_litigation", status: "handled" }).dims.status.label.zh,
    ).toBe("已反馈处理情况");
    // Reports of 2026-07 (late) and 2026-09 (due 10-20, still due on 11-16: overdue); 2026-06 and
    // 2025-12 are not in H2.
    expect(values(row(ex, { kind: "report", subkind: "total" }))).toMatchObject({
      count: 2,
      submitted: 1,
      late: 1,
      onTime: 0,
      overdueNow: 1,
    });
    const year = table((await stats(p.user("court", "leader"), "period=2026")).body, "exchanges");
    expect(values(row(year, { kind: "referral", subkind: "total" })).count).toBe(2);
    expect(values(row(year, { kind: "report", subkind: "total" }))).toMatchObject({
      count: 3,
      submitted: 2,
      late: 1,
      onTime: 1,
    });
  });

  it("links each figure to the list that returns exactly the rows it counts, from either side", async () => {
    for (const side of ["proc", "court"] as const) {
      const as = p.user(side, "handler");
      const res = await stats(as);
      const docs = table(res.body, "documents");
      const replies = row(table(res.body, "replies"), { direction: "procuratorate" }).figures;
      // Each figure and the number of rows its link must list (the averages: the replies they average).
      const figures: [number, string][] = [
        row(docs, { direction: "procuratorate", type: "suggestion.general" }).figures.acknowledged,
        row(docs, { direction: "procuratorate", type: "total" }).figures.total,
        row(docs, { direction: "court", type: "total" }).figures.total,
        ...Object.values(replies),
        ...Object.values(row(table(res.body, "retrials"), { type: "total" }).figures),
      ].map((f: any) => [
        f === replies.avgWorkdays || f === replies.p90Workdays ? replies.replied.value : f.value,
        f.href,
      ]);
      expect(figures.length).toBe(3 + 11 + 9);
      for (const [value, href] of figures) {
        const list = await t.request(`${href}&limit=200`, { as });
        expect(list.status, href).toBe(200);
        expect(list.body.items.length, href).toBe(value);
      }
    }
  });

  it("answers 400 for a bad period and defaults to the current year", async () => {
    for (const bad of ["2026-13", "2026-Q5", "26", "2026-H3", "x"])
      expectProblem(await stats(p.user("court", "leader"), `period=${bad}`), 400, "validation_failed");
    const res = await t.request("/v1/statistics", { as: p.user("court", "leader") });
    expect(res.body.period.key).toBe("2026");
  });

  it("reads every figure over an index, never a scan of documents", async () => {
    const plans = await t.deps.db.all<{ detail: string }>(sql`explain query plan
      select d.type, d.status, count(*) from documents d
      where d.jurisdiction_id in (select id from jurisdictions where parent_id = ${city.jurisdiction.id})
        and d.sent_on between '2026-01-01' and '2026-12-31' group by d.jurisdiction_id, d.type, d.status`);
    const text = plans.map((x) => x.detail).join("\n");
    expect(text).toMatch(/SEARCH d USING COVERING INDEX documents_stats_ix/);
    expect(text).not.toMatch(/SCAN d\b/);
  });
});

describe("GET /v1/statistics/rollup", () => {
  it("shows the city's leaders every basic pair under it side by side, and the total", async () => {
    const res = await t.request("/v1/statistics/rollup?period=2026-H2", { as: city.user("proc", "leader") });
    expect(res.status).toBe(200);
    expect(res.body.pairs.map((x: any) => x.id).sort()).toEqual(
      [p.jurisdiction.id, q.jurisdiction.id].sort(),
    );
    const docs = table(res.body, "documents");
    const total = (pairId: string | null) =>
      docs.rows.find(
        (x: any) =>
          (pairId ? x.pair?.id === pairId : x.pair === null) &&
          x.dims.direction.code === "procuratorate" &&
          x.dims.type.code === "total",
      ).figures.total;
    expect(total(p.jurisdiction.id).value).toBe(11);
    expect(total(q.jurisdiction.id).value).toBe(1);
    expect(total(null).value).toBe(12); // another city's pair (r) is not in it
    // Figures only: nothing links to the basic pairs' records.
    expect(docs.rows.every((x: any) => Object.values(x.figures).every((f: any) => f.href === null))).toBe(
      true,
    );
    const rep = table(res.body, "replies").rows.find(
      (x: any) => x.pair === null && x.dims.direction.code === "procuratorate",
    );
    expect(rep.figures.p90Workdays.value).toBe(23);
    // The city's auditor too; a city registrar is in the right place but has the wrong role.
    expect((await t.request("/v1/statistics/rollup", { as: city.user("court", "auditor") })).status).toBe(
      200,
    );
    expectProblem(await t.request("/v1/statistics/rollup", { as: city.user("court", "registrar") }), 403);
  });

  it("is 404 for a basic-level pair, and a basic pair's statistics never show another pair's", async () => {
    expectProblem(await t.request("/v1/statistics/rollup", { as: p.user("court", "leader") }), 404);
    expectProblem(await t.request("/v1/statistics/rollup", { as: r.user("proc", "auditor") }), 404);
    const mine = await stats(q.user("proc", "leader"));
    expect(mine.body.pair.id).toBe(q.jurisdiction.id);
    expect(
      values(row(table(mine.body, "documents"), { direction: "procuratorate", type: "total" })).total,
    ).toBe(1);
    // The city's own statistics are its own pair's (none), not its basic pairs'.
    const own = await stats(city.user("proc", "leader"));
    expect(
      values(row(table(own.body, "documents"), { direction: "procuratorate", type: "total" })).total,
    ).toBe(0);
    // And the basic pairs' records stay closed to the city, except the one escalated to it (跟进监督).
    expectProblem(await t.request(`/v1/documents/${ids.g1}`, { as: city.user("proc", "leader") }), 404);
    expect((await t.request(`/v1/documents/${ids.g2}`, { as: city.user("proc", "leader") })).status).toBe(
      200,
    );
    const other = await t.request("/v1/statistics/rollup", { as: otherCity.user("proc", "leader") });
    expect(other.body.pairs.map((x: any) => x.id)).toEqual([r.jurisdiction.id]);
  });
});

describe("exports", () => {
  it("exports CSV with a BOM, Chinese headers, the period in the file name, and no formula", async () => {
    const res = await t.app.request("/v1/statistics?period=2026-H2&table=replies", {
      headers: { authorization: `Bearer ${await t.token(p.user("court", "leader").id)}`, accept: "text/csv" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const cd = res.headers.get("content-disposition")!;
    expect(cd).toContain('filename="statistics-2026-H2-replies.csv"');
    expect(decodeURIComponent(cd.split("filename*=UTF-8''")[1]!)).toBe(
      `统计-${p.jurisdiction.name}-2026-H2-回复及时性与反馈认可.csv`,
    );
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder()
      .decode(bytes)
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n");
    expect(lines[0]).toBe(
      "方向,已回复,按期回复,超期回复,当前超期未回复,平均回复用时(工作日),90%回复用时(工作日),待反馈,认可,部分认可,不认可(跟进监督),启动跟进监督",
    );
    expect(lines[1]).toBe("检察院发出,7,6,1,1,10.1,23,4,1,1,1,1");
  });

  it("guards cells against formula injection", async () => {
    const { safeText, toCsv } = await import("../src/statistics/export");
    expect(safeText("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(safeText("+1")).toBe("'+1");
    expect(safeText("-1")).toBe("'-1");
    expect(safeText("@x")).toBe("'@x");
    expect(safeText("测试")).toBe("测试");
    const csv = toCsv(
      [
        {
          key: "t",
          title: { zh: "表", en: "t" },
          dims: [],
          measures: [],
          rows: [{ pair: { id: "1", code: "c", name: "=1+1" }, dims: {}, figures: {} }],
        },
      ],
      "x",
      true,
    );
    expect(csv).toContain("\r\n'=1+1");
  });

  it("exports XLSX (one sheet per table) that the reader parses back with the Chinese headers", async () => {
    const res = await t.app.request("/v1/statistics/rollup?period=2026-H2&format=xlsx", {
      headers: { authorization: `Bearer ${await t.token(city.user("court", "leader").id)}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    expect(res.headers.get("content-disposition")).toContain(
      "filename*=UTF-8''%E7%BB%9F%E8%AE%A1%E6%B1%87%E6%80%BB",
    );
    const sheets = await readXlsxFile(Buffer.from(await res.arrayBuffer()));
    expect(sheets.map((s) => s.sheet)).toEqual([
      "监督文书(按类型和状态)",
      "回复及时性与反馈认可",
      "抗诉与再审检察建议办理结果",
      "刑事案件诉判不一",
      "线索通报与定期通报",
    ]);
    const docs = sheets[0]!.data;
    expect(docs[1]).toEqual([
      "辖区",
      "方向",
      "文书类型",
      "合计",
      "已发送",
      "已签收",
      "办理中",
      "已回复",
      "已反馈",
      "已撤回",
    ]);
    const totalRow = docs.find((x) => x[0] === "合计" && x[1] === "检察院发出" && x[2] === "合计");
    expect(totalRow?.[3]).toBe(12);
  });
});
