// Statistics of a pair and period (S3.2.2) and the city roll-up (S4.1): every figure is an SQL
// aggregate over an index (ADR 0013 "Query plans"), read in one batch, and carries the list query
// that lists exactly the rows it counts (the pair's own view; the roll-up gives figures only).
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { chinaDate } from "../calendar/calendar.engine";
import { jurisdictions } from "../db/schema";
import { ApiError } from "../http/problem";
import {
  ANY_PERIOD,
  periodEnd,
  periodLabel,
  periodStart,
  periodStartsAt,
  nextPeriod,
} from "../series/period";
import {
  ACK_RESULTS,
  type Cadence,
  DOC_STATUSES,
  DOC_TYPES,
  type DocType,
  docSender,
  EXCHANGE_KINDS,
  type Label,
  type OrgKind,
  REFERRAL_KINDS,
  REFERRAL_STATUSES,
  REPORT_STATUSES,
  REPORT_TOPICS,
  RETRIAL_RESULTS,
  vocabulary,
} from "../vocab";

// ── Periods ───────────────────────────────────────────────────────────────────────────────────

export type Period = {
  key: string;
  label: Label;
  /** First and last day (China dates) and the instants that bound them (UTC ISO, end exclusive). */
  from: string;
  to: string;
  fromAt: string;
  toAt: string;
};

const cadenceOf = (key: string): Cadence =>
  key.length === 4 ? "year" : key[5] === "H" ? "half_year" : key[5] === "Q" ? "quarter" : "month";

/** The period of a key ('2026', '2026-H1', '2026-Q3', '2026-07'); the current year by default. */
export function parsePeriod(key: string | undefined, now: Date): Period {
  const k = key ?? chinaDate(now).slice(0, 4);
  if (!ANY_PERIOD.test(k))
    throw new ApiError(400, "validation_failed", "The request has invalid fields.", {
      errors: [
        { in: "query", path: "period", message: "a period such as 2026, 2026-H1, 2026-Q3 or 2026-07" },
      ],
    });
  const c = cadenceOf(k);
  return {
    key: k,
    label: periodLabel(c, k),
    from: periodStart(c, k),
    to: periodEnd(c, k),
    fromAt: periodStartsAt(c, k).toISOString(),
    toAt: periodStartsAt(c, nextPeriod(c, k)).toISOString(),
  };
}

// ── Vocabularies of the tables ────────────────────────────────────────────────────────────────

/** Who sent the documents a row counts. */
export const DIRECTIONS = vocabulary({
  procuratorate: { zh: "检察院发出", en: "Sent by the procuratorate" },
  court: { zh: "法院发出", en: "Sent by the court" },
});
type Direction = OrgKind;

const COURT_TYPES = DOC_TYPES.codes.filter((t) => docSender(t) === "court");
/** Protests and retrial suggestions: the documents whose reply rules on a retrial. */
export const RETRIAL_TYPES = DOC_TYPES.codes.filter(
  (t) => t.startsWith("protest.") || t.startsWith("retrial_suggestion."),
);
const OPEN = sql`('received', 'assigned')`;

// ── The pairs a statement covers ─────────────────────────────────────────────────────────────

/**
 * The pairs whose figures the caller reads, as an SQL id list: its own pair, or (roll-up) the
 * basic-level pairs under its city pair. Figures are authorised by the jurisdictions policy, not the
 * documents one: they are counts of a pair, never a record (ADR 0013); the records stay 404.
 */
export function pairsOf(scope: Scope, mode: "pair" | "rollup"): SQL {
  const mine =
    mode === "pair"
      ? sql`jp_.id = ${scope.me.jurisdictionId}`
      : sql`jp_.parent_id = ${scope.me.jurisdictionId} and jp_.level = 'basic'`;
  return sql`(select jp_.id from jurisdictions jp_ where ${mine} and ${scope.visible(jurisdictions, "jp_")})`;
}

/** The rows of `documents d` a statement counts: the pairs' documents sent in the period. */
const docsOf = (pairs: SQL, p: Period) =>
  sql`d.jurisdiction_id in ${pairs} and d.sent_on between ${p.from} and ${p.to}`;

const direction = sql`(case when d.type in ${COURT_TYPES} then 'court' else 'procuratorate' end)`;

// ── Statements (each one aggregate; the plans are in ADR 0013) ─────────────────────────────────

