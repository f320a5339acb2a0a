// SQL of the rotation record routes: series with who hosts next and why, their instances and
// rotation changes, and the guarded proposal of a change (a co-signature round by both leaders).
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { type CosignRow, cosignJson, openCosign } from "../cosign/cosign";
import { series, seriesInstances, seriesOverrides } from "../db/schema";
import { outboxFromSubjectEvents, recordEvent } from "../events/events";
import { CADENCES, type MeetingStatus, OVERRIDE_ACTIONS, type SLOT_STATUSES } from "../vocab";
import { isPeriod, periodYearsAhead } from "./period";
import { currentPeriodSql, followingPeriodSql, periodLabelSql, rotation, SERIES_KIND_DEFS } from "./series";

const orgOf = (jurisdiction: SQL, kind: SQL) => sql`(select json_object('id', o_.id, 'name', o_.name)
  from organizations o_ where o_.jurisdiction_id = ${jurisdiction} and o_.kind = ${kind})`;

/**
 * A series `r_` (its columns and the rotation rule applied to its next period) as one JSON object:
 * the next period is the current one while its instance does not exist yet, else the one after.
 */
const SERIES_JSON = sql`json_object('id', r_.id, 'kind', r_.kind, 'key', r_.key, 'cadence', r_.cadence,
  'firstHost', r_.first_host, 'alternate', json(iif(r_.alternate, 'true', 'false')),
  'startPeriod', r_.start_period, 'active', json(iif(r_.active, 'true', 'false')),
  'currentPeriod', r_.current_period,
  'next', json_object('period', r_.period,
    'label', json_object('zh', ${periodLabelSql(sql`r_.cadence`, sql`r_.period`).zh},
      'en', ${periodLabelSql(sql`r_.cadence`, sql`r_.period`).en}),
    'host', r_.host, 'org', json(${orgOf(sql`r_.jurisdiction_id`, sql`r_.host`)}),
    'reason', r_.reason, 'skipped', json(iif(r_.instance_status = 'skipped', 'true', 'false')),
    'lastHeld', case when r_.held is null then null
      else json_object('period', r_.held_period, 'host', r_.held) end,
    'overrideId', r_.agreed_id),
  'createdAt', r_.created_at, 'updatedAt', r_.updated_at)`;

/** The visible series matching `where` (on `s`), with their next period, for the rotation rule. */
function seriesWithNext(scope: Scope, now: Date, where: SQL[]): SQL {
  const current = currentPeriodSql(sql`s.cadence`, now);
  return rotation(sql`select s.*, ${current} as current_period,
      case when exists (select 1 from series_instances ci_ where ci_.series_id = s.id and ci_.period = ${current})
        then ${followingPeriodSql(sql`s.cadence`, now)} else ${current} end as period
    from series s where ${sql.join([scope.visible(series, "s"), ...where], sql` and `)}`);
}

export type SeriesRow = {
  id: string;
  kind: string;
  key: string;
  cadence: (typeof CADENCES.codes)[number];
  firstHost: "court" | "procuratorate";
  alternate: boolean;
  startPeriod: string;
  active: boolean;
  currentPeriod: string;
  next: {
    period: string;
    label: { zh: string; en: string };
    host: "court" | "procuratorate";
    org: { id: string; name: string } | null;
    reason: "first" | "alternation" | "fixed" | "swap" | "skip";
    skipped: boolean;
    lastHeld: { period: string; host: "court" | "procuratorate" } | null;
    overrideId: string | null;
  };
  createdAt: string;
  updatedAt: string;
};

