// HTTP routes of referral notices (线索通报, S3.1.5): send, acknowledge, record the outcome, withdraw,
// list both directions, read one, count. Each route is one database round trip; an outsider gets 404.
import { z } from "@hono/zod-openapi";
import { coded, defineRoute, errorResponse, jsonBody, jsonResponse, newRouter, pageOf } from "../http/api";
import { REFERRAL_ACTIONS, REFERRAL_KINDS, REFERRAL_STATUSES } from "../vocab";
import { countExchanges, type ExchangeRow, listExchanges, readExchange, todayOf } from "./exchanges";
import {
  AttachmentSchema,
  CaseNumbers,
  CountQuery,
  Day,
  detailFields,
  ExchangeListQuery,
  ExchangeParams,
  exchangeBaseSchema,
  IdempotencyHeader,
  rangeForward,
  toDetailFields,
  toExchange,
  toExchangeEvent,
  statusList,
} from "./exchanges.schemas";
import {
  ACK_WORKING_DAYS,
  acknowledgeReferral,
  checkOutcome,
  POLICE_KINDS,
  REFERRAL_ROLES,
  recordReferralOutcome,
  sendReferral,
  withdrawReferral,
} from "./referrals";

const tags = ["Referral notices"];
const text = (max: number) => z.string().trim().min(1).max(max);

// ── Schemas ───────────────────────────────────────────────────────────────────────────────────

const Party = z
  .object({
    name: text(200).openapi({ example: "张某" }),
    role: text(50).openapi({
      example: "原告",
      description: "The party's standing (原告, 被告, 申请执行人 …)",
    }),
  })
  .strict()
  .openapi("ReferralParty");

const NewReferralInput = z
  .object({
    kind: z.enum(REFERRAL_KINDS.codes).openapi({ example: "false_litigation" }),
    title: text(300).optional().openapi({
      description: "Derived when absent: 关于(2026)…号案件虚假诉讼线索的通报",
    }),
    caseNumbers: CaseNumbers.min(1).max(20),
    parties: z.array(Party).min(1).max(50),
    facts: text(10_000).openapi({ example: "原告与被告恶意串通,虚构借款事实,骗取法院民事调解书。" }),
    policeReferredOn: Day.nullable()
      .optional()
      .openapi({
        description:
          "The day the case was referred to the police: required when a court sends false litigation " +
          "or refusal to execute (`police_date_required`); not in the future",
        example: "2026-08-31",
      }),
    documentId: z.string().min(1).max(64).nullable().optional().openapi({
      description: "A supervision document between the two institutions that this notice concerns",
    }),
    attachments: z.array(AttachmentSchema).max(50).optional(),
  })
  .strict()
  .openapi("NewReferral");

const OutcomeInput = z
  .object({
    action: z.enum(REFERRAL_ACTIONS.codes).openapi({ example: "opened_supervision" }),
    reason: text(4000).optional().openapi({ description: "Required for `no_action`" }),
    note: text(4000).optional(),
    relatedDocumentId: z.string().min(1).max(64).optional(),
  })
  .strict()
  .openapi("ReferralOutcomeInput");

const Named = z.object({ id: z.string(), name: z.string() });

const ReferralSchema = exchangeBaseSchema("referral")
  .extend({
    parties: z.array(z.object({ name: z.string(), role: z.string() })),
    facts: z.string(),
    policeReferredOn: z.string().nullable(),
    overdue: z.boolean().openapi({ description: "Sent and not acknowledged by its due date (China time)" }),
    acknowledgedAt: z.string().nullable(),
    outcome: z
      .object({
        action: coded(REFERRAL_ACTIONS.codes),
        reason: z.string().nullable(),
        note: z.string().nullable(),
        relatedDocumentId: z.string().nullable(),
        at: z.string(),
        by: Named.nullable(),
      })
      .nullable(),
    withdrawal: z.object({ reason: z.string(), at: z.string() }).nullable(),
  })
  .openapi("Referral", {
    example: {
      id: "01JD6Y5R7Y8X3K2N4P6Q8S0T2V",
      kind: { code: "referral", label: { zh: "线索通报", en: "Referral notice" } },
      subkind: { code: "false_litigation", label: { zh: "虚假诉讼", en: "False litigation" } },
      status: { code: "sent", label: { zh: "已通报,待签收", en: "Sent, awaiting acknowledgement" } },
      sender: {
        id: "org-c",
        name: "某区人民法院",
        kind: { code: "court", label: { zh: "人民法院", en: "People's Court" } },
      },
      recipient: {
        id: "org-p",
        name: "某区人民检察院",
        kind: { code: "procuratorate", label: { zh: "人民检察院", en: "People's Procuratorate" } },
      },
      direction: "out",
      title: "关于(2026)京0105民初1234号案件虚假诉讼线索的通报",
      caseNumbers: ["(2026)京0105民初1234号"],
      documentId: null,
      attachments: [],
      dueOn: "2026-09-04",
      dueAt: null,
      deadlineVersion: 1,
      calendarComplete: true,
      seriesId: null,
      period: null,
      createdBy: { id: "u1", name: "王法官" },
      createdAt: "2026-09-01T02:00:00.000Z",
      updatedAt: "2026-09-01T02:00:00.000Z",
      parties: [{ name: "张某", role: "原告" }],
      facts: "原告与被告恶意串通,虚构借款事实。",
      policeReferredOn: "2026-08-31",
      overdue: false,
      acknowledgedAt: null,
      outcome: null,
      withdrawal: null,
    },
  });

