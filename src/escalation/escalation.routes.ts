// Admin API of the escalation ladders: read the jurisdiction's ladders (defaults and overrides),
// override one kind's ladder, or return it to the default.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { escalationLadders } from "../db/schema";
import { defineRoute, newRouter, jsonResponse, jsonBody } from "../http/api";
import { ApiError, forbidden } from "../http/problem";
import { docSender, DOC_TYPES, type OrgKind } from "../vocab";
import {
  AnyUnitLadderInput,
  AUDIENCE_CODES,
  AUDIENCES,
  DEFAULT_LADDERS,
  ladderErrors,
  normalizeLadder,
  stepKeyIn,
  SUBJECT_AUDIENCES,
  unitOf,
  type LadderStep,
} from "./ladder";

const tags = ["Escalation"];
const KINDS = ["*", ...DOC_TYPES.codes] as const;
/**
 * The subject types whose ladders an admin may override here, and their kinds: documents per type;
 * referral notices, periodic reports and risk alerts one ladder each ('*'; a risk alert's steps
 * count clock hours, the others' working days).
 */
const SUBJECT_KINDS = {
  document: KINDS,
  referral: ["*"],
  report: ["*"],
  risk_alert: ["*"],
} as const satisfies Record<string, readonly string[]>;
type LadderSubject = keyof typeof SUBJECT_KINDS;
const LADDER_SUBJECTS = Object.keys(SUBJECT_KINDS) as [LadderSubject, ...LadderSubject[]];
const Params = z.object({
  subjectType: z.enum(LADDER_SUBJECTS).openapi({
    description: "document, referral, report (steps in working days) or risk_alert (steps in clock hours)",
  }),
  kind: z.enum(KINDS).openapi({
    description: "A document type, or '*' (the only kind of referrals, reports and risk alerts)",
  }),
});

const Step = z
  .object({
    offset: z.number().int(),
    key: z.string().openapi({ example: "T-7" }),
    audience: z.array(z.enum(AUDIENCE_CODES)),
    urgent: z.boolean(),
  })
  .openapi("EscalationStep");
const Ladder = z
  .object({
    subjectType: z.enum(LADDER_SUBJECTS),
    kind: z.enum(KINDS).openapi({
      description: "A document type, or '*' for every type without its own ladder (risk alerts: '*')",
    }),
    source: z
      .enum(["default", "jurisdiction", "jurisdiction_all_types"])
      .openapi({ description: "Where the ladder in force comes from" }),
    steps: z.array(Step),
    updatedAt: z.string().nullable(),
  })
  .openapi("EscalationLadder");
const Ladders = z
  .object({
    subjectType: z.literal("document"),
    defaults: z.array(Step),
    audiences: z.array(
      z.object({ code: z.enum(AUDIENCE_CODES), label: z.object({ zh: z.string(), en: z.string() }) }),
    ),
    items: z.array(Ladder),
  })
  .openapi("EscalationLadders");

/**
 * Who may set a kind's ladder: for a document type, the sending institution (below); referrals,
 * reports and risk alerts go both ways, so either institution's admins set their ladders (null).
 */
function setterOf(subjectType: LadderSubject, kind: string): OrgKind | null {
  if (!(SUBJECT_KINDS[subjectType] as readonly string[]).includes(kind))
    throw new ApiError(400, "validation_failed", "The request has invalid fields.", {
      errors: [{ in: "path", path: "kind", message: `not a kind of ${subjectType}` }],
    });
  return subjectType === "document" ? senderOf(kind as (typeof KINDS)[number]) : null;
}

/**
 * A document type's ladder protects the sender (it is told of overdue replies, and the next level
 * follows up), so only the sending institution's admins may change it; there is no '*' override
 * for documents, since one would cover types sent in both directions.
 */
function senderOf(kind: (typeof KINDS)[number]): OrgKind {
  if (kind === "*")
    throw new ApiError(
      422,
      "per_type_only",
      "Document ladders are set per type, by the institution that sends the type.",
    );
  return docSender(kind);
}

function requireSender(callerKind: OrgKind, sender: OrgKind | null, kind: string) {
  if (sender && callerKind !== sender)
    throw forbidden(`The ladder of ${kind} is set by the institution that sends it (the ${sender}).`);
}

const view = (steps: LadderStep[], subjectType = "document") =>
  normalizeLadder(steps).map((s) => ({
    offset: s.offset,
    key: stepKeyIn(unitOf(subjectType))(s.offset),
    audience: s.audience,
    urgent: !!s.urgent,
  }));
type Row = { kind: string; steps: string; updatedAt: string };

