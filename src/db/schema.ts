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
    /** Who created the pair through the API (an operator or a city admin; null for seeds). */
    createdBy: text("created_by"),
    /** The creating request's Idempotency-Key and body hash: a retry returns the same pair. */
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
  },
  (t) => [
    uniqueIndex("jurisdictions_code_uq").on(t.code),
    index("jurisdictions_parent_ix").on(t.parentId),
    uniqueIndex("jurisdictions_idempotency_uq").on(t.createdBy, t.idempotencyKey),
  ],
);

export const organizations = sqliteTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
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
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
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
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
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
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    role: text("role", {
      enum: ["admin", "registrar", "handler", "department_head", "leader", "auditor", "coordinator"],
    }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("role_assignments_uq").on(t.userId, t.orgId, t.role),
    index("role_assignments_org_role_ix").on(t.orgId, t.role),
  ],
);

/** Run ledger of scheduled jobs: one row per (job, scheduled time), so a duplicate trigger is a no-op. */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    job: text("job").notNull(),
    scheduledAt: text("scheduled_at").notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    status: text("status", { enum: ["running", "ok", "error", "crashed"] }).notNull(),
    counts: text("counts", { mode: "json" }).$type<Record<string, number>>(),
    error: text("error"),
    /** A running run not finished by then crashed: the ledger says so and the time can be run again. */
    leaseUntil: text("lease_until"),
    /** How many times this (job, scheduled time) was claimed: more than 1 after a crash. */
    attempts: integer("attempts").notNull().default(1),
  },
  (t) => [uniqueIndex("job_runs_uq").on(t.job, t.scheduledAt)],
);

// ── Calendar and deadline rules ────────────────────────────────────────────────────────────────

/**
 * Every date from 2000 to 2060 with its kind. `wd_idx` counts working days cumulatively (make-up
 * 调休 days included), `wd_idx_strict` without them, so working-day arithmetic is a subtraction.
 */
export const calendarDays = sqliteTable(
  "calendar_days",
  {
    day: text("day").primaryKey(),
    kind: text("kind", { enum: ["workday", "weekend", "holiday", "makeup"] }).notNull(),
    name: text("name"),
    wdIdx: integer("wd_idx").notNull().default(0),
    wdIdxStrict: integer("wd_idx_strict").notNull().default(0),
  },
  (t) => [index("calendar_days_idx").on(t.wdIdx), index("calendar_days_idx_strict").on(t.wdIdxStrict)],
);

/** Years whose official holidays and make-up days are loaded (others count weekends only). */
export const calendarYears = sqliteTable("calendar_years", {
  year: integer("year").primaryKey(),
  source: text("source").notNull(),
  loadedAt: text("loaded_at").notNull(),
  loadedBy: text("loaded_by"),
});

/**
 * Reply-period rules per document type: national defaults (jurisdiction NULL) and local overrides,
 * versioned.
 */
export const deadlineRules = sqliteTable(
  "deadline_rules",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id").references(() => jurisdictions.id),
    type: text("type").notNull(),
    version: integer("version").notNull(),
    periodDays: integer("period_days"),
    periodMonths: integer("period_months"),
    senderSets: integer("sender_sets", { mode: "boolean" }).notNull().default(false),
    maxDays: integer("max_days"),
    maxMonths: integer("max_months"),
    extensionDays: integer("extension_days"),
    extensionMonths: integer("extension_months"),
    onMissed: text("on_missed"),
    source: text("source").notNull(),
    createdAt: text("created_at").notNull(),
    createdBy: text("created_by"),
  },
  (t) => [index("deadline_rules_lookup_ix").on(t.type, t.jurisdictionId, t.version)],
);

/** Which department of an organisation receives a document type ('*' = every type). */
export const receivingRoutes = sqliteTable(
  "receiving_routes",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    type: text("type").notNull(),
    departmentId: text("department_id")
      .notNull()
      .references(() => departments.id),
  },
  (t) => [uniqueIndex("receiving_routes_uq").on(t.orgId, t.type)],
);

// ── Supervision documents ──────────────────────────────────────────────────────────────────────

export const documents = sqliteTable(
  "documents",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    type: text("type").notNull(),
    status: text("status", {
      enum: ["sent", "received", "assigned", "replied", "acknowledged", "withdrawn"],
    }).notNull(),
    senderOrgId: text("sender_org_id")
      .notNull()
      .references(() => organizations.id),
    recipientOrgId: text("recipient_org_id")
      .notNull()
      .references(() => organizations.id),
    receivingDepartmentId: text("receiving_department_id")
      .notNull()
      .references(() => departments.id),
    handlingDepartmentId: text("handling_department_id").references(() => departments.id),
    handlerId: text("handler_id").references(() => users.id),
    docNumber: text("doc_number").notNull(),
    caseNumbers: text("case_numbers", { mode: "json" }).$type<string[]>().notNull(),
    caseCategory: text("case_category").notNull(),
    area: text("area"),
    title: text("title").notNull(),
    summary: text("summary"),
    requestedActions: text("requested_actions"),
    attachments: text("attachments", { mode: "json" })
      .$type<{ name: string; size: number; sha256: string; mediaType: string }[]>()
      .notNull(),
    // deadline
    ruleId: text("rule_id")
      .notNull()
      .references(() => deadlineRules.id),
    ruleVersion: integer("rule_version").notNull(),
    periodDays: integer("period_days"),
    periodMonths: integer("period_months"),
    sentOn: text("sent_on").notNull(),
    receivedOn: text("received_on"),
    receivedBy: text("received_by"),
    dueOn: text("due_on"),
    deadlineVersion: integer("deadline_version").notNull().default(0),
    calendarComplete: integer("calendar_complete", { mode: "boolean" }),
    // reply and acknowledgement
    repliedOn: text("replied_on"),
    replyContent: text("reply_content"),
    replyDecision: text("reply_decision"),
    retrialRuled: integer("retrial_ruled", { mode: "boolean" }),
    /** The retrial's result once the retried case is decided (upheld, changed, remanded, mediated). */
    retrialResult: text("retrial_result"),
    retrialResultOn: text("retrial_result_on"),
    replyLate: integer("reply_late", { mode: "boolean" }),
    repliedBy: text("replied_by"),
    ackResult: text("ack_result"),
    ackReason: text("ack_reason"),
    ackedBy: text("acked_by"),
    /** The next-level organisation following up (跟进监督) after a reply was not accepted. */
    followupOrgId: text("followup_org_id"),
    lastUrgedAt: text("last_urged_at"),
    createdBy: text("created_by").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("documents_idempotency_uq").on(t.createdBy, t.idempotencyKey),
    index("documents_inbox_due_ix").on(t.recipientOrgId, sql`coalesce(${t.dueOn}, '9999-12-31')`, t.id),
    index("documents_outbox_due_ix").on(t.senderOrgId, sql`coalesce(${t.dueOn}, '9999-12-31')`, t.id),
    index("documents_inbox_updated_ix").on(t.recipientOrgId, t.updatedAt),
    index("documents_outbox_updated_ix").on(t.senderOrgId, t.updatedAt),
    index("documents_open_due_ix").on(t.status, t.dueOn),
    index("documents_followup_ix").on(t.followupOrgId),
    // Newest first (`sort=created`) without sorting the whole box; follow-up boxes in each order,
    // holding only the few documents under follow-up (an equality on the column implies the condition).
    index("documents_inbox_created_ix").on(t.recipientOrgId, t.createdAt, t.id),
    index("documents_outbox_created_ix").on(t.senderOrgId, t.createdAt, t.id),
    index("documents_followup_due_ix")
      .on(t.followupOrgId, sql`coalesce(${t.dueOn}, '9999-12-31')`, t.id)
      .where(sql`followup_org_id is not null`),
    index("documents_followup_created_ix")
      .on(t.followupOrgId, t.createdAt, t.id)
      .where(sql`followup_org_id is not null`),
    index("documents_followup_updated_ix")
      .on(t.followupOrgId, t.updatedAt, t.id)
      .where(sql`followup_org_id is not null`),
    // Statistics (src/statistics, ADR 0013): a pair's documents sent in a period, covering every
    // column a figure reads, so each figure is a range read of this index alone (no table rows).
    index("documents_stats_ix").on(
      t.jurisdictionId,
      t.sentOn,
      t.type,
      t.status,
      t.dueOn,
      t.receivedOn,
      t.repliedOn,
      t.replyLate,
      t.ackResult,
      t.retrialRuled,
      t.retrialResult,
      t.followupOrgId,
    ),
  ],
);

