// The webhook outbox: an event row written in the same batch as the change that caused it, so an
// event exists exactly when its change happened. The delivery job (deliver.ts) fans it out.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { SUBJECT_WEBHOOK_TYPES } from "../events/events";
import { DOC_EVENTS } from "../vocab";

/** Event types an endpoint can subscribe to ('*' = all). */
export const WEBHOOK_EVENT_TYPES = [
  ...DOC_EVENTS.codes.map((c) => `document.${c}` as const),
  ...SUBJECT_WEBHOOK_TYPES,
];

/**
 * Outbox rows for the document events `ev` matching `where` (e.g. `ev.id = <id>`): a document
 * event exists only if its change applied, so this is guarded by the same condition. Must run after
 * the event's `after` snapshot is written. Urgent: 催办, and escalation steps marked urgent.
 */
export function outboxFromDocumentEvents(db: Db, where: SQL) {
  return db.run(sql`insert into webhook_events
      (id, jurisdiction_id, type, subject_type, subject_id, org_ids, payload, urgent, created_at)
    select ev.id, ev.jurisdiction_id, 'document.' || ev.type, 'document', ev.document_id,
      case when d.followup_org_id is null then json_array(d.sender_org_id, d.recipient_org_id)
        else json_array(d.sender_org_id, d.recipient_org_id, d.followup_org_id) end,
      json_object('type', 'document.' || ev.type, 'timestamp', ev.at, 'data', json_object(
        'eventId', ev.id, 'documentId', d.id, 'href', '/v1/documents/' || d.id,
        'documentType', d.type, 'docNumber', d.doc_number,
        'title', d.title, 'status', d.status, 'dueOn', d.due_on, 'deadlineVersion', d.deadline_version,
        'senderOrgId', d.sender_org_id, 'recipientOrgId', d.recipient_org_id,
        'actorId', ev.actor_id, 'note', ev.note,
        'after', json(ev.after))),
      (ev.type = 'urged' or (ev.type = 'escalated' and coalesce(json_extract(ev.after, '$.urgent'), 0))),
      ev.at
    from document_events ev join documents d on d.id = ev.document_id
    where ${where}
    on conflict do nothing`);
}
