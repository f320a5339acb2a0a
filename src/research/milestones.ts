// Research milestones on the generic escalation ladder (subject type 'milestone'), modelled on the
// joint-meeting action items: an open milestone of an active topic with its due date is swept like
// a document; its owner institution's members hear first, then the lead's coordinators, then both
// leaders. Here: the ladder's SubjectSource, the milestone reads and "done".
import { sql } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { researchMilestones } from "../db/schema";
import type { SubjectSource } from "../escalation/ladder";
import { ownedTaskLadder } from "../escalation/owned-task";
import { outboxFromSubjectEvents, recordEvent } from "../events/events";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import { MANAGER_ROLES, MILESTONE_JSON, type MilestoneRow, type TopicRow } from "./research";

const ST = "milestone";

// ── The ladder ────────────────────────────────────────────────────────────────────────────────

/** The owner institution has members on the topic; otherwise its coordinators stand in for them. */
const ownerHasMembers = sql`exists (select 1 from research_members rm_ join users um_ on um_.id = rm_.user_id
  where rm_.topic_id = ms.topic_id and rm_.org_id = ms.owner_org_id and um_.active = 1)`;

// The milestone `ms` of topic `tp` named in a sentence; also the "done" notice's.
const MS_ZH = sql`'联合调研课题「' || tp.title || '」的节点「' || ms.title || '」'`;
const MS_EN = sql`'the milestone "' || ms.title || '" of the joint research topic "' || tp.title || '"'`;

/** The escalation ladder's subject type 'milestone': open while the milestone is open and its topic active. */
export const milestoneLadder: SubjectSource = ownedTaskLadder({
  subjectType: ST,
  // Uses research_milestones_open_ix (status, due_on).
  open: (horizon) =>
    sql`select rs_.id, rs_.jurisdiction_id, 'milestone' as kind, rs_.due_on, rs_.deadline_version as version
      from research_milestones rs_
      where rs_.status = 'open' and rs_.due_on <= ${horizon}
        and exists (select 1 from research_topics rt_ where rt_.id = rs_.topic_id and rt_.status = 'active')`,
  subject: sql`join research_milestones ms on ms.id = e.subject_id join research_topics tp on tp.id = ms.topic_id`,
  ownerOrg: sql`ms.owner_org_id`,
  noun: { zh: MS_ZH, en: MS_EN },
  zh: {
    owns: "负责的",
    pending: "尚未完成",
    onTime: "请按期完成",
    today: "请于今日内完成并标记",
    overdue: "仍未完成,请抓紧推进",
  },
  /**
   * `owner_members` the owner institution's topic members (its coordinators when it has none),
   * `owner_coordinators`, `owner_leaders`, `lead_coordinators` the lead institution's coordinators,
   * `leaders` both institutions' leaders.
   */
  recipients: ({ run, has }) => {
    const sent = sql`escalation_steps e join research_milestones ms on ms.id = e.subject_id
      join research_topics tp on tp.id = ms.topic_id`;
    const voice = sql`case when r_.org_id = ms.owner_org_id then 'owner' else 'other' end`;
    return sql`
      select e.id as sid, rm_.user_id as uid, 'owner' as voice
      from ${sent} join research_members rm_ on rm_.topic_id = tp.id and rm_.org_id = ms.owner_org_id
      where ${run} and ${has("owner_members")}
      union all
      select e.id, r_.user_id, ${voice}
      from ${sent} join role_assignments r_ on r_.org_id in (tp.lead_org_id, tp.partner_org_id)
      where ${run} and (
        (r_.org_id = ms.owner_org_id and r_.role = 'coordinator' and ${has("owner_members")}
          and not ${ownerHasMembers})
        or (r_.org_id = ms.owner_org_id and r_.role = 'coordinator' and ${has("owner_coordinators")})
        or (r_.org_id = ms.owner_org_id and r_.role = 'leader' and ${has("owner_leaders")})
        or (r_.org_id = tp.lead_org_id and r_.role = 'coordinator' and ${has("lead_coordinators")})
        or (r_.role = 'leader' and ${has("leaders")}))`;
  },
});

// ── Reads ─────────────────────────────────────────────────────────────────────────────────────

