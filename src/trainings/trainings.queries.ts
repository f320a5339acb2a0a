// SQL of trainings: the training read as one JSON value, lists, and the guarded writes.
//
// Writes follow the meetings' pattern: a timeline event (subject_events) is inserted only when the
// training is visible, organised by the caller's institution, in the required state, every guard of
// the change holds and the caller holds the role; every further statement is guarded by that event's
// existence ("applied"); the webhook outbox row is derived from the event. One batch: the whole change
// or nothing, and of two concurrent callers only the first can satisfy a guard.
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { subjectEvents, trainings } from "../db/schema";
import type { SubjectEventRow } from "../events/events";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import type { RegistrationStatus, TrainingKind } from "../vocab";

type OrgJson = { id: string; name: string; kind: "court" | "procuratorate" };
export type TrainingStatus = "planning" | "published" | "cancelled";

export type QuestionRow = {
  id: string;
  type: "text" | "single" | "multiple" | "yes_no";
  label: string;
  options?: string[];
  required: boolean;
  maxLength?: number;
};

export type TrainingRow = {
  id: string;
  jurisdictionId: string;
  kind: TrainingKind;
  status: TrainingStatus;
  title: string;
  description: string | null;
  hoursTenths: number;
  capacity: number | null;
  organiser: OrgJson;
  coOrganiser: OrgJson | null;
  opensAt: string | null;
  closesAt: string | null;
  modifyUntil: string | null;
  approvalRequired: number;
  offerHours: number;
  firstStartsAt: string | null;
  lastEndsAt: string | null;
  sessionCount: number;
  seriesId: string | null;
  period: string | null;
  createdAt: string;
  updatedAt: string;
  /** Only in single-training reads. */
  full?: {
    questions: QuestionRow[];
    sessions: {
      id: string;
      position: number;
      startsAt: string;
      endsAt: string;
      place: string | null;
      onlineUrl: string | null;
      attended: number;
    }[];
    invitations: { org: OrgJson; quota: number | null; seatsTaken: number }[];
    counts: { confirmed: number; waitlisted: number; offered: number; pending: number };
    seatsTaken: number;
    registrations: number;
    mine: {
      id: string;
      status: RegistrationStatus;
      waitlistPosition: number | null;
      offerExpiresAt: string | null;
    } | null;
    cancelReason: string | null;
    createdBy: string | null;
    requestHash: string | null;
  };
};

/** The states of a live registration (the person is still in: reminded, in the calendar). */
export const LIVE = sql.raw(`('pending', 'confirmed', 'waitlisted', 'offered')`);

const org = (a: string) => `json_object('id', ${a}.id, 'name', ${a}.name, 'kind', ${a}.kind)`;

/**
 * Seats held by the registrations of training `t`, optionally of one institution `org`: pending,
 * confirmed and offered ones hold a seat (HOLDING in ./registrations).
 */
const seats = (t: string, orgCol?: string) =>
  `(select count(*) from registrations rs_ where rs_.training_id = ${t}.id
    and rs_.status in ('pending', 'confirmed', 'offered')${orgCol ? ` and rs_.org_id = ${orgCol}` : ""})`;

const SESSIONS = `(select json_group_array(json(s_.j)) from (select json_object(
    'id', s.id, 'position', s.position, 'startsAt', s.starts_at, 'endsAt', s.ends_at,
    'place', s.place, 'onlineUrl', s.online_url,
    'attended', (select count(*) from training_attendance a_ where a_.session_id = s.id)) as j
  from training_sessions s where s.training_id = t.id order by s.position) s_)`;

const INVITATIONS = `(select json_group_array(json(i_.j)) from (select json_object(
    'org', ${org("io")}, 'quota', i.quota, 'seatsTaken', ${seats("t", "i.org_id")}) as j,
    io.jurisdiction_id = t.jurisdiction_id as own_
  from training_invitations i join organizations io on io.id = i.org_id
  where i.training_id = t.id order by own_ desc, io.name, io.id) i_)`;

