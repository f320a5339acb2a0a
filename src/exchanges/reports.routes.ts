// HTTP routes of periodic mutual reports (定期通报, S3.1.2): report series (created by either side of
// a pair; the cron opens each ended period's report) and the reports themselves, which are exchanges
// of kind 'report' read, listed and changed through the exchanges core. One round trip per request;
// an outsider gets 404.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { chinaDate } from "../calendar/calendar.engine";
import { exchangeNotes, exchanges } from "../db/schema";
import { outboxFromSubjectEvents, SubjectEventSchema, subjectChange, toSubjectEvent } from "../events/events";
import {
  coded,
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  LabelSchema,
  newRouter,
  sha256,
  type Deps,
  paginate,
  PageQuery,
  pageOf,
} from "../http/api";
import { ApiError, forbidden } from "../http/problem";
import { updatedSince } from "../meetings/meetings.schemas";
import {
  ANY_PERIOD,
  addPeriods,
  isPeriod,
  nextPeriod,
  periodEnd,
  periodLabel,
  periodOf,
} from "../series/period";
import { CADENCES, type Cadence, REPORT_STATUSES, REPORT_TOPICS, REPORTERS, type Role } from "../vocab";
import {
  actOnExchange,
  type ExchangeRow,
  exchangeRows,
  type NoteRow,
  getExchange,
  listExchanges,
  notifyExchange,
  readExchange,
} from "./exchanges";
import {
  AttachmentSchema,
  detailFields,
  ExchangeParams,
  exchangeBaseSchema,
  IdempotencyHeader,
  NoteSchema,
  toDetailFields,
  toExchange,
  toNote,
} from "./exchanges.schemas";

import {
  createReportSeries,
  endReportSeries,
  getReportSeries,
  listReportSeries,
  REPORT_PROBLEMS,
  type ReportProblem,
  type ReportSeriesConfig,
  SERIES_ROLES,
  type SeriesJson,
  seriesRows,
} from "./reports";

const tags = ["Periodic reports"];

const refuse = (code: ReportProblem, detail: string) =>
  new ApiError(409, code, detail, { label: REPORT_PROBLEMS.label(code) });
type FieldErr = { path: string; message: string; code: string };
const invalid = (errors: FieldErr[]) =>
  new ApiError(400, "validation_failed", "The request has invalid fields.", {
    errors: errors.map((e) => ({ in: "json", ...e })),
  });

/** Who writes, reads and comments on reports (each for their own institution's side). */
const REPORT_ROLES: Role[] = ["coordinator", "leader", "department_head", "handler", "admin"];

// ── Schemas ───────────────────────────────────────────────────────────────────────────────────

const Label = z
  .object({ zh: z.string().trim().min(1).max(100), en: z.string().trim().min(1).max(100) })
  .strict();

const FieldDef = z
  .object({
    key: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,39}$/, "snake_case: a lowercase letter, then letters, digits or _ (≤ 40)")
      .openapi({ example: "cases_accepted" }),
    label: Label.openapi({ example: { zh: "受理涉未成年人案件数", en: "Cases involving minors accepted" } }),
    type: z.enum(["integer", "text"]),
    required: z.boolean().default(true),
    min: z.number().int().min(0).max(1_000_000_000).optional().openapi({
      description: "integer fields: the smallest value allowed (default 0: no negative figures)",
    }),
  })
  .strict()
  .refine((f) => f.type === "integer" || f.min === undefined, {
    message: "only integer fields have a minimum",
    path: ["min"],
  })
  .openapi("ReportField");

const NewSeriesInput = z
  .object({
    title: z.string().trim().min(1).max(100).openapi({ example: "涉未成年人案件办理情况通报" }),
    topic: z.enum(REPORT_TOPICS.codes),
    reporter: z.enum(REPORTERS.codes),
    cadence: z.enum(CADENCES.codes),
    dueWorkdays: z.number().int().min(1).max(30).openapi({
      description: "The report is due this many working days after its period's last day",
      example: 10,
    }),
    startPeriod: z
      .string()
      .max(7)
      .optional()
      .openapi({
        description:
          "The first period reported on (a key of the cadence: 2027-03, 2027-Q1, 2027-H1, 2027): the " +
          "current period (the default) or a later one, up to five years ahead",
        example: "2027-01",
      }),
    fields: z
      .array(FieldDef)
      .min(1)
      .max(30)
      .superRefine((fs, ctx) => {
        const seen = new Set<string>();
        fs.forEach((f, i) => {
          if (seen.has(f.key))
            ctx.addIssue({ code: "custom", message: "each field needs its own key", path: [i, "key"] });
          seen.add(f.key);
        });
      }),
  })
  .strict()
  .openapi("NewReportSeries");

