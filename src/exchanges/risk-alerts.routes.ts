// HTTP routes of petition-risk alerts (访情舆情预警, S3.3.4): raise, acknowledge (clock-hour deadline on
// the ladder), each side's risk assessment, the contingency plan and its co-signature by both
// leaders, close; list both directions, read one. Each route is one database round trip; an
// outsider gets 404. Signing happens on /v1/cosignatures/{id}/sign|refuse.
import { z } from "@hono/zod-openapi";
import { type CosignRow, toCosign } from "../cosign/cosign";
import { ladderView } from "../escalation/owned-task";
import { coded, defineRoute, errorResponse, jsonBody, jsonResponse, newRouter, pageOf } from "../http/api";
import { CosignOrNull } from "../meetings/meetings.schemas";
import { RISK_ALERT_STATUSES, RISK_DIMENSIONS, RISK_LEVELS } from "../vocab";
import { type ExchangeRow, listExchanges, type NoteRow } from "./exchanges";
import {
  CaseNumbers,
  detailFields,
  ExchangeListQuery,
  ExchangeParams,
  exchangeBaseSchema,
  IdempotencyHeader,
  toDetailFields,
  toExchange,
  toExchangeEvent,
  statusList,
} from "./exchanges.schemas";
import {
  ACK_HOURS,
  acknowledgeRiskAlert,
  assessRiskAlert,
  closeRiskAlert,
  MAX_ACK_HOURS,
  MIN_ACK_HOURS,
  PLAN_STATUSES,
  RISK_ALERT_ROLES,
  type RiskAlertBody,
  type RiskAlertOutcome,
  raiseRiskAlert,
  readRiskAlert,
  savePlan,
  submitPlan,
} from "./risk-alerts";

const tags = ["Petition-risk alerts"];
const text = (max: number) => z.string().trim().min(1).max(max);
const Named = z.object({ id: z.string(), name: z.string() });

/** A refinement of a list: each item equal (by `keyOf`) to an earlier one is an error at its index. */
const distinct =
  <T>(keyOf: (x: T) => string, what: string) =>
  (list: T[], ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    list.forEach((x, i) => {
      const first = seen.get(keyOf(x));
      if (first === undefined) seen.set(keyOf(x), i);
      else ctx.addIssue({ code: "custom", path: [i], message: `the same ${what} as item ${first}` });
    });
  };

// ── Schemas ───────────────────────────────────────────────────────────────────────────────────

const Party = z
  .object({
    name: text(200).openapi({ example: "李某等32名购房人" }),
    role: text(50).openapi({ example: "申请人", description: "The party's standing (申请人, 被申请人 …)" }),
  })
  .strict()
  .openapi("RiskAlertParty");

const ackDefaults = Object.entries(ACK_HOURS)
  .map(([l, h]) => `${l} ${h}`)
  .join(", ");

const NewRiskAlertInput = z
  .object({
    title: text(300)
      .optional()
      .openapi({ description: "Derived when absent: 关于(2026)…号案件的访情舆情预警" }),
    documentId: z.string().min(1).max(64).optional().openapi({
      description: "A supervision document between the two institutions that the caller sees",
    }),
    caseNumbers: CaseNumbers.max(20).optional(),
    level: z.enum(RISK_LEVELS.codes).openapi({ example: "high" }),
    dimensions: z
      .array(z.enum(RISK_DIMENSIONS.codes))
      .min(1)
      .max(RISK_DIMENSIONS.codes.length)
      .superRefine(distinct(String, "dimension"))
      .openapi({ description: "Each dimension once" }),
    parties: z.array(Party).min(1).max(50),
    known: text(10_000).openapi({
      description: "What is known",
      example: "申请人多次扬言若抗诉不被支持将到省赴京上访,并组织其他购房人聚集。",
    }),
    publicOpinion: text(10_000).openapi({
      description: "The public-opinion situation",
      example: "本地论坛已出现相关帖文,阅读量约2万,尚未形成热点。",
    }),
    ackHours: z
      .number()
      .int()
      .min(MIN_ACK_HOURS)
      .max(MAX_ACK_HOURS)
      .optional()
      .openapi({
        description: `Clock hours the recipient has to acknowledge; default by level (${ackDefaults})`,
        example: 4,
      }),
  })
  .strict()
  .refine((a) => !!a.documentId || (a.caseNumbers?.length ?? 0) > 0, {
    message: "give documentId or caseNumbers (at least one)",
    path: ["caseNumbers"],
  })
  .openapi("NewRiskAlert");

