// Copies the API reference viewer's files from the pinned swagger-ui-dist package into public/docs/assets/,
// the Worker's static assets directory (wrangler.toml [assets]), laid out as the URLs that /docs uses.
// wrangler runs it before every build ([build] command): `npm run build`, `wrangler deploy`, `wrangler dev`.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const out = join(root, "public");
const to = join(out, "docs", "assets");
// The same names as VIEWER_FILES in src/http/pages.ts, plus the package's licence and notice.
const files = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"];

rmSync(out, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
for (const file of files) copyFileSync(join(from, file), join(to, file));
console.log(`docs assets: ${files.length} files of swagger-ui-dist copied to public/docs/assets`);
