// Exchanges (ADR 0012): referral notices, periodic reports and petition-risk alerts share one table,
// one guarded transition (a timeline row in subject_events, the change, the outbox — one batch), one
// creation with Idempotency-Key, one list and one detail read. A kind is an entry of EXCHANGE_DEFS:
// its statuses and its subkinds, in one place; its routes and rules live in its own file
// (referrals.ts, reports.ts, risk-alerts.ts).
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Principal, Scope } from "../auth/scope";
import { calendarComplete, chinaDate } from "../calendar/calendar.engine";
import { documents, exchangeNotes, exchanges } from "../db/schema";
import { DEFAULT_LADDERS } from "../escalation/ladder";
import { ladderView, ownLadder, type StepRow, subjectSteps } from "../escalation/owned-task";
import {
  getSubjectTimeline,
  outboxFromSubjectEvents,
  recordEvent,
  type SubjectEventRow,
  subjectChange,
} from "../events/events";
import { type Deps, decodeCursor, encodeCursor, sha256 } from "../http/api";
import { ApiError, conflict, forbidden } from "../http/problem";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { periodEndSql } from "../series/period";
import {
  type ExchangeKind,
  type Label,
  REFERRAL_KINDS,
  REFERRAL_STATUSES,
  REPORT_STATUSES,
  REPORT_TOPICS,
  RISK_ALERT_STATUSES,
  RISK_LEVELS,
  type Role,
  type SUBJECT_EVENTS,
} from "../vocab";

// ── The registry of kinds ─────────────────────────────────────────────────────────────────────

type Vocab = {
  codes: readonly [string, ...string[]];
  label: (code: never) => Label;
  labels: Record<string, Label>;
};

export type ExchangeDef = {
  /** The kind's statuses, in the order an exchange moves through them (the last ones may be ends). */
  statuses: Vocab;
  /** The kind's own classification (`subkind`). */
  subkinds: Vocab;
  /** Where an exchange of this kind lives in the API. */
  href: string;
  /** Timeline labels this kind words differently from SUBJECT_EVENTS (e.g. 撤回 a notice). */
  eventLabels?: Partial<Record<(typeof SUBJECT_EVENTS.codes)[number], Label>>;
};

/** Every kind of exchange: its statuses and subkinds. A kind's rules are in its own file. */
export const EXCHANGE_DEFS: Record<ExchangeKind, ExchangeDef> = {
  referral: {
    statuses: REFERRAL_STATUSES,
    subkinds: REFERRAL_KINDS,
    href: "/v1/referrals/",
    eventLabels: { withdrawn: { zh: "撤回通报", en: "Withdrawn" } },
  },
  report: { statuses: REPORT_STATUSES, subkinds: REPORT_TOPICS, href: "/v1/reports/" },
  risk_alert: { statuses: RISK_ALERT_STATUSES, subkinds: RISK_LEVELS, href: "/v1/risk-alerts/" },
};

// ── The row as one JSON value ─────────────────────────────────────────────────────────────────

export type OrgRef = { id: string; name: string; kind: "court" | "procuratorate" };
export type AttachmentMeta = { name: string; size: number; sha256: string; mediaType: string };

export type ExchangeRow = {
  id: string;
  jurisdictionId: string;
  kind: ExchangeKind;
  subkind: string;
  sender: OrgRef;
  recipient: OrgRef;
  status: string;
  title: string;
  caseNumbers: string[];
  documentId: string | null;
  body: Record<string, unknown>;
  attachments: AttachmentMeta[];
  outcome: Record<string, unknown> | null;
  dueOn: string | null;
  dueAt: string | null;
  deadlineVersion: number;
  /** Whether every year the working-day deadline was counted over had its official calendar. */
  calendarComplete: boolean | null;
  seriesId: string | null;
  period: string | null;
  plan: string | null;
  createdBy: { id: string; name: string } | null;
  /**
   * The names of the people the outcome names (its `…By` and `by` keys at any depth: handledBy,
   * plan.updatedBy, closure.by …), by id, as they are now.
   */
  names: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** Internal: tells an Idempotency-Key's retry from a reuse; never in a response. */
  requestHash: string | null;
};

