// Joint research topics (联合调研课题, S3.4.3): a pair's topic with a lead institution, members of both
// sides, milestones tracked on the escalation ladder (src/research/milestones.ts) and recorded
// outputs. Here: the vocabularies, the topic as one JSON value, and the guarded statements of the
// topic routes (each route sends them in one batch with a read that explains a refusal).
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { researchOutputs, researchTopics, subjectEvents } from "../db/schema";
import { outboxFromSubjectEvents, recordEvent, type SubjectEventRow } from "../events/events";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { type Role, vocabulary } from "../vocab";

/** A member's part in a topic. */
export const RESEARCH_MEMBER_ROLES = vocabulary({
  lead: { zh: "课题负责人", en: "Topic lead" },
  member: { zh: "课题组成员", en: "Member" },
});

/** The refusals of the research routes, with their labels (sent as `label` in the problem body). */
export const RESEARCH_PROBLEMS = vocabulary({
  not_active: { zh: "课题已结题或已终止", en: "The topic is completed or cancelled" },
  milestones_open: { zh: "尚有未完成的节点,不能结题", en: "Some milestones are still open" },
  already_done: { zh: "该节点已完成", en: "The milestone is already done" },
  not_owner: {
    zh: "只有节点责任单位的课题组成员或负责人可以标记完成",
    en: "Only the owner institution may mark it done",
  },
  not_lead: { zh: "只有牵头单位可以结题", en: "Only the lead institution may complete the topic" },
  idempotency_key_reused: {
    zh: "该幂等键已用于另一请求",
    en: "The Idempotency-Key was used for a different request",
  },
  concurrent_change: { zh: "数据已被同时修改,请重试", en: "Changed concurrently; reload and retry" },
});
export type ResearchProblem = (typeof RESEARCH_PROBLEMS.codes)[number];

/** The roles that manage a topic (create it, add people, milestones and outputs, complete it). */
export const MANAGER_ROLES: Role[] = ["leader", "coordinator", "department_head"];

/** SQL true when the caller holds a manager role (their own institution's). */
const isManager = (scope: Scope) => scope.hasRole(MANAGER_ROLES);

/** SQL true when the caller is a member of topic `topic`. */
const isMember = (scope: Scope, topic: SQL | string) =>
  sql`exists (select 1 from research_members mm_ where mm_.topic_id = ${topic}
    and mm_.user_id = ${scope.me.userId})`;

/** The caller may work on topic `t` (members and managers of either side). */
export const mayWork = (scope: Scope, topic: SQL | string) =>
  sql`(${isManager(scope)} or ${isMember(scope, topic)})`;

// ── The topic as one JSON value ───────────────────────────────────────────────────────────────

export type MemberRow = {
  userId: string;
  name: string;
  orgId: string;
  orgName: string;
  role: "lead" | "member";
  addedAt: string;
};
export type MilestoneRow = {
  id: string;
  topicId: string;
  position: number;
  title: string;
  ownerOrgId: string;
  ownerOrgName: string;
  dueOn: string;
  deadlineVersion: number;
  status: "open" | "done";
  doneAt: string | null;
  doneById: string | null;
  doneByName: string | null;
  doneNote: string | null;
  createdAt: string;
  updatedAt: string;
};
export type OutputRow = {
  id: string;
  title: string;
  producedOn: string;
  file: { name: string; size: number; sha256: string; mediaType: string } | null;
  createdById: string;
  createdByName: string | null;
  createdAt: string;
};
export type TopicRow = {
  id: string;
  title: string;
  description: string | null;
  status: "active" | "completed" | "cancelled";
  lead: { id: string; name: string; kind: "court" | "procuratorate" };
  partner: { id: string; name: string; kind: "court" | "procuratorate" };
  members: MemberRow[];
  milestones: MilestoneRow[];
  outputs: OutputRow[];
  createdById: string;
  requestHash: string | null;
  createdAt: string;
  updatedAt: string;
};

/** A milestone `ms` as one JSON object (its owner's name and who marked it done). */
export const MILESTONE_JSON = sql`json_object('id', ms.id, 'topicId', ms.topic_id, 'position', ms.position,
  'title', ms.title, 'ownerOrgId', ms.owner_org_id,
  'ownerOrgName', (select o_.name from organizations o_ where o_.id = ms.owner_org_id),
  'dueOn', ms.due_on, 'deadlineVersion', ms.deadline_version, 'status', ms.status,
  'doneAt', ms.done_at, 'doneById', ms.done_by,
  'doneByName', (select u_.name from users u_ where u_.id = ms.done_by), 'doneNote', ms.done_note,
  'createdAt', ms.created_at, 'updatedAt', ms.updated_at)`;

