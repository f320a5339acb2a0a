// Recurring series (ADR 0009): one instance per (series, period), created by cron exactly once and
// caught up by the next run when one is missed, the host alternating between the pair's court and
// procuratorate by one rule; agreed (co-signed) swaps and skips change one period.
//
// The mechanism is generic: a series kind says its cadence, who hosts first, from which day of the
// period it is due and what an instance creates (the half-yearly joint meeting, the yearly academic
// seminar in seminar.ts — one series per pair each, due for the CURRENT period; the periodic mutual
// reports in src/exchanges/report-series.ts — series created by users, due for ENDED periods).
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { chinaDate } from "../calendar/calendar.engine";
import type { Config } from "../config";
import type { CosignHooks } from "../cosign/cosign";
import type { Db } from "../db/client";
import { outboxFromSubjectEvents, recordEvent, type SubjectType } from "../events/events";
import type { Deps } from "../http/api";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { CADENCES, type Cadence, type OrgKind } from "../vocab";
import { addPeriods, nextPeriod, periodOf } from "./period";
import { academicSeminar } from "./seminar";
import { mutualReport } from "../exchanges/report-series";

/** What a kind of series is and what its instance creates. */
export type SeriesKindDef = {
  cadence: Cadence;
  /** Who hosts (or reports) first in a new series; each series row keeps its own `first_host`. */
  firstHost: OrgKind;
  /** The subject type of what an instance creates (its timeline and webhooks). */
  subjectType: SubjectType;
  /**
   * The first day (China time, YYYY-MM-DD) on which the cron creates the instance of `period`; until
   * then the period is current but not yet due. Absent: the period's first day.
   */
  plannedFrom?: (period: string, config: Config) => string;
  /**
   * The statements that create the subjects of the open instances of one run: the rows
   * `series_instances i` with `i.run_id = runId`, `i.subject_id` set, of a series of this kind. Each
   * subject's id is its instance's `subject_id`; its 'created' timeline entry has the id
   * `<instance id>.c` (the caller writes the outbox rows of those entries).
   */
  create: (db: Db, ctx: { runId: string; now: string }) => BatchItem<"sqlite">[];
  /** SQL true while the subject `subjectId` may still change its host or be skipped. */
  changeable: (subjectId: SQL) => SQL;
  /** Statements that apply an agreed change (`action`: 'swap' | 'skip') to a subject when `applied` holds. */
  apply: (db: Db, o: { subjectId: SQL; action: SQL; now: string; applied: SQL }) => BatchItem<"sqlite">[];
  /**
   * Series created by users (several per pair, told apart by `series.key`, with their own cadence and
   * `config`) instead of one per pair by the cron. Absent: the cron gives every pair one.
   */
  userCreated?: true;
  /**
   * 'current' (default): the instance of the current period, once it is due, never backwards.
   * 'ended': the instance of every ENDED period since the series' start (China time), caught up over
   * the last ENDED_LOOKBACK periods — a report is owed once its period is over.
   */
  due?: "current" | "ended";
};

const other = (host: SQL) => sql`(case ${host} when 'court' then 'procuratorate' else 'court' end)`;

/** A period's labels in SQL, for any cadence ('2027年上半年' / 'first half of 2027'). */
export function periodLabelSql(cadence: SQL, p: SQL) {
  const y = sql`substr(${p}, 1, 4)`;
  const month = sql`cast(substr(${p}, 6, 2) as integer)`;
  const quarter = sql`substr(${p}, 7, 1)`;
  return {
    zh: sql`(case ${cadence}
      when 'half_year' then ${y} || '年' || (case substr(${p}, 6) when 'H1' then '上半年' else '下半年' end)
      when 'quarter' then ${y} || '年第'
        || (case ${quarter} when '1' then '一' when '2' then '二' when '3' then '三' else '四' end) || '季度'
      when 'month' then ${y} || '年' || ${month} || '月'
      else ${y} || '年' end)`,
    en: sql`(case ${cadence}
      when 'half_year' then (case substr(${p}, 6) when 'H1' then 'first' else 'second' end) || ' half of ' || ${y}
      when 'quarter' then 'Q' || ${quarter} || ' ' || ${y}
      else ${p} end)`,
  };
}

