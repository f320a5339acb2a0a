// Joint meetings: every change as one guarded batch (one round trip), then an explained refusal.
import { sha256 } from "../http/api";
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Principal, Scope } from "../auth/scope";
import { openCosign } from "../cosign/cosign";
import { meetings } from "../db/schema";
import {
  getSubjectTimeline,
  outboxFromSubjectEvents,
  recordEvent,
  type SubjectEventRow,
  subjectChange,
} from "../events/events";
import type { Deps } from "../http/api";
import { ApiError, conflict, forbidden } from "../http/problem";
import { MEETING_STATUSES, type MeetingStatus, type SUBJECT_EVENTS } from "../vocab";
import {
  coordinatorsOf,
  getMeeting,
  getMeetingByKey,
  meetingRows,
  notifyMeeting,
  timelineByKey,
  type MeetingRow,
} from "./meetings.queries";

export type MeetingEvent = (typeof SUBJECT_EVENTS.codes)[number];

export const invalid = (path: string, message: string, code = "invalid") =>
  new ApiError(400, "validation_failed", "The request has invalid fields.", {
    errors: [{ in: "json", path, message, code }],
  });

/** Which side of the meeting may act: its host, its guest, or either. */
export type Side = "host" | "guest" | "either";

/** The states in which a meeting is being prepared (scheduling, topics, invitations). */
export const PREPARING: readonly MeetingStatus[] = ["planning", "scheduled"];

export type Probe = Record<string, unknown> | undefined;

export type ActionSpec = {
  event: MeetingEvent;
  note?: string | null;
  /** What changed, as a JSON object (SQL or a JSON string); may read the meeting before the change. */
  data?: SQL | string | null;
  side: Side;
  from: readonly MeetingStatus[];
  /** Further conditions on the meeting `m_` that must hold. */
  when?: SQL;
  /**
   * Only before the meeting begins: refused (409 `meeting_started`) once its confirmed slot's start
   * has passed (checked after side and state, before `refuse`).
   */
  beforeStart?: boolean;
  /** SET assignments on the meeting (may refer to its current columns). */
  set?: SQL;
  /** Further statements that take effect only when the change applies. */
  effects?: (applied: SQL, ids: { eventId: string; now: string }) => BatchItem<"sqlite">[];
  /** A read after the change whose first row `refuse` gets: facts a refusal depends on. */
  probe?: SQL;
  /** Explains a refusal not due to side or status (the `when` conditions). */
  refuse?: (m: MeetingRow, p: Principal, probe: Probe) => ApiError | undefined;
  /** Overrides the refusal for a meeting in one of these states (e.g. topics closed once held). */
  closed?: (m: MeetingRow) => ApiError | undefined;
  /**
   * A change that did not apply but needs none (a retry, nothing new to invite): answered as success
   * when this says so (checked after side and state).
   */
  settled?: (m: MeetingRow, p: Principal, probe: Probe) => boolean;
};

const sideOf = (m: MeetingRow, p: Principal): "host" | "guest" => (m.host.id === p.orgId ? "host" : "guest");

/** SQL true when the meeting `m_` has begun: its slot is confirmed and its start has passed. */
export const startedSql = (now: string) =>
  sql`(m_.slot_status = 'confirmed' and julianday(m_.starts_at) <= julianday(${now}))`;

/** Whether a meeting has begun at `now` (its slot confirmed and its start passed), as `startedSql`. */
export const hasStarted = (m: MeetingRow, now: string) =>
  m.slotStatus === "confirmed" && m.startsAt !== null && Date.parse(m.startsAt) <= Date.parse(now);

/** The refusal of a change that must happen before the meeting begins. */
export const startedRefusal = (m: MeetingRow) =>
  conflict("meeting_started", `The meeting began at ${m.startsAt}; this can no longer change.`);

/** Why a meeting in this state refuses a preparation step. */
export function stateRefusal(m: MeetingRow, from: readonly MeetingStatus[]): ApiError {
  const s = MEETING_STATUSES.label(m.status).en.toLowerCase();
  if (m.status === "pending_approval" || m.status === "rejected")
    return conflict(
      "not_approved",
      `The special-topic meeting is ${s}: it is scheduled only after both institutions' leaders approve.`,
    );
  if (m.status === "cancelled") return conflict("meeting_cancelled", "The meeting was cancelled.");
  if (m.status === "skipped") return conflict("meeting_skipped", "The meeting is skipped this period.");
  if (m.status === "held" || m.status === "minuted")
    return conflict("meeting_held", `The meeting is ${s}; this can no longer change.`);
  const needed = from.map((x) => MEETING_STATUSES.label(x).en.toLowerCase()).join(" or ");
  return conflict(`not_${from[0]}`, `The meeting is ${s}; this needs it ${needed}.`);
}