const AssessmentInput = z
  .object({
    level: z.enum(RISK_LEVELS.codes).openapi({ description: "Your side's assessment of the risk" }),
    assessment: text(10_000).openapi({ example: "综合研判,存在进京上访和群体性聚集风险,风险等级高。" }),
    measures: text(10_000).openapi({ example: "一、明确包案领导;二、做好释法说理;三、建立信息互通机制。" }),
  })
  .strict()
  .openapi("RiskAssessmentInput");

const PlanInput = z
  .object({
    text: text(50_000).openapi({ example: "访情舆情应急预案:一、工作目标……" }),
    baseVersion: z
      .number()
      .int()
      .min(0)
      .default(0)
      .openapi({
        description:
          "The plan version this edit was made on (`plan.version` as read; 0 or absent for the first " +
          "draft). A stale one is 409 `plan_changed` with `currentVersion`, and nothing is saved.",
        example: 1,
      }),
  })
  .strict()
  .openapi("ContingencyPlanInput");

const PlanSchema = z
  .object({
    text: z.string(),
    status: coded(PLAN_STATUSES.codes),
    version: z.number().int(),
    contentHash: z.string().openapi({ description: "sha-256 of the text: what the leaders sign" }),
    cosignatureId: z
      .string()
      .nullable()
      .openapi({ description: "The round being signed or signed (sign at /v1/cosignatures/{id}/sign)" }),
    updatedAt: z.string(),
    updatedBy: Named.nullable(),
    inForceAt: z.string().nullable(),
  })
  .openapi("ContingencyPlan");

const RiskAlertSchema = exchangeBaseSchema("risk_alert")
  .extend({
    level: coded(RISK_LEVELS.codes),
    dimensions: z.array(coded(RISK_DIMENSIONS.codes)),
    parties: z.array(z.object({ name: z.string(), role: z.string() })),
    known: z.string(),
    publicOpinion: z.string(),
    ackHours: z.number().int(),
    overdue: z.boolean().openapi({ description: "Raised and past its acknowledgement deadline (dueAt)" }),
    acknowledged: z.object({ at: z.string(), by: Named.nullable() }).nullable(),
    plan: PlanSchema.nullable(),
    closure: z.object({ resolution: z.string(), at: z.string(), by: Named.nullable() }).nullable(),
  })
  .openapi("RiskAlert", {
    example: {
      id: "01JD6Y5R7Y8X3K2N4P6Q8S0T2V",
      kind: { code: "risk_alert", label: { zh: "访情舆情预警", en: "Petition-risk alert" } },
      subkind: { code: "high", label: { zh: "高风险", en: "High" } },
      status: { code: "raised", label: { zh: "已预警,待对方签收", en: "Raised, awaiting acknowledgement" } },
      sender: {
        id: "org-p",
        name: "某区人民检察院",
        kind: { code: "procuratorate", label: { zh: "人民检察院", en: "People's Procuratorate" } },
      },
      recipient: {
        id: "org-c",
        name: "某区人民法院",
        kind: { code: "court", label: { zh: "人民法院", en: "People's Court" } },
      },
      direction: "out",
      title: "关于(2026)京0105民初1234号案件的访情舆情预警",
      caseNumbers: ["(2026)京0105民初1234号"],
      documentId: null,
      attachments: [],
      dueOn: null,
      dueAt: "2026-09-30T18:30:00.000Z",
      deadlineVersion: 1,
      seriesId: null,
      period: null,
      createdBy: { id: "u1", name: "王检察官" },
      createdAt: "2026-09-30T14:30:00.000Z",
      updatedAt: "2026-09-30T14:30:00.000Z",
      level: { code: "high", label: { zh: "高风险", en: "High" } },
      dimensions: [{ code: "mass", label: { zh: "涉重大群体性", en: "Mass (many people involved)" } }],
      parties: [{ name: "李某等32名购房人", role: "申请人" }],
      known: "申请人多次扬言到省赴京上访。",
      publicOpinion: "本地论坛已出现相关帖文。",
      ackHours: 4,
      overdue: false,
      acknowledged: null,
      plan: null,
      closure: null,
    },
  });

