// HTTP routes of a meeting's minutes (会议纪要): read, draft (host), submit for both leaders' signature.
// Signing itself is the co-signature's (POST /v1/cosignatures/{id}/sign).
import { z } from "@hono/zod-openapi";
import { toCosign } from "../cosign/cosign";
import { coded, defineRoute, errorResponse, jsonBody, jsonResponse, newRouter } from "../http/api";
import { ApiError } from "../http/problem";
import { MEETING_STATUSES } from "../vocab";
import { CosignOrNull } from "./meetings.schemas";
import {
  getMinutes,
  MAX_MEASURES,
  MINUTES_EDITORS,
  type MinutesRow,
  saveMinutes,
  submitMinutes,
} from "./minutes";

const tags = ["Meetings"];
const Id = z.string().min(1).max(64);
const Params = z.object({ id: Id });

const MeasureInput = z
  .object({
    title: z.string().trim().min(1).max(500).openapi({ example: "建立民事检察监督案件信息共享机制" }),
    ownerOrgId: Id.openapi({ description: "The host or the guest institution of this meeting" }),
    ownerDepartmentId: Id.nullish().openapi({ description: "A department of the owner institution" }),
    dueOn: z.iso
      .date()
      .refine((d) => d <= "2100-12-31", "must be by 2100-12-31")
      .openapi({ example: "2026-12-31", description: "After today (China time), by 2100-12-31" }),
  })
  .openapi("MeasureInput");

const MinutesInput = z
  .object({
    text: z.string().trim().min(1).max(50_000).openapi({ example: "一、会议议定……" }),
    measures: z.array(MeasureInput).max(MAX_MEASURES).default([]),
  })
  .openapi("MinutesInput");

const Named = z.object({ id: z.string(), name: z.string() });

export const MinutesSchema = z
  .object({
    meetingId: z.string(),
    meetingStatus: coded(MEETING_STATUSES.codes),
    text: z.string(),
    measures: z.array(
      z.object({
        position: z.number().int(),
        title: z.string(),
        ownerOrg: Named,
        ownerDepartment: Named.nullable(),
        dueOn: z.string(),
      }),
    ),
    version: z.number().int().openapi({ description: "1 for the first draft; +1 on each change" }),
    contentHash: z
      .string()
      .nullable()
      .openapi({ description: "sha-256 of this version's text and measures: what a round over it signs" }),
    draftedBy: Named,
    locked: z.boolean().openapi({ description: "Signed by both sides: no edit is possible" }),
    underSignature: z.boolean().openapi({ description: "A round is open: edits wait for its outcome" }),
    cosignature: CosignOrNull.openapi({ description: "The latest co-signature round, if any" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Minutes");

function toMinutes(r: MinutesRow): z.infer<typeof MinutesSchema> {
  const m = r.minutes!;
  return {
    meetingId: r.meetingId,
    meetingStatus: MEETING_STATUSES.item(r.meetingStatus),
    text: m.text,
    measures: m.measures.map((x) => ({
      position: x.position,
      title: x.title,
      ownerOrg: { id: x.ownerOrgId, name: x.ownerOrgName ?? "" },
      ownerDepartment: x.ownerDepartmentId
        ? { id: x.ownerDepartmentId, name: x.ownerDepartmentName ?? "" }
        : null,
      dueOn: x.dueOn,
    })),
    version: m.version,
    contentHash: m.contentHash,
    draftedBy: m.draftedBy,
    locked: r.locked,
    underSignature: r.underSignature,
    cosignature: r.cosignature ? toCosign(r.cosignature) : null,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

const STATE_ERRORS = {
  403: errorResponse("Not the host institution, or a role that may not draft the minutes"),
};

export const minutesRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/meetings/{id}/minutes",
      tags,
      summary: "A meeting's minutes: text, agreed measures, version and their co-signature",
      roles: "any",
      request: { params: Params },
      responses: {
        200: jsonResponse(MinutesSchema, "The minutes"),
        404: errorResponse("No such meeting, or `no_minutes`: not drafted yet"),
      },
    }),
    async (c) => {
      const row = await getMinutes(c.var.scope, c.req.valid("param").id);
      if (!row.minutes)
        throw new ApiError(404, "no_minutes", "The minutes of this meeting have not been drafted yet.");
      return c.json(toMinutes(row), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/v1/meetings/{id}/minutes",
      tags,
      summary: "Draft or redraft the minutes (host institution; the meeting scheduled or held)",
      description:
        "Each change makes a new version. Refused with 409 `under_signature` while a round is open and " +
        "`locked` once both sides signed. Sending the current content again changes nothing.",
      roles: MINUTES_EDITORS,
      request: { params: Params, body: jsonBody(MinutesInput) },
      responses: {
        200: jsonResponse(MinutesSchema, "The minutes after the change"),
        ...STATE_ERRORS,
        409: errorResponse("`under_signature`, `locked`, or `meeting_not_ready` (not scheduled or held)"),
      },
    }),
    async (c) => {
      const row = await saveMinutes(c.var.deps, c.var.scope, c.req.valid("param").id, c.req.valid("json"));
      return c.json(toMinutes(row), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/meetings/{id}/minutes/submit",
      tags,
      summary: "Submit the minutes for both leaders' signature (opens a co-signature round)",
      description:
        "Parties: the `leader` of the host and of the guest institution; the round records the " +
        "version's content hash. Idempotent: while the round is open a repeat answers 200 with it.",
      roles: MINUTES_EDITORS,
      request: { params: Params },
      responses: {
        201: jsonResponse(MinutesSchema, "Submitted: `cosignature` is the new round"),
        200: jsonResponse(MinutesSchema, "Already submitted: the open round"),
        ...STATE_ERRORS,
        409: errorResponse(
          "`locked`, `no_minutes`, `meeting_not_ready` (not scheduled or held) or `meeting_not_held` (not begun)",
        ),
      },
    }),
    async (c) => {
      const { row, created } = await submitMinutes(c.var.deps, c.var.scope, c.req.valid("param").id);
      const body = toMinutes(row);
      if (body.cosignature) c.header("Location", `/v1/cosignatures/${body.cosignature.id}`);
      if (!created) c.header("Idempotent-Replayed", "true");
      return c.json(body, created ? 201 : 200);
    },
  );
