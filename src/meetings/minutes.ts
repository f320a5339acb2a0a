// Minutes of a joint meeting (会议纪要): drafted by the host, co-signed by both institutions' leaders
// (src/cosign, ADR 0008), then locked; the agreed measures become action items when the round is
// fully signed. Also the hooks of the special-meeting approval, which uses the same co-signature.
//
// Drafting is allowed once the meeting is `scheduled` (a draft may be prepared from the agenda before
// the day) or `held`; submitting for signature only once the meeting has begun (`held`, or
// `scheduled` with its start in the past): nobody signs minutes of a meeting that has not taken place.
import { sha256 } from "../http/api";
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { chinaDate } from "../calendar/calendar.engine";
import {
  type CosignContext,
  type CosignHooks,
  cosignJson,
  cosignOpen,
  cosignOpened,
  cosignSigned,
  type CosignRow,
  openCosign,
} from "../cosign/cosign";
import type { Db } from "../db/client";
import { meetings } from "../db/schema";
import { outboxFromSubjectEvents, recordEvent } from "../events/events";
import type { Deps } from "../http/api";
import { ApiError, conflict, forbidden, type FieldError } from "../http/problem";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { coordinatorsOf } from "./meetings.queries";
import { MEETING_STATUSES, type MeetingStatus, type Role } from "../vocab";

/** Who of the host institution may draft and submit the minutes. */
export const MINUTES_EDITORS: Role[] = ["coordinator", "leader", "department_head", "admin"];
/** The meeting states in which the minutes may be drafted. */
const DRAFTABLE: MeetingStatus[] = ["scheduled", "held"];
/** At most this many agreed measures per set of minutes (each becomes an action item). */
export const MAX_MEASURES = 50;

export type MeasureInput = {
  title: string;
  ownerOrgId: string;
  ownerDepartmentId?: string | null;
  dueOn: string;
};
export type MinutesInput = { text: string; measures: MeasureInput[] };

/** The minutes of a meeting as read (the JSON of `minutesRead`). */
export type MinutesRow = {
  meetingId: string;
  meetingStatus: MeetingStatus;
  hostOrgId: string;
  minutes: {
    text: string;
    measures: {
      position: number;
      title: string;
      ownerOrgId: string;
      ownerOrgName: string | null;
      ownerDepartmentId: string | null;
      ownerDepartmentName: string | null;
      dueOn: string;
    }[];
    version: number;
    contentHash: string | null;
    draftedBy: { id: string; name: string };
    createdAt: string;
    updatedAt: string;
  } | null;
  locked: boolean;
  underSignature: boolean;
  cosignature: CosignRow | null;
};

/**
 * The content hash of a version of the minutes: sha-256 of `{ text, measures }` as stored, computed
 * when the version is written and kept in its `minutes_drafted` timeline entry (so a round can copy
 * it at submission without the content crossing to the app again).
 */
const versionHash = (meetingId: SQL) => sql`(select json_extract(e_.data, '$.contentHash')
  from subject_events e_ join meeting_minutes mh_ on mh_.meeting_id = e_.subject_id
  where e_.subject_type = 'meeting' and e_.subject_id = ${meetingId} and e_.type = 'minutes_drafted'
    and json_extract(e_.data, '$.version') = mh_.version
  order by e_.at desc limit 1)`;

/**
 * The minutes of meeting `m_` as one JSON object (null before the first draft): text, measures with
 * their owners' names, version, content hash, who drafted it.
 */
export const minutesJson = (m: SQL = sql`m_.id`) => sql`(select json_object('text', mm_.text,
    'measures', json((select json_group_array(json(x_.j)) from (
      select json_object('position', ms_.key, 'title', json_extract(ms_.value, '$.title'),
        'ownerOrgId', json_extract(ms_.value, '$.ownerOrgId'),
        'ownerOrgName', (select oo_.name from organizations oo_
          where oo_.id = json_extract(ms_.value, '$.ownerOrgId')),
        'ownerDepartmentId', json_extract(ms_.value, '$.ownerDepartmentId'),
        'ownerDepartmentName', (select od_.name from departments od_
          where od_.id = json_extract(ms_.value, '$.ownerDepartmentId')),
        'dueOn', json_extract(ms_.value, '$.dueOn')) as j
      from json_each(mm_.measures) ms_ order by ms_.key) x_)),
    'version', mm_.version, 'contentHash', ${versionHash(m)},
    'draftedBy', json_object('id', mm_.drafted_by,
      'name', (select ud_.name from users ud_ where ud_.id = mm_.drafted_by)),
    'createdAt', mm_.created_at, 'updatedAt', mm_.updated_at)
  from meeting_minutes mm_ where mm_.meeting_id = ${m})`;

