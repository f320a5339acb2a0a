// Joint-meeting action items (议定事项): the agreed measures of co-signed minutes, each with an owner
// institution (and department) and a due date, tracked on the generic escalation ladder as subject
// type 'action_item' until the owner marks it done. Here: the ladder's SubjectSource (who each
// audience code reaches, the bilingual notices, the timeline rows, the outbox) and the queries of the
// action-item routes.
import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../auth/scope";
import { actionItems } from "../db/schema";
import type { SubjectSource } from "../escalation/ladder";
import { ownedTaskLadder } from "../escalation/owned-task";
import { outboxFromSubjectEvents, recordEvent } from "../events/events";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";
import type { Role } from "../vocab";

const ST = "action_item";

// ── The ladder ────────────────────────────────────────────────────────────────────────────────

/**
 * The owner department of item `a` has a head: otherwise (or when the item names no department) the
 * owner's contacts stand in for `owner_department_head`, so a T-3 notice always reaches someone.
 */
const ownerDeptHasHead = sql`exists (select 1 from role_assignments rh_ join users uh_ on uh_.id = rh_.user_id
  where rh_.org_id = a.owner_org_id and rh_.role = 'department_head'
    and uh_.department_id = a.owner_department_id and uh_.active = 1)`;

/**
 * The role that reaches an institution's "coordinators" (as seriesContacts in series.ts): its
 * coordinators while it has an active one, else its admins — an institution whose coordinator left
 * is still reached.
 */
const contactRole = (org: SQL) => sql`(case when exists (select 1 from role_assignments rc_
    join users uc_ on uc_.id = rc_.user_id and uc_.active = 1
  where rc_.org_id = ${org} and rc_.role = 'coordinator') then 'coordinator' else 'admin' end)`;

// The item `a` (of meeting `m`) named in a sentence; also the "done" notice's.
const ITEM_ZH = sql`'联席会议议定事项「' || a.title || '」'`;
const ITEM_EN = sql`'the joint-meeting action item "' || a.title || '"'`;

/** The escalation ladder's subject type 'action_item': open while `status = 'open'`. */
export const actionItemLadder: SubjectSource = ownedTaskLadder({
  subjectType: ST,
  // Uses action_items_open_ix (status, due_on).
  open: (horizon) =>
    sql`select ai_.id, ai_.jurisdiction_id, 'action_item' as kind, ai_.due_on,
        ai_.deadline_version as version
      from action_items ai_ where ai_.status = 'open' and ai_.due_on <= ${horizon}`,
  subject: sql`join action_items a on a.id = e.subject_id join meetings m on m.id = a.meeting_id`,
  ownerOrg: sql`a.owner_org_id`,
  noun: { zh: ITEM_ZH, en: ITEM_EN },
  zh: {
    owns: "负责落实的",
    pending: "尚未落实",
    onTime: "请按期落实",
    today: "请于今日内落实并标记完成",
    overdue: "仍未落实,请立即办理",
  },
  /**
   * One candidate per role assignment in the pair's two institutions that an audience of the step
   * names ("coordinators" are an institution's contacts: its coordinators, else its admins).
   */
  recipients: ({ run, has }) => {
    const owner = sql`r_.org_id = a.owner_org_id`;
    const contact = sql`r_.role = ${contactRole(sql`r_.org_id`)}`;
    return sql`
      select e.id as sid, r_.user_id as uid, case when ${owner} then 'owner' else 'other' end as voice
      from escalation_steps e join action_items a on a.id = e.subject_id
        join meetings m on m.id = a.meeting_id
        join role_assignments r_ on r_.org_id in (m.host_org_id, m.guest_org_id)
        join users hu_ on hu_.id = r_.user_id
      where ${run} and (
        (${owner} and r_.role = 'department_head' and hu_.department_id = a.owner_department_id
          and ${has("owner_department_head")})
        or (${owner} and ${contact} and ${has("owner_department_head")} and not ${ownerDeptHasHead})
        or (${owner} and ${contact} and ${has("owner_coordinators")})
        or (${owner} and r_.role = 'leader' and ${has("owner_leaders")})
        or (${contact} and ${has("coordinators")})
        or (r_.role = 'leader' and ${has("leaders")}))`;
  },
});

// ── Reads ─────────────────────────────────────────────────────────────────────────────────────