const ReferralDetail = ReferralSchema.extend(detailFields).openapi("ReferralDetail");

const CountsSchema = z
  .object({
    from: z.string().nullable(),
    to: z.string().nullable(),
    items: z.array(
      z.object({
        direction: z.enum(["in", "out"]),
        kind: coded(REFERRAL_KINDS.codes),
        status: coded(REFERRAL_STATUSES.codes),
        count: z.number().int(),
      }),
    ),
    totals: z.object({ in: z.number().int(), out: z.number().int() }),
  })
  .openapi("ReferralCounts");

// ── Mapping ───────────────────────────────────────────────────────────────────────────────────

type Body = { parties?: { name: string; role: string }[]; facts?: string; policeReferredOn?: string | null };
type Outcome = {
  acknowledgedAt?: string;
  action?: (typeof REFERRAL_ACTIONS.codes)[number];
  reason?: string | null;
  note?: string | null;
  relatedDocumentId?: string | null;
  handledAt?: string;
  handledBy?: string;
  withdrawnReason?: string;
  withdrawnAt?: string;
};

function toReferral(row: ExchangeRow, orgId: string, today: string) {
  const b = row.body as Body;
  const o = (row.outcome ?? {}) as Outcome;
  return {
    ...toExchange(row, orgId),
    parties: b.parties ?? [],
    facts: b.facts ?? "",
    policeReferredOn: b.policeReferredOn ?? null,
    overdue: row.status === "sent" && !!row.dueOn && row.dueOn < today,
    acknowledgedAt: o.acknowledgedAt ?? null,
    outcome: o.action
      ? {
          action: REFERRAL_ACTIONS.item(o.action),
          reason: o.reason ?? null,
          note: o.note ?? null,
          relatedDocumentId: o.relatedDocumentId ?? null,
          at: o.handledAt ?? row.updatedAt,
          by: o.handledBy ? { id: o.handledBy, name: row.names[o.handledBy] ?? "" } : null,
        }
      : null,
    withdrawal: o.withdrawnReason ? { reason: o.withdrawnReason, at: o.withdrawnAt ?? row.updatedAt } : null,
  };
}

const ReferralWithTimeline = ReferralSchema.extend({ timeline: detailFields.timeline }).openapi(
  "ReferralWithTimeline",
);

const changed = (
  r: Awaited<ReturnType<typeof acknowledgeReferral>>,
  today: string,
): z.infer<typeof ReferralWithTimeline> => ({
  ...toReferral(r.row, r.principal.orgId, today),
  timeline: r.timeline.map((e) => toExchangeEvent("referral", e)),
});

const StatusList = statusList(REFERRAL_STATUSES.codes, "sent,acknowledged");

const refusals = (codes: string) => errorResponse(codes);

// ── Routes ────────────────────────────────────────────────────────────────────────────────────