/**
 * The China day the working-day deadline of exchange `x` is counted from: a report's period end,
 * else the day it was sent (its creation instant + 8 hours).
 */
export const COUNTED_FROM = sql`(case when x.kind = 'report' and x.period is not null
  then ${periodEndSql(sql`(x.body ->> 'cadence')`, sql`x.period`)} else date(x.created_at, '+8 hours') end)`;

const orgJson = (col: string) =>
  sql.raw(`json_object('id', ${col}.id, 'name', ${col}.name, 'kind', ${col}.kind)`);

// One JSON value per row, built by SQLite (see documents.queries.ts FIELDS): cheaper to carry and
// decode than twenty columns.
const ROW = sql`json_object('id', x.id, 'jurisdictionId', x.jurisdiction_id, 'kind', x.kind,
  'subkind', x.subkind, 'sender', json(${orgJson("so")}), 'recipient', json(${orgJson("ro")}),
  'status', x.status, 'title', x.title, 'caseNumbers', json(x.case_numbers),
  'documentId', x.document_id, 'body', json(x.body), 'attachments', json(x.attachments),
  'outcome', json(x.outcome), 'dueOn', x.due_on, 'dueAt', x.due_at,
  'deadlineVersion', x.deadline_version,
  'calendarComplete', json(case when x.due_on is null then null
    when ${calendarComplete(COUNTED_FROM, sql`x.due_on`)} then 'true' else 'false' end),
  'seriesId', x.series_id, 'period', x.period, 'plan', x.plan,
  'createdBy', json(case when x.created_by is null then null else json_object('id', x.created_by,
    'name', coalesce((select cu_.name from users cu_ where cu_.id = x.created_by), '')) end),
  'names', (select json_group_object(u_.id, u_.name) from json_tree(coalesce(x.outcome, '{}')) o_
    join users u_ on u_.id = o_.atom where o_.type = 'text' and (o_.key like '%By' or o_.key = 'by')),
  'createdAt', x.created_at, 'updatedAt', x.updated_at, 'requestHash', x.request_hash) as j`;

const FROM = sql`from exchanges x join organizations so on so.id = x.sender_org_id
  join organizations ro on ro.id = x.recipient_org_id`;

/** Decodes the JSON rows of the exchange queries. */
export const exchangeRows = (rows: { j: string }[]): ExchangeRow[] =>
  rows.map((r) => JSON.parse(r.j) as ExchangeRow);

/** One exchange of a kind, only when the caller's institution is its sender or its recipient. */
export const getExchange = (scope: Scope, kind: ExchangeKind, id: string) =>
  scope.db.all<{ j: string }>(sql`select ${ROW} ${FROM}
    where x.id = ${id} and x.kind = ${kind} and ${scope.visible(exchanges, "x")}`);

/** The exchange the caller created with an Idempotency-Key, of any kind (a reuse across kinds is a reuse). */
const getExchangeByKey = (scope: Scope, key: string) =>
  scope.db.all<{ j: string }>(sql`select ${ROW} ${FROM}
    where x.created_by = ${scope.me.userId} and x.idempotency_key = ${key}
      and ${scope.visible(exchanges, "x")}`);

/** The timeline of the exchange the caller created with an Idempotency-Key (oldest first). */
const timelineByKey = (scope: Scope, key: string) =>
  scope.db.all<SubjectEventRow>(sql`select e.id, e.at, e.type, e.note, e.actor_id as actorId,
      u.name as actorName, e.data
    from subject_events e join exchanges xk_ on xk_.id = e.subject_id and xk_.kind = e.subject_type
      left join users u on u.id = e.actor_id
    where xk_.created_by = ${scope.me.userId} and xk_.idempotency_key = ${key}
      and ${scope.visible(exchanges, "xk_")}
    order by e.at, e.id`);

export type NoteRow = {
  id: string;
  kind: "comment" | "assessment";
  org: { id: string; name: string };
  author: { id: string; name: string };
  body: string;
  data: Record<string, unknown> | null;
  createdAt: string;
};

