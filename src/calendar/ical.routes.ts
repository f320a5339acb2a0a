// Calendar feeds (ADR 0010): feed tokens (create, list, revoke), the public per-user feed behind its
// token, and one meeting's .ics. One database round trip per request.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import {
  coded,
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  newRouter,
  sha256,
  type AppEnv,
} from "../http/api";
import { conflict, notFound } from "../http/problem";
import { vocabulary } from "../vocab";
import type { Context } from "hono";
import {
  buildCalendar,
  etagOf,
  feedPath,
  feedQuery,
  feedScope,
  getFeed,
  insertFeed,
  listFeeds,
  matches,
  MAX_FEEDS,
  meetingForIcs,
  newFeedToken,
  revokeFeed,
  type FeedMeeting,
  type FeedRow,
  type FeedSession,
  type FeedTraining,
} from "./ical";

const tags = ["Calendar feeds"];

export const FEED_STATUSES = vocabulary({
  active: { zh: "有效", en: "Active" },
  revoked: { zh: "已撤销", en: "Revoked" },
});

const Feed = z
  .object({
    id: z.string(),
    label: z.string().nullable(),
    status: coded(FEED_STATUSES.codes),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
    updatedAt: z.string(),
  })
  .openapi("CalendarFeed");

const NewFeed = Feed.extend({
  token: z.string().openapi({ description: "The secret: shown once, never again (only its hash is kept)" }),
  url: z.string().openapi({
    description: "The subscription URL for calendar apps (webcal:// works too)",
    example: "https://api.example/v1/calendar-feeds/fjc_…/calendar.ics",
  }),
}).openapi("NewCalendarFeed");

const toFeed = (r: FeedRow) => ({
  id: r.id,
  label: r.label,
  status: FEED_STATUSES.item(r.revokedAt ? "revoked" : "active"),
  createdAt: r.createdAt,
  revokedAt: r.revokedAt,
  updatedAt: r.revokedAt ?? r.createdAt,
});

const ICS = {
  "text/calendar": { schema: z.string().openapi({ description: "iCalendar (RFC 5545), UTC times" }) },
};

