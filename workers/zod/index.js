// The Worker's "zod" (wrangler.toml [alias]): zod's own entry point minus the `locales` namespace,
// which holds every translation of the error messages (~260 KB minified) and which the bundle could
// not drop because `z` is used as a whole object (@hono/zod-openapi extends it). English, the only
// language the API answers in, is registered by zod's schemas.js itself. See docs/adr/0004-performance.md.
import * as z from "./external.js";
export * from "./external.js";
export { z, z as default };