/** The notes (comments, assessments) of an exchange the caller sees, oldest first, with names. */
export const exchangeNotesOf = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`select json_object('id', n.id, 'kind', n.kind,
      'org', json_object('id', o.id, 'name', o.name),
      'author', json_object('id', n.author_id, 'name', coalesce(u.name, '')),
      'body', n.body, 'data', json(n.data), 'createdAt', n.created_at) as j
    from exchange_notes n join organizations o on o.id = n.org_id left join users u on u.id = n.author_id
    where n.exchange_id = ${id} and ${scope.visible(exchangeNotes, "n")}
    order by n.created_at, n.id`);

// ── Lists and counts ──────────────────────────────────────────────────────────────────────────

export type Direction = "in" | "out" | "both";

export type ExchangeFilter = {
  direction?: Direction;
  subkind?: string;
  status?: string[];
  /** Created on or after this China date (YYYY-MM-DD). */
  from?: string;
  /** Created on or before this China date (YYYY-MM-DD). */
  to?: string;
  seriesId?: string;
  period?: string;
  documentId?: string;
  /** Only exchanges changed after this instant (any offset). */
  updatedSince?: string;
  cursor?: string;
  limit: number;
};

/** The first instant of a China date (UTC+8), as the UTC ISO string rows keep. */
export const chinaDayStart = (day: string) => new Date(`${day}T00:00:00+08:00`).toISOString();
const nextDay = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** Created-date range, China dates, over `x.created_at`. */
function createdWithin(f: { from?: string; to?: string }): SQL[] {
  const conds: SQL[] = [];
  if (f.from) conds.push(sql`x.created_at >= ${chinaDayStart(f.from)}`);
  if (f.to) conds.push(sql`x.created_at < ${chinaDayStart(nextDay(f.to))}`);
  return conds;
}

/**
 * Which side the caller's institution is on: `in` reads exchanges_recipient_ix, `out`
 * exchanges_sender_ix, `both` the two (an OR over both indexed columns; sender ≠ recipient always).
 */
function side(scope: Scope, kind: ExchangeKind, d: Direction): SQL {
  const me = scope.me.orgId;
  if (d === "in") return sql`x.recipient_org_id = ${me} and x.kind = ${kind}`;
  if (d === "out") return sql`x.sender_org_id = ${me} and x.kind = ${kind}`;
  return sql`((x.sender_org_id = ${me} and x.kind = ${kind})
    or (x.recipient_org_id = ${me} and x.kind = ${kind}))`;
}