/** The read of a meeting's minutes, its lock state and its latest round (only when the caller sees it). */
function minutesRead(scope: Scope, meetingId: string) {
  return scope.db.all<{ j: string }>(sql`select json_object('meetingId', m_.id,
      'meetingStatus', m_.status, 'hostOrgId', m_.host_org_id,
      'minutes', json(${minutesJson()}),
      'locked', json(iif(${cosignSigned("meeting_minutes", sql`m_.id`)}, 'true', 'false')),
      'underSignature', json(iif(${cosignOpen("meeting_minutes", sql`m_.id`)}, 'true', 'false')),
      'cosignature', json(${cosignJson("meeting_minutes", sql`m_.id`, scope)})) as j
    from meetings m_ where m_.id = ${meetingId} and ${scope.visible(meetings, "m_")}`);
}

const readRow = (rows: { j: string }[]) => (rows[0] ? (JSON.parse(rows[0].j) as MinutesRow) : undefined);

/** GET: the minutes of a meeting the caller sees (undefined when it does not see the meeting). */
export async function getMinutes(scope: Scope, meetingId: string) {
  const {
    results: [rows],
  } = await scope.run([minutesRead(scope, meetingId)] as const, ([r]) => r[0]);
  return readRow(rows)!;
}

/** The refusals every write of the minutes shares, in the order a person wants to know them. */
function stateRefusal(row: MinutesRow, orgId: string): ApiError | undefined {
  if (row.hostOrgId !== orgId)
    return forbidden("Only the host institution drafts and submits the minutes of its meeting.");
  if (row.locked)
    return conflict("locked", "The minutes are signed by both sides and locked; they cannot change.");
  if (row.underSignature)
    return conflict(
      "under_signature",
      "The minutes are being signed; wait for the outcome (a refusal reopens them for editing).",
    );
  if (!DRAFTABLE.includes(row.meetingStatus))
    return conflict(
      "meeting_not_ready",
      `The meeting is ${MEETING_STATUSES.label(row.meetingStatus).en.toLowerCase()}; ` +
        "minutes are drafted once it is scheduled or held.",
    );
  return undefined;
}

/** The host and this request's caller may edit: visible, host institution, role, state, not locked. */
function mayEdit(scope: Scope) {
  return sql`${scope.visible(meetings, "m_")} and m_.host_org_id = ${scope.me.orgId}
    and ${scope.hasRole(MINUTES_EDITORS)} and m_.status in ${DRAFTABLE}
    and not ${cosignOpen("meeting_minutes", sql`m_.id`)}
    and not ${cosignSigned("meeting_minutes", sql`m_.id`)}`;
}

const measure = (field: string) => sql.raw(`json_extract(ms_.value, '$.${field}')`);
/** Per measure `ms_` of meeting `m_`: its owner is the host or the guest, its department that owner's. */
const ownerOk = sql`${measure("ownerOrgId")} in (m_.host_org_id, m_.guest_org_id)`;
const departmentOk = sql`(${measure("ownerDepartmentId")} is null or exists (select 1 from departments dp_
  where dp_.id = ${measure("ownerDepartmentId")} and dp_.org_id = ${measure("ownerOrgId")}))`;

/**
 * PUT: writes a new version of the minutes (host only, not under signature, not locked, every
 * measure owned by the host or the guest and its department that owner's). Identical content is a
 * no-op (a retried PUT does not bump the version). One round trip.
 */
