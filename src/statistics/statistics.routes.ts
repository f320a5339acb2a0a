// HTTP routes of statistics (S3.2.2) and the city roll-up (S4.1): one batch each, JSON or a
// CSV/XLSX export of the same tables.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { chinaDate } from "../calendar/calendar.engine";
import { type AppEnv, defineRoute, LabelSchema, newRouter } from "../http/api";
import { attachment, CSV, type Format, formatOf, toCsv, toXlsx, XLSX } from "./export";
import {
  docGroups,
  exchangeCounts,
  myLevel,
  pairRows,
  pairsOf,
  parsePeriod,
  type Period,
  replyWorkdays,
  type Results,
  resultsOf,
  rollupTables,
  splitGroups,
  type Table,
  tablesOf,
  verdictCounts,
} from "./statistics";

const tags = ["Statistics"];
const TABLE_KEYS = ["documents", "replies", "retrials", "verdicts", "exchanges"] as const;

const Query = z.object({
  period: z.string().optional().openapi({
    description: "2026, 2026-H1, 2026-Q3 or 2026-07 (default: the current year)",
    example: "2026",
  }),
  format: z
    .enum(["json", "csv", "xlsx"])
    .optional()
    .openapi({ description: "Or `Accept: text/csv` / the XLSX media type" }),
  table: z.enum(TABLE_KEYS).optional().openapi({ description: "Export one table only" }),
});

const Figure = z
  .object({
    value: z.number().nullable(),
    href: z.string().nullable().openapi({
      description: "The list query whose rows this figure counts (null in the roll-up: figures only)",
      example: "/v1/documents?box=outbox&sentFrom=2026-01-01&sentTo=2026-12-31&type=protest.civil",
    }),
  })
  .openapi("StatisticsFigure");
const Coded = z.object({ code: z.string(), label: LabelSchema });
const Pair = z.object({ id: z.string(), code: z.string(), name: z.string() });
const TableSchema = z
  .object({
    key: z.enum(TABLE_KEYS),
    title: LabelSchema,
    dims: z.array(z.object({ key: z.string(), label: LabelSchema })),
    measures: z.array(z.object({ key: z.string(), label: LabelSchema })),
    rows: z.array(
      z.object({
        pair: Pair.nullable().optional().openapi({ description: "Roll-up only: the pair (null: the total)" }),
        dims: z.record(z.string(), Coded.nullable()),
        figures: z.record(z.string(), Figure),
      }),
    ),
  })
  .openapi("StatisticsTable");
const PeriodSchema = z.object({ key: z.string(), label: LabelSchema, from: z.string(), to: z.string() });

const Statistics = z
  .object({ period: PeriodSchema, asOf: z.string(), pair: Pair, tables: z.array(TableSchema) })
  .openapi("Statistics");
const Rollup = z
  .object({ period: PeriodSchema, asOf: z.string(), pairs: z.array(Pair), tables: z.array(TableSchema) })
  .openapi("StatisticsRollup");

const exports = {
  [CSV]: { schema: z.string().openapi({ description: "UTF-8 with BOM, Chinese headers" }) },
  [XLSX]: { schema: z.string().openapi({ format: "binary", description: "One sheet per table" }) },
};

const periodOut = (p: Period) => ({ key: p.key, label: p.label, from: p.from, to: p.to });

/** The same tables as JSON, CSV or XLSX (a file named after the pair or city and the period). */
async function answer(
  c: Context<AppEnv>,
  format: Format,
  table: (typeof TABLE_KEYS)[number] | undefined,
  json: { period: Period; tables: Table[]; name: string; rollup: boolean } & Record<string, unknown>,
) {
  const { period, tables, name, rollup, ...rest } = json;
  if (format === "json") return c.json({ period: periodOut(period), ...rest, tables }, 200);
  const chosen = table ? tables.filter((t) => t.key === table) : tables;
  const title = `${name} ${period.label.zh}`;
  const base = `${rollup ? "statistics-rollup" : "statistics"}-${period.key}${table ? `-${table}` : ""}`;
  const zh = `${rollup ? "统计汇总" : "统计"}-${name}-${period.key}${table ? `-${chosen[0]!.title.zh}` : ""}`;
  c.header("Cache-Control", "private, no-store");
  if (format === "csv") {
    c.header("Content-Type", `${CSV}; charset=utf-8`);
    c.header("Content-Disposition", attachment(`${base}.csv`, `${zh}.csv`));
    return c.body(toCsv(chosen, title, rollup), 200);
  }
  c.header("Content-Type", XLSX);
  c.header("Content-Disposition", attachment(`${base}.xlsx`, `${zh}.xlsx`));
  return c.body(await toXlsx(chosen, title, rollup), 200);
}

