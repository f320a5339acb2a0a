// HTTP routes of trainings (S3.4.2–S3.4.3): trainings, joint trainings, the academic seminar and
// exchange activities — create, change, publish, cancel, list, read. Each route is one database round
// trip; a training is seen only by its organiser, its co-organiser and the institutions it invites
// (a draft in planning only by its organisers): 404 for everyone else.
import type { z } from "@hono/zod-openapi";
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Principal, Scope } from "../auth/scope";
import {
  getSubjectTimeline,
  outboxFromSubjectEvents,
  recordEvent,
  toSubjectEvent,
  type SubjectEventRow,
} from "../events/events";
import type { Deps } from "../http/api";
import {
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  newRouter,
  sha256,
} from "../http/api";
import { type ApiError, forbidden, type FieldError } from "../http/problem";
import { chinaTime } from "../meetings/meetings.routes";
import { ORG_KINDS, REGISTRATION_STATUSES, TRAINING_KINDS, TRAINING_STATUSES, type Role } from "../vocab";
import {
  getTraining,
  getTrainingByKey,
  invitable,
  invitableIds,
  inviteeContacts,
  listTrainings,
  notifyTraining,
  organises,
  registrantsOf,
  shown,
  timelineByKey,
  trainingRows,
  upsertInvitation,
  type TrainingRow,
  type TrainingStatus,
} from "./trainings.queries";
import { offerSeats } from "./registrations";
import {
  CancelInput,
  IdempotencyHeader,
  NewTraining,
  TrainingDetail,
  TrainingListQuery,
  TrainingPage,
  TrainingParams,
  TrainingPatch,
  TRAINING_REFUSALS,
  type Training,
  type NewTrainingInput,
  type TrainingPatchInput,
  conflict,
  problem,
} from "./trainings.schemas";

const tags = ["Trainings"];

/** Who organises a training for an institution. */
export const ORGANISERS: Role[] = ["admin", "coordinator", "leader", "department_head"];

/** Kinds organised jointly with the counterpart of the pair (it becomes the co-organiser). */
const JOINT_KINDS = new Set(["joint_training", "seminar"]);

// ── Response mapping ─────────────────────────────────────────────────────────────────────────────

const orgOut = (o: TrainingRow["organiser"]) => ({ id: o.id, name: o.name, kind: ORG_KINDS.item(o.kind) });
export const hoursOf = (tenths: number) => Math.round(tenths) / 10;