function refusal(m: MeetingRow, p: Principal, spec: ActionSpec, probe: Probe, now: string): ApiError {
  if (spec.side !== "either" && sideOf(m, p) !== spec.side)
    return forbidden(
      spec.side === "host"
        ? "Only the hosting institution may do this."
        : "Only the guest institution may do this.",
    );
  if (!spec.from.includes(m.status)) return spec.closed?.(m) ?? stateRefusal(m, spec.from);
  if (spec.beforeStart && hasStarted(m, now)) return startedRefusal(m);
  return (
    spec.refuse?.(m, p, probe) ??
    conflict("concurrent_change", "The meeting changed while this request ran; reload it and retry.")
  );
}

/**
 * The guarded statements of one change of a meeting (the generic `subjectChange` over `m_`: visible,
 * the route's role, side, status, `when`, not begun); `applied` tells, in SQL, whether it happened.
 */
export function meetingChange(scope: Scope, id: string, eventId: string, now: string, spec: ActionSpec) {
  const side =
    spec.side === "host"
      ? sql`m_.host_org_id = ${scope.me.orgId}`
      : spec.side === "guest"
        ? sql`m_.guest_org_id = ${scope.me.orgId}`
        : sql`1`;
  const conds = [side, sql`m_.status in ${spec.from}`];
  if (spec.when) conds.push(spec.when);
  if (spec.beforeStart) conds.push(sql`not ${startedSql(now)}`);
  return subjectChange(scope, {
    table: meetings,
    alias: "m_",
    subjectType: "meeting",
    id,
    eventId,
    now,
    conds: sql.join(conds, sql` and `),
    set: spec.set,
    type: spec.event,
    note: spec.note ?? null,
    data: spec.data ?? null,
  });
}

export type MeetingView = { meeting: MeetingRow; timeline: SubjectEventRow[] };
export type ActResult = MeetingView & { applied: boolean; probe: Probe };