export async function saveMinutes(deps: Deps, scope: Scope, meetingId: string, input: MinutesInput) {
  const now = deps.clock.now();
  const at = now.toISOString();
  const today = chinaDate(now);
  const measures = input.measures.map((m) => ({
    title: m.title,
    ownerOrgId: m.ownerOrgId,
    ownerDepartmentId: m.ownerDepartmentId ?? null,
    dueOn: m.dueOn,
  }));
  const errors: FieldError[] = measures.flatMap((m, i) =>
    m.dueOn > today
      ? []
      : [
          {
            in: "json",
            path: `measures.${i}.dueOn`,
            message: `must be after today (${today})`,
            code: "not_future",
          },
        ],
  );
  const json = JSON.stringify(measures);
  const hash = await sha256(JSON.stringify({ text: input.text, measures }));
  const eventId = deps.ids();
  const drafted = sql`exists (select 1 from subject_events e_ where e_.id = ${eventId})`;
  const unchanged = sql`exists (select 1 from meeting_minutes mu_ where mu_.meeting_id = m_.id
    and mu_.text = ${input.text} and mu_.measures = ${json})`;
  const valid = sql`not exists (select 1 from json_each(${json}) ms_ where not (${ownerOk} and ${departmentOk}))`;
  const version = sql`coalesce((select mv_.version from meeting_minutes mv_ where mv_.meeting_id = ${meetingId}), 0) + 1`;
  const statements = [
    // The draft's timeline entry (with the new version's content hash): it exists exactly when the
    // edit applies — everything else of this edit is guarded by it.
    recordEvent(scope.db, {
      id: eventId,
      jurisdictionId: sql`(select mj_.jurisdiction_id from meetings mj_ where mj_.id = ${meetingId})`,
      subjectType: "meeting",
      subjectId: meetingId,
      actorId: scope.me.userId,
      type: "minutes_drafted",
      data: sql`json_object('version', ${version}, 'contentHash', ${hash}, 'measures', ${measures.length})`,
      at,
      when: sql`${errors.length === 0 ? sql`1` : sql`0`} and exists (select 1 from meetings m_
        where m_.id = ${meetingId} and ${mayEdit(scope)} and ${valid} and not ${unchanged})`,
    }),
    // The minutes: the first version, or the next one.
    scope.db.run(sql`insert into meeting_minutes (meeting_id, jurisdiction_id, text, measures, version,
        drafted_by, created_at, updated_at)
      select m_.id, m_.jurisdiction_id, ${input.text}, ${json}, 1, ${scope.me.userId}, ${at}, ${at}
      from meetings m_ where m_.id = ${meetingId} and ${drafted}
      on conflict (meeting_id) do update set text = excluded.text, measures = excluded.measures,
        version = meeting_minutes.version + 1, drafted_by = excluded.drafted_by,
        updated_at = excluded.updated_at`),
    scope.db.run(sql`update meetings set updated_at = ${at} where id = ${meetingId} and ${drafted}`),
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
    minutesRead(scope, meetingId),
    // Which measures name an owner or a department the meeting does not allow (explains a 400).
    scope.db.all<{ i: number; ownerOk: number; departmentOk: number }>(sql`select ms_.key as i,
        ${ownerOk} as ownerOk, ${departmentOk} as departmentOk
      from meetings m_, json_each(${json}) ms_
      where m_.id = ${meetingId} and ${scope.visible(meetings, "m_")}`),
    scope.db.all<{ ok: number; same: number }>(sql`select ${drafted} as ok,
      exists (select 1 from meetings m_ where m_.id = ${meetingId} and ${unchanged}) as same`),
  ] as const;
  const { principal, results } = await scope.run(statements, (r) => r[4][0]);
  const row = readRow(results[4])!;
  const [check] = results[6];
  if (check?.ok) return row;
  const refusal = stateRefusal(row, principal.orgId);
  if (refusal) throw refusal;
  for (const p of results[5]) {
    if (!p.ownerOk)
      errors.push({
        in: "json",
        path: `measures.${p.i}.ownerOrgId`,
        message: "must be the host or the guest institution of this meeting",
        code: "not_a_meeting_org",
      });
    else if (!p.departmentOk)
      errors.push({
        in: "json",
        path: `measures.${p.i}.ownerDepartmentId`,
        message: "must be a department of the owner institution",
        code: "not_of_owner",
      });
  }
  if (errors.length)
    throw new ApiError(400, "validation_failed", "The request has invalid fields.", {
      errors: errors.sort((a, b) => a.path.localeCompare(b.path, "en", { numeric: true })),
    });
  if (check?.same) return row;
  throw conflict("concurrent_change", "The minutes changed while this request ran; reload them and retry.");
}

