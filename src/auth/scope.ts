// Tenancy: the one mechanism through which every query sees only what the caller may see.
//
// A Scope is built from the verified token's subject alone. The caller's user, organisation and
// jurisdiction are SQL sub-queries, not values read beforehand, so a request makes exactly one
// database round trip: the principal is fetched in the same batch as the request's own queries,
// and every query filters through `visible(table)`, whose policies all live in this file.
import { getTableName, sql, type SQL } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import { SQLiteAsyncDialect, type SQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import {
  authEvents,
  authSessions,
  calendarDays,
  calendarYears,
  committeeSessions,
  deadlineRules,
  deliverySettings,
  departments,
  documentEvents,
  documents,
  escalationLadders,
  escalationSteps,
  credentials,
  extensionRequests,
  invitations,
  jobRuns,
  jurisdictions,
  loginThrottle,
  notifications,
  operators,
  organizations,
  receivingRoutes,
  refreshTokens,
  roleAssignments,
  users,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
  subjectEvents,
  cosignatures,
  cosignParties,
  series,
  seriesInstances,
  seriesOverrides,
  meetings,
  meetingTopics,
  meetingParticipants,
  meetingMinutes,
  actionItems,
  feedTokens,
  trainings,
  trainingSessions,
  trainingInvitations,
  registrations,
  trainingAttendance,
  researchTopics,
  researchMembers,
  researchMilestones,
  researchOutputs,
  exchanges,
  exchangeNotes,
  mediations,
  mediationSessions,
  caseRecords,
  caseGrants,
  caseAccessLog,
  typicalCases,
  twoHeadsHearings,
  documentCaseKeys,
} from "../db/schema";
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

/** A column of the table being filtered, qualified by the alias the query gives it (if any). */
type Col = (column: SQLiteColumn) => SQL;
type Policy = (me: Me, c: Col) => SQL;

// Every table that holds tenant data has exactly one policy here. test/tenancy.test.ts checks that.
const policies = new Map<SQLiteTable, Policy>([
  [
    jurisdictions,
    (me, c) =>
      sql`(${c(jurisdictions.id)} = ${me.jurisdictionId}
        or ${c(jurisdictions.id)} = ${me.parentJurisdictionId}
        or ${c(jurisdictions.parentId)} = ${me.jurisdictionId})`,
  ],
  [organizations, (me, c) => sql`${c(organizations.jurisdictionId)} in ${visibleJurisdictions(me)}`],
  [departments, (me, c) => sql`${c(departments.jurisdictionId)} in ${visibleJurisdictions(me)}`],
  [users, (me, c) => sql`${c(users.orgId)} = ${me.orgId}`],
  [roleAssignments, (me, c) => sql`${c(roleAssignments.orgId)} = ${me.orgId}`],
  [receivingRoutes, (me, c) => sql`${c(receivingRoutes.jurisdictionId)} in ${visibleJurisdictions(me)}`],
  // National defaults (no jurisdiction) and the caller's own jurisdiction's overrides.
  [
    deadlineRules,
    (me, c) =>
      sql`(${c(deadlineRules.jurisdictionId)} is null
        or ${c(deadlineRules.jurisdictionId)} = ${me.jurisdictionId})`,
  ],
  // A document is seen by its sender, its recipient and, once flagged for 跟进监督, the next level up.
  [
    documents,
    (me, c) =>
      documentVisible(me, c(documents.senderOrgId), c(documents.recipientOrgId), c(documents.followupOrgId)),
  ],
  [documentEvents, (me, c) => sql`${c(documentEvents.documentId)} in ${visibleDocumentIds(me)}`],
  [extensionRequests, (me, c) => sql`${c(extensionRequests.documentId)} in ${visibleDocumentIds(me)}`],
  [committeeSessions, (me, c) => sql`${c(committeeSessions.documentId)} in ${visibleDocumentIds(me)}`],
  [documentCaseKeys, (me, c) => sql`${c(documentCaseKeys.documentId)} in ${visibleDocumentIds(me)}`],
  [notifications, (me, c) => sql`${c(notifications.userId)} = ${me.userId}`],
  // Escalation ladders and delivery hours are settings of the caller's own jurisdiction.
  [escalationLadders, (me, c) => sql`${c(escalationLadders.jurisdictionId)} = ${me.jurisdictionId}`],
  [deliverySettings, (me, c) => sql`${c(deliverySettings.jurisdictionId)} = ${me.jurisdictionId}`],
  // A step of the ladder is seen by whoever sees its subject
  // (documents now; other subject types add a branch).
  [
    escalationSteps,
    (me, c) =>
      sql`((${c(escalationSteps.subjectType)} = 'document'
          and ${c(escalationSteps.subjectId)} in ${visibleDocumentIds(me)})
        or (${c(escalationSteps.subjectType)} = 'action_item'
          and ${c(escalationSteps.subjectId)} in ${visibleActionItemIds(me)})
        or (${c(escalationSteps.subjectType)} = 'milestone'
          and ${c(escalationSteps.subjectId)} in ${visibleMilestoneIds(me)})
        or (${c(escalationSteps.subjectType)} in ('referral', 'report', 'risk_alert')
          and ${c(escalationSteps.subjectId)} in ${visibleExchangeIds(me)}))`,
  ],
  // Webhooks belong to an organisation; an event to the organisations it names.
  [webhookEndpoints, (me, c) => sql`${c(webhookEndpoints.orgId)} = ${me.orgId}`],
  [
    webhookEvents,
    (me, c) =>
      sql`exists (select 1 from json_each(${c(webhookEvents.orgIds)}) wo_ where wo_.value = ${me.orgId})`,
  ],
  [webhookDeliveries, (me, c) => sql`${c(webhookDeliveries.orgId)} = ${me.orgId}`],
  [webhookAttempts, (me, c) => sql`${c(webhookAttempts.orgId)} = ${me.orgId}`],
  // Invitations, login sessions and the sign-in audit belong to the organisation they concern.
  [invitations, (me, c) => sql`${c(invitations.orgId)} = ${me.orgId}`],
  [authSessions, (me, c) => sql`${c(authSessions.orgId)} = ${me.orgId}`],
  [authEvents, (me, c) => sql`${c(authEvents.orgId)} = ${me.orgId}`],
  // A joint meeting is seen by the pair's two institutions only (its host and its guest), and so is
  // everything hanging off it. Nobody else — not the level above, not another pair — sees it.
  [meetings, (me, c) => meetingVisible(me, c(meetings.hostOrgId), c(meetings.guestOrgId))],
  [meetingTopics, (me, c) => sql`${c(meetingTopics.meetingId)} in ${visibleMeetingIds(me)}`],
  [meetingParticipants, (me, c) => sql`${c(meetingParticipants.meetingId)} in ${visibleMeetingIds(me)}`],
  [meetingMinutes, (me, c) => sql`${c(meetingMinutes.meetingId)} in ${visibleMeetingIds(me)}`],
  [actionItems, (me, c) => sql`${c(actionItems.meetingId)} in ${visibleMeetingIds(me)}`],
  // A recurring series, its instances and rotation changes belong to the pair (its jurisdiction).
  [series, (me, c) => sql`${c(series.jurisdictionId)} = ${me.jurisdictionId}`],
  [seriesInstances, (me, c) => sql`${c(seriesInstances.jurisdictionId)} = ${me.jurisdictionId}`],
  [seriesOverrides, (me, c) => sql`${c(seriesOverrides.jurisdictionId)} = ${me.jurisdictionId}`],
  // A co-signature is seen by the institutions that must sign it.
  [cosignatures, (me, c) => sql`${c(cosignatures.id)} in ${visibleCosignIds(me)}`],
  [cosignParties, (me, c) => sql`${c(cosignParties.cosignId)} in ${visibleCosignIds(me)}`],
  // A timeline entry is seen by whoever sees its subject (each subject type adds a branch).
  [
    subjectEvents,
    (me, c) => {
      const [t, id] = [c(subjectEvents.subjectType), c(subjectEvents.subjectId)];
      return sql`((${t} = 'meeting' and ${id} in ${visibleMeetingIds(me)})
        or (${t} = 'action_item' and ${id} in ${visibleActionItemIds(me)})
        or (${t} = 'cosignature' and ${id} in ${visibleCosignIds(me)})
        or (${t} = 'training' and ${id} in ${visibleTrainingIds(me)})
        or (${t} = 'registration' and ${id} in ${visibleRegistrationIds(me)})
        or (${t} = 'research_topic' and ${id} in ${visibleTopicIds(me)})
        or (${t} = 'milestone' and ${id} in ${visibleMilestoneIds(me)})
        or (${t} in ('referral', 'report', 'risk_alert') and ${id} in ${visibleExchangeIds(me)})
        or (${t} = 'mediation' and ${id} in ${visibleMediationIds(me)})
        or (${t} = 'case_record' and ${id} in ${visibleCaseRecordIds(me)})
        or (${t} = 'case_grant'
          and ${id} in (select cg_.id from case_grants cg_
            where cg_.owner_org_id = ${me.orgId} or cg_.grantee_org_id = ${me.orgId}))
        or (${t} in ('typical_case', 'two_heads_hearing') and ${t} || ':' || ${id} in (
          select 'typical_case:' || tc_.id from typical_cases tc_ where tc_.jurisdiction_id = ${me.jurisdictionId}
          union all select 'two_heads_hearing:' || th_.id from two_heads_hearings th_
            where th_.jurisdiction_id = ${me.jurisdictionId}))
        or (${t} = 'series_override'
          and ${id} in (select so_.id from series_overrides so_ where so_.jurisdiction_id = ${me.jurisdictionId})))`;
    },
  ],
  // Calendar feed tokens are their user's own.
  [feedTokens, (me, c) => sql`${c(feedTokens.userId)} = ${me.userId}`],
  // A training is seen by its organiser, its co-organiser and the institutions it invites (which may
  // be basic-level institutions under the counterpart); nobody else, not even to register.
  [
    trainings,
    (me, c) =>
      trainingVisible(me, c(trainings.id), c(trainings.organiserOrgId), c(trainings.coOrganiserOrgId)),
  ],
  [trainingSessions, (me, c) => sql`${c(trainingSessions.trainingId)} in ${visibleTrainingIds(me)}`],
  [trainingInvitations, (me, c) => sql`${c(trainingInvitations.trainingId)} in ${visibleTrainingIds(me)}`],
  // A registration is seen by the person, their own institution (heads register groups) and the
  // organisers of the training.
  [
    registrations,
    (me, c) =>
      registrationVisible(me, c(registrations.userId), c(registrations.orgId), c(registrations.trainingId)),
  ],
  [
    trainingAttendance,
    (me, c) => sql`${c(trainingAttendance.registrationId)} in ${visibleRegistrationIds(me)}`,
  ],
  // A joint research topic is seen by its two institutions (lead and partner).
  [
    researchTopics,
    (me, c) =>
      sql`(${c(researchTopics.leadOrgId)} = ${me.orgId} or ${c(researchTopics.partnerOrgId)} = ${me.orgId})`,
  ],
  [researchMembers, (me, c) => sql`${c(researchMembers.topicId)} in ${visibleTopicIds(me)}`],
  [researchMilestones, (me, c) => sql`${c(researchMilestones.topicId)} in ${visibleTopicIds(me)}`],
  [researchOutputs, (me, c) => sql`${c(researchOutputs.topicId)} in ${visibleTopicIds(me)}`],
  // An exchange (referral notice, periodic report, risk alert) is seen by its sender and its
  // recipient only — not the level above, not another pair — and so are its notes.
  [exchanges, (me, c) => exchangeVisible(me, c(exchanges.senderOrgId), c(exchanges.recipientOrgId))],
  [exchangeNotes, (me, c) => sql`${c(exchangeNotes.exchangeId)} in ${visibleExchangeIds(me)}`],
  // A joint mediation is seen by the two institutions of its supervision document.
  [
    mediations,
    (me, c) => sql`${c(mediations.documentId)} in (select md_.id from documents md_
      where md_.sender_org_id = ${me.orgId} or md_.recipient_org_id = ${me.orgId})`,
  ],
  [mediationSessions, (me, c) => sql`${c(mediationSessions.mediationId)} in ${visibleMediationIds(me)}`],
  // A shared case record is seen by its owner and, while an active grant covers it, by the grantee.
  [
    caseRecords,
    (me, c) => caseRecordVisible(me, c(caseRecords.id), c(caseRecords.ownerOrgId), c(caseRecords.caseKey)),
  ],
  [
    caseGrants,
    (me, c) =>
      sql`(${c(caseGrants.ownerOrgId)} = ${me.orgId} or ${c(caseGrants.granteeOrgId)} = ${me.orgId})`,
  ],
  // The access audit is the owning side's to read.
  [caseAccessLog, (me, c) => sql`${c(caseAccessLog.ownerOrgId)} = ${me.orgId}`],
  // Typical cases and two-heads hearings belong to the pair (its two institutions).
  [typicalCases, (me, c) => sql`${c(typicalCases.jurisdictionId)} = ${me.jurisdictionId}`],
  [twoHeadsHearings, (me, c) => sql`${c(twoHeadsHearings.jurisdictionId)} = ${me.jurisdictionId}`],
]);

/**
 * The grant that lets the caller see record `id` (normalised case number `key`) of `owner`, as SQL
 * (its id, or NULL): an active grant of that record, or an active rule grant of the owner to the
 * caller's institution — 'all', or 'with_supervision_document' when a supervision document between
 * the two institutions (not withdrawn) names the record's case number. The one definition of
 * "granted"; the policy, the audit rows and the grant shown on a read all use it. A record grant
 * wins over a rule (it is the one the audit names).
 */
export function activeGrant(me: Me, id: SQL, owner: SQL, key: SQL): SQL {
  return sql`(select g_.id from case_grants g_
    where g_.grantee_org_id = ${me.orgId} and g_.owner_org_id = ${owner} and g_.status = 'active'
      and (g_.case_record_id = ${id} or g_.rule = 'all'
        or (g_.rule = 'with_supervision_document' and ${supervised(me, owner, key)}))
    order by g_.case_record_id is null limit 1)`;
}

/**
 * True when a supervision document between the caller's institution and `owner` (either direction,
 * not withdrawn) names case key `key`: an index probe of document_case_keys (case_key, sender,
 * recipient), whatever the number of documents.
 */
function supervised(me: Me, owner: SQL, key: SQL): SQL {
  return sql`exists (select 1 from document_case_keys k_ join documents sd_ on sd_.id = k_.document_id
    where k_.case_key = ${key} and sd_.status <> 'withdrawn'
      and ((k_.sender_org_id = ${me.orgId} and k_.recipient_org_id = ${owner})
        or (k_.sender_org_id = ${owner} and k_.recipient_org_id = ${me.orgId})))`;
}

function caseRecordVisible(me: Me, id: SQL, owner: SQL, key: SQL): SQL {
  return sql`(${owner} = ${me.orgId} or ${activeGrant(me, id, owner, key)} is not null)`;
}

// Bounded by the caller's jurisdiction (case_records_sync_ix): grants never leave the pair.
function visibleCaseRecordIds(me: Me): SQL {
  return sql`(select cv_.id from case_records cv_ where cv_.jurisdiction_id = ${me.jurisdictionId}
    and ${caseRecordVisible(me, sql`cv_.id`, sql`cv_.owner_org_id`, sql`cv_.case_key`)})`;
}

function exchangeVisible(me: Me, sender: SQL, recipient: SQL): SQL {
  return sql`(${sender} = ${me.orgId} or ${recipient} = ${me.orgId})`;
}

function visibleExchangeIds(me: Me): SQL {
  return sql`(select xv_.id from exchanges xv_
    where ${exchangeVisible(me, sql`xv_.sender_org_id`, sql`xv_.recipient_org_id`)})`;
}

function visibleMediationIds(me: Me): SQL {
  return sql`(select mv_.id from mediations mv_ join documents md_ on md_.id = mv_.document_id
    where md_.sender_org_id = ${me.orgId} or md_.recipient_org_id = ${me.orgId})`;
}

function trainingVisible(me: Me, id: SQL, organiser: SQL, coOrganiser: SQL): SQL {
  return sql`(${organiser} = ${me.orgId} or ${coOrganiser} = ${me.orgId}
    or exists (select 1 from training_invitations ti_ where ti_.training_id = ${id} and ti_.org_id = ${me.orgId}))`;
}

function visibleTrainingIds(me: Me): SQL {
  return sql`(select tv_.id from trainings tv_ where
    ${trainingVisible(me, sql`tv_.id`, sql`tv_.organiser_org_id`, sql`tv_.co_organiser_org_id`)})`;
}

// Checked on the row itself (no scan of every registration): the person, their institution, or an
// organiser of the training.
function registrationVisible(me: Me, user: SQL, org: SQL, training: SQL): SQL {
  return sql`(${user} = ${me.userId} or ${org} = ${me.orgId}
    or ${training} in (select ot_.id from trainings ot_
      where ot_.organiser_org_id = ${me.orgId} or ot_.co_organiser_org_id = ${me.orgId}))`;
}

function visibleRegistrationIds(me: Me): SQL {
  return sql`(select rv_.id from registrations rv_
    where ${registrationVisible(me, sql`rv_.user_id`, sql`rv_.org_id`, sql`rv_.training_id`)})`;
}

function visibleTopicIds(me: Me): SQL {
  return sql`(select tp_.id from research_topics tp_
    where tp_.lead_org_id = ${me.orgId} or tp_.partner_org_id = ${me.orgId})`;
}

function visibleMilestoneIds(me: Me): SQL {
  return sql`(select ms_.id from research_milestones ms_ where ms_.topic_id in ${visibleTopicIds(me)})`;
}

function meetingVisible(me: Me, host: SQL, guest: SQL): SQL {
  return sql`(${host} = ${me.orgId} or ${guest} = ${me.orgId})`;
}

function visibleMeetingIds(me: Me): SQL {
  return sql`(select mv_.id from meetings mv_ where
    ${meetingVisible(me, sql`mv_.host_org_id`, sql`mv_.guest_org_id`)})`;
}

function visibleActionItemIds(me: Me): SQL {
  return sql`(select ai_.id from action_items ai_ where ai_.meeting_id in ${visibleMeetingIds(me)})`;
}

function visibleCosignIds(me: Me): SQL {
  return sql`(select cp_.cosign_id from cosign_parties cp_ where cp_.org_id = ${me.orgId})`;
}

function documentVisible(me: Me, sender: SQL, recipient: SQL, followup: SQL): SQL {
  return sql`(${sender} = ${me.orgId} or ${recipient} = ${me.orgId} or ${followup} = ${me.orgId})`;
}

function visibleDocumentIds(me: Me): SQL {
  return sql`(select dv_.id from documents dv_ where
    ${documentVisible(me, sql`dv_.sender_org_id`, sql`dv_.recipient_org_id`, sql`dv_.followup_org_id`)})`;
}

/** Tables without tenant data (system tables); listed so the coverage test can tell omission from intent. */
export const UNSCOPED_TABLES: SQLiteTable[] = [
  jobRuns,
  calendarDays,
  calendarYears,
  // Deployment-wide accounts and secrets, reached only by the auth routes through their own keys
  // (an e-mail, a token hash), never listed to a tenant.
  operators,
  credentials,
  refreshTokens,
  loginThrottle,
];
export const SCOPED_TABLES: SQLiteTable[] = [...policies.keys()];

function visibleJurisdictions(me: Me): SQL {
  return sql`(select j_.id from jurisdictions j_
    where j_.id = ${me.jurisdictionId} or j_.id = ${me.parentJurisdictionId}
      or j_.parent_id = ${me.jurisdictionId})`;
}

export class Scope {
  readonly me: Me;

  constructor(
    readonly db: Db,
    readonly subject: Subject,
    readonly allowedRoles: readonly Role[] | "any",
  ) {
    // A token naming a login session (sid) stands only while that session is not revoked; the
    // check is part of every `me` sub-query, so a batch's writes see no caller either.
    const session = subject.sid
      ? sql` and exists (select 1 from auth_sessions as_ where as_.id = ${subject.sid}
          and as_.account_id = u_.id and as_.account_kind = 'user' and as_.revoked_at is null)`
      : sql``;
    const who =
      subject.issuer === "local"
        ? sql`u_.id = ${subject.sub} and u_.active = 1${session}`
        : sql`u_.idp_subject = ${subject.sub} and u_.active = 1`;
    const col = (c: string) => sql`(select ${sql.raw(c)} from users u_ where ${who})`;
    this.me = {
      userId: col("u_.id"),
      orgId: col("u_.org_id"),
      jurisdictionId: col("u_.jurisdiction_id"),
      parentJurisdictionId: sql`(select j_.parent_id from jurisdictions j_
        where j_.id = ${col("u_.jurisdiction_id")})`,
    };
  }

  /**
   * The tenancy predicate of a table (pass `alias` when the query names the table differently);
   * throws for a table without a policy, so none is forgotten.
   */
  visible(table: SQLiteTable, alias?: string): SQL {
    const policy = policies.get(table);
    if (!policy) throw new Error(`no tenancy policy for table ${getTableName(table)}`);
    const c: Col = alias ? (col) => sql.raw(`"${alias}"."${col.name}"`) : (col) => sql`${col}`;
    return policy(this.me, c);
  }

  /** SQL true when the caller holds one of the route's roles (for guarding writes inside SQL). */
  hasRole(roles: readonly Role[] = this.allowedRoles === "any" ? [] : this.allowedRoles): SQL {
    if (this.allowedRoles === "any" && roles.length === 0) return sql`1`;
    return sql`exists (select 1 from role_assignments r_
      where r_.user_id = ${this.me.userId} and r_.role in ${roles})`;
  }
  /** SQL true when the caller belongs to a court (or a procuratorate). */
  isInstitution(kind: OrgKind): SQL {
    return sql`((select o_.kind from organizations o_ where o_.id = ${this.me.orgId}) = ${kind})`;
  }

  /**
   * The principal look-up as one libSQL statement: its SQL text is rendered once per kind of token
   * (see PRINCIPAL_SQL), so a request only binds its subject (and session).
   */
  principalQuery(): { sql: string; args: string[] } {
    const { issuer, sub, sid } = this.subject;
    if (issuer === "local" && sid !== undefined) return { sql: principalSql("session"), args: [sub, sid] };
    return { sql: principalSql(issuer), args: [sub] };
  }

  /** The principal look-up as a drizzle SQL fragment (for batches and composite statements). */
  private principalFragment(): SQL {
    const { sql: text, args } = this.principalQuery();
    const parts = text.split("?");
    return sql.join(parts.map((p, i) => (i < args.length ? sql`${sql.raw(p)}${args[i]}` : sql.raw(p))));
  }

  /**
   * Runs the request's queries in one batch together with the principal look-up, then applies the
   * access rules in order: unknown caller → 401; `found` says no record → 404; wrong role → 403.
   * Pass `found` on routes about one record, so a caller without the role learns nothing about ids.
   * With no queries of its own the look-up is one statement, sent alone: one round trip either way,
   * without the BEGIN/COMMIT a batch wraps around its statements.
   */
  async run<const T extends readonly BatchItem<"sqlite">[]>(
    queries: T,
    found?: (results: BatchResponse<T>) => unknown,
  ): Promise<{ principal: Principal; results: BatchResponse<T> }> {
    const stmt = this.principalQuery();
    let json: unknown;
    let results: BatchResponse<T>;
    if (queries.length === 0) {
      json = (await this.db.$client.execute(stmt)).rows[0]?.[0];
      results = [] as unknown as BatchResponse<T>;
    } else {
      const lookup = this.db.all<[string]>(this.principalFragment());
      const [rows, ...rest] = (await this.db.batch([lookup, ...queries] as never)) as unknown as [
        [string][],
        ...unknown[],
      ];
      json = rows[0]?.[0];
      results = rest as BatchResponse<T>;
    }
    const principal = this.admit(json);
    if (found && !found(results)) throw notFound();
    this.authorize(principal);
    return { principal, results };
  }

  /**
   * A list read as ONE statement: the principal look-up and `query` (whose rows are one JSON column
   * `j`, in order) come back as two JSON values of a single row, so there is no batch and no
   * transaction around it, and the rows cross from the engine as one string.
   */
  async list<Item>(query: SQL): Promise<{ principal: Principal; items: Item[] }> {
    const [row] = await this.db.values<[string | null, string]>(
      sql`select (${this.principalFragment()}) as p,
        (select json_group_array(json(q_.j)) from (${query}) q_) as r`,
    );
    const principal = this.admit(row?.[0]);
    this.authorize(principal);
    return { principal, items: JSON.parse(row![1]) as Item[] };
  }

  private admit(json: unknown): Principal {
    if (typeof json !== "string")
      throw new ApiError(401, "unknown_user", "The token's subject is not an active user.", {
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      });
    return JSON.parse(json) as Principal;
  }

  authorize(principal: Principal) {
    if (this.allowedRoles !== "any" && !principal.roles.some((r) => this.allowedRoles.includes(r)))
      throw forbidden();
  }
}

/**
 * The principal look-up: one row with one column, a JSON object of the Principal's fields, for the
 * active user the subject names. One column keeps the driver's per-statement work (column metadata,
 * row objects) to a minimum; the text is rendered once per kind of token, with a `?` for the subject
 * and, for a token of a login session ("session"), a second for the session, which must not be revoked.
 */
type TokenKind = Subject["issuer"] | "session";
const PRINCIPAL_SQL = new Map<TokenKind, string>();

function principalSql(kind: TokenKind): string {
  let text = PRINCIPAL_SQL.get(kind);
  if (text === undefined) {
    const u = users;
    const o = organizations;
    const j = jurisdictions;
    const subject = kind === "external" ? u.idpSubject : u.id;
    const session =
      kind === "session"
        ? sql` and exists (select 1 from auth_sessions as_ where as_.id = ${sql.placeholder("sid")}
            and as_.account_id = ${u.id} and as_.account_kind = 'user' and as_.revoked_at is null)`
        : sql``;
    const query = sql`select json_object(
      'id', ${u.id}, 'email', ${u.email}, 'name', ${u.name}, 'title', ${u.title},
      'departmentId', ${u.departmentId},
      'orgId', ${u.orgId}, 'orgKind', ${o.kind}, 'orgName', ${o.name},
      'jurisdictionId', ${j.id}, 'jurisdictionCode', ${j.code}, 'jurisdictionName', ${j.name},
      'jurisdictionLevel', ${j.level}, 'parentJurisdictionId', ${j.parentId},
      'roles', json((select json_group_array(r_.role) from role_assignments r_ where r_.user_id = ${u.id})))
      from ${u} inner join ${o} on ${o.id} = ${u.orgId} inner join ${j} on ${j.id} = ${u.jurisdictionId}
      where ${subject} = ${sql.placeholder("sub")} and ${u.active} = 1${session}`;
    text = new SQLiteAsyncDialect().sqlToQuery(query).sql.replace(/\s+/g, " ");
    if (text.split("?").length !== (kind === "session" ? 3 : 2))
      throw new Error("the principal look-up must have one parameter per subject and session");
    PRINCIPAL_SQL.set(kind, text);
  }
  return text;
}