/** A page of the caller's pair's series in update order (rows of one JSON column `j`, for `scope.list`). */
export function listSeries(
  scope: Scope,
  now: Date,
  f: { updatedSince?: string; after?: [string, string]; limit: number },
): SQL {
  const where: SQL[] = [];
  // Rows keep `toISOString()` instants: compare with the filter in the same form (…57Z < …57.507Z).
  if (f.updatedSince) where.push(sql`s.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  if (f.after) where.push(sql`(s.updated_at, s.id) > (${f.after[0]}, ${f.after[1]})`);
  return sql`select ${SERIES_JSON} as j from (${seriesWithNext(scope, now, where)}) r_
    order by r_.updated_at, r_.id limit ${f.limit + 1}`;
}

export type InstanceRow = {
  id: string;
  period: string;
  host: "court" | "procuratorate";
  org: { id: string; name: string } | null;
  status: "open" | "skipped";
  meeting: {
    id: string;
    title: string;
    status: MeetingStatus;
    slotStatus: (typeof SLOT_STATUSES.codes)[number];
  } | null;
  createdAt: string;
};

export type OverrideRow = {
  id: string;
  seriesId: string;
  period: string;
  action: "swap" | "skip";
  reason: string;
  status: "proposed" | "agreed" | "refused";
  /** For an agreed change: whether it took effect (applied), waits for its period, or came too late. */
  effect: "applied" | "pending" | "not_applied" | null;
  proposedBy: { id: string; name: string; orgId: string; orgName: string };
  cosignature: CosignRow | null;
  createdAt: string;
  updatedAt: string;
};

/** A change `o` as one JSON object, with its effect and its latest co-signature round. */
const overrideJson = (
  scope: Scope,
) => sql`json_object('id', o.id, 'seriesId', o.series_id, 'period', o.period,
  'action', o.action, 'reason', o.reason, 'status', o.status,
  'effect', case when o.status <> 'agreed' then null
    when exists (select 1 from subject_events e_ where e_.subject_type = 'series_override'
      and e_.subject_id = o.id and e_.type = 'rotation_changed') then 'applied'
    when not exists (select 1 from series_instances i_ where i_.series_id = o.series_id
      and i_.period = o.period) then 'pending'
    else 'not_applied' end,
  'proposedBy', (select json_object('id', u_.id, 'name', u_.name, 'orgId', u_.org_id, 'orgName', uo_.name)
    from users u_ join organizations uo_ on uo_.id = u_.org_id where u_.id = o.created_by),
  'cosignature', json(${cosignJson("series_override", sql`o.id`, scope)}),
  'createdAt', o.created_at, 'updatedAt', o.updated_at)`;

/** One visible series with its instances (oldest first) and rotation changes (newest first). */
export function getSeries(scope: Scope, now: Date, id: string) {
  return scope.db.all<{ j: string }>(sql`select json_set(${SERIES_JSON},
      '$.instances', json((select json_group_array(json(x_.j)) from (
        select json_object('id', i.id, 'period', i.period, 'host', i.host,
          'org', json(${orgOf(sql`i.jurisdiction_id`, sql`i.host`)}), 'status', i.status,
          'meeting', (select json_object('id', m.id, 'title', m.title, 'status', m.status,
              'slotStatus', m.slot_status) from meetings m where m.id = i.subject_id),
          'createdAt', i.created_at) as j
        from series_instances i where i.series_id = r_.id and ${scope.visible(seriesInstances, "i")}
        order by i.period) x_)),
      '$.overrides', json((select json_group_array(json(y_.j)) from (
        select ${overrideJson(scope)} as j from series_overrides o
        where o.series_id = r_.id and ${scope.visible(seriesOverrides, "o")}
        order by o.created_at desc, o.id desc) y_))) as j
    from (${seriesWithNext(scope, now, [sql`s.id = ${id}`])}) r_`);
}

/** One visible rotation change (its timeline is read beside it with getSubjectTimeline). */
export const getOverride = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`select ${overrideJson(scope)} as j from series_overrides o
    where o.id = ${id} and ${scope.visible(seriesOverrides, "o")}`);

const getOverrideByKey = (scope: Scope, key: string) =>
  scope.db.all<{ j: string }>(sql`select ${overrideJson(scope)} as j from series_overrides o
    where o.created_by = ${scope.me.userId} and o.idempotency_key = ${key}
      and ${scope.visible(seriesOverrides, "o")}`);

export type ProposeInput = { period: string; action: "swap" | "skip"; reason: string };

/** A rotation change may be proposed for a period at most this many years ahead. */
export const OVERRIDE_MAX_YEARS = 5;

/** The furthest period of `cadence` a rotation change may be proposed for at `now`. */
export const overrideHorizon = (cadence: (typeof CADENCES.codes)[number], now: Date) =>
  periodYearsAhead(cadence, now, OVERRIDE_MAX_YEARS);

/** The facts a refused proposal is explained by (read after the proposal in the same batch). */
export type ProposalProbe = {
  cadence: (typeof CADENCES.codes)[number];
  current: string;
  instanceStatus: string | null;
  meetingStatus: string | null;
  changeable: number | null;
  live: string | null;
};

/**
 * proposeOverride: the statements that record a proposed change of one period of a series — only
 * when the series is visible, the caller holds a proposing role, the period is of the series' cadence
 * and not past, and, for the current period, its instance (if any) is still open and its subject may
 * still change (a meeting still planning with no confirmed slot); at most one live (proposed or
 * agreed) change per period and one per Idempotency-Key (unique indexes) — and in the same batch the
 * co-signature round of both institutions' leaders, the change's 'created' timeline entry and webhook.
 */
export function proposeOverride(
  scope: Scope,
  o: {
    id: string;
    cosignId: string;
    eventId: string;
    key: string;
    now: Date;
    seriesId: string;
    input: ProposeInput;
  },
) {
  const { db } = scope;
  const at = o.now.toISOString();
  const i = o.input;
  const current = currentPeriodSql(sql`s.cadence`, o.now);
  // Whether the period is of the series' cadence, and at most OVERRIDE_MAX_YEARS ahead: decided in
  // TS per cadence, chosen in SQL.
  const ofCadence = sql`(case s.cadence ${sql.join(
    CADENCES.codes.map(
      (c) => sql`when ${c} then ${isPeriod(c, i.period) && i.period <= overrideHorizon(c, o.now) ? 1 : 0}`,
    ),
    sql` `,
  )} else 0 end)`;
  const inst = sql`from series_instances i_ where i_.series_id = s.id and i_.period = ${i.period}`;
  const changeable = sql`(case s.kind ${sql.join(
    Object.entries(SERIES_KIND_DEFS).map(
      ([kind, def]) => sql`when ${kind} then ${def.changeable(sql`(select i_.subject_id ${inst})`)}`,
    ),
    sql` `,
  )} else 0 end)`;
  const created = sql`exists (select 1 from series_overrides so_ where so_.id = ${o.id})`;
  const pair = (kind: string) => sql`(select po_.id from organizations po_ join series ps_
    on ps_.jurisdiction_id = po_.jurisdiction_id where ps_.id = ${o.seriesId} and po_.kind = ${kind})`;
  const action = OVERRIDE_ACTIONS.label(i.action);
  return {
    statements: [
      db.run(sql`insert into series_overrides (id, series_id, jurisdiction_id, period, action, reason, status,
          created_by, idempotency_key, created_at, updated_at)
        select ${o.id}, s.id, s.jurisdiction_id, ${i.period}, ${i.action}, ${i.reason}, 'proposed',
          ${scope.me.userId}, ${o.key}, ${at}, ${at}
        from series s
        where s.id = ${o.seriesId} and ${scope.visible(series, "s")} and ${scope.hasRole()}
          and ${ofCadence} and ${i.period} >= ${current}
          and (${i.period} > ${current} or not exists (select 1 ${inst})
            or ((select i_.status ${inst}) = 'open' and ${changeable}))
        on conflict do nothing`),
      ...openCosign(db, {
        id: o.cosignId,
        jurisdictionId: sql`(select so_.jurisdiction_id from series_overrides so_ where so_.id = ${o.id})`,
        subjectType: "series_override",
        subjectId: o.id,
        title: `轮值调整 ${i.period}:${action.zh} / Rotation change ${i.period}: ${action.en.toLowerCase()}`,
        contentHash: null,
        parties: [
          { orgId: pair("court"), role: "leader" },
          { orgId: pair("procuratorate"), role: "leader" },
        ],
        actorId: scope.me.userId,
        now: at,
        when: created,
      }),
      recordEvent(db, {
        id: o.eventId,
        jurisdictionId: sql`(select so_.jurisdiction_id from series_overrides so_ where so_.id = ${o.id})`,
        subjectType: "series_override",
        subjectId: o.id,
        actorId: scope.me.userId,
        type: "created",
        note: i.reason,
        data: sql`json_object('seriesId', ${o.seriesId}, 'period', ${i.period}, 'action', ${i.action})`,
        at,
        when: created,
      }),
      outboxFromSubjectEvents(db, sql`ev.id = ${o.eventId}`),
      db.run(sql`update series set updated_at = ${at} where id = ${o.seriesId} and ${created}`),
    ] as const,
    byKey: getOverrideByKey(scope, o.key),
    probe: db.all<ProposalProbe>(sql`select s.cadence, ${current} as current,
        (select i_.status ${inst}) as instanceStatus,
        (select m_.status from meetings m_ where m_.id = (select i_.subject_id ${inst})) as meetingStatus,
        ${changeable} as changeable,
        (select so_.status from series_overrides so_ where so_.series_id = s.id and so_.period = ${i.period}
          and so_.status in ('proposed', 'agreed')) as live
      from series s where s.id = ${o.seriesId} and ${scope.visible(series, "s")}`),
  };
}