/** The timeline of a document; also its audit trail. Written in the same batch as the change. */
export const documentEvents = sqliteTable(
  "document_events",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    documentId: text("document_id")
      .notNull()
      .references(() => documents.id),
    at: text("at").notNull(),
    actorId: text("actor_id"),
    type: text("type").notNull(),
    note: text("note"),
    before: text("before", { mode: "json" }).$type<Record<string, unknown>>(),
    after: text("after", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [index("document_events_doc_ix").on(t.documentId, t.at)],
);

export const extensionRequests = sqliteTable(
  "extension_requests",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    documentId: text("document_id")
      .notNull()
      .references(() => documents.id),
    deadlineVersion: integer("deadline_version").notNull(),
    periodDays: integer("period_days"),
    periodMonths: integer("period_months"),
    reason: text("reason").notNull(),
    status: text("status", { enum: ["pending", "approved", "rejected"] }).notNull(),
    requestedBy: text("requested_by").notNull(),
    requestedAt: text("requested_at").notNull(),
    decidedBy: text("decided_by"),
    decidedAt: text("decided_at"),
    decisionNote: text("decision_note"),
  },
  (t) => [
    index("extension_requests_doc_ix").on(t.documentId),
    uniqueIndex("extension_requests_one_pending_uq").on(t.documentId).where(sql`status = 'pending'`),
  ],
);

/** A judicial-committee session on a protest case, and the chief procurator's answer to the invitation. */
export const committeeSessions = sqliteTable(
  "committee_sessions",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    documentId: text("document_id")
      .notNull()
      .references(() => documents.id),
    sessionAt: text("session_at").notNull(),
    place: text("place").notNull(),
    invitedBy: text("invited_by").notNull(),
    invitedAt: text("invited_at").notNull(),
    response: text("response", { enum: ["attend", "delegate", "decline"] }),
    delegateName: text("delegate_name"),
    responseNote: text("response_note"),
    respondedBy: text("responded_by"),
    respondedAt: text("responded_at"),
  },
  (t) => [index("committee_sessions_doc_ix").on(t.documentId)],
);

/** Per-user inbox of notices; `dedupe_key` makes every notice happen at most once. */
export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    kind: text("kind").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    textZh: text("text_zh").notNull(),
    textEn: text("text_en").notNull(),
    urgent: integer("urgent", { mode: "boolean" }).notNull().default(false),
    dedupeKey: text("dedupe_key").notNull(),
    createdAt: text("created_at").notNull(),
    readAt: text("read_at"),
  },
  (t) => [
    uniqueIndex("notifications_dedupe_uq").on(t.dedupeKey),
    index("notifications_user_ix").on(t.userId, t.id),
  ],
);

// ── Escalation, delivery settings and webhooks ─────────────────────────────────────────────────

/**
 * A jurisdiction's override of the escalation ladder of a subject type (e.g. "document"), for one
 * kind of subject (a document type) or '*' for all kinds; without one, the built-in default applies.
 */
export const escalationLadders = sqliteTable(
  "escalation_ladders",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    subjectType: text("subject_type").notNull(),
    kind: text("kind").notNull(),
    steps: text("steps", { mode: "json" })
      .$type<{ offset: number; audience: string[]; urgent: boolean }[]>()
      .notNull(),
    updatedAt: text("updated_at").notNull(),
    updatedBy: text("updated_by"),
  },
  (t) => [uniqueIndex("escalation_ladders_uq").on(t.jurisdictionId, t.subjectType, t.kind)],
);

/**
 * The ledger of escalation steps: one row per (subject, deadline version, step), whether it was sent
 * or superseded by a more severe step found due in the same run. The unique key is the exactly-once.
 */
export const escalationSteps = sqliteTable(
  "escalation_steps",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    deadlineVersion: integer("deadline_version").notNull(),
    step: text("step").notNull(),
    offset: integer("offset").notNull(),
    dueOn: text("due_on").notNull(),
    status: text("status", { enum: ["sent", "superseded"] }).notNull(),
    audience: text("audience", { mode: "json" }).$type<string[]>().notNull(),
    urgent: integer("urgent", { mode: "boolean" }).notNull().default(false),
    runId: text("run_id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("escalation_steps_uq").on(t.subjectType, t.subjectId, t.deadlineVersion, t.step),
    index("escalation_steps_run_ix").on(t.runId),
  ],
);

