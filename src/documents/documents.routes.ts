// HTTP routes of supervision documents: intake, routing, replies, extensions, 催办, committee invitations.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { countsMakeup, dueOn } from "../calendar/calendar.engine";
import { calendarWarnings, outsideCalendar } from "../calendar/calendar.service";
import {
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  newRouter,
} from "../http/api";
import { ApiError } from "../http/problem";
import {
  ACK_RESULTS,
  CASE_AREAS,
  CASE_CATEGORIES,
  COMMITTEE_RESPONSES,
  DECISIONS,
  DOC_EVENTS,
  DOC_STATUSES,
  DOC_TYPES,
  MEDIATION_OUTCOMES,
  MEDIATION_STATUSES,
  ORG_KINDS,
  RETRIAL_RESULTS,
  type Role,
} from "../vocab";
import {
  countDocuments,
  deadlineSet,
  docs,
  getDocument,
  getTimeline,
  listDocuments,
  notify,
  SORT_KEY,
  usersWithRole,
  type DocRow,
  type TimelineRow,
} from "./documents.queries";
import {
  AckInput,
  AssignInput,
  CommitteeInput,
  CommitteeResponseInput,
  Counts,
  DocumentDetail,
  DocumentFull,
  DocumentSchema,
  ExtensionDecisionInput,
  ExtensionInput,
  ListQuery,
  NewDocument,
  NoteInput,
  ReceiveInput,
  ReplyInput,
  RetrialResultInput,
} from "./documents.schemas";
import { act, createDocument, invalid, isOpen, today } from "./documents.service";

const DocParams = z.object({ id: z.string().min(1).max(64) });
const SubId = z.string().min(1).max(64);
const tags = ["Documents"];

/** A document as lists show it; `toDocumentDetail` adds the long texts. */
export function toDocument(r: DocRow, todayCst: string) {
  const session = r.committeeSession;
  return {
    id: r.id,
    type: DOC_TYPES.item(r.type),
    status: DOC_STATUSES.item(r.status),
    sender: { id: r.senderId, name: r.senderName, kind: ORG_KINDS.item(r.senderKind) },
    recipient: { id: r.recipientId, name: r.recipientName, kind: ORG_KINDS.item(r.recipientKind) },
    receivingDepartment: { id: r.rdId, name: r.rdName },
    handlingDepartment: r.hdId ? { id: r.hdId, name: r.hdName! } : null,
    handler: r.handlerId ? { id: r.handlerId, name: r.handlerName! } : null,
    docNumber: r.docNumber,
    caseNumbers: r.caseNumbers,
    caseCategory: CASE_CATEGORIES.item(r.caseCategory),
    area: r.area ? CASE_AREAS.item(r.area) : null,
    title: r.title,
    sentOn: r.sentOn,
    receivedOn: r.receivedOn,
    dueOn: r.dueOn,
    overdue: isOpen(r.status) && !!r.dueOn && r.dueOn < todayCst,
    deadline: {
      ruleId: r.ruleId,
      ruleVersion: r.ruleVersion,
      periodDays: r.periodDays,
      periodMonths: r.periodMonths,
      version: r.deadlineVersion,
      calendarComplete: r.calendarComplete == null ? null : !!r.calendarComplete,
    },
    warnings: calendarWarnings(r.missingYears ?? []),
    reply: r.repliedOn
      ? {
          repliedOn: r.repliedOn,
          decision: DECISIONS.item(r.replyDecision!),
          retrialRuled: r.retrialRuled == null ? null : !!r.retrialRuled,
          late: !!r.replyLate,
        }
      : null,
    acknowledgement: r.ackResult ? { result: ACK_RESULTS.item(r.ackResult), reason: r.ackReason } : null,
    retrialResult: r.retrialResult ? RETRIAL_RESULTS.item(r.retrialResult) : null,
    retrialResultOn: r.retrialResultOn,
    followup: r.followupOrgId || r.ackResult === "not_accepted" ? { orgId: r.followupOrgId } : null,
    lastUrgedAt: r.lastUrgedAt,
    pendingExtension: r.pendingExtension,
    committeeSession: session
      ? { ...session, response: session.response ? COMMITTEE_RESPONSES.item(session.response) : null }
      : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function toDocumentDetail(r: DocRow, todayCst: string) {
  const d = toDocument(r, todayCst);
  return {
    ...d,
    summary: r.summary ?? null,
    requestedActions: r.requestedActions ?? null,
    attachments: r.attachments ?? [],
    reply: d.reply ? { ...d.reply, content: r.replyContent ?? "" } : null,
    mediation: r.mediation
      ? {
          id: r.mediation.id,
          status: MEDIATION_STATUSES.item(r.mediation.status),
          outcome: r.mediation.outcome ? MEDIATION_OUTCOMES.item(r.mediation.outcome) : null,
          outcomeOn: r.mediation.outcomeOn,
          sessions: r.mediation.sessions,
          href: r.mediation.readable ? `/v1/mediations/${r.mediation.id}` : null,
        }
      : null,
  };
}

/**
 * A snapshot as the API shows it: `calendarComplete` a boolean (entries written before it was one
 * hold 0/1).
 */
function snapshot(json: string | null): Record<string, unknown> {
  const s: Record<string, unknown> = json ? JSON.parse(json) : {};
  if (typeof s.calendarComplete === "number") s.calendarComplete = s.calendarComplete !== 0;
  return s;
}

function toEvent(e: TimelineRow) {
  const before = snapshot(e.before);
  const after = snapshot(e.after);
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)]))
    if (JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null))
      changes[k] = { before: before[k] ?? null, after: after[k] ?? null };
  const label = (DOC_EVENTS.labels as Record<string, { zh: string; en: string }>)[e.type] ?? {
    zh: e.type,
    en: e.type,
  };
  return {
    id: e.id,
    at: e.at,
    type: e.type,
    label,
    actor: e.actorId ? { id: e.actorId, name: e.actorName ?? "" } : null,
    note: e.note,
    changes,
  };
}

