// The Node host serves the API reference viewer's files straight from the pinned npm package.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ViewerAssets } from "../http/pages";

/** The directory of the installed swagger-ui-dist package (the version package.json pins). */
export const VIEWER_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** Reads each file once (text; they only change with the package) and answers it from memory. */
export function nodeViewerAssets(dir = VIEWER_DIR): ViewerAssets {
  const cache = new Map<string, Promise<string>>();
  return async (name) => {
    let file = cache.get(name);
    if (!file) cache.set(name, (file = readFile(join(dir, name), "utf8")));
    try {
      return new Response(await file, { headers: { "cache-control": "public, max-age=3600" } });
    } catch {
      cache.delete(name);
      return null;
    }
  };
}