/**
 * The users a series notifies in an organisation `org`: its active coordinators (联席会议联络员); an
 * organisation that has none is reached through its admins, so no pair goes unnotified.
 */
export const seriesContacts = (org: SQL) => sql`(select r_.user_id from role_assignments r_
    join users cu_ on cu_.id = r_.user_id and cu_.active = 1
  where r_.org_id = ${org} and r_.role = (case when exists (select 1 from role_assignments rc_
      join users uc_ on uc_.id = rc_.user_id and uc_.active = 1
    where rc_.org_id = ${org} and rc_.role = 'coordinator') then 'coordinator' else 'admin' end))`;

// ── The joint meeting (法检联席会议, S3.4.1): half-yearly, the court hosts first ────────────────────

/** The open instances of a run whose series is of `kind`, as `i` joined to its series `s` (a FROM). */
export const runInstances = (runId: string, kind: string) =>
  sql`series_instances i join series s on s.id = i.series_id and s.kind = ${kind}
    and i.run_id = ${runId} and i.subject_id is not null`;

const jointMeeting: SeriesKindDef = {
  cadence: "half_year",
  firstHost: "court",
  subjectType: "meeting",
  create: (db, { runId, now }) => {
    const label = periodLabelSql(sql`s.cadence`, sql`i.period`);
    return [
      // The period's meeting, planning, hosted by the instance's host; unique per (series, period).
      db.run(sql`insert into meetings (id, jurisdiction_id, kind, series_id, period, host_org_id,
          guest_org_id, title, status, slot_status, created_at, updated_at)
        select i.subject_id, i.jurisdiction_id, 'regular', i.series_id, i.period, h.id, g.id,
          ${label.zh} || '法检联席会议', 'planning', 'none', ${now}, ${now}
        from ${runInstances(runId, "joint_meeting")}
        join organizations h on h.jurisdiction_id = i.jurisdiction_id and h.kind = i.host
        join organizations g on g.jurisdiction_id = i.jurisdiction_id and g.kind <> i.host
        where true
        on conflict do nothing`),
      // Its timeline entry 'created' (the cron is the actor: none).
      db.run(sql`insert into subject_events
          (id, jurisdiction_id, subject_type, subject_id, at, actor_id, type, note, data)
        select i.id || '.c', m.jurisdiction_id, 'meeting', m.id, ${now}, null, 'created', null,
          json_object('seriesId', i.series_id, 'period', i.period, 'host', i.host)
        from ${runInstances(runId, "joint_meeting")}
        join meetings m on m.id = i.subject_id
        where true
        on conflict do nothing`),
      // Both sides' coordinators (or admins) hear that the period's meeting is open for topics.
      db.run(sql`${INSERT_NOTIFICATIONS}
        select i.id || '.' || u.id, u.jurisdiction_id, u.id, 'meeting.cycle_opened', 'meeting', m.id,
          ${label.zh} || '法检联席会议已开始筹备,由' || h.name || '主办,请提出议题。',
          'The joint meeting of the ' || ${label.en} || ' is open for topics; host: ' || h.name || '.',
          0, 'meeting.cycle_opened:' || m.id || ':' || u.id, ${now}
        from ${runInstances(runId, "joint_meeting")}
        join meetings m on m.id = i.subject_id
        join organizations h on h.id = m.host_org_id
        join organizations o on o.id in (m.host_org_id, m.guest_org_id)
        join users u on u.id in ${seriesContacts(sql`o.id`)}
        where true
        on conflict (dedupe_key) do nothing`),
    ];
  },
  changeable: (id) => sql`exists (select 1 from meetings cm_
    where cm_.id = ${id} and cm_.status = 'planning' and cm_.slot_status <> 'confirmed')`,
  apply: (db, { subjectId, action, now, applied }) => [
    // SET reads the old row: a swap exchanges host and guest.
    db.run(sql`update meetings set
        host_org_id = case when ${action} = 'swap' then guest_org_id else host_org_id end,
        guest_org_id = case when ${action} = 'swap' then host_org_id else guest_org_id end,
        status = case when ${action} = 'skip' then 'skipped' else status end,
        updated_at = ${now}
      where id = ${subjectId} and status = 'planning' and slot_status <> 'confirmed' and ${applied}`),
  ],
};

