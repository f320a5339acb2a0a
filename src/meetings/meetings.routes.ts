// HTTP routes of joint meetings (法检联席会议, S3.4.1, S4.2): the meeting, special-topic meetings,
// the time slot, topics and agenda, participants and observers, RSVP, attendance and cancellation.
// Each route is one database round trip; a meeting is seen only by its host and guest institutions
// (404 for everyone else, the level above included).
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { cosignOpen, toCosign, withdrawCosign } from "../cosign/cosign";
import { toSubjectEvent } from "../events/events";
import type { Deps } from "../http/api";
import {
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  newRouter,
} from "../http/api";
import { ApiError, conflict, forbidden, notFound } from "../http/problem";
import { isPeriod, periodOf } from "../series/period";
import {
  CADENCES,
  MEETING_KINDS,
  MEETING_STATUSES,
  ORG_KINDS,
  PARTICIPANT_KINDS,
  RSVPS,
  SLOT_STATUSES,
  SPECIAL_SUBJECTS,
  TOPIC_FIELDS,
  TOPIC_STATUSES,
  type Role,
} from "../vocab";
import {
  coordinatorsOf,
  inviteesOf,
  listMeetings,
  MEETING_SORT,
  meetingCol,
  notifyMeeting,
  otherSide,
  type MeetingRow,
  type ParticipantRow,
  type TopicRow,
} from "./meetings.queries";
import {
  AgendaInput,
  AttendanceInput,
  CancelInput,
  IdempotencyHeader,
  InviteInput,
  MEETING_WARNINGS,
  MeetingDetail,
  MeetingListQuery,
  MeetingPage,
  MeetingParams,
  NewSpecialMeeting,
  NewTopic,
  ParticipantParams,
  RsvpInput,
  SlotConfirmInput,
  SlotInput,
  TopicDecisionInput,
  TopicParams,
  TopicSchema,
} from "./meetings.schemas";
import {
  act,
  createSpecial,
  hasStarted,
  invalid,
  PREPARING,
  readMeeting,
  startedRefusal,
  startedSql,
  type MeetingView,
} from "./meetings.service";

const tags = ["Joint meetings"];

/** Who arranges a meeting on each side: its coordinator (联席会议联络员) or a leader. */
const ARRANGERS: Role[] = ["coordinator", "leader"];
/** Who may propose a topic or a special-topic meeting. */
const PROPOSERS: Role[] = ["handler", "department_head", "leader", "coordinator"];

// ── Response mapping ─────────────────────────────────────────────────────────────────────────────

const orgOut = (o: MeetingRow["host"]) => ({ id: o.id, name: o.name, kind: ORG_KINDS.item(o.kind) });