/**
 * Every document figure but the working days, in ONE pass: the pairs' documents of the period grouped
 * by pair, type and status (a few hundred groups per pair at most), each group with the sums the
 * tables need. Reads documents_stats_ix alone: one range per pair, no table row.
 * "Overdue now" is the list's `overdue=true` (open and past due today); "late"/"on time" the reply's
 * `reply_late`, fixed when it was filed; "follow-up" a document the next level took up
 * (followup_org_id set: a reply not accepted, or an escalation after 15 working days overdue);
 * "pending" a retrial ruled without a result yet.
 */
export const docGroups = (scope: Scope, pairs: SQL, p: Period, today: string) =>
  scope.db.all<DocGroup>(sql`
    select d.jurisdiction_id as pair, d.type, d.status, count(*) as n,
      sum(d.replied_on is not null) as replied,
      sum(d.replied_on is not null and d.reply_late = 0) as onTime,
      sum(d.replied_on is not null and d.reply_late = 1) as late,
      sum(d.status in ${OPEN} and d.due_on < ${today}) as overdueNow,
      sum(d.status = 'replied') as awaitingAck,
      sum(d.ack_result = 'accepted') as accepted,
      sum(d.ack_result = 'partly_accepted') as partlyAccepted,
      sum(d.ack_result = 'not_accepted') as notAccepted,
      sum(d.followup_org_id is not null) as followup,
      sum(d.retrial_ruled = 1) as ruled, sum(d.retrial_ruled = 0) as notRuled,
      sum(d.retrial_result = 'upheld') as upheld, sum(d.retrial_result = 'changed') as changed,
      sum(d.retrial_result = 'remanded') as remanded, sum(d.retrial_result = 'mediated') as mediated,
      sum(d.retrial_ruled = 1 and d.retrial_result is null) as pending
    from documents d where ${docsOf(pairs, p)}
    group by d.jurisdiction_id, d.type, d.status`);

type DocGroup = Omit<ReplyCounts, "dir"> &
  Omit<RetrialCounts, "total" | "replied" | "pair"> & { type: DocType; status: string; n: number };

/** The groups of `docGroups` as the tables read them: by type and status, by direction, retrials. */
export function splitGroups(groups: DocGroup[]) {
  return {
    byTypeStatus: groups,
    replies: groups.map((g) => ({ ...g, dir: docSender(g.type) })) as ReplyCounts[],
    retrials: groups
      .filter((g) => RETRIAL_TYPES.includes(g.type))
      .map((g) => ({ ...g, total: g.n })) as RetrialCounts[],
  };
}

type ReplyCounts = {
  pair: string;
  dir: Direction;
  replied: number;
  onTime: number;
  late: number;
  overdueNow: number;
  awaitingAck: number;
  accepted: number;
  partlyAccepted: number;
  notAccepted: number;
  followup: number;
};

type RetrialCounts = {
  pair: string;
  type: DocType;
  total: number;
  replied: number;
  ruled: number;
  notRuled: number;
  upheld: number;
  changed: number;
  remanded: number;
  mediated: number;
  pending: number;
};

/**
 * Working days from receipt to reply (the day of receipt not counted: a reply the next working day
 * is 1), on each pair's calendar (调休 setting), as a subtraction of calendar_days' cumulative
 * indexes (ADR 0005); the average and the 90th percentile (nearest rank: the ⌈0.9·n⌉-th smallest)
 * per pair, and with `withTotal` also over all the pairs together (pair 'total', the roll-up's
 * total: not an average of averages). One pass: the index range plus two calendar look-ups by
 * primary key per replied document, materialised once for both partitions.
 */
export const replyWorkdays = (scope: Scope, pairs: SQL, p: Period, withTotal: boolean) =>
  scope.db.all<{ pair: string; dir: Direction; n: number; avg: number | null; p90: number | null }>(sql`
    with w as materialized (
      select d.jurisdiction_id as pair, ${direction} as dir,
        case when jw_.count_makeup_workdays then cr_.wd_idx - cv_.wd_idx
          else cr_.wd_idx_strict - cv_.wd_idx_strict end as days
      from documents d
      join jurisdictions jw_ on jw_.id = d.jurisdiction_id
      join calendar_days cv_ on cv_.day = d.received_on
      join calendar_days cr_ on cr_.day = d.replied_on
      where ${docsOf(pairs, p)} and d.replied_on is not null),
    k as (select pair, dir, days from w
      union all select 'total', dir, days from w where ${withTotal ? 1 : 0}),
    r as (select pair, dir, days,
        row_number() over (partition by pair, dir order by days) as rn,
        count(*) over (partition by pair, dir) as n
      from k)
    select pair, dir, count(*) as n, round(avg(days), 1) as avg,
      min(case when rn >= (9 * n + 9) / 10 then days end) as p90
    from r group by pair, dir`);