/** The kinds of series; a new kind (periodic reports) is one entry here. */
export const SERIES_KIND_DEFS: Record<string, SeriesKindDef> = {
  joint_meeting: jointMeeting,
  academic_seminar: academicSeminar,
  mutual_report: mutualReport,
};
const KINDS = Object.entries(SERIES_KIND_DEFS);
/** The kinds the cron gives every pair a series of. */
const PER_PAIR = KINDS.filter(([, def]) => !def.userCreated);

// ── The rotation rule ────────────────────────────────────────────────────────────────────────────

/** Why a period has the host it has. */
export const HOST_REASONS = {
  first: { zh: "首期,由默认首办方主办", en: "First period: the series' first host" },
  alternation: { zh: "上一期由对方主办,本期轮换", en: "The other side hosted the last held period" },
  fixed: { zh: "该系列不轮换", en: "This series does not alternate" },
  swap: { zh: "经双方会签调换主办方", en: "Host swapped by agreement of both sides" },
  skip: { zh: "经双方会签本期不召开", en: "Skipped by agreement of both sides" },
} as const;
export type HostReason = keyof typeof HOST_REASONS;

/**
 * The rotation rule, over the rows `x_` of `from` (a series' columns — at least `id`, `first_host`,
 * `alternate` — and a `period`), as one SELECT adding: `held`/`held_period` (the latest earlier
 * instance that was not skipped), `agreed`/`agreed_id` (the agreed change for the period), `base`
 * (who hosts without a change: the first host when nothing was held before or the series does not
 * alternate, else the other side of `held`), `host` (after an agreed swap), `instance_status`
 * ('skipped' under an agreed skip) and `reason`. A skipped period consumes no turn; an applied swap
 * is the instance's actual host, so alternation continues from who really hosted. The cron and the
 * API read this one definition.
 */
export function rotation(from: SQL): SQL {
  const earlier = sql`from series_instances i_ where i_.series_id = x_.id and i_.status = 'open'
    and i_.period < x_.period order by i_.period desc limit 1`;
  const change = sql`from series_overrides o_
    where o_.series_id = x_.id and o_.period = x_.period and o_.status = 'agreed'`;
  return sql`select r_.*,
      case when r_.agreed = 'swap' then ${other(sql`r_.base`)} else r_.base end as host,
      case when r_.agreed = 'skip' then 'skipped' else 'open' end as instance_status,
      case when r_.agreed is not null then r_.agreed when r_.held is null then 'first'
        when not r_.alternate then 'fixed' else 'alternation' end as reason
    from (select b_.*, case when b_.held is null or not b_.alternate then b_.first_host
          else ${other(sql`b_.held`)} end as base
      from (select x_.*, (select i_.host ${earlier}) as held, (select i_.period ${earlier}) as held_period,
          (select o_.action ${change}) as agreed, (select o_.id ${change}) as agreed_id
        from (${from}) x_) b_) r_`;
}

/** SQL: the period key a series' cadence gives `now` (a CASE over the cadences, values bound). */
export const currentPeriodSql = (cadence: SQL, now: Date) =>
  sql`(case ${cadence} ${sql.join(
    CADENCES.codes.map((c) => sql`when ${c} then ${periodOf(c, now)}`),
    sql` `,
  )} end)`;

/** SQL: the period after the current one, per cadence. */
export const followingPeriodSql = (cadence: SQL, now: Date) =>
  sql`(case ${cadence} ${sql.join(
    CADENCES.codes.map((c) => sql`when ${c} then ${nextPeriod(c, periodOf(c, now))}`),
    sql` `,
  )} end)`;