/** A POST action on one document: roles, input schema and the extra errors it may answer. */
function action<const S extends z.ZodType, const P extends z.ZodObject = typeof DocParams>(
  path: string,
  summary: string,
  roles: Role[],
  input: S,
  errors: Record<number, string> = {},
  params: P = DocParams as unknown as P,
) {
  return defineRoute({
    method: "post",
    path: `/v1/documents/{id}${path}`,
    tags,
    summary,
    roles,
    request: { params, body: jsonBody(input) },
    responses: {
      200: jsonResponse(DocumentFull, "The document after the change"),
      409: errorResponse("Not allowed in the document's current state (`code` says why)"),
      ...Object.fromEntries(Object.entries(errors).map(([s, d]) => [s, errorResponse(d)])),
    },
  });
}

const SENDERS: Role[] = ["handler", "department_head", "leader", "registrar"];
const dayMs = 86_400_000;

export const documentRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/documents",
      tags,
      summary: "Send a supervision document (or judicial suggestion) to the counterpart institution",
      description:
        "Idempotent: a retry with the same `Idempotency-Key` returns the first attempt's document with 200.",
      roles: SENDERS,
      request: {
        headers: z.object({
          "idempotency-key": z
            .string()
            .min(8)
            .max(200)
            .openapi({ example: "9b2f3c1e-6a1d-4c1e-b7f5-5b8f1c7d2a10" }),
        }),
        body: jsonBody(NewDocument),
      },
      responses: {
        201: jsonResponse(DocumentFull, "Created"),
        200: jsonResponse(DocumentFull, "A retry: the document created by the first attempt"),
        409: errorResponse("The key was used for a different document"),
        422: errorResponse("Wrong direction for the caller's institution, or no receiving department"),
      },
    }),
    async (c) => {
      const { doc, created } = await createDocument(
        c.var.deps,
        c.var.scope,
        c.req.valid("header")["idempotency-key"],
        c.req.valid("json"),
      );
      if (!created) c.header("Idempotent-Replayed", "true");
      c.header("Location", `/v1/documents/${doc.id}`);
      return c.json(toDocumentDetail(doc, today(c.var.deps)), created ? 201 : 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/documents",
      tags,
      summary: "List documents: inbox, outbox or follow-up, filtered, sorted, cursor-paginated",
      roles: "any",
      request: { query: ListQuery },
      responses: {
        200: jsonResponse(
          z.object({ items: z.array(DocumentSchema), nextCursor: z.string().nullable() }),
          "A page of documents",
        ),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const sort = q.updatedSince && q.sort === "due" ? "updated" : q.sort;
      const day = today(c.var.deps);
      const scope = c.var.scope;
      const { items: rows } = await scope.list<DocRow>(
        listDocuments(scope, { ...q, sort, after: q.cursor ? decodeCursor(q.cursor) : undefined }, day),
      );
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      const nextCursor =
        rows.length > q.limit && last ? encodeCursor([SORT_KEY[sort].of(last), last.id]) : null;
      return c.json({ items: items.map((r) => toDocument(r, day)), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/documents/counts",
      tags,
      summary: "Counts by status and overdue, for dashboards",
      roles: "any",
      request: { query: z.object({ box: z.enum(["inbox", "outbox", "followup"]).default("inbox") }) },
      responses: { 200: jsonResponse(Counts, "Counts") },
    }),
    async (c) => {
      const { box } = c.req.valid("query");
      const scope = c.var.scope;
      const {
        results: [rows],
      } = await scope.run([countDocuments(scope, box, today(c.var.deps))]);
      const byStatus = Object.fromEntries(DOC_STATUSES.codes.map((s) => [s, 0]));
      for (const r of rows) byStatus[r.status] = r.n;
      return c.json(
        {
          box,
          total: rows.reduce((n, r) => n + r.n, 0),
          overdue: rows.reduce((n, r) => n + (r.overdue ?? 0), 0),
          byStatus,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/documents/{id}",
      tags,
      summary: "One document with its timeline",
      roles: "any",
      request: { params: DocParams },
      responses: { 200: jsonResponse(DocumentDetail, "The document") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const {
        results: [json, events],
      } = await scope.run([getDocument(scope, id), getTimeline(scope, id)], ([d]) => d[0]);
      return c.json(
        { ...toDocumentDetail(docs(json)[0]!, today(c.var.deps)), timeline: events.map(toEvent) },
        200,
      );
    },
  )
  .openapi(
    action("/withdraw", "Withdraw a document not yet received (sender)", SENDERS, NoteInput),
    async (c) => {
      const doc = await act(c.var.deps, c.var.scope, c.req.valid("param").id, {
        event: "withdrawn",
        note: c.req.valid("json").note,
        party: "sender",
        from: ["sent"],
        set: sql`status = 'withdrawn'`,
      });
      return c.json(toDocumentDetail(doc, today(c.var.deps)), 200);
    },
  )
  .openapi(
    action(
      "/receive",
      "Confirm receipt: the receipt date starts the statutory period (registrar)",
      ["registrar"],
      ReceiveInput,
      {
        422:
          "Received before it was sent (`received_before_sent`), " +
          "or outside the calendar (`outside_calendar`)",
      },
    ),
    async (c) => {
      const { receivedOn } = c.req.valid("json");
      const deps = c.var.deps;
      if (receivedOn > today(deps))
        throw invalid("receivedOn", "a receipt date cannot be in the future", "future_date");
      const scope = c.var.scope;
      const doc = await act(deps, scope, c.req.valid("param").id, {
        event: "received",
        party: "recipient",
        from: ["sent"],
        // A receipt date whose deadline cannot be counted on the calendar the system holds is refused.
        when: sql`${receivedOn} >= d_.sent_on
        and ${dueOn(receivedOn, sql`d_.period_days`, sql`d_.period_months`, countsMakeup(sql`d_.jurisdiction_id`))} is not null`,
        set: sql`status = 'received', received_on = ${receivedOn}, received_by = ${scope.me.userId},
          ${deadlineSet(sql`${receivedOn}`, sql`period_days`, sql`period_months`)}`,
        refuse: (d) =>
          receivedOn < d.sentOn
            ? new ApiError(
                422,
                "received_before_sent",
                `The document was sent on ${d.sentOn}; it cannot have been received before.`,
              )
            : outsideCalendar(),
      });
      return c.json(toDocumentDetail(doc, today(deps)), 200);
    },
  )
  .openapi(
    action(
      "/assign",
      "Assign (or reassign) the handling department and handler (registrar)",
      ["registrar"],
      AssignInput,
      {
        422:
          "Department or handler not of the receiving organisation (`invalid_assignee`), " +
          "or the handler not in that department (`handler_not_in_department`)",
      },
    ),
    async (c) => {
      const input = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const id = c.req.valid("param").id;
      const doc = await act(deps, scope, id, {
        event: sql`case when d_.status = 'assigned' then 'reassigned' else 'assigned' end`,
        note: input.note,
        party: "recipient",
        from: ["received", "assigned"],
        // The department is the recipient's, and the handler an active handler of that very
        // department: checked by the assignment's own statement, so a concurrent move cannot slip by.
        when: sql`exists (select 1 from departments dp_
          where dp_.id = ${input.departmentId} and dp_.org_id = d_.recipient_org_id)
        and exists (select 1 from users hu_
            join role_assignments hr_ on hr_.user_id = hu_.id and hr_.org_id = hu_.org_id
          where hu_.id = ${input.handlerId} and hu_.org_id = d_.recipient_org_id and hu_.active = 1
            and hr_.role = 'handler' and hu_.department_id = ${input.departmentId})`,
        set: sql`status = 'assigned', handling_department_id = ${input.departmentId},
          handler_id = ${input.handlerId}`,
        // Whether the department and handler are valid apart from each other
        // (then only the pairing is wrong).
        probe: sql`select
          exists (select 1 from documents d_ join departments dp_ on dp_.org_id = d_.recipient_org_id
            where d_.id = ${id} and dp_.id = ${input.departmentId}) as department,
          exists (select 1 from documents d_ join users hu_ on hu_.org_id = d_.recipient_org_id
            join role_assignments hr_
              on hr_.user_id = hu_.id and hr_.org_id = hu_.org_id and hr_.role = 'handler'
            where d_.id = ${id} and hu_.id = ${input.handlerId} and hu_.active = 1) as handler`,
        refuse: (_d, _p, probe) =>
          probe?.department && probe.handler
            ? new ApiError(
                422,
                "handler_not_in_department",
                "The handler does not belong to the chosen department; " +
                  "choose the handler's own department or a handler of it.",
              )
            : new ApiError(
                422,
                "invalid_assignee",
                "The department and the handler must belong to the receiving organisation, " +
                  "and the handler must hold the handler role.",
              ),
        effects: (applied, { eventId, now }) => [
          notify(scope, {
            id: deps.ids(),
            applied,
            recipients: sql`(${input.handlerId})`,
            kind: "document.assigned",
            docId: id,
            now,
            dedupe: `assigned:${eventId}`,
            zh: "您有一件新分办的监督文书,请按期办理回复。",
            en: "A supervision document was assigned to you; reply before its deadline.",
          }),
          notify(scope, {
            id: deps.ids(),
            applied,
            kind: "document.reassigned",
            docId: id,
            now,
            dedupe: `unassigned:${eventId}`,
            // The handler it was taken from (on a reassignment to someone else).
            recipients: sql`(select ev.before ->> 'handlerId' from document_events ev
            where ev.id = ${eventId} and ev.type = 'reassigned'
            and ev.before ->> 'handlerId' is not ${input.handlerId})`,
            zh: "一件监督文书已改派他人办理,您无需再处理。",
            en: "A supervision document was reassigned to someone else; you no longer handle it.",
          }),
        ],
      });
      return c.json(toDocumentDetail(doc, today(deps)), 200);
    },
  )
  .openapi(
    action(
      "/reply",
      "File the written reply (assigned handler, or its department head or leader)",
      ["handler", "department_head", "leader"],
      ReplyInput,
      { 422: "Reply date before receipt" },
    ),
    async (c) => {
      const r = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const id = c.req.valid("param").id;
      if (r.repliedOn > today(deps))
        throw invalid("repliedOn", "a reply date cannot be in the future", "future_date");
      const doc = await act(deps, scope, id, {
        event: "replied",
        party: "recipient",
        from: ["assigned"],
        when: sql`${r.repliedOn} >= d_.received_on
        and (d_.handler_id = ${scope.me.userId} or ${scope.hasRole(["department_head", "leader"])})
        and ((d_.type not like 'protest.%' and d_.type not like 'retrial_suggestion.%')
          or ${r.retrialRuled ?? null} is not null)`,
        set: sql`status = 'replied', replied_on = ${r.repliedOn}, reply_content = ${r.content},
        reply_decision = ${r.decision},
        retrial_ruled = ${r.retrialRuled === undefined ? null : r.retrialRuled ? 1 : 0},
        reply_late = (${r.repliedOn} > due_on), replied_by = ${scope.me.userId}`,
        refuse: (d, p) => {
          if (r.repliedOn < d.receivedOn!)
            return new ApiError(
              422,
              "replied_before_received",
              `The document was received on ${d.receivedOn}.`,
            );
          if (d.handlerId !== p.id && !p.roles.some((x) => x === "department_head" || x === "leader"))
            return new ApiError(
              403,
              "not_assigned_handler",
              "Only the assigned handler, a department head or a leader may reply.",
            );
          if (r.retrialRuled === undefined)
            return invalid(
              "retrialRuled",
              "say whether a retrial was ruled for a protest or retrial suggestion",
              "required",
            );
          return undefined;
        },
        effects: (applied, { eventId, now }) => [
          notify(scope, {
            id: deps.ids(),
            applied,
            kind: "document.replied",
            docId: id,
            now,
            dedupe: `replied:${eventId}`,
            recipients: sql`(select d_.created_by from documents d_ where d_.id = ${id})`,
            zh: "您发出的文书已收到书面回复。",
            en: "The document you sent has received its written reply.",
          }),
        ],
      });
      return c.json(toDocumentDetail(doc, today(deps)), 200);
    },
  )
  .openapi(
    action(
      "/acknowledge",
      "Acknowledge the reply; 'not accepted' flags follow-up supervision by the next level (sender)",
      SENDERS,
      AckInput,
    ),
    async (c) => {
      const a = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const id = c.req.valid("param").id;
      const parentOrg = sql`(select po_.id from organizations po_
        join jurisdictions j_ on j_.parent_id = po_.jurisdiction_id
      where j_.id = documents.jurisdiction_id
        and po_.kind = (select so_.kind from organizations so_ where so_.id = documents.sender_org_id))`;
      const doc = await act(deps, scope, id, {
        event: "acknowledged",
        note: a.reason,
        party: "sender",
        from: ["replied"],
        set: sql`status = 'acknowledged', ack_result = ${a.result}, ack_reason = ${a.reason ?? null},
        acked_by = ${scope.me.userId},
        followup_org_id = coalesce(case when ${a.result} = 'not_accepted' then ${parentOrg} end,
          followup_org_id)`,
        effects: (applied, { eventId, now }) =>
          a.result === "not_accepted"
            ? [
                notify(scope, {
                  id: deps.ids(),
                  applied,
                  kind: "document.followup",
                  docId: id,
                  now,
                  dedupe: `followup:${eventId}`,
                  recipients: sql`(select r_.user_id from role_assignments r_
                    where r_.org_id = (select followup_org_id from documents where id = ${id})
                      and r_.role in ('leader', 'registrar'))`,
                  zh: "下级院对一件监督文书的回复不予认可,请跟进监督。",
                  en: "A basic-level reply was not accepted: follow-up supervision is needed.",
                }),
              ]
            : [],
      });
      return c.json(toDocumentDetail(doc, today(deps)), 200);
    },
  )
  .openapi(
    action(
      "/retrial-result",
      "Record the result of the retrial a protest or retrial suggestion obtained (the court)",
      ["registrar", "handler", "department_head", "leader"],
      RetrialResultInput,
      { 422: "Decided before the reply that ruled the retrial (`decided_before_reply`)" },
    ),
    async (c) => {
      const { result, decidedOn } = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const id = c.req.valid("param").id;
      if (decidedOn > today(deps))
        throw invalid("decidedOn", "a decision date cannot be in the future", "future_date");
      // Recorded once: a court's decision is not edited here (a later correction is a new retrial).
      const doc = await act(deps, scope, id, {
        event: "retrial_result",
        note: RETRIAL_RESULTS.label(result).zh,
        party: "recipient",
        from: ["replied", "acknowledged"],
        when: sql`d_.retrial_ruled = 1 and d_.retrial_result is null and ${decidedOn} >= d_.replied_on`,
        set: sql`retrial_result = ${result}, retrial_result_on = ${decidedOn}`,
        refuse: (d) =>
          d.retrialRuled !== 1
            ? new ApiError(409, "no_retrial_ruled", "The reply did not rule a retrial for this document.")
            : d.retrialResult
              ? new ApiError(
                  409,
                  "retrial_result_recorded",
                  `The retrial's result (${RETRIAL_RESULTS.label(d.retrialResult).en}) is already recorded.`,
                )
              : decidedOn < d.repliedOn!
                ? new ApiError(
                    422,
                    "decided_before_reply",
                    `The retrial was ruled in the reply of ${d.repliedOn}; it cannot be decided before.`,
                  )
                : undefined,
        effects: (applied, { eventId, now }) => [
          notify(scope, {
            id: deps.ids(),
            applied,
            kind: "document.retrial_result",
            docId: id,
            now,
            dedupe: `retrial-result:${eventId}`,
            recipients: sql`(select d_.created_by from documents d_ where d_.id = ${id})`,
            zh: `再审案件已审结:${RETRIAL_RESULTS.label(result).zh}。`,
            en: `The retried case was decided: ${RETRIAL_RESULTS.label(result).en}.`,
          }),
        ],
      });
      return c.json(toDocumentDetail(doc, today(deps)), 200);
    },
  )
  .openapi(
    action("/urge", "催办: urge an open document (sender; at most once per 24 h)", SENDERS, NoteInput, {
      429: "Urged less than 24 hours ago",
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const id = c.req.valid("param").id;
      const since = new Date(deps.clock.now().getTime() - dayMs).toISOString();
      const recipientOrg = sql`(select recipient_org_id from documents where id = ${id})`;
      const handlingDept = sql`(select handling_department_id from documents where id = ${id})`;
      const doc = await act(deps, scope, id, {
        event: "urged",
        note: c.req.valid("json").note,
        party: "sender",
        from: ["sent", "received", "assigned"],
        when: sql`(d_.last_urged_at is null or d_.last_urged_at <= ${since})`,
        set: sql`last_urged_at = ${deps.clock.now().toISOString()}`,
        refuse: (d) => {
          const retry = Math.ceil(
            (new Date(d.lastUrgedAt!).getTime() + dayMs - deps.clock.now().getTime()) / 1000,
          );
          return new ApiError(
            429,
            "urge_rate_limited",
            `This document was urged at ${d.lastUrgedAt}; urge again after 24 hours.`,
            { headers: { "retry-after": String(Math.max(retry, 1)) } },
          );
        },
        effects: (applied, { eventId, now }) => [
          notify(scope, {
            id: deps.ids(),
            applied,
            kind: "document.urged",
            docId: id,
            now,
            dedupe: `urged:${eventId}`,
            urgent: true,
            // The handler and the head of the handling department; before assignment, the receiving
            // office.
            recipients: sql`(select ux_.id from users ux_
            where ux_.id = (select handler_id from documents where id = ${id})
            or ux_.id in ${usersWithRole(recipientOrg, "department_head", handlingDept)}
            or (${handlingDept} is null and ux_.id in ${usersWithRole(recipientOrg, "registrar")}))`,
            zh: "来文单位对一件监督文书进行催办,请尽快办理回复。",
            en: "The sender urged a supervision document: please reply promptly.",
          }),
        ],
      });
      return c.json(toDocumentDetail(doc, today(deps)), 200);
    },
  )
  .openapi(
    action(
      "/extensions",
      "Request an extension where the rule allows one (handler or department head)",
      ["handler", "department_head"],
      ExtensionInput,
      { 422: "The rule allows no extension" },
    ),
    async (c) => {
      const { reason } = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const id = c.req.valid("param").id;
      const xid = deps.ids();
      const doc = await act(deps, scope, id, {
        event: "extension_requested",
        note: reason,
        party: "recipient",
        from: ["received", "assigned"],
        when: sql`exists (select 1 from deadline_rules r_
          where r_.id = d_.rule_id and (r_.extension_days is not null or r_.extension_months is not null))
        and not exists (select 1 from extension_requests x_
          where x_.document_id = d_.id and x_.status in ('pending', 'approved'))
        and (d_.handler_id = ${scope.me.userId} or ${scope.hasRole(["department_head"])})`,
        refuse: (d, p) =>
          !d.extensionAllowed
            ? new ApiError(
                422,
                "extension_not_allowed",
                "The rule for this document type provides no extension.",
              )
            : d.handlerId !== p.id && !p.roles.includes("department_head")
              ? new ApiError(
                  403,
                  "not_assigned_handler",
                  "Only the assigned handler or a department head may request an extension.",
                )
              : d.pendingExtension
                ? new ApiError(
                    409,
                    "extension_pending",
                    "An extension request is already awaiting a decision.",
                  )
                : new ApiError(409, "already_extended", "This document's deadline was already extended."),
        effects: (applied, { now }) => [
          scope.db.run(sql`insert into extension_requests (id, jurisdiction_id, document_id, deadline_version,
            period_days, period_months, reason, status, requested_by, requested_at)
          select ${xid}, d_.jurisdiction_id, d_.id, d_.deadline_version,
            r_.extension_days, r_.extension_months, ${reason}, 'pending', ${scope.me.userId}, ${now}
          from documents d_ join deadline_rules r_ on r_.id = d_.rule_id where d_.id = ${id} and ${applied}`),
          notify(scope, {
            id: deps.ids(),
            applied,
            kind: "extension.requested",
            docId: id,
            now,
            dedupe: `extension:${xid}`,
            recipients: usersWithRole(
              sql`(select recipient_org_id from documents where id = ${id})`,
              "leader",
            ),
            zh: "有一件监督文书申请延长回复期限,请审批。",
            en: "An extension of a reply deadline awaits your approval.",
          }),
        ],
      });
      return c.json(toDocumentDetail(doc, today(deps)), 200);
    },
  )
  .openapi(
    action(
      "/extensions/{extensionId}/decision",
      "Approve or reject an extension (a leader of the receiving institution)",
      ["leader"],
      ExtensionDecisionInput,
      {},
      DocParams.extend({ extensionId: SubId }),
    ),
    async (c) => {
      const { id, extensionId } = c.req.valid("param");
      const { approve, note } = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const x = (col: string) =>
        sql`(select ${sql.raw(col)} from extension_requests where id = ${extensionId})`;
      const doc = await act(deps, scope, id, {
        event: approve ? "extension_approved" : "extension_rejected",
        note,
        party: "recipient",
        from: ["received", "assigned"],
        when: sql`exists (select 1 from extension_requests x_
          where x_.id = ${extensionId} and x_.document_id = d_.id and x_.status = 'pending'
            and x_.deadline_version = d_.deadline_version)`,
        set: approve ? deadlineSet(sql`due_on`, x("period_days"), x("period_months")) : undefined,
        refuse: () =>
          new ApiError(
            409,
            "no_pending_extension",
            "There is no pending extension request with that id for the current deadline.",
          ),
        effects: (applied, { eventId, now }) => [
          scope.db.run(sql`update extension_requests
            set status = ${approve ? "approved" : "rejected"}, decided_by = ${scope.me.userId},
              decided_at = ${now}, decision_note = ${note ?? null}
            where id = ${extensionId} and ${applied}`),
          notify(scope, {
            id: deps.ids(),
            applied,
            kind: "extension.decided",
            docId: id,
            now,
            dedupe: `extension-decided:${eventId}`,
            recipients: sql`(select requested_by from extension_requests where id = ${extensionId})`,
            zh: approve ? "延长回复期限的申请已获批准。" : "延长回复期限的申请未获批准。",
            en: approve ? "Your extension request was approved." : "Your extension request was rejected.",
          }),
        ],
      });
      return c.json(toDocumentDetail(doc, today(deps)), 200);
    },
  )
  .openapi(
    action(
      "/committee-sessions",
      "Record a judicial-committee session on a protest and invite the chief procurator (court)",
      ["registrar", "handler", "department_head", "leader"],
      CommitteeInput,
      { 422: "Not a protest" },
    ),
    async (c) => {
      const input = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const id = c.req.valid("param").id;
      const sid = deps.ids();
      const doc = await act(deps, scope, id, {
        event: "committee_invited",
        note: `${input.sessionAt} ${input.place}`,
        party: "recipient",
        from: ["received", "assigned", "replied"],
        when: sql`d_.type like 'protest.%'`,
        refuse: () =>
          new ApiError(422, "not_a_protest", "Judicial-committee invitations are for protest cases."),
        effects: (applied, { now }) => [
          scope.db.run(sql`insert into committee_sessions
            (id, jurisdiction_id, document_id, session_at, place, invited_by, invited_at)
          select ${sid}, d_.jurisdiction_id, d_.id, ${new Date(input.sessionAt).toISOString()},
            ${input.place}, ${scope.me.userId}, ${now}
          from documents d_ where d_.id = ${id} and ${applied}`),
          notify(scope, {
            id: deps.ids(),
            applied,
            kind: "committee.invited",
            docId: id,
            now,
            dedupe: `committee:${sid}`,
            recipients: usersWithRole(sql`(select sender_org_id from documents where id = ${id})`, "leader"),
            zh: "法院审判委员会讨论抗诉案件,邀请检察长(或委托副检察长)列席。",
            en:
              "The court's judicial committee will discuss a protest case; " +
              "the chief procurator is invited.",
          }),
        ],
      });
      return c.json(toDocumentDetail(doc, today(deps)), 200);
    },
  )
  .openapi(
    action(
      "/committee-sessions/{sessionId}/response",
      "Answer a judicial-committee invitation: attend, delegate to a deputy, " +
        "or decline (procuratorate leader)",
      ["leader"],
      CommitteeResponseInput,
      {},
      DocParams.extend({ sessionId: SubId }),
    ),
    async (c) => {
      const { id, sessionId } = c.req.valid("param");
      const input = c.req.valid("json");
      const deps = c.var.deps;
      const scope = c.var.scope;
      const doc = await act(deps, scope, id, {
        event: "committee_answered",
        note:
          input.response === "delegate"
            ? `${COMMITTEE_RESPONSES.label(input.response).zh}:${input.delegateName}`
            : COMMITTEE_RESPONSES.label(input.response).zh,
        party: "sender",
        from: ["received", "assigned", "replied", "acknowledged"],
        when: sql`exists (select 1 from committee_sessions s_
          where s_.id = ${sessionId} and s_.document_id = d_.id and s_.response is null)`,
        refuse: () =>
          new ApiError(409, "invitation_not_open", "No unanswered invitation with that id on this document."),
        effects: (applied, { eventId, now }) => [
          scope.db.run(sql`update committee_sessions
            set response = ${input.response}, delegate_name = ${input.delegateName ?? null},
              response_note = ${input.note ?? null}, responded_by = ${scope.me.userId}, responded_at = ${now}
            where id = ${sessionId} and ${applied}`),
          notify(scope, {
            id: deps.ids(),
            applied,
            kind: "committee.answered",
            docId: id,
            now,
            dedupe: `committee-answer:${eventId}`,
            recipients: sql`(select invited_by from committee_sessions where id = ${sessionId})`,
            zh: `检察院已答复审判委员会列席邀请:${COMMITTEE_RESPONSES.label(input.response).zh}。`,
            en:
              "The procuratorate answered the committee invitation: " +
              `${COMMITTEE_RESPONSES.label(input.response).en}.`,
          }),
        ],
      });
      return c.json(toDocumentDetail(doc, today(deps)), 200);
    },
  );