const orgJson = (id: SQL) => sql`(select json_object('id', o_.id, 'name', o_.name, 'kind', o_.kind)
  from organizations o_ where o_.id = ${id})`;

/** A topic `tp` with its members, milestones (by position) and outputs (newest first). */
const TOPIC_JSON = sql`json_object('id', tp.id, 'title', tp.title, 'description', tp.description,
  'status', tp.status, 'lead', json(${orgJson(sql`tp.lead_org_id`)}),
  'partner', json(${orgJson(sql`tp.partner_org_id`)}),
  'members', json((select json_group_array(json(x_.j)) from (
    select json_object('userId', rm.user_id, 'name', u.name, 'orgId', rm.org_id, 'orgName', o.name,
      'role', rm.role, 'addedAt', rm.created_at) as j
    from research_members rm join users u on u.id = rm.user_id join organizations o on o.id = rm.org_id
    where rm.topic_id = tp.id order by rm.role = 'lead' desc, rm.created_at, rm.id) x_)),
  'milestones', json((select json_group_array(json(y_.j)) from (
    select ${MILESTONE_JSON} as j from research_milestones ms where ms.topic_id = tp.id
    order by ms.position) y_)),
  'outputs', json((select json_group_array(json(z_.j)) from (
    select json_object('id', ro.id, 'title', ro.title, 'producedOn', ro.produced_on,
      'file', json(ro.file), 'createdById', ro.created_by,
      'createdByName', (select u_.name from users u_ where u_.id = ro.created_by),
      'createdAt', ro.created_at) as j
    from research_outputs ro where ro.topic_id = tp.id order by ro.created_at desc, ro.id desc) z_)),
  'createdById', tp.created_by, 'requestHash', tp.request_hash,
  'createdAt', tp.created_at, 'updatedAt', tp.updated_at)`;

export const topics = (rows: { j: string }[]): TopicRow[] => rows.map((r) => JSON.parse(r.j) as TopicRow);

/** One topic, only when the caller's institution is its lead or partner. */
export const getTopic = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`select ${TOPIC_JSON} as j from research_topics tp
    where tp.id = ${id} and ${scope.visible(researchTopics, "tp")}`);

/** The topic the caller created with an Idempotency-Key (a retry finds the first attempt's). */
const getTopicByKey = (scope: Scope, key: string) =>
  scope.db.all<{ j: string }>(sql`select ${TOPIC_JSON} as j from research_topics tp
    where tp.created_by = ${scope.me.userId} and tp.idempotency_key = ${key}
      and ${scope.visible(researchTopics, "tp")}`);

/** The timeline of the topic the caller created with an Idempotency-Key (oldest first). */
export const timelineByKey = (scope: Scope, key: string) =>
  scope.db.all<SubjectEventRow>(sql`select e.id, e.at, e.type, e.note, e.actor_id as actorId,
      u.name as actorName, e.data
    from subject_events e left join users u on u.id = e.actor_id
    where e.subject_type = 'research_topic' and e.subject_id = (select tk_.id from research_topics tk_
        where tk_.created_by = ${scope.me.userId} and tk_.idempotency_key = ${key})
      and ${scope.visible(subjectEvents, "e")}
    order by e.at, e.id`);

