// SQL of joint meetings: the meeting read as one JSON value, and the guarded writes.
//
// Writes follow the documents' pattern: a timeline event (subject_events) is inserted only when the
// meeting is visible, in the required state, on the right side and the caller holds the role; every
// further statement of the change is guarded by that event's existence ("applied"); the webhook
// outbox row is derived from the event. All in one batch: the whole change happens or nothing does,
// and of two concurrent callers only the first can satisfy the guard.
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { type CosignRow, cosignJson } from "../cosign/cosign";
import { meetings, subjectEvents } from "../db/schema";
import type { SubjectEventRow } from "../events/events";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import type { CaseCategory, MeetingKind, MeetingStatus } from "../vocab";

type OrgJson = { id: string; name: string; kind: "court" | "procuratorate" };

export type MeetingRow = {
  id: string;
  jurisdictionId: string;
  kind: MeetingKind;
  status: MeetingStatus;
  title: string;
  period: string | null;
  seriesId: string | null;
  host: OrgJson;
  guest: OrgJson;
  slotStatus: "none" | "proposed" | "confirmed";
  slotVersion: number;
  startsAt: string | null;
  endsAt: string | null;
  place: string | null;
  onlineUrl: string | null;
  slotByOrgId: string | null;
  restDays: { date: string; name: string | null }[];
  topicCount: number;
  acceptedCount: number;
  participantCount: number;
  createdAt: string;
  updatedAt: string;
  /** Only in single-meeting reads. */
  full?: {
    subjectKind: "major_case" | "campaign" | "issue" | null;
    subject: string | null;
    reason: string | null;
    proposingDepartment: { id: string; name: string } | null;
    topics: TopicRow[];
    participants: ParticipantRow[];
    minutes: { version: number; updatedAt: string; cosignature: CosignRow | null } | null;
    approval: CosignRow | null;
    actionItems: number;
    createdBy: string | null;
    requestHash: string | null;
  };
};

export type TopicRow = {
  id: string;
  field: CaseCategory;
  title: string;
  description: string | null;
  status: "proposed" | "accepted" | "declined";
  position: number | null;
  reason: string | null;
  proposingOrg: OrgJson;
  proposingDepartment: { id: string; name: string } | null;
  createdAt: string;
};

export type ParticipantRow = {
  id: string;
  kind: "user" | "observer";
  userId: string | null;
  userName: string | null;
  userTitle: string | null;
  org: OrgJson;
  observerOrganization: string | null;
  observerName: string | null;
  observerTitle: string | null;
  observerContact: string | null;
  rsvp: "pending" | "accepted" | "declined" | "tentative";
  rsvpNote: string | null;
  attended: number | null;
};

const org = (a: string) => `json_object('id', ${a}.id, 'name', ${a}.name, 'kind', ${a}.kind)`;

/**
 * The rest days (weekends and public holidays of the holiday calendar) a meeting's slot touches,
 * as a JSON array of `{ date, name }`: the slot is kept in China time, so its first ten characters
 * are its China date.
 */
const REST_DAYS = sql.raw(`(select json_group_array(json_object('date', c_.day, 'name', c_.name))
  from calendar_days c_
  where m.starts_at is not null and c_.kind in ('weekend', 'holiday')
    and c_.day between substr(m.starts_at, 1, 10) and substr(m.ends_at, 1, 10))`);

/** Topics in agenda order: accepted ones by position, then proposed ones, then declined ones. */
const TOPICS = sql.raw(`(select json_group_array(json(t_.j)) from (select json_object(
    'id', t.id, 'field', t.field, 'title', t.title, 'description', t.description, 'status', t.status,
    'position', t.position, 'reason', t.decision_reason, 'proposingOrg', ${org("po")},
    'proposingDepartment', case when pd.id is not null then json_object('id', pd.id, 'name', pd.name) end,
    'createdAt', t.created_at) as j
  from meeting_topics t join organizations po on po.id = t.proposing_org_id
  left join departments pd on pd.id = t.proposing_department_id
  where t.meeting_id = m.id
  order by case t.status when 'accepted' then 0 when 'proposed' then 1 else 2 end,
    t.position, t.created_at, t.id) t_)`);

