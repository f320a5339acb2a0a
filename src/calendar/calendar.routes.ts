// Deadlines: preview of a computation, the holiday calendar, 调休 setting and local rule overrides.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { coded, defineRoute, errorResponse, newRouter, jsonResponse, jsonBody } from "../http/api";
import { ApiError, forbidden } from "../http/problem";
import { docSender, DOC_TYPES, ROLES } from "../vocab";
import { jurisdictions } from "../db/schema";
import { DeadlineWarningSchema, IsoDate, onePeriod } from "../documents/documents.schemas";
import {
  calendarWarnings,
  explain,
  loadYearStatements,
  outsideCalendar,
  parseYears,
  previewQuery,
  recomputeDeadlineStatements,
  reindexStatement,
  type PreviewRow,
} from "./calendar.service";

const tags = ["Deadlines"];

const Step = z.object({
  kind: z.enum(["start", "raw_end", "roll_forward", "calendar_missing", "due"]),
  date: z.string(),
  note: z.object({ zh: z.string(), en: z.string() }),
});
const RuleRef = z.object({
  id: z.string(),
  code: z.enum(DOC_TYPES.codes),
  version: z.number().int(),
  period: z.object({
    days: z.number().int().nullable(),
    months: z.number().int().nullable(),
    senderSets: z.boolean(),
  }),
  source: z.string(),
});
const Preview = z
  .object({
    dueOn: z.string(),
    rule: RuleRef,
    calendarComplete: z.boolean(),
    warnings: z.array(DeadlineWarningSchema),
    steps: z.array(Step),
  })
  .openapi("DeadlinePreview", {
    example: {
      dueOn: "2026-10-08",
      rule: {
        id: "default:protest.civil",
        code: "protest.civil",
        version: 1,
        period: { days: 30, months: null, senderSets: false },
        source: "民事诉讼法 第222条",
      },
      calendarComplete: true,
      warnings: [],
      steps: [],
    },
  });

const SpecialDay = z.object({
  date: IsoDate,
  kind: z.enum(["holiday", "makeup"]),
  name: z.string().trim().min(1).max(50),
});
const CalendarYear = z
  .object({
    year: z.number().int(),
    loaded: z.object({ source: z.string(), loadedAt: z.string() }).nullable(),
    days: z.array(SpecialDay),
  })
  .openapi("CalendarYear");
const Year = z.object({ year: z.coerce.number().int().min(2000).max(2060) });

const Rule = z
  .object({
    id: z.string(),
    type: coded(DOC_TYPES.codes),
    version: z.number().int(),
    local: z
      .boolean()
      .openapi({ description: "An override of this jurisdiction (else the national default)" }),
    periodDays: z.number().int().nullable(),
    periodMonths: z.number().int().nullable(),
    senderSets: z.boolean(),
    maxDays: z.number().int().nullable(),
    maxMonths: z.number().int().nullable(),
    extensionDays: z.number().int().nullable(),
    extensionMonths: z.number().int().nullable(),
    source: z.string(),
  })
  .openapi("DeadlineRule");
const RuleInput = z
  .object({
    periodDays: z.number().int().min(1).max(366).optional(),
    periodMonths: z.number().int().min(1).max(24).optional(),
    source: z.string().trim().min(1).max(500).openapi({ example: "本市法检框架意见:三十日内回复" }),
  })
  .refine((r) => (r.periodDays === undefined) !== (r.periodMonths === undefined), {
    message: "give exactly one of periodDays and periodMonths",
    path: ["periodDays"],
  })
  .openapi("DeadlineRuleOverride");

type RuleRow = {
  id: string;
  type: (typeof DOC_TYPES.codes)[number];
  version: number;
  jurisdictionId: string | null;
  periodDays: number | null;
  periodMonths: number | null;
  senderSets: number;
  maxDays: number | null;
  maxMonths: number | null;
  extensionDays: number | null;
  extensionMonths: number | null;
  source: string;
};
const toRule = (r: RuleRow) => ({
  id: r.id,
  type: DOC_TYPES.item(r.type),
  version: r.version,
  local: r.jurisdictionId !== null,
  periodDays: r.periodDays,
  periodMonths: r.periodMonths,
  senderSets: !!r.senderSets,
  maxDays: r.maxDays,
  maxMonths: r.maxMonths,
  extensionDays: r.extensionDays,
  extensionMonths: r.extensionMonths,
  source: r.source,
});
const RULE_COLUMNS = sql`id, type, version, jurisdiction_id as jurisdictionId,
  period_days as periodDays, period_months as periodMonths, sender_sets as senderSets,
  max_days as maxDays, max_months as maxMonths,
  extension_days as extensionDays, extension_months as extensionMonths, source`;