export type MilestoneDetailRow = MilestoneRow & {
  topic: {
    id: string;
    title: string;
    status: TopicRow["status"];
    leadOrgId: string;
    partnerOrgId: string;
  };
};

/** One milestone with its topic, only when the caller's institution is the topic's lead or partner. */
export const getMilestone = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`select json_set(${MILESTONE_JSON}, '$.topic', json_object('id', tp.id,
      'title', tp.title, 'status', tp.status, 'leadOrgId', tp.lead_org_id, 'partnerOrgId', tp.partner_org_id)) as j
    from research_milestones ms join research_topics tp on tp.id = ms.topic_id
    where ms.id = ${id} and ${scope.visible(researchMilestones, "ms")}`);

export const milestones = (rows: { j: string }[]) => rows.map((r) => JSON.parse(r.j) as MilestoneDetailRow);

// ── Marking a milestone done ──────────────────────────────────────────────────────────────────

/**
 * The guarded statements of "done": the milestone changes only when visible, open, its topic active,
 * and the caller belongs to the owner institution as a member of the topic or a manager (leader,
 * coordinator, department head); the timeline event exists exactly when it changed; the topic's
 * `updated_at` moves (mobile sync), the other side's coordinators are told and the webhook written
 * only then. The ladder stops by itself: it sweeps open milestones only.
 */
export function markMilestoneDone(
  scope: Scope,
  o: { id: string; eventId: string; note: string; now: string },
) {
  const db = scope.db;
  const applied = sql`exists (select 1 from subject_events ev_ where ev_.id = ${o.eventId})`;
  const topicOf = sql`(select topic_id from research_milestones where id = ${o.id})`;
  const other = sql`(case when tp.lead_org_id = ms.owner_org_id then tp.partner_org_id else tp.lead_org_id end)`;
  return [
    db.run(sql`update research_milestones
      set status = 'done', done_at = ${o.now}, done_by = ${scope.me.userId}, done_note = ${o.note},
        updated_at = ${o.now}
      where id = ${o.id} and status = 'open' and owner_org_id = ${scope.me.orgId}
        and ${scope.visible(researchMilestones)}
        and exists (select 1 from research_topics ta_
          where ta_.id = research_milestones.topic_id and ta_.status = 'active')
        and (${scope.hasRole(MANAGER_ROLES)} or exists (select 1 from research_members mm_
          where mm_.topic_id = research_milestones.topic_id and mm_.user_id = ${scope.me.userId}))`),
    recordEvent(db, {
      id: o.eventId,
      jurisdictionId: sql`(select jurisdiction_id from research_milestones where id = ${o.id})`,
      subjectType: ST,
      subjectId: o.id,
      actorId: scope.me.userId,
      type: "done",
      note: o.note,
      data: sql`(select json_object('status', 'done', 'dueOn', due_on, 'doneAt', done_at)
        from research_milestones where id = ${o.id})`,
      at: o.now,
      when: sql`changes() > 0`,
    }),
    db.run(sql`update research_topics set updated_at = ${o.now} where id = ${topicOf} and ${applied}`),
    db.run(sql`${INSERT_NOTIFICATIONS}
      select ${o.eventId} || '.' || u.id, ms.jurisdiction_id, u.id, 'milestone.done', ${ST}, ms.id,
        o.name || '已完成' || ${MS_ZH} || '。',
        o.name || ' completed ' || ${MS_EN} || '.',
        0, 'milestone.done:' || ms.id || ':' || u.id, ${o.now}
      from research_milestones ms join research_topics tp on tp.id = ms.topic_id
      join organizations o on o.id = ms.owner_org_id
      join role_assignments r_ on r_.role = 'coordinator' and r_.org_id = ${other}
      join users u on u.id = r_.user_id and u.active = 1
      where ms.id = ${o.id} and ${applied}
      on conflict do nothing`),
    outboxFromSubjectEvents(db, sql`ev.id = ${o.eventId}`),
  ] as const;
}

/** Whether the caller is a member of the milestone's topic (to explain a refusal). */
export const isTopicMember = (scope: Scope, id: string) =>
  scope.db.all<{ member: number }>(sql`select exists (select 1 from research_members mm_
      join research_milestones ms on ms.topic_id = mm_.topic_id
      where ms.id = ${id} and mm_.user_id = ${scope.me.userId}) as member`);
