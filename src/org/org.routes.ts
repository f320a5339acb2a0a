// Who am I, and the jurisdictions, organisations, departments and colleagues the caller may see.
import { z } from "@hono/zod-openapi";
import {
  coded,
  defineRoute,
  errorResponse,
  LabelSchema,
  newRouter,
  PageQuery,
  pageOf,
  paginate,
  jsonResponse,
  jsonBody,
} from "../http/api";
import { ApiError, conflict, forbidden } from "../http/problem";
import {
  DEPARTMENT_FUNCTIONS,
  DOC_TYPES,
  LEVELS,
  ORG_KINDS,
  ROLES,
  type DepartmentFunction,
  type DocType,
  type Role,
} from "../vocab";
import {
  getJurisdiction,
  getOrganization,
  insertDepartment,
  listDepartments,
  listJurisdictions,
  listReceivingRoutes,
  listUsers,
  upsertReceivingRoute,
} from "./org.queries";

const Id = z.string().min(1).max(64);
const OrgSummary = z
  .object({ id: z.string(), kind: coded(ORG_KINDS.codes), name: z.string() })
  .openapi("OrganizationSummary");
const Jurisdiction = z
  .object({
    id: z.string(),
    code: z.string().openapi({ example: "320100" }),
    name: z.string().openapi({ example: "南京市" }),
    level: coded(LEVELS.codes),
    parentId: z.string().nullable(),
    organizations: z.array(OrgSummary),
  })
  .openapi("Jurisdiction");
const RoleItem = coded(ROLES.codes).openapi("Role");
const Me = z
  .object({
    user: z.object({
      id: z.string(),
      email: z.string(),
      name: z.string(),
      title: z.string().nullable(),
      departmentId: z.string().nullable(),
    }),
    organization: OrgSummary,
    jurisdiction: z.object({
      id: z.string(),
      code: z.string(),
      name: z.string(),
      level: coded(LEVELS.codes),
      parentId: z.string().nullable(),
    }),
    roles: z.array(RoleItem),
  })
  .openapi("Me");
const Department = z
  .object({
    id: z.string(),
    orgId: z.string(),
    name: z.string().openapi({ example: "办公室" }),
    functions: z.array(coded(DEPARTMENT_FUNCTIONS.codes)),
  })
  .openapi("Department");
const NewDepartment = z
  .object({
    name: z.string().trim().min(1).max(60).openapi({ example: "审判监督庭" }),
    functions: z.array(z.enum(DEPARTMENT_FUNCTIONS.codes)).max(8).default([]),
  })
  .openapi("NewDepartment");
const RouteType = z.enum(["*", ...DOC_TYPES.codes]).openapi({ example: "judicial_suggestion" });
const ReceivingRoute = z
  .object({
    type: z.object({ code: RouteType, label: LabelSchema }),
    department: z.object({ id: z.string(), name: z.string() }),
  })
  .openapi("ReceivingRoute");
const routeItem = (r: { type: string; departmentId: string; departmentName: string }) => ({
  type: {
    code: r.type as z.infer<typeof RouteType>,
    label: r.type === "*" ? { zh: "全部类型", en: "Every type" } : DOC_TYPES.label(r.type as DocType),
  },
  department: { id: r.departmentId, name: r.departmentName },
});
const User = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    title: z.string().nullable(),
    departmentId: z.string().nullable(),
    active: z.boolean(),
    roles: z.array(RoleItem),
  })
  .openapi("User");

const roleItems = (roles: string[]) => (roles as Role[]).map((code) => ({ code, label: ROLES.label(code) }));
const orgItem = (o: { id: string; kind: "court" | "procuratorate"; name: string }) => ({
  ...o,
  kind: { code: o.kind, label: ORG_KINDS.label(o.kind) },
});
const jurisdictionItem = (j: {
  id: string;
  code: string;
  name: string;
  level: "city" | "basic";
  parentId: string | null;
  organizations: string;
}) => ({
  ...j,
  level: { code: j.level, label: LEVELS.label(j.level) },
  organizations: (JSON.parse(j.organizations) as Parameters<typeof orgItem>[0][]).map(orgItem),
});

const tags = ["Organisation"];

