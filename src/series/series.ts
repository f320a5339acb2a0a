// Placeholder: the recurring-series mechanism (issue #10).
import type { Deps } from "../http/api";

/** The cron job: every series' instance of the current period exists (exactly once per period). */
export async function runSeries(_deps: Deps, _now: Date): Promise<Record<string, number>> {
  return {};
}

/** Rotation changes take effect through the co-signature (stub until built). */
export const overrideHooks: import("../cosign/cosign").CosignHooks = {
  onSigned: () => [],
  onRefused: () => [],
};
