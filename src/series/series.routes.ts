// HTTP routes of the rotation record (ADR 0009): the pair's recurring series with who hosts next and
// why, each series' instances and rotation changes, and the proposal of a change (a host swap or a
// skipped period), which takes effect once both institutions' leaders have co-signed it.
import { z } from "@hono/zod-openapi";
import { CosignSchema, toCosign } from "../cosign/cosign";
import { getSubjectTimeline, SubjectEventSchema, toSubjectEvent } from "../events/events";
import {
  coded,
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  LabelSchema,
  newRouter,
  pageOf,
} from "../http/api";
import { ApiError } from "../http/problem";
import { updatedSince } from "../meetings/meetings.schemas";
import {
  CADENCES,
  MEETING_STATUSES,
  ORG_KINDS,
  OVERRIDE_ACTIONS,
  OVERRIDE_STATUSES,
  SERIES_KINDS,
  SLOT_STATUSES,
  vocabulary,
} from "../vocab";
import { ANY_PERIOD, isPeriod } from "./period";
import { HOST_REASONS } from "./series";
import {
  getOverride,
  getSeries,
  listSeries,
  OVERRIDE_MAX_YEARS,
  overrideHorizon,
  proposeOverride,
  type InstanceRow,
  type OverrideRow,
  type ProposalProbe,
  type SeriesRow,
} from "./series.queries";

const tags = ["Joint meetings"];

/** Why a period has its host (the rotation rule's answer). */
export const HOST_REASON_CODES = vocabulary(HOST_REASONS);

export const INSTANCE_STATUSES = vocabulary({
  open: { zh: "本期举办", en: "Takes place this period" },
  skipped: { zh: "本期不召开", en: "Skipped this period" },
});

/** What an agreed rotation change did. */
export const OVERRIDE_EFFECTS = vocabulary({
  applied: { zh: "已生效", en: "In effect" },
  pending: { zh: "该期开始时生效", en: "Takes effect when the period begins" },
  not_applied: {
    zh: "未生效:该期会议时间已确定",
    en: "Not applied: the period's meeting was already scheduled",
  },
});

/** The refusals of a rotation change, with their labels (sent as `label` in the problem body). */
export const SERIES_PROBLEMS = vocabulary({
  period_past: { zh: "该期已过,不能调整", en: "The period is already past" },
  meeting_already_scheduled: {
    zh: "该期会议已确定时间或已不在筹备中,不能调整",
    en: "The period's meeting is already scheduled (or no longer planning)",
  },
  override_exists: {
    zh: "该期已有待会签或已商定的轮值调整",
    en: "The period already has a proposed or agreed change",
  },
  idempotency_key_reused: {
    zh: "该幂等键已用于另一项调整",
    en: "The Idempotency-Key was used for a different change",
  },
  concurrent_change: { zh: "数据已被同时修改,请重试", en: "Changed concurrently; reload and retry" },
});
type SeriesProblem = (typeof SERIES_PROBLEMS.codes)[number];
const refuse = (code: SeriesProblem, detail: string) =>
  new ApiError(409, code, detail, { label: SERIES_PROBLEMS.label(code) });

const Org = z.object({ id: z.string(), name: z.string() }).openapi("OrgRef");
const Host = coded(ORG_KINDS.codes);

