// Onboarding: creating a court–procuratorate pair, inviting people, accepting an invitation.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { PASSWORD_MIN_LENGTH } from "../accounts/accounts.service";
import type { Scope } from "../auth/scope";
import { invitations, jurisdictions } from "../db/schema";
import {
  coded,
  defineRoute,
  errorResponse,
  jsonBody,
  jsonResponse,
  LabelSchema,
  newRouter,
  PageQuery,
  pageOf,
  paginate,
} from "../http/api";
import { ApiError, conflict, forbidden, notFound } from "../http/problem";
import { INVITATION_STATUSES, LEVELS, ORG_KINDS, ROLES, type InvitationStatus, type Role } from "../vocab";
import {
  acceptInvitation,
  emailInUse,
  insertInvitation,
  invitationExpiry,
  invitationJson,
  newInvitationToken,
  statusOf,
  updatedOf,
  type InvitationRow,
} from "./invitations.service";
import { pairStatements, type NewPair } from "./pairs.service";

const tags = ["Onboarding"];
const Id = z.string().min(1).max(64);
const Email = z.email().max(254).openapi({ example: "court.admin@xishan.example" });
/** A person's name: shown in notices and written into calendars, so one line without control characters. */
const PersonName = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[^\p{Cc}\u2028\u2029]*$/u, "no line breaks or other control characters");
const RoleCode = z.enum(ROLES.codes);
const IdempotencyHeader = z.object({
  "idempotency-key": z.string().min(8).max(200).openapi({ example: "0f8e5c1a-3b7d-4c2e-9a61-7d5e2b9c4f10" }),
});

const FirstAdmin = z.object({
  email: Email,
  name: PersonName.optional().openapi({ example: "王立新" }),
  roles: z
    .array(RoleCode)
    .max(6)
    .optional()
    .openapi({
      description: "Roles beside admin, so a small institution can start with one person",
      example: ["registrar"],
    }),
});
const NewPairBody = z
  .object({
    code: z
      .string()
      .regex(/^[0-9A-Za-z-]{2,20}$/, "2–20 letters, digits or '-' (e.g. the administrative division code)")
      .openapi({ example: "990103" }),
    name: z.string().trim().min(1).max(60).openapi({ example: "示范市西山区" }),
    courtName: z.string().trim().min(1).max(60).openapi({ example: "示范市西山区人民法院" }),
    procuratorateName: z.string().trim().min(1).max(60).openapi({ example: "示范市西山区人民检察院" }),
    courtAdmin: FirstAdmin,
    procuratorateAdmin: FirstAdmin,
    parentId: Id.optional().openapi({
      description:
        "The jurisdiction above: a city admin's own (the default); an operator names none for a city pair",
    }),
  })
  .refine((b) => b.courtAdmin.email.toLowerCase() !== b.procuratorateAdmin.email.toLowerCase(), {
    message: "the two institutions need different first admins (an e-mail has one account)",
    path: ["procuratorateAdmin", "email"],
  })
  .openapi("NewPair");

const OrgRef = z.object({ id: z.string(), kind: coded(ORG_KINDS.codes), name: z.string() });
const RoleItem = coded(ROLES.codes);
const Token = z.string().openapi({
  description: "The link token, shown once: the invitee passes it to POST /v1/invitations/accept",
  example: "q3Jk8vG1…",
});
const PairCreated = z
  .object({
    jurisdiction: z.object({
      id: z.string(),
      code: z.string(),
      name: z.string(),
      level: coded(LEVELS.codes),
      parentId: z.string().nullable(),
      organizations: z.array(OrgRef),
    }),
    invitations: z.array(
      z.object({
        id: z.string(),
        organization: OrgRef,
        email: z.string(),
        roles: z.array(RoleItem),
        expiresAt: z.string(),
        token: Token.nullable(),
      }),
    ),
  })
  .openapi("PairCreated");

const Invitation = z
  .object({
    id: z.string(),
    kind: z.enum(["user", "operator"]),
    organizationId: z.string().nullable(),
    email: z.string(),
    name: z.string().nullable(),
    roles: z.array(RoleItem),
    departmentId: z.string().nullable(),
    status: z.object({ code: z.enum(INVITATION_STATUSES.codes), label: LabelSchema }),
    expiresAt: z.string(),
    createdAt: z.string(),
    acceptedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    updatedAt: z.string(),
  })
  .openapi("Invitation");