/** A charge with every kind of white space removed (ASCII, tab, newlines, full-width U+3000). */
const normalised = (col: SQL) =>
  sql`replace(replace(replace(replace(replace(${col}, ' ', ''), char(12288), ''), char(9), ''),
    char(10), ''), char(13), '')`;

/**
 * 诉判不一: the pairs' criminal case records entered in the period (created_at within its instants)
 * whose prosecuted and judged charges are both set and differ once white space is removed. Uses
 * case_records_stats_ix (jurisdiction_id, case_type, created_at), then the record for the charges.
 */
export const verdictCounts = (scope: Scope, pairs: SQL, p: Period) =>
  scope.db.all<{ pair: string; criminal: number; compared: number; differing: number }>(sql`
    select c.jurisdiction_id as pair, count(*) as criminal,
      sum(nullif(c.charge_prosecuted, '') is not null and nullif(c.charge_judged, '') is not null)
        as compared,
      sum(nullif(c.charge_prosecuted, '') is not null and nullif(c.charge_judged, '') is not null
        and ${normalised(sql`c.charge_prosecuted`)} <> ${normalised(sql`c.charge_judged`)}) as differing
    from case_records c
    where c.jurisdiction_id in ${pairs} and c.case_type = 'criminal'
      and c.created_at >= ${p.fromAt} and c.created_at < ${p.toAt}
    group by c.jurisdiction_id`);

/** The first day of a period key of any cadence, in SQL (as `periodStart`). */
const periodFirstDay = (k: SQL) => sql`(case
    when length(${k}) = 4 then ${k} || '-01-01'
    when substr(${k}, 6, 1) = 'H' then substr(${k}, 1, 4) || iif(substr(${k}, 7, 1) = '1', '-01-01', '-07-01')
    when substr(${k}, 6, 1) = 'Q' then substr(${k}, 1, 4) || '-'
      || printf('%02d', (cast(substr(${k}, 7, 1) as integer) - 1) * 3 + 1) || '-01'
    else ${k} || '-01' end)`;

type ExchangeCounts = {
  pair: string;
  kind: "referral" | "report";
  subkind: string;
  status: string;
  n: number;
  submitted: number;
  late: number;
  overdueNow: number;
};

/**
 * Referral notices created in the period and periodic reports of the periods that begin in it, by
 * kind, subkind and status; a report is late when submitted after its due date (`body.late`, set on
 * submission), overdue now when still due past its due date. Both use exchanges_pair_ix
 * (jurisdiction_id, kind, created_at): a range for referrals, the pair's reports for reports.
 */
export const exchangeCounts = (scope: Scope, pairs: SQL, p: Period, today: string) => {
  const cols = sql`x.jurisdiction_id as pair, x.kind, x.subkind, x.status, count(*) as n,
    sum(x.status <> 'due') as submitted,
    sum(x.status <> 'due' and coalesce(x.body ->> '$.late', 0)) as late,
    sum(x.status = 'due' and x.due_on < ${today}) as overdueNow`;
  return scope.db.all<ExchangeCounts>(sql`
    select ${cols} from exchanges x
    where x.jurisdiction_id in ${pairs} and x.kind = 'referral'
      and x.created_at >= ${p.fromAt} and x.created_at < ${p.toAt}
    group by x.jurisdiction_id, x.subkind, x.status
    union all
    select ${cols} from exchanges x
    where x.jurisdiction_id in ${pairs} and x.kind = 'report'
      and ${periodFirstDay(sql`x.period`)} between ${p.from} and ${p.to}
    group by x.jurisdiction_id, x.subkind, x.status`);
};

/** The pairs themselves (id, code, name), in code order: the roll-up's rows, zeros included. */
export const pairRows = (scope: Scope, pairs: SQL) =>
  scope.db.all<{ id: string; code: string; name: string }>(sql`
    select j.id, j.code, j.name from jurisdictions j where j.id in ${pairs} order by j.code`);

