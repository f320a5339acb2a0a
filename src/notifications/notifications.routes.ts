// The per-user inbox (everything at once, whatever the hour), delivery hours, and the job ledger.
import { SUBJECT_HREFS } from "../events/events";
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { deliverySettings, notifications } from "../db/schema";
import { defineRoute, newRouter, PageQuery, jsonResponse, jsonBody } from "../http/api";
import { JOBS } from "../cron/cron";
import { DEFAULT_BUSINESS_HOURS } from "./hours";

const tags = ["Notifications"];

const Notification = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ example: "deadline.overdue" }),
    subject: z.object({
      type: z.string().openapi({ example: "document" }),
      id: z.string(),
      href: z.string().nullable(),
    }),
    text: z.object({ zh: z.string(), en: z.string() }),
    urgent: z.boolean(),
    createdAt: z.string(),
    readAt: z.string().nullable(),
  })
  .openapi("Notification");
const Inbox = z
  .object({ unreadCount: z.number().int(), items: z.array(Notification), nextCursor: z.string().nullable() })
  .openapi("NotificationPage");

type Row = {
  id: string;
  kind: string;
  subjectType: string;
  subjectId: string;
  zh: string;
  en: string;
  urgent: number;
  createdAt: string;
  readAt: string | null;
};
const COLUMNS = sql`n.id, n.kind, n.subject_type as subjectType, n.subject_id as subjectId,
  n.text_zh as zh, n.text_en as en, n.urgent, n.created_at as createdAt, n.read_at as readAt`;

/** Where a notification's subject lives in this API. */
function href(type: string, id: string): string | null {
  if (type === "document") return `/v1/documents/${id}`;
  if (type === "digest") return `/v1/documents?box=inbox&sort=due`;
  if (type === "webhook") return `/v1/webhooks/${id}`;
  if (type === "calendar") return `/v1/calendar/${id}`;
  if (type in SUBJECT_HREFS) return SUBJECT_HREFS[type as keyof typeof SUBJECT_HREFS] + id;
  return null;
}
const toNotification = (r: Row) => ({
  id: r.id,
  kind: r.kind,
  subject: { type: r.subjectType, id: r.subjectId, href: href(r.subjectType, r.subjectId) },
  text: { zh: r.zh, en: r.en },
  urgent: !!r.urgent,
  createdAt: r.createdAt,
  readAt: r.readAt,
});

const Hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time of day HH:MM");
const Hours = z
  .object({
    start: Hhmm.openapi({ example: "08:30" }),
    end: Hhmm.openapi({ example: "17:30" }),
    timeZone: z.literal("Asia/Shanghai"),
    default: z.boolean(),
  })
  .openapi("BusinessHours");
const HoursInput = z
  .object({ start: Hhmm, end: Hhmm })
  .refine((h) => h.start < h.end, { message: "start must be before end", path: ["end"] })
  .openapi("BusinessHoursInput");

const JobRun = z
  .object({
    scheduledAt: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    status: z.enum(["running", "ok", "error", "crashed"]),
    attempts: z.number().int().openapi({ description: "Claims of this run: more than 1 after a crash" }),
    leaseUntil: z.string().nullable().openapi({ description: "A run still running then has crashed" }),
    durationMs: z.number().nullable(),
    counts: z.record(z.string(), z.number()).nullable(),
    error: z.string().nullable(),
  })
  .openapi("JobRun");