export function toTraining(t: TrainingRow): z.infer<typeof Training> {
  return {
    id: t.id,
    kind: TRAINING_KINDS.item(t.kind),
    status: TRAINING_STATUSES.item(t.status),
    title: t.title,
    description: t.description,
    hours: hoursOf(t.hoursTenths),
    capacity: t.capacity,
    organiser: orgOut(t.organiser),
    coOrganiser: t.coOrganiser ? orgOut(t.coOrganiser) : null,
    registration: {
      opensAt: t.opensAt,
      closesAt: t.closesAt,
      modifyUntil: t.modifyUntil,
      approvalRequired: !!t.approvalRequired,
      offerHours: t.offerHours,
    },
    firstStartsAt: t.firstStartsAt,
    lastEndsAt: t.lastEndsAt,
    sessionCount: t.sessionCount,
    seriesId: t.seriesId,
    period: t.period,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

export type TrainingView = { training: TrainingRow; timeline: SubjectEventRow[] };

export function toTrainingDetail({ training: t, timeline }: TrainingView): z.infer<typeof TrainingDetail> {
  const f = t.full!;
  return {
    ...toTraining(t),
    sessions: f.sessions,
    invitations: f.invitations.map((i) => ({ org: orgOut(i.org), quota: i.quota, seatsTaken: i.seatsTaken })),
    questions: f.questions as never,
    counts: f.counts,
    seatsTaken: f.seatsTaken,
    myRegistration: f.mine
      ? {
          id: f.mine.id,
          status: REGISTRATION_STATUSES.item(f.mine.status),
          waitlistPosition: f.mine.waitlistPosition,
          offerExpiresAt: f.mine.offerExpiresAt,
        }
      : null,
    cancelReason: f.cancelReason,
    timeline: timeline.map(toSubjectEvent),
  };
}

const invalid = (errors: FieldError[]) =>
  problem(400, "validation_failed", "The request has invalid fields.", { errors });

/** A session's check-in key: 32 random bytes, base64url (never answered). */
export function newCheckinSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

const idSet = (json: unknown) =>
  new Set<string>(typeof json === "string" ? (JSON.parse(json) as string[]) : []);

/** Field errors naming the invited institutions the organiser may not invite (`invitations.orgIds.2`). */
function inviteErrors(orgIds: string[], valid: Set<string>): FieldError[] {
  return orgIds.flatMap((o, i) =>
    valid.has(o)
      ? []
      : [
          {
            in: "json",
            path: `invitations.orgIds.${i}`,
            message:
              "not invitable: only the counterpart of your pair and the basic-level institutions under it",
            code: "not_invitable",
          },
        ],
  );
}

/** 400 naming each session that does not start in the future. */
function refusePastSessions(sessions: { startsAt: string }[], now: Date) {
  const errors = sessions.flatMap((s, i) =>
    Date.parse(s.startsAt) <= now.getTime()
      ? [{ in: "json", path: `sessions.${i}.startsAt`, message: "must be in the future", code: "past" }]
      : [],
  );
  if (errors.length) throw invalid(errors);
}

// ── Create ───────────────────────────────────────────────────────────────────────────────────────

/**
 * Creates a training in planning, its sessions (each with a fresh check-in secret) and invitations
 * with quotas, in one batch: the training row is inserted only when the caller holds the role and
 * every invited institution is invitable, so bad input writes nothing. The Idempotency-Key makes a
 * retry return the first attempt's training (200), never a second one.
 */
export async function createTraining(deps: Deps, scope: Scope, key: string, input: NewTrainingInput) {
  const id = deps.ids();
  const eventId = deps.ids();
  const now = deps.clock.now().toISOString();
  const hash = await sha256(JSON.stringify(input));
  const orgIds = input.invitations.orgIds;
  refusePastSessions(input.sessions, deps.clock.now());
  const created = sql`exists (select 1 from trainings tn_ where tn_.id = ${id})`;
  const allInvitable = orgIds.length
    ? sql`(select count(*) from organizations x where x.id in ${orgIds} and ${invitable("x", "o")}) = ${orgIds.length}`
    : sql`1`;
  const co = JOINT_KINDS.has(input.kind)
    ? sql`(select g_.id from organizations g_ where g_.jurisdiction_id = o.jurisdiction_id and g_.id <> o.id)`
    : sql`null`;
  const at = (s?: string) => (s ? chinaTime(s) : null);
  // The training, only for the caller's institution, the caller holding an organiser role, and every
  // invitation acceptable.
  const insert = scope.db.run(sql`insert into trainings (id, jurisdiction_id, kind, organiser_org_id,
      co_organiser_org_id, title, description, hours_tenths, capacity, status, opens_at, closes_at,
      modify_until, approval_required, questions, offer_hours, created_by, idempotency_key, request_hash,
      created_at, updated_at)
    select ${id}, o.jurisdiction_id, ${input.kind}, o.id, ${co}, ${input.title}, ${input.description ?? null},
      ${Math.round(input.hours * 10)}, ${input.capacity ?? null}, 'planning', ${at(input.opensAt)},
      ${at(input.closesAt)}, ${at(input.modifyUntil)}, ${input.approvalRequired ? 1 : 0},
      ${JSON.stringify(input.questions)}, ${input.offerHours}, ${scope.me.userId}, ${key}, ${hash}, ${now}, ${now}
    from organizations o where o.id = ${scope.me.orgId} and ${scope.hasRole()} and ${allInvitable}
    on conflict (created_by, idempotency_key) do nothing`);
  const sessions = [...input.sessions]
    .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt))
    .map((s, i) =>
      scope.db.run(sql`insert into training_sessions (id, training_id, jurisdiction_id, position, starts_at,
          ends_at, place, online_url, checkin_secret, created_at, updated_at)
        select ${deps.ids()}, t.id, t.jurisdiction_id, ${i + 1}, ${chinaTime(s.startsAt)}, ${chinaTime(s.endsAt)},
          ${s.place ?? null}, ${s.onlineUrl ?? null}, ${newCheckinSecret()}, ${now}, ${now}
        from trainings t where t.id = ${id}`),
    );
  const invitations = orgIds.map((orgId) =>
    upsertInvitation(scope, {
      id: deps.ids(),
      trainingId: id,
      orgId,
      quota: input.invitations.quotas[orgId] ?? null,
      now,
      applied: created,
    }),
  );
  const statements = [
    insert,
    ...sessions,
    ...invitations,
    recordEvent(scope.db, {
      id: eventId,
      jurisdictionId: sql`(select jt_.jurisdiction_id from trainings jt_ where jt_.id = ${id})`,
      subjectType: "training",
      subjectId: id,
      actorId: scope.me.userId,
      type: "created",
      data: JSON.stringify({ kind: input.kind, sessions: input.sessions.length, invited: orgIds.length }),
      at: now,
      when: created,
    }),
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
    getTrainingByKey(scope, key),
    timelineByKey(scope, key),
    scope.db.all<{ ids: string }>(invitableIds(orgIds, scope.me.orgId)),
  ] as BatchItem<"sqlite">[];
  const { results } = await scope.run(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  const n = statements.length;
  const [training] = trainingRows(results[n - 3] as { j: string }[]);
  if (training) {
    if (training.id !== id && training.full?.requestHash !== hash)
      throw conflict(
        "idempotency_key_reused",
        "This Idempotency-Key was used for a different training; use a new key for a new training.",
      );
    return { training, timeline: results[n - 2] as SubjectEventRow[], created: training.id === id };
  }
  const errors = inviteErrors(orgIds, idSet((results[n - 1] as { ids: string }[])[0]?.ids));
  if (errors.length) throw invalid(errors);
  throw conflict("concurrent_change", "The training could not be created; retry.");
}

// ── Changes: one guarded batch, then an explained refusal ──────────────────────────────────────

type Spec = {
  event: "published" | "updated" | "cancelled";
  note?: string | null;
  data?: SQL | string | null;
  from: readonly TrainingStatus[];
  /** Further conditions on the training `t_` that must hold. */
  when?: SQL;
  set?: SQL;
  effects?: (applied: SQL, ids: { eventId: string; now: string }) => BatchItem<"sqlite">[];
  /** A read after the change whose first row `refuse` gets. */
  probe?: SQL;
  refuse?: (t: TrainingRow, probe: Record<string, unknown> | undefined) => ApiError | undefined;
};

function stateRefusal(t: TrainingRow, from: readonly TrainingStatus[]): ApiError {
  if (t.status === "cancelled") return conflict("training_cancelled", "The training was cancelled.");
  if (t.status === "published" && !from.includes("published"))
    return conflict("already_published", "The training is already published.");
  return conflict(`not_${from[0]}`, `The training is ${t.status}; this needs it ${from.join(" or ")}.`);
}

/** Runs one change of a training in a single round trip and returns the training after it. */
async function act(deps: Deps, scope: Scope, id: string, spec: Spec): Promise<TrainingView> {
  const eventId = deps.ids();
  const now = deps.clock.now().toISOString();
  const conds = [
    sql`t_.id = ${id}`,
    shown(scope, "t_"),
    organises(scope, "t_"),
    sql`t_.status in ${spec.from}`,
    scope.hasRole(),
  ];
  if (spec.when) conds.push(spec.when);
  const applied = sql`exists (select 1 from subject_events ev_ where ev_.id = ${eventId})`;
  const effects = spec.effects?.(applied, { eventId, now }) ?? [];
  const statements = [
    recordEvent(scope.db, {
      id: eventId,
      jurisdictionId: sql`(select jt_.jurisdiction_id from trainings jt_ where jt_.id = ${id})`,
      subjectType: "training",
      subjectId: id,
      actorId: scope.me.userId,
      type: spec.event,
      note: spec.note ?? null,
      data: spec.data ?? null,
      at: now,
      when: sql`exists (select 1 from trainings t_ where ${sql.join(conds, sql` and `)})`,
    }),
    scope.db.run(sql`update trainings set ${spec.set ? sql`${spec.set}, ` : sql``}updated_at = ${now}
      where id = ${id} and ${applied}`),
    ...effects,
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
    getTraining(scope, id),
    getSubjectTimeline(scope, "training", id),
    scope.db.all<{ ok: number }>(sql`select ${applied} as ok`),
    ...(spec.probe ? [scope.db.all<Record<string, unknown>>(spec.probe)] : []),
  ] as BatchItem<"sqlite">[];
  const at = 2 + effects.length + 1;
  const { principal, results } = await scope.run(
    statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]],
    (r) => (r[at] as { j: string }[])[0],
  );
  const training = trainingRows(results[at] as { j: string }[])[0]!;
  const timeline = results[at + 1] as SubjectEventRow[];
  if (!(results[at + 2] as { ok: number }[])[0]?.ok) {
    const probe = (results[at + 3] as Record<string, unknown>[] | undefined)?.[0];
    throw refusal(training, principal, spec, probe);
  }
  return { training, timeline };
}