/** The caller's own jurisdiction level ('city' or 'basic'), for the roll-up's 404. */
export const myLevel = (scope: Scope) =>
  scope.db.all<{ level: "city" | "basic" }>(sql`
    select j.level from jurisdictions j where j.id = ${scope.me.jurisdictionId}`);

// ── Tables ────────────────────────────────────────────────────────────────────────────────────

export type Figure = { value: number | null; href: string | null };
type Coded = { code: string; label: Label };
export type Row = {
  /** The roll-up's pair (null: the total of all pairs); absent in a pair's own statistics. */
  pair?: { id: string; code: string; name: string } | null;
  dims: Record<string, Coded | null>;
  figures: Record<string, Figure>;
};
export type Table = {
  key: string;
  title: Label;
  dims: { key: string; label: Label }[];
  measures: { key: string; label: Label }[];
  rows: Row[];
  note?: Label;
};

/** A code with its label from `labels` (the code itself for one the vocabulary does not know). */
const labelled = (labels: Record<string, Label>, code: string): Coded => ({
  code,
  label: labels[code] ?? { zh: code, en: code },
});

const TOTAL: Coded = { code: "total", label: { zh: "合计", en: "Total" } };

const M = (key: string, zh: string, en: string) => ({ key, label: { zh, en } });

const DOC_MEASURES = [
  M("total", "合计", "Total"),
  ...DOC_STATUSES.codes.map((s) => M(s, DOC_STATUSES.label(s).zh, DOC_STATUSES.label(s).en)),
];
const REPLY_MEASURES = [
  M("replied", "已回复", "Replied"),
  M("onTime", "按期回复", "Replied on time"),
  M("late", "超期回复", "Replied late"),
  M("overdueNow", "当前超期未回复", "Overdue now"),
  M("avgWorkdays", "平均回复用时(工作日)", "Average working days to reply"),
  M("p90Workdays", "90%回复用时(工作日)", "90th percentile working days to reply"),
  M("awaitingAck", "待反馈", "Awaiting acknowledgement"),
  ...ACK_RESULTS.codes.map((a) =>
    M(
      a === "accepted" ? "accepted" : a === "partly_accepted" ? "partlyAccepted" : "notAccepted",
      ACK_RESULTS.label(a).zh,
      ACK_RESULTS.label(a).en,
    ),
  ),
  M("followup", "启动跟进监督", "Follow-up supervision opened"),
];
const RETRIAL_MEASURES = [
  M("total", "合计", "Total"),
  M("replied", "已回复", "Replied"),
  M("ruled", "裁定再审", "Retrial ruled"),
  M("notRuled", "未裁定再审", "No retrial"),
  ...RETRIAL_RESULTS.codes.map((r) => M(r, RETRIAL_RESULTS.label(r).zh, RETRIAL_RESULTS.label(r).en)),
  M("pending", "再审结果待定", "Retrial pending"),
];
const VERDICT_MEASURES = [
  M("criminal", "刑事案件", "Criminal case records"),
  M("compared", "起诉与判决罪名均已录入", "With both charges recorded"),
  M("differing", "诉判不一", "Verdict differs from the charge"),
];
const EXCHANGE_MEASURES = [
  M("count", "件数", "Count"),
  M("submitted", "已提交", "Submitted"),
  M("onTime", "按期提交", "Submitted on time"),
  M("late", "逾期提交", "Submitted late"),
  M("overdueNow", "逾期未提交", "Overdue, not submitted"),
];

/** Where a pair's figure links: the list query whose rows it counts (null in the roll-up). */
type Links = {
  /** The caller's institution kind: its documents box for a direction is its outbox or inbox. */
  kind: OrgKind;
  period: Period;
};

