// Attendance at training sessions — recorded by the organiser, or by the participant scanning a signed,
// expiring QR token — and the training records built from it (per person and per institution, a year).
//
// The QR token is a JWT (HS256) signed with the session's own random check-in secret: a token of
// another session, a forged one (another key) or an expired one fails `jwtVerify` against this
// session's key. Hours are credited pro rata per session attended: a training of H hours with N
// sessions credits H × (sessions attended ÷ N), in tenths of an hour rounded down, to the year
// (China time) in which each attended session took place.
import type { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { Scope } from "../auth/scope";
import { registrations, trainingAttendance, trainings } from "../db/schema";
import { outboxFromSubjectEvents, recordEvent } from "../events/events";
import { defineRoute, errorResponse, jsonBody, jsonResponse, newRouter } from "../http/api";
import { ApiError, forbidden, notFound, type FieldError } from "../http/problem";
import { CHECKIN_METHODS, TRAINING_KINDS, type Role } from "../vocab";
import { organises, shown } from "./trainings.queries";
import { hoursOf, ORGANISERS } from "./trainings.routes";
import {
  AttendanceInput,
  CheckInInput,
  CheckInResult,
  MyRecord,
  OrgRecord,
  OrgRecordQuery,
  QrQuery,
  QrToken,
  RecordQuery,
  SessionAttendance,
  SessionParams,
  conflict,
  problem,
} from "./trainings.schemas";

const tags = ["Trainings"];

/** Check-in (QR or by the organiser) opens this long before a session starts. */
export const CHECKIN_OPENS_BEFORE_MS = 3600_000;
/** Who reads an institution's training record. */
const RECORD_READERS: Role[] = ["leader", "admin", "coordinator"];
const QR_TYPE = "fjqr+jwt";

// ── Reads ──────────────────────────────────────────────────────────────────────────────────────

type AttendanceRow = {
  registrationId: string;
  userId: string;
  userName: string;
  orgId: string;
  orgName: string;
  method: "organiser" | "qr";
  checkedInAt: string;
};

/** The attendance of one session (the rows the caller may see), by name. */
const sessionAttendance = (scope: Scope, sid: string) =>
  scope.db.all<AttendanceRow>(sql`select a.registration_id as registrationId, u.id as userId,
      u.name as userName, o.id as orgId, o.name as orgName, a.method, a.checked_in_at as checkedInAt
    from training_attendance a join registrations r on r.id = a.registration_id
    join users u on u.id = r.user_id join organizations o on o.id = r.org_id
    where a.session_id = ${sid} and ${scope.visible(trainingAttendance, "a")}
    order by u.name, a.registration_id`);

const toEntry = (a: AttendanceRow) => ({
  registrationId: a.registrationId,
  user: { id: a.userId, name: a.userName },
  org: { id: a.orgId, name: a.orgName },
  method: CHECKIN_METHODS.item(a.method),
  checkedInAt: a.checkedInAt,
});

/**
 * The session `sid` of training `id` as the caller sees it: its times, whether the caller's
 * institution organises it, the training's status, and — only for organisers — nothing secret.
 */
const sessionFacts = (scope: Scope, id: string, sid: string) =>
  scope.db.all<{
    startsAt: string;
    endsAt: string;
    status: string;
    organiser: number;
    secret: string;
    registrationId: string | null;
    checkedInAt: string | null;
    method: "organiser" | "qr" | null;
  }>(sql`select s.starts_at as startsAt, s.ends_at as endsAt, t.status, ${organises(scope)} as organiser,
      s.checkin_secret as secret,
      (select r.id from registrations r where r.training_id = t.id and r.user_id = ${scope.me.userId}
        and r.status = 'confirmed') as registrationId,
      (select a.checked_in_at from training_attendance a join registrations r on r.id = a.registration_id
        where a.session_id = s.id and r.user_id = ${scope.me.userId}) as checkedInAt,
      (select a.method from training_attendance a join registrations r on r.id = a.registration_id
        where a.session_id = s.id and r.user_id = ${scope.me.userId}) as method
    from training_sessions s join trainings t on t.id = s.training_id
    where s.id = ${sid} and t.id = ${id} and ${shown(scope)}`);

/** Whether check-in is open at `now` for a session: from an hour before its start to its end. */
function windowRefusal(startsAt: string, endsAt: string, now: Date): ApiError | undefined {
  if (now.getTime() < Date.parse(startsAt) - CHECKIN_OPENS_BEFORE_MS)
    return conflict("checkin_not_open", "Check-in opens one hour before the session starts.");
  if (now.getTime() > Date.parse(endsAt)) return conflict("checkin_closed", "The session is over.");
  return undefined;
}

// ── QR tokens ──────────────────────────────────────────────────────────────────────────────────

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export async function signQr(o: {
  secret: string;
  trainingId: string;
  sessionId: string;
  jti: string;
  now: Date;
  ttlSeconds: number;
}) {
  const iat = Math.floor(o.now.getTime() / 1000);
  const exp = iat + o.ttlSeconds;
  const token = await new SignJWT({ training: o.trainingId, session: o.sessionId })
    .setProtectedHeader({ alg: "HS256", typ: QR_TYPE })
    .setJti(o.jti)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(keyOf(o.secret));
  return { token, expiresAt: new Date(exp * 1000).toISOString() };
}

/** Verifies a QR token against THIS session's secret; the claims must name this training and session. */
export async function verifyQr(
  token: string,
  o: { secret: string; trainingId: string; sessionId: string; now: Date },
) {
  try {
    const { payload } = await jwtVerify(token, keyOf(o.secret), {
      algorithms: ["HS256"],
      typ: QR_TYPE,
      currentDate: o.now,
      requiredClaims: ["exp", "jti"],
    });
    if (payload.training !== o.trainingId || payload.session !== o.sessionId)
      throw problem(422, "invalid_token", "This QR code is for another session.");
    return payload;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (e instanceof joseErrors.JWTExpired)
      throw problem(422, "token_expired", "This QR code has expired; scan the one shown now.");
    throw problem(422, "invalid_token", "This is not a valid check-in QR code for this session.");
  }
}

// ── Records ────────────────────────────────────────────────────────────────────────────────────

/**
 * Per (person's registration, training): sessions attended in `year` and hours credited, for the
 * registrations matching `who` (the caller's policy applies). Cancelled trainings credit nothing;
 * only registrations still confirmed are credited (a withdrawn one keeps its attendance rows until
 * the organiser removes them, but earns no hours).
 */
const credited = (scope: Scope, year: number, who: ReturnType<typeof sql>) => sql`select r.user_id,
    r.training_id, count(*) as attended,
    (select count(*) from training_sessions st_ where st_.training_id = r.training_id) as total,
    (t.hours_tenths * count(*))
      / (select count(*) from training_sessions st_ where st_.training_id = r.training_id) as tenths
  from training_attendance a join registrations r on r.id = a.registration_id
  join training_sessions s on s.id = a.session_id join trainings t on t.id = r.training_id
  where ${who} and ${scope.visible(registrations, "r")} and ${scope.visible(trainings, "t")}
    and t.status <> 'cancelled' and r.status = 'confirmed' and substr(s.starts_at, 1, 4) = ${String(year)}
  group by r.user_id, r.training_id`;

const myRecord = (scope: Scope, year: number) => sql`select json_object('trainingId', t.id, 'title', t.title,
    'kind', t.kind, 'organiser', o.name, 'sessionsAttended', c.attended, 'sessionsTotal', c.total,
    'tenths', c.tenths) as j
  from (${credited(scope, year, sql`r.user_id = ${scope.me.userId}`)}) c
  join trainings t on t.id = c.training_id join organizations o on o.id = t.organiser_org_id
  order by (select min(sm_.starts_at) from training_sessions sm_ where sm_.training_id = t.id), t.id`;

const orgRecord = (scope: Scope, year: number) => sql`select json_object('userId', u.id, 'name', u.name,
    'departmentId', d.id, 'departmentName', d.name, 'events', count(*), 'tenths', sum(c.tenths)) as j
  from (${credited(scope, year, sql`r.org_id = ${scope.me.orgId}`)}) c
  join users u on u.id = c.user_id left join departments d on d.id = u.department_id
  where u.org_id = ${scope.me.orgId}
  group by u.id order by d.name, u.name, u.id`;

// ── Routes ─────────────────────────────────────────────────────────────────────────────────────

function sessionRoute<const Q extends Record<string, unknown>, const O extends z.ZodType>(o: {
  method: "get" | "post";
  path: string;
  summary: string;
  description?: string;
  roles: Role[] | "any";
  request: Q;
  ok: O;
  errors?: Record<number, string>;
}) {
  return defineRoute({
    method: o.method,
    path: `/v1/trainings/{id}/sessions/{sid}${o.path}`,
    tags,
    summary: o.summary,
    description: o.description,
    roles: o.roles,
    request: o.request,
    responses: {
      200: jsonResponse(o.ok, "OK"),
      ...Object.fromEntries(Object.entries(o.errors ?? {}).map(([s, d]) => [s, errorResponse(d)])),
    },
  });
}

export const attendanceRoutes = newRouter()
  .openapi(
    sessionRoute({
      method: "post",
      path: "/attendance",
      summary: "Record who attended a session (the organiser): confirmed registrations only",
      description:
        "`attended: true` records a person (once: a repeat changes nothing), `false` removes a record. " +
        "A recorded entry must be a confirmed registration of this training (400 per item, " +
        "`not_confirmed`); a removal any registration of it, also withdrawn or refused (400 per item, " +
        "`not_registered`); else nothing is changed. Records credit confirmed registrations only. From one hour before the session starts (409 `checkin_not_open`).",
      roles: ORGANISERS,
      request: { params: SessionParams, body: jsonBody(AttendanceInput) },
      ok: SessionAttendance,
      errors: { 409: "The session has not begun, or the training is not published" },
    }),
    async (c) => {
      const { id, sid } = c.req.valid("param");
      const { entries } = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const now = deps.clock.now();
      const at = now.toISOString();
      const opens = new Date(now.getTime() + CHECKIN_OPENS_BEFORE_MS).toISOString();
      const eventId = deps.ids();
      const regIds = [...new Set(entries.map((e) => e.registrationId))];
      const addIds = [...new Set(entries.filter((e) => e.attended).map((e) => e.registrationId))];
      const dropIds = [...new Set(entries.filter((e) => !e.attended).map((e) => e.registrationId))];
      const list = (ids: string[]) => (ids.length ? ids : [""]);
      // Recorded: confirmed registrations only. Removed: any registration of the training (a
      // correction stays possible after a withdrawal or a refusal).
      const confirmed = sql`(select count(*) from registrations rc_ where rc_.training_id = ${id}
        and rc_.status = 'confirmed' and rc_.id in ${list(addIds)}) = ${addIds.length}
        and (select count(*) from registrations rd_ where rd_.training_id = ${id}
          and rd_.id in ${list(dropIds)}) = ${dropIds.length}`;
      // The organiser's institution, a published training, the session of it begun (or about to),
      // every entry a confirmed registration: the timeline entry first, everything else on it.
      const ok = sql`exists (select 1 from trainings t join training_sessions s on s.training_id = t.id
        where t.id = ${id} and s.id = ${sid} and ${shown(scope)} and ${organises(scope)}
          and t.status = 'published' and ${scope.hasRole()}
          and julianday(s.starts_at) <= julianday(${opens})) and ${confirmed}`;
      const applied = sql`exists (select 1 from subject_events ev_ where ev_.id = ${eventId})`;
      const writes = entries.map((e) =>
        e.attended
          ? scope.db.run(sql`insert into training_attendance (registration_id, session_id, jurisdiction_id,
                method, checked_in_by, checked_in_at)
              select r.id, ${sid}, r.jurisdiction_id, 'organiser', ${scope.me.userId}, ${at}
              from registrations r where r.id = ${e.registrationId} and ${applied}
              on conflict do nothing`)
          : scope.db.run(sql`delete from training_attendance
              where registration_id = ${e.registrationId} and session_id = ${sid} and ${applied}`),
      );
      const statements = [
        recordEvent(scope.db, {
          id: eventId,
          jurisdictionId: sql`(select jt_.jurisdiction_id from trainings jt_ where jt_.id = ${id})`,
          subjectType: "training",
          subjectId: id,
          actorId: scope.me.userId,
          type: "checked_in",
          data: JSON.stringify({
            sessionId: sid,
            attended: entries.filter((e) => e.attended).length,
            absent: entries.filter((e) => !e.attended).length,
          }),
          at,
          when: ok,
        }),
        ...writes,
        outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
        sessionFacts(scope, id, sid),
        sessionAttendance(scope, sid),
        scope.db.all<{ ok: number; ids: string; known: string }>(sql`select ${applied} as ok,
          (select json_group_array(rc_.id) from registrations rc_ where rc_.training_id = ${id}
            and rc_.status = 'confirmed' and rc_.id in ${regIds}) as ids,
          (select json_group_array(rk_.id) from registrations rk_ where rk_.training_id = ${id}
            and rk_.id in ${regIds}) as known`),
      ] as BatchItem<"sqlite">[];
      const n = statements.length;
      const { results } = await scope.run(
        statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]],
        (r) => (r[n - 3] as unknown[])[0],
      );
      const facts = (results[n - 3] as Awaited<ReturnType<typeof sessionFacts>>)[0]!;
      const check = (results[n - 1] as { ok: number; ids: string; known: string }[])[0]!;
      if (!check.ok) {
        if (!facts.organiser) throw forbidden("Only the organising institution records attendance.");
        if (facts.status !== "published")
          throw conflict("not_published", `The training is ${facts.status}; attendance needs it published.`);
        if (now.getTime() < Date.parse(facts.startsAt) - CHECKIN_OPENS_BEFORE_MS)
          throw conflict(
            "checkin_not_open",
            "Attendance is recorded from one hour before the session starts.",
          );
        const valid = new Set(JSON.parse(check.ids) as string[]);
        const known = new Set(JSON.parse(check.known) as string[]);
        const errors: FieldError[] = entries.flatMap((e, i): FieldError[] =>
          e.attended
            ? valid.has(e.registrationId)
              ? []
              : [
                  {
                    in: "json",
                    path: `entries.${i}.registrationId`,
                    message: "not a confirmed registration of this training",
                    code: "not_confirmed",
                  },
                ]
            : known.has(e.registrationId)
              ? []
              : [
                  {
                    in: "json",
                    path: `entries.${i}.registrationId`,
                    message: "not a registration of this training",
                    code: "not_registered",
                  },
                ],
        );
        if (errors.length)
          throw problem(400, "validation_failed", "The request has invalid fields.", { errors });
        throw conflict("concurrent_change", "The training changed while this request ran; retry.");
      }
      const rows = results[n - 2] as AttendanceRow[];
      return c.json({ sessionId: sid, attendance: rows.map(toEntry) }, 200);
    },
  )
  .openapi(
    sessionRoute({
      method: "get",
      path: "/attendance",
      summary: "Who attended a session (the organiser sees everyone; an invited institution its own people)",
      roles: "any",
      request: { params: SessionParams },
      ok: SessionAttendance,
    }),
    async (c) => {
      const { id, sid } = c.req.valid("param");
      const scope = c.var.scope;
      const { results } = await scope.run(
        [sessionFacts(scope, id, sid), sessionAttendance(scope, sid)] as const,
        ([f]) => f[0],
      );
      return c.json({ sessionId: sid, attendance: results[1].map(toEntry) }, 200);
    },
  )
  .openapi(
    sessionRoute({
      method: "get",
      path: "/qr",
      summary: "A signed, expiring QR token for participants to check themselves in (the organiser)",
      description:
        "A JWT (HS256) signed with this session's own secret, naming the training and session, " +
        "expiring after `ttlMinutes` (default 15): show it on a screen and fetch a fresh one before it " +
        "runs out. `qr` is the text to encode (the check-in path with the token).",
      roles: ORGANISERS,
      request: { params: SessionParams, query: QrQuery },
      ok: QrToken,
      errors: { 409: "The training is not published" },
    }),
    async (c) => {
      const { id, sid } = c.req.valid("param");
      const { ttlMinutes } = c.req.valid("query");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { results } = await scope.run([sessionFacts(scope, id, sid)] as const, ([f]) => f[0]);
      const f = results[0][0]!;
      if (!f.organiser) throw forbidden("Only the organising institution shows check-in codes.");
      if (f.status !== "published")
        throw conflict("not_published", `The training is ${f.status}; check-in needs it published.`);
      const { token, expiresAt } = await signQr({
        secret: f.secret,
        trainingId: id,
        sessionId: sid,
        jti: deps.ids(),
        now: deps.clock.now(),
        ttlSeconds: ttlMinutes * 60,
      });
      c.header("Cache-Control", "no-store");
      return c.json(
        { token, qr: `fjqr:/v1/trainings/${id}/sessions/${sid}/check-in#${token}`, expiresAt },
        200,
      );
    },
  )
  .openapi(
    sessionRoute({
      method: "post",
      path: "/check-in",
      summary: "Check myself in with the session's QR token (a confirmed participant)",
      description:
        "The token must verify against THIS session's key and be unexpired (422 `invalid_token`, " +
        "`token_expired`); the caller must hold a confirmed registration (403 `not_registered`); " +
        "check-in is open from one hour before the start to the end (409 `checkin_not_open`, " +
        "`checkin_closed`). Idempotent: checking in again answers the first record " +
        "(`alreadyCheckedIn: true`). Two round trips: the key lives in the database and a signature " +
        "cannot be checked inside SQL, so the session is read, the token verified, then the guarded " +
        "write runs.",
      roles: "any",
      request: { params: SessionParams, body: jsonBody(CheckInInput) },
      ok: CheckInResult,
      errors: {
        409: "Outside the session's check-in time, or the training is not published",
        422: "The token is forged, expired or for another session",
      },
    }),
    async (c) => {
      const { id, sid } = c.req.valid("param");
      const { token } = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const now = deps.clock.now();
      const { results } = await scope.run([sessionFacts(scope, id, sid)] as const, ([f]) => f[0]);
      const f = results[0][0]!;
      if (f.status !== "published")
        throw conflict("not_published", `The training is ${f.status}; check-in needs it published.`);
      await verifyQr(token, { secret: f.secret, trainingId: id, sessionId: sid, now });
      if (!f.registrationId)
        throw problem(403, "not_registered", "Only a confirmed participant of this training checks in.");
      if (f.checkedInAt && f.method)
        return c.json(
          {
            sessionId: sid,
            registrationId: f.registrationId,
            method: CHECKIN_METHODS.item(f.method),
            checkedInAt: f.checkedInAt,
            alreadyCheckedIn: true,
          },
          200,
        );
      const refused = windowRefusal(f.startsAt, f.endsAt, now);
      if (refused) throw refused;
      const at = now.toISOString();
      const eventId = deps.ids();
      const opens = new Date(now.getTime() + CHECKIN_OPENS_BEFORE_MS).toISOString();
      // The caller's own confirmed registration, the session still open: once (the unique key).
      const insert = scope.db.run(sql`insert into training_attendance (registration_id, session_id,
          jurisdiction_id, method, checked_in_by, checked_in_at)
        select r.id, s.id, r.jurisdiction_id, 'qr', r.user_id, ${at}
        from registrations r join training_sessions s on s.training_id = r.training_id
        join trainings t on t.id = r.training_id
        where r.training_id = ${id} and s.id = ${sid} and r.user_id = ${scope.me.userId}
          and r.status = 'confirmed' and t.status = 'published'
          and julianday(s.starts_at) <= julianday(${opens}) and julianday(s.ends_at) >= julianday(${at})
        on conflict do nothing`);
      const mine = scope.db.all<{ registrationId: string; method: "organiser" | "qr"; checkedInAt: string }>(
        sql`select a.registration_id as registrationId, a.method, a.checked_in_at as checkedInAt
          from training_attendance a join registrations r on r.id = a.registration_id
          where a.session_id = ${sid} and r.user_id = ${scope.me.userId}
            and ${scope.visible(trainingAttendance, "a")}`,
      );
      const { results: w } = await scope.run([
        insert,
        // On the registration's timeline (seen by the person, their institution and the organisers),
        // not the training's: the institutions invited alongside never see who checked in.
        recordEvent(scope.db, {
          id: eventId,
          jurisdictionId: sql`(select jr_.jurisdiction_id from registrations jr_ where jr_.id = ${f.registrationId})`,
          subjectType: "registration",
          subjectId: f.registrationId,
          actorId: scope.me.userId,
          type: "checked_in",
          data: JSON.stringify({ trainingId: id, sessionId: sid, method: "qr" }),
          at,
          when: sql`changes() > 0`,
        }),
        outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
        mine,
      ] as const);
      const row = w[3][0];
      if (!row) throw conflict("concurrent_change", "The registration or session changed meanwhile; retry.");
      return c.json(
        {
          sessionId: sid,
          registrationId: row.registrationId,
          method: CHECKIN_METHODS.item(row.method),
          checkedInAt: row.checkedInAt,
          alreadyCheckedIn: row.checkedInAt !== at,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/me/training-record",
      tags,
      summary: "My training record for a year: events attended and hours credited",
      description:
        "Hours are credited pro rata per session attended (H hours over N sessions: H × attended ÷ N, " +
        "in tenths rounded down), to the year (China time) of each attended session.",
      roles: "any",
      request: { query: RecordQuery },
      responses: { 200: jsonResponse(MyRecord, "The record") },
    }),
    async (c) => {
      const { year } = c.req.valid("query");
      const { items } = await c.var.scope.list<{
        trainingId: string;
        title: string;
        kind: (typeof TRAINING_KINDS.codes)[number];
        organiser: string;
        sessionsAttended: number;
        sessionsTotal: number;
        tenths: number;
      }>(myRecord(c.var.scope, year));
      const total = items.reduce((s, e) => s + e.tenths, 0);
      return c.json(
        {
          year,
          events: items.map(({ tenths, kind, ...e }) => ({
            ...e,
            kind: TRAINING_KINDS.item(kind),
            hours: hoursOf(tenths),
          })),
          totalHours: hoursOf(total),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/training-records",
      tags,
      summary: "My institution's training record for a year: per person events and hours, totals",
      description:
        "For the institution's leaders, administrators and coordinators; only their own institution " +
        "(another `orgId` is 404). Hours as in `/v1/me/training-record`.",
      roles: RECORD_READERS,
      request: { query: OrgRecordQuery },
      responses: { 200: jsonResponse(OrgRecord, "The record") },
    }),
    async (c) => {
      const { year, orgId } = c.req.valid("query");
      const scope = c.var.scope;
      const { principal, items } = await scope.list<{
        userId: string;
        name: string;
        departmentId: string | null;
        departmentName: string | null;
        events: number;
        tenths: number;
      }>(orgRecord(scope, year));
      if (orgId && orgId !== principal.orgId) throw notFound();
      const people = items.map((p) => ({
        user: { id: p.userId, name: p.name },
        department: p.departmentId ? { id: p.departmentId, name: p.departmentName ?? "" } : null,
        events: p.events,
        hours: hoursOf(p.tenths),
      }));
      return c.json(
        {
          year,
          org: { id: principal.orgId, name: principal.orgName },
          people,
          totals: {
            people: people.length,
            events: items.reduce((s, p) => s + p.events, 0),
            hours: hoursOf(items.reduce((s, p) => s + p.tenths, 0)),
          },
        },
        200,
      );
    },
  );
