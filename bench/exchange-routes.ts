// Exchanges and shared cases (#12, #13): database round trips (pipelines) per request of every route the
// two issues added so far — referrals, report series and reports, risk alerts (plan, submit,
// assessments, close), joint mediations, shared case records, grants and the access log, typical cases
// and their public feed (304 included), two-heads hearings, and the co-signature that completes a
// contingency plan, a typical case or a nomination round — each measured in a state where it does its
// work, and at least one refusal per group (an out-of-order 409, an outsider's 404). Goal: 1 each.
// Fixtures go through the HTTP API on the demo city pair (outsiders: the 东湖区 pair below it); the
// app runs on the real clock, so the report is opened by the `series` cron for last month (a series
// created for this month and moved back a month in SQL, as one the cron missed; the API refuses a
// back-dated start) and the hearing held "yesterday" is written in SQL.
import { sql } from "drizzle-orm";
import { runJob } from "../src/cron/cron";
import { roundTripsPerRequest, type BenchContext, type BenchRequest } from "./hrana";

const C = {
  coordinator: "court.coordinator@city.demo",
  handler: "court.handler@city.demo",
  registrar: "court.registrar@city.demo",
  leader: "court.leader@city.demo",
  head: "court.department_head@city.demo",
  auditor: "court.auditor@city.demo",
};
const P = {
  coordinator: "proc.coordinator@city.demo",
  handler: "proc.handler@city.demo",
  registrar: "proc.registrar@city.demo",
  leader: "proc.leader@city.demo",
  head: "proc.department_head@city.demo",
};
/** A user of another pair (the district below the city): 404 on everything of the city pair. */
const OUTSIDER = "court.coordinator@donghu.demo";
const OUTSIDER_PROC = "proc.coordinator@donghu.demo";

/** China time now; its day (YYYY-MM-DD) and month (YYYY-MM). */
const cstNow = () => new Date(Date.now() + 8 * 3600_000).toISOString();
const today = () => cstNow().slice(0, 10);
const lastMonth = () => {
  const [y, m] = cstNow().slice(0, 7).split("-").map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
};

/** A measured request; the label is the route's template, the status the one it must answer. */
type Step = BenchRequest & { label: string; expect: number };
const req = (
  method: string,
  path: string,
  token: string | undefined,
  label: string,
  expect: number,
  body?: unknown,
  key?: string,
): Step => ({
  method,
  path,
  token,
  label,
  expect,
  body,
  headers: key ? { "idempotency-key": key } : undefined,
});