function refusal(t: TrainingRow, p: Principal, spec: Spec, probe: Record<string, unknown> | undefined) {
  if (t.organiser.id !== p.orgId && t.coOrganiser?.id !== p.orgId)
    return forbidden("Only the organising institution may do this.");
  if (!spec.from.includes(t.status)) return stateRefusal(t, spec.from);
  return (
    spec.refuse?.(t, probe) ??
    conflict("concurrent_change", "The training changed while this request ran; reload it and retry.")
  );
}

/** Why a planned training cannot be published yet: the missing parts, as field errors (422). */
function notReady(t: TrainingRow, now: string): ApiError {
  const errors: FieldError[] = [];
  const need = (path: string, message: string) =>
    errors.push({ in: "training", path, message, code: "missing" });
  if (t.capacity == null) need("capacity", "set the capacity first");
  if (t.sessionCount === 0) need("sessions", "add at least one session");
  if (!t.opensAt) need("opensAt", "set when registration opens");
  if (!t.closesAt) need("closesAt", "set when registration closes");
  else if (Date.parse(t.closesAt) <= Date.parse(now))
    errors.push({
      in: "training",
      path: "closesAt",
      message: "registration would already be closed",
      code: "past",
    });
  return problem(422, "not_ready_to_publish", "The training lacks what registration needs.", { errors });
}