export const orgRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/me",
      tags,
      summary: "The caller: user, organisation, jurisdiction and roles",
      roles: "any",
      responses: { 200: jsonResponse(Me, "The caller") },
    }),
    async (c) => {
      const { principal: p } = await c.var.scope.run([]);
      return c.json(
        {
          user: { id: p.id, email: p.email, name: p.name, title: p.title, departmentId: p.departmentId },
          organization: orgItem({ id: p.orgId, kind: p.orgKind, name: p.orgName }),
          jurisdiction: {
            id: p.jurisdictionId,
            code: p.jurisdictionCode,
            name: p.jurisdictionName,
            level: { code: p.jurisdictionLevel, label: LEVELS.label(p.jurisdictionLevel) },
            parentId: p.parentJurisdictionId,
          },
          roles: roleItems(p.roles),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/jurisdictions",
      tags,
      summary: "Jurisdictions the caller may see: its own, the one above and those below",
      roles: "any",
      request: { query: PageQuery },
      responses: { 200: jsonResponse(pageOf(Jurisdiction), "A page of jurisdictions") },
    }),
    async (c) => {
      const page = c.req.valid("query");
      const {
        results: [rows],
      } = await c.var.scope.run([listJurisdictions(c.var.scope, page)]);
      const { items, nextCursor } = paginate(rows, page.limit, (r) => r.id);
      return c.json({ items: items.map(jurisdictionItem), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/jurisdictions/{id}",
      tags,
      summary: "One jurisdiction with its court and procuratorate",
      roles: "any",
      request: { params: z.object({ id: Id }) },
      responses: { 200: jsonResponse(Jurisdiction, "The jurisdiction") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const {
        results: [rows],
      } = await scope.run([getJurisdiction(scope, c.req.valid("param").id)], ([r]) => r[0]);
      return c.json(jurisdictionItem(rows[0]!), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/organizations/{id}/departments",
      tags,
      summary: "Departments of an organisation, with their function tags",
      roles: "any",
      request: { params: z.object({ id: Id }) },
      responses: { 200: jsonResponse(z.object({ items: z.array(Department) }), "Departments") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const id = c.req.valid("param").id;
      const {
        results: [, rows],
      } = await scope.run([getOrganization(scope, id), listDepartments(scope, id)], ([org]) => org[0]);
      const items = rows.map((d) => ({
        ...d,
        functions: d.functions.map((f) => DEPARTMENT_FUNCTIONS.item(f as DepartmentFunction)),
      }));
      return c.json({ items }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/organizations/{id}/departments",
      tags,
      summary: "Add a department to the caller's own organisation (admins)",
      roles: ["admin"],
      request: {
        params: z.object({ id: Id }),
        body: jsonBody(NewDepartment),
      },
      responses: {
        201: jsonResponse(Department, "Created"),
        409: errorResponse("A department of that name exists"),
      },
    }),
    async (c) => {
      const scope = c.var.scope;
      const orgId = c.req.valid("param").id;
      const input = c.req.valid("json");
      const { deps } = c.var;
      const id = deps.ids();
      const {
        principal,
        results: [inserted],
      } = await scope.run(
        [
          insertDepartment(scope, { id, orgId, ...input, createdAt: deps.clock.now().toISOString() }),
          getOrganization(scope, orgId),
        ],
        ([, org]) => org[0],
      );
      if (principal.orgId !== orgId)
        throw forbidden("Departments are managed by the organisation's own administrators.");
      if (inserted.rowsAffected === 0)
        throw conflict("department_exists", `A department named ${input.name} exists.`);
      return c.json(
        { id, orgId, name: input.name, functions: input.functions.map(DEPARTMENT_FUNCTIONS.item) },
        201,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/organizations/{id}/receiving-routes",
      tags,
      summary:
        "Which department receives each document type " +
        "(unlisted types: the '*' route, else the 办公室 / 综合业务部)",
      roles: "any",
      request: { params: z.object({ id: Id }) },
      responses: { 200: jsonResponse(z.object({ items: z.array(ReceivingRoute) }), "Routes") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const id = c.req.valid("param").id;
      const {
        results: [, rows],
      } = await scope.run([getOrganization(scope, id), listReceivingRoutes(scope, id)], ([org]) => org[0]);
      return c.json({ items: rows.map(routeItem) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/v1/organizations/{id}/receiving-routes/{type}",
      tags,
      summary:
        "Designate the department that receives a document type ('*' for every type) " +
        "in the caller's own organisation (admins)",
      roles: ["admin"],
      request: {
        params: z.object({ id: Id, type: RouteType }),
        body: jsonBody(z.object({ departmentId: Id })),
      },
      responses: {
        200: jsonResponse(ReceivingRoute, "The route"),
        422: errorResponse("The department is not of this organisation"),
      },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id, type } = c.req.valid("param");
      const { departmentId } = c.req.valid("json");
      const {
        principal,
        results: [written, , rows],
      } = await scope.run(
        [
          upsertReceivingRoute(scope, { id: c.var.deps.ids(), orgId: id, type, departmentId }),
          getOrganization(scope, id),
          listReceivingRoutes(scope, id),
        ],
        ([, org]) => org[0],
      );
      if (principal.orgId !== id)
        throw forbidden("Receiving departments are set by the organisation's own administrators.");
      if (written.rowsAffected === 0)
        throw new ApiError(422, "invalid_department", "The department is not one of this organisation's.");
      return c.json(routeItem(rows.find((r) => r.type === type)!), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/users",
      tags,
      summary: "Users of the caller's own organisation",
      roles: ["admin", "registrar", "department_head", "leader", "auditor"],
      request: { query: PageQuery },
      responses: { 200: jsonResponse(pageOf(User), "A page of users") },
    }),
    async (c) => {
      const page = c.req.valid("query");
      const {
        results: [rows],
      } = await c.var.scope.run([listUsers(c.var.scope, page)]);
      const { items, nextCursor } = paginate(rows, page.limit, (r) => r.id);
      return c.json(
        { items: items.map((u) => ({ ...u, roles: roleItems(JSON.parse(u.roles)) })), nextCursor },
        200,
      );
    },
  );
