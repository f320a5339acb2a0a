// Tenancy: the one mechanism through which every query sees only what the caller may see.
//
// A Scope is built from the verified token's subject alone. The caller's user, organisation and
// jurisdiction are SQL sub-queries, not values read beforehand, so a request makes exactly one
// database round trip: the principal is fetched in the same batch as the request's own queries,
// and every query filters through `visible(table)`, whose policies all live in this file.
import { and, eq, getTableName, inArray, or, sql, type SQL } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { departments, jobRuns, jurisdictions, organizations, roleAssignments, users } from "../db/schema";
import { ApiError, forbidden, notFound } from "../http/problem";
import type { Role, OrgKind } from "../vocab";
import type { Subject } from "./jwt";

export type Principal = {
  id: string;
  email: string;
  name: string;
  title: string | null;
  departmentId: string | null;
  orgId: string;
  orgKind: OrgKind;
  orgName: string;
  jurisdictionId: string;
  jurisdictionCode: string;
  jurisdictionName: string;
  jurisdictionLevel: "city" | "basic";
  parentJurisdictionId: string | null;
  roles: Role[];
};

/** SQL expressions naming the caller; each is a scalar sub-query (NULL for an unknown or inactive user). */
export type Me = { userId: SQL; orgId: SQL; jurisdictionId: SQL; parentJurisdictionId: SQL };

type Policy = (me: Me) => SQL;

// Every table that holds tenant data has exactly one policy here. test/tenancy.test.ts checks that.
const policies = new Map<SQLiteTable, Policy>([
  [
    jurisdictions,
    (me) =>
      or(
        eq(jurisdictions.id, me.jurisdictionId),
        eq(jurisdictions.id, me.parentJurisdictionId),
        eq(jurisdictions.parentId, me.jurisdictionId),
      )!,
  ],
  [organizations, (me) => inArray(organizations.jurisdictionId, visibleJurisdictions(me))],
  [departments, (me) => inArray(departments.jurisdictionId, visibleJurisdictions(me))],
  [users, (me) => eq(users.orgId, me.orgId)],
  [roleAssignments, (me) => eq(roleAssignments.orgId, me.orgId)],
]);

/** Tables without tenant data (system tables); listed so the coverage test can tell omission from intent. */
export const UNSCOPED_TABLES: SQLiteTable[] = [jobRuns];
export const SCOPED_TABLES = [...policies.keys()];

function visibleJurisdictions(me: Me): SQL {
  return sql`(select j_.id from jurisdictions j_ where j_.id = ${me.jurisdictionId} or j_.id = ${me.parentJurisdictionId} or j_.parent_id = ${me.jurisdictionId})`;
}

export class Scope {
  readonly me: Me;

  constructor(
    readonly db: Db,
    readonly subject: Subject,
    readonly allowedRoles: readonly Role[] | "any",
  ) {
    const who =
      subject.issuer === "local"
        ? sql`u_.id = ${subject.sub} and u_.active = 1`
        : sql`u_.idp_subject = ${subject.sub} and u_.active = 1`;
    const col = (c: string) => sql`(select ${sql.raw(c)} from users u_ where ${who})`;
    this.me = {
      userId: col("u_.id"),
      orgId: col("u_.org_id"),
      jurisdictionId: col("u_.jurisdiction_id"),
      parentJurisdictionId: sql`(select j_.parent_id from jurisdictions j_ where j_.id = ${col("u_.jurisdiction_id")})`,
    };
  }

  /** The tenancy predicate of a table; throws for a table without a policy, so none is forgotten. */
  visible(table: SQLiteTable): SQL {
    const policy = policies.get(table);
    if (!policy) throw new Error(`no tenancy policy for table ${getTableName(table)}`);
    return policy(this.me);
  }

  /** SQL true when the caller holds one of the route's roles (for guarding writes inside SQL). */
  hasRole(roles: readonly Role[] = this.allowedRoles === "any" ? [] : this.allowedRoles): SQL {
    if (this.allowedRoles === "any" && roles.length === 0) return sql`1`;
    return sql`exists (select 1 from role_assignments r_ where r_.user_id = ${this.me.userId} and r_.role in ${roles})`;
  }

  principalQuery() {
    const subjectCond = this.subject.issuer === "local" ? eq(users.id, this.subject.sub) : eq(users.idpSubject, this.subject.sub);
    return this.db
      .select({
        id: users.id,
        email: users.email,
        name: users.name,
        title: users.title,
        departmentId: users.departmentId,
        orgId: users.orgId,
        orgKind: organizations.kind,
        orgName: organizations.name,
        jurisdictionId: jurisdictions.id,
        jurisdictionCode: jurisdictions.code,
        jurisdictionName: jurisdictions.name,
        jurisdictionLevel: jurisdictions.level,
        parentJurisdictionId: jurisdictions.parentId,
        roles: sql<string>`(select json_group_array(r_.role) from role_assignments r_ where r_.user_id = ${users.id})`,
      })
      .from(users)
      .innerJoin(organizations, eq(organizations.id, users.orgId))
      .innerJoin(jurisdictions, eq(jurisdictions.id, users.jurisdictionId))
      .where(and(subjectCond, eq(users.active, true)));
  }

  /**
   * Runs the request's queries in one batch together with the principal look-up, then applies the
   * access rules in order: unknown caller → 401; `found` says no record → 404; wrong role → 403.
   * Pass `found` on routes about one record, so a caller without the role learns nothing about ids.
   */
  async run<const T extends readonly BatchItem<"sqlite">[]>(
    queries: T,
    found?: (results: BatchResponse<T>) => unknown,
  ): Promise<{ principal: Principal; results: BatchResponse<T> }> {
    const [rows, ...rest] = (await this.db.batch([this.principalQuery(), ...queries] as never)) as unknown as [
      (Omit<Principal, "roles"> & { roles: string })[],
      ...unknown[],
    ];
    const row = rows[0];
    if (!row)
      throw new ApiError(401, "unknown_user", "The token's subject is not an active user.", {
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      });
    const principal: Principal = { ...row, roles: JSON.parse(row.roles) };
    const results = rest as BatchResponse<T>;
    if (found && !found(results)) throw notFound();
    this.authorize(principal);
    return { principal, results };
  }

  authorize(principal: Principal) {
    if (this.allowedRoles !== "any" && !principal.roles.some((r) => this.allowedRoles.includes(r))) throw forbidden();
  }
}