// ── The cron job ─────────────────────────────────────────────────────────────────────────────────

/**
 * ensureSeries: every jurisdiction (a court–procuratorate pair, city or basic level) without a series
 * of `kind` gets one, starting with the current period, its first host the kind's default. At most
 * `chunk` per statement; the unique (jurisdiction, kind, key) makes a concurrent run's insert a no-op.
 */
function ensureSeries(
  db: Db,
  kind: string,
  def: SeriesKindDef,
  o: { prefix: string; now: Date; chunk: number },
) {
  const at = o.now.toISOString();
  return db.run(sql`insert into series (id, jurisdiction_id, kind, key, cadence, first_host, alternate,
      start_period, active, created_at, updated_at)
    select ${o.prefix} || '.' || printf('%04d', row_number() over (order by j.id)), j.id, ${kind}, '',
      ${def.cadence}, ${def.firstHost}, 1, ${periodOf(def.cadence, o.now)}, 1, ${at}, ${at}
    from jurisdictions j
    where not exists (select 1 from series s where s.jurisdiction_id = j.id and s.kind = ${kind} and s.key = '')
      and exists (select 1 from organizations c where c.jurisdiction_id = j.id and c.kind = 'court')
      and exists (select 1 from organizations p where p.jurisdiction_id = j.id and p.kind = 'procuratorate')
    order by j.id limit ${o.chunk}
    on conflict do nothing`);
}

/** The kinds whose current period is due at `now`: on or after the day the kind plans it from. */
export function dueKinds(config: Config, now: Date): string[] {
  const today = chinaDate(now);
  return KINDS.filter(
    ([, def]) =>
      def.due !== "ended" &&
      (!def.plannedFrom || def.plannedFrom(periodOf(def.cadence, now), config) <= today),
  ).map(([kind]) => kind);
}

/** The kinds due for their ended periods. */
const ENDED_KINDS = KINDS.filter(([, def]) => def.due === "ended").map(([kind]) => kind);

/** How many ended periods back a run catches up (24 months of a monthly series, 6 years of a quarterly …). */
export const ENDED_LOOKBACK = 24;

/** The ENDED_LOOKBACK periods before the current one (at `now`), per cadence, as JSON rows [cadence, period]. */
export const endedPeriods = (now: Date) =>
  JSON.stringify(
    CADENCES.codes.flatMap((c) =>
      Array.from({ length: ENDED_LOOKBACK }, (_, n) => [c, addPeriods(c, periodOf(c, now), -(n + 1))]),
    ),
  );

/**
 * ensureEndedInstances: for every active series of a kind due for ENDED periods, an instance of each
 * ended period (of the last ENDED_LOOKBACK) from its start period on that has none yet (at most
 * `chunk`, oldest first per series), host by the rotation rule, marked with this run's id. Exactly
 * once per (series, period): the unique key. Only periods after the series' latest instance are
 * candidates: runs create every ended period from the oldest missing one up, so a series' instances
 * have no gaps and the latest one bounds the work of a run with nothing to do (one index probe per
 * series).
 */