/** Per-jurisdiction delivery settings: the business hours (China time) of webhook and digest delivery. */
export const deliverySettings = sqliteTable("delivery_settings", {
  jurisdictionId: text("jurisdiction_id")
    .primaryKey()
    .references(() => jurisdictions.id),
  businessStart: text("business_start").notNull(),
  businessEnd: text("business_end").notNull(),
  updatedAt: text("updated_at").notNull(),
  updatedBy: text("updated_by"),
});

/** An organisation's webhook endpoint, subscribed to event types ('*' = all). */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    url: text("url").notNull(),
    description: text("description"),
    /** Standard Webhooks signing secret ("whsec_" + base64). */
    secret: text("secret").notNull(),
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    disabledAt: text("disabled_at"),
    disabledReason: text("disabled_reason"),
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("webhook_endpoints_org_ix").on(t.orgId)],
);

/** The outbox: every event, written in the same batch as the change that caused it. */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    type: text("type").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    /** JSON array of the organisations entitled to the event (their endpoints receive it). */
    orgIds: text("org_ids", { mode: "json" }).$type<string[]>().notNull(),
    payload: text("payload").notNull(),
    urgent: integer("urgent", { mode: "boolean" }).notNull().default(false),
    fannedOut: integer("fanned_out", { mode: "boolean" }).notNull().default(false),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("webhook_events_pending_ix").on(t.createdAt).where(sql`fanned_out = 0`)],
);

/** One event to one endpoint: retried with exponential backoff until delivered or given up. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: text("event_id")
      .notNull()
      .references(() => webhookEvents.id),
    urgent: integer("urgent", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: text("next_attempt_at").notNull(),
    leaseUntil: text("lease_until"),
    leaseToken: text("lease_token"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    deliveredAt: text("delivered_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_uq").on(t.endpointId, t.eventId),
    index("webhook_deliveries_due_ix").on(t.status, t.nextAttemptAt),
    index("webhook_deliveries_lease_ix").on(t.leaseToken),
  ],
);

/** The delivery log: every attempt with its outcome. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    endpointId: text("endpoint_id").notNull(),
    attempt: integer("attempt").notNull(),
    at: text("at").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [
    index("webhook_attempts_endpoint_ix").on(t.endpointId, t.at),
    index("webhook_attempts_delivery_ix").on(t.deliveryId),
  ],
);

// ── Accounts, sessions and onboarding (issue 9; docs/adr/0007-accounts-and-onboarding.md) ───────

/** Deployment operators: outside every jurisdiction; they own the holiday calendar, the job runs
 * and the creation of city-level pairs. */
export const operators = sqliteTable(
  "operators",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("operators_email_uq").on(t.email)],
);

/** The password of an account (a user or an operator): "<algorithm>$<parameters>$<salt>$<hash>",
 * so the parameters can be raised and old hashes upgraded at login. */
export const credentials = sqliteTable("credentials", {
  accountId: text("account_id").primaryKey(),
  passwordHash: text("password_hash").notNull(),
  changedAt: text("changed_at").notNull(),
});

/** A login session: one family of rotating refresh tokens; access tokens name it in `sid`. */
export const authSessions = sqliteTable(
  "auth_sessions",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    accountKind: text("account_kind", { enum: ["user", "operator"] }).notNull(),
    /** The user's organisation (null for an operator): whose admins may see the session. */
    orgId: text("org_id"),
    createdAt: createdAt(),
    lastUsedAt: text("last_used_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    revokedAt: text("revoked_at"),
    revokedReason: text("revoked_reason"),
  },
  (t) => [index("auth_sessions_account_ix").on(t.accountId)],
);

/** Refresh tokens, stored hashed; a used one is kept so that its reuse revokes the family. */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => authSessions.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    usedAt: text("used_at"),
  },
  (t) => [
    uniqueIndex("refresh_tokens_hash_uq").on(t.tokenHash),
    index("refresh_tokens_session_ix").on(t.sessionId),
  ],
);

/** Invitations: a signed, single-use, expiring link token (stored hashed) for a first admin, a user
 * or an operator. */
export const invitations = sqliteTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["user", "operator"] }).notNull(),
    jurisdictionId: text("jurisdiction_id"),
    orgId: text("org_id"),
    email: text("email").notNull(),
    name: text("name"),
    roles: text("roles", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    departmentId: text("department_id"),
    tokenHash: text("token_hash").notNull(),
    expiresAt: text("expires_at").notNull(),
    acceptedAt: text("accepted_at"),
    accountId: text("account_id"),
    revokedAt: text("revoked_at"),
    /** The account that invited (a user or an operator; null for `npm run admin`). */
    createdBy: text("created_by"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("invitations_token_uq").on(t.tokenHash),
    index("invitations_org_ix").on(t.orgId, t.createdAt),
  ],
);

/** Failed-login counters per account and per source, and the lock they lead to. */
export const loginThrottle = sqliteTable("login_throttle", {
  /** "account:<e-mail>" or "source:<address>". */
  key: text("key").primaryKey(),
  failures: integer("failures").notNull().default(0),
  windowStartedAt: text("window_started_at").notNull(),
  lockedUntil: text("locked_until"),
});

