// The registry of co-signature subjects: what happens to each subject type when a round over it ends.
// A new subject type adds its COSIGN_SUBJECTS code (src/vocab.ts), its href (COSIGN_SUBJECT_HREFS) and
// its hooks here; the compiler refuses a code without hooks (ADR 0008).
import { minutesHooks, specialMeetingHooks } from "../meetings/minutes";
import { overrideHooks } from "../series/series";
import { contingencyPlanHooks } from "../exchanges/risk-alerts";
import { typicalCaseHooks } from "../cases/typical-cases";
import { twoHeadsHooks } from "../cases/two-heads";
import type { CosignSubject } from "../vocab";
import type { CosignHooks } from "./cosign";

export const COSIGN_HOOKS: Record<CosignSubject, CosignHooks> = {
  meeting_minutes: minutesHooks,
  special_meeting: specialMeetingHooks,
  series_override: overrideHooks,
  contingency_plan: contingencyPlanHooks,
  typical_case: typicalCaseHooks,
  two_heads_hearing: twoHeadsHooks,
};