/** The PATCH as guarded SQL: the SET list and the conditions under which it may apply. */
function patchSql(id: string, p: TrainingPatchInput) {
  const set: SQL[] = [];
  const at = (s: string) => chinaTime(s);
  if (p.title !== undefined) set.push(sql`title = ${p.title}`);
  if (p.description !== undefined) set.push(sql`description = ${p.description}`);
  if (p.hours !== undefined) set.push(sql`hours_tenths = ${Math.round(p.hours * 10)}`);
  if (p.capacity !== undefined) set.push(sql`capacity = ${p.capacity}`);
  if (p.opensAt !== undefined) set.push(sql`opens_at = ${at(p.opensAt)}`);
  if (p.closesAt !== undefined) set.push(sql`closes_at = ${at(p.closesAt)}`);
  if (p.modifyUntil !== undefined) set.push(sql`modify_until = ${at(p.modifyUntil)}`);
  if (p.approvalRequired !== undefined) set.push(sql`approval_required = ${p.approvalRequired ? 1 : 0}`);
  if (p.offerHours !== undefined) set.push(sql`offer_hours = ${p.offerHours}`);
  if (p.questions !== undefined) set.push(sql`questions = ${JSON.stringify(p.questions)}`);
  const opens = p.opensAt ? sql`${at(p.opensAt)}` : sql`t_.opens_at`;
  const closes = p.closesAt ? sql`${at(p.closesAt)}` : sql`t_.closes_at`;
  const modify = p.modifyUntil ? sql`${at(p.modifyUntil)}` : sql`t_.modify_until`;
  const capacity = p.capacity !== undefined ? sql`${p.capacity}` : sql`t_.capacity`;
  // The first session: of the new list when the PATCH replaces it (may be none yet: the seminar
  // the cron plans has no session until its organisers set them).
  const first = p.sessions
    ? sql`${chinaTime(p.sessions.map((s) => s.startsAt).sort((a, b) => Date.parse(a) - Date.parse(b))[0]!)}`
    : sql`(select min(fs_.starts_at) from training_sessions fs_ where fs_.training_id = t_.id)`;
  const taken = (orgId?: string) => sql`(select count(*) from registrations tk_ where tk_.training_id = t_.id
    and tk_.status in ('pending', 'confirmed', 'offered')${orgId ? sql` and tk_.org_id = ${orgId}` : sql``})`;
  const quotas = Object.entries(p.invitations?.quotas ?? {}).filter(([, q]) => q !== null) as [
    string,
    number,
  ][];
  const orgIds = [
    ...new Set([...(p.invitations?.orgIds ?? []), ...Object.keys(p.invitations?.quotas ?? {})]),
  ];
  const checks = {
    // The registration window in order, and closed (as the deadline for changes) by the first session.
    // Compared with the first session only when there is one.
    window: sql`(${opens} is null or ${closes} is null or julianday(${opens}) < julianday(${closes}))
      and (${closes} is null or ${first} is null or julianday(${closes}) <= julianday(${first}))
      and (${modify} is null or ${first} is null or julianday(${modify}) <= julianday(${first}))`,
    // Lowering never takes a seat from anyone: not below the seats held now.
    capacity: p.capacity !== undefined ? sql`${p.capacity} >= ${taken()}` : sql`1`,
    // No quota left above the capacity (quotas this PATCH sets are checked against it below).
    quotaFits:
      p.capacity !== undefined
        ? sql`not exists (select 1 from training_invitations iq_ where iq_.training_id = t_.id
            and iq_.quota > ${p.capacity}
            and iq_.org_id not in ${Object.keys(p.invitations?.quotas ?? {}).length ? Object.keys(p.invitations?.quotas ?? {}) : [""]})`
        : sql`1`,
    quotas: quotas.length
      ? sql.join(
          quotas.map(([o, q]) => sql`(${q} >= ${taken(o)} and (${capacity} is null or ${q} <= ${capacity}))`),
          sql` and `,
        )
      : sql`1`,
    invitable: orgIds.length
      ? sql`(select count(*) from organizations x join organizations o on o.id = t_.organiser_org_id
          where x.id in ${orgIds} and ${invitable("x", "o")}) = ${orgIds.length}`
      : sql`1`,
    // The sessions are replaced only while nobody has registered (no registration, no attendance).
    sessions: p.sessions
      ? sql`not exists (select 1 from registrations rs_ where rs_.training_id = t_.id)`
      : sql`1`,
    // The registration form is fixed once somebody has answered it.
    questions:
      p.questions !== undefined
        ? sql`not exists (select 1 from registrations rq_ where rq_.training_id = t_.id)`
        : sql`1`,
  };
  const probe = sql`select ${sql.join(
    Object.entries(checks).map(([k, v]) => sql`(${v}) as ${sql.raw(k)}`),
    sql`, `,
  )}, ${taken()} as taken,
    (select max(mq_.quota) from training_invitations mq_ where mq_.training_id = t_.id) as maxQuota, (${sql`select json_group_array(x.id) from organizations x
      join organizations o on o.id = t_.organiser_org_id where x.id in ${orgIds.length ? orgIds : [""]}
      and ${invitable("x", "o")}`}) as invitableIds,
    (select json_group_object(qo_.org_id, qo_.n) from (select tq_.org_id, count(*) as n from registrations tq_
      where tq_.training_id = t_.id and tq_.status in ('pending', 'confirmed', 'offered') group by tq_.org_id) qo_) as takenByOrg
    from trainings t_ where t_.id = ${id}`;
  return { set, when: sql.join(Object.values(checks), sql` and `), probe, orgIds };
}

