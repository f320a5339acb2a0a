// HTTP routes of joint-meeting action items: the list, one item with its timeline and ladder, "done".
// Each route is one database round trip.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { chinaDate } from "../calendar/calendar.engine";
import {
  EscalationsSchema,
  LadderViewSchema,
  ladderView,
  ownLadder,
  subjectSteps,
  toEscalation,
} from "../escalation/owned-task";
import { actionItems } from "../db/schema";
import { getSubjectTimeline, SubjectEventSchema, toSubjectEvent } from "../events/events";
import {
  coded,
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  newRouter,
  type Deps,
} from "../http/api";
import { conflict, forbidden } from "../http/problem";
import { ACTION_ITEM_STATUSES, MEETING_KINDS, ORG_KINDS } from "../vocab";
import { updatedSince } from "./meetings.schemas";
import {
  DONE_ROLES,
  getActionItem,
  ITEM_SORT,
  items,
  listActionItems,
  markDone,
  type ActionItemRow,
} from "./action-items";

const tags = ["Joint meetings"];

export const ActionItemSchema = z
  .object({
    id: z.string(),
    meeting: z.object({
      id: z.string(),
      title: z.string(),
      kind: coded(MEETING_KINDS.codes),
      startsAt: z.string().nullable(),
    }),
    position: z.number().int(),
    title: z.string(),
    owner: z.object({
      org: z.object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) }),
      department: z.object({ id: z.string(), name: z.string() }).nullable(),
    }),
    dueOn: z.string().openapi({ example: "2027-04-30" }),
    deadlineVersion: z.number().int(),
    status: coded(ACTION_ITEM_STATUSES.codes),
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
  .openapi("ActionItem");

const ActionItemDetail = ActionItemSchema.extend({
  timeline: z.array(SubjectEventSchema),
  ladder: LadderViewSchema.openapi({ description: "The ladder in force for the item's jurisdiction" }),
  escalations: EscalationsSchema.openapi({ description: "The ladder steps that happened, mildest first" }),
}).openapi("ActionItemDetail");

export function toActionItem(r: ActionItemRow, today: string): z.infer<typeof ActionItemSchema> {
  return {
    id: r.id,
    meeting: {
      id: r.meetingId,
      title: r.meetingTitle,
      kind: MEETING_KINDS.item(r.meetingKind as never),
      startsAt: r.meetingStartsAt,
    },
    position: r.position,
    title: r.title,
    owner: {
      org: { id: r.ownerOrgId, name: r.ownerOrgName, kind: ORG_KINDS.item(r.ownerOrgKind) },
      department: r.ownerDepartmentId ? { id: r.ownerDepartmentId, name: r.ownerDepartmentName ?? "" } : null,
    },
    dueOn: r.dueOn,
    deadlineVersion: r.deadlineVersion,
    status: ACTION_ITEM_STATUSES.item(r.status),
    overdue: r.status === "open" && r.dueOn < today,
    done: r.doneAt
      ? {
          at: r.doneAt,
          by: r.doneById ? { id: r.doneById, name: r.doneByName ?? "" } : null,
          note: r.doneNote,
        }
      : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

const today = (deps: Deps) => chinaDate(deps.clock.now());
const Id = z.string().min(1).max(64);

const ListQuery = z.object({
  status: z.enum(ACTION_ITEM_STATUSES.codes).optional(),
  meetingId: Id.optional(),
  ownerOrgId: Id.optional(),
  overdue: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === "true")),
  updatedSince: updatedSince(
    "Mobile sync: only items changed after this instant (any offset; sorted by update)",
  ),
  sort: z.enum(["due", "updated"]).default("due"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(300).optional(),
});

const DoneInput = z
  .object({ note: z.string().trim().min(1).max(2000).openapi({ example: "已联合出台会签文件" }) })
  .openapi("ActionItemDoneInput");

export const actionItemRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/action-items",
      tags,
      summary: "Action items of the joint meetings the caller's institution takes part in",
      description: "Filtered, sorted by due date (or by update with `updatedSince`), cursor-paginated.",
      roles: "any",
      request: { query: ListQuery },
      responses: {
        200: jsonResponse(
          z.object({ items: z.array(ActionItemSchema), nextCursor: z.string().nullable() }),
          "A page of action items",
        ),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const sort = q.updatedSince ? "updated" : q.sort;
      const day = today(c.var.deps);
      const scope = c.var.scope;
      const { items: rows } = await scope.list<ActionItemRow>(
        listActionItems(scope, { ...q, sort, after: q.cursor ? decodeCursor(q.cursor) : undefined }, day),
      );
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      const nextCursor =
        rows.length > q.limit && last ? encodeCursor([ITEM_SORT[sort].of(last), last.id]) : null;
      return c.json({ items: page.map((r) => toActionItem(r, day)), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/action-items/{id}",
      tags,
      summary: "One action item with its timeline, its ladder and the steps that happened",
      roles: "any",
      request: { params: z.object({ id: Id }) },
      responses: { 200: jsonResponse(ActionItemDetail, "The action item") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const {
        results: [rows, events, steps, ladder],
      } = await scope.run(
        [
          getActionItem(scope, id),
          getSubjectTimeline(scope, "action_item", id),
          subjectSteps(scope, "action_item", id),
          ownLadder(scope, "action_item", actionItems, id),
        ],
        ([r]) => r[0],
      );
      return c.json(
        {
          ...toActionItem(items(rows)[0]!, today(c.var.deps)),
          timeline: events.map(toSubjectEvent),
          ladder: ladderView("action_item", ladder[0]?.steps),
          escalations: steps.map(toEscalation),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/action-items/{id}/done",
      tags,
      summary: "Mark an action item done: the ladder stops, the other side's coordinators are told",
      description:
        "For department heads, leaders and coordinators of the owner institution. " +
        "A second call answers 409 `already_done`.",
      roles: DONE_ROLES,
      request: { params: z.object({ id: Id }), body: jsonBody(DoneInput) },
      responses: {
        200: jsonResponse(ActionItemSchema, "The item, done"),
        409: errorResponse("`already_done`, or `concurrent_change`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const eventId = deps.ids();
      const now = deps.clock.now().toISOString();
      const writes = markDone(scope, { id, eventId, now, note: c.req.valid("json").note });
      const {
        principal,
        results: [, , , , rows, [check]],
      } = await scope.run(
        [
          ...writes,
          getActionItem(scope, id),
          scope.db.all<{ ok: number }>(
            sql`select exists (select 1 from subject_events where id = ${eventId}) as ok`,
          ),
        ],
        (r) => r[4][0],
      );
      const item = items(rows)[0]!;
      if (!check?.ok) {
        if (item.ownerOrgId !== principal.orgId)
          throw forbidden("Only the institution that owns the action item may mark it done.");
        if (item.status === "done") throw conflict("already_done", "The action item is already done.");
        throw conflict("concurrent_change", "The action item changed while this request ran; retry.");
      }
      return c.json(toActionItem(item, today(deps)), 200);
    },
  );