export const notificationRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/notifications",
      tags,
      summary: "The caller's notifications, newest first, with the unread count",
      roles: "any",
      request: {
        query: PageQuery.extend({
          unread: z
            .enum(["true", "false"])
            .optional()
            .openapi({ description: "Only unread (true) or only read (false)" }),
        }),
      },
      responses: { 200: jsonResponse(Inbox, "A page of notifications") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const conds = [scope.visible(notifications, "n")];
      if (q.unread === "true") conds.push(sql`n.read_at is null`);
      if (q.unread === "false") conds.push(sql`n.read_at is not null`);
      if (q.cursor) conds.push(sql`n.id < ${q.cursor}`);
      const {
        results: [rows, [count]],
      } = await scope.run([
        scope.db.all<Row>(
          sql`select ${COLUMNS} from notifications n where ${sql.join(conds, sql` and `)}
            order by n.id desc limit ${q.limit + 1}`,
        ),
        scope.db.all<{ n: number }>(
          sql`select count(*) as n from notifications n
            where ${scope.visible(notifications, "n")} and n.read_at is null`,
        ),
      ]);
      const items = rows.slice(0, q.limit);
      return c.json(
        {
          unreadCount: count?.n ?? 0,
          items: items.map(toNotification),
          nextCursor: rows.length > q.limit ? items.at(-1)!.id : null,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/notifications/{id}/read",
      tags,
      summary: "Mark one notification read (idempotent)",
      roles: "any",
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: jsonResponse(Notification, "The notification") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const scope = c.var.scope;
      const now = c.var.deps.clock.now().toISOString();
      const {
        results: [, rows],
      } = await scope.run(
        [
          scope.db.run(
            sql`update notifications set read_at = ${now}
              where id = ${id} and read_at is null and ${scope.visible(notifications)}`,
          ),
          scope.db.all<Row>(
            sql`select ${COLUMNS} from notifications n
              where n.id = ${id} and ${scope.visible(notifications, "n")}`,
          ),
        ],
        ([, r]) => r[0],
      );
      return c.json(toNotification(rows[0]!), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/notifications/read-all",
      tags,
      summary: "Mark all notifications read, up to a given one (default: all)",
      roles: "any",
      request: {
        query: z.object({
          upTo: z
            .string()
            .max(200)
            .optional()
            .openapi({ description: "The newest notification id the caller has seen" }),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({ updated: z.number().int(), unreadCount: z.number().int() }),
          "How many were marked",
        ),
      },
    }),
    async (c) => {
      const { upTo } = c.req.valid("query");
      const scope = c.var.scope;
      const now = c.var.deps.clock.now().toISOString();
      const {
        results: [res, [count]],
      } = await scope.run([
        scope.db.run(
          sql`update notifications set read_at = ${now} where read_at is null
            and ${scope.visible(notifications)}${upTo ? sql` and id <= ${upTo}` : sql``}`,
        ),
        scope.db.all<{ n: number }>(
          sql`select count(*) as n from notifications n
            where ${scope.visible(notifications, "n")} and n.read_at is null`,
        ),
      ]);
      return c.json({ updated: res.rowsAffected, unreadCount: count?.n ?? 0 }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/admin/business-hours",
      tags,
      summary: "The jurisdiction's business hours for webhook and digest delivery (admins)",
      roles: ["admin"],
      responses: { 200: jsonResponse(Hours, "Business hours, China Standard Time, on working days") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const {
        results: [rows],
      } = await scope.run([
        scope.db.all<{ start: string; end: string }>(
          sql`select business_start as start, business_end as "end" from delivery_settings s
            where ${scope.visible(deliverySettings, "s")}`,
        ),
      ]);
      const r = rows[0];
      return c.json(
        {
          start: r?.start ?? DEFAULT_BUSINESS_HOURS.start,
          end: r?.end ?? DEFAULT_BUSINESS_HOURS.end,
          timeZone: "Asia/Shanghai" as const,
          default: !r,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/v1/admin/business-hours",
      tags,
      summary: "Set the jurisdiction's business hours (admins); urgent events are delivered at any hour",
      roles: ["admin"],
      request: { body: jsonBody(HoursInput) },
      responses: { 200: jsonResponse(Hours, "The business hours now in force") },
    }),
    async (c) => {
      const { start, end } = c.req.valid("json");
      const scope = c.var.scope;
      const now = c.var.deps.clock.now().toISOString();
      await scope.run([
        scope.db.run(sql`insert into delivery_settings
            (jurisdiction_id, business_start, business_end, updated_at, updated_by)
          select ${scope.me.jurisdictionId}, ${start}, ${end}, ${now}, ${scope.me.userId}
          where ${scope.hasRole()} and ${scope.me.jurisdictionId} is not null
          on conflict (jurisdiction_id) do update
            set business_start = excluded.business_start, business_end = excluded.business_end,
            updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
      ]);
      return c.json({ start, end, timeZone: "Asia/Shanghai" as const, default: false }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/admin/jobs",
      tags: ["System"],
      summary:
        "Scheduled jobs: the last runs of each, with status, duration, counts and errors " +
        "(deployment operators)",
      roles: "operator",
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(10).openapi({ description: "Runs per job" }),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({
            items: z.array(
              z.object({
                job: z.string(),
                lastStatus: z.enum(["running", "ok", "error", "crashed"]).nullable(),
                runs: z.array(JobRun),
              }),
            ),
          }),
          "Jobs",
        ),
      },
    }),
    async (c) => {
      const { limit } = c.req.valid("query");
      const op = c.var.operator!;
      type R = {
        job: string;
        scheduledAt: string;
        startedAt: string;
        finishedAt: string | null;
        status: "running" | "ok" | "error" | "crashed";
        attempts: number;
        leaseUntil: string | null;
        counts: string | null;
        error: string | null;
      };
      // job_runs is a system table: the whole deployment's runs and their error texts, so it is for
      // the deployment's operators, as the national calendar is.
      const {
        results: [rows],
      } = await op.run([
        op.db.all<R>(sql`select job, scheduled_at as scheduledAt, started_at as startedAt,
            finished_at as finishedAt, status, attempts, lease_until as leaseUntil, counts, error
          from (
            select r.*, row_number() over (partition by job order by scheduled_at desc) as rn from job_runs r)
          where rn <= ${limit} order by job, scheduled_at desc`),
      ]);
      const items = Object.keys(JOBS).map((job) => {
        const runs = rows
          .filter((r) => r.job === job)
          .map((r) => {
            const counts = r.counts ? (JSON.parse(r.counts) as Record<string, number>) : null;
            const { durationMs, ...rest } = counts ?? {};
            return {
              scheduledAt: r.scheduledAt,
              startedAt: r.startedAt,
              finishedAt: r.finishedAt,
              status: r.status,
              attempts: r.attempts,
              leaseUntil: r.leaseUntil,
              durationMs:
                durationMs ??
                (r.finishedAt ? new Date(r.finishedAt).getTime() - new Date(r.startedAt).getTime() : null),
              counts: counts ? rest : null,
              error: r.error,
            };
          });
        return { job, lastStatus: runs[0]?.status ?? null, runs };
      });
      return c.json({ items }, 200);
    },
  );
