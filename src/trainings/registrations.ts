// Registration for trainings: individual and group registration, capacity and quotas decided by the
// inserting statement itself, the waiting list with expiring offers, withdrawal and approval.
//
// Every write is one batch (one round trip): guarded statements, then reads of what happened, and the
// route explains a refusal. The seat rule (ADR 0011) lives in one SQL fragment, `seatFree`, used by
// every INSERT … SELECT that registers; `offerSeats` gives freed seats to the next waitlisted people
// and is appended to every batch that frees a seat, and run by the `offers` cron job.
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Principal, Scope } from "../auth/scope";
import type { Db } from "../db/client";
import { registrations, subjectEvents, trainings } from "../db/schema";
import { getSubjectTimeline, outboxFromSubjectEvents, type SubjectEventRow } from "../events/events";
import type { Deps } from "../http/api";
import { ApiError, conflict, forbidden, notFound } from "../http/problem";
import { coordinatorsOf } from "../meetings/meetings.queries";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { type RegistrationStatus, type Role, type SUBJECT_EVENTS, vocabulary } from "../vocab";
import { answerErrors, answersValidSql, parseQuestions, type Answers } from "./answers";
import { shown } from "./trainings.queries";

type V = string | SQL;
const v = (x: V) => (typeof x === "string" ? sql`${x}` : x);

/** The statuses of a live registration (one per person and training: registrations_live_uq). */
export const LIVE: RegistrationStatus[] = ["pending", "confirmed", "waitlisted", "offered"];
/** The statuses that hold a seat. */
export const HOLDING: RegistrationStatus[] = ["pending", "confirmed", "offered"];
/** Who decides on registrations for the organising institution. */
export const ORGANISER_ROLES: Role[] = ["coordinator", "leader", "admin"];
/** Who sees all the registrations of their institution (not only their own). */
export const INSTITUTION_ROLES: Role[] = ["department_head", "coordinator", "leader", "admin"];

/** Refusal codes of registration routes, with bilingual labels (sent as `label` in the problem). */
export const REGISTRATION_REFUSALS = vocabulary({
  not_published: { zh: "培训尚未发布", en: "The training is not published" },
  training_cancelled: { zh: "培训已取消", en: "The training is cancelled" },
  registration_closed: { zh: "不在报名时间内", en: "Registration is not open now" },
  already_registered: { zh: "已报名", en: "Already registered" },
  modification_closed: { zh: "已过修改截止时间", en: "The modification deadline has passed" },
  offer_expired: { zh: "递补名额已过期", en: "The offer has expired" },
  no_offer: { zh: "没有待确认的递补名额", en: "No open offer" },
  not_pending: { zh: "该报名不在待审核状态", en: "The registration is not awaiting approval" },
  not_live: { zh: "该报名已结束", en: "The registration is no longer live" },
  idempotency_key_reused: { zh: "幂等键已用于其他请求", en: "Idempotency-Key used for another request" },
  group_refused: { zh: "集体报名未通过校验,均未报名", en: "Group refused; nobody was registered" },
  concurrent_change: { zh: "并发修改,请重试", en: "Changed concurrently; retry" },
});
export type Refusal = (typeof REGISTRATION_REFUSALS.codes)[number];

export const refuse = (status: number, code: Refusal, detail: string, extra: Record<string, unknown> = {}) =>
  new ApiError(status, code, detail, { label: REGISTRATION_REFUSALS.label(code), ...extra });

// ── The seat rule, as SQL ─────────────────────────────────────────────────────────────────────────

/** Seats held in training `t` (confirmed + pending + offered). */
const seatsTaken = (t: SQL) => sql`(select count(*) from registrations s_
  where s_.training_id = ${t} and s_.status in ('pending', 'confirmed', 'offered'))`;

/** Seats held by institution `org` in training `t`. */
const orgSeatsTaken = (t: SQL, org: SQL) => sql`(select count(*) from registrations so_
  where so_.training_id = ${t} and so_.org_id = ${org} and so_.status in ('pending', 'confirmed', 'offered'))`;

/** The seat quota of institution `org` in training `t` (null: none). */
const quotaOf = (t: SQL, org: SQL) =>
  sql`(select qi_.quota from training_invitations qi_ where qi_.training_id = ${t} and qi_.org_id = ${org})`;

/**
 * seatFree: whether a newcomer of institution `org` gets a seat of training `t_` now — a free seat
 * within the capacity, within the institution's quota, and nobody who could take a seat is waiting
 * (fairness: arrival order; a waitlisted person blocked only by their own institution's full quota
 * does not block others). Evaluated inside the INSERT, so concurrent registrations see each other.
 */
const seatFree = (org: SQL) => sql`((t_.capacity is null or ${seatsTaken(sql`t_.id`)} < t_.capacity)
  and (${quotaOf(sql`t_.id`, org)} is null
    or ${orgSeatsTaken(sql`t_.id`, org)} < ${quotaOf(sql`t_.id`, org)})
  and not exists (select 1 from registrations w_
    left join training_invitations wi_ on wi_.training_id = w_.training_id and wi_.org_id = w_.org_id
    where w_.training_id = t_.id and w_.status = 'waitlisted'
      and (wi_.quota is null or ${orgSeatsTaken(sql`t_.id`, sql`w_.org_id`)} < wi_.quota)))`;

