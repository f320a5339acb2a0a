// HTTP routes of joint research topics (联合调研课题): topics with members, milestones on the
// escalation ladder and outputs. Each route is one database round trip; an outsider gets 404.
import { updatedSince } from "../meetings/meetings.schemas";
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { chinaDate } from "../calendar/calendar.engine";
import { organizations, researchMilestones } from "../db/schema";
import {
  EscalationsSchema,
  LadderViewSchema,
  ladderView,
  ownLadder,
  subjectSteps,
  toEscalation,
} from "../escalation/owned-task";
import {
  getSubjectTimeline,
  SubjectEventSchema,
  type SubjectEventRow,
  toSubjectEvent,
} from "../events/events";
import {
  coded,
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  newRouter,
  sha256,
  type Deps,
} from "../http/api";
import { ApiError, forbidden } from "../http/problem";
import { MILESTONE_STATUSES, ORG_KINDS, RESEARCH_STATUSES } from "../vocab";
import { getMilestone, isTopicMember, markMilestoneDone, milestones } from "./milestones";
import {
  addMembers,
  addMilestone,
  completeTopic,
  createTopic,
  getTopic,
  listTopics,
  MANAGER_ROLES,
  type MilestoneRow,
  openMilestones,
  RESEARCH_MEMBER_ROLES,
  RESEARCH_PROBLEMS,
  type ResearchProblem,
  recordOutput,
  timelineByKey,
  type TopicRow,
  topicProbe,
  topics,
  usersOfMine,
} from "./research";

const tags = ["Joint research"];

const refuse = (code: ResearchProblem, detail: string) =>
  new ApiError(409, code, detail, { label: RESEARCH_PROBLEMS.label(code) });
const invalid = (errors: { path: string; message: string; code: string }[]) =>
  new ApiError(400, "validation_failed", "The request has invalid fields.", {
    errors: errors.map((e) => ({ in: "json", ...e })),
  });

// ── Schemas ───────────────────────────────────────────────────────────────────────────────────

const Id = z.string().min(1).max(64);
const text = (max: number) => z.string().trim().min(1).max(max);
/** A calendar day that exists (YYYY-MM-DD). */
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
  .refine((d) => {
    const at = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().startsWith(d);
  }, "no such day")
  .openapi({ example: "2027-06-30" });
const IdempotencyHeader = z.object({
  "idempotency-key": z.string().min(8).max(200).openapi({ example: "5d0f3c1e-6a1d-4c1e-b7f5-5b8f1c7d2a10" }),
});

const OrgRef = z.object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) });

const MilestoneInput = z
  .object({
    title: text(200).openapi({ example: "完成两院类案裁判与抗诉情况调研报告初稿" }),
    ownerOrgId: Id.openapi({ description: "The topic's lead or partner institution" }),
    dueOn: Day,
  })
  .openapi("ResearchMilestoneInput");

const NewTopicInput = z
  .object({
    title: text(200).openapi({ example: "民事诉讼检察监督与审判工作衔接机制研究" }),
    description: z.string().trim().max(4000).nullable().optional(),
    milestones: z.array(MilestoneInput).max(50).optional(),
  })
  .openapi("NewResearchTopic");

const FileMeta = z
  .object({
    name: text(255).openapi({ example: "调研报告.pdf" }),
    size: z
      .number()
      .int()
      .min(0)
      .max(2 ** 40),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, "64 hexadecimal digits")
      .transform((s) => s.toLowerCase()),
    mediaType: z
      .string()
      .regex(/^[\w.+-]+\/[\w.+-]+$/, "a media type such as application/pdf")
      .max(100),
  })
  .openapi("ResearchFile");

const OutputInput = z
  .object({
    title: text(300).openapi({ example: "关于民事抗诉案件办理情况的联合调研报告" }),
    producedOn: Day,
    file: FileMeta.nullable().optional(),
  })
  .openapi("ResearchOutputInput");

