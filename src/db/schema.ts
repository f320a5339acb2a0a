// The relational model (drizzle). Every table holding tenant data carries `jurisdiction_id`.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const createdAt = () => text("created_at").notNull();

export const jurisdictions = sqliteTable(
  "jurisdictions",
  {
    id: text("id").primaryKey(),
    code: text("code").notNull(),
    name: text("name").notNull(),
    level: text("level", { enum: ["city", "basic"] }).notNull(),
    parentId: text("parent_id"),
    // 调休: whether officially declared make-up working weekend days count as working days.
    countMakeupWorkdays: integer("count_makeup_workdays", { mode: "boolean" }).notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("jurisdictions_code_uq").on(t.code), index("jurisdictions_parent_ix").on(t.parentId)],
);

export const organizations = sqliteTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id").notNull().references(() => jurisdictions.id),
    kind: text("kind", { enum: ["court", "procuratorate"] }).notNull(),
    name: text("name").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("organizations_kind_uq").on(t.jurisdictionId, t.kind)],
);

export const departments = sqliteTable(
  "departments",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id").notNull().references(() => jurisdictions.id),
    orgId: text("org_id").notNull().references(() => organizations.id),
    name: text("name").notNull(),
    /** JSON array of function tags, e.g. ["general_office"]; see DEPARTMENT_FUNCTIONS. */
    functions: text("functions", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("departments_name_uq").on(t.orgId, t.name)],
);

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id").notNull().references(() => jurisdictions.id),
    orgId: text("org_id").notNull().references(() => organizations.id),
    departmentId: text("department_id").references(() => departments.id),
    email: text("email").notNull(),
    name: text("name").notNull(),
    title: text("title"),
    /** Subject at the external identity provider, when one is trusted. */
    idpSubject: text("idp_subject"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("users_email_uq").on(t.email),
    uniqueIndex("users_idp_subject_uq").on(t.idpSubject),
    index("users_org_ix").on(t.orgId),
  ],
);

export const roleAssignments = sqliteTable(
  "role_assignments",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id").notNull().references(() => jurisdictions.id),
    orgId: text("org_id").notNull().references(() => organizations.id),
    userId: text("user_id").notNull().references(() => users.id),
    role: text("role", {
      enum: ["admin", "registrar", "handler", "department_head", "leader", "auditor"],
    }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("role_assignments_uq").on(t.userId, t.orgId, t.role)],
);

/** Run ledger of scheduled jobs: one row per (job, scheduled time), so a duplicate trigger is a no-op. */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    job: text("job").notNull(),
    scheduledAt: text("scheduled_at").notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    status: text("status", { enum: ["running", "ok", "error"] }).notNull(),
    counts: text("counts", { mode: "json" }).$type<Record<string, number>>(),
    error: text("error"),
  },
  (t) => [uniqueIndex("job_runs_uq").on(t.job, t.scheduledAt)],
);