const q = (params: Record<string, string | undefined>) =>
  Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`)
    .join("&");

function docsHref(l: Links | null, dir: Direction, params: Record<string, string | undefined>) {
  if (!l) return null;
  const box = l.kind === dir ? "outbox" : "inbox";
  return `/v1/documents?${q({ box, sentFrom: l.period.from, sentTo: l.period.to, ...params })}`;
}

const fig = (value: number | null, href: string | null = null): Figure => ({ value, href });
const sum = <T>(rows: T[], f: (r: T) => number | null | undefined) =>
  rows.reduce((n, r) => n + (f(r) ?? 0), 0);

export type Results = {
  byTypeStatus: { pair: string; type: DocType; status: string; n: number }[];
  replies: ReplyCounts[];
  workdays: { pair: string; dir: Direction; n: number; avg: number | null; p90: number | null }[];
  retrials: RetrialCounts[];
  verdicts: { pair: string; criminal: number; compared: number; differing: number }[];
  exchanges: ExchangeCounts[];
};

/**
 * The tables of one pair (`pair` set: the roll-up row's pair, or null for the total; `links` only
 * for the caller's own pair). Only groups come here, never documents: the figures are SQL's.
 */
export function tablesOf(r: Results, pair: Row["pair"], links: Links | null): Table[] {
  const withPair = (row: Omit<Row, "pair">): Row => (pair === undefined ? row : { pair, ...row });
  const directions: Direction[] = ["procuratorate", "court"];

  const docRows: Row[] = directions.flatMap((dir) => {
    const types = DOC_TYPES.codes.filter((t) => docSender(t) === dir);
    const cells = (type: DocType | null) => {
      const rows = r.byTypeStatus.filter((x) => (type ? x.type === type : types.includes(x.type)));
      // A direction's total row: the box and the dates already select that direction's documents.
      const typeParam = type ?? undefined;
      return {
        total: fig(
          sum(rows, (x) => x.n),
          docsHref(links, dir, { type: typeParam }),
        ),
        ...Object.fromEntries(
          DOC_STATUSES.codes.map((s) => [
            s,
            fig(
              sum(
                rows.filter((x) => x.status === s),
                (x) => x.n,
              ),
              docsHref(links, dir, { type: typeParam, status: s }),
            ),
          ]),
        ),
      };
    };
    return [
      ...types.map((t) =>
        withPair({ dims: { direction: DIRECTIONS.item(dir), type: DOC_TYPES.item(t) }, figures: cells(t) }),
      ),
      withPair({ dims: { direction: DIRECTIONS.item(dir), type: TOTAL }, figures: cells(null) }),
    ];
  });

  const replyRows: Row[] = directions.map((dir) => {
    const c = r.replies.filter((x) => x.dir === dir);
    const w = r.workdays.find((x) => x.dir === dir);
    const n = (k: keyof ReplyCounts) => sum(c, (x) => x[k] as number);
    const replied = docsHref(links, dir, { status: "replied,acknowledged" });
    return withPair({
      dims: { direction: DIRECTIONS.item(dir) },
      figures: {
        replied: fig(n("replied"), replied),
        onTime: fig(n("onTime"), docsHref(links, dir, { replyLate: "false" })),
        late: fig(n("late"), docsHref(links, dir, { replyLate: "true" })),
        overdueNow: fig(n("overdueNow"), docsHref(links, dir, { overdue: "true" })),
        avgWorkdays: fig(w?.avg ?? null, replied),
        p90Workdays: fig(w?.p90 ?? null, replied),
        awaitingAck: fig(n("awaitingAck"), docsHref(links, dir, { status: "replied" })),
        accepted: fig(n("accepted"), docsHref(links, dir, { ackResult: "accepted" })),
        partlyAccepted: fig(n("partlyAccepted"), docsHref(links, dir, { ackResult: "partly_accepted" })),
        notAccepted: fig(n("notAccepted"), docsHref(links, dir, { ackResult: "not_accepted" })),
        followup: fig(n("followup"), docsHref(links, dir, { followup: "true" })),
      },
    });
  });

  const retrialRows: Row[] = [...RETRIAL_TYPES, null].map((type) => {
    const c = r.retrials.filter((x) => (type ? x.type === type : true));
    const n = (k: keyof RetrialCounts) => sum(c, (x) => x[k] as number);
    const h = (params: Record<string, string>) =>
      docsHref(links, "procuratorate", { type: type ?? RETRIAL_TYPES.join(","), ...params });
    return withPair({
      dims: { type: type ? DOC_TYPES.item(type) : TOTAL },
      figures: {
        total: fig(n("total"), h({})),
        replied: fig(n("replied"), h({ status: "replied,acknowledged" })),
        ruled: fig(n("ruled"), h({ retrialRuled: "true" })),
        notRuled: fig(n("notRuled"), h({ retrialRuled: "false" })),
        ...Object.fromEntries(
          RETRIAL_RESULTS.codes.map((res) => [res, fig(n(res), h({ retrialResult: res }))]),
        ),
        pending: fig(n("pending"), h({ retrialResult: "pending" })),
      },
    });
  });

  const verdictRow = withPair({
    dims: {},
    figures: {
      criminal: fig(sum(r.verdicts, (x) => x.criminal)),
      compared: fig(sum(r.verdicts, (x) => x.compared)),
      differing: fig(sum(r.verdicts, (x) => x.differing)),
    },
  });

  const exchangeRows: Row[] = (["referral", "report"] as const).flatMap((kind) => {
    const rows = r.exchanges.filter((x) => x.kind === kind);
    const keys = [...new Set(rows.map((x) => `${x.subkind}\u0000${x.status}`))].sort();
    const figures = (xs: ExchangeCounts[], total: boolean) => ({
      count: fig(
        sum(xs, (x) => x.n),
        total && kind === "referral" && links
          ? `/v1/referrals?${q({ from: links.period.from, to: links.period.to })}`
          : null,
      ),
      submitted: fig(kind === "report" ? sum(xs, (x) => x.submitted) : null),
      onTime: fig(kind === "report" ? sum(xs, (x) => x.submitted - x.late) : null),
      late: fig(kind === "report" ? sum(xs, (x) => x.late) : null),
      overdueNow: fig(kind === "report" ? sum(xs, (x) => x.overdueNow) : null),
    });
    return [
      ...keys.map((k) => {
        const [subkind, status] = k.split("\u0000") as [string, string];
        return withPair({
          dims: {
            kind: EXCHANGE_KINDS.item(kind),
            subkind: labelled(kind === "referral" ? REFERRAL_KINDS.labels : REPORT_TOPICS.labels, subkind),
            status: labelled(kind === "referral" ? REFERRAL_STATUSES.labels : REPORT_STATUSES.labels, status),
          },
          figures: figures(
            rows.filter((x) => x.subkind === subkind && x.status === status),
            false,
          ),
        });
      }),
      withPair({
        dims: { kind: EXCHANGE_KINDS.item(kind), subkind: TOTAL, status: null },
        figures: figures(rows, true),
      }),
    ];
  });

  return [
    {
      key: "documents",
      title: { zh: "监督文书(按类型和状态)", en: "Supervision documents by type and status" },
      dims: [M("direction", "方向", "Direction"), M("type", "文书类型", "Type")],
      measures: DOC_MEASURES,
      rows: docRows,
    },
    {
      key: "replies",
      title: { zh: "回复及时性与反馈认可", en: "Reply timeliness and acceptance" },
      dims: [M("direction", "方向", "Direction")],
      measures: REPLY_MEASURES,
      rows: replyRows,
    },
    {
      key: "retrials",
      title: { zh: "抗诉与再审检察建议办理结果", en: "Protests and retrial suggestions by outcome" },
      dims: [M("type", "文书类型", "Type")],
      measures: RETRIAL_MEASURES,
      rows: retrialRows,
    },
    {
      key: "verdicts",
      title: { zh: "刑事案件诉判不一", en: "Criminal cases: verdict differs from the charge" },
      dims: [],
      measures: VERDICT_MEASURES,
      rows: [verdictRow],
    },
    {
      key: "exchanges",
      title: { zh: "线索通报与定期通报", en: "Referral notices and periodic reports" },
      dims: [M("kind", "类别", "Kind"), M("subkind", "分类", "Subkind"), M("status", "状态", "Status")],
      measures: EXCHANGE_MEASURES,
      rows: exchangeRows,
    },
  ];
}

/** The rows of `r` that belong to `pair` (the roll-up splits one batch's results per pair). */
export function resultsOf(r: Results, pair: string): Results {
  const of = <T extends { pair: string }>(xs: T[]) => xs.filter((x) => x.pair === pair);
  return {
    byTypeStatus: of(r.byTypeStatus),
    replies: of(r.replies),
    workdays: of(r.workdays),
    retrials: of(r.retrials),
    verdicts: of(r.verdicts),
    exchanges: of(r.exchanges),
  };
}

/** The roll-up: each table's rows of every pair, side by side, then the total rows. */
export function rollupTables(perPair: Table[][], total: Table[]): Table[] {
  return total.map((t, i) => ({ ...t, rows: [...perPair.flatMap((p) => p[i]!.rows), ...t.rows] }));
}