/**
 * An instant column as UTC ISO text with milliseconds (the form of `now`), whatever offset it was
 * stored with (`+08:00` or `Z`), so instants compare as text.
 */
export const utc = (col: string) => sql.raw(`strftime('%Y-%m-%dT%H:%M:%fZ', ${col})`);

/** The registration window of training `t_` is open at `now`, and it is published. */
const windowOpen = (now: string) => sql`(t_.status = 'published'
  and (t_.opens_at is null or ${utc("t_.opens_at")} <= ${now})
  and (t_.closes_at is null or ${now} < ${utc("t_.closes_at")}))`;

/** An instant column as China wall time for people, e.g. `2026-12-04 19:46` (UTC+8, no DST). */
const chinaTime = (col: string) => sql.raw(`strftime('%Y-%m-%d %H:%M', ${col}, '+8 hours')`);

/** `now` plus the training's offer time, as an ISO instant (comparable with `now` as text). */
const offerExpiry = (now: string, hours: SQL) =>
  sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${now}, '+' || ${hours} || ' hours')`;

// ── Registering ───────────────────────────────────────────────────────────────────────────────────

/**
 * keyFree: the caller has used the Idempotency-Key `key` for no registration yet. Every registering
 * insert is guarded on it, so a retry — or a reuse of the key for another request — writes nothing;
 * the route then answers the first result or 409 `idempotency_key_reused` (see `sameRequest`).
 */
const keyFree = (scope: Scope, key: string) => sql`not exists (select 1 from registrations ku_
  where ku_.registered_by = ${scope.me.userId} and ku_.idempotency_key = ${key})`;

/**
 * The request a key was first used for, as the stored registrations tell it: the training, and
 * each person with their answers. A retry is the same request; anything else reuses the key.
 */
const requestOf = (trainingId: string, members: { userId: string; answers: unknown }[]) =>
  JSON.stringify([
    trainingId,
    members.map((m) => [m.userId, JSON.stringify(m.answers ?? {})]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
  ]);
const sameRequest = (regs: RegistrationRow[], trainingId: string, members: GroupMember[]) =>
  regs.every((r) => r.training.id === trainingId) &&
  requestOf(
    trainingId,
    regs.map((r) => ({ userId: r.user.id, answers: r.answers })),
  ) === requestOf(trainingId, members);

type NewRegistration = {
  id: string;
  trainingId: string;
  userId: V;
  answers: Answers;
  key: string;
  now: string;
  /** Further conditions for the insert (the group's all-or-nothing guard). */
  when?: SQL;
  /** Guarded on the key being unused (default); a group's later members depend on its first. */
  keyGuard?: boolean;
};

/**
 * insertRegistration: registers `userId` for the training when the caller sees the training, its
 * window is open, the answers satisfy its questions and the person has no live registration (unique
 * index); the status (confirmed or pending, else waitlisted) and `seq` (arrival order: max + 1) are
 * decided by this one statement, which the database runs alone (writes are serialized), so
 * concurrent registrations can never overbook. A retry with the same Idempotency-Key inserts nothing.
 */
export function insertRegistration(scope: Scope, r: NewRegistration) {
  const answers = JSON.stringify(r.answers);
  return scope.db.run(sql`insert into registrations (id, training_id, jurisdiction_id, user_id, org_id,
      department_id, status, seq, answers, registered_by, idempotency_key, created_at, updated_at)
    select ${r.id}, t_.id, u_.jurisdiction_id, u_.id, u_.org_id, u_.department_id,
      case when ${seatFree(sql`u_.org_id`)}
        then case when t_.approval_required then 'pending' else 'confirmed' end
        else 'waitlisted' end,
      (select coalesce(max(sq_.seq), 0) + 1 from registrations sq_ where sq_.training_id = t_.id),
      ${answers}, ${scope.me.userId}, ${r.key}, ${r.now}, ${r.now}
    from trainings t_ join users u_ on u_.id = ${v(r.userId)} and u_.active = 1
    where t_.id = ${r.trainingId} and ${scope.visible(trainings, "t_")} and ${windowOpen(r.now)}
      ${r.keyGuard === false ? sql`` : sql`and ${keyFree(scope, r.key)}`}
      and ${answersValidSql(sql`t_.questions`, answers)}${r.when ? sql` and ${r.when}` : sql``}
    on conflict do nothing`);
}

/**
 * registrationCreated: the timeline event of a new registration (`registered`, or `waitlisted`),
 * written only when the registration `id` exists — i.e. this batch inserted it.
 */
function registrationCreated(db: Db, eventId: string, id: string, actor: SQL, now: string) {
  return db.run(sql`insert into subject_events (id, jurisdiction_id, subject_type, subject_id, at,
      actor_id, type, note, data)
    select ${eventId}, r_.jurisdiction_id, 'registration', r_.id, ${now}, ${actor},
      case r_.status when 'waitlisted' then 'waitlisted' else 'registered' end, null,
      json_object('status', r_.status, 'seq', r_.seq, 'trainingId', r_.training_id)
    from registrations r_ where r_.id = ${id}
    on conflict do nothing`);
}

/**
 * notifyRegistrations: a notice to each person of the registrations `ids` (SQL id list) matching
 * `where` on `r_`, except the actor; once per dedupe key.
 */
function notifyRegistrants(
  db: Db,
  n: { ids: SQL; where?: SQL; kind: string; zh: SQL; en: SQL; dedupe: SQL; now: string; except?: SQL },
) {
  return db.run(sql`${INSERT_NOTIFICATIONS}
    select ${n.dedupe} || '.n', r_.jurisdiction_id, r_.user_id, ${n.kind}, 'registration', r_.id,
      ${n.zh}, ${n.en}, 0, ${n.dedupe}, ${n.now}
    from registrations r_ join trainings t_ on t_.id = r_.training_id
    where r_.id in ${n.ids}${n.where ? sql` and ${n.where}` : sql``}
      ${n.except ? sql`and r_.user_id is not ${n.except}` : sql``}
    on conflict (dedupe_key) do nothing`);
}

/** The organiser's coordinators are told of each new registration awaiting approval. */
function notifyApprovers(db: Db, ids: SQL, now: string) {
  return db.run(sql`${INSERT_NOTIFICATIONS}
    select 'approve:' || r_.id || ':' || c_.id, c_.jurisdiction_id, c_.id, 'registration.pending',
      'registration', r_.id,
      '待审核报名:' || u_.name || ' 报名《' || t_.title || '》', 'Registration to approve: ' || u_.name
        || ' for “' || t_.title || '”', 0, 'registration-approve:' || r_.id || ':' || c_.id, ${now}
    from registrations r_ join trainings t_ on t_.id = r_.training_id join users u_ on u_.id = r_.user_id
      join users c_ on c_.active = 1 and c_.id in ${coordinatorsOf(sql`t_.organiser_org_id`)}
    where r_.id in ${ids} and r_.status = 'pending'
    on conflict (dedupe_key) do nothing`);
}

// ── Offers: freed seats pass to the next waitlisted people ─────────────────────────────────────────

/**
 * The training `t_` has not begun at `now`: none of its sessions has started. Once the event is
 * under way (ADR 0011), a seat freed late is no longer offered — nobody could take it in time.
 * Offers already made still run to their expiry (or acceptance).
 */
const notStarted = (now: string) => sql`not exists (select 1 from training_sessions ts_
  where ts_.training_id = t_.id and ${utc("ts_.starts_at")} <= ${now})`;

/**
 * offerSeats: for each training of `trainingIds` (an SQL id list), the waitlisted registrations
 * that now fit — by arrival order, at most the free seats, within each institution's quota — become
 * `offered` until now + the training's offer hours (never once the training has begun:
 * `notStarted`); then their timeline events (id
 * `<registration>.offered`: a registration is offered at most once, so a repeat writes nothing),
 * notices and webhook outbox rows. Set-based: a fixed number of statements whatever the list length.
 */
export function offerSeats(db: Db, trainingIds: SQL, now: string): BatchItem<"sqlite">[] {
  const justOffered = sql`(select o_.id from registrations o_
    where o_.training_id in ${trainingIds} and o_.status = 'offered' and o_.offered_at = ${now})`;
  return [
    db.run(sql`update registrations set status = 'offered', offered_at = ${now},
        offer_expires_at = ${offerExpiry(
          now,
          sql`(select ot_.offer_hours from trainings ot_
          where ot_.id = registrations.training_id)`,
        )},
        updated_at = ${now}
      where id in (select f_.id from (
          select e_.id, e_.free_, row_number() over (partition by e_.training_id order by e_.seq) as n_
          from (select w_.id, w_.training_id, w_.seq, wi_.quota,
              row_number() over (partition by w_.training_id, w_.org_id order by w_.seq) as k_,
              ${orgSeatsTaken(sql`w_.training_id`, sql`w_.org_id`)} as org_taken_,
              coalesce(t_.capacity - ${seatsTaken(sql`t_.id`)}, 1000000000) as free_
            from registrations w_ join trainings t_ on t_.id = w_.training_id
              left join training_invitations wi_ on wi_.training_id = w_.training_id
                and wi_.org_id = w_.org_id
            where w_.training_id in ${trainingIds} and w_.status = 'waitlisted'
              and t_.status = 'published' and ${notStarted(now)}) e_
          where e_.quota is null or e_.org_taken_ + e_.k_ <= e_.quota) f_
        where f_.n_ <= f_.free_)`),
    db.run(sql`insert into subject_events (id, jurisdiction_id, subject_type, subject_id, at, actor_id,
        type, note, data)
      select r_.id || '.offered', r_.jurisdiction_id, 'registration', r_.id, ${now}, null, 'offered', null,
        json_object('expiresAt', r_.offer_expires_at)
      from registrations r_ where r_.id in ${justOffered}
      on conflict do nothing`),
    notifyRegistrants(db, {
      ids: justOffered,
      kind: "registration.offered",
      zh: sql`'候补递补:《' || t_.title || '》有空余名额,请在 ' || ${chinaTime("r_.offer_expires_at")}
        || ' 前确认'`,
      en: sql`'A seat of “' || t_.title || '” is offered to you; accept it before '
        || ${chinaTime("r_.offer_expires_at")} || ' (China time)'`,
      dedupe: sql`'registration-offer:' || r_.id`,
      now,
    }),
    outboxFromSubjectEvents(
      db,
      sql`ev.id in (select x_.id || '.offered' from registrations x_
      where x_.id in ${justOffered})`,
    ),
  ];
}

/**
 * offerFreedSeats: the statements that give the freed seats of one training to the next waitlisted
 * people (see offerSeats). Append them to any batch that frees a seat or raises a capacity or quota.
 */
export const offerFreedSeats = (db: Db, trainingId: SQL | string, now: string) =>
  offerSeats(db, sql`(${v(trainingId)})`, now);

/** How many due offers one batch of the cron expires. */
export const OFFER_CHUNK = 200;

/**
 * expireOffers (cron `offers`): offers past their expiry become `expired` (event
 * `<registration>.offer_expired`, notice, webhook) and their seats pass on to the next waitlisted
 * people. Each chunk is one batch: the events are written first from the due offers, and only the
 * offers whose event exists are expired, so a concurrent or repeated run changes nothing more.
 */
export async function expireOffers(deps: Deps, now: Date) {
  const at = now.toISOString();
  const due = sql`(select d_.id from registrations d_ where d_.status = 'offered'
    and d_.offer_expires_at <= ${at} order by d_.offer_expires_at, d_.id limit ${OFFER_CHUNK})`;
  const db = deps.db;
  let expired = 0;
  let offered = 0;
  let batches = 0;
  for (;;) {
    const results = await db.batch([
      db.run(sql`insert into subject_events (id, jurisdiction_id, subject_type, subject_id, at, actor_id,
          type, note, data)
        select r_.id || '.offer_expired', r_.jurisdiction_id, 'registration', r_.id, ${at}, null,
          'offer_expired', null, json_object('expiresAt', r_.offer_expires_at)
        from registrations r_ where r_.id in ${due}
        on conflict do nothing`),
      notifyRegistrants(db, {
        ids: due,
        kind: "registration.offer_expired",
        zh: sql`'《' || t_.title || '》的递补名额已逾期,名额已转给下一位候补'`,
        en: sql`'Your offered seat of “' || t_.title || '” expired and passed to the next person'`,
        dedupe: sql`'registration-offer-expired:' || r_.id`,
        now: at,
      }),
      outboxFromSubjectEvents(
        db,
        sql`ev.id in (select x_.id || '.offer_expired' from registrations x_
        where x_.id in ${due})`,
      ),
      db.run(sql`update registrations set status = 'expired', updated_at = ${at}
        where status = 'offered' and offer_expires_at <= ${at}
          and exists (select 1 from subject_events e_ where e_.id = registrations.id || '.offer_expired')`),
      // Every training with someone waiting (or just offered, for the offers' own events): the
      // seats freed here, and any left free by a change that did not offer them, pass on.
      ...offerSeats(
        db,
        sql`(select distinct wt_.training_id from registrations wt_
          where wt_.status = 'waitlisted' or (wt_.status = 'offered' and wt_.offered_at = ${at}))`,
        at,
      ),
    ]);
    batches++;
    const n = (results[3] as { rowsAffected: number }).rowsAffected;
    expired += n;
    offered += (results[4] as { rowsAffected: number }).rowsAffected;
    if (n < OFFER_CHUNK) break;
  }
  return { expired, offered, batches };
}

// ── Reading ───────────────────────────────────────────────────────────────────────────────────────

export type RegistrationRow = {
  id: string;
  training: { id: string; title: string; organiserOrgId: string; modifyUntil: string | null };
  user: { id: string; name: string };
  org: { id: string; name: string };
  departmentId: string | null;
  status: RegistrationStatus;
  seq: number;
  position: number | null;
  answers: Record<string, unknown>;
  registeredBy: { id: string; name: string };
  offeredAt: string | null;
  offerExpiresAt: string | null;
  decisionNote: string | null;
  idempotencyKey: string | null;
  createdAt: string;
  updatedAt: string;
};

/**
 * The position on the waiting list: waitlisted people of the same pool ahead + 1. The pool is the
 * institution when it has a quota (it waits for its own seats), else everyone without a quota.
 */
const POSITION = `case when r.status = 'waitlisted' then 1 + (select count(*)
    from registrations p_ left join training_invitations pi_
      on pi_.training_id = p_.training_id and pi_.org_id = p_.org_id
    where p_.training_id = r.training_id and p_.status = 'waitlisted' and p_.seq < r.seq
      and case when ri.quota is null then pi_.quota is null else p_.org_id = r.org_id end) end`;

export const REG_FIELDS = sql.raw(`json_object('id', r.id,
  'training', json_object('id', t.id, 'title', t.title, 'organiserOrgId', t.organiser_org_id,
    'modifyUntil', t.modify_until),
  'user', json_object('id', u.id, 'name', u.name), 'org', json_object('id', o.id, 'name', o.name),
  'departmentId', r.department_id, 'status', r.status, 'seq', r.seq, 'position', ${POSITION},
  'answers', json(r.answers), 'registeredBy', json_object('id', rb.id, 'name', rb.name),
  'offeredAt', r.offered_at, 'offerExpiresAt', r.offer_expires_at, 'decisionNote', r.decision_note,
  'idempotencyKey', r.idempotency_key, 'createdAt', r.created_at, 'updatedAt', r.updated_at) as j`);

export const REG_FROM = sql.raw(`from registrations r join trainings t on t.id = r.training_id
  join users u on u.id = r.user_id join organizations o on o.id = r.org_id
  join users rb on rb.id = r.registered_by
  left join training_invitations ri on ri.training_id = r.training_id and ri.org_id = r.org_id`);

export const regRows = (rows: { j: string }[]): RegistrationRow[] =>
  rows.map((x) => JSON.parse(x.j) as RegistrationRow);

/**
 * One registration, when the caller sees it and may read it: by the rule of the lists (`listedBy`:
 * the person, the organisers, the institution's heads, coordinators, leaders and administrators),
 * or who registered them. A colleague who may not gets nothing (404).
 */
export const getRegistration = (scope: Scope, id: V) =>
  scope.db.all<{ j: string }>(
    sql`select ${REG_FIELDS} ${REG_FROM} where r.id = ${v(id)} and ${scope.visible(registrations, "r")}
      and (${listedBy(scope)} or r.registered_by = ${scope.me.userId})`,
  );

/** The timeline of the registration `id` (an SQL scalar), when the caller sees it. */
const timelineOf = (scope: Scope, id: SQL) =>
  scope.db.all<SubjectEventRow>(sql`select e.id, e.at, e.type, e.note, e.actor_id as actorId,
      u.name as actorName, e.data
    from subject_events e left join users u on u.id = e.actor_id
    where e.subject_type = 'registration' and e.subject_id = ${id}
      and ${scope.visible(subjectEvents, "e")}
    order by e.at, e.id`);

/** The training facts a refusal depends on (when the caller sees the training). */
export type TrainingFacts = {
  id: string;
  status: string;
  opensAt: string | null;
  closesAt: string | null;
  modifyUntil: string | null;
  approvalRequired: number;
  questions: string;
  organiser: number;
};

const getTrainingFacts = (scope: Scope, trainingId: string) =>
  scope.db.all<TrainingFacts>(sql`select t_.id, t_.status, t_.opens_at as opensAt, t_.closes_at as closesAt,
      t_.modify_until as modifyUntil, t_.approval_required as approvalRequired, t_.questions,
      (t_.organiser_org_id = ${scope.me.orgId} or t_.co_organiser_org_id is ${scope.me.orgId}) as organiser
    from trainings t_ where t_.id = ${trainingId} and ${shown(scope, "t_")}`);

/** The caller's live registration for a training (the refusal `already_registered`). */
const liveOf = (scope: Scope, trainingId: string, users: SQL) =>
  scope.db.all<{ userId: string; id: string }>(sql`select l_.user_id as userId, l_.id from registrations l_
    where l_.training_id = ${trainingId} and l_.user_id in ${users}
      and l_.status in ('pending', 'confirmed', 'waitlisted', 'offered')`);

/** Refusal for a training that is not open for registration now (or undefined when it is). */
function windowRefusal(t: TrainingFacts, now: string): ApiError | undefined {
  if (t.status === "cancelled") return cancelledRefusal();
  if (t.status !== "published")
    return refuse(409, "not_published", "The training is not published; registration is not open.");
  const at = Date.parse(now);
  if ((t.opensAt && at < Date.parse(t.opensAt)) || (t.closesAt && at >= Date.parse(t.closesAt)))
    return refuse(
      409,
      "registration_closed",
      `Registration is open from ${t.opensAt ?? "publication"} until ${t.closesAt ?? "the event"}.`,
    );
}

const cancelledRefusal = () =>
  refuse(409, "training_cancelled", "The training is cancelled; its registrations no longer change.");

export type RegistrationView = { registration: RegistrationRow; timeline: SubjectEventRow[] };

/**
 * Registers the caller for a training, in one round trip. A retry with the same Idempotency-Key
 * answers the first attempt's registration (created: false).
 */
export async function register(
  deps: Deps,
  scope: Scope,
  trainingId: string,
  key: string,
  answers: Answers,
): Promise<RegistrationView & { created: boolean }> {
  const id = deps.ids();
  const now = deps.clock.now().toISOString();
  const byKey = sql`(select k_.id from registrations k_ where k_.registered_by = ${scope.me.userId}
    and k_.idempotency_key = ${key})`;
  const mine = sql`(select ${id} where exists (select 1 from registrations n_ where n_.id = ${id}))`;
  const statements = [
    insertRegistration(scope, { id, trainingId, userId: scope.me.userId, answers, key, now }),
    registrationCreated(scope.db, deps.ids(), id, scope.me.userId, now),
    notifyApprovers(scope.db, mine, now),
    outboxFromSubjectEvents(scope.db, sql`ev.subject_type = 'registration' and ev.subject_id = ${id}`),
    getTrainingFacts(scope, trainingId),
    getRegistration(scope, byKey),
    timelineOf(scope, byKey),
    liveOf(scope, trainingId, sql`(${scope.me.userId})`),
  ] as const;
  const { principal, results } = await scope.run(statements, (r) => r[4][0]);
  const training = results[4][0]!;
  const regs = regRows(results[5]);
  const reg = regs[0];
  if (reg) {
    if (!sameRequest(regs, trainingId, [{ userId: principal.id, answers }]))
      throw refuse(409, "idempotency_key_reused", "This Idempotency-Key was used for another request.");
    return { registration: reg, timeline: results[6], created: reg.id === id };
  }
  throw (
    windowRefusal(training, now) ??
    (results[7][0]
      ? refuse(409, "already_registered", "You already have a live registration for this training.", {
          registrationId: results[7][0].id,
        })
      : undefined) ??
    answersRefusal(training, [{ answers, prefix: "" }]) ??
    refuse(409, "concurrent_change", "The registration could not be made; retry.")
  );
}

function answersRefusal(t: TrainingFacts, members: { answers: unknown; prefix: string }[]) {
  const questions = parseQuestions(t.questions);
  const errors = members.flatMap((m) => answerErrors(questions, m.answers, m.prefix));
  if (errors.length)
    return new ApiError(400, "validation_failed", "Some answers do not satisfy the training's questions.", {
      errors,
    });
}

export type GroupMember = { userId: string; answers: Answers };

/**
 * A department head registers members of their department in one batch: all or nothing. The first
 * insert carries the whole group's guard (every member an active user of the caller's department,
 * none already registered, every member's answers valid); each later one runs only if the first
 * applied; seats are decided member by member in list order by the same rule as individuals.
 */
export async function registerGroup(
  deps: Deps,
  scope: Scope,
  trainingId: string,
  key: string,
  members: GroupMember[],
): Promise<{ registrations: RegistrationRow[]; created: boolean }> {
  const now = deps.clock.now().toISOString();
  const ids = members.map(() => deps.ids());
  const memberIds = sql`(${sql.join(
    members.map((m) => sql`${m.userId}`),
    sql`, `,
  )})`;
  const inDept = sql`(select gu_.id from users gu_ where gu_.id in ${memberIds} and gu_.active = 1
    and gu_.org_id = ${scope.me.orgId} and gu_.department_id is not null
    and gu_.department_id = (select hd_.department_id from users hd_ where hd_.id = ${scope.me.userId}))`;
  const groupGuard = sql`${scope.hasRole(["department_head"])}
    and (select count(*) from ${inDept}) = ${members.length}
    and not exists (select 1 from registrations gl_ where gl_.training_id = ${trainingId}
      and gl_.user_id in ${memberIds} and gl_.status in ('pending', 'confirmed', 'waitlisted', 'offered'))
    and ${sql.join(
      members.map((m) => answersValidSql(sql`t_.questions`, JSON.stringify(m.answers))),
      sql` and `,
    )}`;
  const first = sql`exists (select 1 from registrations f_ where f_.id = ${ids[0]!})`;
  const all = sql`(${sql.join(
    ids.map((i) => sql`${i}`),
    sql`, `,
  )})`;
  const inserts = members.map((m, i) =>
    insertRegistration(scope, {
      id: ids[i]!,
      trainingId,
      userId: m.userId,
      answers: m.answers,
      key,
      now,
      when: i === 0 ? groupGuard : first,
      keyGuard: i === 0,
    }),
  );
  const events = ids.map((id) => registrationCreated(scope.db, deps.ids(), id, scope.me.userId, now));
  const byKey = sql`(select k_.id from registrations k_ where k_.registered_by = ${scope.me.userId}
    and k_.idempotency_key = ${key})`;
  const statements = [
    ...inserts,
    ...events,
    notifyRegistrants(scope.db, {
      ids: all,
      kind: "registration.group",
      zh: sql`'部门负责人已为您报名《' || t_.title || '》'`,
      en: sql`'Your department head registered you for “' || t_.title || '”'`,
      dedupe: sql`'registration-group:' || r_.id`,
      now,
      except: scope.me.userId,
    }),
    notifyApprovers(scope.db, all, now),
    outboxFromSubjectEvents(scope.db, sql`ev.subject_type = 'registration' and ev.subject_id in ${all}`),
    getTrainingFacts(scope, trainingId),
    scope.db.all<{ j: string }>(sql`select ${REG_FIELDS} ${REG_FROM} where r.id in ${byKey}
      and ${scope.visible(registrations, "r")} order by r.seq`),
    liveOf(scope, trainingId, memberIds),
    scope.db.all<{ id: string }>(sql`select id from ${inDept}`),
  ];
  const n = statements.length;
  const { principal, results } = await scope.run(
    statements as never,
    (r: unknown[]) => (r[n - 4] as unknown[])[0],
  );
  const training = (results as unknown[])[n - 4] as TrainingFacts[];
  const regs = regRows((results as unknown[])[n - 3] as { j: string }[]);
  if (regs.length) {
    if (!sameRequest(regs, trainingId, members))
      throw refuse(409, "idempotency_key_reused", "This Idempotency-Key was used for another request.");
    return { registrations: regs, created: regs.some((r) => r.id === ids[0]) };
  }
  if (!principal.roles.includes("department_head"))
    throw forbidden("Only a department head registers a group.");
  const refusal = windowRefusal(training[0]!, now);
  if (refusal) throw refusal;
  const live = new Map(
    ((results as unknown[])[n - 2] as { userId: string; id: string }[]).map((l) => [l.userId, l.id]),
  );
  const ok = new Set(((results as unknown[])[n - 1] as { id: string }[]).map((x) => x.id));
  const errors = members.flatMap((m, i) => [
    ...(ok.has(m.userId)
      ? []
      : [
          {
            in: "json",
            path: `members.${i}.userId`,
            message: "not an active member of your department",
            code: "not_in_department",
          },
        ]),
    ...(live.has(m.userId)
      ? [
          {
            in: "json",
            path: `members.${i}.userId`,
            message: "already registered",
            code: "already_registered",
          },
        ]
      : []),
  ]);
  const answers = answersRefusal(
    training[0]!,
    members.map((m, i) => ({ answers: m.answers, prefix: `members.${i}.` })),
  );
  const all4xx = [...errors, ...((answers?.extra.errors as never[]) ?? [])];
  if (all4xx.length) {
    const status =
      errors.length && errors.every((e) => e.code === "already_registered") && !answers ? 409 : 400;
    throw refuse(
      status,
      status === 409 ? "already_registered" : "group_refused",
      "The group was refused as a whole; nobody was registered. See errors[].",
      { errors: all4xx },
    );
  }
  throw refuse(409, "concurrent_change", "The group could not be registered; retry.");
}

/** The registration and its timeline, one round trip; 404 when the caller does not see it. */
export async function readRegistration(scope: Scope, id: string): Promise<RegistrationView> {
  const { results } = await scope.run(
    [getRegistration(scope, id), getSubjectTimeline(scope, "registration", id)] as const,
    ([r]) => r[0],
  );
  return { registration: regRows(results[0])[0]!, timeline: results[1] };
}

// ── Changes of a registration ─────────────────────────────────────────────────────────────────────

type Event = (typeof SUBJECT_EVENTS.codes)[number];

export type ChangeSpec = {
  event: Event;
  /** Who may: the person (or whoever registered them), or the organisers. */
  by: "registrant" | "organiser";
  from: RegistrationStatus[];
  /** The new status (SQL over the registration `r_` and its training `t_`). */
  to: SQL;
  /**
   * Allowed on a cancelled training too (withdrawal only: a person may still tidy up). Every other
   * change requires the training to be published (else 409 `training_cancelled`).
   */
  evenCancelled?: boolean;
  /** Further conditions on `r_`/`t_` at `now` (deadlines). */
  when?: (now: string) => SQL;
  note?: string | null;
  /** Does the change free a seat? Then the training's freed seats are offered in the same batch. */
  frees?: boolean;
  notify?: { kind: string; zh: SQL; en: SQL };
  /** Explains a refusal not due to the caller or the status. */
  refuse: (r: RegistrationRow, t: TrainingFacts, now: string) => ApiError;
};

/**
 * One guarded change of a registration in one batch: the timeline event is written first, only when
 * the caller may, the status is one of `from` and `when` holds; every other statement is guarded on
 * that event; the registration and timeline are read back; a refusal is then explained.
 */
export async function change(
  deps: Deps,
  scope: Scope,
  id: string,
  spec: ChangeSpec,
): Promise<RegistrationView> {
  const eventId = deps.ids();
  const now = deps.clock.now().toISOString();
  const who =
    spec.by === "registrant"
      ? sql`(r_.user_id = ${scope.me.userId} or r_.registered_by = ${scope.me.userId})`
      : sql`((t_.organiser_org_id = ${scope.me.orgId} or t_.co_organiser_org_id = ${scope.me.orgId})
          and ${scope.hasRole(ORGANISER_ROLES)})`;
  const guard = sql`exists (select 1 from registrations r_ join trainings t_ on t_.id = r_.training_id
    where r_.id = ${id} and ${scope.visible(registrations, "r_")} and ${who}
      and r_.status in ${spec.from}${spec.when ? sql` and ${spec.when(now)}` : sql``}
      ${spec.evenCancelled ? sql`` : sql`and t_.status = 'published'`})`;
  const applied = sql`exists (select 1 from subject_events ev_ where ev_.id = ${eventId})`;
  const training = sql`(select tr_.training_id from registrations tr_ where tr_.id = ${id})`;
  const statements = [
    scope.db.run(sql`insert into subject_events (id, jurisdiction_id, subject_type, subject_id, at,
        actor_id, type, note, data)
      select ${eventId}, r_.jurisdiction_id, 'registration', r_.id, ${now}, ${scope.me.userId},
        ${spec.event}, ${spec.note ?? null}, json_object('from', r_.status, 'to', ${spec.to})
      from registrations r_ join trainings t_ on t_.id = r_.training_id
      where r_.id = ${id} and ${guard}
      on conflict do nothing`),
    scope.db.run(sql`update registrations set status = (select ${spec.to} from registrations r_
        join trainings t_ on t_.id = r_.training_id where r_.id = ${id}),
        decided_by = ${spec.by === "organiser" ? scope.me.userId : sql`decided_by`},
        decision_note = ${spec.note !== undefined ? spec.note : sql`decision_note`}, updated_at = ${now}
      where id = ${id} and ${applied}`),
    ...(spec.notify
      ? [
          notifyRegistrants(scope.db, {
            ids: sql`(${id})`,
            where: applied,
            kind: spec.notify.kind,
            zh: spec.notify.zh,
            en: spec.notify.en,
            dedupe: sql`'registration-' || ${spec.event} || ':' || r_.id`,
            now,
            except: scope.me.userId,
          }),
        ]
      : []),
    notifyApprovers(scope.db, sql`(select ${id} where ${applied})`, now),
    ...(spec.frees ? offerFreedSeats(scope.db, training, now) : []),
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
    scope.db.all<{ ok: number }>(sql`select ${applied} as ok`),
    getRegistration(scope, id),
    getSubjectTimeline(scope, "registration", id),
    getTrainingFactsOf(scope, id),
  ];
  const n = statements.length;
  const { principal, results } = await scope.run(
    statements as never,
    (r: unknown[]) => (r[n - 3] as unknown[])[0],
  );
  const res = results as unknown[];
  const registration = regRows(res[n - 3] as { j: string }[])[0]!;
  const timeline = res[n - 2] as SubjectEventRow[];
  if ((res[n - 4] as { ok: number }[])[0]?.ok) return { registration, timeline };
  const t = (res[n - 1] as TrainingFacts[])[0]!;
  throw changeRefusal(registration, t, principal, spec, now);
}

const getTrainingFactsOf = (scope: Scope, registrationId: string) =>
  scope.db.all<TrainingFacts>(sql`select t_.id, t_.status, t_.opens_at as opensAt, t_.closes_at as closesAt,
      t_.modify_until as modifyUntil, t_.approval_required as approvalRequired, t_.questions,
      (t_.organiser_org_id = ${scope.me.orgId} or t_.co_organiser_org_id is ${scope.me.orgId}) as organiser
    from trainings t_ where t_.id = (select x_.training_id from registrations x_ where x_.id = ${registrationId})`);

function changeRefusal(r: RegistrationRow, t: TrainingFacts, p: Principal, spec: ChangeSpec, now: string) {
  if (spec.by === "registrant" && r.user.id !== p.id && r.registeredBy.id !== p.id)
    return forbidden("Only the registered person (or who registered them) may do this.");
  if (spec.by === "organiser" && (!t.organiser || !p.roles.some((x) => ORGANISER_ROLES.includes(x))))
    return forbidden("Only the organiser's coordinators, leaders or administrators may do this.");
  if (t.status !== "published" && !spec.evenCancelled) return cancelledRefusal();
  if (!spec.from.includes(r.status)) {
    if (!LIVE.includes(r.status))
      return refuse(409, "not_live", `The registration is ${r.status}; it can no longer change.`);
    return spec.refuse(r, t, now);
  }
  return spec.refuse(r, t, now);
}

export const notFoundRegistration = () => notFound("registration");
export { conflict };

// ── Lists ─────────────────────────────────────────────────────────────────────────────────────────

export type RegistrationFilter = {
  status?: RegistrationStatus[];
  updatedSince?: string;
  limit: number;
  /** The last row's (seq) or (updated_at, id) of the previous page. */
  after?: [string, string];
};

/**
 * Which registrations of a training the caller lists: the organisers all; an institution's heads,
 * coordinators, leaders and administrators their institution's; anyone else their own.
 */
const listedBy = (scope: Scope) => sql`(t.organiser_org_id = ${scope.me.orgId}
  or t.co_organiser_org_id is ${scope.me.orgId}
  or (r.org_id = ${scope.me.orgId} and ${scope.hasRole(INSTITUTION_ROLES)})
  or r.user_id = ${scope.me.userId})`;

/**
 * A training's list is in arrival order (seq), the caller's own in order of registration; with
 * `updatedSince`, both are in the order of change (for sync).
 */
function pageConds(f: RegistrationFilter, mine = false): { conds: SQL[]; order: SQL } {
  const conds: SQL[] = [];
  if (f.status?.length) conds.push(sql`r.status in ${f.status}`);
  if (f.updatedSince) {
    conds.push(sql`r.updated_at > ${f.updatedSince}`);
    if (f.after) conds.push(sql`(r.updated_at, r.id) > (${f.after[0]}, ${f.after[1]})`);
    return { conds, order: sql`r.updated_at, r.id` };
  }
  if (mine) {
    if (f.after) conds.push(sql`(r.created_at, r.id) > (${f.after[0]}, ${f.after[1]})`);
    return { conds, order: sql`r.created_at, r.id` };
  }
  if (f.after) conds.push(sql`r.seq > ${Number(f.after[0])}`);
  return { conds, order: sql`r.seq` };
}

/** A page of a training's registrations (rows of one JSON column `j`), as the caller may list them. */
export function listForTraining(scope: Scope, trainingId: string, f: RegistrationFilter) {
  const { conds, order } = pageConds(f);
  return scope.db.all<{ j: string }>(sql`select ${REG_FIELDS} ${REG_FROM}
    where r.training_id = ${trainingId} and ${scope.visible(registrations, "r")} and ${listedBy(scope)}
      ${conds.length ? sql`and ${sql.join(conds, sql` and `)}` : sql``}
    order by ${order} limit ${f.limit + 1}`);
}

/**
 * The training, when the caller sees it (a list of an unseen training is 404); a training still in
 * planning is seen only by its organisers (the trainings module's `shown`).
 */
export const trainingSeen = (scope: Scope, trainingId: string) =>
  scope.db.all<{ id: string }>(
    sql`select t_.id from trainings t_ where t_.id = ${trainingId} and ${shown(scope, "t_")}`,
  );

/** A page of the caller's own registrations, for `scope.list`. */
export function listMine(scope: Scope, f: RegistrationFilter): SQL {
  const { conds, order } = pageConds(f, true);
  return sql`select ${REG_FIELDS} ${REG_FROM}
    where r.user_id = ${scope.me.userId} and ${scope.visible(registrations, "r")}
      ${conds.length ? sql`and ${sql.join(conds, sql` and `)}` : sql``}
    order by ${order} limit ${f.limit + 1}`;
}

/** The cursor key of a row in the order of `f`. */
export const cursorKey = (r: RegistrationRow, f: RegistrationFilter, mine = false): [string, string] =>
  f.updatedSince ? [r.updatedAt, r.id] : mine ? [r.createdAt, r.id] : [String(r.seq), r.id];