/** The SELECT of a page of exchanges of a kind, in update order (a stable cursor: updated_at, id). */
export function listQuery(scope: Scope, kind: ExchangeKind, f: ExchangeFilter): SQL {
  const conds: SQL[] = [side(scope, kind, f.direction ?? "both"), scope.visible(exchanges, "x")];
  if (f.subkind) conds.push(sql`x.subkind = ${f.subkind}`);
  if (f.status?.length) conds.push(sql`x.status in ${f.status}`);
  conds.push(...createdWithin(f));
  if (f.seriesId) conds.push(sql`x.series_id = ${f.seriesId}`);
  if (f.period) conds.push(sql`x.period = ${f.period}`);
  if (f.documentId) conds.push(sql`x.document_id = ${f.documentId}`);
  if (f.updatedSince) conds.push(sql`x.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  if (f.cursor) {
    const [at, id] = decodeCursor(f.cursor, (k) => Number.isFinite(Date.parse(k)));
    conds.push(sql`(x.updated_at, x.id) > (${at}, ${id})`);
  }
  return sql`select ${ROW} ${FROM} where ${sql.join(conds, sql` and `)}
    order by x.updated_at, x.id limit ${f.limit + 1}`;
}

/** A page of a kind's exchanges the caller's institution sent and/or received: ONE statement. */
export async function listExchanges(scope: Scope, kind: ExchangeKind, f: ExchangeFilter) {
  const { principal, items: rows } = await scope.list<ExchangeRow>(listQuery(scope, kind, f));
  const items = rows.slice(0, f.limit);
  const last = items.at(-1);
  const nextCursor = rows.length > f.limit && last ? encodeCursor([last.updatedAt, last.id]) : null;
  return { principal, items, nextCursor };
}

export type CountRow = { direction: "in" | "out"; subkind: string; status: string; n: number };

/**
 * Counts of a kind's exchanges of the caller's institution by direction × subkind × status, created
 * within the China dates `from`–`to`: one aggregate over the sender and recipient indexes.
 */
export const countQuery = (scope: Scope, kind: ExchangeKind, f: { from?: string; to?: string }) => {
  const within = createdWithin(f);
  const w = within.length ? sql` and ${sql.join(within, sql` and `)}` : sql``;
  const me = scope.me.orgId;
  return sql`select json_object('direction', d_, 'subkind', subkind, 'status', status, 'n', n) as j
    from (select 'out' as d_, x.subkind, x.status, count(*) as n from exchanges x
        where x.sender_org_id = ${me} and x.kind = ${kind}${w} group by x.subkind, x.status
      union all
      select 'in', x.subkind, x.status, count(*) from exchanges x
        where x.recipient_org_id = ${me} and x.kind = ${kind}${w} group by x.subkind, x.status)
    order by d_, subkind, status`;
};

export async function countExchanges(scope: Scope, kind: ExchangeKind, f: { from?: string; to?: string }) {
  return (await scope.list<CountRow>(countQuery(scope, kind, f))).items;
}

// ── Deadlines ─────────────────────────────────────────────────────────────────────────────────

/** Today in China (deadlines are China dates). */
export const todayOf = (deps: Deps) => chinaDate(deps.clock.now());

// ── Creating ──────────────────────────────────────────────────────────────────────────────────

export type NewExchange = {
  subkind: string;
  status: string;
  title: string;
  caseNumbers?: string[];
  documentId?: string | null;
  body?: Record<string, unknown>;
  attachments?: AttachmentMeta[];
  /**
   * The working-day deadline: SQL of a date, given the sender's jurisdiction as `jurisdiction`
   * (e.g. `(j) => workdaysAfter(today, 3, countsMakeup(j))`, src/calendar/calendar.engine.ts).
   */
  dueOn?: (jurisdiction: SQL) => SQL;
  /** The clock-hour deadline: an instant. */
  dueAt?: string | null;
  seriesId?: string | null;
  period?: string | null;
  plan?: string | null;
  /** The 'created' timeline row's note and data. */
  note?: string | null;
  data?: Record<string, unknown>;
  /** Its 'created' webhook is urgent (delivered outside business hours), e.g. a risk alert. */
  urgent?: boolean;
};

export type Effects = (
  applied: SQL,
  ctx: { id: string; eventId: string; now: string },
) => BatchItem<"sqlite">[];

export type ExchangeView = {
  row: ExchangeRow;
  timeline: SubjectEventRow[];
};

export const invalidField = (path: string, message: string, code: string) =>
  new ApiError(400, "validation_failed", "The request has invalid fields.", {
    errors: [{ in: "json", path, message, code }],
  });

/**
 * createExchange: the exchange, sent by the caller's institution to the other institution of its
 * pair (same jurisdiction, the other kind) — only when the caller holds `roles` (default: the
 * route's) and the document, if any, is one between these two institutions that the caller sees; at
 * most one per (caller, Idempotency-Key). Then, only when THIS request's row exists: the 'created'
 * timeline row, its webhook and `effects` (notices). ONE batch. A retry with the same key and body
 * returns the first row (`created: false`); another body is 409 `idempotency_key_reused`.
 */
export async function createExchange(
  deps: Deps,
  scope: Scope,
  o: {
    kind: ExchangeKind;
    key: string;
    /** The request as received (its hash tells a retry from a reuse of the key). */
    input: unknown;
    values: NewExchange;
    roles?: readonly Role[];
    /** Further conditions over the sender `s_` and recipient `r_` organisations (e.g. its kind). */
    when?: SQL;
    /** Explains a refusal due to `when`, checked first when nothing was created. */
    refuse?: (principal: Principal) => ApiError | undefined;
    effects?: Effects;
  },
): Promise<ExchangeView & { created: boolean; principal: Principal }> {
  const id = deps.ids();
  const eventId = deps.ids();
  const now = deps.clock.now().toISOString();
  const hash = await sha256(JSON.stringify({ kind: o.kind, input: o.input }));
  const v = o.values;
  const created = sql`exists (select 1 from exchanges xc_ where xc_.id = ${id})`;
  const docOk = v.documentId
    ? sql`exists (select 1 from documents d_ where d_.id = ${v.documentId}
        and ${scope.visible(documents, "d_")}
        and d_.sender_org_id in (s_.id, r_.id) and d_.recipient_org_id in (s_.id, r_.id))`
    : sql`1`;
  // The row, with the counterpart of the caller's institution as recipient.
  const insert = scope.db.run(sql`insert into exchanges (id, jurisdiction_id, kind, subkind,
      sender_org_id, recipient_org_id, status, title, case_numbers, document_id, body, attachments,
      due_on, due_at, series_id, period, plan, created_by, idempotency_key, request_hash,
      created_at, updated_at)
    select ${id}, s_.jurisdiction_id, ${o.kind}, ${v.subkind}, s_.id, r_.id, ${v.status}, ${v.title},
      ${JSON.stringify(v.caseNumbers ?? [])}, ${v.documentId ?? null}, ${JSON.stringify(v.body ?? {})},
      ${JSON.stringify(v.attachments ?? [])}, ${v.dueOn ? v.dueOn(sql`s_.jurisdiction_id`) : null},
      ${v.dueAt ?? null}, ${v.seriesId ?? null}, ${v.period ?? null}, ${v.plan ?? null},
      ${scope.me.userId}, ${o.key}, ${hash}, ${now}, ${now}
    from organizations s_ join organizations r_
      on r_.jurisdiction_id = s_.jurisdiction_id and r_.kind <> s_.kind
    where s_.id = ${scope.me.orgId} and ${scope.hasRole(o.roles)} and ${docOk} and ${o.when ?? sql`1`}
    on conflict do nothing`);
  const statements = [
    insert,
    recordEvent(scope.db, {
      id: eventId,
      jurisdictionId: sql`(select xj_.jurisdiction_id from exchanges xj_ where xj_.id = ${id})`,
      subjectType: o.kind,
      subjectId: id,
      actorId: scope.me.userId,
      type: "created",
      note: v.note ?? null,
      data: JSON.stringify(v.data ?? { subkind: v.subkind }),
      at: now,
      when: created,
    }),
    ...(o.effects?.(created, { id, eventId, now }) ?? []),
    outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`, sql`${v.urgent ? 1 : 0}`),
    getExchangeByKey(scope, o.key),
    timelineByKey(scope, o.key),
    // Why nothing was created: the document, the counterpart.
    scope.db.all<{ doc: number; pair: number }>(sql`select
      ${v.documentId ? sql`exists (select 1 from documents d_ where d_.id = ${v.documentId} and ${scope.visible(documents, "d_")} and ${scope.me.orgId} in (d_.sender_org_id, d_.recipient_org_id))` : sql`1`} as doc,
      exists (select 1 from organizations s_ join organizations r_
        on r_.jurisdiction_id = s_.jurisdiction_id and r_.kind <> s_.kind where s_.id = ${scope.me.orgId}) as pair`),
  ] as const;
  const { principal, results } = await scope.run(statements);
  const n = statements.length;
  const [row] = exchangeRows(results[n - 3] as { j: string }[]);
  if (row) {
    if (row.id !== id && (row.requestHash !== hash || row.kind !== o.kind))
      throw conflict(
        "idempotency_key_reused",
        "This Idempotency-Key was used for a different request; use a new key for a new one.",
      );
    return { row, timeline: results[n - 2] as SubjectEventRow[], created: row.id === id, principal };
  }
  const refused = o.refuse?.(principal);
  if (refused) throw refused;
  const [why] = results[n - 1] as { doc: number; pair: number }[];
  if (!why?.doc)
    throw invalidField(
      "documentId",
      "not a supervision document between your institution and its counterpart",
      "document_not_found",
    );
  if (!why.pair) throw conflict("no_counterpart", "Your institution has no counterpart in its pair.");
  if (o.roles && !principal.roles.some((r) => o.roles!.includes(r))) throw forbidden();
  throw conflict("concurrent_change", "The exchange could not be created; retry.");
}