const InvitationCreated = Invitation.extend({ token: Token }).openapi("InvitationCreated");
const NewInvitationBody = z
  .object({
    email: Email,
    name: PersonName.optional(),
    roles: z
      .array(RoleCode)
      .min(1)
      .max(6)
      .openapi({ example: ["handler"] }),
    departmentId: Id.optional().openapi({ description: "A department of the organisation" }),
  })
  .openapi("NewInvitation");

const Accepted = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal("Bearer"),
    expiresIn: z.number().int(),
    refreshToken: z.string(),
    refreshExpiresAt: z.string(),
    account: z.object({
      kind: z.enum(["user", "operator"]),
      id: z.string(),
      email: z.string(),
      name: z.string(),
      roles: z.array(RoleItem),
      organization: z
        .object({
          id: z.string(),
          kind: coded(ORG_KINDS.codes),
          name: z.string(),
          jurisdictionId: z.string(),
        })
        .nullable(),
      departmentId: z.string().nullable(),
      departments: z.array(z.object({ id: z.string(), name: z.string(), functions: z.array(z.string()) })),
    }),
  })
  .openapi("InvitationAccepted");

const roleItems = (roles: readonly string[]) => (roles as Role[]).map(ROLES.item);
const orgRef = <O extends { id: string; kind: "court" | "procuratorate"; name: string }>(o: O) => ({
  ...o,
  kind: ORG_KINDS.item(o.kind),
});
const invitationItem = (r: InvitationRow) => ({
  ...r,
  roles: roleItems(r.roles),
  status: INVITATION_STATUSES.item(r.status),
});
const invalid = (path: string, message: string, code: string) =>
  new ApiError(422, code, message, { errors: [{ in: "json", path, message, code }] });

/**
 * The caller's own organisation, if `orgId` is it: the existence check of the invitation routes.
 * Invitations are visible to their organisation only, so every other organisation — even one the
 * caller can see (its pair's other institution, the city above) — answers 404, as `/auth-events` does.
 */
const ownOrganization = (orgId: string, scope: Scope) =>
  sql`select id from organizations where id = ${orgId} and id = ${scope.me.orgId}`;

/** Lower-cases the e-mails of a body (an e-mail is one account, whatever its case). */
const lower = <T extends { email: string }>(x: T): T => ({ ...x, email: x.email.toLowerCase() });