const AssessmentSchema = z.object({
  org: Named,
  author: Named,
  level: coded(RISK_LEVELS.codes),
  assessment: z.string(),
  measures: z.string(),
  at: z.string(),
});

const RiskAlertWithTimeline = RiskAlertSchema.extend({ timeline: detailFields.timeline }).openapi(
  "RiskAlertWithTimeline",
);

const RiskAlertDetail = RiskAlertSchema.extend({
  ...detailFields,
  assessments: z
    .object({
      sender: AssessmentSchema.nullable(),
      recipient: AssessmentSchema.nullable(),
      complete: z.boolean().openapi({ description: "Both sides have recorded their assessment" }),
    })
    .openapi({ description: "The joint risk assessment: each side's own" }),
  cosignature: CosignOrNull.openapi({
    description: "The plan's latest co-signature round (as /v1/cosignatures answers it)",
  }),
}).openapi("RiskAlertDetail");

// ── Mapping ───────────────────────────────────────────────────────────────────────────────────

/** Who acted: the name stored with the act (older rows: the timeline's actor name). */
/** Who acted, named as the row's `names` (resolved in its SQL) say. */
const person = (id: string | undefined, names: ExchangeRow["names"]) =>
  id ? { id, name: names[id] ?? "" } : null;

function toRiskAlert(row: ExchangeRow, orgId: string, now: Date) {
  const b = row.body as RiskAlertBody;
  const o = (row.outcome ?? {}) as RiskAlertOutcome;
  const level = row.subkind as (typeof RISK_LEVELS.codes)[number];
  return {
    ...toExchange(row, orgId),
    level: RISK_LEVELS.item(level),
    dimensions: (b.dimensions ?? []).map((d) => RISK_DIMENSIONS.item(d)),
    parties: b.parties ?? [],
    known: b.known ?? "",
    publicOpinion: b.publicOpinion ?? "",
    ackHours: b.ackHours ?? 0,
    overdue: row.status === "raised" && !!row.dueAt && Date.parse(row.dueAt) <= now.getTime(),
    acknowledged: o.acknowledgedAt ? { at: o.acknowledgedAt, by: person(o.acknowledgedBy, row.names) } : null,
    plan:
      o.plan && row.plan !== null
        ? {
            text: row.plan,
            status: PLAN_STATUSES.item(o.plan.status),
            version: o.plan.version,
            contentHash: o.plan.contentHash,
            cosignatureId: o.plan.cosignId ?? null,
            updatedAt: o.plan.updatedAt,
            updatedBy: person(o.plan.updatedBy, row.names),
            inForceAt: o.plan.inForceAt ?? null,
          }
        : null,
    closure: o.closure
      ? {
          resolution: o.closure.resolution,
          at: o.closure.at,
          by: person(o.closure.by, row.names),
        }
      : null,
  };
}

const changed = (
  r: Awaited<ReturnType<typeof acknowledgeRiskAlert>>,
  now: Date,
): z.infer<typeof RiskAlertWithTimeline> => ({
  ...toRiskAlert(r.row, r.principal.orgId, now),
  timeline: r.timeline.map((e) => toExchangeEvent("risk_alert", e)),
});

const toAssessment = (n: NoteRow) => {
  const d = (n.data ?? {}) as { level?: (typeof RISK_LEVELS.codes)[number]; measures?: string };
  return {
    org: n.org,
    author: n.author,
    level: RISK_LEVELS.item(d.level ?? "medium"),
    assessment: n.body,
    measures: d.measures ?? "",
    at: n.createdAt,
  };
};

const StatusList = statusList(RISK_ALERT_STATUSES.codes, "raised,acknowledged");

const refusals = (codes: string) => errorResponse(codes);

// ── Routes ────────────────────────────────────────────────────────────────────────────────────