/**
 * POST …/submit: opens a co-signature round over the current version (parties: both institutions'
 * `leader`; the version's content hash). A repeat while that round is open answers the round
 * (`created: false`): submission is idempotent by nature, no key needed. One round trip.
 */
export async function submitMinutes(deps: Deps, scope: Scope, meetingId: string) {
  const now = deps.clock.now().toISOString();
  const roundId = deps.ids();
  const eventId = deps.ids();
  const meeting = (col: string) =>
    sql`(select ${sql.raw(`ms_.${col}`)} from meetings ms_ where ms_.id = ${meetingId})`;
  const begun = sql`(m_.status = 'held' or julianday(m_.starts_at) <= julianday(${now}))`;
  const statements = [
    ...openCosign(scope.db, {
      id: roundId,
      jurisdictionId: meeting("jurisdiction_id"),
      subjectType: "meeting_minutes",
      subjectId: meetingId,
      title: sql`'会议纪要:' || ${meeting("title")}`,
      contentHash: versionHash(sql`${meetingId}`),
      parties: [
        { orgId: meeting("host_org_id"), role: "leader" },
        { orgId: meeting("guest_org_id"), role: "leader" },
      ],
      actorId: scope.me.userId,
      now,
      when: sql`exists (select 1 from meetings m_ join meeting_minutes mm_ on mm_.meeting_id = m_.id
        where m_.id = ${meetingId} and ${mayEdit(scope)} and ${begun})`,
    }),
    recordEvent(scope.db, {
      id: eventId,
      jurisdictionId: meeting("jurisdiction_id"),
      subjectType: "meeting",
      subjectId: meetingId,
      actorId: scope.me.userId,
      type: "cosign_opened",
      data: sql`json_object('cosignId', ${roundId}, 'version',
        (select mm_.version from meeting_minutes mm_ where mm_.meeting_id = ${meetingId}))`,
      at: now,
      when: cosignOpened(roundId),
    }),
    scope.db.run(sql`update meetings set updated_at = ${now}
      where id = ${meetingId} and ${cosignOpened(roundId)}`),
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
    minutesRead(scope, meetingId),
    scope.db.all<{ ok: number; begun: number }>(sql`select ${cosignOpened(roundId)} as ok,
      (select ${begun} from meetings m_ where m_.id = ${meetingId}) as begun`),
  ];
  const n = statements.length;
  const { principal, results } = await scope.run(statements, (r) => (r[n - 2] as { j: string }[])[0]);
  const row = readRow(results[n - 2] as { j: string }[])!;
  const [check] = results[n - 1] as { ok: number; begun: number }[];
  if (check?.ok) return { row, created: true };
  if (row.hostOrgId !== principal.orgId)
    throw forbidden("Only the host institution drafts and submits the minutes of its meeting.");
  if (row.underSignature) return { row, created: false };
  const refusal = stateRefusal(row, principal.orgId);
  if (refusal) throw refusal;
  if (!row.minutes) throw conflict("no_minutes", "There are no minutes to submit yet; draft them first.");
  if (!check?.begun)
    throw conflict(
      "meeting_not_held",
      "The meeting has not begun yet; the minutes are submitted for signature once it has taken place.",
    );
  throw conflict("concurrent_change", "The minutes changed while this request ran; reload them and retry.");
}

// ── Hooks of the co-signatures over meetings ────────────────────────────────────────────────────

/** The joint-meeting coordinators of both institutions of a meeting (`coordinatorsOf` each). */
const coordinatorsOfMeeting = (meetingId: SQL) => {
  const org = (col: string) =>
    sql`(select ${sql.raw(`mc_.${col}`)} from meetings mc_ where mc_.id = ${meetingId})`;
  return sql`(select * from ${coordinatorsOf(org("host_org_id"))}
    union select * from ${coordinatorsOf(org("guest_org_id"))})`;
};