/** Runs one change of a meeting in a single round trip and returns the meeting after it. */
export async function act(deps: Deps, scope: Scope, id: string, spec: ActionSpec): Promise<ActResult> {
  const eventId = deps.ids();
  const now = deps.clock.now().toISOString();
  const t = meetingChange(scope, id, eventId, now, spec);
  const effects = spec.effects?.(t.applied, { eventId, now }) ?? [];
  const outbox = outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`);
  const check = scope.db.all<{ ok: number }>(sql`select ${t.applied} as ok`);
  const probe = spec.probe ? [scope.db.all<Record<string, unknown>>(spec.probe)] : [];
  const at = t.statements.length + effects.length + 1; // where the meeting's read is in the batch
  const { principal, results } = await scope.run(
    [
      ...t.statements,
      ...effects,
      outbox,
      getMeeting(scope, id),
      getSubjectTimeline(scope, "meeting", id),
      check,
      ...probe,
    ] as const,
    (r) => (r[at] as { j: string }[])[0],
  );
  const meeting = meetingRows(results[at] as { j: string }[])[0]!;
  const timeline = results[at + 1] as SubjectEventRow[];
  const probed = (results[at + 3] as Record<string, unknown>[] | undefined)?.[0];
  const applied = !!(results[at + 2] as { ok: number }[])[0]?.ok;
  if (!applied) {
    const sideOk = spec.side === "either" || sideOf(meeting, principal) === spec.side;
    if (!(sideOk && spec.from.includes(meeting.status) && spec.settled?.(meeting, principal, probed)))
      throw refusal(meeting, principal, spec, probed, now);
  }
  return { meeting, timeline, applied, probe: probed };
}

/** The meeting and its timeline, one round trip; 404 when the caller does not see it. */
export async function readMeeting(scope: Scope, id: string): Promise<MeetingView> {
  const { results } = await scope.run(
    [getMeeting(scope, id), getSubjectTimeline(scope, "meeting", id)] as const,
    ([m]) => m[0],
  );
  return { meeting: meetingRows(results[0])[0]!, timeline: results[1] };
}

export type NewSpecial = {
  subjectKind: "major_case" | "campaign" | "issue";
  subject: string;
  title: string;
  proposingDepartmentId: string;
  reason: string;
};

/**
 * Proposes a special-topic meeting (专题联席会议): hosted by the proposer's institution, awaiting
 * both leaders' approval, whose co-signature round opens in the same batch. The Idempotency-Key
 * makes a retry return the first attempt's meeting (200), never a second one.
 */
export async function createSpecial(deps: Deps, scope: Scope, key: string, input: NewSpecial) {
  const id = deps.ids();
  const eventId = deps.ids();
  const now = deps.clock.now().toISOString();
  const hash = await sha256(JSON.stringify(input));
  const created = sql`exists (select 1 from meetings mn_ where mn_.id = ${id})`;
  const guest = sql`(select gm_.guest_org_id from meetings gm_ where gm_.id = ${id})`;
  const jurisdiction = sql`(select jm_.jurisdiction_id from meetings jm_ where jm_.id = ${id})`;
  // The meeting, only when the department is the caller's own institution's and the caller holds the
  // role; the guest is the other institution of the caller's jurisdiction.
  const insert = scope.db.run(sql`insert into meetings
      (id, jurisdiction_id, kind, host_org_id, guest_org_id, title, subject_kind, subject,
      proposing_department_id, status, created_by, idempotency_key, request_hash, created_at, updated_at)
    select ${id}, h_.jurisdiction_id, 'special', h_.id, g_.id, ${input.title}, ${input.subjectKind},
      ${input.subject}, ${input.proposingDepartmentId}, 'pending_approval', ${scope.me.userId}, ${key},
      ${hash}, ${now}, ${now}
    from organizations h_ join organizations g_ on g_.jurisdiction_id = h_.jurisdiction_id and g_.id <> h_.id
    where h_.id = ${scope.me.orgId} and ${scope.hasRole()}
      and exists (select 1 from departments d_ where d_.id = ${input.proposingDepartmentId}
        and d_.org_id = h_.id)
    on conflict (created_by, idempotency_key) do nothing`);
  const statements = [
    insert,
    recordEvent(scope.db, {
      id: eventId,
      jurisdictionId: jurisdiction,
      subjectType: "meeting",
      subjectId: id,
      actorId: scope.me.userId,
      type: "created",
      note: input.reason,
      data: JSON.stringify({ kind: "special", subjectKind: input.subjectKind }),
      at: now,
      when: created,
    }),
    ...openCosign(scope.db, {
      id: deps.ids(),
      jurisdictionId: jurisdiction,
      subjectType: "special_meeting",
      subjectId: id,
      title: input.title,
      contentHash: hash,
      parties: [
        { orgId: scope.me.orgId, role: "leader" },
        { orgId: guest, role: "leader" },
      ],
      actorId: scope.me.userId,
      now,
      when: created,
    }),
    notifyMeeting(scope, {
      id: deps.ids(),
      applied: created,
      recipients: coordinatorsOf(guest),
      kind: "meeting.special_proposed",
      meetingId: id,
      now,
      dedupe: `meeting-special:${id}`,
      zh: `对方提议召开专题联席会议:${input.title}。待双方院领导批准。`,
      en: `The other institution proposes a special-topic joint meeting: ${input.title}. Both leaders must approve.`,
    }),
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
    getMeetingByKey(scope, key),
    timelineByKey(scope, key),
    scope.db.all<{ ok: number }>(sql`select exists (select 1 from departments d_
      where d_.id = ${input.proposingDepartmentId} and d_.org_id = ${scope.me.orgId}) as ok`),
  ] as const;
  const { results } = await scope.run(statements);
  const n = statements.length;
  const [meeting] = meetingRows(results[n - 3] as { j: string }[]);
  if (meeting) {
    if (meeting.id !== id && meeting.full?.requestHash !== hash)
      throw conflict(
        "idempotency_key_reused",
        "This Idempotency-Key was used for a different meeting; use a new key for a new meeting.",
      );
    return { meeting, timeline: results[n - 2] as SubjectEventRow[], created: meeting.id === id };
  }
  if (!(results[n - 1] as { ok: number }[])[0]?.ok)
    throw invalid("proposingDepartmentId", "not a department of your institution", "not_your_department");
  throw conflict("concurrent_change", "The meeting could not be created; retry.");
}