function patchRefusal(p: TrainingPatchInput, orgIds: string[], probe: Record<string, unknown> | undefined) {
  if (!probe) return undefined;
  if (!probe.window)
    return problem(
      422,
      "window_invalid",
      "The registration window must open before it closes, and close (with the deadline for changes) no later than the first session starts.",
    );
  if (!probe.capacity)
    return conflict(
      "capacity_below_taken",
      `The capacity cannot go below the ${probe.taken} seats already taken.`,
    );
  if (!probe.quotaFits)
    return conflict(
      "capacity_below_quota",
      `The capacity cannot go below an institution's quota; lower the quota in the same request (max quota now ${probe.maxQuota}).`,
    );
  if (!probe.invitable) {
    const valid = idSet(probe.invitableIds);
    return invalid(
      orgIds.flatMap((o) =>
        valid.has(o)
          ? []
          : [
              {
                in: "json",
                path: `invitations.${o}`,
                message: "not invitable by this training's organiser",
                code: "not_invitable",
              },
            ],
      ),
    );
  }
  if (!probe.quotas) {
    const byOrg = JSON.parse((probe.takenByOrg as string | null) ?? "{}") as Record<string, number>;
    return conflict(
      "quota_below_taken",
      `A quota cannot go below the seats its institution holds, nor above the capacity (${Object.entries(
        p.invitations?.quotas ?? {},
      )
        .map(([o, q]) => `${o}: ${q} asked, ${byOrg[o] ?? 0} held`)
        .join("; ")}).`,
    );
  }
  if (!probe.questions)
    return conflict("questions_locked", "People have registered: the questions can no longer change.");
  if (!probe.sessions)
    return conflict("sessions_locked", "People have registered: the sessions can no longer be replaced.");
  return undefined;
}

