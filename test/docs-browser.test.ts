// /docs in a real headless browser (Debian's chromium, driven by playwright-core) against the real Node
// host, with every request to another origin blocked: the reference must render from this origin alone.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeHost } from "./node-host";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let host: Awaited<ReturnType<typeof startNodeHost>>;
let browser: BrowserContext;

beforeAll(async () => {
  // Not a skip: without a browser this test cannot say anything, and a silent pass would hide that.
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y --no-install-recommends chromium; .ci/run does) or set CHROMIUM_PATH.`,
    );
  host = await startNodeHost();
  // A persistent context is how playwright takes a fresh --user-data-dir.
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "fjxt-chromium-")), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  host?.stop();
});

describe("/docs in a browser without internet", () => {
  it("renders every operation of /openapi.json from same-origin files only", async () => {
    const blocked: string[] = [];
    await browser.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === "127.0.0.1") return route.continue();
      blocked.push(url.href);
      return route.abort("blockedbyclient");
    });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));

    const doc = (await (await fetch(`${host.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { summary?: string }>>;
    };
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item));
    const health = doc.paths["/health"]!.get!.summary!;
    const sendDocument = doc.paths["/v1/documents"]!.post!.summary!;

    const res = await page.goto(`${host.url}/docs`);
    expect(res?.status()).toBe(200);
    await page.getByText(health, { exact: true }).waitFor({ timeout: 30_000 });
    // One block per operation (every tag is expanded by default). From 150 tags + operations on, the
    // viewer renders only what is near the viewport: scroll through the page and collect the blocks.
    const seen = new Set<string>();
    let sendShown = false;
    for (let y = 0, last = -1; ; y += 600) {
      await page.evaluate((top) => window.scrollTo(0, top), y);
      await page.waitForTimeout(30);
      for (const id of await page.locator(".opblock").evaluateAll((els) => els.map((e) => e.id)))
        seen.add(id);
      sendShown ||= (await page.getByText(sendDocument, { exact: true }).count()) > 0;
      const at = await page.evaluate(() => window.scrollY);
      if (at === last) break;
      last = at;
    }
    expect(sendShown).toBe(true);
    expect(seen.size).toBe(operations.length);

    expect(blocked, "requests to other origins").toEqual([]);
    expect(problems, "console errors, CSP violations, failed requests").toEqual([]);
    await page.close();
  }, 60_000);

  it("shows the index page for a browser at /", async () => {
    const page = await browser.newPage();
    await page.goto(`${host.url}/`);
    await expect(page.title()).resolves.toBe("法检协同");
    await page.getByRole("link", { name: /API reference/ }).click();
    await page.waitForURL(`${host.url}/docs`);
    await page.close();
  }, 60_000);
});