/**
 * SQL true when the round's meeting is in one of `statuses`: every hook statement is guarded by it
 * as well as by `ctx.done`, so a hook never acts on a meeting that has moved on (cancelled …) —
 * defence in depth beside the cancellation withdrawing the meeting's open rounds.
 */
const meetingIn = (ctx: CosignContext, statuses: readonly MeetingStatus[]) =>
  sql`exists (select 1 from meetings mg_ where mg_.id = ${ctx.subjectId} and mg_.status in ${statuses})`;

/** Notices to the coordinators of the round's meeting, once per round and user, when `when` holds. */
function notifyCoordinators(db: Db, ctx: CosignContext, when: SQL, kind: string, zh: string, en: string) {
  return db.run(sql`${INSERT_NOTIFICATIONS}
    select ${ctx.ids()} || '.' || u_.id, u_.jurisdiction_id, u_.id, ${kind}, 'meeting', m_.id,
      ${zh} || m_.title, ${en} || m_.title, 0, ${kind} || ':' || ${ctx.cosignId} || ':' || u_.id, ${ctx.now}
    from meetings m_ join users u_ on u_.active = 1 and u_.id in ${coordinatorsOfMeeting(ctx.subjectId)}
    where m_.id = ${ctx.subjectId} and ${when}
    on conflict (dedupe_key) do nothing`);
}

/** A timeline entry on the round's meeting (and its webhook), written only when `when` holds. */
function meetingEvent(
  db: Db,
  ctx: CosignContext,
  o: { id: string; type: "cosign_completed" | "refused" | "approved" | "rejected"; data: SQL; when: SQL },
) {
  const refusal = sql`(select cp_.reason from cosign_parties cp_
    where cp_.cosign_id = ${ctx.cosignId} and cp_.decision = 'refused')`;
  return [
    recordEvent(db, {
      id: o.id,
      jurisdictionId: sql`(select mj_.jurisdiction_id from meetings mj_ where mj_.id = ${ctx.subjectId})`,
      subjectType: "meeting",
      subjectId: ctx.subjectId,
      actorId: ctx.actorId,
      type: o.type,
      note: o.type === "refused" || o.type === "rejected" ? refusal : null,
      data: o.data,
      at: ctx.now,
      when: o.when,
    }),
    outboxFromSubjectEvents(db, sql`ev.id = ${o.id}`),
  ];
}

/** SQL true when the timeline entry `id` was written (by this request). */
const wrote = (id: string) => sql`exists (select 1 from subject_events ew_ where ew_.id = ${id})`;

/**
 * Minutes fully signed: the meeting (scheduled or held) is `minuted`, each measure becomes an open
 * action item (position = its index, deadline version 1) with its `created` timeline entry, and both
 * coordinators hear it. All of it only when this request moved the meeting to `minuted`: on a meeting
 * in any other state (cancelled …) the round ends signed and nothing else happens. Action items are
 * unique per (meeting, position), so nothing can be created twice.
 */