// Aggregates over all registrations of a visible training (how full it is: every invited user needs
// this to decide); the rows themselves stay behind the registrations policy.
const COUNTS = `(select json_object(
    'confirmed', coalesce(sum(rc_.status = 'confirmed'), 0),
    'waitlisted', coalesce(sum(rc_.status = 'waitlisted'), 0),
    'offered', coalesce(sum(rc_.status = 'offered'), 0),
    'pending', coalesce(sum(rc_.status = 'pending'), 0))
  from registrations rc_ where rc_.training_id = t.id)`;

/**
 * The position on the waiting list: waitlisted people of the same pool ahead + 1; the pool is the
 * institution when it has a quota, else everyone without a quota. A verbatim copy of POSITION in
 * ./registrations (not exported there; aliases r, ri as there) so that GET /v1/trainings/{id} and
 * GET /v1/registrations/{id} answer the same number.
 */
const POSITION = `case when r.status = 'waitlisted' then 1 + (select count(*)
    from registrations p_ left join training_invitations pi_
      on pi_.training_id = p_.training_id and pi_.org_id = p_.org_id
    where p_.training_id = r.training_id and p_.status = 'waitlisted' and p_.seq < r.seq
      and case when ri.quota is null then pi_.quota is null else p_.org_id = r.org_id end) end`;

/** The caller's own registration (the live one, else the latest), with the waiting-list position. */
const mine = (scope: Scope) => sql`(select json_object('id', r.id, 'status', r.status,
    'waitlistPosition', ${sql.raw(POSITION)},
    'offerExpiresAt', r.offer_expires_at)
  from registrations r
  left join training_invitations ri on ri.training_id = r.training_id and ri.org_id = r.org_id
  where r.training_id = t.id and r.user_id = ${scope.me.userId}
  order by r.status in ${LIVE} desc, r.seq desc limit 1)`;

const FIELDS = (scope: Scope, full: boolean) =>
  sql`json_object(${sql.raw(`'id', t.id,
  'jurisdictionId', t.jurisdiction_id, 'kind', t.kind, 'status', t.status, 'title', t.title,
  'description', t.description, 'hoursTenths', t.hours_tenths, 'capacity', t.capacity,
  'organiser', ${org("o")}, 'coOrganiser', case when co.id is not null then ${org("co")} end,
  'opensAt', t.opens_at, 'closesAt', t.closes_at, 'modifyUntil', t.modify_until,
  'approvalRequired', t.approval_required, 'offerHours', t.offer_hours,
  'firstStartsAt', (select min(sf_.starts_at) from training_sessions sf_ where sf_.training_id = t.id),
  'lastEndsAt', (select max(sl_.ends_at) from training_sessions sl_ where sl_.training_id = t.id),
  'sessionCount', (select count(*) from training_sessions sc_ where sc_.training_id = t.id),
  'seriesId', t.series_id, 'period', t.period, 'createdAt', t.created_at, 'updatedAt', t.updated_at`)}${
    full
      ? sql`, 'full', json_object(${sql.raw(`'questions', json(t.questions),
  'sessions', json(${SESSIONS}), 'invitations', json(${INVITATIONS}),
  'counts', json(${COUNTS}), 'seatsTaken', ${seats("t")},
  'registrations', (select count(*) from registrations ra_ where ra_.training_id = t.id),
  'cancelReason', (select e_.note from subject_events e_ where e_.subject_type = 'training'
    and e_.subject_id = t.id and e_.type = 'cancelled' order by e_.at desc limit 1),
  'createdBy', t.created_by, 'requestHash', t.request_hash, 'mine', json(`)}${mine(scope)}))`
      : sql``
  }) as j`;

const FROM = sql`from trainings t
join organizations o on o.id = t.organiser_org_id
left join organizations co on co.id = t.co_organiser_org_id`;

/**
 * What the caller sees of trainings: the tenancy policy (organiser, co-organiser, invited
 * institutions), and a training still in planning only by its organisers (a draft is nobody else's).
 */