/** Participants: the host's users, the guest's users, then observers; by name within each. */
const PARTICIPANTS = sql.raw(`(select json_group_array(json(p_.j)) from (select json_object(
    'id', p.id, 'kind', p.kind, 'userId', p.user_id, 'userName', pu.name, 'userTitle', pu.title,
    'org', ${org("pog")},
    'observerOrganization', p.observer_organization, 'observerName', p.observer_name,
    'observerTitle', p.observer_title, 'observerContact', p.observer_contact,
    'rsvp', p.rsvp, 'rsvpNote', p.rsvp_note, 'attended', p.attended) as j
  from meeting_participants p join organizations pog on pog.id = p.org_id
  left join users pu on pu.id = p.user_id
  where p.meeting_id = m.id
  order by p.kind = 'observer',
    p.org_id <> (select mh_.host_org_id from meetings mh_ where mh_.id = p.meeting_id), coalesce(pu.name, p.observer_name), p.id) p_)`);

/** The meeting `m` as one JSON object; with `scope`, everything hanging off it (a single-meeting read). */
const FIELDS = (scope?: Scope) =>
  sql`json_object(${sql.raw(`'id', m.id,
  'jurisdictionId', m.jurisdiction_id, 'kind', m.kind, 'status', m.status, 'title', m.title,
  'period', m.period, 'seriesId', m.series_id, 'host', ${org("ho")}, 'guest', ${org("go")},
  'slotStatus', m.slot_status, 'slotVersion', m.slot_version, 'startsAt', m.starts_at,
  'endsAt', m.ends_at, 'place', m.place, 'onlineUrl', m.online_url, 'slotByOrgId', m.slot_by_org_id,
  'topicCount', (select count(*) from meeting_topics tc_ where tc_.meeting_id = m.id),
  'acceptedCount', (select count(*) from meeting_topics tc_
    where tc_.meeting_id = m.id and tc_.status = 'accepted'),
  'participantCount', (select count(*) from meeting_participants pc_ where pc_.meeting_id = m.id),
  'createdAt', m.created_at, 'updatedAt', m.updated_at, 'restDays', json(`)}${REST_DAYS})${
    scope
      ? sql`, 'full', json_object(${sql.raw(`'subjectKind', m.subject_kind, 'subject', m.subject,
  'reason', (select e_.note from subject_events e_ where e_.subject_type = 'meeting'
    and e_.subject_id = m.id and e_.type = 'created' order by e_.at limit 1),
  'proposingDepartment', (select json_object('id', d_.id, 'name', d_.name) from departments d_
    where d_.id = m.proposing_department_id),
  'topics', json(`)}${TOPICS}), 'participants', json(${PARTICIPANTS}),
  'minutes', (select json_object('version', mm_.version, 'updatedAt', mm_.updated_at,
      'cosignature', json(${cosignJson("meeting_minutes", sql.raw("m.id"), scope)}))
    from meeting_minutes mm_ where mm_.meeting_id = m.id),
  'approval', case when m.kind = 'special'
    then json(${cosignJson("special_meeting", sql.raw("m.id"), scope)}) end,
  'actionItems', (select count(*) from action_items ai_ where ai_.meeting_id = m.id),
  'createdBy', m.created_by, 'requestHash', m.request_hash)`
      : sql``
  }) as j`;

const FROM = sql`from meetings m
join organizations ho on ho.id = m.host_org_id
join organizations go on go.id = m.guest_org_id`;

/** Decodes the JSON rows of the meeting queries. */
export const meetingRows = (rows: { j: string }[]): MeetingRow[] =>
  rows.map((r) => JSON.parse(r.j) as MeetingRow);

/** One meeting with everything hanging off it, when the caller sees it. */
export const getMeeting = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(
    sql`select ${FIELDS(scope)} ${FROM} where m.id = ${id} and ${scope.visible(meetings, "m")}`,
  );

/** The meeting the caller created with an Idempotency-Key (a retry finds the first attempt's). */
export const getMeetingByKey = (scope: Scope, key: string) =>
  scope.db.all<{ j: string }>(
    sql`select ${FIELDS(scope)} ${FROM} where m.created_by = ${scope.me.userId}
      and m.idempotency_key = ${key} and ${scope.visible(meetings, "m")}`,
  );

/** The timeline of the meeting the caller created with an Idempotency-Key (a retry's answer). */
export const timelineByKey = (scope: Scope, key: string) =>
  scope.db.all<SubjectEventRow>(sql`select e.id, e.at, e.type, e.note, e.actor_id as actorId,
      u.name as actorName, e.data
    from subject_events e left join users u on u.id = e.actor_id
    where e.subject_type = 'meeting' and e.subject_id = (select mk_.id from meetings mk_
        where mk_.created_by = ${scope.me.userId} and mk_.idempotency_key = ${key})
      and ${scope.visible(subjectEvents, "e")}
    order by e.at, e.id`);

export type MeetingFilter = {
  status?: MeetingStatus[];
  kind?: MeetingKind;
  year?: number;
  updatedSince?: string;
  sort: "created" | "updated";
  limit: number;
  after?: [string, string];
};