const SeriesSchema = z
  .object({
    id: z.string(),
    kind: z.object({ code: z.string(), label: LabelSchema }),
    key: z.string(),
    cadence: coded(CADENCES.codes),
    firstHost: Host,
    alternate: z.boolean(),
    startPeriod: z.string().openapi({ example: "2027-H1" }),
    active: z.boolean(),
    currentPeriod: z.string().openapi({ example: "2027-H1" }),
    next: z
      .object({
        period: z.string().openapi({ example: "2027-H2" }),
        label: LabelSchema,
        host: Host,
        org: Org.nullable(),
        reason: coded(HOST_REASON_CODES.codes),
        skipped: z.boolean().openapi({ description: "The period is skipped by agreement (no meeting)" }),
        lastHeld: z.object({ period: z.string(), host: Host }).nullable(),
        overrideId: z.string().nullable().openapi({ description: "The agreed change behind `reason`" }),
      })
      .openapi("SeriesNext", {
        description:
          "The next period without an instance (the current one until the cron created it) and who hosts it",
      }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Series");

const OverrideSchema = z
  .object({
    id: z.string(),
    seriesId: z.string(),
    period: z.string(),
    action: coded(OVERRIDE_ACTIONS.codes),
    reason: z.string(),
    status: coded(OVERRIDE_STATUSES.codes),
    effect: coded(OVERRIDE_EFFECTS.codes).nullable(),
    proposedBy: z.object({ id: z.string(), name: z.string(), org: Org }),
    cosignature: CosignSchema.nullable().openapi({
      description: "The latest co-signature round of both leaders (sign at /v1/cosignatures/{id}/sign)",
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("SeriesOverride");

const InstanceSchema = z
  .object({
    id: z.string(),
    period: z.string(),
    host: Host,
    org: Org.nullable(),
    status: coded(INSTANCE_STATUSES.codes),
    meeting: z
      .object({
        id: z.string(),
        title: z.string(),
        status: coded(MEETING_STATUSES.codes),
        slotStatus: coded(SLOT_STATUSES.codes),
      })
      .nullable(),
    createdAt: z.string(),
  })
  .openapi("SeriesInstance");

const SeriesDetail = SeriesSchema.extend({
  instances: z.array(InstanceSchema),
  overrides: z.array(OverrideSchema),
}).openapi("SeriesDetail");

const OverrideDetail = OverrideSchema.extend({ timeline: z.array(SubjectEventSchema) }).openapi(
  "SeriesOverrideDetail",
);

const NewOverride = z
  .object({
    period: z.string().regex(ANY_PERIOD, "a period key such as 2027-H2").openapi({ example: "2027-H2" }),
    action: z.enum(OVERRIDE_ACTIONS.codes),
    reason: z.string().trim().min(2).max(1000).openapi({ example: "检察院本期承办全省检察工作会议" }),
  })
  .openapi("NewSeriesOverride");

const kindItem = (code: string) =>
  (SERIES_KINDS.codes as readonly string[]).includes(code)
    ? SERIES_KINDS.item(code as never)
    : { code, label: { zh: code, en: code } };

function toSeries(r: SeriesRow) {
  return {
    id: r.id,
    kind: kindItem(r.kind),
    key: r.key,
    cadence: CADENCES.item(r.cadence),
    firstHost: ORG_KINDS.item(r.firstHost),
    alternate: r.alternate,
    startPeriod: r.startPeriod,
    active: r.active,
    currentPeriod: r.currentPeriod,
    next: {
      ...r.next,
      host: ORG_KINDS.item(r.next.host),
      reason: HOST_REASON_CODES.item(r.next.reason),
      lastHeld: r.next.lastHeld ? { ...r.next.lastHeld, host: ORG_KINDS.item(r.next.lastHeld.host) } : null,
    },
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function toInstance(i: InstanceRow) {
  return {
    ...i,
    host: ORG_KINDS.item(i.host),
    status: INSTANCE_STATUSES.item(i.status),
    meeting: i.meeting
      ? {
          ...i.meeting,
          status: MEETING_STATUSES.item(i.meeting.status),
          slotStatus: SLOT_STATUSES.item(i.meeting.slotStatus),
        }
      : null,
  };
}

function toOverride(o: OverrideRow) {
  return {
    ...o,
    action: OVERRIDE_ACTIONS.item(o.action),
    status: OVERRIDE_STATUSES.item(o.status),
    effect: o.effect ? OVERRIDE_EFFECTS.item(o.effect) : null,
    cosignature: o.cosignature ? toCosign(o.cosignature) : null,
    proposedBy: {
      id: o.proposedBy.id,
      name: o.proposedBy.name,
      org: { id: o.proposedBy.orgId, name: o.proposedBy.orgName },
    },
  };
}

const Params = z.object({ id: z.string().min(1).max(64) });
const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(400).optional().openapi({ description: "The previous page's `nextCursor`" }),
  updatedSince: updatedSince(
    "Mobile sync: only series whose rotation record changed after this instant (any offset)",
  ),
});
const IdempotencyHeader = z.object({
  "idempotency-key": z.string().min(8).max(200).openapi({ example: "5f0c2a8e-1b4d-4e6a-9c3f-2d7e8a1b6c40" }),
});

/** Why a proposal did not apply, in the order a person would want to know it. */
function explain(p: ProposalProbe, input: { period: string }, now: Date): ApiError {
  if (!isPeriod(p.cadence, input.period))
    return new ApiError(400, "validation_failed", "The request has invalid fields.", {
      errors: [
        {
          in: "json",
          path: "period",
          message: `not a period of this series' cadence (${p.cadence}, e.g. ${p.current})`,
          code: "period_not_of_cadence",
        },
      ],
    });
  const horizon = overrideHorizon(p.cadence, now);
  if (input.period > horizon)
    return new ApiError(400, "validation_failed", "The request has invalid fields.", {
      errors: [
        {
          in: "json",
          path: "period",
          message: `at most ${OVERRIDE_MAX_YEARS} years ahead (the furthest is ${horizon})`,
          code: "period_too_far",
        },
      ],
    });
  if (input.period < p.current)
    return refuse("period_past", `${input.period} is past (the current period is ${p.current}).`);
  if (p.live)
    return refuse(
      "override_exists",
      `${input.period} already has a ${p.live} change; it must be refused before another is proposed.`,
    );
  if (p.instanceStatus && !p.changeable)
    return refuse(
      "meeting_already_scheduled",
      `The meeting of ${input.period} is ${p.meetingStatus ?? "not planning"} with a confirmed time or past planning.`,
    );
  return refuse("concurrent_change", "The series changed while this request ran; reload it and retry.");
}

export const seriesRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/series",
      tags,
      summary: "The pair's recurring series (the half-yearly joint meeting) with who hosts next and why",
      roles: "any",
      request: { query: ListQuery },
      responses: { 200: jsonResponse(pageOf(SeriesSchema), "A page of series, in update order") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const { items: rows } = await scope.list<SeriesRow>(
        listSeries(scope, c.var.deps.clock.now(), {
          ...q,
          after: q.cursor ? decodeCursor(q.cursor) : undefined,
        }),
      );
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      const nextCursor = rows.length > q.limit && last ? encodeCursor([last.updatedAt, last.id]) : null;
      return c.json({ items: items.map(toSeries), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/series/{id}",
      tags,
      summary: "The rotation record of a series: its instances (period, host, meeting) and rotation changes",
      roles: "any",
      request: { params: Params },
      responses: { 200: jsonResponse(SeriesDetail, "The series") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const {
        results: [rows],
      } = await scope.run([getSeries(scope, c.var.deps.clock.now(), c.req.valid("param").id)], ([r]) => r[0]);
      const r = JSON.parse(rows[0]!.j) as SeriesRow & { instances: InstanceRow[]; overrides: OverrideRow[] };
      return c.json(
        { ...toSeries(r), instances: r.instances.map(toInstance), overrides: r.overrides.map(toOverride) },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/series/{id}/overrides",
      tags,
      summary: "Propose a rotation change for one period (swap the host, or skip the period)",
      description:
        "Opens a co-signature round of both institutions' leaders (POST /v1/cosignatures/{id}/sign); the " +
        "change takes effect when both have signed: at once if the period's meeting exists and is still " +
        "planning without a confirmed time, else when the cron creates the period's instance. The period " +
        "must be the current one (its meeting still planning, no confirmed time) or a future one, at " +
        `most ${OVERRIDE_MAX_YEARS} years ahead (400 \`period_too_far\` on the field). ` +
        "Idempotent: a retry with the same `Idempotency-Key` and body answers the first attempt's change (200).",
      roles: ["leader", "coordinator", "admin"],
      request: { params: Params, headers: IdempotencyHeader, body: jsonBody(NewOverride) },
      responses: {
        201: jsonResponse(OverrideSchema, "Proposed; awaiting both leaders' signatures"),
        200: jsonResponse(OverrideSchema, "A retry: the change the first attempt proposed"),
        409: errorResponse(
          "`period_past`, `meeting_already_scheduled`, `override_exists` (a proposed or agreed change " +
            "for that period), `idempotency_key_reused`",
        ),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const seriesId = c.req.valid("param").id;
      const key = c.req.valid("header")["idempotency-key"];
      const input = c.req.valid("json");
      const id = deps.ids();
      const now = deps.clock.now();
      const q = proposeOverride(scope, {
        id,
        cosignId: deps.ids(),
        eventId: deps.ids(),
        key,
        now,
        seriesId,
        input,
      });
      const { results } = await scope.run(
        [...q.statements, q.byKey, q.probe] as const,
        (r) => (r.at(-1) as unknown[])[0] ?? (r.at(-2) as unknown[])[0],
      );
      const byKey = results.at(-2) as { j: string }[];
      const probe = results.at(-1) as ProposalProbe[];
      const mine = byKey[0] ? (JSON.parse(byKey[0].j) as OverrideRow) : undefined;
      if (mine) {
        const same =
          mine.seriesId === seriesId &&
          mine.period === input.period &&
          mine.action === input.action &&
          mine.reason === input.reason;
        if (mine.id !== id && !same)
          throw refuse(
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different change; use a new key for a new change.",
          );
        if (mine.id !== id) c.header("Idempotent-Replayed", "true");
        c.header("Location", `/v1/series-overrides/${mine.id}`);
        return c.json(toOverride(mine), mine.id === id ? 201 : 200);
      }
      throw explain(probe[0]!, input, now);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/series-overrides/{id}",
      tags,
      summary: "One rotation change with its co-signature and timeline",
      roles: "any",
      request: { params: Params },
      responses: { 200: jsonResponse(OverrideDetail, "The rotation change") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const id = c.req.valid("param").id;
      const {
        results: [rows, events],
      } = await scope.run(
        [getOverride(scope, id), getSubjectTimeline(scope, "series_override", id)],
        ([r]) => r[0],
      );
      const o = JSON.parse(rows[0]!.j) as OverrideRow;
      return c.json({ ...toOverride(o), timeline: events.map(toSubjectEvent) }, 200);
    },
  );