export const riskAlertsRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/risk-alerts",
      tags,
      summary: "Raise a petition-risk alert (访情舆情预警) to the other institution of the pair",
      description:
        "Linked to a supervision document and/or case numbers (at least one). The recipient (the " +
        "counterpart of the caller's institution) must acknowledge within `ackHours` clock hours " +
        `(default by level: ${ackDefaults}); nights, weekends and holidays do not stop the clock. Its ` +
        "leaders and coordinators are told at once, urgently; the escalation ladder (hours: H-1, H0, H+2 " +
        "by default) follows, each step within 15 minutes of being due, at any hour. Idempotent: a retry " +
        "with the same `Idempotency-Key` and body returns the first alert with 200; another body is 409 " +
        "`idempotency_key_reused`.",
      roles: RISK_ALERT_ROLES,
      request: { headers: IdempotencyHeader, body: jsonBody(NewRiskAlertInput) },
      responses: {
        201: jsonResponse(RiskAlertWithTimeline, "Raised"),
        200: jsonResponse(RiskAlertWithTimeline, "A retry: the alert raised by the first attempt"),
        409: refusals("`idempotency_key_reused`, `no_counterpart`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const key = c.req.valid("header")["idempotency-key"];
      const r = await raiseRiskAlert(deps, c.var.scope, key, c.req.valid("json"));
      if (!r.created) c.header("Idempotent-Replayed", "true");
      c.header("Location", `/v1/risk-alerts/${r.row.id}`);
      return c.json(changed(r, deps.clock.now()), r.created ? 201 : 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/risk-alerts",
      tags,
      summary: "Petition-risk alerts of the caller's institution, raised and received",
      description:
        "In update order, cursor-paginated; `direction` in (received) / out (raised) / both; `level`, " +
        "`status`, the created period `from`–`to` (China dates), `documentId`, `updatedSince` for sync.",
      roles: "any",
      request: {
        query: ExchangeListQuery.extend({
          level: z.enum(RISK_LEVELS.codes).optional(),
          status: StatusList,
          documentId: z.string().min(1).max(64).optional(),
        }),
      },
      responses: { 200: jsonResponse(pageOf(RiskAlertSchema), "A page of alerts") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listExchanges(c.var.scope, "risk_alert", { ...q, subkind: q.level });
      const now = c.var.deps.clock.now();
      return c.json(
        {
          items: page.items.map((r) => toRiskAlert(r, page.principal.orgId, now)),
          nextCursor: page.nextCursor,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/risk-alerts/{id}",
      tags,
      summary: "One alert: content, both assessments, the plan and its round, timeline, ladder and steps",
      roles: "any",
      request: { params: ExchangeParams },
      responses: { 200: jsonResponse(RiskAlertDetail, "The alert") },
    }),
    async (c) => {
      const d = await readRiskAlert(c.var.scope, c.req.valid("param").id);
      const orgId = d.principal.orgId;
      const assessments = d.notes
        .map((n) => JSON.parse(n.j) as NoteRow)
        .filter((n) => n.kind === "assessment");
      const of = (o: string) => {
        const n = assessments.find((a) => a.org.id === o);
        return n ? toAssessment(n) : null;
      };
      const [sender, recipient] = [of(d.row.sender.id), of(d.row.recipient.id)];
      return c.json(
        {
          ...toRiskAlert(d.row, orgId, c.var.deps.clock.now()),
          ...toDetailFields("risk_alert", {
            timeline: d.timeline,
            notes: d.notes.map((n) => JSON.parse(n.j) as NoteRow),
            steps: d.steps,
            ladder: ladderView("risk_alert", d.ownLadder),
          }),
          assessments: { sender, recipient, complete: !!sender && !!recipient },
          cosignature: d.cosign ? toCosign(JSON.parse(d.cosign) as CosignRow) : null,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/risk-alerts/{id}/acknowledge",
      tags,
      summary: "Acknowledge the alert (the recipient): raised → acknowledged; the ladder stops",
      description: "A second call is 409 `already_acknowledged`; a closed alert 409 `already_closed`.",
      roles: RISK_ALERT_ROLES,
      request: {
        params: ExchangeParams,
        body: {
          required: false,
          content: {
            "application/json": {
              schema: z
                .object({ note: text(2000).optional() })
                .strict()
                .openapi("RiskAlertAcknowledgeInput"),
            },
          },
        },
      },
      responses: {
        200: jsonResponse(RiskAlertWithTimeline, "Acknowledged"),
        409: refusals("`already_acknowledged`, `already_closed`, `concurrent_change`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const body = (c.req.valid("json") ?? {}) as { note?: string };
      const r = await acknowledgeRiskAlert(deps, c.var.scope, c.req.valid("param").id, body.note ?? null);
      return c.json(changed(r, deps.clock.now()), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/risk-alerts/{id}/assessments",
      tags,
      summary: "Record your side's risk assessment (once per side; the recipient after acknowledging)",
      description:
        "The joint assessment is complete when both sides have recorded theirs (see the detail's " +
        "`assessments`). A second assessment from the same side is 409 `already_assessed`; the " +
        "recipient before acknowledging 409 `not_acknowledged`; a closed alert 409 `already_closed`.",
      roles: RISK_ALERT_ROLES,
      request: { params: ExchangeParams, body: jsonBody(AssessmentInput) },
      responses: {
        201: jsonResponse(RiskAlertWithTimeline, "Recorded"),
        409: refusals("`already_assessed`, `not_acknowledged`, `already_closed`, `concurrent_change`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const r = await assessRiskAlert(deps, c.var.scope, c.req.valid("param").id, c.req.valid("json"));
      return c.json(changed(r, deps.clock.now()), 201);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/v1/risk-alerts/{id}/plan",
      tags,
      summary: "Draft or edit the contingency plan (应急预案), either side, once acknowledged",
      description:
        "Only while no co-signature round over the plan is open (409 `cosign_open`) or signed (409 " +
        "`plan_locked`); a refused round reopens it. Each change is a new version with its content " +
        "hash; the same text again changes nothing. Optimistic concurrency: send `baseVersion`, the " +
        "`plan.version` your edit was made on (0 or absent for the first draft); if someone saved " +
        "another version since, the answer is 409 `plan_changed` with `currentVersion` (and who saved " +
        "it, `updatedBy`, `updatedAt`) and nothing is written — reload, merge, send again. The other " +
        "side's coordinators are told who changed the plan.",
      roles: RISK_ALERT_ROLES,
      request: { params: ExchangeParams, body: jsonBody(PlanInput) },
      responses: {
        200: jsonResponse(RiskAlertSchema, "The alert with its plan"),
        409: refusals(
          "`plan_changed` (with `currentVersion`), `not_acknowledged`, `already_closed`, `cosign_open`, " +
            "`plan_locked`, `concurrent_change`",
        ),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const { text, baseVersion } = c.req.valid("json");
      const r = await savePlan(deps, c.var.scope, c.req.valid("param").id, text, baseVersion);
      return c.json(toRiskAlert(r.row, r.orgId, deps.clock.now()), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/risk-alerts/{id}/plan/submit",
      tags,
      summary: "Submit the plan for signature by both institutions' leaders (a co-signature round)",
      description:
        "Opens a round (subject `contingency_plan`, id = the alert's) whose parties are both " +
        "institutions' leaders; they sign or refuse at `/v1/cosignatures/{id}/sign|refuse` (the id is " +
        "`plan.cosignatureId`). Signed by both: the plan is in force and locked; refused: a draft again. " +
        "409 `no_plan`, `cosign_open`, `plan_locked`, `not_acknowledged`, `already_closed`.",
      roles: RISK_ALERT_ROLES,
      request: { params: ExchangeParams },
      responses: {
        200: jsonResponse(RiskAlertWithTimeline, "Submitted"),
        409: refusals("`no_plan`, `cosign_open`, `plan_locked`, `not_acknowledged`, `already_closed`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const r = await submitPlan(deps, c.var.scope, c.req.valid("param").id);
      return c.json(changed(r, deps.clock.now()), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/risk-alerts/{id}/close",
      tags,
      summary: "Close the alert (either side, once acknowledged) with its resolution",
      description: "An open signature round over the plan is withdrawn in the same change.",
      roles: RISK_ALERT_ROLES,
      request: {
        params: ExchangeParams,
        body: jsonBody(
          z
            .object({ resolution: text(10_000).openapi({ example: "经双方释法说理,申请人息诉罢访。" }) })
            .strict()
            .openapi("RiskAlertCloseInput"),
        ),
      },
      responses: {
        200: jsonResponse(RiskAlertWithTimeline, "Closed"),
        409: refusals("`not_acknowledged`, `already_closed`, `concurrent_change`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const r = await closeRiskAlert(
        deps,
        c.var.scope,
        c.req.valid("param").id,
        c.req.valid("json").resolution,
      );
      return c.json(changed(r, deps.clock.now()), 200);
    },
  );