/** Throws unless the unmeasured set-up request answered `status`; its body. */
async function must(ctx: BenchContext, r: BenchRequest, status: number) {
  const res = await ctx.request(r);
  if (res.status !== status)
    throw new Error(`prepare: ${r.method} ${r.path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}
const post = (path: string, token: string, body: unknown = {}, key?: string): BenchRequest => ({
  method: "POST",
  path,
  token,
  body,
  headers: key ? { "idempotency-key": key } : undefined,
});
const sign = (roundId: string, token: string) => post(`/v1/cosignatures/${roundId}/sign`, token, {});

// ── Referrals ─────────────────────────────────────────────────────────────────────────────────────

const NOTICE = {
  kind: "false_litigation",
  caseNumbers: ["(2026)示01民初1234号"],
  parties: [
    { name: "张某", role: "原告" },
    { name: "李某", role: "被告" },
  ],
  facts: "原告与被告恶意串通,虚构借款事实,骗取民事调解书。",
  policeReferredOn: "2026-08-31",
};

async function referrals(ctx: BenchContext): Promise<Step[]> {
  const send = async (key: string) =>
    (await must(ctx, post("/v1/referrals", C.handler, NOTICE, key), 201)).body.id as string;
  const a = await send("bench-ref-a");
  const b = await send("bench-ref-b");
  const on = (id: string, verb = "") => `/v1/referrals/${id}${verb}`;
  return [
    req("POST", "/v1/referrals", C.handler, "POST /v1/referrals", 201, NOTICE, "bench-ref-new"),
    req("GET", "/v1/referrals", P.registrar, "GET /v1/referrals", 200),
    req("GET", "/v1/referrals/counts", C.coordinator, "GET /v1/referrals/counts", 200),
    req("GET", on(a), P.registrar, "GET /v1/referrals/{id}", 200),
    req(
      "POST",
      on(a, "/outcome"),
      P.head,
      "POST /v1/referrals/{id}/outcome (refused: not acknowledged 409)",
      409,
      {
        action: "joined_case",
      },
    ),
    req("POST", on(a, "/acknowledge"), P.registrar, "POST /v1/referrals/{id}/acknowledge", 200, {}),
    req("POST", on(a, "/outcome"), P.head, "POST /v1/referrals/{id}/outcome", 200, {
      action: "opened_supervision",
      note: "已依职权启动民事监督程序",
    }),
    req("POST", on(b, "/withdraw"), C.handler, "POST /v1/referrals/{id}/withdraw", 200, {
      reason: "重复通报",
    }),
    req("GET", on(a), OUTSIDER, "GET /v1/referrals/{id} (outsider: 404)", 404),
  ];
}

// ── Report series and reports ─────────────────────────────────────────────────────────────────────

const SERIES = {
  title: "涉未成年人案件办理情况通报",
  topic: "minors",
  reporter: "court",
  cadence: "month",
  dueWorkdays: 5,
  fields: [
    {
      key: "cases_accepted",
      label: { zh: "受理案件数", en: "Cases accepted" },
      type: "integer",
      required: true,
    },
    {
      key: "cases_concluded",
      label: { zh: "审结案件数", en: "Cases concluded" },
      type: "integer",
      required: true,
    },
    { key: "notes", label: { zh: "说明", en: "Notes" }, type: "text", required: false },
  ],
};

async function reports(ctx: BenchContext): Promise<Step[]> {
  // A series that began last month (written in SQL): the daily `series` cron opens its report (ended).
  const s = (await must(ctx, post("/v1/report-series", C.coordinator, SERIES, "bench-rs-a"), 201)).body;
  await ctx.deps.db.run(sql`update series set start_period = ${lastMonth()} where id = ${s.id}`);
  const ended = (
    await must(
      ctx,
      post("/v1/report-series", P.coordinator, { ...SERIES, title: "另一通报" }, "bench-rs-b"),
      201,
    )
  ).body;
  const job = await runJob(ctx.deps, "series", new Date());
  if (job.status !== "ok") throw new Error(`prepare: series job ${JSON.stringify(job)}`);
  const list = await must(
    ctx,
    { method: "GET", path: `/v1/reports?seriesId=${s.id}`, token: C.coordinator },
    200,
  );
  const report = list.body.items[0]?.id as string | undefined;
  if (!report) throw new Error("prepare: the series cron opened no report for last month");
  const figures = { cases_accepted: 12, cases_concluded: 10, notes: "其中3件涉校园欺凌" };
  const r = (verb = "") => `/v1/reports/${report}${verb}`;
  return [
    req("POST", "/v1/report-series", C.coordinator, "POST /v1/report-series", 201, SERIES, "bench-rs-new"),
    req("GET", "/v1/report-series", P.leader, "GET /v1/report-series", 200),
    req("GET", `/v1/report-series/${s.id}`, P.handler, "GET /v1/report-series/{id}", 200),
    req(
      "POST",
      `/v1/report-series/${ended.id}/end`,
      P.coordinator,
      "POST /v1/report-series/{id}/end",
      200,
      {},
    ),
    req("GET", `/v1/report-series/${s.id}`, OUTSIDER, "GET /v1/report-series/{id} (outsider: 404)", 404),
    req("GET", "/v1/reports", P.coordinator, "GET /v1/reports", 200),
    req("GET", r(), C.coordinator, "GET /v1/reports/{id}", 200),
    req(
      "POST",
      r("/read"),
      P.coordinator,
      "POST /v1/reports/{id}/read (refused: not submitted 409)",
      409,
      {},
    ),
    req("POST", r("/submit"), C.coordinator, "POST /v1/reports/{id}/submit", 200, {
      figures,
      text: "本月情况",
      attachments: [],
    }),
    req("POST", r("/read"), P.coordinator, "POST /v1/reports/{id}/read", 200, {}),
    req(
      "POST",
      r("/comments"),
      P.coordinator,
      "POST /v1/reports/{id}/comments",
      201,
      { body: "请补充同比数据。" },
      "bench-rc-1",
    ),
    req("POST", r("/submit"), OUTSIDER, "POST /v1/reports/{id}/submit (outsider: 404)", 404, { figures }),
  ];
}

// ── Risk alerts ───────────────────────────────────────────────────────────────────────────────────

const ALERT = {
  caseNumbers: ["(2026)示01民初2234号"],
  level: "high",
  dimensions: ["mass", "petition"],
  parties: [{ name: "李某等32名购房人", role: "申请人" }],
  known: "申请人扬言到省赴京上访,并组织其他购房人聚集。",
  publicOpinion: "本地论坛已有帖文,尚未形成热点。",
  ackHours: 4,
};

async function riskAlerts(ctx: BenchContext): Promise<Step[]> {
  const raise = async (key: string) =>
    (await must(ctx, post("/v1/risk-alerts", P.leader, ALERT, key), 201)).body.id as string;
  /** Raised, acknowledged, its plan submitted: the id of the open co-signature round. */
  const underSignature = async (id: string) => {
    await must(ctx, post(`/v1/risk-alerts/${id}/acknowledge`, C.coordinator), 200);
    const plan = {
      method: "PUT",
      path: `/v1/risk-alerts/${id}/plan`,
      token: C.leader,
      body: { text: "预案" },
    };
    await must(ctx, plan, 200);
    const sub = await must(ctx, post(`/v1/risk-alerts/${id}/plan/submit`, P.leader), 200);
    return sub.body.plan.cosignatureId as string;
  };
  const a = await raise("bench-ra-a"); // acknowledged, assessed, planned and submitted by measured requests
  const b = await raise("bench-ra-b"); // closed with its plan under signature (the round withdrawn)
  await underSignature(b);
  const c = await raise("bench-ra-c"); // its plan round completed by measured signatures
  const cRound = await underSignature(c);
  const at = (verb = "") => `/v1/risk-alerts/${a}${verb}`;
  const assessment = { level: "low", assessment: "经评估风险可控", measures: "专人接访,每日研判" };
  return [
    req("POST", "/v1/risk-alerts", P.leader, "POST /v1/risk-alerts", 201, ALERT, "bench-ra-new"),
    req("GET", "/v1/risk-alerts", P.leader, "GET /v1/risk-alerts", 200),
    req("GET", at(), C.leader, "GET /v1/risk-alerts/{id}", 200),
    req(
      "POST",
      at("/assessments"),
      C.leader,
      "POST /v1/risk-alerts/{id}/assessments (refused: not acknowledged 409)",
      409,
      assessment,
    ),
    req("POST", at("/acknowledge"), C.coordinator, "POST /v1/risk-alerts/{id}/acknowledge", 200, {}),
    req(
      "POST",
      at("/acknowledge"),
      C.coordinator,
      "POST /v1/risk-alerts/{id}/acknowledge (refused: again 409)",
      409,
      {},
    ),
    req("POST", at("/assessments"), C.leader, "POST /v1/risk-alerts/{id}/assessments", 201, assessment),
    req("PUT", at("/plan"), C.leader, "PUT /v1/risk-alerts/{id}/plan", 200, { text: "应急预案第一稿" }),
    req("PUT", at("/plan"), P.handler, "PUT /v1/risk-alerts/{id}/plan (unchanged: no-op)", 200, {
      text: "应急预案第一稿",
    }),
    req("POST", at("/plan/submit"), P.leader, "POST /v1/risk-alerts/{id}/plan/submit", 200, {}),
    req("PUT", at("/plan"), C.leader, "PUT /v1/risk-alerts/{id}/plan (refused: under signature 409)", 409, {
      text: "改",
    }),
    req(
      "POST",
      `/v1/cosignatures/${cRound}/sign`,
      C.leader,
      "POST /v1/cosignatures/{id}/sign (plan, first)",
      200,
      {},
    ),
    req(
      "POST",
      `/v1/cosignatures/${cRound}/sign`,
      P.leader,
      "POST /v1/cosignatures/{id}/sign (plan, completing: in force)",
      200,
      {},
    ),
    req(
      "POST",
      `/v1/risk-alerts/${b}/close`,
      P.leader,
      "POST /v1/risk-alerts/{id}/close (withdraws the open round)",
      200,
      {
        resolution: "风险已化解,办结",
      },
    ),
    req(
      "POST",
      `/v1/risk-alerts/${b}/close`,
      P.leader,
      "POST /v1/risk-alerts/{id}/close (refused: closed 409)",
      409,
      {
        resolution: "办结",
      },
    ),
    req("GET", at(), OUTSIDER, "GET /v1/risk-alerts/{id} (outsider: 404)", 404),
  ];
}

// ── Joint mediations ──────────────────────────────────────────────────────────────────────────────

/** A civil protest sent by the procuratorate, received, assigned and replied by the court with a retrial ruled. */
async function retried(ctx: BenchContext, n: number) {
  const sent = await must(
    ctx,
    post(
      "/v1/documents",
      P.handler,
      {
        type: "protest.civil",
        docNumber: `示检民监〔2026〕${n}号`,
        caseNumbers: [`(2025)示01民终${n}号`],
        caseCategory: "civil",
        title: "关于张某与李某借款合同纠纷一案的抗诉书",
      },
      `bench-med-doc-${n}`,
    ),
    201,
  );
  const id = sent.body.id as string;
  await must(ctx, post(`/v1/documents/${id}/receive`, C.registrar, { receivedOn: today() }), 200);
  const me = await must(ctx, { method: "GET", path: "/v1/me", token: C.handler }, 200);
  await must(
    ctx,
    post(`/v1/documents/${id}/assign`, C.registrar, {
      departmentId: me.body.user.departmentId,
      handlerId: await ctx.userId(C.handler),
    }),
    200,
  );
  await must(
    ctx,
    post(`/v1/documents/${id}/reply`, C.handler, {
      content: "已裁定再审",
      decision: "adopted",
      repliedOn: today(),
      retrialRuled: true,
    }),
    200,
  );
  return id;
}

async function mediations(ctx: BenchContext): Promise<Step[]> {
  const doc = await retried(ctx, 9101);
  const other = await retried(ctx, 9102);
  const opened = await must(
    ctx,
    post("/v1/mediations", P.coordinator, { documentId: other }, "bench-med-b"),
    201,
  );
  const id = opened.body.id as string;
  const courtHandler = await ctx.userId(C.handler);
  const session = {
    heldOn: today(),
    place: "示范市中级人民法院第三调解室",
    attendees: [
      { name: "刘洋", side: "court", userId: courtHandler },
      { name: "张某", side: "party" },
    ],
    note: "双方初步达成一致",
  };
  const m = (verb = "") => `/v1/mediations/${id}${verb}`;
  return [
    req(
      "POST",
      "/v1/mediations",
      P.coordinator,
      "POST /v1/mediations",
      201,
      {
        documentId: doc,
        participants: [await ctx.userId(P.handler)],
        note: "当事人同意调解",
      },
      "bench-med-a",
    ),
    req(
      "POST",
      "/v1/mediations",
      C.leader,
      "POST /v1/mediations (refused: one exists 409)",
      409,
      {
        documentId: other,
      },
      "bench-med-c",
    ),
    req("GET", "/v1/mediations", P.coordinator, "GET /v1/mediations", 200),
    req("GET", m(), C.handler, "GET /v1/mediations/{id}", 200),
    req("POST", m("/participants"), C.handler, "POST /v1/mediations/{id}/participants", 200, {
      userIds: [courtHandler, await ctx.userId(C.head)],
    }),
    req("POST", m("/sessions"), C.handler, "POST /v1/mediations/{id}/sessions", 201, session, "bench-med-s1"),
    req("POST", m("/outcome"), P.coordinator, "POST /v1/mediations/{id}/outcome", 200, {
      outcome: "agreement",
      outcomeOn: today(),
      note: "法院出具调解书",
    }),
    req(
      "POST",
      m("/sessions"),
      C.handler,
      "POST /v1/mediations/{id}/sessions (refused: concluded 409)",
      409,
      session,
      "bench-med-s2",
    ),
    req("GET", m(), OUTSIDER, "GET /v1/mediations/{id} (outsider: 404)", 404),
  ];
}

// ── Shared case records, grants, access log ───────────────────────────────────────────────────────

const record = (n: number) => ({
  caseNumber: `(2026)示01刑初${n}号`,
  courtName: "示范市中级人民法院",
  caseType: "criminal",
  area: "telecom_fraud",
  stage: "trial",
  parties: [
    { name: "张某", role: "被告人" },
    { name: "示范科技有限公司", role: "被害单位" },
  ],
  keyDates: { filedOn: "2026-03-02" },
  summary: "被告人张某以冒充客服方式实施电信诈骗。",
  chargeProsecuted: "诈骗罪",
  chargeJudged: "诈骗罪",
  material: [
    { name: "判决书.pdf", size: 2048, sha256: "b".repeat(64), mediaType: "application/pdf" },
    { name: "起诉书.pdf", size: 1024, sha256: "c".repeat(64), mediaType: "application/pdf" },
  ],
});

const IMPORT_CSV = [
  "\ufeff案号,法院,案件类型,领域,当事人,阶段,立案日期,裁判日期,摘要,起诉罪名,判决罪名",
  '(2026)示01刑初7601号,示范市中级人民法院,刑事,电信诈骗,张某(被告人);李某(被害人),已裁判,2026-01-05,2026-04-01,"摘要,含逗号",诈骗罪,诈骗罪',
  "(2026)示01民初7602号,示范市中级人民法院,civil,,示范公司(原告),filed,2026-02-01,,,,",
].join("\r\n");

async function caseRecords(ctx: BenchContext): Promise<Step[]> {
  const share = async (n: number) =>
    (await must(ctx, post("/v1/case-records", C.coordinator, record(n), `bench-cr-${n}`), 201)).body;
  const r = await share(8101); // granted to the procuratorate: detail, search, copy, export audited
  const s = await share(8102); // granted, then revoked (measured)
  const t = await share(8103); // granted by the measured POST /v1/case-grants
  await must(ctx, post("/v1/case-grants", C.coordinator, { caseRecordId: r.id }, "bench-cg-r"), 201);
  const g = (
    await must(ctx, post("/v1/case-grants", C.coordinator, { caseRecordId: s.id }, "bench-cg-s"), 201)
  ).body;
  const rec = (id: string, verb = "") => `/v1/case-records/${id}${verb}`;
  return [
    req(
      "POST",
      "/v1/case-records",
      C.coordinator,
      "POST /v1/case-records",
      201,
      record(8104),
      "bench-cr-new",
    ),
    req(
      "POST",
      "/v1/case-records",
      C.coordinator,
      "POST /v1/case-records (refused: same 案号 409)",
      409,
      record(8101),
      "bench-cr-dup",
    ),
    req("GET", "/v1/case-records", C.coordinator, "GET /v1/case-records (owner)", 200),
    req(
      "GET",
      `/v1/case-records?caseNumber=${encodeURIComponent(r.caseNumber)}`,
      P.handler,
      "GET /v1/case-records?caseNumber= (counterpart search: audited)",
      200,
    ),
    req("GET", rec(r.id), C.auditor, "GET /v1/case-records/{id} (owner)", 200),
    req("GET", rec(r.id), P.handler, "GET /v1/case-records/{id} (counterpart: audited)", 200),
    req("PATCH", rec(r.id), C.coordinator, "PATCH /v1/case-records/{id}", 200, {
      stage: "judged",
      keyDates: { judgedOn: "2026-08-20" },
    }),
    req("POST", rec(r.id, "/copy"), P.handler, "POST /v1/case-records/{id}/copy (audited)", 200, {
      purpose: "审查起诉",
    }),
    req(
      "GET",
      "/v1/case-records/export",
      P.coordinator,
      "GET /v1/case-records/export (counterpart CSV: audited)",
      200,
    ),
    req("POST", "/v1/case-records/import", C.coordinator, "POST /v1/case-records/import (CSV, 2 rows)", 201, {
      csv: IMPORT_CSV,
    }),
    req("GET", rec(r.id), OUTSIDER, "GET /v1/case-records/{id} (outsider: 404)", 404),
    req(
      "POST",
      "/v1/case-grants",
      C.coordinator,
      "POST /v1/case-grants",
      201,
      { caseRecordId: t.id },
      "bench-cg-new",
    ),
    req("GET", "/v1/case-grants", P.handler, "GET /v1/case-grants", 200),
    req("POST", `/v1/case-grants/${g.id}/revoke`, C.coordinator, "POST /v1/case-grants/{id}/revoke", 200, {
      note: "案件已移送",
    }),
    req(
      "POST",
      `/v1/case-grants/${g.id}/revoke`,
      C.coordinator,
      "POST /v1/case-grants/{id}/revoke (refused: revoked 409)",
      409,
      {},
    ),
    req(
      "POST",
      `/v1/case-grants/${g.id}/revoke`,
      OUTSIDER,
      "POST /v1/case-grants/{id}/revoke (outsider: 404)",
      404,
      {},
    ),
    req("GET", "/v1/case-access-log", C.auditor, "GET /v1/case-access-log", 200),
  ];
}

// ── Typical cases and the public feed ─────────────────────────────────────────────────────────────

const CASE = {
  kind: "typical",
  title: "某公司非法占用农用地刑事附带民事公益诉讼案",
  caseNumbers: ["(2026)示01刑初88号"],
  facts: "被告单位某公司未经批准占用林地……",
  reasoning: "法院认为……",
  significance: "明确了生态修复费用的计算方式。",
  tags: ["ecology"],
  anonymisation: { names: true, identifiers: true, minors: true, business_secrets: true, victims: true },
};

/** The public reads (first: nothing measured before them changes the feed, so the ETags still match). */
async function publicFeed(ctx: BenchContext, published: string, draft: string): Promise<Step[]> {
  const etag = async (path: string) => {
    const res = await must(ctx, { method: "GET", path }, 200);
    const tag = res.headers.get("etag");
    if (!tag) throw new Error(`prepare: ${path} has no ETag`);
    return tag;
  };
  const list = await etag("/public/typical-cases");
  const atom = await etag("/public/typical-cases.atom");
  const cond = (path: string, tag: string, label: string): Step => ({
    ...req("GET", path, undefined, label, 304),
    headers: { "if-none-match": tag },
  });
  return [
    req("GET", "/public/typical-cases", undefined, "GET /public/typical-cases", 200),
    cond("/public/typical-cases", list, "GET /public/typical-cases (If-None-Match: 304)"),
    req("GET", `/public/typical-cases/${published}`, undefined, "GET /public/typical-cases/{id}", 200),
    req(
      "GET",
      `/public/typical-cases/${draft}`,
      undefined,
      "GET /public/typical-cases/{id} (a draft: 404)",
      404,
    ),
    req("GET", "/public/typical-cases.atom", undefined, "GET /public/typical-cases.atom", 200),
    cond("/public/typical-cases.atom", atom, "GET /public/typical-cases.atom (If-None-Match: 304)"),
  ];
}

async function typicalCases(ctx: BenchContext): Promise<{ feed: Step[]; steps: Step[] }> {
  const draft = async (key: string) =>
    (await must(ctx, post("/v1/typical-cases", C.coordinator, CASE, key), 201)).body.id as string;
  const submit = async (id: string) =>
    (await must(ctx, post(`/v1/typical-cases/${id}/submit`, C.coordinator), 201)).body.cosignature
      .id as string;
  const a = await draft("bench-tc-a"); // edited, submitted (measured)
  const b = await draft("bench-tc-b"); // published, withdrawn (measured)
  const bRound = await submit(b);
  for (const leader of [C.leader, P.leader]) await must(ctx, sign(bRound, leader), 200);
  const c = await draft("bench-tc-c"); // its round completed by measured signatures
  const cRound = await submit(c);
  const d = await draft("bench-tc-d"); // stays a draft
  const t = (id: string, verb = "") => `/v1/typical-cases/${id}${verb}`;
  return {
    feed: await publicFeed(ctx, b, d),
    steps: [
      req("POST", "/v1/typical-cases", C.coordinator, "POST /v1/typical-cases", 201, CASE, "bench-tc-new"),
      req("GET", "/v1/typical-cases", C.coordinator, "GET /v1/typical-cases", 200),
      req("GET", t(a), P.coordinator, "GET /v1/typical-cases/{id}", 200),
      req("PUT", t(a), P.coordinator, "PUT /v1/typical-cases/{id}", 200, {
        ...CASE,
        facts: "被告单位甲公司……",
      }),
      req("POST", t(a, "/submit"), C.coordinator, "POST /v1/typical-cases/{id}/submit", 201, {}),
      req("PUT", t(a), C.coordinator, "PUT /v1/typical-cases/{id} (refused: under signature 409)", 409, CASE),
      req(
        "POST",
        `/v1/cosignatures/${cRound}/sign`,
        C.leader,
        "POST /v1/cosignatures/{id}/sign (typical case, first)",
        200,
        {},
      ),
      req(
        "POST",
        `/v1/cosignatures/${cRound}/sign`,
        P.leader,
        "POST /v1/cosignatures/{id}/sign (typical case, completing: published)",
        200,
        {},
      ),
      req("POST", t(b, "/withdraw"), P.coordinator, "POST /v1/typical-cases/{id}/withdraw", 200, {
        reason: "案号有误",
      }),
      req(
        "POST",
        t(d, "/withdraw"),
        P.coordinator,
        "POST /v1/typical-cases/{id}/withdraw (refused: a draft 409)",
        409,
        {
          reason: "案号有误",
        },
      ),
      req("GET", t(a), OUTSIDER, "GET /v1/typical-cases/{id} (outsider: 404)", 404),
    ],
  };
}

// ── Two heads in one hearing ──────────────────────────────────────────────────────────────────────

const NOMINATION = {
  caseNumber: "(2026)示01刑初88号",
  caseTitle: "某公司非法占用农用地案",
  reason: "涉生态环境公益保护,社会关注度高,适宜两长同庭。",
};

async function twoHeads(ctx: BenchContext): Promise<Step[]> {
  const nominate = async (key: string) =>
    (await must(ctx, post("/v1/two-heads-hearings", P.coordinator, NOMINATION, key), 201)).body as {
      id: string;
      cosignature: { id: string };
    };
  const n1 = await nominate("bench-th-1"); // its round completed by measured signatures, then scheduled
  const n2 = await nominate("bench-th-2"); // approved, held yesterday: its outcome
  for (const leader of [C.leader, P.leader]) await must(ctx, sign(n2.cosignature.id, leader), 200);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  await ctx.deps.db.run(sql`update two_heads_hearings set status = 'scheduled', hearing_at = ${yesterday},
    place = '第一法庭' where id = ${n2.id}`);
  const n3 = await nominate("bench-th-3"); // cancelled while its heads sign
  const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const schedule = { hearingAt: later, place: "第一法庭" };
  const h = (id: string, verb = "") => `/v1/two-heads-hearings/${id}${verb}`;
  return [
    req(
      "POST",
      "/v1/two-heads-hearings",
      P.coordinator,
      "POST /v1/two-heads-hearings",
      201,
      NOMINATION,
      "bench-th-new",
    ),
    req(
      "GET",
      `/v1/two-heads-hearings?year=${today().slice(0, 4)}`,
      C.coordinator,
      "GET /v1/two-heads-hearings",
      200,
    ),
    req("GET", h(n1.id), C.coordinator, "GET /v1/two-heads-hearings/{id}", 200),
    req(
      "POST",
      h(n1.id, "/schedule"),
      C.coordinator,
      "POST /v1/two-heads-hearings/{id}/schedule (refused: not approved 409)",
      409,
      schedule,
    ),
    req(
      "POST",
      `/v1/cosignatures/${n1.cosignature.id}/sign`,
      P.leader,
      "POST /v1/cosignatures/{id}/sign (nomination, first)",
      200,
      {},
    ),
    req(
      "POST",
      `/v1/cosignatures/${n1.cosignature.id}/sign`,
      C.leader,
      "POST /v1/cosignatures/{id}/sign (nomination, completing: approved)",
      200,
      {},
    ),
    req(
      "POST",
      h(n1.id, "/schedule"),
      C.coordinator,
      "POST /v1/two-heads-hearings/{id}/schedule",
      200,
      schedule,
    ),
    req("POST", h(n2.id, "/outcome"), C.coordinator, "POST /v1/two-heads-hearings/{id}/outcome", 200, {
      outcome: "当庭宣判,被告人认罪认罚。",
      outcomeOn: today(),
    }),
    req(
      "POST",
      h(n3.id, "/cancel"),
      P.coordinator,
      "POST /v1/two-heads-hearings/{id}/cancel (withdraws the round)",
      200,
      {
        reason: "当事人撤回起诉",
      },
    ),
    req(
      "POST",
      `/v1/cosignatures/${n3.cosignature.id}/sign`,
      C.leader,
      "POST /v1/cosignatures/{id}/sign (refused: round withdrawn 409)",
      409,
      {},
    ),
    req("GET", h(n1.id), OUTSIDER_PROC, "GET /v1/two-heads-hearings/{id} (outsider: 404)", 404),
  ];
}

// ── Statistics (/v1/statistics*) ──────────────────────────────────────────────────────────────────
// Over the documents, case records and exchanges the groups above created (the city pair).
async function statistics(_ctx: BenchContext): Promise<Step[]> {
  const year = today().slice(0, 4);
  const stats = (q: string) => `/v1/statistics?period=${year}${q}`;
  return [
    req("GET", stats(""), C.coordinator, "GET /v1/statistics", 200),
    req("GET", stats("&format=csv&table=replies"), P.coordinator, "GET /v1/statistics (CSV)", 200),
    req("GET", stats("&format=xlsx"), P.coordinator, "GET /v1/statistics (XLSX)", 200),
    req("GET", `/v1/statistics/rollup?period=${year}`, C.leader, "GET /v1/statistics/rollup", 200),
    req(
      "GET",
      `/v1/statistics/rollup?period=${year}`,
      OUTSIDER,
      "GET /v1/statistics/rollup (basic pair)",
      404,
    ),
  ];
}

type Row = { group: string; label: string; status: number };

export async function exchangeRoundTrips(): Promise<Record<string, unknown>> {
  const rows: Row[] = [];
  const counts = await roundTripsPerRequest([], {
    repeat: 1,
    prepare: async (ctx) => {
      const typical = await typicalCases(ctx);
      const groups: [string, Step[]][] = [
        // The public feed first: nothing measured before it changes what it shows (its ETags match).
        ["typicalCases", typical.feed],
        ["referrals", await referrals(ctx)],
        ["reports", await reports(ctx)],
        ["riskAlerts", await riskAlerts(ctx)],
        ["mediations", await mediations(ctx)],
        ["caseRecords", await caseRecords(ctx)],
        ["typicalCases", typical.steps],
        ["twoHeads", await twoHeads(ctx)],
        ["statistics", await statistics(ctx)],
      ];
      const out: BenchRequest[] = [];
      for (const [group, steps] of groups)
        for (const s of steps) {
          rows.push({ group, label: s.label, status: s.expect });
          out.push(s);
        }
      return out;
    },
  });
  const byLabel = new Map(rows.map((r) => [r.label, r]));
  if (byLabel.size !== rows.length) throw new Error("two measured requests share a label");
  const figures: Record<string, unknown> = {};
  const above: string[] = [];
  // run.ts prints one line per route: its label (method + path), status and round trips.
  for (const [label, trips] of Object.entries(counts)) {
    const status = byLabel.get(label)?.status;
    figures[label] = { status, roundTrips: trips };
    if (trips !== 1) above.push(label);
  }
  return {
    goal: "round trips per request of every new route (#12, #13): 1",
    requests: Object.keys(counts).length,
    allOne: above.length === 0,
    notOne: above,
    ...figures,
  };
}