export const escalationRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/admin/escalation-ladders",
      tags,
      summary: "The escalation ladders in force in the caller's jurisdiction, per document type (admins)",
      roles: ["admin"],
      responses: { 200: jsonResponse(Ladders, "Defaults, and the ladder in force for each kind") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const {
        results: [rows],
      } = await scope.run([
        scope.db.all<Row>(sql`select kind, steps, updated_at as updatedAt from escalation_ladders l
          where l.subject_type = 'document' and ${scope.visible(escalationLadders, "l")}`),
      ]);
      const own = new Map(rows.map((r) => [r.kind, r]));
      const all = own.get("*");
      const items = KINDS.map((kind) => {
        const mine = own.get(kind);
        if (mine)
          return {
            subjectType: "document" as const,
            kind,
            source: "jurisdiction" as const,
            steps: view(JSON.parse(mine.steps)),
            updatedAt: mine.updatedAt,
          };
        if (all && kind !== "*")
          return {
            subjectType: "document" as const,
            kind,
            source: "jurisdiction_all_types" as const,
            steps: view(JSON.parse(all.steps)),
            updatedAt: all.updatedAt,
          };
        return {
          subjectType: "document" as const,
          kind,
          source: "default" as const,
          steps: view(DEFAULT_LADDERS.document!),
          updatedAt: null,
        };
      });
      return c.json(
        {
          subjectType: "document" as const,
          defaults: view(DEFAULT_LADDERS.document!),
          audiences: SUBJECT_AUDIENCES.document!.map((code) => ({ code, label: AUDIENCES[code] })),
          items,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/v1/admin/escalation-ladders/{subjectType}/{kind}",
      tags,
      summary:
        "Override the ladder of a document type ('*' = all types), or of referral notices, periodic reports or risk alerts ('*'), for the caller's jurisdiction (admins)",
      description:
        "Applies from the next sweep. Steps already recorded for a deadline are not repeated. Offsets " +
        "count in the subject type's unit: working days for documents, referrals and reports (-20…60), " +
        "clock hours for risk alerts (-24…168; H-1, H0, H+2 …); audiences are the subject type's own. " +
        "A document type's ladder is set by its sending institution; a referral's, report's or risk " +
        "alert's by either institution.",
      roles: ["admin"],
      request: { params: Params, body: jsonBody(AnyUnitLadderInput) },
      responses: { 200: jsonResponse(Ladder, "The ladder now in force") },
    }),
    async (c) => {
      const { subjectType, kind } = c.req.valid("param");
      const steps = normalizeLadder(c.req.valid("json").steps);
      const errors = ladderErrors(subjectType, steps);
      if (errors.length)
        throw new ApiError(400, "validation_failed", "The request has invalid fields.", { errors });
      const scope = c.var.scope;
      const sender = setterOf(subjectType, kind);
      const now = c.var.deps.clock.now().toISOString();
      const {
        principal,
        results: [, rows],
      } = await scope.run([
        scope.db.run(sql`insert into escalation_ladders
            (id, jurisdiction_id, subject_type, kind, steps, updated_at, updated_by)
          select ${c.var.deps.ids()}, ${scope.me.jurisdictionId}, ${subjectType}, ${kind},
            ${JSON.stringify(steps)}, ${now}, ${scope.me.userId}
          where ${scope.hasRole()} and ${sender ? scope.isInstitution(sender) : sql`1`}
            and ${scope.me.jurisdictionId} is not null
          on conflict (jurisdiction_id, subject_type, kind) do update
            set steps = excluded.steps, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
        scope.db.all<Row>(sql`select kind, steps, updated_at as updatedAt from escalation_ladders l
          where l.subject_type = ${subjectType} and l.kind = ${kind}
            and ${scope.visible(escalationLadders, "l")}`),
      ]);
      requireSender(principal.orgKind, sender, kind);
      const row = rows[0]!;
      return c.json(
        {
          subjectType,
          kind,
          source: "jurisdiction" as const,
          steps: view(JSON.parse(row.steps), subjectType),
          updatedAt: row.updatedAt,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/v1/admin/escalation-ladders/{subjectType}/{kind}",
      tags,
      summary:
        "Return a document type's (or referrals', reports', risk alerts') ladder to the default (admins)",
      roles: ["admin"],
      request: { params: Params },
      responses: { 204: { description: "The override is gone (or there was none)" } },
    }),
    async (c) => {
      const { subjectType, kind } = c.req.valid("param");
      const scope = c.var.scope;
      const sender = setterOf(subjectType, kind);
      const { principal } = await scope.run([
        scope.db.run(sql`delete from escalation_ladders where subject_type = ${subjectType} and kind = ${kind}
          and jurisdiction_id = ${scope.me.jurisdictionId} and ${scope.hasRole()}
          and ${sender ? scope.isInstitution(sender) : sql`1`}`),
      ]);
      requireSender(principal.orgKind, sender, kind);
      return c.body(null, 204);
    },
  );