export const calendarRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/deadlines/preview",
      tags,
      summary: "Compute a reply deadline and explain each step (the same engine that sets it on receipt)",
      roles: "any",
      request: {
        query: z
          .object({
            type: z.enum(DOC_TYPES.codes),
            receivedOn: IsoDate,
            periodDays: z.coerce.number().int().min(1).max(366).optional(),
            periodMonths: z.coerce.number().int().min(1).max(24).optional(),
          })
          .superRefine(onePeriod),
      },
      responses: {
        200: jsonResponse(Preview, "The due date with its computation"),
        422: errorResponse("`outside_calendar`: the receipt date or the due date is outside 2000–2060"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const {
        results: [row],
      } = await scope.run([previewQuery(scope.db, { jurisdictionId: scope.me.jurisdictionId, ...q })]);
      const r = row as PreviewRow | undefined;
      if (!r?.ruleId) throw new ApiError(404, "no_rule", `No deadline rule for ${q.type}.`);
      const given = q.periodDays !== undefined || q.periodMonths !== undefined;
      if (given && !r.senderSets)
        throw new ApiError(400, "validation_failed", "The request has invalid fields.", {
          errors: [
            {
              in: "query",
              path: "periodDays",
              message: "the period of this type is set by its rule",
              code: "not_sender_set",
            },
          ],
        });
      if (given) {
        const path = q.periodDays !== undefined ? "periodDays" : "periodMonths";
        const over =
          q.periodDays !== undefined
            ? r.maxDays == null || q.periodDays > r.maxDays
            : r.maxMonths == null || q.periodMonths! > r.maxMonths;
        if (over)
          throw new ApiError(400, "validation_failed", "The request has invalid fields.", {
            errors: [
              {
                in: "query",
                path,
                message: `at most ${r.maxDays} days or ${r.maxMonths} months for this type`,
                code: "too_big",
              },
            ],
          });
      }
      if (!r.dueOn) throw outsideCalendar();
      return c.json(
        {
          dueOn: r.dueOn,
          rule: {
            id: r.ruleId,
            code: q.type,
            version: r.ruleVersion!,
            period: { days: r.periodDays, months: r.periodMonths, senderSets: !!r.senderSets },
            source: r.source!,
          },
          calendarComplete: !!r.complete,
          warnings: calendarWarnings(parseYears(r.missing)),
          steps: explain(q.receivedOn, r),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/calendar/{year}",
      tags,
      summary: "A year's official holidays and make-up working days, and whether the year is loaded",
      roles: [...ROLES.codes, "operator"],
      request: { params: Year },
      responses: { 200: jsonResponse(CalendarYear, "The year") },
    }),
    async (c) => {
      const { year } = c.req.valid("param");
      const runner = c.var.operator ?? c.var.scope;
      const db = runner.db;
      const {
        results: [days, loaded],
      } = await runner.run([
        db.all<{ date: string; kind: "holiday" | "makeup"; name: string }>(
          sql`select day as date, kind, name from calendar_days
            where day between ${`${year}-01-01`} and ${`${year}-12-31`} and kind in ('holiday', 'makeup')
            order by day`,
        ),
        db.all<{ source: string; loadedAt: string }>(
          sql`select source, loaded_at as loadedAt from calendar_years where year = ${year}`,
        ),
      ]);
      return c.json({ year, loaded: loaded[0] ?? null, days }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/v1/calendar/{year}",
      tags,
      summary: "Load or correct a year's holidays and make-up days (deployment operators)",
      description:
        "Replaces the year's special days (the State Council publishes them late in the previous year). " +
        "The calendar is the whole deployment's, so only its operators change it. " +
        "Open documents whose deadline counting touched the year get their due date computed again, " +
        "with a `deadline_recomputed` timeline event by the system (no actor); so do open referral " +
        "notices (acknowledgement due) and periodic reports (submission due), whose ladder then " +
        "starts again on the new date.",
      roles: "operator",
      request: { params: Year, body: jsonBody(z.object({ days: z.array(SpecialDay).max(200) })) },
      responses: { 200: jsonResponse(CalendarYear, "The year as loaded") },
    }),
    async (c) => {
      const { year } = c.req.valid("param");
      const { days } = c.req.valid("json");
      const wrong = days.findIndex((d) => !d.date.startsWith(`${year}-`));
      if (wrong >= 0)
        throw new ApiError(400, "validation_failed", "The request has invalid fields.", {
          errors: [{ in: "json", path: `days.${wrong}.date`, message: `not in ${year}` }],
        });
      const op = c.var.operator!;
      const guard = op.isOperator();
      const now = c.var.deps.clock.now().toISOString();
      await op.run([
        ...loadYearStatements(
          op.db,
          year,
          days,
          { source: "operator", at: now, by: sql`${op.operatorId}` },
          guard,
        ),
        reindexStatement(op.db, guard),
        // A system event in every tenant's timeline: it names nobody (the operator is no tenant's user).
        ...recomputeDeadlineStatements(op.db, {
          year,
          guard,
          actor: sql`null`,
          at: now,
          eventPrefix: c.var.deps.ids(),
        }),
      ]);
      return c.json(
        {
          year,
          loaded: { source: "operator", loadedAt: now },
          days: [...days].sort((a, b) => a.date.localeCompare(b.date)),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/v1/jurisdictions/{id}/settings",
      tags,
      summary:
        "Jurisdiction settings: whether make-up working days (调休) count as working days (its admins)",
      roles: ["admin"],
      request: {
        params: z.object({ id: z.string().min(1).max(64) }),
        body: jsonBody(z.object({ countMakeupWorkdays: z.boolean() })),
      },
      responses: {
        200: jsonResponse(z.object({ id: z.string(), countMakeupWorkdays: z.boolean() }), "The settings"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { countMakeupWorkdays } = c.req.valid("json");
      const scope = c.var.scope;
      const {
        principal,
        results: [, visible],
      } = await scope.run(
        [
          scope.db.run(
            sql`update jurisdictions set count_makeup_workdays = ${countMakeupWorkdays ? 1 : 0}
              where id = ${id} and id = ${scope.me.jurisdictionId} and ${scope.hasRole()}`,
          ),
          scope.db.all<{ id: string }>(
            sql`select id from jurisdictions where id = ${id} and ${scope.visible(jurisdictions)}`,
          ),
        ],
        ([, v]) => v[0],
      );
      if (principal.jurisdictionId !== id || !visible[0])
        throw forbidden("Settings are changed by the jurisdiction's own administrators.");
      return c.json({ id, countMakeupWorkdays }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/deadline-rules",
      tags,
      summary:
        "The deadline rules in force for the caller's jurisdiction (local overrides over national defaults)",
      roles: "any",
      responses: { 200: jsonResponse(z.object({ items: z.array(Rule) }), "Rules by type") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const {
        results: [rows],
      } = await scope.run([
        scope.db.all<RuleRow>(sql`select ${RULE_COLUMNS} from (
          select dr.*,
            row_number() over (partition by type order by jurisdiction_id is null, version desc) as rn
          from deadline_rules dr
          where dr.jurisdiction_id is null or dr.jurisdiction_id = ${scope.me.jurisdictionId})
        where rn = 1 order by type`),
      ]);
      return c.json({ items: rows.map(toRule) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/v1/deadline-rules/{type}",
      tags,
      summary:
        "Shorten a type's period for the caller's jurisdiction (admins of the sending institution); " +
        "documents keep the rule version they were computed from",
      roles: ["admin"],
      request: { params: z.object({ type: z.enum(DOC_TYPES.codes) }), body: jsonBody(RuleInput) },
      responses: {
        200: jsonResponse(Rule, "The new rule version"),
        422: errorResponse("Longer than the statutory period"),
      },
    }),
    async (c) => {
      const { type } = c.req.valid("param");
      const input = c.req.valid("json");
      const scope = c.var.scope;
      const id = c.var.deps.ids();
      const now = c.var.deps.clock.now().toISOString();
      const sender = docSender(type);
      const pd = input.periodDays ?? null,
        pm = input.periodMonths ?? null;
      // Statutory periods are maxima: a local agreement may shorten one, never lengthen it (a month
      // is taken at its shortest, 28 days, and a day-period's month at its longest, 31 days).
      const notLonger = sql`(case
        when base.sender_sets then coalesce(${pd} <= base.max_days, ${pm} <= base.max_months, 0)
        else coalesce(${pd} <= coalesce(base.period_days, base.period_months * 28),
          ${pm} <= base.period_months, ${pm} * 31 <= base.period_days, 0) end)`;
      const {
        principal,
        results: [, rows],
      } = await scope.run([
        scope.db.run(sql`insert into deadline_rules (id, jurisdiction_id, type, version,
            period_days, period_months, sender_sets, max_days, max_months, extension_days, extension_months,
            on_missed, source, created_at, created_by)
          select ${id}, ${scope.me.jurisdictionId}, base.type,
            (select coalesce(max(version), 0) + 1 from deadline_rules
              where type = ${type} and jurisdiction_id = ${scope.me.jurisdictionId}),
            ${input.periodDays ?? null}, ${input.periodMonths ?? null},
            base.sender_sets, base.max_days, base.max_months, base.extension_days, base.extension_months,
            base.on_missed,
            ${input.source}, ${now}, ${scope.me.userId}
          from deadline_rules base
          where base.id = ${`default:${type}`} and ${scope.hasRole()} and ${scope.isInstitution(sender)}
            and ${notLonger}`),
        scope.db.all<RuleRow>(sql`select ${RULE_COLUMNS} from deadline_rules where id = ${id}`),
      ]);
      if (principal.orgKind !== sender)
        throw forbidden(
          `The period of ${type} is set by the institution that sends it ` +
            `(the ${sender}), under the local agreement.`,
        );
      if (!rows[0])
        throw new ApiError(
          422,
          "longer_than_statute",
          "A local period may shorten the statutory one (or the sender-set maximum), never lengthen it.",
        );
      return c.json(toRule(rows[0]), 200);
    },
  );