/** A calendar answer: ETag of the body, 304 when the client has it, never cached by shared caches. */
async function calendarResponse(c: Context<AppEnv>, body: string, filename: string) {
  const etag = await etagOf(body);
  const headers = {
    etag,
    "cache-control": "private, no-cache",
    "referrer-policy": "no-referrer",
  };
  if (matches(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
  return c.body(body, 200, {
    ...headers,
    "content-type": "text/calendar; charset=utf-8",
    "content-disposition": `inline; filename="${filename}"`,
  });
}

export const icalRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/calendar-feeds",
      tags,
      summary: "Create a calendar feed token: the secret subscription URL is shown once",
      description:
        "Idempotent by `Idempotency-Key`: a retry renews the secret of the same feed (the first " +
        `answer's is void) and answers 200; never a second feed. At most ${MAX_FEEDS} live feeds per user.`,
      roles: "any",
      request: {
        headers: z.object({ "idempotency-key": z.string().min(8).max(200) }),
        body: jsonBody(
          z.object({ label: z.string().trim().min(1).max(100).optional() }).openapi("NewFeedInput"),
        ),
      },
      responses: {
        201: jsonResponse(NewFeed, "Created"),
        200: jsonResponse(NewFeed, "A retry: the same feed with a renewed secret"),
        409: errorResponse("`too_many_feeds`, or `feed_revoked` (the key's feed was revoked)"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const key = c.req.valid("header")["idempotency-key"];
      const { issuer, sub } = scope.subject;
      const id = `feed_${(await sha256(`${issuer}\n${sub}\n${key}`)).slice(0, 26)}`;
      const token = newFeedToken();
      const hash = await sha256(token);
      const now = deps.clock.now().toISOString();
      const {
        results: [[before], , [row]],
      } = await scope.run([
        scope.db.all<{ existed: number }>(
          sql`select exists (select 1 from feed_tokens where id = ${id}) as existed`,
        ),
        insertFeed(scope, { id, hash, label: c.req.valid("json").label ?? null, now }),
        getFeed(scope, id, hash),
      ]);
      if (!row) throw conflict("too_many_feeds", `A user may have at most ${MAX_FEEDS} live calendar feeds.`);
      if (!row.current) throw conflict("feed_revoked", "The feed this Idempotency-Key created was revoked.");
      const created = !before?.existed;
      if (!created) c.header("Idempotent-Replayed", "true");
      const url = new URL(feedPath(token), c.req.url).toString();
      c.header("Location", `/v1/calendar-feeds/${row.id}`);
      return c.json({ ...toFeed(row), token, url }, created ? 201 : 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/calendar-feeds",
      tags,
      summary: "The caller's calendar feeds (without their secrets), by last change, cursor-paginated",
      roles: "any",
      request: {
        query: z.object({
          updatedSince: z.iso.datetime().optional(),
          limit: z.coerce.number().int().min(1).max(100).default(50),
          cursor: z.string().max(300).optional(),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({ items: z.array(Feed), nextCursor: z.string().nullable() }),
          "A page of feeds",
        ),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const { items: rows } = await scope.list<FeedRow>(
        listFeeds(scope, { ...q, after: q.cursor ? decodeCursor(q.cursor) : undefined }),
      );
      const page = rows.slice(0, q.limit).map(toFeed);
      const last = page.at(-1);
      return c.json(
        {
          items: page,
          nextCursor: rows.length > q.limit && last ? encodeCursor([last.updatedAt, last.id]) : null,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/v1/calendar-feeds/{id}",
      tags,
      summary: "Revoke a calendar feed: its URL answers 404 from now on (a second call changes nothing)",
      roles: "any",
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: { 200: jsonResponse(Feed, "The feed, revoked") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const {
        results: [, rows],
      } = await scope.run(
        [revokeFeed(scope, id, c.var.deps.clock.now().toISOString()), getFeed(scope, id)],
        ([, r]) => r[0],
      );
      return c.json(toFeed(rows[0]!), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/calendar-feeds/{token}/calendar.ics",
      tags,
      summary:
        "A user's calendar feed: joint meetings, judicial-committee sessions and training sessions (no bearer: the token)",
      description:
        "For calendar apps. The secret token in the URL is the credential; an unknown or revoked token, " +
        "or a disabled user, answers 404. Answers an `ETag` and honours `If-None-Match` (304).",
      roles: "public",
      request: {
        params: z.object({ token: z.string().max(200) }),
        headers: z.object({ "if-none-match": z.string().max(2000).optional() }),
      },
      responses: {
        200: { description: "The feed", content: ICS },
        304: { description: "Not modified (the `If-None-Match` ETag is current)" },
        404: errorResponse("Unknown or revoked token, or a disabled user"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const now = deps.clock.now();
      const scope = feedScope(deps.db, await sha256(c.req.valid("param").token));
      const [row] = await deps.db.values<[string]>(feedQuery(scope, now));
      const feed = JSON.parse(row![0]) as {
        user: { id: string; name: string } | null;
        meetings: FeedMeeting[];
        sessions: FeedSession[];
        trainings: FeedTraining[];
      };
      if (!feed.user) throw notFound("calendar feed");
      const body = buildCalendar({
        name: `法检协同 · ${feed.user.name}`,
        meetings: feed.meetings,
        sessions: feed.sessions,
        trainings: feed.trainings,
      });
      return calendarResponse(c, body, "fajian.ics") as never;
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/meetings/{id}/calendar.ics",
      tags: ["Joint meetings"],
      summary: "One joint meeting as an iCalendar file (with reminders 7 and 1 days before)",
      roles: "any",
      request: {
        params: z.object({ id: z.string().min(1).max(64) }),
        headers: z.object({ "if-none-match": z.string().max(2000).optional() }),
      },
      responses: {
        200: { description: "The meeting", content: ICS },
        304: { description: "Not modified" },
        409: errorResponse("`no_time_yet`: no time has been proposed for the meeting"),
      },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const {
        results: [rows],
      } = await scope.run([meetingForIcs(scope, id)], ([r]) => r[0]);
      const m = JSON.parse(rows[0]!.j) as FeedMeeting;
      if (!m.startsAt) throw conflict("no_time_yet", "No time has been proposed for this meeting yet.");
      const body = buildCalendar({ name: m.title, meetings: [m] });
      return calendarResponse(c, body, `meeting-${m.id}.ics`) as never;
    },
  );