export type ActionItemRow = {
  id: string;
  jurisdictionId: string;
  meetingId: string;
  meetingTitle: string;
  meetingKind: string;
  meetingStartsAt: string | null;
  hostOrgId: string;
  guestOrgId: string;
  position: number;
  title: string;
  ownerOrgId: string;
  ownerOrgName: string;
  ownerOrgKind: "court" | "procuratorate";
  ownerDepartmentId: string | null;
  ownerDepartmentName: string | null;
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

// Each item comes back as one JSON value `j` (see documents.queries.ts).
const SELECT = sql`select json_object('id', a.id, 'jurisdictionId', a.jurisdiction_id,
    'meetingId', m.id, 'meetingTitle', m.title, 'meetingKind', m.kind, 'meetingStartsAt', m.starts_at,
    'hostOrgId', m.host_org_id, 'guestOrgId', m.guest_org_id,
    'position', a.position, 'title', a.title,
    'ownerOrgId', a.owner_org_id, 'ownerOrgName', o.name, 'ownerOrgKind', o.kind,
    'ownerDepartmentId', a.owner_department_id, 'ownerDepartmentName', dp.name,
    'dueOn', a.due_on, 'deadlineVersion', a.deadline_version, 'status', a.status,
    'doneAt', a.done_at, 'doneById', a.done_by, 'doneByName', du.name, 'doneNote', a.done_note,
    'createdAt', a.created_at, 'updatedAt', a.updated_at) as j
  from action_items a
  join meetings m on m.id = a.meeting_id
  join organizations o on o.id = a.owner_org_id
  left join departments dp on dp.id = a.owner_department_id
  left join users du on du.id = a.done_by`;

export const items = (rows: { j: string }[]): ActionItemRow[] =>
  rows.map((r) => JSON.parse(r.j) as ActionItemRow);

/** One item, only when the caller sees its meeting. */
export const getActionItem = (scope: Scope, id: string) =>
  scope.db.all<{ j: string }>(sql`${SELECT} where a.id = ${id} and ${scope.visible(actionItems, "a")}`);

export type ItemFilter = {
  status?: "open" | "done";
  meetingId?: string;
  ownerOrgId?: string;
  overdue?: boolean;
  updatedSince?: string;
  sort: "due" | "updated";
  limit: number;
  after?: [string, string];
};

/** The sort key of each order; cursors carry the last row's key. */
export const ITEM_SORT = {
  due: { expr: sql`a.due_on`, of: (r: ActionItemRow) => r.dueOn },
  updated: { expr: sql`a.updated_at`, of: (r: ActionItemRow) => r.updatedAt },
} as const;

/** A page of the items of the meetings the caller sees (rows of one JSON column `j`), for `scope.list`. */
export function listActionItems(scope: Scope, f: ItemFilter, today: string): SQL {
  const conds: SQL[] = [scope.visible(actionItems, "a")];
  if (f.status) conds.push(sql`a.status = ${f.status}`);
  if (f.meetingId) conds.push(sql`a.meeting_id = ${f.meetingId}`);
  if (f.ownerOrgId) conds.push(sql`a.owner_org_id = ${f.ownerOrgId}`);
  if (f.overdue === true) conds.push(sql`a.status = 'open' and a.due_on < ${today}`);
  if (f.overdue === false) conds.push(sql`not (a.status = 'open' and a.due_on < ${today})`);
  // Rows keep `toISOString()` instants: compare with the filter in the same form (…57Z < …57.507Z).
  if (f.updatedSince) conds.push(sql`a.updated_at > ${new Date(f.updatedSince).toISOString()}`);
  const key = ITEM_SORT[f.sort].expr;
  if (f.after) conds.push(sql`(${key}, a.id) > (${f.after[0]}, ${f.after[1]})`);
  return sql`${SELECT} where ${sql.join(conds, sql` and `)} order by ${key}, a.id limit ${f.limit + 1}`;
}

// ── Marking an item done ──────────────────────────────────────────────────────────────────────

/** Who may mark an item done: these roles of the owner institution. */
export const DONE_ROLES: Role[] = ["department_head", "leader", "coordinator"];

/**
 * The guarded statements of "done": the item changes only when visible, open, owned by the caller's
 * institution and the caller holds a DONE_ROLE; the timeline event exists exactly when it changed
 * (`changes()` of the UPDATE right before it); the other side's coordinators are told and the webhook
 * outbox written only when that event exists. The ladder stops by itself: it sweeps open items only.
 */
export function markDone(scope: Scope, o: { id: string; eventId: string; note: string; now: string }) {
  const db = scope.db;
  const applied = sql`exists (select 1 from subject_events ev_ where ev_.id = ${o.eventId})`;
  return [
    db.run(sql`update action_items
      set status = 'done', done_at = ${o.now}, done_by = ${scope.me.userId}, done_note = ${o.note},
        updated_at = ${o.now}
      where id = ${o.id} and status = 'open' and owner_org_id = ${scope.me.orgId}
        and ${scope.visible(actionItems)} and ${scope.hasRole(DONE_ROLES)}`),
    recordEvent(db, {
      id: o.eventId,
      jurisdictionId: sql`(select jurisdiction_id from action_items where id = ${o.id})`,
      subjectType: ST,
      subjectId: o.id,
      actorId: scope.me.userId,
      type: "done",
      note: o.note,
      data: sql`(select json_object('status', 'done', 'dueOn', due_on, 'doneAt', done_at)
        from action_items where id = ${o.id})`,
      at: o.now,
      when: sql`changes() > 0`,
    }),
    // The other side's coordinators learn that the measure is done.
    db.run(sql`${INSERT_NOTIFICATIONS}
      select ${o.eventId} || '.' || u.id, a.jurisdiction_id, u.id, 'action_item.done', ${ST}, a.id,
        o.name || '已将' || ${ITEM_ZH} || '标记为已落实。',
        o.name || ' marked ' || ${ITEM_EN} || ' as done.',
        0, 'action_item.done:' || a.id || ':' || u.id, ${o.now}
      from action_items a join meetings m on m.id = a.meeting_id
      join organizations o on o.id = a.owner_org_id
      join role_assignments r_ on r_.role = 'coordinator' and r_.org_id =
        case when a.owner_org_id = m.host_org_id then m.guest_org_id else m.host_org_id end
      join users u on u.id = r_.user_id and u.active = 1
      where a.id = ${o.id} and ${applied}
      on conflict do nothing`),
    outboxFromSubjectEvents(db, sql`ev.id = ${o.eventId}`),
  ] as const;
}