function ensureEndedInstances(db: Db, o: { runId: string; now: Date; chunk: number }) {
  if (!ENDED_KINDS.length) return db.run(sql`select 0`);
  // The last ended period of each cadence: a series whose latest instance is older needs work.
  const lastEnded = sql`(case s0.cadence ${sql.join(
    CADENCES.codes.map((c) => sql`when ${c} then ${addPeriods(c, periodOf(c, o.now), -1)}`),
    sql` `,
  )} end)`;
  const latest = sql`(select max(l_.period) from series_instances l_ where l_.series_id = s0.id)`;
  // First the (at most `chunk`) series with an ended period missing — one index probe per series —,
  // then only their missing periods.
  const due = sql`select s.id, s.jurisdiction_id, s.first_host, s.alternate, p_.value ->> 1 as period
    from (select s0.*, ${latest} as latest from series s0
      where s0.active = 1 and s0.kind in ${ENDED_KINDS} and s0.start_period <= ${lastEnded}
        and coalesce(${latest}, '') < ${lastEnded}
      order by s0.id limit ${o.chunk}) s
    join json_each(${endedPeriods(o.now)}) p_ on p_.value ->> 0 = s.cadence
    where p_.value ->> 1 >= s.start_period and p_.value ->> 1 > coalesce(s.latest, '')
    order by s.id, period limit ${o.chunk}`;
  return db.run(sql`insert into series_instances
      (id, series_id, jurisdiction_id, period, host, status, subject_id, run_id, created_at)
    select n_.id, n_.series_id, n_.jurisdiction_id, n_.period, n_.host, n_.instance_status,
      case when n_.instance_status = 'open' then n_.id end, ${o.runId}, ${o.now.toISOString()}
    from (select ${o.runId} || '.e' || printf('%04d', row_number() over (order by r_.id, r_.period)) as id,
        r_.id as series_id, r_.jurisdiction_id, r_.period, r_.host, r_.instance_status
      from (${rotation(due)}) r_) n_
    where true
    on conflict do nothing`);
}

/**
 * ensureInstances: every active series of a due kind (`kinds`) without an instance for its current
 * period gets one (at most `chunk`), host and status by the rotation rule, marked with this run's id
 * so the kinds create subjects for exactly these rows. Exactly once per (series, period): the unique
 * key makes a duplicate or concurrent run's insert a no-op. Only the CURRENT period is ensured: a
 * period that passed entirely without a run is not created backwards — nor later, when the clock
 * goes back into it: no instance is created for a period earlier than the series' latest one, so
 * the rotation (which reads the latest earlier instance) never alternates out of order.
 */
function ensureInstances(db: Db, o: { runId: string; now: Date; chunk: number; kinds: string[] }) {
  const period = currentPeriodSql(sql`s.cadence`, o.now);
  const kinds = o.kinds.length ? sql`s.kind in ${o.kinds}` : sql`0`;
  const due = sql`select s.id, s.jurisdiction_id, s.first_host, s.alternate, ${period} as period
    from series s
    where s.active = 1 and ${kinds} and s.start_period <= ${period}
      and not exists (select 1 from series_instances i where i.series_id = s.id and i.period >= ${period})
    order by s.id limit ${o.chunk}`;
  return db.run(sql`insert into series_instances
      (id, series_id, jurisdiction_id, period, host, status, subject_id, run_id, created_at)
    select n_.id, n_.series_id, n_.jurisdiction_id, n_.period, n_.host, n_.instance_status,
      case when n_.instance_status = 'open' then n_.id end, ${o.runId}, ${o.now.toISOString()}
    from (select ${o.runId} || '.' || printf('%04d', row_number() over (order by r_.id)) as id,
        r_.id as series_id, r_.jurisdiction_id, r_.period, r_.host, r_.instance_status
      from (${rotation(due)}) r_) n_
    where true
    on conflict do nothing`);
}

/**
 * The agreed changes an instance of this run was created under: a 'rotation_changed' entry on the
 * change's timeline (`<instance id>.o`), so the rotation record shows that it took effect.
 */
const appliedAtCreation = (db: Db, runId: string, now: string) =>
  db.run(sql`insert into subject_events
      (id, jurisdiction_id, subject_type, subject_id, at, actor_id, type, note, data)
    select i.id || '.o', i.jurisdiction_id, 'series_override', o.id, ${now}, null, 'rotation_changed', null,
      json_object('period', i.period, 'action', o.action, 'host', i.host, 'subjectId', i.subject_id)
    from series_instances i
    join series_overrides o on o.series_id = i.series_id and o.period = i.period and o.status = 'agreed'
    where i.run_id = ${runId}
    on conflict do nothing`);

export const SERIES_CHUNK = 1000;

export type SeriesCounts = {
  series: number;
  instances: number;
  skipped: number;
  subjects: number;
  notifications: number;
  batches: number;
};

