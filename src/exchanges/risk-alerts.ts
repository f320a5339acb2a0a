// Petition-risk alerts (访情舆情, S3.3.4): acknowledgement within clock hours on the escalation
// ladder, both sides' risk assessments, a contingency plan co-signed by both leaders.
import { sql } from "drizzle-orm";
import type { CosignHooks } from "../cosign/cosign";
import type { SubjectSource } from "../escalation/ladder";

/** The ladder of alerts not yet acknowledged. (Foundation stub: no subject is open.) */
export const riskAlertLadder: SubjectSource = {
  subjectType: "risk_alert",
  open: () =>
    sql`select null as id, null as jurisdiction_id, null as kind, null as due_on, 1 as version where 0`,
  effects: () => [],
};

/** What a completed or refused round over a contingency plan does. (Foundation stub.) */
export const contingencyPlanHooks: CosignHooks = { onSigned: () => [], onRefused: () => [] };