/**
 * Replaces the sessions of training `id` with `sessions` (sorted, numbered, each with a fresh check-in
 * secret), only when `applied` holds; nothing when the PATCH leaves them alone.
 */
function replaceSessions(
  deps: Deps,
  scope: Scope,
  id: string,
  sessions: TrainingPatchInput["sessions"],
  applied: SQL,
  now: string,
): BatchItem<"sqlite">[] {
  if (!sessions) return [];
  return [
    scope.db.run(sql`delete from training_sessions where training_id = ${id} and ${applied}`),
    ...[...sessions]
      .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt))
      .map((s, i) =>
        scope.db.run(sql`insert into training_sessions (id, training_id, jurisdiction_id, position, starts_at,
            ends_at, place, online_url, checkin_secret, created_at, updated_at)
          select ${deps.ids()}, t.id, t.jurisdiction_id, ${i + 1}, ${chinaTime(s.startsAt)},
            ${chinaTime(s.endsAt)}, ${s.place ?? null}, ${s.onlineUrl ?? null}, ${newCheckinSecret()}, ${now}, ${now}
          from trainings t where t.id = ${id} and ${applied}`),
      ),
  ];
}

// ── Routes ───────────────────────────────────────────────────────────────────────────────────────

function trainingRoute<const Q extends { params: z.ZodObject; body?: ReturnType<typeof jsonBody> }>(o: {
  method?: "post" | "patch";
  path: string;
  summary: string;
  description?: string;
  roles: Role[] | "any";
  request: Q;
  errors?: Record<number, string>;
}) {
  return defineRoute({
    method: o.method ?? "post",
    path: `/v1/trainings/{id}${o.path}`,
    tags,
    summary: o.summary,
    description: o.description,
    roles: o.roles,
    request: o.request,
    responses: {
      200: jsonResponse(TrainingDetail, "The training after the change"),
      409: errorResponse("Not allowed in the training's current state (`code` says why)"),
      ...Object.fromEntries(Object.entries(o.errors ?? {}).map(([s, d]) => [s, errorResponse(d)])),
    },
  });
}

