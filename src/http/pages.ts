// The two HTML pages (`/` for a browser, `/docs`) and the API reference viewer's files.
// The viewer is Swagger UI from the npm package swagger-ui-dist, pinned in package.json. Its files are
// served from this origin (a court's intranet machine may have no internet): on the Node host from
// node_modules, on the Worker as static assets that scripts/docs-assets.mjs copies at build time. The
// Worker script itself never contains them (bundle budget).

/** The viewer's files under /docs/assets/, by name. */
export const VIEWER_FILES: Record<string, string> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
};

/**
 * How a host answers one viewer file (a name of VIEWER_FILES), given the request for
 * /docs/assets/<name>; null when it has none.
 */
export type ViewerAssets = (name: string, request: Request) => Promise<Response | null>;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function indexPage(info: { title: string; version: string }): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>法检协同</title>
</head>
<body>
<h1>法检协同</h1>
<p>${escapeHtml(info.title)} ${escapeHtml(info.version)} · 法院与检察院协作接口 (court–procuratorate cooperation API).</p>
<ul>
<li><a href="/docs">接口文档 · API reference</a></li>
<li><a href="/openapi.json">OpenAPI 3.1 document (/openapi.json)</a></li>
</ul>
</body>
</html>
`;
}

export function docsPage(info: { title: string }): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)}</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-url="/openapi.json"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;
}

/**
 * Starts the viewer; a file rather than an inline script, so the page CSP needs no 'unsafe-inline'.
 * No validator badge (it would call an outside service) and no top bar (whose URL box loads any document).
 */
export const VIEWER_INIT = `window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.url,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
`;
