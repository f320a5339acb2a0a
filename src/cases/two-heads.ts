// Two heads in one hearing (两长同庭, S3.3.1). (Foundation stub.)
import type { CosignHooks } from "../cosign/cosign";

/** What a completed or refused round over a nomination does. (Foundation stub.) */
export const twoHeadsHooks: CosignHooks = { onSigned: () => [], onRefused: () => [] };