/**
 * The cron job (daily): makes sure every pair has its series and every series its instance of the
 * current period once that period is due (its kind's `plannedFrom`: the seminar from SEMINAR_PLAN_BY). Set-based, in chunks of at most `chunk` instances, one batch (one round trip) each,
 * until a chunk comes back short: ⌈new instances / chunk⌉ batches, and one when nothing is due.
 */
export async function runSeries(deps: Deps, now: Date, chunk = SERIES_CHUNK): Promise<SeriesCounts> {
  const { db } = deps;
  const counts: SeriesCounts = {
    series: 0,
    instances: 0,
    skipped: 0,
    subjects: 0,
    notifications: 0,
    batches: 0,
  };
  const at = now.toISOString();
  for (;;) {
    const prefixes = PER_PAIR.map(() => deps.ids());
    const runId = deps.ids();
    const ofKind = prefixes.map((p) => sql`(id > ${`${p}.`} and id < ${`${p}/`})`);
    const created = sql.join(ofKind, sql` or `);
    // The most series one kind's chunk created: the loop goes on while some kind's chunk was full.
    const fullest = sql`max(${sql.join(
      ofKind.map((c) => sql`(select count(*) from series where ${c})`),
      sql`, `,
    )}, 0)`;
    const stmts = [
      ...PER_PAIR.map(([kind, def], k) => ensureSeries(db, kind, def, { prefix: prefixes[k]!, now, chunk })),
      ensureInstances(db, { runId, now, chunk, kinds: dueKinds(deps.config, now) }),
      ensureEndedInstances(db, { runId, now, chunk }),
      ...KINDS.flatMap(([, def]) => def.create(db, { runId, now: at })),
      appliedAtCreation(db, runId, at),
      outboxFromSubjectEvents(
        db,
        sql`ev.id in (select i.id || '.c' from series_instances i where i.run_id = ${runId}
          union all select i.id || '.o' from series_instances i where i.run_id = ${runId})`,
      ),
      // The rotation record changed: clients syncing series (updatedSince) see it.
      db.run(sql`update series set updated_at = ${at}
        where id in (select i.series_id from series_instances i where i.run_id = ${runId})`),
      db.all<Omit<SeriesCounts, "batches"> & { fullest: number }>(sql`select
        (select count(*) from series where ${created}) as series, ${fullest} as fullest,
        (select count(*) from series_instances where run_id = ${runId}) as instances,
        (select count(*) from series_instances where run_id = ${runId} and status = 'skipped') as skipped,
        (select count(*) from series_instances where run_id = ${runId} and subject_id is not null) as subjects,
        (select count(*) from notifications where id > ${`${runId}.`} and id < ${`${runId}/`}) as notifications`),
    ];
    const results = (await db.batch(stmts as never)) as unknown[];
    counts.batches++;
    const [c] = results.at(-1) as (Omit<SeriesCounts, "batches"> & { fullest: number })[];
    for (const k of ["series", "instances", "skipped", "subjects", "notifications"] as const)
      counts[k] += c![k];
    if (c!.instances < chunk && c!.fullest < chunk) return counts;
  }
}

// ── Rotation changes take effect through the co-signature ────────────────────────────────────────

/**
 * The hooks of subject type 'series_override', run in the batch of the signature that ends the round
 * (guarded by ctx.done). Signed: the change is agreed, and when the period's instance already exists
 * and its subject may still change (a meeting still planning, no confirmed slot), it is applied now:
 * the instance's host flips (swap) or it is skipped, the subject follows, and both timelines say
 * 'rotation_changed'. Otherwise the cron applies it when it creates the instance. Refused: the change
 * is refused (a new one may be proposed for the period).
 */