export const minutesHooks: CosignHooks = {
  onSigned: (db, ctx) => {
    const itemIds = JSON.stringify(Array.from({ length: MAX_MEASURES }, ctx.ids));
    const eventIds = JSON.stringify(Array.from({ length: MAX_MEASURES }, ctx.ids));
    const mine = sql`a_.id in (select value from json_each(${itemIds}))`;
    // After the first statement: this request moved the meeting to `minuted` (a meeting is minuted
    // only here, and a signed round never has a successor, so `minuted` now means by this request).
    const minuted = sql`${ctx.done} and ${meetingIn(ctx, ["minuted"])}`;
    return [
      db.run(sql`update meetings set status = 'minuted', updated_at = ${ctx.now}
        where id = ${ctx.subjectId} and status in ${DRAFTABLE} and ${ctx.done}`),
      db.run(sql`insert into action_items (id, jurisdiction_id, meeting_id, position, title, owner_org_id,
          owner_department_id, due_on, deadline_version, status, created_at, updated_at)
        select json_extract(${itemIds}, '$[' || ms_.key || ']'), mm_.jurisdiction_id, mm_.meeting_id,
          ms_.key, ${measure("title")}, ${measure("ownerOrgId")}, ${measure("ownerDepartmentId")},
          ${measure("dueOn")}, 1, 'open', ${ctx.now}, ${ctx.now}
        from meeting_minutes mm_, json_each(mm_.measures) ms_
        where mm_.meeting_id = ${ctx.subjectId} and ${minuted}
        on conflict do nothing`),
      db.run(sql`insert into subject_events (id, jurisdiction_id, subject_type, subject_id, at, actor_id,
          type, note, data)
        select json_extract(${eventIds}, '$[' || a_.position || ']'), a_.jurisdiction_id, 'action_item',
          a_.id, ${ctx.now}, ${ctx.actorId}, 'created', null,
          json_object('meetingId', a_.meeting_id, 'position', a_.position, 'title', a_.title,
            'ownerOrgId', a_.owner_org_id, 'ownerDepartmentId', a_.owner_department_id, 'dueOn', a_.due_on)
        from action_items a_ where a_.meeting_id = ${ctx.subjectId} and ${mine} and ${minuted}
        on conflict do nothing`),
      outboxFromSubjectEvents(db, sql`ev.id in (select value from json_each(${eventIds}))`),
      ...meetingEvent(db, ctx, {
        id: ctx.ids(),
        type: "cosign_completed",
        data: sql`json_object('cosignId', ${ctx.cosignId}, 'actionItems',
          (select count(*) from action_items a_ where a_.meeting_id = ${ctx.subjectId}))`,
        when: minuted,
      }),
      notifyCoordinators(
        db,
        ctx,
        minuted,
        "meeting.minutes_signed",
        "会议纪要已经双方院领导会签,议定事项已转为督办事项:",
        "The minutes are signed by both leaders; their measures are now action items: ",
      ),
    ];
  },
  // Refused: the minutes open for editing again (no open round); the host redrafts and resubmits.
  onRefused: (db, ctx) =>
    meetingEvent(db, ctx, {
      id: ctx.ids(),
      type: "refused",
      data: sql`json_object('cosignId', ${ctx.cosignId})`,
      when: sql`${ctx.done} and ${meetingIn(ctx, DRAFTABLE)}`,
    }),
};

/**
 * Special-topic meeting approved by both leaders: it moves from `pending_approval` to `planning` and
 * both coordinators hear it; refused: it is `rejected`. Each only while the meeting is still pending
 * approval (never on a cancelled one): the meeting's timeline entry is written first, guarded by
 * that, and the change of state and the notices are guarded by the entry.
 */
export const specialMeetingHooks: CosignHooks = {
  onSigned: (db, ctx) => {
    const id = ctx.ids();
    return [
      ...meetingEvent(db, ctx, {
        id,
        type: "approved",
        data: sql`json_object('cosignId', ${ctx.cosignId})`,
        when: sql`${ctx.done} and ${meetingIn(ctx, ["pending_approval"])}`,
      }),
      db.run(sql`update meetings set status = 'planning', updated_at = ${ctx.now}
        where id = ${ctx.subjectId} and status = 'pending_approval' and ${wrote(id)}`),
      notifyCoordinators(
        db,
        ctx,
        wrote(id),
        "meeting.special_approved",
        "双方院领导已批准召开专题联席会议:",
        "Both leaders approved the special-topic joint meeting: ",
      ),
    ];
  },
  onRefused: (db, ctx) => {
    const id = ctx.ids();
    return [
      ...meetingEvent(db, ctx, {
        id,
        type: "rejected",
        data: sql`json_object('cosignId', ${ctx.cosignId})`,
        when: sql`${ctx.done} and ${meetingIn(ctx, ["pending_approval"])}`,
      }),
      db.run(sql`update meetings set status = 'rejected', updated_at = ${ctx.now}
        where id = ${ctx.subjectId} and status = 'pending_approval' and ${wrote(id)}`),
    ];
  },
};