const Period = z.object({
  period: z.string(),
  label: LabelSchema,
  endsOn: z.string().openapi({ description: "The period's last day (China date)" }),
  opensOn: z.string().openapi({ description: "The day its report is opened (the day after it ends)" }),
});

const ReportSeriesSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    topic: coded(REPORT_TOPICS.codes),
    reporter: coded(REPORTERS.codes),
    cadence: coded(CADENCES.codes),
    dueWorkdays: z.number().int(),
    startPeriod: z.string(),
    active: z.boolean(),
    endedAt: z.string().nullable(),
    fields: z.array(
      z.object({
        key: z.string(),
        label: LabelSchema,
        type: z.enum(["integer", "text"]),
        required: z.boolean(),
        min: z.number().int().nullable(),
      }),
    ),
    next: Period.nullable().openapi({
      description: "The next period whose report is owed (none once ended)",
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("ReportSeries");

const ReportSeriesDetail = ReportSeriesSchema.extend({
  next: Period.extend({
    dueOn: z.string().nullable().openapi({ description: "Its report's due date on the pair's calendar" }),
  }).nullable(),
  reports: z.array(
    z.object({
      id: z.string(),
      period: z.string(),
      label: LabelSchema,
      sender: z.object({ id: z.string(), name: z.string() }),
      status: coded(REPORT_STATUSES.codes),
      dueOn: z.string().nullable(),
      late: z.boolean().nullable().openapi({ description: "Submitted after its due date (null: not yet)" }),
    }),
  ),
}).openapi("ReportSeriesDetail");

const Figures = z
  .record(z.string().max(40), z.unknown())
  .refine((r) => Object.keys(r).length <= 30, "at most 30 figures")
  .openapi({
    description: "Figure key → value (integer or text), per the series' fields",
    example: { cases_accepted: 12, cases_concluded: 10, notes: "其中3件涉校园欺凌" },
  });

const SubmitInput = z
  .object({
    figures: Figures,
    text: z.string().trim().max(10_000).default("").openapi({ example: "本月共受理涉未成年人案件12件……" }),
    attachments: z.array(AttachmentSchema).max(20).default([]),
  })
  .strict()
  .openapi("ReportSubmission");

const CommentInput = z
  .object({ body: z.string().trim().min(1).max(4000).openapi({ example: "请补充第三季度的同比数据。" }) })
  .strict()
  .openapi("ReportComment");

const ReportSchema = exchangeBaseSchema("report")
  .extend({
    topic: coded(REPORT_TOPICS.codes),
    periodLabel: LabelSchema.nullable(),
    fields: ReportSeriesSchema.shape.fields,
    figures: z.record(z.string(), z.union([z.number(), z.string()])).nullable(),
    text: z.string().nullable(),
    submittedAt: z.string().nullable(),
    late: z.boolean().nullable().openapi({ description: "Submitted after its due date (null: not yet)" }),
    overdue: z.boolean().openapi({ description: "Not submitted and past its due date (China time)" }),
    readAt: z.string().nullable(),
  })
  .openapi("Report");

const ReportWithTimeline = ReportSchema.extend({ timeline: z.array(SubjectEventSchema) }).openapi(
  "ReportWithTimeline",
);

const ReportDetail = ReportSchema.extend({
  ...detailFields,
  comments: z.array(NoteSchema),
}).openapi("ReportDetail");

// ── Mapping ───────────────────────────────────────────────────────────────────────────────────

type FieldRow = ReportSeriesConfig["fields"][number];
type ReportBody = {
  fields?: FieldRow[];
  cadence?: Cadence;
  figures?: Record<string, number | string>;
  text?: string;
  submittedAt?: string;
  late?: boolean;
  readAt?: string;
};

const fieldsOut = (fs: FieldRow[]) =>
  fs.map((f) => ({ key: f.key, label: f.label, type: f.type, required: f.required, min: f.min ?? null }));

function toReport(row: ExchangeRow, orgId: string, today: string): z.infer<typeof ReportSchema> {
  const b = row.body as ReportBody;
  const topic = (REPORT_TOPICS.codes as readonly string[]).includes(row.subkind)
    ? REPORT_TOPICS.item(row.subkind as never)
    : REPORT_TOPICS.item("other");
  return {
    ...toExchange(row, orgId),
    topic,
    periodLabel: row.period && b.cadence ? periodLabel(b.cadence, row.period) : null,
    fields: fieldsOut(b.fields ?? []),
    figures: b.figures ?? null,
    text: b.text ?? null,
    submittedAt: b.submittedAt ?? null,
    late: b.submittedAt ? !!b.late : null,
    overdue: row.status === "due" && !!row.dueOn && row.dueOn < today,
    readAt: b.readAt ?? null,
  };
}

function nextOf(s: SeriesJson) {
  if (!s.active) return null;
  const period = s.latest ? nextPeriod(s.cadence, s.latest) : s.startPeriod;
  const endsOn = periodEnd(s.cadence, period);
  const opensOn = new Date(Date.parse(`${endsOn}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return { period, label: periodLabel(s.cadence, period), endsOn, opensOn };
}

function toSeries(s: SeriesJson): z.infer<typeof ReportSeriesSchema> {
  const c = s.config;
  return {
    id: s.id,
    title: c.title,
    topic: REPORT_TOPICS.item(c.topic as never),
    reporter: REPORTERS.item(c.reporter),
    cadence: CADENCES.item(s.cadence),
    dueWorkdays: c.dueWorkdays,
    startPeriod: s.startPeriod,
    active: s.active,
    endedAt: c.endedAt ?? null,
    fields: fieldsOut(c.fields),
    next: nextOf(s),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

function toSeriesDetail(s: SeriesJson): z.infer<typeof ReportSeriesDetail> {
  const base = toSeries(s);
  return {
    ...base,
    next: base.next ? { ...base.next, dueOn: s.nextDueOn } : null,
    reports: s.reports.map((r) => ({
      id: r.id,
      period: r.period,
      label: periodLabel(s.cadence, r.period),
      sender: { id: r.senderOrgId, name: r.senderName },
      status: REPORT_STATUSES.item(r.status),
      dueOn: r.dueOn,
      late: r.status === "due" ? null : !!r.late,
    })),
  };
}

/**
 * Per-field errors of `figures` against a report's fields, as the SQL guard of submit decides them:
 * an unknown key, a required field missing (or blank text), a value of the wrong type, an integer
 * below its minimum (0 unless said).
 */
export function figureErrors(fields: FieldRow[], figures: Record<string, unknown>): FieldErr[] {
  const errors: FieldErr[] = [];
  const byKey = new Map(fields.map((f) => [f.key, f]));
  for (const [key, v] of Object.entries(figures)) {
    const f = byKey.get(key);
    const path = `figures.${key}`;
    if (!f) errors.push({ path, message: "not a field of this report", code: "unknown_field" });
    else if (f.type === "integer" && !Number.isSafeInteger(v))
      errors.push({ path, message: "must be a whole number", code: "wrong_type" });
    else if (f.type === "text" && typeof v !== "string")
      errors.push({ path, message: "must be text", code: "wrong_type" });
    else if (f.type === "integer" && (v as number) < (f.min ?? 0))
      errors.push({ path, message: `must be at least ${f.min ?? 0}`, code: "below_minimum" });
    else if (f.type === "text" && (v as string).length > 2000)
      errors.push({ path, message: "at most 2000 characters", code: "too_long" });
  }
  for (const f of fields)
    if (f.required && (figures[f.key] === undefined || (f.type === "text" && figures[f.key] === "")))
      errors.push({ path: `figures.${f.key}`, message: "required", code: "required" });
  return errors;
}

/**
 * SQL over the report `x_`: the figures `figs` (a JSON object) are valid for its fields — the same
 * rules as `figureErrors`, so nothing is written when they are not.
 */
const figuresValid = (figs: string) => sql`(not exists (select 1 from json_each(${figs}) f_
    where not exists (select 1 from json_each(x_.body, '$.fields') d_
      where d_.value ->> 'key' = f_.key and (
        (d_.value ->> 'type' = 'integer' and f_.type = 'integer'
          and f_.value >= coalesce(d_.value ->> 'min', 0) and abs(f_.value) <= 9007199254740991)
        or (d_.value ->> 'type' = 'text' and f_.type = 'text' and length(f_.value) <= 2000))))
  and not exists (select 1 from json_each(x_.body, '$.fields') d_
    where d_.value ->> 'required' and coalesce(json_extract(${figs}, '$.' || (d_.value ->> 'key')), '') = ''))`;

const today = (deps: Deps) => chinaDate(deps.clock.now());

const SENDER = sql`(select o_.name from organizations o_ where o_.id = x.sender_org_id)`;
const RECIPIENT = sql`(select o_.name from organizations o_ where o_.id = x.recipient_org_id)`;

const SeriesParams = z.object({ id: z.string().min(1).max(64) });

const seriesFound = (rows: { j: string }[]) => rows.length > 0;

/** The page of a list with a (updatedAt, id) cursor. */
const page = <T extends { updatedAt: string; id: string }>(rows: T[], limit: number) =>
  paginate(rows, limit, (r) => encodeCursor([r.updatedAt, r.id]));

// ── Routes ────────────────────────────────────────────────────────────────────────────────────

export const reportsRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/report-series",
      tags,
      summary: "Create a periodic mutual report series (定期通报) of the caller's pair",
      description:
        "Which side reports (or both), the cadence, the due day (working days after each period's " +
        "last day on the pair's calendar) and the report's figures (named integer and text fields). " +
        "The daily cron opens each period's report once the period has ended (China time), exactly " +
        "once per (series, period), catching up periods it missed (up to 24 back). `startPeriod` is the " +
        "current period or a later one (400 `start_in_past`: a series is not back-dated). Idempotent: a retry " +
        "with the same `Idempotency-Key` and body returns the first attempt's series with 200; " +
        "another body is 409 `idempotency_key_reused`.",
      roles: SERIES_ROLES,
      request: { headers: IdempotencyHeader, body: jsonBody(NewSeriesInput) },
      responses: {
        201: jsonResponse(ReportSeriesDetail, "Created"),
        200: jsonResponse(ReportSeriesDetail, "A retry: the series created by the first attempt"),
        409: errorResponse("`idempotency_key_reused`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const input = c.req.valid("json");
      const idem = c.req.valid("header")["idempotency-key"];
      const now = deps.clock.now();
      const current = periodOf(input.cadence, now);
      const start = input.startPeriod ?? current;
      if (!isPeriod(input.cadence, start))
        throw invalid([
          {
            path: "startPeriod",
            message: `not a ${input.cadence} period (e.g. ${current})`,
            code: "wrong_cadence",
          },
        ]);
      // No back-dating: a past period would open its report already overdue, with urgent notices to
      // both sides' leaders at once. The cron catches up only periods it missed after creation.
      if (start < current)
        throw invalid([
          {
            path: "startPeriod",
            message: `must be the current period (${current}) or a later one`,
            code: "start_in_past",
          },
        ]);
      const latest = addPeriods(
        input.cadence,
        current,
        (5 * 12) / { month: 1, quarter: 3, half_year: 6, year: 12 }[input.cadence],
      );
      if (start > latest)
        throw invalid([
          {
            path: "startPeriod",
            message: `must be ${latest} or earlier`,
            code: "out_of_range",
          },
        ]);
      const hash = await sha256(JSON.stringify(input));
      const id = deps.ids();
      const config = {
        title: input.title,
        topic: input.topic,
        reporter: input.reporter,
        dueWorkdays: input.dueWorkdays,
        fields: input.fields,
        requestHash: hash,
      } as ReportSeriesConfig;
      const { insert, byKey } = createReportSeries(scope, {
        id,
        idem,
        cadence: input.cadence,
        startPeriod: start,
        config,
        now: now.toISOString(),
      });
      const { results } = await scope.run([insert, byKey] as const);
      const [s] = seriesRows(results[1]);
      if (!s) throw new ApiError(409, "no_counterpart", "Your institution has no counterpart in its pair.");
      if (s.id !== id && s.config.requestHash !== hash)
        throw refuse("idempotency_key_reused", "This Idempotency-Key was used for a different series.");
      if (s.id !== id) c.header("Idempotent-Replayed", "true");
      c.header("Location", `/v1/report-series/${s.id}`);
      return c.json(toSeriesDetail(s), s.id === id ? 201 : 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/report-series",
      tags,
      summary: "The report series of the caller's pair",
      description: "In update order, cursor-paginated; `updatedSince` for mobile sync; `active` filters.",
      roles: "any",
      request: {
        query: z.object({
          active: z.enum(["true", "false"]).optional(),
          updatedSince: updatedSince("Only series changed after this instant (any offset)"),
          ...PageQuery.shape,
        }),
      },
      responses: {
        200: jsonResponse(pageOf(ReportSeriesSchema), "A page of series"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const { items: rows } = await scope.list<SeriesJson>(
        listReportSeries(scope, {
          active: q.active === undefined ? undefined : q.active === "true",
          updatedSince: q.updatedSince,
          limit: q.limit,
          after: q.cursor ? decodeCursor(q.cursor, (k) => Number.isFinite(Date.parse(k))) : undefined,
        }),
      );
      const p = page(rows, q.limit);
      return c.json({ items: p.items.map(toSeries), nextCursor: p.nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/report-series/{id}",
      tags,
      summary: "One report series: its settings, the next period due and its reports",
      roles: "any",
      request: { params: SeriesParams },
      responses: { 200: jsonResponse(ReportSeriesDetail, "The series") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const scope = c.var.scope;
      const { results } = await scope.run([getReportSeries(scope, id)] as const, ([r]) => seriesFound(r));
      const [s] = seriesRows(results[0]);
      return c.json(toSeriesDetail(s!), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/report-series/{id}/end",
      tags,
      summary: "End a report series: no new periods are opened; reports already opened stay",
      roles: SERIES_ROLES,
      request: { params: SeriesParams },
      responses: {
        200: jsonResponse(ReportSeriesDetail, "The ended series"),
        409: errorResponse("`series_ended`"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { results } = await scope.run(
        [
          endReportSeries(scope, id, deps.clock.now().toISOString()),
          scope.db.all<{ n: number }>(sql`select changes() as n`),
          getReportSeries(scope, id),
        ] as const,
        (r) => seriesFound(r[2]),
      );
      const [s] = seriesRows(results[2]);
      if (!results[1][0]?.n) throw refuse("series_ended", "The series has already ended.");
      return c.json(toSeriesDetail(s!), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/reports",
      tags,
      summary: "The periodic reports the caller's institution owes (out) or receives (in)",
      description:
        "In update order, cursor-paginated; filters: direction, series, period, status; " +
        "`updatedSince` for mobile sync.",
      roles: "any",
      request: {
        query: z.object({
          direction: z.enum(["in", "out", "both"]).default("both"),
          seriesId: z.string().min(1).max(64).optional(),
          period: z
            .string()
            .regex(ANY_PERIOD, "a period key such as 2027-03, 2027-Q1, 2027-H1, 2027")
            .optional(),
          status: z.enum(REPORT_STATUSES.codes).optional(),
          updatedSince: updatedSince("Only reports changed after this instant (any offset)"),
          ...PageQuery.shape,
        }),
      },
      responses: {
        200: jsonResponse(pageOf(ReportSchema), "A page of reports"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const { principal, items, nextCursor } = await listExchanges(c.var.scope, "report", {
        direction: q.direction,
        seriesId: q.seriesId,
        period: q.period,
        status: q.status ? [q.status] : undefined,
        updatedSince: q.updatedSince,
        cursor: q.cursor,
        limit: q.limit,
      });
      const day = today(c.var.deps);
      return c.json({ items: items.map((r) => toReport(r, principal.orgId, day)), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/reports/{id}",
      tags,
      summary: "One report: figures, text, attachments, comments, timeline, escalation steps, lateness",
      roles: "any",
      request: { params: ExchangeParams },
      responses: { 200: jsonResponse(ReportDetail, "The report") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const d = await readExchange(c.var.scope, "report", id);
      return c.json(
        {
          ...toReport(d.row, d.principal.orgId, today(c.var.deps)),
          ...toDetailFields("report", d),
          comments: d.notes.filter((n) => n.kind === "comment").map(toNote),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/reports/{id}/submit",
      tags,
      summary: "Submit a due report (the reporting institution): figures, text, attachments' metadata",
      description:
        "The figures are validated against the series' fields: an unknown key, a missing required " +
        "field, a value of the wrong type or an integer below its minimum (0 unless set) is 400 with " +
        "one error per field, and nothing is written. Records whether it was submitted after its " +
        "due date (`late`). The other side's coordinators are told. A second submit is 409 " +
        "`already_submitted`; the receiving side gets 403.",
      roles: REPORT_ROLES,
      request: { params: ExchangeParams, body: jsonBody(SubmitInput) },
      responses: {
        200: jsonResponse(ReportWithTimeline, "Submitted"),
        409: errorResponse("`already_submitted`, `already_read`, `concurrent_change`"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const day = today(deps);
      const now = deps.clock.now().toISOString();
      const figs = JSON.stringify(input.figures);
      const late = sql`json(iif(due_on < ${day}, 'true', 'false'))`;
      const r = await actOnExchange(deps, scope, "report", id, {
        event: "submitted",
        party: "sender",
        from: ["due"],
        to: "submitted",
        set: sql`body = json_set(body, '$.figures', json(${figs}), '$.text', ${input.text},
            '$.submittedAt', ${now}, '$.submittedBy', ${scope.me.userId}, '$.late', ${late}),
          attachments = ${JSON.stringify(input.attachments)}`,
        when: figuresValid(figs),
        data: sql`(select json_object('dueOn', due_on, 'late', ${late}) from exchanges where id = ${id})`,
        effects: (applied, ctx) => [
          notifyExchange(scope, {
            id: ctx.eventId,
            exchangeId: id,
            applied,
            side: "recipient",
            roles: ["coordinator"],
            kind: "report.submitted",
            zh: sql`${SENDER} || '已提交' || x.title || '。'`,
            en: sql`${SENDER} || ' submitted the periodic report "' || x.title || '".'`,
            dedupe: `report.submitted:${id}`,
            now,
          }),
        ],
        refuse: (row) => {
          const errors = figureErrors((row.body as ReportBody).fields ?? [], input.figures);
          return errors.length ? invalid(errors) : undefined;
        },
      });
      return c.json(
        { ...toReport(r.row, r.principal.orgId, day), timeline: r.timeline.map(toSubjectEvent) },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/reports/{id}/read",
      tags,
      summary: "Mark a submitted report read (the receiving institution)",
      description:
        "Before it is submitted: 409 `not_submitted`; again: 409 `already_read`; the reporting side: 403.",
      roles: REPORT_ROLES,
      request: { params: ExchangeParams },
      responses: {
        200: jsonResponse(ReportWithTimeline, "Read"),
        409: errorResponse("`not_submitted`, `already_read`"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const now = deps.clock.now().toISOString();
      const r = await actOnExchange(deps, scope, "report", id, {
        event: "read",
        party: "recipient",
        from: ["submitted"],
        to: "read",
        set: sql`body = json_set(body, '$.readAt', ${now}, '$.readBy', ${scope.me.userId})`,
        effects: (applied, ctx) => [
          notifyExchange(scope, {
            id: ctx.eventId,
            exchangeId: id,
            applied,
            side: "sender",
            roles: ["coordinator"],
            kind: "report.read",
            zh: sql`${RECIPIENT} || '已阅' || x.title || '。'`,
            en: sql`${RECIPIENT} || ' has read the periodic report "' || x.title || '".'`,
            dedupe: `report.read:${id}`,
            now,
          }),
        ],
      });
      return c.json(
        { ...toReport(r.row, r.principal.orgId, today(deps)), timeline: r.timeline.map(toSubjectEvent) },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/reports/{id}/comments",
      tags,
      summary: "Comment on a submitted report (either side); the other side is told",
      description:
        "Idempotent: a retry with the same `Idempotency-Key` and body returns the first comment with " +
        "200; another body is 409 `idempotency_key_reused`. Before submission: 409 `not_submitted`.",
      roles: REPORT_ROLES,
      request: { params: ExchangeParams, headers: IdempotencyHeader, body: jsonBody(CommentInput) },
      responses: {
        201: jsonResponse(NoteSchema, "Commented"),
        200: jsonResponse(NoteSchema, "A retry: the comment of the first attempt"),
        409: errorResponse("`not_submitted`, `idempotency_key_reused`"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { body } = c.req.valid("json");
      const idem = c.req.valid("header")["idempotency-key"];
      const deps = c.var.deps;
      const scope = c.var.scope;
      const db = scope.db;
      const now = deps.clock.now().toISOString();
      const [eventId, noteId] = [deps.ids(), deps.ids()];
      const me = scope.me;
      const t = subjectChange(scope, {
        table: exchanges,
        subjectType: "report",
        id,
        eventId,
        now,
        conds: sql`x_.kind = 'report' and x_.status in ('submitted', 'read')
          and not exists (select 1 from exchange_notes kn_
            where kn_.author_id = ${me.userId} and kn_.idempotency_key = ${idem})`,
        type: "commented",
        note: body,
        data: sql`json_object('noteId', ${noteId})`,
      });
      const myName = sql`(select o_.name from organizations o_ where o_.id = ${me.orgId})`;
      const excerpt = body.slice(0, 200);
      // The change (2 statements), the comment, two notices and the outbox come before the reads.
      const READ = t.statements.length + 4;
      const { principal, results } = await scope.run(
        [
          ...t.statements,
          // The comment, only with its timeline entry (a retry of the key writes neither).
          db.run(sql`insert into exchange_notes (id, exchange_id, jurisdiction_id, org_id, author_id, kind,
              body, idempotency_key, created_at)
            select ${noteId}, x.id, x.jurisdiction_id, ${me.orgId}, ${me.userId}, 'comment', ${body},
              ${idem}, ${now}
            from exchanges x where x.id = ${id} and ${t.applied}
            on conflict do nothing`),
          // The other side's coordinators: the recipient's when the sender commented, and back.
          ...(["recipient", "sender"] as const).map((side) =>
            notifyExchange(scope, {
              id: eventId,
              exchangeId: id,
              applied: sql`${t.applied} and ${me.orgId} = ${side === "recipient" ? sql`x.sender_org_id` : sql`x.recipient_org_id`}`,
              side,
              roles: ["coordinator"],
              kind: "report.commented",
              zh: sql`${myName} || '对' || x.title || '提出意见:' || ${excerpt}`,
              en: sql`${myName} || ' commented on the periodic report "' || x.title || '": ' || ${excerpt}`,
              dedupe: `report.commented:${eventId}`,
              now,
            }),
          ),
          outboxFromSubjectEvents(db, sql`ev.id = ${eventId}`),
          getExchange(scope, "report", id),
          db.all<{ j: string; exchangeId: string }>(sql`select n.exchange_id as exchangeId,
              json_object('id', n.id, 'kind', n.kind, 'org', json_object('id', o.id, 'name', o.name),
                'author', json_object('id', n.author_id, 'name', coalesce(u.name, '')),
                'body', n.body, 'data', json(n.data), 'createdAt', n.created_at) as j
            from exchange_notes n join organizations o on o.id = n.org_id
              left join users u on u.id = n.author_id
            where n.author_id = ${me.userId} and n.idempotency_key = ${idem}
              and ${scope.visible(exchangeNotes, "n")}`),
        ] as const,
        (r) => (r[READ] as { j: string }[])[0],
      );
      const [row] = exchangeRows(results[READ] as { j: string }[]);
      const [note] = results[READ + 1] as { j: string; exchangeId: string }[];
      if (note) {
        const n = JSON.parse(note.j) as NoteRow;
        if (note.exchangeId !== id || n.body !== body)
          throw refuse("idempotency_key_reused", "This Idempotency-Key was used for a different comment.");
        c.header("Location", `/v1/reports/${id}`);
        if (n.id !== noteId) c.header("Idempotent-Replayed", "true");
        return c.json(toNote(n), n.id === noteId ? 201 : 200);
      }
      if (!principal.roles.some((r) => REPORT_ROLES.includes(r))) throw forbidden();
      if (row!.status === "due") throw refuse("not_submitted", "The report has not been submitted yet.");
      throw new ApiError(409, "concurrent_change", "The report changed while this request ran; retry.");
    },
  );