export const trainingRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/trainings",
      tags,
      summary: "The trainings the caller's institution organises or is invited to, cursor-paginated",
      description:
        "Newest first; with `updatedSince` (mobile sync) only those changed after that instant, oldest " +
        "change first. A training in planning is listed only to its organisers.",
      roles: "any",
      request: { query: TrainingListQuery },
      responses: { 200: jsonResponse(TrainingPage, "A page of trainings") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const { items: rows } = await scope.list<TrainingRow>(
        listTrainings(scope, { ...q, after: q.cursor ? decodeCursor(q.cursor) : undefined }),
      );
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      const nextCursor =
        rows.length > q.limit && last
          ? encodeCursor([q.updatedSince ? last.updatedAt : last.createdAt, last.id])
          : null;
      return c.json({ items: items.map(toTraining), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/trainings/{id}",
      tags,
      summary:
        "One training: sessions, invitations with quotas and seats taken, questions, counts, my registration",
      roles: "any",
      request: { params: TrainingParams },
      responses: { 200: jsonResponse(TrainingDetail, "The training") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const scope = c.var.scope;
      const { results } = await scope.run(
        [getTraining(scope, id), getSubjectTimeline(scope, "training", id)] as const,
        ([t]) => t[0],
      );
      return c.json(toTrainingDetail({ training: trainingRows(results[0])[0]!, timeline: results[1] }), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/trainings",
      tags,
      summary: "Create a training, joint training, academic seminar or exchange activity (in planning)",
      description:
        "Organised by the caller's institution; a joint training or seminar is co-organised by the " +
        "counterpart of the pair. Invitations go to the counterpart and, where the organiser chooses, " +
        "the basic-level institutions of the counterpart's kind under the organiser's jurisdiction; any " +
        "other institution is a 400 per item (`invitations.orgIds.<i>`, `not_invitable`). A quota is a " +
        "ceiling for one institution inside the total capacity (quotas may add up to more than the " +
        "capacity; each is at most the capacity). Hours have one decimal. Each session gets its own " +
        "check-in secret (never answered). Idempotent by `Idempotency-Key`: a retry returns the first " +
        "attempt's training with 200; the same key with another body is 409 `idempotency_key_reused`.",
      roles: ORGANISERS,
      request: { headers: IdempotencyHeader, body: jsonBody(NewTraining) },
      responses: {
        201: jsonResponse(TrainingDetail, "Created"),
        200: jsonResponse(TrainingDetail, "A retry: the training created by the first attempt"),
        409: errorResponse("The key was used for a different training"),
      },
    }),
    async (c) => {
      const r = await createTraining(
        c.var.deps,
        c.var.scope,
        c.req.valid("header")["idempotency-key"],
        c.req.valid("json"),
      );
      if (!r.created) c.header("Idempotent-Replayed", "true");
      c.header("Location", `/v1/trainings/${r.training.id}`);
      return c.json(toTrainingDetail(r), r.created ? 201 : 200);
    },
  )
  .openapi(
    trainingRoute({
      method: "patch",
      path: "",
      summary: "Change a training while it is planned or published (capacity and quotas up or down)",
      description:
        "Capacity and quotas may be raised or lowered, never below the seats already held (409 " +
        "`capacity_below_taken`, `quota_below_taken`); the capacity never below a quota (409 " +
        "`capacity_below_quota`: lower the quota in the same request). `invitations` adds institutions and sets quotas " +
        "(null lifts one); nobody is un-invited here. `sessions` replaces the whole list (fresh check-in " +
        "secrets) while nobody has registered (409 `sessions_locked`). Questions are fixed once someone registered (409 " +
        "`questions_locked`). The window must open before it closes and close by the first session " +
        "(422 `window_invalid`).",
      roles: ORGANISERS,
      request: { params: TrainingParams, body: jsonBody(TrainingPatch) },
      errors: { 422: "The registration window would be out of order" },
    }),
    async (c) => {
      const p = c.req.valid("json");
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      if (p.sessions) refusePastSessions(p.sessions, deps.clock.now());
      const g = patchSql(id, p);
      const quotas = p.invitations?.quotas ?? {};
      const r = await act(deps, scope, id, {
        event: "updated",
        from: ["planning", "published"],
        data: JSON.stringify({
          ...p,
          questions: p.questions ? p.questions.length : undefined,
          sessions: p.sessions ? p.sessions.length : undefined,
        }),
        when: g.when,
        set: g.set.length ? sql.join(g.set, sql`, `) : undefined,
        effects: (applied, { now }) => [
          ...replaceSessions(deps, scope, id, p.sessions, applied, now),
          ...g.orgIds.map((orgId) =>
            upsertInvitation(scope, {
              id: deps.ids(),
              trainingId: id,
              orgId,
              quota: orgId in quotas ? quotas[orgId] : undefined,
              now,
              applied,
            }),
          ),
          // A raised capacity or quota frees seats: the next people on the waiting list get offers
          // (only when the change applied).
          ...offerSeats(
            scope.db,
            sql`(select x_.id from trainings x_ where x_.id = ${id} and ${applied})`,
            now,
          ),
        ],
        probe: g.probe,
        refuse: (_t, probe) => patchRefusal(p, g.orgIds, probe),
      });
      return c.json(toTrainingDetail(r), 200);
    },
  )
  .openapi(
    trainingRoute({
      path: "/publish",
      summary: "Publish a planned training: registration opens by its window; invited institutions are told",
      description:
        "Needs a capacity, at least one session and a registration window that has not closed (422 " +
        "`not_ready_to_publish` lists what is missing). The coordinators (else administrators) of the " +
        "co-organiser and of every invited institution get a notice.",
      roles: ORGANISERS,
      request: { params: TrainingParams },
      errors: { 422: "Not ready: `errors[]` lists the missing parts" },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const now = deps.clock.now().toISOString();
      const r = await act(deps, scope, id, {
        event: "published",
        from: ["planning"],
        when: sql`t_.capacity is not null and t_.opens_at is not null and t_.closes_at is not null
          and julianday(t_.closes_at) > julianday(${now})
          and exists (select 1 from training_sessions ps_ where ps_.training_id = t_.id)`,
        set: sql`status = 'published'`,
        effects: (applied, { eventId }) => [
          notifyTraining(scope, {
            id: deps.ids(),
            applied,
            recipients: inviteeContacts(id),
            kind: "training.published",
            trainingId: id,
            now,
            dedupe: `training-published:${eventId}`,
            zh: "贵院受邀参加一项培训活动,现已开放报名。",
            en: "Your institution is invited to a training; registration is open.",
          }),
        ],
        refuse: (t) => notReady(t, now),
      });
      return c.json(toTrainingDetail(r), 200);
    },
  )
  .openapi(
    trainingRoute({
      path: "/cancel",
      summary: "Cancel a training, with a reason; everyone registered is told",
      description:
        "A seminar of a series (`seriesId` set) is not cancelled here (409 `use_rotation_skip`): its year " +
        "is skipped through POST /v1/series/{id}/overrides, co-signed by both leaders.",
      roles: ORGANISERS,
      request: { params: TrainingParams, body: jsonBody(CancelInput) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { reason } = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const r = await act(deps, scope, id, {
        event: "cancelled",
        note: reason,
        from: ["planning", "published"],
        // The seminar of a series is cancelled only by the co-signed skip of its year.
        when: sql`t_.series_id is null`,
        refuse: (t) =>
          t.seriesId
            ? problem(
                409,
                "use_rotation_skip",
                `This seminar belongs to a series: skip its year through POST /v1/series/${t.seriesId}/overrides (co-signed by both leaders).`,
                { label: TRAINING_REFUSALS.label("use_rotation_skip") },
              )
            : undefined,
        set: sql`status = 'cancelled'`,
        effects: (applied, { eventId, now }) => [
          notifyTraining(scope, {
            id: deps.ids(),
            applied,
            recipients: registrantsOf(id),
            kind: "training.cancelled",
            trainingId: id,
            now,
            dedupe: `training-cancelled:${eventId}`,
            zh: `您报名的培训已取消。原因:${reason}`,
            en: `A training you registered for is cancelled. Reason: ${reason}`,
          }),
        ],
      });
      return c.json(toTrainingDetail(r), 200);
    },
  );