export const shown = (scope: Scope, a = "t") =>
  sql`${scope.visible(trainings, a)} and (${sql.raw(a)}.status <> 'planning'
    or ${sql.raw(a)}.organiser_org_id = ${scope.me.orgId}
    or ${sql.raw(a)}.co_organiser_org_id is ${scope.me.orgId})`;

/** SQL true when the caller's institution organises (or co-organises) the training `a`. */
export const organises = (scope: Scope, a = "t") =>
  sql`(${sql.raw(a)}.organiser_org_id = ${scope.me.orgId} or ${sql.raw(a)}.co_organiser_org_id is ${scope.me.orgId})`;

export const trainingRows = (rows: { j: string }[]): TrainingRow[] =>
  rows.map((r) => JSON.parse(r.j) as TrainingRow);

/** One training with everything hanging off it, when the caller sees it. */
export const getTraining = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(
    sql`select ${FIELDS(scope, true)} ${FROM} where t.id = ${id} and ${shown(scope)}`,
  );

/** The training the caller created with an Idempotency-Key (a retry finds the first attempt's). */
export const getTrainingByKey = (scope: Scope, key: string) =>
  scope.db.all<{ j: string }>(
    sql`select ${FIELDS(scope, true)} ${FROM} where t.created_by = ${scope.me.userId}
      and t.idempotency_key = ${key} and ${shown(scope)}`,
  );

/** The timeline of the training the caller created with an Idempotency-Key. */
export const timelineByKey = (scope: Scope, key: string) =>
  scope.db.all<SubjectEventRow>(sql`select e.id, e.at, e.type, e.note, e.actor_id as actorId,
      u.name as actorName, e.data
    from subject_events e left join users u on u.id = e.actor_id
    where e.subject_type = 'training' and e.subject_id = (select tk_.id from trainings tk_
        where tk_.created_by = ${scope.me.userId} and tk_.idempotency_key = ${key})
      and ${scope.visible(subjectEvents, "e")}
    order by e.at, e.id`);

export type TrainingFilter = {
  kind?: TrainingKind;
  status?: TrainingStatus;
  year?: number;
  mine?: "organised" | "invited";
  updatedSince?: string;
  limit: number;
  after?: [string, string];
};

/** The year of a training: of its first session, China time (sessions are kept in +08:00). */
const YEAR = sql`(select substr(min(sy_.starts_at), 1, 4) from training_sessions sy_ where sy_.training_id = t.id)`;

/**
 * A page of the trainings the caller sees (rows of one JSON column `j`), newest first; with
 * `updatedSince`, oldest change first (mobile sync). Cursor: (created_at | updated_at, id).
 */
