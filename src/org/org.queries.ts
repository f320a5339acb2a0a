// Read queries for jurisdictions, organisations, departments and users, each scoped by tenancy.
import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { departments, jurisdictions, organizations, receivingRoutes, users } from "../db/schema";

const jurisdictionFields = {
  id: jurisdictions.id,
  code: jurisdictions.code,
  name: jurisdictions.name,
  level: jurisdictions.level,
  parentId: jurisdictions.parentId,
  organizations: sql<string>`(select
      json_group_array(json_object('id', o_.id, 'kind', o_.kind, 'name', o_.name))
    from organizations o_ where o_.jurisdiction_id = "jurisdictions"."id")`,
};

export function listJurisdictions(scope: Scope, page: { limit: number; cursor?: string }) {
  return scope.db
    .select(jurisdictionFields)
    .from(jurisdictions)
    .where(and(scope.visible(jurisdictions), page.cursor ? gt(jurisdictions.id, page.cursor) : undefined))
    .orderBy(asc(jurisdictions.id))
    .limit(page.limit + 1);
}

export function getJurisdiction(scope: Scope, id: string) {
  return scope.db
    .select(jurisdictionFields)
    .from(jurisdictions)
    .where(and(scope.visible(jurisdictions), eq(jurisdictions.id, id)));
}

export function getOrganization(scope: Scope, id: string) {
  return scope.db
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(scope.visible(organizations), eq(organizations.id, id)));
}

export function listDepartments(scope: Scope, orgId: string) {
  return scope.db
    .select({
      id: departments.id,
      orgId: departments.orgId,
      name: departments.name,
      functions: departments.functions,
    })
    .from(departments)
    .where(and(scope.visible(departments), eq(departments.orgId, orgId)))
    .orderBy(asc(departments.name));
}

export function listUsers(scope: Scope, page: { limit: number; cursor?: string }) {
  return scope.db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      title: users.title,
      departmentId: users.departmentId,
      active: users.active,
      roles: sql<string>`(select json_group_array(r_.role) from role_assignments r_
        where r_.user_id = "users"."id")`,
    })
    .from(users)
    .where(and(scope.visible(users), page.cursor ? gt(users.id, page.cursor) : undefined))
    .orderBy(asc(users.id))
    .limit(page.limit + 1);
}

/**
 * Inserts a department only into the caller's own organisation and only for a caller with the
 * route's role.
 */
export function insertDepartment(
  scope: Scope,
  d: { id: string; orgId: string; name: string; functions: string[]; createdAt: string },
) {
  return scope.db.run(sql`
    insert into departments (id, jurisdiction_id, org_id, name, functions, created_at)
    select ${d.id}, o_.jurisdiction_id, o_.id, ${d.name}, ${JSON.stringify(d.functions)}, ${d.createdAt}
    from organizations o_
    where o_.id = ${d.orgId} and o_.id = ${scope.me.orgId} and ${scope.hasRole()}
    on conflict do nothing`);
}

export function listReceivingRoutes(scope: Scope, orgId: string) {
  return scope.db.all<{ type: string; departmentId: string; departmentName: string }>(sql`
    select rr.type, rr.department_id as departmentId, d.name as departmentName
    from receiving_routes rr join departments d on d.id = rr.department_id
    where rr.org_id = ${orgId} and ${scope.visible(receivingRoutes, "rr")} order by rr.type`);
}

/** Sets which department receives a document type; only in the caller's own organisation. */
export function upsertReceivingRoute(
  scope: Scope,
  r: { id: string; orgId: string; type: string; departmentId: string },
) {
  return scope.db.run(sql`
    insert into receiving_routes (id, jurisdiction_id, org_id, type, department_id)
    select ${r.id}, d.jurisdiction_id, d.org_id, ${r.type}, d.id from departments d
    where d.id = ${r.departmentId} and d.org_id = ${r.orgId} and d.org_id = ${scope.me.orgId}
      and ${scope.hasRole()}
    on conflict (org_id, type) do update set department_id = excluded.department_id`);
}