export const statisticsRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/statistics",
      tags,
      summary: "Statistics of the caller's pair for a period, each figure with the list query it counts",
      description:
        "Supervision documents sent in the period (by type and status, reply timeliness in working " +
        "days, acceptance, follow-up), protests and retrial suggestions by outcome, criminal cases " +
        "whose verdict differs from the charge (诉判不一), referral notices and periodic reports. " +
        "`?format=csv|xlsx` (or Accept) exports the tables with Chinese headers.",
      roles: "any",
      request: { query: Query },
      responses: {
        200: {
          description: "The pair's tables",
          content: { "application/json": { schema: Statistics }, ...exports },
        },
      },
    }),
    async (c) => {
      const { period: key, format, table } = c.req.valid("query");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const period = parsePeriod(key, deps.clock.now());
      const day = chinaDate(deps.clock.now());
      const pairs = pairsOf(scope, "pair");
      const {
        results: [groups, workdays, verdicts, exchanges, [pair]],
        principal,
      } = await scope.run([
        docGroups(scope, pairs, period, day),
        replyWorkdays(scope, pairs, period, false),
        verdictCounts(scope, pairs, period),
        exchangeCounts(scope, pairs, period, day),
        pairRows(scope, pairs),
      ]);
      const r: Results = { ...splitGroups(groups), workdays, verdicts, exchanges };
      const tables = tablesOf(r, undefined, { kind: principal.orgKind, period });
      const me = pair ?? {
        id: principal.jurisdictionId,
        code: principal.jurisdictionCode,
        name: principal.jurisdictionName,
      };
      return answer(c, formatOf(c, format), table, {
        period,
        asOf: day,
        pair: me,
        tables,
        name: me.name,
        rollup: false,
      });
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/statistics/rollup",
      tags,
      summary: "The city roll-up: the same figures for every basic-level pair under the caller's city pair",
      description:
        "For leaders and auditors of the city-level institutions: one row per basic-level pair and " +
        "the total, figures only (no links: the records stay the basic pair's). A basic-level pair " +
        "gets 404.",
      roles: ["leader", "auditor"],
      request: { query: Query },
      responses: {
        200: {
          description: "The roll-up tables",
          content: { "application/json": { schema: Rollup }, ...exports },
        },
      },
    }),
    async (c) => {
      const { period: key, format, table } = c.req.valid("query");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const period = parsePeriod(key, deps.clock.now());
      const day = chinaDate(deps.clock.now());
      const pairs = pairsOf(scope, "rollup");
      const {
        results: [groups, withTotal, verdicts, exchanges, rows],
        principal,
      } = await scope.run(
        [
          docGroups(scope, pairs, period, day),
          replyWorkdays(scope, pairs, period, true),
          verdictCounts(scope, pairs, period),
          exchangeCounts(scope, pairs, period, day),
          pairRows(scope, pairs),
          myLevel(scope),
        ],
        // Only a city pair has a roll-up: anyone else is told there is nothing here.
        (r) => r[5][0]?.level === "city",
      );
      const workdays = withTotal.filter((w) => w.pair !== "total");
      const all: Results = { ...splitGroups(groups), workdays, verdicts, exchanges };
      const perPair = rows.map((p) => tablesOf(resultsOf(all, p.id), p, null));
      const total = tablesOf({ ...all, workdays: withTotal.filter((w) => w.pair === "total") }, null, null);
      return answer(c, formatOf(c, format), table, {
        period,
        asOf: day,
        pairs: rows,
        tables: rollupTables(perPair, total),
        name: principal.jurisdictionName,
        rollup: true,
      });
    },
  );