// ── Notices ───────────────────────────────────────────────────────────────────────────────────

/**
 * notifyExchange: one notice per active user of the exchange's `side` institution holding one of
 * `roles` (and its creator, with `creator`), only when `applied` holds; `zh`/`en` are SQL over the
 * exchange `x`. Deduplicated per (dedupe, user): a retried batch never notifies twice.
 */
export function notifyExchange(
  scope: Scope,
  o: {
    id: string;
    exchangeId: string;
    applied: SQL;
    side: "sender" | "recipient";
    roles: readonly Role[];
    creator?: boolean;
    kind: string;
    zh: SQL;
    en: SQL;
    dedupe: string;
    urgent?: boolean;
    now: string;
  },
) {
  const org = o.side === "sender" ? sql`x.sender_org_id` : sql`x.recipient_org_id`;
  const creator = o.creator ? sql` or u.id = x.created_by` : sql``;
  const holds = o.roles.length
    ? sql`exists (select 1 from role_assignments r_ where r_.user_id = u.id and r_.role in ${o.roles})`
    : sql`0`;
  return scope.db.run(sql`${INSERT_NOTIFICATIONS}
    select ${o.id} || '.' || u.id, x.jurisdiction_id, u.id, ${o.kind}, x.kind, x.id, ${o.zh}, ${o.en},
      ${o.urgent ? 1 : 0}, ${o.dedupe} || ':' || u.id, ${o.now}
    from exchanges x join users u on u.active = 1 and ((u.org_id = ${org} and ${holds})${creator})
    where x.id = ${o.exchangeId} and ${o.applied}
    on conflict do nothing`);
}