export const onboardingRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/jurisdictions",
      tags,
      summary:
        "Create a court–procuratorate pair with its departments, inherited defaults and first-admin invitations " +
        "(operators: a city-level pair; a city-level admin: a basic-level pair under its own jurisdiction)",
      description:
        "One atomic batch: the jurisdiction, both institutions, their departments from the template (the court's " +
        "办公室 and the procuratorate's 综合业务部 receive documents), the defaults of the level above (local " +
        "deadline rules, escalation ladders, delivery hours, the 调休 setting; national defaults for a city pair) " +
        "and one invitation per institution for its first admin, whose token is in the answer only. " +
        "Idempotent: a retry with the same `Idempotency-Key` and body answers the same pair (200) with renewed " +
        "tokens for invitations still pending.",
      roles: ["admin", "operator"],
      request: { headers: IdempotencyHeader, body: jsonBody(NewPairBody) },
      responses: {
        201: jsonResponse(PairCreated, "Created"),
        200: jsonResponse(PairCreated, "A retry: the pair of the first attempt, with renewed pending tokens"),
        409: errorResponse(
          "`jurisdiction_code_taken`, `account_exists` (a first admin's e-mail), `idempotency_key_reused`",
        ),
        422: errorResponse(
          "`parent_not_own` (a city admin creates under its own jurisdiction), `parent_not_city`",
        ),
      },
    }),
    async (c) => {
      const key = c.req.valid("header")["idempotency-key"];
      const body = c.req.valid("json");
      const { parentId, ...rest } = body;
      const input: NewPair = {
        ...rest,
        courtAdmin: lower(rest.courtAdmin),
        procuratorateAdmin: lower(rest.procuratorateAdmin),
      };
      const deps = c.var.deps;
      const db = deps.db;
      let results: unknown[];
      let p: Awaited<ReturnType<typeof pairStatements>>;
      const op = c.var.operator;
      if (op) {
        const parent = parentId ?? null;
        p = await pairStatements(deps, input, {
          guard: sql`${op.isOperator()}
            and (${parent} is null or (select pl_.level from jurisdictions pl_ where pl_.id = ${parent}) = 'city')`,
          parent,
          by: op.operatorId,
          key,
        });
        const parentRow = db.all<{ level: string }>(
          sql`select level from jurisdictions where id = ${parent}`,
        );
        ({ results } = await op.run([...p.statements, p.read, p.checks, parentRow] as BatchItem<"sqlite">[]));
        const parents = results.at(-1) as { level: string }[];
        if (parent && !parents[0]) throw notFound("jurisdiction");
        if (parent && parents[0]!.level !== "city")
          throw invalid(
            "parentId",
            "a basic-level pair is created under a city-level jurisdiction",
            "parent_not_city",
          );
      } else {
        const scope = c.var.scope;
        const parent = parentId ?? scope.me.jurisdictionId;
        p = await pairStatements(deps, input, {
          guard: sql`${scope.hasRole(["admin"])} and ${parent} = ${scope.me.jurisdictionId}
            and (select cl_.level from jurisdictions cl_ where cl_.id = ${scope.me.jurisdictionId}) = 'city'`,
          parent,
          by: scope.me.userId,
          key,
        });
        const seen = db.all<{ id: string }>(
          parentId
            ? sql`select id from jurisdictions where id = ${parentId} and ${scope.visible(jurisdictions)}`
            : sql`select 1 as id`,
        );
        const run = await scope.run(
          [...p.statements, p.read, p.checks, seen] as BatchItem<"sqlite">[],
          (r) => (r.at(-1) as unknown[])[0],
        );
        results = run.results;
        if (run.principal.jurisdictionLevel !== "city")
          throw forbidden(
            "Basic-level pairs are created by the admins of the city-level jurisdiction above them.",
          );
        if (parentId && parentId !== run.principal.jurisdictionId)
          throw invalid(
            "parentId",
            "a city admin creates pairs under its own jurisdiction",
            "parent_not_own",
          );
      }
      const out = p.outcome(results.at(-3) as never, results.at(-2) as never);
      if (!out) throw forbidden();
      if (!out.created) c.header("Idempotent-Replayed", "true");
      c.header("Location", `/v1/jurisdictions/${out.pair.id}`);
      return c.json(
        {
          jurisdiction: {
            ...out.pair,
            level: LEVELS.item(out.pair.level),
            organizations: out.pair.organizations.map(orgRef),
          },
          invitations: out.invitations.map((i) => ({
            ...i,
            organization: orgRef(i.organization),
            roles: roleItems(i.roles),
          })),
        },
        out.created ? 201 : 200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/organizations/{id}/invitations",
      tags,
      summary: "Invite a person into the caller's own organisation, with roles and a department (its admins)",
      description: `The token is in this answer only; it is valid for 7 days and once.`,
      roles: ["admin"],
      request: { params: z.object({ id: Id }), body: jsonBody(NewInvitationBody) },
      responses: {
        201: jsonResponse(InvitationCreated, "Created"),
        409: errorResponse("`account_exists`: the e-mail has an account"),
        422: errorResponse("`invalid_department`: not a department of this organisation"),
      },
    }),
    async (c) => {
      const orgId = c.req.valid("param").id;
      const body = lower(c.req.valid("json"));
      const { deps } = c.var;
      const scope = c.var.scope;
      const db = deps.db;
      const now = deps.clock.now();
      const id = deps.ids();
      const { token, tokenHash } = await newInvitationToken();
      const dept = body.departmentId ?? null;
      const guard = sql`${orgId} = ${scope.me.orgId} and ${scope.hasRole(["admin"])}
        and (${dept} is null or exists (select 1 from departments dg_ where dg_.id = ${dept} and dg_.org_id = ${orgId}))`;
      const at = now.toISOString();
      const {
        results: [, , org, depts, taken, rows],
      } = await scope.run(
        [
          ...insertInvitation(
            deps,
            {
              id,
              kind: "user",
              email: body.email,
              name: body.name ?? null,
              roles: [...new Set(body.roles)],
              departmentId: dept,
              tokenHash,
              expiresAt: invitationExpiry(now),
              createdAt: at,
              createdBy: scope.me.userId,
            },
            orgId,
            guard,
          ),
          // An organisation's invitations are its own (the policy of `invitations`): any other
          // organisation, visible or not, is 404; a member without the admin role 403.
          db.all<{ id: string }>(ownOrganization(orgId, scope)),
          db.all<{ id: string }>(sql`select id from departments where id = ${dept} and org_id = ${orgId}`),
          db.all<{ taken: number }>(sql`select ${emailInUse(body.email)} as taken`),
          db.all<{ j: string }>(
            sql`select ${invitationJson("i", at)} as j from invitations i where i.id = ${id}`,
          ),
        ],
        ([, , org]) => org[0],
      );
      if (!rows[0]) {
        if (dept && !depts[0])
          throw invalid("departmentId", "not a department of this organisation", "invalid_department");
        if (taken[0]?.taken) throw conflict("account_exists", `${body.email} already has an account.`);
        throw forbidden();
      }
      void org;
      return c.json({ ...invitationItem(JSON.parse(rows[0].j)), token }, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/organizations/{id}/invitations",
      tags,
      summary: "The organisation's invitations, newest first (its admins); with updatedSince, by last change",
      roles: ["admin"],
      request: {
        params: z.object({ id: Id }),
        query: PageQuery.extend({
          status: z
            .string()
            .regex(/^(pending|accepted|revoked|expired)(,(pending|accepted|revoked|expired))*$/)
            .optional()
            .openapi({ description: "Comma-separated statuses", example: "pending,expired" }),
          updatedSince: z.iso
            .datetime()
            .optional()
            .openapi({ description: "Only invitations created, accepted or revoked after this instant" }),
        }),
      },
      responses: { 200: jsonResponse(pageOf(Invitation), "A page of invitations") },
    }),
    async (c) => {
      const orgId = c.req.valid("param").id;
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const db = scope.db;
      const at = c.var.deps.clock.now().toISOString();
      const conds = [sql`i.org_id = ${orgId}`, scope.visible(invitations, "i")];
      if (q.status) conds.push(sql`${statusOf("i", at)} in ${q.status.split(",") as InvitationStatus[]}`);
      const sync = q.updatedSince !== undefined;
      if (sync) conds.push(sql`${updatedOf("i")} > ${q.updatedSince}`);
      if (q.cursor) {
        const [u, id] = q.cursor.split("~");
        conds.push(sync ? sql`(${updatedOf("i")}, i.id) > (${u}, ${id ?? ""})` : sql`i.id < ${q.cursor}`);
      }
      const order = sync ? sql`${updatedOf("i")}, i.id` : sql`i.id desc`;
      const {
        results: [, rows],
      } = await scope.run(
        [
          db.all<{ id: string }>(ownOrganization(orgId, scope)),
          db.all<{ j: string }>(sql`select ${invitationJson("i", at)} as j from invitations i
            where ${sql.join(conds, sql` and `)} order by ${order} limit ${q.limit + 1}`),
        ],
        ([org]) => org[0],
      );
      const page = paginate(
        rows.map((r) => JSON.parse(r.j) as InvitationRow),
        q.limit,
        (r) => (sync ? `${r.updatedAt}~${r.id}` : r.id),
      );
      return c.json({ items: page.items.map(invitationItem), nextCursor: page.nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/v1/organizations/{id}/invitations/{invitationId}",
      tags,
      summary: "Revoke an invitation that has not been accepted (its organisation's admins)",
      roles: ["admin"],
      request: { params: z.object({ id: Id, invitationId: Id }) },
      responses: {
        200: jsonResponse(Invitation, "The invitation, revoked"),
        409: errorResponse("`invitation_used`: accepted already (disable the user instead)"),
      },
    }),
    async (c) => {
      const { id: orgId, invitationId } = c.req.valid("param");
      const { deps } = c.var;
      const scope = c.var.scope;
      const db = scope.db;
      const at = deps.clock.now().toISOString();
      const {
        results: [, , rows],
      } = await scope.run(
        [
          db.run(sql`update invitations set revoked_at = ${at}
            where id = ${invitationId} and org_id = ${orgId} and org_id = ${scope.me.orgId}
              and ${scope.hasRole(["admin"])} and accepted_at is null and revoked_at is null`),
          db.run(sql`insert into auth_events (id, org_id, account_id, email, kind, at, detail)
            select ${deps.ids()}, i.org_id, ${scope.me.userId}, i.email, 'invitation_revoked', ${at},
              json_object('invitationId', i.id)
            from invitations i where i.id = ${invitationId} and i.revoked_at = ${at} and i.org_id = ${scope.me.orgId}`),
          db.all<{ j: string }>(sql`select ${invitationJson("i", at)} as j from invitations i
            where i.id = ${invitationId} and i.org_id = ${orgId} and ${scope.visible(invitations, "i")}`),
        ],
        ([, , r]) => r[0],
      );
      const inv = JSON.parse(rows[0]!.j) as InvitationRow;
      if (inv.status === "accepted")
        throw conflict("invitation_used", "The invitation was accepted: disable the user instead.");
      return c.json(invitationItem(inv), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/operators/invitations",
      tags,
      summary: "Invite another deployment operator (operators)",
      roles: "operator",
      request: {
        body: jsonBody(
          z.object({ email: Email, name: PersonName.optional() }).openapi("NewOperatorInvitation"),
        ),
      },
      responses: {
        201: jsonResponse(InvitationCreated, "Created"),
        409: errorResponse("`account_exists`: an account (operator or user) has this e-mail"),
      },
    }),
    async (c) => {
      const body = lower(c.req.valid("json"));
      const { deps } = c.var;
      const op = c.var.operator!;
      const now = deps.clock.now();
      const at = now.toISOString();
      const id = deps.ids();
      const { token, tokenHash } = await newInvitationToken();
      const {
        results: [, , rows],
      } = await op.run([
        ...insertInvitation(
          deps,
          {
            id,
            kind: "operator",
            email: body.email,
            name: body.name ?? null,
            roles: [],
            departmentId: null,
            tokenHash,
            expiresAt: invitationExpiry(now),
            createdAt: at,
            createdBy: op.operatorId,
          },
          null,
          op.isOperator(),
        ),
        deps.db.all<{ j: string }>(
          sql`select ${invitationJson("i", at)} as j from invitations i where i.id = ${id}`,
        ),
      ]);
      if (!rows[0]) throw conflict("account_exists", `${body.email} already has an account.`);
      return c.json({ ...invitationItem(JSON.parse(rows[0].j)), token }, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/invitations/accept",
      tags,
      summary: "Accept an invitation: create the account with its password, and sign in (no token needed)",
      description:
        "Creates the user (in the invitation's organisation, department and roles) or the operator, its password " +
        "and a login session, in one batch that refuses an unknown, expired, used or revoked token; of two " +
        "acceptances of one token exactly one succeeds. A forged token is answered as an unknown one.",
      roles: "public",
      request: {
        body: jsonBody(
          z
            .object({
              token: z.string().min(1).max(200),
              password: z
                .string()
                .min(PASSWORD_MIN_LENGTH)
                .max(1024)
                .openapi({
                  description: `At least ${PASSWORD_MIN_LENGTH} characters (as for a password change)`,
                }),
              name: PersonName.optional().openapi({ description: "Overrides the name the inviter gave" }),
            })
            .openapi("AcceptInvitation"),
        ),
      },
      responses: {
        201: jsonResponse(Accepted, "The account, signed in"),
        404: errorResponse("`invitation_invalid`: no such invitation"),
        409: errorResponse("`account_exists`: the e-mail has an account already"),
        410: errorResponse("`invitation_expired`, `invitation_used`, `invitation_revoked`"),
      },
    }),
    async (c) => {
      const { deps } = c.var;
      const { session, account } = await acceptInvitation(deps, c.req.valid("json"), deps.clientAddress?.(c));
      return c.json(
        {
          ...session,
          account: {
            ...account,
            roles: roleItems(account.roles),
            organization: account.organization && orgRef(account.organization),
          },
        },
        201,
      );
    },
  );