/** An instant as China time: `YYYY-MM-DDTHH:MM:SS+08:00` (China keeps no daylight saving). */
export function chinaTime(iso: string): string {
  return `${new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}

/**
 * The `outside_period` warning of a meeting of a period (a half-year …) whose slot starts outside
 * that period (by its China date): accepted, since a meeting may slip, but said.
 */
function outsidePeriod(m: MeetingRow) {
  if (!m.period || !m.startsAt) return [];
  const cadence = CADENCES.codes.find((c) => isPeriod(c, m.period!));
  if (!cadence || periodOf(cadence, new Date(m.startsAt)) === m.period) return [];
  const date = m.startsAt.slice(0, 10); // kept in China time
  return [{ ...MEETING_WARNINGS.item("outside_period"), date, name: null, period: m.period }];
}

export function toMeeting(m: MeetingRow) {
  const by = m.slotByOrgId === m.host.id ? m.host : m.slotByOrgId === m.guest.id ? m.guest : null;
  return {
    id: m.id,
    kind: MEETING_KINDS.item(m.kind),
    status: MEETING_STATUSES.item(m.status),
    title: m.title,
    period: m.period,
    seriesId: m.seriesId,
    host: orgOut(m.host),
    guest: orgOut(m.guest),
    slot: {
      status: SLOT_STATUSES.item(m.slotStatus),
      version: m.slotVersion,
      startsAt: m.startsAt,
      endsAt: m.endsAt,
      place: m.place,
      onlineUrl: m.onlineUrl,
      proposedBy: by ? orgOut(by) : null,
      restDay: m.restDays.length > 0,
    },
    warnings: [
      ...m.restDays.map((d) => ({ ...MEETING_WARNINGS.item("rest_day"), date: d.date, name: d.name })),
      ...outsidePeriod(m),
    ],
    counts: { topics: m.topicCount, accepted: m.acceptedCount, participants: m.participantCount },
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

const toTopic = (t: TopicRow) => ({
  id: t.id,
  field: TOPIC_FIELDS.item(t.field),
  title: t.title,
  description: t.description,
  status: TOPIC_STATUSES.item(t.status),
  position: t.position,
  reason: t.reason,
  proposingOrg: orgOut(t.proposingOrg),
  proposingDepartment: t.proposingDepartment,
  createdAt: t.createdAt,
});

const toParticipant = (p: ParticipantRow) => ({
  id: p.id,
  kind: PARTICIPANT_KINDS.item(p.kind),
  user: p.userId ? { id: p.userId, name: p.userName ?? "", title: p.userTitle } : null,
  org: orgOut(p.org),
  observer:
    p.kind === "observer"
      ? {
          organization: p.observerOrganization ?? "",
          name: p.observerName ?? "",
          title: p.observerTitle,
          contact: p.observerContact,
        }
      : null,
  rsvp: RSVPS.item(p.rsvp),
  rsvpNote: p.rsvpNote,
  attended: p.attended == null ? null : !!p.attended,
});

export function toMeetingDetail({ meeting: m, timeline }: MeetingView) {
  const f = m.full!;
  return {
    ...toMeeting(m),
    special:
      m.kind === "special" && f.subjectKind
        ? {
            subjectKind: SPECIAL_SUBJECTS.item(f.subjectKind),
            subject: f.subject ?? "",
            reason: f.reason,
            proposingDepartment: f.proposingDepartment,
          }
        : null,
    topics: f.topics.map(toTopic),
    participants: f.participants.map(toParticipant),
    minutes: f.minutes
      ? {
          version: f.minutes.version,
          updatedAt: f.minutes.updatedAt,
          cosignature: f.minutes.cosignature ? toCosign(f.minutes.cosignature) : null,
        }
      : null,
    approval: f.approval ? toCosign(f.approval) : null,
    actionItems: { count: f.actionItems },
    timeline: timeline.map(toSubjectEvent),
  };
}

/** Field errors naming the items of a list that are not acceptable (`userIds.2`). */
function itemErrors(path: string, given: string[], valid: Set<string>, message: string, code: string) {
  return given.flatMap((v, i) => (valid.has(v) ? [] : [{ in: "json", path: `${path}.${i}`, message, code }]));
}

const idSet = (json: unknown) =>
  new Set<string>(typeof json === "string" ? (JSON.parse(json) as string[]) : []);

// ── Route definitions ────────────────────────────────────────────────────────────────────────────

type Request = {
  params: z.ZodObject;
  headers?: z.ZodObject;
  body?: ReturnType<typeof jsonBody>;
};

/** A route about one meeting: roles, request, and the errors it may answer beside the standard ones. */
function meetingRoute<const Q extends Request, const O extends z.ZodType = typeof MeetingDetail>(o: {
  method?: "post" | "put" | "delete";
  path: string;
  summary: string;
  description?: string;
  roles: Role[] | "any";
  request: Q;
  errors?: Record<number, string>;
  ok?: O;
  /** A creating POST: 201 for a new record, 200 for a retry. */
  created?: boolean;
}) {
  return defineRoute({
    method: o.method ?? "post",
    path: `/v1/meetings/{id}${o.path}`,
    tags,
    summary: o.summary,
    description: o.description,
    roles: o.roles,
    request: o.request,
    responses: {
      200: jsonResponse((o.ok ?? MeetingDetail) as O, "The meeting after the change"),
      ...(o.created ? { 201: jsonResponse((o.ok ?? MeetingDetail) as O, "Created") } : {}),
      409: errorResponse("Not allowed in the meeting's current state (`code` says why)"),
      ...Object.fromEntries(Object.entries(o.errors ?? {}).map(([s, d]) => [s, errorResponse(d)])),
    },
  });
}

/** SQL true when the slot proposal recorded by event `eventId` re-opened a confirmed slot. */
const reopened = (eventId: string) =>
  sql`(select ev_.data ->> 'reopened' from subject_events ev_ where ev_.id = ${eventId})`;

const now = (deps: Deps) => deps.clock.now().toISOString();
const future = (deps: Deps) => sql`julianday(m_.starts_at) > julianday(${now(deps)})`;

export const meetingRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/meetings",
      tags,
      summary: "The joint meetings of the caller's pair, filtered, cursor-paginated (mobile sync)",
      description:
        "Every change to a meeting, its slot, topics or participants bumps its `updatedAt`; " +
        "`updatedSince` lists those changed after an instant, oldest change first.",
      roles: "any",
      request: { query: MeetingListQuery },
      responses: { 200: jsonResponse(MeetingPage, "A page of meetings") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const sort = q.updatedSince ? "updated" : q.sort;
      const scope = c.var.scope;
      const { items: rows } = await scope.list<MeetingRow>(
        listMeetings(scope, { ...q, sort, after: q.cursor ? decodeCursor(q.cursor) : undefined }),
      );
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      const nextCursor =
        rows.length > q.limit && last ? encodeCursor([MEETING_SORT[sort].of(last), last.id]) : null;
      return c.json({ items: items.map(toMeeting), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/meetings/{id}",
      tags,
      summary: "One meeting: slot, agenda, participants, minutes, approval, timeline",
      roles: "any",
      request: { params: MeetingParams },
      responses: { 200: jsonResponse(MeetingDetail, "The meeting") },
    }),
    async (c) => c.json(toMeetingDetail(await readMeeting(c.var.scope, c.req.valid("param").id)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/meetings",
      tags,
      summary: "Propose a special-topic joint meeting (专题联席会议); both leaders must approve it",
      description:
        "Hosted by the proposer's institution; opens a co-signature round of both institutions' " +
        "`leader`s (`approval`). Until it is fully signed, scheduling and topics answer 409 " +
        "`not_approved`. Idempotent: a retry with the same `Idempotency-Key` and body returns the " +
        "first attempt's meeting with 200; the same key with another body is 409 `idempotency_key_reused`.",
      roles: ["department_head", "leader", "coordinator"],
      request: { headers: IdempotencyHeader, body: jsonBody(NewSpecialMeeting) },
      responses: {
        201: jsonResponse(MeetingDetail, "Proposed"),
        200: jsonResponse(MeetingDetail, "A retry: the meeting created by the first attempt"),
        409: errorResponse("The key was used for a different meeting"),
      },
    }),
    async (c) => {
      const r = await createSpecial(
        c.var.deps,
        c.var.scope,
        c.req.valid("header")["idempotency-key"],
        c.req.valid("json"),
      );
      if (!r.created) c.header("Idempotent-Replayed", "true");
      c.header("Location", `/v1/meetings/${r.meeting.id}`);
      return c.json(toMeetingDetail(r), r.created ? 201 : 200);
    },
  )
  .openapi(
    meetingRoute({
      path: "/slot",
      summary: "Propose (or counter-propose) the date, time and place or online link",
      description:
        "The host proposes first; the guest may then counter-propose. Each proposal raises " +
        "`slot.version` and awaits confirmation by the other side, also after a confirmation (the " +
        "invitees are told of the change). A slot on a rest day of the holiday calendar is accepted " +
        "with a `rest_day` warning; a slot of a meeting of a period (the half-yearly meeting) outside " +
        "that period is accepted with an `outside_period` warning (a meeting may slip). Times are " +
        "answered in China time (+08:00). Refused once the " +
        "confirmed slot has begun (409 `meeting_started`) and once minutes exist (409 " +
        "`minutes_exist`, `under_signature` while they are being signed).",
      roles: ARRANGERS,
      request: { params: MeetingParams, body: jsonBody(SlotInput) },
    }),
    async (c) => {
      const s = c.req.valid("json");
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      if (Date.parse(s.startsAt) <= deps.clock.now().getTime())
        throw invalid("startsAt", "must be in the future", "past");
      const startsAt = chinaTime(s.startsAt);
      const endsAt = chinaTime(s.endsAt);
      const r = await act(deps, scope, id, {
        event: "slot_proposed",
        side: "either",
        from: PREPARING,
        beforeStart: true,
        // The host proposes first; the guest counter-proposes. Never once minutes exist (drafted or
        // being signed: they are of the meeting at its confirmed time).
        when: sql`(m_.host_org_id = ${scope.me.orgId} or m_.slot_status <> 'none')
          and not exists (select 1 from meeting_minutes mm_ where mm_.meeting_id = m_.id)`,
        data: sql`(select json_object('startsAt', ${startsAt}, 'endsAt', ${endsAt},
          'place', ${s.place ?? null}, 'onlineUrl', ${s.onlineUrl ?? null},
          'slotVersion', mv_.slot_version + 1, 'reopened', mv_.slot_status = 'confirmed')
          from meetings mv_ where mv_.id = ${id})`,
        set: sql`starts_at = ${startsAt}, ends_at = ${endsAt}, place = ${s.place ?? null},
          online_url = ${s.onlineUrl ?? null}, slot_status = 'proposed',
          slot_by_org_id = ${scope.me.orgId}, slot_version = slot_version + 1, status = 'planning'`,
        probe: sql`select ${cosignOpen("meeting_minutes", id)} as underSignature,
          exists (select 1 from meeting_minutes mm_ where mm_.meeting_id = ${id}) as minutes`,
        refuse: (_m, _p, probe) => {
          if (probe?.underSignature)
            return conflict(
              "under_signature",
              "The minutes of this meeting are being signed; its time is final.",
            );
          if (probe?.minutes)
            return conflict(
              "minutes_exist",
              "Minutes of this meeting have been drafted at its confirmed time; the time can no longer change.",
            );
          return conflict(
            "host_proposes_first",
            "The host proposes the first time slot; counter-propose after it.",
          );
        },
        effects: (applied, { eventId, now }) => [
          notifyMeeting(scope, {
            id: deps.ids(),
            applied,
            recipients: coordinatorsOf(
              sql`(select ${otherSide(scope)} from meetings m_ where m_.id = ${id})`,
            ),
            kind: "meeting.slot_proposed",
            meetingId: id,
            now,
            dedupe: `meeting-slot:${eventId}`,
            zh: `对方提出联席会议时间:${startsAt.slice(0, 16).replace("T", " ")},请确认或另行提出。`,
            en: `The other side proposes a joint-meeting time, ${startsAt.slice(0, 16).replace("T", " ")}: confirm or counter-propose.`,
          }),
          notifyMeeting(scope, {
            id: deps.ids(),
            applied: sql`${applied} and ${reopened(eventId)}`,
            recipients: inviteesOf(id),
            kind: "meeting.slot_changed",
            meetingId: id,
            now,
            dedupe: `meeting-slot-changed:${eventId}`,
            zh: "已确定的联席会议时间拟作调整,待双方重新确认。",
            en: "The confirmed joint-meeting time is being changed; it awaits confirmation again.",
          }),
        ],
      });
      return c.json(toMeetingDetail(r), 200);
    },
  )
  .openapi(
    meetingRoute({
      path: "/slot/confirm",
      summary: "Confirm the proposed slot (the side that did not propose it): the meeting is scheduled",
      description:
        "`slotVersion` is the version the confirming side saw: a slot changed meanwhile answers " +
        "409 `slot_changed`. The proposing side cannot confirm its own proposal (403).",
      roles: ARRANGERS,
      request: { params: MeetingParams, body: jsonBody(SlotConfirmInput) },
    }),
    async (c) => {
      const { slotVersion } = c.req.valid("json");
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const r = await act(deps, scope, id, {
        event: "slot_confirmed",
        side: "either",
        from: PREPARING,
        when: sql`m_.slot_status = 'proposed' and m_.slot_version = ${slotVersion}
          and m_.slot_by_org_id <> ${scope.me.orgId} and ${future(deps)}`,
        data: sql`(select json_object('slotVersion', mv_.slot_version, 'startsAt', mv_.starts_at,
          'endsAt', mv_.ends_at, 'place', mv_.place, 'onlineUrl', mv_.online_url)
          from meetings mv_ where mv_.id = ${id})`,
        set: sql`slot_status = 'confirmed', status = 'scheduled'`,
        refuse: (m, p) => {
          if (m.slotStatus === "none")
            return conflict("no_slot_proposed", "No time slot has been proposed yet.");
          if (m.slotVersion !== slotVersion)
            return conflict(
              "slot_changed",
              `The slot changed meanwhile (now version ${m.slotVersion}); review it and confirm that version.`,
            );
          if (m.slotStatus === "confirmed")
            return conflict("slot_already_confirmed", "This slot is already confirmed.");
          if (m.slotByOrgId === p.orgId)
            return new ApiError(
              403,
              "proposer_cannot_confirm",
              "Your side proposed this slot; the other side confirms it (or counter-proposes).",
            );
          return conflict("slot_in_past", "The proposed slot has already begun; propose a new one.");
        },
        effects: (applied, { eventId, now }) => [
          notifyMeeting(scope, {
            id: deps.ids(),
            applied,
            recipients: sql`(select u_.id from users u_ where u_.id in ${coordinatorsOf(meetingCol(id, "slot_by_org_id"))}
              or u_.id in ${inviteesOf(id)})`,
            kind: "meeting.slot_confirmed",
            meetingId: id,
            now,
            dedupe: `meeting-confirmed:${eventId}`,
            zh: "联席会议时间已确认。",
            en: "The joint-meeting time is confirmed.",
          }),
        ],
      });
      return c.json(toMeetingDetail(r), 200);
    },
  )
  .openapi(
    meetingRoute({
      path: "/topics",
      summary: "Propose a topic (either side): field, title, description, proposing department",
      description:
        "Idempotent: a retry with the same `Idempotency-Key` returns the first attempt's topic (200); " +
        "the same key with another topic is 409 `idempotency_key_reused`. Closed once the meeting has " +
        "begun (409 `meeting_started`) or is held (409 `topics_closed`).",
      roles: PROPOSERS,
      request: { params: MeetingParams, headers: IdempotencyHeader, body: jsonBody(NewTopic) },
      ok: z.object({ topic: TopicSchema, meeting: MeetingDetail }).openapi("TopicCreated"),
      created: true,
      errors: { 400: "Invalid fields, or a department not of the caller's institution" },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const topicId = deps.ids();
      const byKey = sql`(select tk_.id from meeting_topics tk_
        where tk_.created_by = ${scope.me.userId} and tk_.idempotency_key = ${key})`;
      const r = await act(deps, scope, id, {
        event: "topic_proposed",
        note: input.title,
        data: JSON.stringify({ topicId, field: input.field }),
        side: "either",
        from: PREPARING,
        beforeStart: true,
        when: sql`not exists ${byKey} and exists (select 1 from departments d_
          where d_.id = ${input.proposingDepartmentId} and d_.org_id = ${scope.me.orgId})`,
        closed: (m) =>
          m.status === "held" || m.status === "minuted"
            ? conflict("topics_closed", "The meeting was held: topics are closed.")
            : undefined,
        effects: (applied, { eventId, now }) => [
          scope.db.run(sql`insert into meeting_topics (id, meeting_id, jurisdiction_id, field, title,
              description, proposing_org_id, proposing_department_id, status, created_by,
              idempotency_key, created_at, updated_at)
            select ${topicId}, m_.id, m_.jurisdiction_id, ${input.field}, ${input.title},
              ${input.description ?? null}, ${scope.me.orgId}, ${input.proposingDepartmentId}, 'proposed',
              ${scope.me.userId}, ${key}, ${now}, ${now}
            from meetings m_ where m_.id = ${id} and ${applied}`),
          notifyMeeting(scope, {
            id: deps.ids(),
            applied,
            recipients: coordinatorsOf(
              sql`(select ${otherSide(scope)} from meetings m_ where m_.id = ${id})`,
            ),
            kind: "meeting.topic_proposed",
            meetingId: id,
            now,
            dedupe: `meeting-topic:${eventId}`,
            zh: `对方提出联席会议议题:${input.title}。`,
            en: `The other side proposes a joint-meeting topic: ${input.title}.`,
          }),
        ],
        // The topic this key already made (a retry), and whether it is the same topic.
        probe: sql`select (select tp_.id from meeting_topics tp_ where tp_.id = ${byKey}) as existing,
          exists (select 1 from meeting_topics tp_ where tp_.id = ${byKey} and tp_.meeting_id = ${id}
            and tp_.field = ${input.field} and tp_.title = ${input.title}
            and tp_.description is ${input.description ?? null}
            and tp_.proposing_department_id = ${input.proposingDepartmentId}) as same`,
        settled: (_m, _p, probe) => !!probe?.existing && !!probe.same,
        refuse: (_m, _p, probe) =>
          probe?.existing
            ? conflict(
                "idempotency_key_reused",
                "This Idempotency-Key was used for a different topic; use a new key for a new topic.",
              )
            : invalid("proposingDepartmentId", "not a department of your institution", "not_your_department"),
      });
      const tid = r.applied ? topicId : String(r.probe?.existing);
      const detail = toMeetingDetail(r);
      const topic = detail.topics.find((t) => t.id === tid)!;
      if (!r.applied) c.header("Idempotent-Replayed", "true");
      return c.json({ topic, meeting: detail }, r.applied ? 201 : 200);
    },
  )
  .openapi(
    meetingRoute({
      path: "/topics/{topicId}/decision",
      summary: "Accept a topic onto the agenda, or decline it with a reason (the host)",
      description: "Only before the meeting begins (409 `meeting_started` after its confirmed start).",
      roles: ARRANGERS,
      request: { params: TopicParams, body: jsonBody(TopicDecisionInput) },
      errors: { 404: "No such meeting, or no such topic of it" },
    }),
    async (c) => {
      const { decision, reason } = c.req.valid("json");
      const { id, topicId } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const status = decision === "accept" ? "accepted" : "declined";
      const r = await act(deps, scope, id, {
        event: decision === "accept" ? "topic_accepted" : "topic_declined",
        note: reason ?? null,
        data: JSON.stringify({ topicId }),
        side: "host",
        from: PREPARING,
        beforeStart: true,
        when: sql`exists (select 1 from meeting_topics t_
          where t_.id = ${topicId} and t_.meeting_id = m_.id and t_.status <> ${status})`,
        closed: (m) =>
          m.status === "held" || m.status === "minuted"
            ? conflict("topics_closed", "The meeting was held: topics are closed.")
            : undefined,
        effects: (applied, { eventId, now }) => [
          // An accepted topic goes to the end of the agenda; a declined one leaves it.
          scope.db.run(sql`update meeting_topics set status = ${status},
              decision_reason = ${decision === "decline" ? (reason ?? null) : null},
              position = case when ${status} = 'accepted' then (select coalesce(max(tq_.position), 0) + 1
                from meeting_topics tq_ where tq_.meeting_id = ${id} and tq_.status = 'accepted') end,
              updated_at = ${now}
            where id = ${topicId} and meeting_id = ${id} and ${applied}`),
          notifyMeeting(scope, {
            id: deps.ids(),
            applied,
            recipients: sql`(select tc_.created_by from meeting_topics tc_ where tc_.id = ${topicId})`,
            kind: `meeting.topic_${status}`,
            meetingId: id,
            now,
            dedupe: `meeting-topic-decided:${eventId}`,
            zh:
              decision === "accept" ? "您提出的议题已列入联席会议议程。" : `您提出的议题未列入议程:${reason}`,
            en:
              decision === "accept"
                ? "Your topic is on the joint meeting's agenda."
                : `Your topic was declined: ${reason}`,
          }),
        ],
        probe: sql`select (select t_.status from meeting_topics t_
          where t_.id = ${topicId} and t_.meeting_id = ${id}) as status`,
        refuse: (_m, _p, probe) =>
          probe?.status
            ? conflict(`already_${status}`, `The topic is already ${status}.`)
            : notFound("topic of this meeting"),
      });
      return c.json(toMeetingDetail(r), 200);
    },
  )
  .openapi(
    meetingRoute({
      method: "put",
      path: "/agenda",
      summary: "Order the agenda: exactly the accepted topics, in order (the host)",
      description: "Only before the meeting begins (409 `meeting_started` after its confirmed start).",
      roles: ARRANGERS,
      request: { params: MeetingParams, body: jsonBody(AgendaInput) },
      errors: { 400: "Not exactly the accepted topics (`errors[]` names the missing and the extra)" },
    }),
    async (c) => {
      const { topicIds } = c.req.valid("json");
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const list = JSON.stringify(topicIds);
      const accepted = (m: string) => sql`(select count(*) from meeting_topics ta_
        where ta_.meeting_id = ${sql.raw(m)}.id and ta_.status = 'accepted')`;
      const r = await act(deps, scope, id, {
        event: "agenda_ordered",
        data: sql`json_object('topicIds', json(${list}))`,
        side: "host",
        from: PREPARING,
        beforeStart: true,
        // The list is exactly the accepted topics (the schema makes its ids distinct).
        when: sql`${accepted("m_")} = ${topicIds.length} and (select count(*) from meeting_topics ta_
            join json_each(${list}) j_ on j_.value = ta_.id
          where ta_.meeting_id = m_.id and ta_.status = 'accepted') = ${topicIds.length}`,
        closed: (m) =>
          m.status === "held" || m.status === "minuted"
            ? conflict("topics_closed", "The meeting was held: topics are closed.")
            : undefined,
        effects: (applied, { now }) => [
          scope.db.run(sql`update meeting_topics set position = j_.key + 1, updated_at = ${now}
            from json_each(${list}) j_
            where meeting_topics.id = j_.value and meeting_topics.meeting_id = ${id} and ${applied}`),
        ],
        probe: sql`select json_group_array(ta_.id) as accepted from meeting_topics ta_
          where ta_.meeting_id = ${id} and ta_.status = 'accepted'`,
        refuse: (_m, _p, probe) => {
          const ok = idSet(probe?.accepted);
          const errors = itemErrors(
            "topicIds",
            topicIds,
            ok,
            "not an accepted topic of this meeting",
            "not_accepted",
          );
          const missing = [...ok].filter((t) => !topicIds.includes(t));
          if (missing.length)
            errors.push({
              in: "json",
              path: "topicIds",
              message: `missing accepted topics: ${missing.join(", ")}`,
              code: "missing",
            });
          return errors.length
            ? new ApiError(400, "validation_failed", "The agenda must list exactly the accepted topics.", {
                errors,
              })
            : undefined;
        },
      });
      return c.json(toMeetingDetail(r), 200);
    },
  )
  .openapi(
    meetingRoute({
      path: "/participants",
      summary: "Invite participants: one's own institution's users, by id, role or department; observers",
      description:
        "Each side invites its own users (resolved to the active users of the caller's institution); " +
        "someone already invited stays invited once. The host invites observers (列席: 政法委, police, " +
        "the justice bureau, law schools …), who never get an account; an observer with the same " +
        "organisation and name is invited once. A retry therefore changes nothing. Only before the " +
        "meeting begins (409 `meeting_started` after its confirmed start).",
      roles: ARRANGERS,
      request: { params: MeetingParams, body: jsonBody(InviteInput) },
      errors: { 400: "A user or department not of the caller's institution (`errors[]` per item)" },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const userIds = [...new Set(input.userIds ?? [])];
      const deptIds = [...new Set(input.departmentIds ?? [])];
      const observers = input.observers ?? [];
      const base = deps.ids();
      const j = (a: unknown[]) => JSON.stringify(a);
      const me = scope.me;
      // The users the request names, resolved to active users of the caller's own institution.
      const resolved = sql`(select u_.id, u_.org_id from users u_
        where u_.org_id = ${me.orgId} and u_.active = 1
          and (u_.id in (select value from json_each(${j(userIds)}))
            or u_.department_id in (select value from json_each(${j(deptIds)}))
            or exists (select 1 from role_assignments r_ where r_.user_id = u_.id and r_.org_id = u_.org_id
              and r_.role in (select value from json_each(${j(input.roles ?? [])})))))`;
      const newUsers = sql`(select ru_.id, ru_.org_id from ${resolved} ru_ where not exists
        (select 1 from meeting_participants p_ where p_.meeting_id = ${id} and p_.user_id = ru_.id))`;
      const newObservers = sql`(select jo_.key as k, jo_.value as v from json_each(${j(observers)}) jo_
        where not exists (select 1 from meeting_participants p_ where p_.meeting_id = ${id}
          and p_.kind = 'observer' and p_.observer_organization = jo_.value ->> 'organization'
          and p_.observer_name = jo_.value ->> 'name'))`;
      const validUsers = sql`(select count(*) from users u_ where u_.org_id = ${me.orgId} and u_.active = 1
        and u_.id in (select value from json_each(${j(userIds)})))`;
      const validDepts = sql`(select count(*) from departments d_ where d_.org_id = ${me.orgId}
        and d_.id in (select value from json_each(${j(deptIds)})))`;
      const valid = sql`${validUsers} = ${userIds.length} and ${validDepts} = ${deptIds.length}
        and (${observers.length} = 0 or m_.host_org_id = ${me.orgId})`;
      const r = await act(deps, scope, id, {
        event: "participants_invited",
        side: "either",
        from: PREPARING,
        beforeStart: true,
        when: sql`${valid} and (exists ${newUsers} or exists ${newObservers})`,
        data: sql`json_object('userIds', (select json_group_array(nu_.id) from ${newUsers} nu_),
          'observers', (select count(*) from ${newObservers}))`,
        effects: (applied, { eventId, now }) => [
          scope.db.run(sql`insert into meeting_participants (id, meeting_id, jurisdiction_id, kind, user_id,
              org_id, rsvp, invited_by, created_at, updated_at)
            select ${base} || '.' || nu_.id, m_.id, m_.jurisdiction_id, 'user', nu_.id, nu_.org_id, 'pending',
              ${me.userId}, ${now}, ${now}
            from ${newUsers} nu_ join meetings m_ on m_.id = ${id}
            where ${applied}
            on conflict (meeting_id, user_id) do nothing`),
          scope.db.run(sql`insert into meeting_participants (id, meeting_id, jurisdiction_id, kind, org_id,
              observer_organization, observer_name, observer_title, observer_contact, rsvp, invited_by,
              created_at, updated_at)
            select ${base} || '.o' || no_.k, m_.id, m_.jurisdiction_id, 'observer', m_.host_org_id,
              no_.v ->> 'organization', no_.v ->> 'name', no_.v ->> 'title', no_.v ->> 'contact', 'pending',
              ${me.userId}, ${now}, ${now}
            from ${newObservers} no_ join meetings m_ on m_.id = ${id}
            where ${applied}`),
          notifyMeeting(scope, {
            id: deps.ids(),
            applied,
            recipients: sql`(select pn_.user_id from meeting_participants pn_
              where pn_.meeting_id = ${id} and pn_.id = ${base} || '.' || pn_.user_id)`,
            kind: "meeting.invited",
            meetingId: id,
            now,
            dedupe: `meeting-invited:${eventId}`,
            zh: "您受邀参加法检联席会议,请回复是否参会。",
            en: "You are invited to a court–procuratorate joint meeting: please answer the invitation.",
          }),
        ],
        probe: sql`select
          (select json_group_array(u_.id) from users u_ where u_.org_id = ${me.orgId} and u_.active = 1
            and u_.id in (select value from json_each(${j(userIds)}))) as users,
          (select json_group_array(d_.id) from departments d_ where d_.org_id = ${me.orgId}
            and d_.id in (select value from json_each(${j(deptIds)}))) as departments,
          exists ${newUsers} or exists ${newObservers} as fresh`,
        // Nothing new to invite: everyone named is invited already.
        settled: (m, p, probe) =>
          !probe?.fresh &&
          idSet(probe?.users).size === userIds.length &&
          idSet(probe?.departments).size === deptIds.length &&
          (observers.length === 0 || m.host.id === p.orgId),
        refuse: (m, p, probe) => {
          const errors = [
            ...itemErrors(
              "userIds",
              userIds,
              idSet(probe?.users),
              "not an active user of your institution",
              "not_your_user",
            ),
            ...itemErrors(
              "departmentIds",
              deptIds,
              idSet(probe?.departments),
              "not a department of your institution",
              "not_your_department",
            ),
          ];
          if (errors.length)
            return new ApiError(400, "validation_failed", "The request has invalid fields.", { errors });
          if (observers.length && m.host.id !== p.orgId)
            return new ApiError(
              403,
              "host_invites_observers",
              "Observers are invited by the host institution.",
            );
          return undefined;
        },
      });
      return c.json(toMeetingDetail(r), 200);
    },
  )
  .openapi(
    meetingRoute({
      method: "delete",
      path: "/participants/{pid}",
      summary: "Withdraw an invitation before the meeting (one's own side's users; the host for observers)",
      roles: ARRANGERS,
      request: { params: ParticipantParams },
      errors: { 404: "No such meeting, or no such participant of it" },
    }),
    async (c) => {
      const { id, pid } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const me = scope.me;
      const r = await act(deps, scope, id, {
        event: "participant_removed",
        data: sql`(select json_object('participantId', p_.id, 'kind', p_.kind, 'userId', p_.user_id,
          'observer', p_.observer_name) from meeting_participants p_ where p_.id = ${pid})`,
        side: "either",
        from: PREPARING,
        when: sql`(m_.starts_at is null or ${future(deps)}) and exists (select 1 from meeting_participants p_
          where p_.id = ${pid} and p_.meeting_id = m_.id
            and ((p_.kind = 'user' and p_.org_id = ${me.orgId})
              or (p_.kind = 'observer' and m_.host_org_id = ${me.orgId})))`,
        effects: (applied) => [
          scope.db.run(
            sql`delete from meeting_participants where id = ${pid} and meeting_id = ${id} and ${applied}`,
          ),
        ],
        probe: sql`select p_.kind, p_.org_id as orgId from meeting_participants p_
          where p_.id = ${pid} and p_.meeting_id = ${id}`,
        refuse: (m, p, probe) => {
          if (!probe) return notFound("participant of this meeting");
          if (probe.kind === "user" ? probe.orgId !== p.orgId : m.host.id !== p.orgId)
            return forbidden(
              probe.kind === "user"
                ? "Each institution withdraws its own users' invitations."
                : "The host withdraws observers' invitations.",
            );
          return conflict(
            "meeting_started",
            "The meeting has begun: invitations can no longer be withdrawn.",
          );
        },
      });
      return c.json(toMeetingDetail(r), 200);
    },
  )
  .openapi(
    meetingRoute({
      path: "/rsvp",
      summary: "Answer one's own invitation: attending, not attending or tentative",
      description: "Only before the meeting begins (409 `meeting_started` after its confirmed start).",
      roles: "any",
      request: { params: MeetingParams, body: jsonBody(RsvpInput) },
      errors: { 404: "No such meeting, or the caller is not invited (`not_invited`)" },
    }),
    async (c) => {
      const { response, note } = c.req.valid("json");
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const mine = sql`p_.meeting_id = ${id} and p_.user_id = ${scope.me.userId}`;
      const r = await act(deps, scope, id, {
        event: "rsvp",
        note: note ?? null,
        data: JSON.stringify({ response }),
        side: "either",
        from: PREPARING,
        beforeStart: true,
        when: sql`exists (select 1 from meeting_participants p_ where ${mine})`,
        effects: (applied, { now }) => [
          scope.db.run(sql`update meeting_participants as p_ set rsvp = ${response},
              rsvp_note = ${note ?? null}, updated_at = ${now}
            where ${mine} and ${applied}`),
        ],
        refuse: () => new ApiError(404, "not_invited", "You are not invited to this meeting."),
      });
      return c.json(toMeetingDetail(r), 200);
    },
  )
  .openapi(
    meetingRoute({
      path: "/attendance",
      summary: "Record attendance after the meeting has begun (the host): the meeting is held",
      description:
        "Only once the confirmed slot has begun (409 `not_started` before). Entries may be empty to " +
        "mark the meeting held without attendance; a later call corrects attendance.",
      roles: ARRANGERS,
      request: { params: MeetingParams, body: jsonBody(AttendanceInput) },
      errors: { 400: "A participant not of this meeting (`errors[]` per item)" },
    }),
    async (c) => {
      const { entries } = c.req.valid("json");
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const list = JSON.stringify(entries);
      const pids = entries.map((e) => e.participantId);
      const r = await act(deps, scope, id, {
        event: "attendance_recorded",
        data: sql`json_object('entries', json(${list}))`,
        side: "host",
        from: ["scheduled", "held"],
        when: sql`julianday(m_.starts_at) <= julianday(${now(deps)})
          and (select count(*) from meeting_participants pa_ join json_each(${list}) j_
            on j_.value ->> 'participantId' = pa_.id where pa_.meeting_id = m_.id) = ${entries.length}`,
        set: sql`status = 'held'`,
        effects: (applied, { now }) => [
          scope.db.run(sql`update meeting_participants set attended = (j_.value ->> 'attended'), updated_at = ${now}
            from json_each(${list}) j_
            where meeting_participants.id = j_.value ->> 'participantId'
              and meeting_participants.meeting_id = ${id} and ${applied}`),
        ],
        probe: sql`select json_group_array(pa_.id) as known from meeting_participants pa_
          where pa_.meeting_id = ${id}`,
        refuse: (m, _p, probe) => {
          const errors = itemErrors(
            "entries",
            pids,
            idSet(probe?.known),
            "not a participant of this meeting",
            "not_a_participant",
          ).map((e) => ({ ...e, path: `${e.path}.participantId` }));
          if (errors.length)
            return new ApiError(400, "validation_failed", "The request has invalid fields.", { errors });
          if (m.startsAt && Date.parse(m.startsAt) > deps.clock.now().getTime())
            return conflict(
              "not_started",
              `The meeting begins at ${m.startsAt}; record attendance after that.`,
            );
          return undefined;
        },
      });
      return c.json(toMeetingDetail(r), 200);
    },
  )
  .openapi(
    meetingRoute({
      path: "/cancel",
      summary: "Cancel the meeting before it is held (the host); the invitees are told",
      description:
        "Only before the meeting begins: refused with 409 `meeting_started` once its confirmed slot's " +
        "start has passed, and 409 `under_signature` while its minutes are being signed. " +
        "A special-topic meeting awaiting approval: its approval round is withdrawn in the same " +
        "request (`cosign_withdrawn`; both leaders are told, and a signature after it answers 409 " +
        "`round_closed`).",
      roles: ARRANGERS,
      request: { params: MeetingParams, body: jsonBody(CancelInput) },
    }),
    async (c) => {
      const { reason } = c.req.valid("json");
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const r = await act(deps, scope, id, {
        event: "cancelled",
        note: reason,
        side: "host",
        from: ["pending_approval", "planning", "scheduled"],
        // Never once it has begun, nor while its minutes are being signed.
        when: sql`not ${startedSql(now(deps))} and not ${cosignOpen("meeting_minutes", sql`m_.id`)}`,
        set: sql`status = 'cancelled'`,
        effects: (applied, { eventId, now }) => [
          // A special meeting awaiting approval: its round is withdrawn (nobody can approve it now).
          ...withdrawCosign(scope.db, {
            subjectType: "special_meeting",
            subjectId: id,
            when: applied,
            actorId: scope.me.userId,
            now,
            ids: deps.ids,
          }),
          notifyMeeting(scope, {
            id: deps.ids(),
            applied,
            recipients: sql`(select u_.id from users u_ where u_.id in ${inviteesOf(id)}
              or u_.id in ${coordinatorsOf(meetingCol(id, "guest_org_id"))})`,
            kind: "meeting.cancelled",
            meetingId: id,
            now,
            dedupe: `meeting-cancelled:${eventId}`,
            zh: `联席会议已取消:${reason}`,
            en: `The joint meeting is cancelled: ${reason}`,
          }),
        ],
        probe: sql`select ${cosignOpen("meeting_minutes", id)} as underSignature`,
        refuse: (m, _p, probe) => {
          if (probe?.underSignature)
            return conflict(
              "under_signature",
              "The minutes of this meeting are being signed; it can no longer be cancelled.",
            );
          if (hasStarted(m, now(deps))) return startedRefusal(m);
          return undefined;
        },
      });
      return c.json(toMeetingDetail(r), 200);
    },
  );