// ── Changing ──────────────────────────────────────────────────────────────────────────────────

/** Which side of an exchange may act. */
export type Party = "sender" | "recipient" | "either";

export type ActSpec = {
  event: (typeof SUBJECT_EVENTS.codes)[number];
  party: Party;
  /** The roles that may act (default: the route's). */
  roles?: readonly Role[];
  /** The statuses it may act from. */
  from: readonly string[];
  /** The status after the change (none: the status stays). */
  to?: string;
  /** Further SET assignments (may read the row's current columns). */
  set?: SQL;
  /** Further conditions over the row `x_` that must hold. */
  when?: SQL;
  note?: string | null;
  /** What changed, as a JSON object (SQL or a JSON string). */
  data?: SQL | string | null;
  /** Statements that take effect only when the change applies (notices …). */
  effects?: Effects;
  /** Explains a refusal that is not the party, role or status (the `when` conditions). */
  refuse?: (row: ExchangeRow, principal: Principal) => ApiError | undefined;
};

const partyOf = (row: ExchangeRow, p: Principal): Party =>
  row.sender.id === p.orgId ? "sender" : "recipient";

/** The 409 of a change asked of an exchange in the wrong status, with the code a person expects. */
export function statusRefusal(row: ExchangeRow, spec: Pick<ActSpec, "from" | "to">): ApiError {
  const def = EXCHANGE_DEFS[row.kind];
  const label = (s: string) => def.statuses.labels[s] ?? { zh: s, en: s };
  const order = def.statuses.codes as readonly string[];
  const now = label(row.status);
  const make = (code: string, detail: string, l: Label) =>
    new ApiError(409, code, detail, { label: l, current: row.status });
  if (row.status === "withdrawn")
    return make("exchange_withdrawn", "The sender withdrew it; nothing more can change.", {
      zh: "对方已撤回,不能再办理",
      en: "Withdrawn by the sender; nothing more can change",
    });
  const past = Math.max(...spec.from.map((s) => order.indexOf(s)));
  if (row.status === spec.to || order.indexOf(row.status) > past)
    return make(`already_${row.status}`, `It is already ${now.en.toLowerCase()}.`, {
      zh: `已是「${now.zh}」状态`,
      en: `Already ${now.en.toLowerCase()}`,
    });
  const needed = spec.from.map((s) => label(s));
  return make(
    `not_${spec.from[0]}`,
    `It is ${now.en.toLowerCase()}; this needs it ${needed.map((l) => l.en.toLowerCase()).join(" or ")}.`,
    {
      zh: `当前为「${now.zh}」,须为「${needed.map((l) => l.zh).join("」或「")}」`,
      en: `It is ${now.en.toLowerCase()}; this needs it ${needed.map((l) => l.en.toLowerCase()).join(" or ")}`,
    },
  );
}