export function listTrainings(scope: Scope, f: TrainingFilter): SQL {
  const conds: SQL[] = [shown(scope)];
  if (f.kind) conds.push(sql`t.kind = ${f.kind}`);
  if (f.status) conds.push(sql`t.status = ${f.status}`);
  if (f.year) conds.push(sql`${YEAR} = ${String(f.year)}`);
  if (f.mine === "organised") conds.push(organises(scope));
  if (f.mine === "invited")
    conds.push(sql`exists (select 1 from training_invitations mi_
      where mi_.training_id = t.id and mi_.org_id = ${scope.me.orgId})`);
  const sync = !!f.updatedSince;
  // Rows keep `toISOString()` instants: compare with the filter in the same form (…57Z < …57.507Z).
  if (f.updatedSince) conds.push(sql`t.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  const key = sync ? sql`t.updated_at` : sql`t.created_at`;
  if (f.after)
    conds.push(
      sync
        ? sql`(${key}, t.id) > (${f.after[0]}, ${f.after[1]})`
        : sql`(${key}, t.id) < (${f.after[0]}, ${f.after[1]})`,
    );
  const dir = sync ? sql`asc` : sql`desc`;
  return sql`select ${FIELDS(scope, false)} ${FROM} where ${sql.join(conds, sql` and `)}
    order by ${key} ${dir}, t.id ${dir} limit ${f.limit + 1}`;
}

// ── Invitations: who may be invited ───────────────────────────────────────────────────────────

/**
 * SQL true when organisation `x` may be invited by organiser `o` (aliases): the counterpart of the
 * organiser's pair, or an institution of the counterpart's kind in a jurisdiction directly under the
 * organiser's (the basic-level institutions under the counterpart).
 */
export const invitable = (x: string, o: string) =>
  sql.raw(`(${x}.kind <> ${o}.kind and (${x}.jurisdiction_id = ${o}.jurisdiction_id
    or ${x}.jurisdiction_id in (select jc_.id from jurisdictions jc_ where jc_.parent_id = ${o}.jurisdiction_id)))`);

/** The ids among `orgIds` that the organiser `organiserOrgId` may invite, as one JSON array. */
export const invitableIds = (orgIds: string[], organiserOrgId: SQL) =>
  sql`select json_group_array(x.id) as ids from organizations x join organizations o on o.id = ${organiserOrgId}
    where x.id in ${orgIds.length ? orgIds : [""]} and ${invitable("x", "o")}`;

/**
 * Invites organisation `orgId` to training `trainingId` with a quota (or sets the quota of an
 * existing invitation), only when `applied` holds. Idempotent by (training, org).
 */
export const upsertInvitation = (
  scope: Scope,
  i: {
    id: string;
    trainingId: string;
    orgId: string;
    quota: number | null | undefined;
    now: string;
    applied: SQL;
  },
) =>
  scope.db.run(sql`insert into training_invitations (id, training_id, jurisdiction_id, org_id, quota,
      created_at, updated_at)
    select ${i.id}, ${i.trainingId}, x.jurisdiction_id, x.id, ${i.quota ?? null}, ${i.now}, ${i.now}
    from organizations x where x.id = ${i.orgId} and ${i.applied}
    on conflict (training_id, org_id) do update set
      quota = ${i.quota === undefined ? sql`training_invitations.quota` : (i.quota ?? null)},
      updated_at = excluded.updated_at`);

// ── Who is who, as SQL ────────────────────────────────────────────────────────────────────────

/**
 * The contacts of the institutions a training concerns besides the organiser (its co-organiser and
 * the invited institutions): each one's coordinators, else its administrators.
 */
export const inviteeContacts = (trainingId: string) => sql`(select r_.user_id from role_assignments r_
  where r_.org_id in (select ti_.org_id from training_invitations ti_ where ti_.training_id = ${trainingId}
      union select tc_.co_organiser_org_id from trainings tc_ where tc_.id = ${trainingId})
    and r_.role = case when exists (select 1 from role_assignments rc_
      join users uc_ on uc_.id = rc_.user_id and uc_.active = 1
      where rc_.org_id = r_.org_id and rc_.role = 'coordinator') then 'coordinator' else 'admin' end)`;

/** The people with a live registration for the training. */
export const registrantsOf = (trainingId: string) => sql`(select rr_.user_id from registrations rr_
  where rr_.training_id = ${trainingId} and rr_.status in ${LIVE})`;

/**
 * Notices about a training, one per recipient (never the actor), written only if the change they
 * describe (`applied`) happened; the dedupe key makes each notice once per change and user.
 */
export function notifyTraining(
  scope: Scope,
  n: {
    id: string;
    applied: SQL;
    recipients: SQL;
    kind: string;
    trainingId: string;
    zh: string;
    en: string;
    dedupe: string;
    now: string;
  },
) {
  return scope.db.run(sql`${INSERT_NOTIFICATIONS}
    select ${n.id} || '.' || u_.id, u_.jurisdiction_id, u_.id, ${n.kind}, 'training', ${n.trainingId},
      ${n.zh}, ${n.en}, 0, ${n.dedupe} || ':' || u_.id, ${n.now}
    from users u_ where u_.active = 1 and u_.id in ${n.recipients}
      and u_.id is not ${scope.me.userId} and ${n.applied}
    on conflict (dedupe_key) do nothing`);
}
