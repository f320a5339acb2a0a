// Jointly published typical cases (联合发布案例, S3.3.3). (Foundation stub.)
import type { CosignHooks } from "../cosign/cosign";

/** What a completed or refused round over a typical case does. (Foundation stub.) */
export const typicalCaseHooks: CosignHooks = { onSigned: () => [], onRefused: () => [] };