/** A page of the caller's topics in update order (rows of one JSON column `j`, for `scope.list`). */
export function listTopics(
  scope: Scope,
  f: { status?: string; updatedSince?: string; after?: [string, string]; limit: number },
): SQL {
  const conds: SQL[] = [scope.visible(researchTopics, "tp")];
  if (f.status) conds.push(sql`tp.status = ${f.status}`);
  if (f.updatedSince) conds.push(sql`tp.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  if (f.after) conds.push(sql`(tp.updated_at, tp.id) > (${f.after[0]}, ${f.after[1]})`);
  return sql`select ${TOPIC_JSON} as j from research_topics tp where ${sql.join(conds, sql` and `)}
    order by tp.updated_at, tp.id limit ${f.limit + 1}`;
}

// ── Notices ───────────────────────────────────────────────────────────────────────────────────

/**
 * One notice per coordinator of the institution of topic `topicId` that is NOT the caller's, only
 * when `applied` holds (a coordinator-less institution is reached through its admins).
 */
function tellOtherSide(
  scope: Scope,
  o: {
    id: string;
    topicId: SQL | string;
    kind: string;
    zh: SQL;
    en: SQL;
    dedupe: SQL;
    now: string;
    applied: SQL;
  },
) {
  const other = sql`(case when tp.lead_org_id = ${scope.me.orgId} then tp.partner_org_id else tp.lead_org_id end)`;
  return scope.db.run(sql`${INSERT_NOTIFICATIONS}
    select ${o.id} || '.' || u.id, tp.jurisdiction_id, u.id, ${o.kind}, 'research_topic', tp.id,
      ${o.zh}, ${o.en}, 0, ${o.dedupe} || ':' || u.id, ${o.now}
    from research_topics tp
    join role_assignments r_ on r_.org_id = ${other} and r_.role = (case when exists (
        select 1 from role_assignments rc_ where rc_.org_id = ${other} and rc_.role = 'coordinator')
      then 'coordinator' else 'admin' end)
    join users u on u.id = r_.user_id and u.active = 1
    where tp.id = ${o.topicId} and ${o.applied}
    on conflict (dedupe_key) do nothing`);
}

// ── Creating a topic ──────────────────────────────────────────────────────────────────────────

export type NewMilestone = { title: string; ownerOrgId: string; dueOn: string };
export type NewTopic = { title: string; description?: string | null; milestones?: NewMilestone[] };

/**
 * createTopic: the topic, led by the caller's institution with the other institution of the
 * caller's pair as partner — only when the caller holds a manager role and every milestone's owner
 * is one of the two; at most one per (caller, Idempotency-Key). In the same batch, only when the
 * topic row of THIS request exists: the caller as its lead member, the milestones, the timeline
 * entries ('created' on the topic and on each milestone), the partner's coordinators told, webhooks.
 */
export function createTopic(
  scope: Scope,
  o: { id: string; key: string; hash: string; now: string; input: NewTopic; ids: () => string },
) {
  const db = scope.db;
  const { input, now } = o;
  const ms = (input.milestones ?? []).map((m, i) => ({
    ...m,
    id: o.ids(),
    eventId: o.ids(),
    position: i + 1,
  }));
  const owners = JSON.stringify(ms.map((m) => m.ownerOrgId));
  const created = sql`exists (select 1 from research_topics tn_ where tn_.id = ${o.id})`;
  const topicEvent = o.ids();
  const jurisdiction = sql`(select tj_.jurisdiction_id from research_topics tj_ where tj_.id = ${o.id})`;
  return {
    statements: [
      db.run(sql`insert into research_topics (id, jurisdiction_id, title, description, lead_org_id,
          partner_org_id, status, created_by, idempotency_key, request_hash, created_at, updated_at)
        select ${o.id}, l_.jurisdiction_id, ${input.title}, ${input.description ?? null}, l_.id, p_.id,
          'active', ${scope.me.userId}, ${o.key}, ${o.hash}, ${now}, ${now}
        from organizations l_ join organizations p_
          on p_.jurisdiction_id = l_.jurisdiction_id and p_.kind <> l_.kind
        where l_.id = ${scope.me.orgId} and ${isManager(scope)}
          and not exists (select 1 from json_each(${owners}) w_ where w_.value not in (l_.id, p_.id))
        on conflict (created_by, idempotency_key) do nothing`),
      db.run(sql`insert into research_members (id, topic_id, jurisdiction_id, user_id, org_id, role, created_at)
        select ${o.ids()}, tp.id, tp.jurisdiction_id, ${scope.me.userId}, tp.lead_org_id, 'lead', ${now}
        from research_topics tp where tp.id = ${o.id}
        on conflict do nothing`),
      ...ms.map((m) =>
        db.run(sql`insert into research_milestones (id, topic_id, jurisdiction_id, position, title,
            owner_org_id, due_on, deadline_version, status, created_at, updated_at)
          select ${m.id}, tp.id, tp.jurisdiction_id, ${m.position}, ${m.title}, ${m.ownerOrgId}, ${m.dueOn},
            1, 'open', ${now}, ${now}
          from research_topics tp where tp.id = ${o.id}
          on conflict do nothing`),
      ),
      recordEvent(db, {
        id: topicEvent,
        jurisdictionId: jurisdiction,
        subjectType: "research_topic",
        subjectId: o.id,
        actorId: scope.me.userId,
        type: "created",
        data: sql`json_object('title', ${input.title}, 'milestones', ${ms.length})`,
        at: now,
        when: created,
      }),
      ...ms.map((m) =>
        recordEvent(db, {
          id: m.eventId,
          jurisdictionId: jurisdiction,
          subjectType: "milestone",
          subjectId: m.id,
          actorId: scope.me.userId,
          type: "created",
          data: sql`json_object('topicId', ${o.id}, 'ownerOrgId', ${m.ownerOrgId}, 'dueOn', ${m.dueOn})`,
          at: now,
          when: created,
        }),
      ),
      tellOtherSide(scope, {
        id: topicEvent,
        topicId: o.id,
        kind: "research.topic_created",
        zh: sql`(select o_.name from organizations o_ where o_.id = tp.lead_org_id)
          || '牵头发起联合调研课题「' || tp.title || '」,贵单位为合作单位,请确定课题组成员。'`,
        en: sql`(select o_.name from organizations o_ where o_.id = tp.lead_org_id)
          || ' leads the joint research topic "' || tp.title || '" with your institution as partner: '
          || 'please name your members.'`,
        dedupe: sql`'research.topic_created:' || tp.id`,
        now,
        applied: created,
      }),
      outboxFromSubjectEvents(db, sql`ev.id in ${[topicEvent, ...ms.map((m) => m.eventId)]}`),
    ] as const,
    byKey: getTopicByKey(scope, o.key),
  };
}

// ── Members ───────────────────────────────────────────────────────────────────────────────────

/**
 * addMembers: the users `userIds`, all or none — only when the topic is visible and active, the
 * caller holds a manager role or is a member, and EVERY id is an active user of the caller's own
 * institution (each side adds its own people). Users already members stay as they are. The
 * timeline entry 'member_added' and the topic's `updated_at` follow when at least one was added.
 */
export function addMembers(
  scope: Scope,
  o: { topicId: string; userIds: string[]; eventId: string; now: string; ids: () => string },
) {
  const db = scope.db;
  const ids = JSON.stringify(o.userIds);
  const allMine = sql`(select count(*) from users au_ where au_.id in (select value from json_each(${ids}))
    and au_.org_id = ${scope.me.orgId} and au_.active = 1) = ${o.userIds.length}`;
  const guard = sql`tp.id = ${o.topicId} and tp.status = 'active' and ${scope.visible(researchTopics, "tp")}
    and ${mayWork(scope, sql`tp.id`)} and ${allMine}`;
  // The rows of THIS request carry its event id as their id prefix.
  const added = sql`exists (select 1 from research_members ma_ where ma_.topic_id = ${o.topicId}
    and ma_.id > ${`${o.eventId}.`} and ma_.id < ${`${o.eventId}/`})`;
  return [
    db.run(sql`insert into research_members (id, topic_id, jurisdiction_id, user_id, org_id, role, created_at)
      select ${o.eventId} || '.' || printf('%03d', w_.key), tp.id, tp.jurisdiction_id, w_.value,
        ${scope.me.orgId}, 'member', ${o.now}
      from research_topics tp join json_each(${ids}) w_
      where ${guard}
      on conflict do nothing`),
    recordEvent(db, {
      id: o.eventId,
      jurisdictionId: sql`(select jurisdiction_id from research_topics where id = ${o.topicId})`,
      subjectType: "research_topic",
      subjectId: o.topicId,
      actorId: scope.me.userId,
      type: "member_added",
      data: sql`json_object('userIds', (select json_group_array(ma_.user_id) from research_members ma_
        where ma_.topic_id = ${o.topicId} and ma_.id > ${`${o.eventId}.`} and ma_.id < ${`${o.eventId}/`}))`,
      at: o.now,
      when: added,
    }),
    db.run(sql`update research_topics set updated_at = ${o.now} where id = ${o.topicId} and ${added}`),
    outboxFromSubjectEvents(db, sql`ev.id = ${o.eventId}`),
  ] as const;
}

/** Which of `userIds` are active users of the caller's institution (to explain a refusal per item). */
export const usersOfMine = (scope: Scope, userIds: string[]) =>
  scope.db.all<{ id: string }>(sql`select u.id from users u
    where u.id in (select value from json_each(${JSON.stringify(userIds)}))
      and u.org_id = ${scope.me.orgId} and u.active = 1`);

/** What a refusal of a topic change is explained by: the caller's standing on the topic. */
export const topicProbe = (scope: Scope, topicId: string) =>
  scope.db.all<{ status: string; mayWork: number; lead: number }>(sql`select tp.status,
      ${mayWork(scope, sql`tp.id`)} as mayWork, tp.lead_org_id = ${scope.me.orgId} as lead
    from research_topics tp where tp.id = ${topicId} and ${scope.visible(researchTopics, "tp")}`);

// ── Milestones added later ────────────────────────────────────────────────────────────────────

/**
 * addMilestone: a milestone at the next position — only when the topic is visible and active, the
 * caller may work on it and the owner is the topic's lead or partner; 'created' on the milestone and
 * 'milestone_added' on the topic, their webhooks, the topic's `updated_at`.
 */
export function addMilestone(
  scope: Scope,
  o: { topicId: string; id: string; eventId: string; topicEventId: string; now: string; input: NewMilestone },
) {
  const db = scope.db;
  const i = o.input;
  const created = sql`exists (select 1 from research_milestones mc_ where mc_.id = ${o.id})`;
  const jurisdiction = sql`(select jurisdiction_id from research_topics where id = ${o.topicId})`;
  return [
    db.run(sql`insert into research_milestones (id, topic_id, jurisdiction_id, position, title, owner_org_id,
        due_on, deadline_version, status, created_at, updated_at)
      select ${o.id}, tp.id, tp.jurisdiction_id,
        coalesce((select max(mp_.position) from research_milestones mp_ where mp_.topic_id = tp.id), 0) + 1,
        ${i.title}, ${i.ownerOrgId}, ${i.dueOn}, 1, 'open', ${o.now}, ${o.now}
      from research_topics tp
      where tp.id = ${o.topicId} and tp.status = 'active' and ${scope.visible(researchTopics, "tp")}
        and ${mayWork(scope, sql`tp.id`)} and ${i.ownerOrgId} in (tp.lead_org_id, tp.partner_org_id)
      on conflict do nothing`),
    recordEvent(db, {
      id: o.eventId,
      jurisdictionId: jurisdiction,
      subjectType: "milestone",
      subjectId: o.id,
      actorId: scope.me.userId,
      type: "created",
      data: sql`json_object('topicId', ${o.topicId}, 'ownerOrgId', ${i.ownerOrgId}, 'dueOn', ${i.dueOn})`,
      at: o.now,
      when: created,
    }),
    recordEvent(db, {
      id: o.topicEventId,
      jurisdictionId: jurisdiction,
      subjectType: "research_topic",
      subjectId: o.topicId,
      actorId: scope.me.userId,
      type: "milestone_added",
      data: sql`json_object('milestoneId', ${o.id}, 'title', ${i.title}, 'dueOn', ${i.dueOn})`,
      at: o.now,
      when: created,
    }),
    db.run(sql`update research_topics set updated_at = ${o.now} where id = ${o.topicId} and ${created}`),
    outboxFromSubjectEvents(db, sql`ev.id in ${[o.eventId, o.topicEventId]}`),
  ] as const;
}

// ── Outputs ───────────────────────────────────────────────────────────────────────────────────

export type NewOutput = {
  title: string;
  producedOn: string;
  file?: { name: string; size: number; sha256: string; mediaType: string } | null;
};

/**
 * recordOutput: an output of the topic — only when the topic is visible and not cancelled and the
 * caller may work on it; at most one per (caller, Idempotency-Key); 'output_recorded' on the topic,
 * its webhook, the other side's coordinators told, the topic's `updated_at`.
 */
export function recordOutput(
  scope: Scope,
  o: { topicId: string; id: string; key: string; eventId: string; now: string; input: NewOutput },
) {
  const db = scope.db;
  const i = o.input;
  const created = sql`exists (select 1 from research_outputs oc_ where oc_.id = ${o.id})`;
  return {
    statements: [
      db.run(sql`insert into research_outputs (id, topic_id, jurisdiction_id, title, produced_on, file,
          created_by, idempotency_key, created_at)
        select ${o.id}, tp.id, tp.jurisdiction_id, ${i.title}, ${i.producedOn},
          ${i.file ? JSON.stringify(i.file) : null}, ${scope.me.userId}, ${o.key}, ${o.now}
        from research_topics tp
        where tp.id = ${o.topicId} and tp.status <> 'cancelled' and ${scope.visible(researchTopics, "tp")}
          and ${mayWork(scope, sql`tp.id`)}
        on conflict (created_by, idempotency_key) do nothing`),
      recordEvent(db, {
        id: o.eventId,
        jurisdictionId: sql`(select jurisdiction_id from research_topics where id = ${o.topicId})`,
        subjectType: "research_topic",
        subjectId: o.topicId,
        actorId: scope.me.userId,
        type: "output_recorded",
        data: sql`json_object('outputId', ${o.id}, 'title', ${i.title}, 'producedOn', ${i.producedOn})`,
        at: o.now,
        when: created,
      }),
      tellOtherSide(scope, {
        id: o.eventId,
        topicId: o.topicId,
        kind: "research.output_recorded",
        zh: sql`'联合调研课题「' || tp.title || '」登记了成果《' || ${i.title} || '》。'`,
        en: sql`'The joint research topic "' || tp.title || '" recorded an output: "' || ${i.title} || '".'`,
        dedupe: sql`'research.output_recorded:' || ${o.id}`,
        now: o.now,
        applied: created,
      }),
      db.run(sql`update research_topics set updated_at = ${o.now} where id = ${o.topicId} and ${created}`),
      outboxFromSubjectEvents(db, sql`ev.id = ${o.eventId}`),
    ] as const,
    /** The output this caller recorded under the key (a retry finds the first attempt's). */
    byKey: db.all<{ id: string; topicId: string; title: string; producedOn: string; file: string | null }>(
      sql`select ro.id, ro.topic_id as topicId, ro.title, ro.produced_on as producedOn, ro.file
        from research_outputs ro where ro.created_by = ${scope.me.userId} and ro.idempotency_key = ${o.key}
          and ${scope.visible(researchOutputs, "ro")}`,
    ),
  };
}

// ── Completion ────────────────────────────────────────────────────────────────────────────────

/**
 * completeTopic: active → completed — only when visible, the caller's institution leads it, the
 * caller may work on it, and no milestone is open; 'completed' on the timeline, its webhook, the
 * partner's coordinators told.
 */
export function completeTopic(
  scope: Scope,
  o: { topicId: string; eventId: string; now: string; note: string | null },
) {
  const db = scope.db;
  const applied = sql`exists (select 1 from subject_events ev_ where ev_.id = ${o.eventId})`;
  return [
    db.run(sql`update research_topics set status = 'completed', updated_at = ${o.now}
      where id = ${o.topicId} and status = 'active' and lead_org_id = ${scope.me.orgId}
        and ${scope.visible(researchTopics)} and ${mayWork(scope, o.topicId)}
        and not exists (select 1 from research_milestones mo_ where mo_.topic_id = ${o.topicId}
          and mo_.status = 'open')`),
    recordEvent(db, {
      id: o.eventId,
      jurisdictionId: sql`(select jurisdiction_id from research_topics where id = ${o.topicId})`,
      subjectType: "research_topic",
      subjectId: o.topicId,
      actorId: scope.me.userId,
      type: "completed",
      note: o.note,
      at: o.now,
      when: sql`changes() > 0`,
    }),
    tellOtherSide(scope, {
      id: o.eventId,
      topicId: o.topicId,
      kind: "research.topic_completed",
      zh: sql`'联合调研课题「' || tp.title || '」已结题。'`,
      en: sql`'The joint research topic "' || tp.title || '" is completed.'`,
      dedupe: sql`'research.topic_completed:' || tp.id`,
      now: o.now,
      applied,
    }),
    outboxFromSubjectEvents(db, sql`ev.id = ${o.eventId}`),
  ] as const;
}

/** Open milestones of a topic (to explain `milestones_open`). */
export const openMilestones = (scope: Scope, topicId: string) =>
  scope.db.all<{ n: number }>(sql`select count(*) as n from research_milestones ms
    join research_topics tp on tp.id = ms.topic_id
    where ms.topic_id = ${topicId} and ms.status = 'open' and ${scope.visible(researchTopics, "tp")}`);