export const overrideHooks: CosignHooks = {
  onSigned: (db, ctx) => {
    const id = ctx.subjectId;
    const of = (col: string) => sql`(select o_.${sql.raw(col)} from series_overrides o_ where o_.id = ${id})`;
    const instance = (col: string) => sql`(select i_.${sql.raw(col)} from series_instances i_
      join series_overrides o_ on o_.series_id = i_.series_id and o_.period = i_.period
      where o_.id = ${id})`;
    const agreed = sql`exists (select 1 from series_overrides o_ where o_.id = ${id} and o_.status = 'agreed')`;
    const [agreedEv, changedEv] = [ctx.ids(), ctx.ids()];
    const subjectEvs = KINDS.map(() => ctx.ids());
    const appliedAny = sql`exists (select 1 from subject_events e_ where e_.id in ${subjectEvs})`;
    return [
      db.run(sql`update series_overrides set status = 'agreed', updated_at = ${ctx.now}
        where id = ${id} and status = 'proposed' and ${ctx.done}`),
      recordEvent(db, {
        id: agreedEv,
        jurisdictionId: of("jurisdiction_id"),
        subjectType: "series_override",
        subjectId: id,
        actorId: ctx.actorId,
        type: "approved",
        at: ctx.now,
        when: sql`${ctx.done} and ${agreed}`,
      }),
      // Applied now only while the period's instance is open and its subject may still change.
      ...KINDS.map(([kind, def], k) =>
        recordEvent(db, {
          id: subjectEvs[k]!,
          jurisdictionId: of("jurisdiction_id"),
          subjectType: def.subjectType,
          subjectId: instance("subject_id"),
          actorId: ctx.actorId,
          type: "rotation_changed",
          data: sql`json_object('overrideId', ${of("id")}, 'period', ${of("period")},
            'action', ${of("action")}, 'reason', ${of("reason")})`,
          at: ctx.now,
          when: sql`${ctx.done} and ${agreed} and ${instance("status")} = 'open'
            and (select s_.kind from series s_ where s_.id = ${of("series_id")}) = ${kind}
            and ${def.changeable(instance("subject_id"))}`,
        }),
      ),
      recordEvent(db, {
        id: changedEv,
        jurisdictionId: of("jurisdiction_id"),
        subjectType: "series_override",
        subjectId: id,
        actorId: ctx.actorId,
        type: "rotation_changed",
        data: sql`json_object('period', ${of("period")}, 'action', ${of("action")},
          'subjectId', ${instance("subject_id")})`,
        at: ctx.now,
        when: appliedAny,
      }),
      ...KINDS.flatMap(([, def], k) =>
        def.apply(db, {
          subjectId: instance("subject_id"),
          action: of("action"),
          now: ctx.now,
          applied: sql`exists (select 1 from subject_events e_ where e_.id = ${subjectEvs[k]!})`,
        }),
      ),
      db.run(sql`update series_instances set
          host = case when ${of("action")} = 'swap' then ${other(sql`host`)} else host end,
          status = case when ${of("action")} = 'skip' then 'skipped' else status end
        where id = ${instance("id")} and ${appliedAny}`),
      db.run(sql`update series set updated_at = ${ctx.now} where id = ${of("series_id")} and ${ctx.done}`),
      outboxFromSubjectEvents(db, sql`ev.id in ${[agreedEv, changedEv, ...subjectEvs]}`),
    ];
  },
  onRefused: (db, ctx) => {
    const id = ctx.subjectId;
    const eventId = ctx.ids();
    return [
      db.run(sql`update series_overrides set status = 'refused', updated_at = ${ctx.now}
        where id = ${id} and status = 'proposed' and ${ctx.done}`),
      recordEvent(db, {
        id: eventId,
        jurisdictionId: sql`(select o_.jurisdiction_id from series_overrides o_ where o_.id = ${id})`,
        subjectType: "series_override",
        subjectId: id,
        actorId: ctx.actorId,
        type: "rejected",
        at: ctx.now,
        when: sql`${ctx.done} and exists (select 1 from series_overrides o_
          where o_.id = ${id} and o_.status = 'refused')`,
      }),
      db.run(sql`update series set updated_at = ${ctx.now}
        where id = (select o_.series_id from series_overrides o_ where o_.id = ${id}) and ${ctx.done}`),
      outboxFromSubjectEvents(db, sql`ev.id = ${eventId}`),
    ];
  },
};