export const referralsRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/referrals",
      tags,
      summary: "Send a referral notice (线索通报) to the other institution of the pair",
      description:
        "The recipient is the counterpart of the caller's institution. It must acknowledge within " +
        `${ACK_WORKING_DAYS} working days after today on the pair's calendar (the escalation ladder ` +
        "reminds its registrars, then its coordinators, then its leaders and the sender). A court's " +
        `notice of ${POLICE_KINDS.join(" or ")} needs \`policeReferredOn\`. Idempotent: a retry with the ` +
        "same `Idempotency-Key` and body returns the first notice with 200; another body is 409 " +
        "`idempotency_key_reused`.",
      roles: REFERRAL_ROLES,
      request: { headers: IdempotencyHeader, body: jsonBody(NewReferralInput) },
      responses: {
        201: jsonResponse(ReferralWithTimeline, "Sent"),
        200: jsonResponse(ReferralWithTimeline, "A retry: the notice sent by the first attempt"),
        409: refusals("`idempotency_key_reused`, `no_counterpart`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const key = c.req.valid("header")["idempotency-key"];
      const r = await sendReferral(deps, c.var.scope, key, c.req.valid("json"));
      if (!r.created) c.header("Idempotent-Replayed", "true");
      c.header("Location", `/v1/referrals/${r.row.id}`);
      return c.json(changed(r, todayOf(deps)), r.created ? 201 : 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/referrals",
      tags,
      summary: "Referral notices of the caller's institution, sent and received",
      description:
        "In update order, cursor-paginated; `direction` in (received) / out (sent) / both; `kind`, " +
        "`status`, the created period `from`–`to` (China dates), `updatedSince` for mobile sync.",
      roles: "any",
      request: {
        query: ExchangeListQuery.extend({
          kind: z.enum(REFERRAL_KINDS.codes).optional(),
          status: StatusList,
        }).superRefine(rangeForward),
      },
      responses: { 200: jsonResponse(pageOf(ReferralSchema), "A page of notices") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listExchanges(c.var.scope, "referral", { ...q, subkind: q.kind });
      const today = todayOf(c.var.deps);
      return c.json(
        {
          items: page.items.map((r) => toReferral(r, page.principal.orgId, today)),
          nextCursor: page.nextCursor,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/referrals/counts",
      tags,
      summary: "Counts of the caller's institution's notices by direction × kind × status",
      description:
        "Notices created within `from`–`to` (China dates, both optional), every combination that " +
        "occurs; the statistics read these.",
      roles: "any",
      request: { query: CountQuery },
      responses: { 200: jsonResponse(CountsSchema, "The counts") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await countExchanges(c.var.scope, "referral", q);
      const items = rows.map((r) => ({
        direction: r.direction,
        kind: REFERRAL_KINDS.item(r.subkind as (typeof REFERRAL_KINDS.codes)[number]),
        status: REFERRAL_STATUSES.item(r.status as (typeof REFERRAL_STATUSES.codes)[number]),
        count: r.n,
      }));
      const total = (d: "in" | "out") => rows.filter((r) => r.direction === d).reduce((s, r) => s + r.n, 0);
      return c.json(
        { from: q.from ?? null, to: q.to ?? null, items, totals: { in: total("in"), out: total("out") } },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/referrals/{id}",
      tags,
      summary: "One notice: content, outcome, timeline, notes, the ladder in force and the steps sent",
      roles: "any",
      request: { params: ExchangeParams },
      responses: { 200: jsonResponse(ReferralDetail, "The notice") },
    }),
    async (c) => {
      const d = await readExchange(c.var.scope, "referral", c.req.valid("param").id);
      return c.json(
        {
          ...toReferral(d.row, d.principal.orgId, todayOf(c.var.deps)),
          ...toDetailFields("referral", d),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/referrals/{id}/acknowledge",
      tags,
      summary: "Acknowledge receipt (the recipient): sent → acknowledged; the ladder stops",
      description:
        "A second call is 409 `already_acknowledged`; a withdrawn notice 409 `exchange_withdrawn`.",
      roles: REFERRAL_ROLES,
      request: {
        params: ExchangeParams,
        body: {
          required: false,
          content: {
            "application/json": {
              schema: z
                .object({ note: text(2000).optional() })
                .strict()
                .openapi("ReferralAcknowledgeInput"),
            },
          },
        },
      },
      responses: {
        200: jsonResponse(ReferralWithTimeline, "Acknowledged"),
        409: refusals("`already_acknowledged`, `already_handled`, `exchange_withdrawn`, `concurrent_change`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const body = (c.req.valid("json") ?? {}) as { note?: string };
      const r = await acknowledgeReferral(deps, c.var.scope, c.req.valid("param").id, body.note ?? null);
      return c.json(changed(r, todayOf(deps)), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/referrals/{id}/outcome",
      tags,
      summary: "Record what was done (the recipient): acknowledged → handled; the sender is told",
      description:
        "`reason` is required for `no_action`; `relatedDocumentId` must be a supervision document " +
        "between the two institutions.",
      roles: REFERRAL_ROLES,
      request: { params: ExchangeParams, body: jsonBody(OutcomeInput) },
      responses: {
        200: jsonResponse(ReferralWithTimeline, "Handled"),
        409: refusals("`not_acknowledged`, `already_handled`, `exchange_withdrawn`, `concurrent_change`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const input = c.req.valid("json");
      const bad = checkOutcome(input);
      if (bad) throw bad;
      const r = await recordReferralOutcome(deps, c.var.scope, c.req.valid("param").id, input);
      return c.json(changed(r, todayOf(deps)), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/referrals/{id}/withdraw",
      tags,
      summary: "Withdraw a notice (the sender), only while not yet acknowledged; a reason is required",
      roles: REFERRAL_ROLES,
      request: {
        params: ExchangeParams,
        body: jsonBody(
          z
            .object({ reason: text(2000).openapi({ example: "案号有误,重新通报" }) })
            .strict()
            .openapi("ReferralWithdrawInput"),
        ),
      },
      responses: {
        200: jsonResponse(ReferralWithTimeline, "Withdrawn"),
        409: refusals("`already_acknowledged`, `already_handled`, `exchange_withdrawn`, `concurrent_change`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const r = await withdrawReferral(
        deps,
        c.var.scope,
        c.req.valid("param").id,
        c.req.valid("json").reason,
      );
      return c.json(changed(r, todayOf(deps)), 200);
    },
  );
