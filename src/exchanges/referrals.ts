// Referral notices (线索通报, S3.1.5): the kind's rules and its escalation ladder (acknowledgement due).
import { sql } from "drizzle-orm";
import type { SubjectSource } from "../escalation/ladder";

/** The ladder of referral notices not yet acknowledged. (Foundation stub: no subject is open.) */
export const referralLadder: SubjectSource = {
  subjectType: "referral",
  open: () =>
    sql`select null as id, null as jurisdiction_id, null as kind, null as due_on, 1 as version where 0`,
  effects: () => [],
};