/** The sort key of each order; cursors carry the last row's key. */
export const MEETING_SORT = {
  created: { expr: sql`m.created_at`, dir: sql`desc`, of: (r: MeetingRow) => r.createdAt },
  updated: { expr: sql`m.updated_at`, dir: sql`asc`, of: (r: MeetingRow) => r.updatedAt },
} as const;

/** The year a meeting belongs to: its slot's, else its period's, else its creation's (China time). */
const YEAR = sql`coalesce(substr(m.starts_at, 1, 4), substr(m.period, 1, 4),
  strftime('%Y', m.created_at, '+8 hours'))`;

/** The SQL of a page of the caller's pair's meetings (rows of one JSON column `j`), for `scope.list`. */
export function listMeetings(scope: Scope, f: MeetingFilter): SQL {
  const conds: SQL[] = [scope.visible(meetings, "m")];
  if (f.status?.length) conds.push(sql`m.status in ${f.status}`);
  if (f.kind) conds.push(sql`m.kind = ${f.kind}`);
  if (f.year) conds.push(sql`${YEAR} = ${String(f.year)}`);
  // Rows keep `toISOString()` instants: compare with the filter in the same form (…57Z < …57.507Z).
  if (f.updatedSince) conds.push(sql`m.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  const key = MEETING_SORT[f.sort];
  if (f.after)
    conds.push(
      f.sort === "created"
        ? sql`(${key.expr}, m.id) < (${f.after[0]}, ${f.after[1]})`
        : sql`(${key.expr}, m.id) > (${f.after[0]}, ${f.after[1]})`,
    );
  return sql`select ${FIELDS()} ${FROM} where ${sql.join(conds, sql` and `)}
    order by ${key.expr} ${key.dir}, m.id ${key.dir} limit ${f.limit + 1}`;
}

// ── Who is who, as SQL ───────────────────────────────────────────────────────────────────────────

/** A column of the meeting `id`, as a scalar sub-query. */
export const meetingCol = (id: string, col: string) =>
  sql`(select ${sql.raw(`mc_.${col}`)} from meetings mc_ where mc_.id = ${id})`;

/** The side of the meeting `m_` the caller is not on. */
export const otherSide = (scope: Scope, m = "m_") =>
  sql`(case when ${sql.raw(m)}.host_org_id = ${scope.me.orgId}
    then ${sql.raw(m)}.guest_org_id else ${sql.raw(m)}.host_org_id end)`;

/**
 * The joint-meeting coordinators of an organisation, as a SQL id list: its active users with the
 * `coordinator` role, or its administrators where it has no coordinator yet.
 */
export const coordinatorsOf = (orgId: SQL) => sql`(select r_.user_id from role_assignments r_
  where r_.org_id = ${orgId} and r_.role = case when exists (select 1 from role_assignments rc_
      join users uc_ on uc_.id = rc_.user_id and uc_.active = 1
      where rc_.org_id = ${orgId} and rc_.role = 'coordinator') then 'coordinator' else 'admin' end)`;

/** The users invited to a meeting, as a SQL id list. */
export const inviteesOf = (meetingId: string) => sql`(select pi_.user_id from meeting_participants pi_
  where pi_.meeting_id = ${meetingId} and pi_.kind = 'user')`;

/**
 * Notices about a meeting, one per recipient (never the actor), written only if the change they
 * describe (`applied`) happened; the dedupe key makes each notice once per change and user.
 */
export function notifyMeeting(
  scope: Scope,
  n: {
    id: string;
    applied: SQL;
    recipients: SQL;
    kind: string;
    meetingId: string;
    zh: string;
    en: string;
    dedupe: string;
    now: string;
  },
) {
  return scope.db.run(sql`${INSERT_NOTIFICATIONS}
    select ${n.id} || '.' || u_.id, u_.jurisdiction_id, u_.id, ${n.kind}, 'meeting', ${n.meetingId},
      ${n.zh}, ${n.en}, 0, ${n.dedupe} || ':' || u_.id, ${n.now}
    from users u_ where u_.active = 1 and u_.id in ${n.recipients}
      and u_.id is not ${scope.me.userId} and ${n.applied}
    on conflict (dedupe_key) do nothing`);
}

/** Bumps a meeting's `updated_at` (mobile sync) when a change to its topics or people applied. */
export const touchMeeting = (scope: Scope, id: string, now: string, applied: SQL) =>
  scope.db.run(sql`update meetings set updated_at = ${now} where id = ${id} and ${applied}`);
