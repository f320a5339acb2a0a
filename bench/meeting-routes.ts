// Joint meetings (#10): database round trips (pipelines) of every route of the issue — meetings, minutes,
// co-signatures, action items, series and rotation changes, calendar feeds and .ics — each measured in a
// state where it does its work (goal: 1 each), on the demo city pair. The app runs on the real clock, so
// meetings that must have begun (minutes submitted, attendance) are written straight into the database.
import { sql } from "drizzle-orm";
import { runJob } from "../src/cron/cron";
import type { Deps } from "../src/http/api";
import { addPeriods, periodOf } from "../src/series/period";
import { roundTripsPerRequest, type BenchContext, type BenchRequest } from "./hrana";

const DEPT_HEAD = "court.department_head@city.demo";
const COURT_CO = "court.coordinator@city.demo";
const PROC_CO = "proc.coordinator@city.demo";
const PROC_HANDLER = "proc.handler@city.demo";
const COURT_LEADER = "court.leader@city.demo";
const PROC_LEADER = "proc.leader@city.demo";
const PROC_HEAD = "proc.department_head@city.demo";

/** An instant `hours` from now, as China time (ISO with +08:00). */
const hoursFromNow = (hours: number) =>
  `${new Date(Date.now() + hours * 3600_000 + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;

/** A day `days` from today (China time), YYYY-MM-DD. */
const dayIn = (days: number) => hoursFromNow(days * 24).slice(0, 10);

/** An instant `days` from now, in China time. */
const inDays = (days: number, hour = 9) => {
  const d = new Date(Date.now() + days * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10);
  return `${d}T${String(hour).padStart(2, "0")}:00:00+08:00`;
};

/** Throws unless the unmeasured set-up request answered `status`. */
async function must(ctx: BenchContext, r: BenchRequest, status: number) {
  const res = await ctx.request(r);
  if (res.status !== status)
    throw new Error(`prepare: ${r.method} ${r.path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/** The city pair: its jurisdiction and both institutions (from its demo users). */
async function cityPair(deps: Deps) {
  const [row] = await deps.db.all<{ jurisdictionId: string; courtId: string; procId: string }>(sql`
    select c.jurisdiction_id as jurisdictionId, c.org_id as courtId, p.org_id as procId
    from users c, users p where c.email = ${COURT_CO} and p.email = ${PROC_CO}`);
  if (!row) throw new Error("prepare: no demo city pair");
  return row;
}

type Pair = Awaited<ReturnType<typeof cityPair>>;

/**
 * A regular meeting hosted by the court with a confirmed slot starting `startsIn` hours from now
 * (written in SQL: the slot routes only accept future times, and the bench runs on the real clock).
 */
async function scheduledMeeting(deps: Deps, pair: Pair, title: string, startsIn: number) {
  const id = deps.ids();
  const now = new Date().toISOString();
  await deps.db.run(sql`insert into meetings (id, jurisdiction_id, kind, host_org_id, guest_org_id, title,
      status, starts_at, ends_at, place, slot_status, slot_by_org_id, slot_version, created_at, updated_at)
    values (${id}, ${pair.jurisdictionId}, 'regular', ${pair.courtId}, ${pair.procId}, ${title},
      'scheduled', ${hoursFromNow(startsIn)}, ${hoursFromNow(startsIn + 2)}, '第一会议室', 'confirmed',
      ${pair.courtId}, 1, ${now}, ${now})`);
  return id;
}

/** The meeting's confirmed slot began an hour ago (the day came: minutes may be submitted). */
const begin = (deps: Deps, id: string) =>
  deps.db.run(sql`update meetings set starts_at = ${hoursFromNow(-1)}, ends_at = ${hoursFromNow(1)}
    where id = ${id}`);

/** A meeting whose confirmed slot began an hour ago. */
const begunMeeting = (deps: Deps, pair: Pair, title: string) => scheduledMeeting(deps, pair, title, -1);

/** Minutes with one measure owned by each institution. */
const minutesBody = (pair: Pair, text: string) => ({
  text,
  measures: [
    { title: "建立民事检察监督案件信息共享机制", ownerOrgId: pair.procId, dueOn: dayIn(60) },
    { title: "统一民事再审案件裁判尺度", ownerOrgId: pair.courtId, dueOn: dayIn(90) },
  ],
});

/** Drafts the minutes of `meetingId` and submits them: the id of the open co-signature round. */
async function submittedMinutes(ctx: BenchContext, pair: Pair, meetingId: string) {
  const minutes = `/v1/meetings/${meetingId}/minutes`;
  const body = minutesBody(pair, `一、会议议定事项(${meetingId})。`);
  await must(ctx, { method: "PUT", path: minutes, token: COURT_CO, body }, 200);
  const r = await must(ctx, { method: "POST", path: `${minutes}/submit`, token: COURT_CO }, 201);
  return r.body.cosignature.id as string;
}

const sign = (roundId: string, token: string): BenchRequest => ({
  method: "POST",
  path: `/v1/cosignatures/${roundId}/sign`,
  token,
  body: {},
});

/**
 * Fixtures and measured requests of the routes beside the meetings' own (minutes … calendar): `feed`
 * is measured before anything else (a measured change to a meeting would change the feed's ETag).
 */
async function moreRoutes(ctx: BenchContext): Promise<{ feed: BenchRequest[]; rest: BenchRequest[] }> {
  const { deps } = ctx;
  const pair = await cityPair(deps);

  // Minutes measured from the first draft: a meeting with both leaders invited (before it began:
  // invitations close then), which has begun since (attendance, submission).
  const m1 = await scheduledMeeting(deps, pair, "联席会议(纪要起草)", 48);
  const invited = await must(
    ctx,
    { method: "POST", path: `/v1/meetings/${m1}/participants`, token: COURT_CO, body: { roles: ["leader"] } },
    200,
  );
  const entries = (invited.body.participants as { id: string }[]).map((p) => ({
    participantId: p.id,
    attended: true,
  }));
  if (entries.length === 0) throw new Error("prepare: no participant invited");
  await begin(deps, m1);
  // A round open on the minutes (detail, the first and the completing signature) …
  const m2 = await begunMeeting(deps, pair, "联席会议(纪要会签)");
  const r2 = await submittedMinutes(ctx, pair, m2);
  // … another one to refuse …
  const m3 = await begunMeeting(deps, pair, "联席会议(纪要退回)");
  const r3 = await submittedMinutes(ctx, pair, m3);
  // … and minutes signed by both leaders: their measures are action items.
  const m4 = await begunMeeting(deps, pair, "联席会议(议定事项)");
  const r4 = await submittedMinutes(ctx, pair, m4);
  for (const leader of [COURT_LEADER, PROC_LEADER]) await must(ctx, sign(r4, leader), 200);
  const items = await must(
    ctx,
    { method: "GET", path: `/v1/action-items?meetingId=${m4}&ownerOrgId=${pair.procId}`, token: PROC_HEAD },
    200,
  );
  const item = items.body.items[0]?.id as string | undefined;
  if (!item) throw new Error("prepare: the signed minutes made no action item");

  // The series: the cron job creates them (and this half-year's meetings); a change two periods ahead.
  const job = await runJob(deps, "series", new Date());
  if (job.status !== "ok") throw new Error(`prepare: series job ${JSON.stringify(job)}`);
  const list = await must(ctx, { method: "GET", path: "/v1/series", token: COURT_CO }, 200);
  const series = (
    list.body.items as { id: string; kind: { code: string }; cadence: { code: string } }[]
  ).find((x) => x.kind.code === "joint_meeting");
  if (!series) throw new Error("prepare: no joint-meeting series for the city pair");
  const cadence = series.cadence.code as Parameters<typeof periodOf>[0];
  const current = periodOf(cadence, new Date());
  const override = (n: number, key: string): BenchRequest => ({
    method: "POST",
    path: `/v1/series/${series.id}/overrides`,
    token: COURT_CO,
    headers: { "idempotency-key": key },
    body: { period: addPeriods(cadence, current, n), action: "swap", reason: "法院本期承办全省审判工作会议" },
  });
  const proposed = await must(ctx, override(2, "bench-override-0001"), 201);

  // Calendar feeds of the court's leader (invited to the first meeting above, so the feed has an
  // event): one to read (its ETag for If-None-Match), one to revoke.
  const feed = (key: string): BenchRequest => ({
    method: "POST",
    path: "/v1/calendar-feeds",
    token: COURT_LEADER,
    headers: { "idempotency-key": key },
    body: { label: `手机日历 ${key}` },
  });
  const read = await must(ctx, feed("bench-feed-0001"), 201);
  const revoked = await must(ctx, feed("bench-feed-0002"), 201);
  const ics = `/v1/calendar-feeds/${read.body.token}/calendar.ics`;
  const first = await must(ctx, { method: "GET", path: ics }, 200);
  const etag = first.headers.get("etag");
  // Not an empty calendar: the begun meeting the leader is invited to is in it.
  if (!etag || typeof first.body !== "string" || !first.body.includes("BEGIN:VEVENT"))
    throw new Error("prepare: the feed is not an iCalendar file with events and an ETag");

  const minutes = `/v1/meetings/${m1}/minutes`;
  const FEED = "GET /v1/calendar-feeds/{token}/calendar.ics";
  const feedReads: BenchRequest[] = [
    { method: "GET", path: ics, expect: 200, label: FEED },
    {
      method: "GET",
      path: ics,
      headers: { "if-none-match": etag },
      expect: 304,
      label: `${FEED} (If-None-Match: 304)`,
    },
    {
      method: "GET",
      path: "/v1/calendar-feeds/fjc_unknown-bench-token/calendar.ics",
      expect: 404,
      label: `${FEED} (unknown token: 404)`,
    },
  ];
  const rest: BenchRequest[] = [
    { ...feed("bench-feed-0003"), expect: 201, label: "POST /v1/calendar-feeds" },
    { method: "GET", path: "/v1/calendar-feeds", token: COURT_LEADER, expect: 200 },
    {
      method: "DELETE",
      path: `/v1/calendar-feeds/${revoked.body.id}`,
      token: COURT_LEADER,
      expect: 200,
      label: "DELETE /v1/calendar-feeds/{id}",
    },
    {
      method: "GET",
      path: `/v1/meetings/${m1}/calendar.ics`,
      token: PROC_HANDLER,
      expect: 200,
      label: "GET /v1/meetings/{id}/calendar.ics",
    },
    // Minutes: drafted, read, the meeting held (attendance), submitted.
    {
      method: "PUT",
      path: minutes,
      token: COURT_CO,
      body: minutesBody(pair, "一、双方就民事抗诉案件办理中的共性问题达成共识。"),
      expect: 200,
      label: "PUT /v1/meetings/{id}/minutes",
    },
    {
      method: "GET",
      path: minutes,
      token: PROC_HANDLER,
      expect: 200,
      label: "GET /v1/meetings/{id}/minutes",
    },
    {
      method: "POST",
      path: `/v1/meetings/${m1}/attendance`,
      token: COURT_CO,
      body: { entries },
      expect: 200,
      label: "POST /v1/meetings/{id}/attendance (begun: held)",
    },
    {
      method: "POST",
      path: `${minutes}/submit`,
      token: COURT_CO,
      expect: 201,
      label: "POST /v1/meetings/{id}/minutes/submit",
    },
    // Co-signatures.
    { method: "GET", path: "/v1/cosignatures", token: PROC_LEADER, expect: 200 },
    {
      method: "GET",
      path: "/v1/cosignatures?awaiting=me",
      token: PROC_LEADER,
      expect: 200,
      label: "GET /v1/cosignatures?awaiting=me",
    },
    {
      method: "GET",
      path: `/v1/cosignatures/${r2}`,
      token: PROC_HANDLER,
      expect: 200,
      label: "GET /v1/cosignatures/{id}",
    },
    { ...sign(r2, COURT_LEADER), expect: 200, label: "POST /v1/cosignatures/{id}/sign" },
    {
      ...sign(r2, PROC_LEADER),
      expect: 200,
      label: "POST /v1/cosignatures/{id}/sign (completing: action items)",
    },
    {
      method: "POST",
      path: `/v1/cosignatures/${r3}/refuse`,
      token: PROC_LEADER,
      body: { reason: "第二项措施的期限过短,请修改后再提交。" },
      expect: 200,
      label: "POST /v1/cosignatures/{id}/refuse",
    },
    // Action items.
    { method: "GET", path: "/v1/action-items", token: PROC_HEAD, expect: 200 },
    {
      method: "GET",
      path: `/v1/action-items/${item}`,
      token: COURT_CO,
      expect: 200,
      label: "GET /v1/action-items/{id}",
    },
    {
      method: "POST",
      path: `/v1/action-items/${item}/done`,
      token: PROC_HEAD,
      body: { note: "已联合出台会签文件" },
      expect: 200,
      label: "POST /v1/action-items/{id}/done",
    },
    // Series and rotation changes.
    { method: "GET", path: "/v1/series", token: PROC_CO, expect: 200 },
    {
      method: "GET",
      path: `/v1/series/${series.id}`,
      token: PROC_CO,
      expect: 200,
      label: "GET /v1/series/{id}",
    },
    { ...override(1, "bench-override-0002"), expect: 201, label: "POST /v1/series/{id}/overrides" },
    {
      method: "GET",
      path: `/v1/series-overrides/${proposed.body.id}`,
      token: PROC_CO,
      expect: 200,
      label: "GET /v1/series-overrides/{id}",
    },
  ];
  return { feed: feedReads, rest };
}

export async function meetingRoundTrips(): Promise<Record<string, unknown>> {
  return roundTripsPerRequest([], {
    repeat: 1,
    prepare: async (ctx) => {
      const { request } = ctx;
      const me = await request({ method: "GET", path: "/v1/me", token: DEPT_HEAD });
      const dept = me.body.user.departmentId as string;
      const proc = await request({ method: "GET", path: "/v1/me", token: PROC_HANDLER });
      const procDept = proc.body.user.departmentId as string;
      const special = (key: string): BenchRequest => ({
        method: "POST",
        path: "/v1/meetings",
        token: DEPT_HEAD,
        headers: { "idempotency-key": key },
        body: {
          subjectKind: "issue",
          subject: "涉企案件执行协作",
          title: `专题联席会议 ${key}`,
          proposingDepartmentId: dept,
          reason: "需两院协调",
        },
        expect: 201,
      });
      const create = async (key: string) => {
        const r = await request(special(key));
        if (r.status !== 201) throw new Error(`prepare: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body as { id: string; approval: { id: string } };
      };
      const a = await create("bench-meeting-a");
      for (const leader of ["court.leader@city.demo", "proc.leader@city.demo"]) {
        const s = await request({
          method: "POST",
          path: `/v1/cosignatures/${a.approval.id}/sign`,
          token: leader,
          body: {},
        });
        if (s.status !== 200) throw new Error(`prepare: sign ${s.status} ${JSON.stringify(s.body)}`);
      }
      const b = await create("bench-meeting-b");
      const topic = await request({
        method: "POST",
        path: `/v1/meetings/${a.id}/topics`,
        token: PROC_HANDLER,
        headers: { "idempotency-key": "bench-topic-1" },
        body: { field: "enforcement", title: "执行协作", proposingDepartmentId: procDept },
      });
      const invited = await request({
        method: "POST",
        path: `/v1/meetings/${a.id}/participants`,
        token: COURT_CO,
        body: { roles: ["registrar"] },
      });
      const pid = invited.body.participants[0].id as string;
      const more = await moreRoutes(ctx);
      const tid = topic.body.topic.id as string;
      const on = (path: string) => `/v1/meetings/${a.id}${path}`;
      return [
        // The feed first: nothing measured before it changes what it shows, so its ETag still matches.
        ...more.feed,
        { ...special("bench-meeting-c"), label: "POST /v1/meetings" },
        { method: "GET", path: "/v1/meetings", token: COURT_CO, expect: 200 },
        { method: "GET", path: on(""), token: PROC_HANDLER, expect: 200, label: "GET /v1/meetings/{id}" },
        {
          method: "POST",
          path: on("/slot"),
          token: COURT_CO,
          body: { startsAt: inDays(10), endsAt: inDays(10, 12), place: "第一会议室" },
          expect: 200,
          label: "POST /v1/meetings/{id}/slot",
        },
        {
          method: "POST",
          path: on("/slot"),
          token: PROC_CO,
          body: { startsAt: inDays(11), endsAt: inDays(11, 12), place: "第二会议室" },
          expect: 200,
          label: "POST /v1/meetings/{id}/slot (counter-proposal)",
        },
        {
          method: "POST",
          path: on("/slot/confirm"),
          token: COURT_CO,
          body: { slotVersion: 2 },
          expect: 200,
          label: "POST /v1/meetings/{id}/slot/confirm",
        },
        {
          method: "POST",
          path: on("/topics"),
          token: PROC_HANDLER,
          headers: { "idempotency-key": "bench-topic-2" },
          body: { field: "civil", title: "虚假诉讼", proposingDepartmentId: procDept },
          expect: 201,
          label: "POST /v1/meetings/{id}/topics",
        },
        {
          method: "POST",
          path: on(`/topics/${tid}/decision`),
          token: COURT_CO,
          body: { decision: "accept" },
          expect: 200,
          label: "POST /v1/meetings/{id}/topics/{topicId}/decision",
        },
        {
          method: "PUT",
          path: on("/agenda"),
          token: COURT_CO,
          body: { topicIds: [tid] },
          expect: 200,
          label: "PUT /v1/meetings/{id}/agenda",
        },
        {
          method: "POST",
          path: on("/participants"),
          token: PROC_CO,
          body: { roles: ["handler", "leader"] },
          expect: 200,
          label: "POST /v1/meetings/{id}/participants",
        },
        {
          method: "POST",
          path: on("/participants"),
          token: COURT_CO,
          body: { observers: [{ organization: "示范市委政法委", name: "张三", title: "副书记" }] },
          expect: 200,
          label: "POST /v1/meetings/{id}/participants (observers)",
        },
        {
          method: "POST",
          path: on("/rsvp"),
          token: PROC_HANDLER,
          body: { response: "accepted" },
          expect: 200,
          label: "POST /v1/meetings/{id}/rsvp",
        },
        {
          method: "DELETE",
          path: on(`/participants/${pid}`),
          token: COURT_CO,
          expect: 200,
          label: "DELETE /v1/meetings/{id}/participants/{pid}",
        },
        {
          method: "POST",
          path: on("/attendance"),
          token: COURT_CO,
          body: { entries: [] },
          expect: 409,
          label: "POST /v1/meetings/{id}/attendance (refused: not started)",
        },
        {
          method: "POST",
          path: `/v1/meetings/${b.id}/cancel`,
          token: COURT_CO,
          body: { reason: "合并至例会讨论" },
          expect: 200,
          label: "POST /v1/meetings/{id}/cancel",
        },
        {
          method: "POST",
          path: `/v1/meetings/${b.id}/slot`,
          token: "court.coordinator@donghu.demo",
          body: { startsAt: inDays(10), endsAt: inDays(10, 12), place: "x" },
          expect: 404,
          label: "POST /v1/meetings/{id}/slot (outsider: 404)",
        },
        ...more.rest,
      ];
    },
  });
}
