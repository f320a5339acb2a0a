// The one column list of a notice: every statement that notifies writes the same row shape
// (`dedupe_key` unique, so each statement ends `on conflict do nothing` and a notice happens once).
import { sql } from "drizzle-orm";

export const INSERT_NOTIFICATIONS = sql`insert into notifications (id, jurisdiction_id, user_id, kind,
  subject_type, subject_id, text_zh, text_en, urgent, dedupe_key, created_at)`;