/**
 * actOnExchange: one change of an exchange in ONE batch (subjectChange + effects + outbox + the row
 * and timeline after). Refusals in the order a person wants them: 404 not visible, 403 wrong party
 * or role, 409 wrong status (`not_<from>`, `already_<status>`, `exchange_withdrawn`), then `refuse`,
 * then 409 `concurrent_change`. A refused change writes nothing.
 */
export async function actOnExchange(
  deps: Deps,
  scope: Scope,
  kind: ExchangeKind,
  id: string,
  spec: ActSpec,
): Promise<ExchangeView & { principal: Principal }> {
  const eventId = deps.ids();
  const now = deps.clock.now().toISOString();
  const me = scope.me.orgId;
  const conds = [sql`x_.kind = ${kind}`, sql`x_.status in ${spec.from}`];
  if (spec.party === "sender") conds.push(sql`x_.sender_org_id = ${me}`);
  if (spec.party === "recipient") conds.push(sql`x_.recipient_org_id = ${me}`);
  if (spec.when) conds.push(spec.when);
  const set = [spec.to ? sql`status = ${spec.to}` : undefined, spec.set].filter((s): s is SQL => !!s);
  const t = subjectChange(scope, {
    table: exchanges,
    subjectType: kind,
    id,
    eventId,
    now,
    conds: sql.join(conds, sql` and `),
    roles: spec.roles,
    set: set.length ? sql.join(set, sql`, `) : undefined,
    type: spec.event,
    note: spec.note ?? null,
    data: spec.data ?? null,
  });
  const effects = spec.effects?.(t.applied, { id, eventId, now }) ?? [];
  const n = t.statements.length + effects.length + 1;
  const { principal, results } = await scope.run(
    [
      ...t.statements,
      ...effects,
      outboxFromSubjectEvents(scope.db, sql`ev.id = ${eventId}`),
      getExchange(scope, kind, id),
      getSubjectTimeline(scope, kind, id),
      scope.db.all<{ ok: number }>(sql`select ${t.applied} as ok`),
    ] as const,
    (r) => (r[n] as { j: string }[])[0],
  );
  const row = exchangeRows(results[n] as { j: string }[])[0]!;
  const timeline = results[n + 1] as SubjectEventRow[];
  if (!(results[n + 2] as { ok: number }[])[0]?.ok) {
    if (spec.party !== "either" && partyOf(row, principal) !== spec.party)
      throw forbidden(
        spec.party === "sender"
          ? "Only the institution that sent it may do this."
          : "Only the institution it was sent to may do this.",
      );
    const roles = spec.roles ?? (scope.allowedRoles === "any" ? undefined : scope.allowedRoles);
    if (roles && !principal.roles.some((r) => roles.includes(r)))
      throw forbidden(`This needs one of the roles: ${roles.join(", ")}.`);
    if (!spec.from.includes(row.status)) throw statusRefusal(row, spec);
    throw (
      spec.refuse?.(row, principal) ??
      conflict("concurrent_change", "The exchange changed while this request ran; reload it and retry.")
    );
  }
  return { row, timeline, principal };
}

// ── Reading one ───────────────────────────────────────────────────────────────────────────────

export type ExchangeDetail = ExchangeView & {
  notes: NoteRow[];
  steps: StepRow[];
  ladder: ReturnType<typeof ladderView>;
  principal: Principal;
};

/** The exchange, its timeline, notes, ladder steps and the ladder in force: one batch; 404 if unseen. */
export async function readExchange(scope: Scope, kind: ExchangeKind, id: string): Promise<ExchangeDetail> {
  const { principal, results } = await scope.run(
    [
      getExchange(scope, kind, id),
      getSubjectTimeline(scope, kind, id),
      exchangeNotesOf(scope, id),
      subjectSteps(scope, kind, id),
      ownLadder(scope, kind, exchanges, id),
    ] as const,
    ([r]) => r[0],
  );
  const [rows, timeline, notes, steps, ladder] = results;
  return {
    row: exchangeRows(rows)[0]!,
    timeline,
    notes: notes.map((r) => JSON.parse(r.j) as NoteRow),
    steps,
    // A kind without a default ladder (and none of the jurisdiction's) has no steps.
    ladder:
      ladder[0] || DEFAULT_LADDERS[kind]
        ? ladderView(kind, ladder[0]?.steps)
        : { source: "default" as const, steps: [] },
    principal,
  };
}