/** Append-only audit of logins, failures, locks, invitations and account changes. */
export const authEvents = sqliteTable(
  "auth_events",
  {
    id: text("id").primaryKey(),
    /** The organisation concerned (null: the deployment, e.g. an operator's login). */
    orgId: text("org_id"),
    accountId: text("account_id"),
    email: text("email"),
    kind: text("kind").notNull(),
    source: text("source"),
    at: text("at").notNull(),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [index("auth_events_org_ix").on(t.orgId, t.at)],
);

// ── Shared mechanisms of the cooperation capabilities (meetings first; ADR 0008, 0009) ──────────

/**
 * The timeline of every subject that is not a document (meetings, action items, rotation changes,
 * co-signatures …): one row per change, written in the same batch as the change.
 */
export const subjectEvents = sqliteTable(
  "subject_events",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    at: text("at").notNull(),
    actorId: text("actor_id"),
    type: text("type").notNull(),
    note: text("note"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [index("subject_events_subject_ix").on(t.subjectType, t.subjectId, t.at)],
);

/**
 * A co-signature (会签) round over a subject: the parties that must sign, locked when complete.
 * A refused round ends; the subject may then open a new round (`round` + 1).
 */
export const cosignatures = sqliteTable(
  "cosignatures",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    round: integer("round").notNull(),
    status: text("status", { enum: ["open", "signed", "refused", "withdrawn"] }).notNull(),
    /** What is being signed, as the signers saw it (title; sha256 of the content). */
    title: text("title").notNull(),
    contentHash: text("content_hash"),
    createdBy: text("created_by"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    completedAt: text("completed_at"),
  },
  (t) => [
    uniqueIndex("cosignatures_round_uq").on(t.subjectType, t.subjectId, t.round),
    // At most one open round per subject.
    uniqueIndex("cosignatures_open_uq").on(t.subjectType, t.subjectId).where(sql`status = 'open'`),
    index("cosignatures_updated_ix").on(t.jurisdictionId, t.updatedAt, t.id),
  ],
);

/** A party that must sign a co-signature round, and its signature or refusal. */
export const cosignParties = sqliteTable(
  "cosign_parties",
  {
    cosignId: text("cosign_id")
      .notNull()
      .references(() => cosignatures.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    /** The role a signer of this party must hold (e.g. 'leader'). */
    role: text("role").notNull(),
    position: integer("position").notNull(),
    decision: text("decision", { enum: ["signed", "refused"] }),
    userId: text("user_id"),
    at: text("at"),
    reason: text("reason"),
  },
  (t) => [
    uniqueIndex("cosign_parties_pk").on(t.cosignId, t.orgId),
    index("cosign_parties_org_ix").on(t.orgId, t.decision),
  ],
);

/**
 * A recurring series (ADR 0009): one instance per (series, period), created by cron exactly once,
 * the host alternating between the pair's court and procuratorate.
 */
export const series = sqliteTable(
  "series",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    /** What the instances are: 'joint_meeting' (later 'seminar', 'report'). */
    kind: text("kind").notNull(),
    /** Distinguishes several series of one kind in a pair ('' when there is one). */
    key: text("key").notNull().default(""),
    cadence: text("cadence", { enum: ["month", "quarter", "half_year", "year"] }).notNull(),
    /** Who hosts (or reports) first; `alternate` flips it each held period. */
    firstHost: text("first_host", { enum: ["court", "procuratorate"] }).notNull(),
    alternate: integer("alternate", { mode: "boolean" }).notNull().default(true),
    /** The first period with an instance (e.g. '2027-H1'). */
    startPeriod: text("start_period").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    config: text("config", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("series_kind_uq").on(t.jurisdictionId, t.kind, t.key)],
);

/** One period's instance of a series; the unique key makes the cron job's creation exactly-once. */
export const seriesInstances = sqliteTable(
  "series_instances",
  {
    id: text("id").primaryKey(),
    seriesId: text("series_id")
      .notNull()
      .references(() => series.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    period: text("period").notNull(),
    host: text("host", { enum: ["court", "procuratorate"] }).notNull(),
    status: text("status", { enum: ["open", "skipped"] }).notNull(),
    /** The subject created for the period (a meeting …); null when skipped. */
    subjectId: text("subject_id"),
    runId: text("run_id"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("series_instances_period_uq").on(t.seriesId, t.period),
    index("series_instances_run_ix").on(t.runId),
  ],
);

/**
 * A change to a series' rotation for one period — a host swap or a skipped period — with its reason;
 * it takes effect when both institutions have co-signed it.
 */
export const seriesOverrides = sqliteTable(
  "series_overrides",
  {
    id: text("id").primaryKey(),
    seriesId: text("series_id")
      .notNull()
      .references(() => series.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    period: text("period").notNull(),
    action: text("action", { enum: ["swap", "skip"] }).notNull(),
    reason: text("reason").notNull(),
    status: text("status", { enum: ["proposed", "agreed", "refused"] }).notNull(),
    createdBy: text("created_by").notNull(),
    idempotencyKey: text("idempotency_key"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    // One live (proposed or agreed) change per period.
    uniqueIndex("series_overrides_live_uq")
      .on(t.seriesId, t.period)
      .where(sql`status in ('proposed', 'agreed')`),
    uniqueIndex("series_overrides_idempotency_uq").on(t.createdBy, t.idempotencyKey),
  ],
);

// ── Joint meetings (法检联席会议, S3.4.1, S4.2) ─────────────────────────────────────────────────────

/** A joint meeting of a pair: a regular one of the half-yearly series, or a special-topic one. */
export const meetings = sqliteTable(
  "meetings",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    kind: text("kind", { enum: ["regular", "special"] }).notNull(),
    seriesId: text("series_id"),
    period: text("period"),
    hostOrgId: text("host_org_id")
      .notNull()
      .references(() => organizations.id),
    guestOrgId: text("guest_org_id")
      .notNull()
      .references(() => organizations.id),
    title: text("title").notNull(),
    /** Special meetings: what it is about (major_case, campaign, issue) and the proposing department. */
    subjectKind: text("subject_kind"),
    subject: text("subject"),
    proposingDepartmentId: text("proposing_department_id"),
    status: text("status", {
      enum: [
        "pending_approval",
        "rejected",
        "planning",
        "scheduled",
        "held",
        "minuted",
        "skipped",
        "cancelled",
      ],
    }).notNull(),
    /** The time slot: proposed by one side, confirmed by the other (China time, ISO with +08:00). */
    startsAt: text("starts_at"),
    endsAt: text("ends_at"),
    place: text("place"),
    onlineUrl: text("online_url"),
    slotStatus: text("slot_status", { enum: ["none", "proposed", "confirmed"] })
      .notNull()
      .default("none"),
    slotByOrgId: text("slot_by_org_id"),
    slotVersion: integer("slot_version").notNull().default(0),
    createdBy: text("created_by"),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("meetings_period_uq").on(t.seriesId, t.period),
    uniqueIndex("meetings_idempotency_uq").on(t.createdBy, t.idempotencyKey),
    index("meetings_sync_ix").on(t.jurisdictionId, t.updatedAt, t.id),
    index("meetings_starts_ix").on(t.startsAt),
  ],
);

/** A topic proposed for a meeting's agenda by either side; the host's coordinator decides. */
export const meetingTopics = sqliteTable(
  "meeting_topics",
  {
    id: text("id").primaryKey(),
    meetingId: text("meeting_id")
      .notNull()
      .references(() => meetings.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    field: text("field").notNull(),
    title: text("title").notNull(),
    description: text("description"),
    proposingOrgId: text("proposing_org_id").notNull(),
    proposingDepartmentId: text("proposing_department_id"),
    status: text("status", { enum: ["proposed", "accepted", "declined"] }).notNull(),
    decisionReason: text("decision_reason"),
    /** Order on the agenda (accepted topics only). */
    position: integer("position"),
    createdBy: text("created_by").notNull(),
    idempotencyKey: text("idempotency_key"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("meeting_topics_meeting_ix").on(t.meetingId),
    uniqueIndex("meeting_topics_idempotency_uq").on(t.createdBy, t.idempotencyKey),
  ],
);

/**
 * Who is invited to a meeting: users of either institution (an RSVP each) or external observers
 * (列席: organisation, name, title, contact), who never get an account. Attendance after the meeting.
 */
export const meetingParticipants = sqliteTable(
  "meeting_participants",
  {
    id: text("id").primaryKey(),
    meetingId: text("meeting_id")
      .notNull()
      .references(() => meetings.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    kind: text("kind", { enum: ["user", "observer"] }).notNull(),
    userId: text("user_id"),
    /** The institution the participant belongs to (users), or that invited the observer. */
    orgId: text("org_id").notNull(),
    observerOrganization: text("observer_organization"),
    observerName: text("observer_name"),
    observerTitle: text("observer_title"),
    observerContact: text("observer_contact"),
    rsvp: text("rsvp", { enum: ["pending", "accepted", "declined", "tentative"] })
      .notNull()
      .default("pending"),
    rsvpNote: text("rsvp_note"),
    attended: integer("attended", { mode: "boolean" }),
    invitedBy: text("invited_by").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("meeting_participants_meeting_ix").on(t.meetingId),
    uniqueIndex("meeting_participants_user_uq").on(t.meetingId, t.userId),
    index("meeting_participants_user_ix").on(t.userId),
  ],
);

/** A meeting's minutes (会议纪要): drafted by the host, co-signed by both sides' leaders, then locked. */
export const meetingMinutes = sqliteTable("meeting_minutes", {
  meetingId: text("meeting_id")
    .primaryKey()
    .references(() => meetings.id),
  jurisdictionId: text("jurisdiction_id")
    .notNull()
    .references(() => jurisdictions.id),
  text: text("text").notNull(),
  /** The agreed measures: [{ title, ownerOrgId, ownerDepartmentId?, dueOn }]; action items once signed. */
  measures: text("measures", { mode: "json" })
    .$type<{ title: string; ownerOrgId: string; ownerDepartmentId?: string | null; dueOn: string }[]>()
    .notNull(),
  version: integer("version").notNull().default(1),
  draftedBy: text("drafted_by").notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/** An agreed measure of signed minutes, tracked on the escalation ladder (subject type 'action_item'). */
export const actionItems = sqliteTable(
  "action_items",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    meetingId: text("meeting_id")
      .notNull()
      .references(() => meetings.id),
    position: integer("position").notNull(),
    title: text("title").notNull(),
    ownerOrgId: text("owner_org_id")
      .notNull()
      .references(() => organizations.id),
    ownerDepartmentId: text("owner_department_id"),
    dueOn: text("due_on").notNull(),
    deadlineVersion: integer("deadline_version").notNull().default(1),
    status: text("status", { enum: ["open", "done"] }).notNull(),
    doneAt: text("done_at"),
    doneBy: text("done_by"),
    doneNote: text("done_note"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("action_items_position_uq").on(t.meetingId, t.position),
    index("action_items_open_ix").on(t.status, t.dueOn),
    index("action_items_sync_ix").on(t.jurisdictionId, t.updatedAt, t.id),
  ],
);

/** A user's calendar subscription: a secret token (only its hash is kept) in the feed URL; revocable. */
export const feedTokens = sqliteTable(
  "feed_tokens",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    tokenHash: text("token_hash").notNull(),
    label: text("label"),
    createdAt: text("created_at").notNull(),
    revokedAt: text("revoked_at"),
  },
  (t) => [uniqueIndex("feed_tokens_hash_uq").on(t.tokenHash), index("feed_tokens_user_ix").on(t.userId)],
);

// ── Trainings, the annual academic seminar and joint research (S3.4.2–S3.4.3) ───────────────────

/**
 * A training, joint training, academic seminar or exchange activity, organised by one institution
 * (with a co-organiser for joint ones) and opened to the institutions it invites.
 */
export const trainings = sqliteTable(
  "trainings",
  {
    id: text("id").primaryKey(),
    /** The organiser's jurisdiction. */
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    kind: text("kind", { enum: ["training", "joint_training", "seminar", "exchange"] }).notNull(),
    organiserOrgId: text("organiser_org_id")
      .notNull()
      .references(() => organizations.id),
    /** Joint trainings (and the seminar): the co-organising institution. */
    coOrganiserOrgId: text("co_organiser_org_id"),
    title: text("title").notNull(),
    description: text("description"),
    /** Hours credited to each attendee, in tenths of an hour (3.5 h = 35): exact sums in records. */
    hours: integer("hours_tenths").notNull().default(0),
    /** Total seats; null = not yet set (a seminar planned by the cron). */
    capacity: integer("capacity"),
    /** 'planning' (not open yet), 'published' (registration by its window), 'cancelled'. */
    status: text("status", { enum: ["planning", "published", "cancelled"] }).notNull(),
    opensAt: text("opens_at"),
    closesAt: text("closes_at"),
    /** Withdrawals (and changes of answers) until this instant. */
    modifyUntil: text("modify_until"),
    approvalRequired: integer("approval_required", { mode: "boolean" }).notNull().default(false),
    /** Custom questions: [{ id, type: text|single|multiple|yes_no, label, options?, required }]. */
    questions: text("questions", { mode: "json" }).$type<unknown[]>().notNull().default(sql`'[]'`),
    /** How long a waiting-list offer stays open before it passes on. */
    offerHours: integer("offer_hours").notNull().default(48),
    seriesId: text("series_id"),
    period: text("period"),
    createdBy: text("created_by"),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("trainings_period_uq").on(t.seriesId, t.period),
    uniqueIndex("trainings_idempotency_uq").on(t.createdBy, t.idempotencyKey),
    index("trainings_sync_ix").on(t.jurisdictionId, t.updatedAt, t.id),
  ],
);

/** A session of a training (start, end, place or link); attendance is recorded per session. */
export const trainingSessions = sqliteTable(
  "training_sessions",
  {
    id: text("id").primaryKey(),
    trainingId: text("training_id")
      .notNull()
      .references(() => trainings.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    position: integer("position").notNull(),
    startsAt: text("starts_at").notNull(),
    endsAt: text("ends_at").notNull(),
    place: text("place"),
    onlineUrl: text("online_url"),
    /** The key that signs this session's check-in QR tokens (never shown). */
    checkinSecret: text("checkin_secret").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("training_sessions_position_uq").on(t.trainingId, t.position)],
);

/** An institution invited to a training, with its optional seat quota. */
export const trainingInvitations = sqliteTable(
  "training_invitations",
  {
    id: text("id").primaryKey(),
    trainingId: text("training_id")
      .notNull()
      .references(() => trainings.id),
    /** The invited institution's jurisdiction. */
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    quota: integer("quota"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("training_invitations_uq").on(t.trainingId, t.orgId),
    index("training_invitations_org_ix").on(t.orgId),
  ],
);

/**
 * A person's registration: `seq` is the arrival order (the waiting list's order); the status is
 * decided by the inserting statement itself against capacity and quota.
 */
export const registrations = sqliteTable(
  "registrations",
  {
    id: text("id").primaryKey(),
    trainingId: text("training_id")
      .notNull()
      .references(() => trainings.id),
    /** The registrant's jurisdiction. */
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    departmentId: text("department_id"),
    status: text("status", {
      enum: ["pending", "confirmed", "waitlisted", "offered", "withdrawn", "rejected", "expired", "declined"],
    }).notNull(),
    seq: integer("seq").notNull(),
    answers: text("answers", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    /** Who registered this person (themselves, or their department head for a group). */
    registeredBy: text("registered_by").notNull(),
    offeredAt: text("offered_at"),
    offerExpiresAt: text("offer_expires_at"),
    decidedBy: text("decided_by"),
    decisionNote: text("decision_note"),
    idempotencyKey: text("idempotency_key"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    // One live registration per person and training.
    uniqueIndex("registrations_live_uq")
      .on(t.trainingId, t.userId)
      .where(sql`status in ('pending', 'confirmed', 'waitlisted', 'offered')`),
    uniqueIndex("registrations_seq_uq").on(t.trainingId, t.seq),
    index("registrations_status_ix").on(t.trainingId, t.status, t.seq),
    index("registrations_user_ix").on(t.userId),
    index("registrations_offer_ix").on(t.offerExpiresAt).where(sql`status = 'offered'`),
    uniqueIndex("registrations_idempotency_uq").on(t.registeredBy, t.idempotencyKey, t.userId),
  ],
);

/** Attendance of a registered person at one session (by the organiser, or self with a QR token). */
export const trainingAttendance = sqliteTable(
  "training_attendance",
  {
    registrationId: text("registration_id")
      .notNull()
      .references(() => registrations.id),
    sessionId: text("session_id")
      .notNull()
      .references(() => trainingSessions.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    method: text("method", { enum: ["organiser", "qr"] }).notNull(),
    checkedInBy: text("checked_in_by").notNull(),
    checkedInAt: text("checked_in_at").notNull(),
  },
  (t) => [uniqueIndex("training_attendance_pk").on(t.registrationId, t.sessionId)],
);

/** A joint research topic (联合调研课题) of a pair: lead institution, members of both sides. */
export const researchTopics = sqliteTable(
  "research_topics",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    title: text("title").notNull(),
    description: text("description"),
    leadOrgId: text("lead_org_id")
      .notNull()
      .references(() => organizations.id),
    partnerOrgId: text("partner_org_id")
      .notNull()
      .references(() => organizations.id),
    status: text("status", { enum: ["active", "completed", "cancelled"] }).notNull(),
    createdBy: text("created_by").notNull(),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("research_topics_idempotency_uq").on(t.createdBy, t.idempotencyKey),
    index("research_topics_sync_ix").on(t.jurisdictionId, t.updatedAt, t.id),
  ],
);

export const researchMembers = sqliteTable(
  "research_members",
  {
    id: text("id").primaryKey(),
    topicId: text("topic_id")
      .notNull()
      .references(() => researchTopics.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    orgId: text("org_id").notNull(),
    role: text("role", { enum: ["lead", "member"] }).notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("research_members_uq").on(t.topicId, t.userId)],
);

/** A milestone of a research topic, tracked on the escalation ladder (subject type 'milestone'). */
export const researchMilestones = sqliteTable(
  "research_milestones",
  {
    id: text("id").primaryKey(),
    topicId: text("topic_id")
      .notNull()
      .references(() => researchTopics.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    position: integer("position").notNull(),
    title: text("title").notNull(),
    ownerOrgId: text("owner_org_id").notNull(),
    dueOn: text("due_on").notNull(),
    deadlineVersion: integer("deadline_version").notNull().default(1),
    status: text("status", { enum: ["open", "done"] }).notNull(),
    doneAt: text("done_at"),
    doneBy: text("done_by"),
    doneNote: text("done_note"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("research_milestones_position_uq").on(t.topicId, t.position),
    index("research_milestones_open_ix").on(t.status, t.dueOn),
  ],
);

/** An output of a research topic: a report with its file's metadata. */
export const researchOutputs = sqliteTable(
  "research_outputs",
  {
    id: text("id").primaryKey(),
    topicId: text("topic_id")
      .notNull()
      .references(() => researchTopics.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    title: text("title").notNull(),
    producedOn: text("produced_on").notNull(),
    file: text("file", { mode: "json" }).$type<{
      name: string;
      size: number;
      sha256: string;
      mediaType: string;
    } | null>(),
    createdBy: text("created_by").notNull(),
    idempotencyKey: text("idempotency_key"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("research_outputs_topic_ix").on(t.topicId),
    uniqueIndex("research_outputs_idempotency_uq").on(t.createdBy, t.idempotencyKey),
  ],
);

// ── Exchanges between a pair's court and procuratorate (ADR 0012) ─────────────────────────────────

/**
 * An exchange that is not a supervision document: a referral notice (线索通报), a periodic report
 * (定期通报) or a petition-risk alert (访情舆情预警). One table, one guarded transition, one timeline
 * (subject_events, subject type = kind), one ladder source per kind: a kind is a row of the
 * registry in src/exchanges/exchanges.ts (its statuses, who may do what, its content schema).
 * Seen by its sender and its recipient only.
 */
export const exchanges = sqliteTable(
  "exchanges",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    kind: text("kind", { enum: ["referral", "report", "risk_alert"] }).notNull(),
    /** The kind's own classification: a referral's kind, a report's series subject, an alert's level. */
    subkind: text("subkind").notNull(),
    senderOrgId: text("sender_org_id")
      .notNull()
      .references(() => organizations.id),
    recipientOrgId: text("recipient_org_id")
      .notNull()
      .references(() => organizations.id),
    status: text("status").notNull(),
    title: text("title").notNull(),
    caseNumbers: text("case_numbers", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** The supervision document it concerns, when there is one. */
    documentId: text("document_id").references(() => documents.id),
    /** The kind's content, validated by its schema (parties, facts, figures, public opinion …). */
    body: text("body", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    attachments: text("attachments", { mode: "json" })
      .$type<{ name: string; size: number; sha256: string; mediaType: string }[]>()
      .notNull()
      .default(sql`'[]'`),
    /** What the recipient did (a referral's handling, an alert's resolution), as the kind defines it. */
    outcome: text("outcome", { mode: "json" }).$type<Record<string, unknown>>(),
    /** Working-day deadline (a date on the calendar) or clock-hour deadline (an instant), per kind. */
    dueOn: text("due_on"),
    dueAt: text("due_at"),
    deadlineVersion: integer("deadline_version").notNull().default(1),
    /** Periodic reports: the series and the period reported on. */
    seriesId: text("series_id"),
    period: text("period"),
    /** Risk alerts: the contingency plan co-signed by both leaders (cosign subject contingency_plan). */
    plan: text("plan"),
    createdBy: text("created_by"),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("exchanges_idempotency_uq").on(t.createdBy, t.idempotencyKey),
    uniqueIndex("exchanges_period_uq").on(t.seriesId, t.period, t.senderOrgId),
    index("exchanges_sender_ix").on(t.senderOrgId, t.kind, t.updatedAt, t.id),
    index("exchanges_recipient_ix").on(t.recipientOrgId, t.kind, t.updatedAt, t.id),
    index("exchanges_pair_ix").on(t.jurisdictionId, t.kind, t.createdAt),
    index("exchanges_open_ix").on(t.kind, t.status, t.dueOn),
    index("exchanges_document_ix").on(t.documentId),
  ],
);

/** A note on an exchange by one side: a comment (reports) or that side's risk assessment (alerts). */
export const exchangeNotes = sqliteTable(
  "exchange_notes",
  {
    id: text("id").primaryKey(),
    exchangeId: text("exchange_id")
      .notNull()
      .references(() => exchanges.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    authorId: text("author_id").notNull(),
    kind: text("kind", { enum: ["comment", "assessment"] }).notNull(),
    body: text("body").notNull(),
    /** An assessment's structured part (its risk level, measures). */
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
    idempotencyKey: text("idempotency_key"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("exchange_notes_exchange_ix").on(t.exchangeId, t.createdAt),
    uniqueIndex("exchange_notes_idempotency_uq").on(t.authorId, t.idempotencyKey),
    // One assessment per side per alert.
    uniqueIndex("exchange_notes_assessment_uq").on(t.exchangeId, t.orgId).where(sql`kind = 'assessment'`),
  ],
);

/**
 * A joint mediation (共同调解, S3.1.3) of a case retried because of a protest, a retrial suggestion or
 * a procuratorial suggestion, linked to that supervision document (one per document). Seen by the
 * document's two institutions.
 */
export const mediations = sqliteTable(
  "mediations",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    documentId: text("document_id")
      .notNull()
      .references(() => documents.id),
    openedByOrgId: text("opened_by_org_id")
      .notNull()
      .references(() => organizations.id),
    status: text("status", { enum: ["open", "concluded"] }).notNull(),
    /** Participants from both sides: users of either institution, by id, with their role in it. */
    participants: text("participants", { mode: "json" })
      .$type<{ userId: string; orgId: string; role: string }[]>()
      .notNull()
      .default(sql`'[]'`),
    outcome: text("outcome"),
    outcomeOn: text("outcome_on"),
    outcomeNote: text("outcome_note"),
    createdBy: text("created_by"),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("mediations_document_uq").on(t.documentId),
    uniqueIndex("mediations_idempotency_uq").on(t.createdBy, t.idempotencyKey),
    index("mediations_sync_ix").on(t.jurisdictionId, t.updatedAt, t.id),
  ],
);

/** One mediation session: when, where, who attended. */
export const mediationSessions = sqliteTable(
  "mediation_sessions",
  {
    id: text("id").primaryKey(),
    mediationId: text("mediation_id")
      .notNull()
      .references(() => mediations.id),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    heldOn: text("held_on").notNull(),
    place: text("place").notNull(),
    attendees: text("attendees", { mode: "json" })
      .$type<{ name: string; side: string; userId?: string }[]>()
      .notNull()
      .default(sql`'[]'`),
    note: text("note"),
    createdBy: text("created_by").notNull(),
    idempotencyKey: text("idempotency_key"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("mediation_sessions_mediation_ix").on(t.mediationId, t.heldOn),
    uniqueIndex("mediation_sessions_idempotency_uq").on(t.createdBy, t.idempotencyKey),
  ],
);

// ── Shared case information, typical cases, two-heads hearings (issue #13) ────────────────────────

/**
 * A case record one institution shares (数据共享, S3.3.2): the court's filing, judgment, mediation
 * and enforcement information, the procuratorate's supervision information. Seen by its owner and,
 * through an active grant (per case or by rule), by the counterpart; every read by the counterpart
 * is written to case_access_log in the same batch.
 */
export const caseRecords = sqliteTable(
  "case_records",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    ownerOrgId: text("owner_org_id")
      .notNull()
      .references(() => organizations.id),
    /** 案号 as written, and normalised for search (half-width brackets and digits, no spaces). */
    caseNumber: text("case_number").notNull(),
    caseKey: text("case_key").notNull(),
    courtName: text("court_name").notNull(),
    caseType: text("case_type").notNull(),
    area: text("area"),
    stage: text("stage").notNull(),
    parties: text("parties", { mode: "json" }).$type<{ name: string; role: string }[]>().notNull(),
    /** The parties' names normalised and joined, for search by party name. */
    partyKeys: text("party_keys").notNull(),
    keyDates: text("key_dates", { mode: "json" }).$type<Record<string, string>>().notNull(),
    summary: text("summary"),
    /** Criminal cases: the charge prosecuted and the charge in the verdict (诉判不一 when they differ). */
    chargeProsecuted: text("charge_prosecuted"),
    chargeJudged: text("charge_judged"),
    material: text("material", { mode: "json" })
      .$type<{ name: string; size: number; sha256: string; mediaType: string }[]>()
      .notNull()
      .default(sql`'[]'`),
    source: text("source", { enum: ["manual", "import"] }).notNull(),
    importId: text("import_id"),
    createdBy: text("created_by"),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("case_records_number_uq").on(t.ownerOrgId, t.caseKey),
    uniqueIndex("case_records_idempotency_uq").on(t.createdBy, t.idempotencyKey),
    index("case_records_key_ix").on(t.caseKey),
    index("case_records_sync_ix").on(t.jurisdictionId, t.updatedAt, t.id),
    index("case_records_stats_ix").on(t.jurisdictionId, t.caseType, t.createdAt),
  ],
);

/**
 * A grant of the counterpart's access to shared case records: one record (`case_record_id`) or a
 * rule (`rule`: every record of the owner matching it, e.g. every case with a supervision document).
 * Revoked grants stay (the audit refers to them); from then on the records they opened are 404.
 */
export const caseGrants = sqliteTable(
  "case_grants",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    ownerOrgId: text("owner_org_id")
      .notNull()
      .references(() => organizations.id),
    granteeOrgId: text("grantee_org_id")
      .notNull()
      .references(() => organizations.id),
    caseRecordId: text("case_record_id").references(() => caseRecords.id),
    rule: text("rule"),
    status: text("status", { enum: ["active", "revoked"] }).notNull(),
    note: text("note"),
    grantedBy: text("granted_by").notNull(),
    revokedBy: text("revoked_by"),
    revokedAt: text("revoked_at"),
    idempotencyKey: text("idempotency_key"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("case_grants_record_ix").on(t.caseRecordId, t.status),
    index("case_grants_grantee_ix").on(t.granteeOrgId, t.status),
    uniqueIndex("case_grants_idempotency_uq").on(t.grantedBy, t.idempotencyKey),
  ],
);

/**
 * The append-only access audit of shared case records: every read, search hit, copy and export by
 * the counterpart (who, what, when, why). Triggers refuse UPDATE and DELETE (migration 0012).
 */
export const caseAccessLog = sqliteTable(
  "case_access_log",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    ownerOrgId: text("owner_org_id").notNull(),
    caseRecordId: text("case_record_id").notNull(),
    grantId: text("grant_id"),
    actorId: text("actor_id").notNull(),
    actorOrgId: text("actor_org_id").notNull(),
    action: text("action", { enum: ["read", "search", "copy", "export"] }).notNull(),
    purpose: text("purpose"),
    query: text("query"),
    at: text("at").notNull(),
  },
  (t) => [
    index("case_access_log_owner_ix").on(t.ownerOrgId, t.at),
    index("case_access_log_record_ix").on(t.caseRecordId, t.at),
  ],
);

/**
 * A typical or reference case (联合发布案例, S3.3.3) drafted by either side, published once both
 * institutions' leaders co-sign (cosign subject typical_case), withdrawn by either side, never
 * edited after signing. Published cases are served by the public feed without authentication.
 */
export const typicalCases = sqliteTable(
  "typical_cases",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    draftedByOrgId: text("drafted_by_org_id")
      .notNull()
      .references(() => organizations.id),
    kind: text("kind", { enum: ["typical", "reference"] }).notNull(),
    status: text("status", { enum: ["draft", "signing", "published", "withdrawn"] }).notNull(),
    title: text("title").notNull(),
    caseNumbers: text("case_numbers", { mode: "json" }).$type<string[]>().notNull(),
    facts: text("facts").notNull(),
    reasoning: text("reasoning").notNull(),
    significance: text("significance").notNull(),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    anonymisation: text("anonymisation", { mode: "json" }).$type<Record<string, boolean>>().notNull(),
    publishedAt: text("published_at"),
    withdrawnAt: text("withdrawn_at"),
    withdrawReason: text("withdraw_reason"),
    createdBy: text("created_by"),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("typical_cases_idempotency_uq").on(t.createdBy, t.idempotencyKey),
    index("typical_cases_public_ix").on(t.status, t.publishedAt),
    index("typical_cases_sync_ix").on(t.jurisdictionId, t.updatedAt, t.id),
  ],
);

/**
 * A two-heads hearing (两长同庭, S3.3.1): a case nominated by either side for the court president and
 * the chief procurator to appear in the same hearing; it goes ahead when both heads approve (cosign
 * subject two_heads_hearing), then its date and place, then the outcome.
 */
export const twoHeadsHearings = sqliteTable(
  "two_heads_hearings",
  {
    id: text("id").primaryKey(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    nominatedByOrgId: text("nominated_by_org_id")
      .notNull()
      .references(() => organizations.id),
    status: text("status", {
      enum: ["pending_approval", "approved", "rejected", "scheduled", "held", "cancelled"],
    }).notNull(),
    caseNumber: text("case_number").notNull(),
    caseTitle: text("case_title").notNull(),
    reason: text("reason").notNull(),
    documentId: text("document_id"),
    caseRecordId: text("case_record_id"),
    year: integer("year").notNull(),
    hearingAt: text("hearing_at"),
    place: text("place"),
    outcome: text("outcome"),
    outcomeOn: text("outcome_on"),
    createdBy: text("created_by"),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("two_heads_hearings_idempotency_uq").on(t.createdBy, t.idempotencyKey),
    index("two_heads_hearings_year_ix").on(t.jurisdictionId, t.year),
    index("two_heads_hearings_sync_ix").on(t.jurisdictionId, t.updatedAt, t.id),
  ],
);

/**
 * The normalised case numbers (src/cases/case-number.ts `caseKey`) of every supervision document,
 * written with the document: what makes "a supervision document between these two institutions names
 * this 案号" an index probe (the case-grant rule with_supervision_document, the documents shown on a
 * shared case record) instead of a fold over every document's case numbers.
 */
export const documentCaseKeys = sqliteTable(
  "document_case_keys",
  {
    documentId: text("document_id")
      .notNull()
      .references(() => documents.id),
    caseKey: text("case_key").notNull(),
    jurisdictionId: text("jurisdiction_id")
      .notNull()
      .references(() => jurisdictions.id),
    senderOrgId: text("sender_org_id").notNull(),
    recipientOrgId: text("recipient_org_id").notNull(),
  },
  (t) => [
    uniqueIndex("document_case_keys_uq").on(t.documentId, t.caseKey),
    index("document_case_keys_key_ix").on(t.caseKey, t.senderOrgId, t.recipientOrgId),
  ],
);
