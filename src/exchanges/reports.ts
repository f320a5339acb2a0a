// Periodic mutual reports (定期通报, S3.1.2): the series kind 'mutual_report', the reports it opens
// for each ended period, and the ladder of unsubmitted reports.
import { sql } from "drizzle-orm";
import type { SubjectSource } from "../escalation/ladder";

/** The ladder of reports not yet submitted. (Foundation stub: no subject is open.) */
export const reportLadder: SubjectSource = {
  subjectType: "report",
  open: () =>
    sql`select null as id, null as jurisdiction_id, null as kind, null as due_on, 1 as version where 0`,
  effects: () => [],
};