const MilestoneSchema = z
  .object({
    id: z.string(),
    topicId: z.string(),
    position: z.number().int(),
    title: z.string(),
    owner: z.object({ id: z.string(), name: z.string() }),
    dueOn: z.string(),
    deadlineVersion: z.number().int(),
    status: coded(MILESTONE_STATUSES.codes),
    overdue: z.boolean().openapi({ description: "Open and past its due date (China time)" }),
    done: z
      .object({
        at: z.string(),
        by: z.object({ id: z.string(), name: z.string() }).nullable(),
        note: z.string().nullable(),
      })
      .nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("ResearchMilestone");

const OutputSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    producedOn: z.string(),
    file: z
      .object({ name: z.string(), size: z.number(), sha256: z.string(), mediaType: z.string() })
      .nullable(),
    recordedBy: z.object({ id: z.string(), name: z.string() }),
    createdAt: z.string(),
  })
  .openapi("ResearchOutput");

const TopicSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    status: coded(RESEARCH_STATUSES.codes),
    lead: OrgRef,
    partner: OrgRef,
    members: z.array(
      z.object({
        userId: z.string(),
        name: z.string(),
        org: z.object({ id: z.string(), name: z.string() }),
        role: coded(RESEARCH_MEMBER_ROLES.codes),
        addedAt: z.string(),
      }),
    ),
    milestones: z.array(MilestoneSchema),
    outputs: z.array(OutputSchema),
    glance: z
      .object({
        total: z.number().int(),
        open: z.number().int(),
        done: z.number().int(),
        overdue: z.number().int(),
        percentDone: z.number().int().openapi({ description: "Done milestones out of all, rounded down" }),
        nextDue: MilestoneSchema.nullable().openapi({ description: "The open milestone due first" }),
      })
      .openapi({ description: "The topic's status across its milestones at a glance" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("ResearchTopic");

const TopicDetail = TopicSchema.extend({ timeline: z.array(SubjectEventSchema) }).openapi(
  "ResearchTopicDetail",
);

const MilestoneDetail = MilestoneSchema.extend({
  topic: z.object({ id: z.string(), title: z.string(), status: coded(RESEARCH_STATUSES.codes) }),
  timeline: z.array(SubjectEventSchema),
  ladder: LadderViewSchema,
  escalations: EscalationsSchema,
}).openapi("ResearchMilestoneDetail");

// ── Mapping ───────────────────────────────────────────────────────────────────────────────────

const today = (deps: Deps) => chinaDate(deps.clock.now());

function toMilestone(m: MilestoneRow, day: string): z.infer<typeof MilestoneSchema> {
  return {
    id: m.id,
    topicId: m.topicId,
    position: m.position,
    title: m.title,
    owner: { id: m.ownerOrgId, name: m.ownerOrgName },
    dueOn: m.dueOn,
    deadlineVersion: m.deadlineVersion,
    status: MILESTONE_STATUSES.item(m.status),
    overdue: m.status === "open" && m.dueOn < day,
    done: m.doneAt
      ? {
          at: m.doneAt,
          by: m.doneById ? { id: m.doneById, name: m.doneByName ?? "" } : null,
          note: m.doneNote,
        }
      : null,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

/** The status at a glance: counts, the next open milestone by due date, the share done. */
export function glance(ms: MilestoneRow[], day: string) {
  const open = ms.filter((m) => m.status === "open");
  const next = [...open].sort((a, b) => a.dueOn.localeCompare(b.dueOn) || a.position - b.position)[0];
  return {
    total: ms.length,
    open: open.length,
    done: ms.length - open.length,
    overdue: open.filter((m) => m.dueOn < day).length,
    percentDone: ms.length ? Math.floor(((ms.length - open.length) * 100) / ms.length) : 0,
    nextDue: next ? toMilestone(next, day) : null,
  };
}

function toTopic(t: TopicRow, day: string): z.infer<typeof TopicSchema> {
  const org = (o: TopicRow["lead"]) => ({ id: o.id, name: o.name, kind: ORG_KINDS.item(o.kind) });
  return {
    id: t.id,
    title: t.title,
    description: t.description,
    status: RESEARCH_STATUSES.item(t.status),
    lead: org(t.lead),
    partner: org(t.partner),
    members: t.members.map((m) => ({
      userId: m.userId,
      name: m.name,
      org: { id: m.orgId, name: m.orgName },
      role: RESEARCH_MEMBER_ROLES.item(m.role),
      addedAt: m.addedAt,
    })),
    milestones: t.milestones.map((m) => toMilestone(m, day)),
    outputs: t.outputs.map((o) => ({
      id: o.id,
      title: o.title,
      producedOn: o.producedOn,
      file: o.file,
      recordedBy: { id: o.createdById, name: o.createdByName ?? "" },
      createdAt: o.createdAt,
    })),
    glance: glance(t.milestones, day),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** Due dates may not lie in the past (China time) when a milestone is set. */
function checkDue(ms: { dueOn: string }[], day: string, path: (i: number) => string) {
  const errors = ms.flatMap((m, i) =>
    m.dueOn < day ? [{ path: path(i), message: `must be today (${day}) or later`, code: "due_in_past" }] : [],
  );
  if (errors.length) throw invalid(errors);
}

const TopicParams = z.object({ id: Id });
const topicFound = (rows: { j: string }[]) => rows.length > 0;

/** Why a change to a visible topic did not apply. */
function explainTopic(p: { status: string; mayWork: number; lead: number } | undefined, needLead = false) {
  if (!p) return refuse("concurrent_change", "The topic changed while this request ran; retry.");
  if (needLead && !p.lead) return forbidden("Only the lead institution may do this.");
  if (!p.mayWork)
    return forbidden(
      "Only the topic's members and the leaders, coordinators and department heads may do this.",
    );
  if (p.status !== "active") return refuse("not_active", `The topic is ${p.status}.`);
  return refuse("concurrent_change", "The topic changed while this request ran; retry.");
}

// ── Routes ────────────────────────────────────────────────────────────────────────────────────

export const researchRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/research-topics",
      tags,
      summary: "Start a joint research topic (联合调研课题) led by the caller's institution",
      description:
        "The partner is the other institution of the caller's pair; the caller becomes the topic's " +
        "lead member. Milestones (optional) each name their owner (the lead or the partner) and a due " +
        "date; they are tracked on the escalation ladder. Idempotent: a retry with the same " +
        "`Idempotency-Key` and body returns the first attempt's topic with 200; another body is 409 " +
        "`idempotency_key_reused`.",
      roles: MANAGER_ROLES,
      request: { headers: IdempotencyHeader, body: jsonBody(NewTopicInput) },
      responses: {
        201: jsonResponse(TopicDetail, "Created"),
        200: jsonResponse(TopicDetail, "A retry: the topic created by the first attempt"),
        409: errorResponse("`idempotency_key_reused`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const input = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const day = today(deps);
      checkDue(input.milestones ?? [], day, (i) => `milestones[${i}].dueOn`);
      const id = deps.ids();
      const hash = await sha256(JSON.stringify(input));
      const now = deps.clock.now().toISOString();
      const { statements, byKey } = createTopic(scope, { id, key, hash, now, input, ids: deps.ids });
      const n = statements.length;
      const { results } = await scope.run([
        ...statements,
        byKey,
        timelineByKey(scope, key),
        scope.db.all<{ id: string }>(sql`select o.id from organizations o
          where o.jurisdiction_id = ${scope.me.jurisdictionId} and ${scope.visible(organizations, "o")}`),
      ]);
      const [topic] = topics(results[n] as { j: string }[]);
      if (topic) {
        if (topic.id !== id && topic.requestHash !== hash)
          throw refuse("idempotency_key_reused", "This Idempotency-Key was used for a different topic.");
        if (topic.id !== id) c.header("Idempotent-Replayed", "true");
        c.header("Location", `/v1/research-topics/${topic.id}`);
        const timeline = (results[n + 1] as SubjectEventRow[]).map(toSubjectEvent);
        return c.json({ ...toTopic(topic, day), timeline }, topic.id === id ? 201 : 200);
      }
      const pair = new Set((results[n + 2] as { id: string }[]).map((r) => r.id));
      const errors = (input.milestones ?? []).flatMap((m, i) =>
        pair.has(m.ownerOrgId)
          ? []
          : [
              {
                path: `milestones[${i}].ownerOrgId`,
                message: "not an institution of your pair",
                code: "not_in_pair",
              },
            ],
      );
      if (errors.length) throw invalid(errors);
      throw refuse("concurrent_change", "The topic could not be created; retry.");
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/research-topics",
      tags,
      summary: "The joint research topics of the caller's institution (lead or partner)",
      description: "In update order, cursor-paginated; `updatedSince` for mobile sync.",
      roles: "any",
      request: {
        query: z.object({
          status: z.enum(RESEARCH_STATUSES.codes).optional(),
          updatedSince: updatedSince(
            "Only topics changed after this instant (any offset; compared as an instant).",
          ),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: z.string().max(300).optional(),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({ items: z.array(TopicSchema), nextCursor: z.string().nullable() }),
          "A page of topics",
        ),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const day = today(c.var.deps);
      const { items: rows } = await scope.list<TopicRow>(
        listTopics(scope, {
          ...q,
          after: q.cursor ? decodeCursor(q.cursor, (k) => Number.isFinite(Date.parse(k))) : undefined,
        }),
      );
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      const nextCursor = rows.length > q.limit && last ? encodeCursor([last.updatedAt, last.id]) : null;
      return c.json({ items: page.map((t) => toTopic(t, day)), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/research-topics/{id}",
      tags,
      summary: "One topic: members, milestones (status, overdue), outputs, status at a glance, timeline",
      roles: "any",
      request: { params: TopicParams },
      responses: { 200: jsonResponse(TopicDetail, "The topic") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const {
        results: [rows, events],
      } = await scope.run([getTopic(scope, id), getSubjectTimeline(scope, "research_topic", id)], ([r]) =>
        topicFound(r),
      );
      return c.json(
        { ...toTopic(topics(rows)[0]!, today(c.var.deps)), timeline: events.map(toSubjectEvent) },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/research-topics/{id}/members",
      tags,
      summary: "Add members: each side adds its own people",
      description:
        "For the topic's members and the leaders, coordinators and department heads of either side. " +
        "Every user must be an active user of the caller's own institution: any other is a 400 naming " +
        "its item, and nobody is added. Users already members are left as they are.",
      roles: "any",
      request: {
        params: TopicParams,
        body: jsonBody(z.object({ userIds: z.array(Id).min(1).max(50) }).openapi("ResearchMembersInput")),
      },
      responses: {
        200: jsonResponse(TopicSchema, "The topic with its members"),
        409: errorResponse("`not_active`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const userIds = [...new Set(c.req.valid("json").userIds)];
      const eventId = deps.ids();
      const now = deps.clock.now().toISOString();
      const writes = addMembers(scope, { topicId: id, userIds, eventId, now, ids: deps.ids });
      const n = writes.length;
      const { results } = await scope.run(
        [...writes, getTopic(scope, id), usersOfMine(scope, userIds), topicProbe(scope, id)],
        (r) => topicFound(r[n] as { j: string }[]),
      );
      const topic = topics(results[n] as { j: string }[])[0]!;
      const mine = new Set((results[n + 1] as { id: string }[]).map((r) => r.id));
      const errors = c.req.valid("json").userIds.flatMap((u, i) =>
        mine.has(u)
          ? []
          : [
              {
                path: `userIds[${i}]`,
                message: "not an active user of your institution",
                code: "not_your_user",
              },
            ],
      );
      if (errors.length) throw invalid(errors);
      const [probe] = results[n + 2] as { status: string; mayWork: number; lead: number }[];
      if (!probe?.mayWork || probe.status !== "active") throw explainTopic(probe);
      return c.json(toTopic(topic, today(deps)), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/research-topics/{id}/milestones",
      tags,
      summary: "Add a milestone (owner: the lead or the partner), tracked on the escalation ladder",
      roles: "any",
      request: { params: TopicParams, body: jsonBody(MilestoneInput) },
      responses: {
        201: jsonResponse(MilestoneSchema, "Added"),
        409: errorResponse("`not_active`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const day = today(deps);
      checkDue([input], day, () => "dueOn");
      const milestoneId = deps.ids();
      const o = {
        topicId: id,
        id: milestoneId,
        eventId: deps.ids(),
        topicEventId: deps.ids(),
        now: deps.clock.now().toISOString(),
        input,
      };
      const writes = addMilestone(scope, o);
      const n = writes.length;
      const { results } = await scope.run(
        [...writes, getTopic(scope, id), getMilestone(scope, milestoneId), topicProbe(scope, id)],
        (r) => topicFound(r[n] as { j: string }[]),
      );
      const [m] = milestones(results[n + 1] as { j: string }[]);
      if (m) {
        c.header("Location", `/v1/research-milestones/${m.id}`);
        return c.json(toMilestone(m, day), 201);
      }
      const topic = topics(results[n] as { j: string }[])[0]!;
      if (input.ownerOrgId !== topic.lead.id && input.ownerOrgId !== topic.partner.id)
        throw invalid([
          { path: "ownerOrgId", message: "not the topic's lead or partner", code: "not_in_topic" },
        ]);
      throw explainTopic((results[n + 2] as { status: string; mayWork: number; lead: number }[])[0]);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/research-milestones/{id}",
      tags,
      summary: "One milestone with its timeline, its ladder and the steps that happened",
      roles: "any",
      request: { params: TopicParams },
      responses: { 200: jsonResponse(MilestoneDetail, "The milestone") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const {
        results: [rows, events, steps, ladder],
      } = await scope.run(
        [
          getMilestone(scope, id),
          getSubjectTimeline(scope, "milestone", id),
          subjectSteps(scope, "milestone", id),
          ownLadder(scope, "milestone", researchMilestones, id),
        ],
        ([r]) => r[0],
      );
      const m = milestones(rows)[0]!;
      return c.json(
        {
          ...toMilestone(m, today(c.var.deps)),
          topic: {
            id: m.topic.id,
            title: m.topic.title,
            status: RESEARCH_STATUSES.item(m.topic.status),
          },
          timeline: events.map(toSubjectEvent),
          ladder: ladderView("milestone", ladder[0]?.steps),
          escalations: steps.map(toEscalation),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/research-milestones/{id}/done",
      tags,
      summary: "Mark a milestone done: the ladder stops, the other side's coordinators are told",
      description:
        "For the owner institution's topic members and its leaders, coordinators and department " +
        "heads. A second call answers 409 `already_done`.",
      roles: "any",
      request: {
        params: TopicParams,
        body: jsonBody(
          z
            .object({ note: text(2000).openapi({ example: "调研报告初稿已完成" }) })
            .openapi("MilestoneDoneInput"),
        ),
      },
      responses: {
        200: jsonResponse(MilestoneSchema, "The milestone, done"),
        409: errorResponse("`already_done`, `not_active`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const eventId = deps.ids();
      const now = deps.clock.now().toISOString();
      const writes = markMilestoneDone(scope, { id, eventId, now, note: c.req.valid("json").note });
      const n = writes.length;
      const { principal, results } = await scope.run(
        [
          ...writes,
          getMilestone(scope, id),
          scope.db.all<{ ok: number }>(
            sql`select exists (select 1 from subject_events where id = ${eventId}) as ok`,
          ),
          isTopicMember(scope, id),
        ],
        (r) => (r[n] as unknown[])[0],
      );
      const m = milestones(results[n] as { j: string }[])[0]!;
      if (!(results[n + 1] as { ok: number }[])[0]?.ok) {
        if (m.status === "done") throw refuse("already_done", "The milestone is already done.");
        if (m.ownerOrgId !== principal.orgId)
          throw forbidden("Only the institution that owns the milestone may mark it done.");
        const member = (results[n + 2] as { member: number }[])[0]?.member;
        if (!member && !principal.roles.some((r) => MANAGER_ROLES.includes(r)))
          throw forbidden("Only the topic's members and the owner's leaders, coordinators and heads may.");
        if (m.topic.status !== "active") throw refuse("not_active", `The topic is ${m.topic.status}.`);
        throw refuse("concurrent_change", "The milestone changed while this request ran; retry.");
      }
      return c.json(toMilestone(m, today(deps)), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/research-topics/{id}/outputs",
      tags,
      summary: "Record an output (report title, date, file metadata)",
      description:
        "For the topic's members and the leaders, coordinators and department heads of either side. " +
        "Idempotent: a retry with the same `Idempotency-Key` returns the first attempt's output with 200.",
      roles: "any",
      request: { params: TopicParams, headers: IdempotencyHeader, body: jsonBody(OutputInput) },
      responses: {
        201: jsonResponse(OutputSchema, "Recorded"),
        200: jsonResponse(OutputSchema, "A retry: the output recorded by the first attempt"),
        409: errorResponse("`not_active` (cancelled topic), `idempotency_key_reused`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const outputId = deps.ids();
      const now = deps.clock.now().toISOString();
      const { statements, byKey } = recordOutput(scope, {
        topicId: id,
        id: outputId,
        key: c.req.valid("header")["idempotency-key"],
        eventId: deps.ids(),
        now,
        input,
      });
      const n = statements.length;
      const { principal, results } = await scope.run(
        [...statements, byKey, getTopic(scope, id), topicProbe(scope, id)],
        (r) => topicFound(r[n + 1] as { j: string }[]),
      );
      const [o] = results[n] as {
        id: string;
        topicId: string;
        title: string;
        producedOn: string;
        file: string | null;
      }[];
      if (o) {
        const same =
          o.topicId === id &&
          o.title === input.title &&
          o.producedOn === input.producedOn &&
          (o.file ?? null) === (input.file ? JSON.stringify(input.file) : null);
        if (o.id !== outputId && !same)
          throw refuse("idempotency_key_reused", "This Idempotency-Key was used for a different output.");
        if (o.id !== outputId) c.header("Idempotent-Replayed", "true");
        return c.json(
          {
            id: o.id,
            title: o.title,
            producedOn: o.producedOn,
            file: o.file ? JSON.parse(o.file) : null,
            recordedBy: { id: principal.id, name: principal.name },
            createdAt:
              o.id === outputId
                ? now
                : (topics(results[n + 1] as { j: string }[])[0]!.outputs.find((x) => x.id === o.id)
                    ?.createdAt ?? now),
          },
          o.id === outputId ? 201 : 200,
        );
      }
      const [probe] = results[n + 2] as { status: string; mayWork: number; lead: number }[];
      if (probe?.mayWork && probe.status === "cancelled")
        throw refuse("not_active", "The topic is cancelled.");
      throw explainTopic(probe);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/research-topics/{id}/complete",
      tags,
      summary: "Complete (结题) a topic: the lead institution, once every milestone is done",
      roles: "any",
      request: { params: TopicParams },
      responses: {
        200: jsonResponse(TopicSchema, "The topic, completed"),
        409: errorResponse("`milestones_open`, `not_active`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const eventId = deps.ids();
      const writes = completeTopic(scope, {
        topicId: id,
        eventId,
        now: deps.clock.now().toISOString(),
        note: null,
      });
      const n = writes.length;
      const { results } = await scope.run(
        [
          ...writes,
          getTopic(scope, id),
          scope.db.all<{ ok: number }>(
            sql`select exists (select 1 from subject_events where id = ${eventId}) as ok`,
          ),
          openMilestones(scope, id),
          topicProbe(scope, id),
        ],
        (r) => topicFound(r[n] as { j: string }[]),
      );
      const topic = topics(results[n] as { j: string }[])[0]!;
      if (!(results[n + 1] as { ok: number }[])[0]?.ok) {
        const [probe] = results[n + 3] as { status: string; mayWork: number; lead: number }[];
        const open = (results[n + 2] as { n: number }[])[0]?.n ?? 0;
        if (probe?.lead && probe.mayWork && probe.status === "active" && open > 0)
          throw refuse("milestones_open", `${open} milestone(s) are still open.`);
        throw explainTopic(probe, true);
      }
      return c.json(toTopic(topic, today(deps)), 200);
    },
  );
