// HTTP routes of jointly published typical cases (联合发布案例): the pair's drafts, their submission
// for both leaders' signature, withdrawal; and the public, unauthenticated feed of published cases
// (JSON list and detail, Atom 1.0), cacheable by ETag and by shared caches (the Worker's edge cache:
// `edgeCached`). Signing itself is the co-signature's (POST /v1/cosignatures/{id}/sign). One
// database round trip per request.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { etagOf, matches } from "../calendar/ical";
import { toCosign } from "../cosign/cosign";
import { sql } from "drizzle-orm";
import { SubjectEventSchema, type SubjectEventRow, toSubjectEvent } from "../events/events";
import {
  type AppEnv,
  coded,
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  LabelSchema,
  newRouter,
  sha256,
  paginate,
  PageQuery,
  pageOf,
} from "../http/api";
import { ApiError, conflict, notFound } from "../http/problem";
import { CosignOrNull, IdempotencyHeader, updatedSince } from "../meetings/meetings.schemas";
import { ANONYMISATION_CHECKS, ORG_KINDS, TYPICAL_CASE_KINDS, TYPICAL_CASE_STATUSES } from "../vocab";
import {
  type CaseInput,
  type CaseRow,
  caseProbe,
  caseTimeline,
  createCase,
  getCase,
  listCases,
  type PublicRow,
  publicCase,
  publicList,
  readCases,
  signedContent,
  submitCase,
  TAG_CODES,
  TYPICAL_CASE_EDITORS,
  TYPICAL_CASE_WITHDRAWERS,
  tagItem,
  unchecked,
  updateCase,
  withdrawCase,
} from "./typical-cases";
import { NO_CONTROL, NO_CONTROL_MESSAGE } from "./text";

const tags = ["Typical cases"];
const publicTags = ["Public feed"];

// ── Schemas ───────────────────────────────────────────────────────────────────────────────────

const Id = z.string().min(1).max(64);
const Params = z.object({ id: Id });
const text = (max: number) => z.string().trim().min(1).max(max).regex(NO_CONTROL, NO_CONTROL_MESSAGE);
const Tag = z
  .enum(TAG_CODES)
  .openapi({ description: "A case category or focus area code", example: "ecology" });
const Year = z.coerce.number().int().min(2000).max(2100).optional().openapi({ example: 2026 });
const Coded = z.object({ code: z.string(), label: LabelSchema });

const AnonymisationInput = z
  .object(
    Object.fromEntries(ANONYMISATION_CHECKS.codes.map((c) => [c, z.boolean().default(false)])) as Record<
      (typeof ANONYMISATION_CHECKS.codes)[number],
      z.ZodDefault<z.ZodBoolean>
    >,
  )
  .strict()
  .openapi("AnonymisationChecklist", {
    description: "Every item must be true before the case is submitted for signature",
    example: { names: true, identifiers: true, minors: true, business_secrets: true, victims: true },
  });

const CaseInputSchema = z
  .object({
    kind: z.enum(TYPICAL_CASE_KINDS.codes),
    title: text(200).openapi({ example: "某公司非法占用农用地刑事附带民事公益诉讼案" }),
    caseNumbers: z
      .array(text(100))
      .min(1)
      .max(20)
      .openapi({ example: ["(2026)示0102刑初88号"] }),
    facts: text(20_000).openapi({ description: "Summary of the facts (anonymised)" }),
    reasoning: text(20_000).openapi({ description: "The reasoning of the judgment or decision" }),
    significance: text(20_000).openapi({ description: "Why the case is typical (典型意义)" }),
    tags: z.array(Tag).max(20).default([]),
    anonymisation: AnonymisationInput,
  })
  .strict()
  .openapi("TypicalCaseInput");

const Org = z.object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) });

const CaseSchema = z
  .object({
    id: z.string(),
    kind: coded(TYPICAL_CASE_KINDS.codes),
    status: coded(TYPICAL_CASE_STATUSES.codes),
    title: z.string(),
    caseNumbers: z.array(z.string()),
    facts: z.string(),
    reasoning: z.string(),
    significance: z.string(),
    tags: z.array(Coded),
    anonymisation: z.array(
      z.object({ code: z.enum(ANONYMISATION_CHECKS.codes), label: LabelSchema, checked: z.boolean() }),
    ),
    draftedBy: Org,
    createdBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    contentHash: z.string().nullable().openapi({ description: "sha-256 of the text a round signs" }),
    publishedAt: z.string().nullable(),
    withdrawnAt: z.string().nullable(),
    withdrawReason: z.string().nullable(),
    publicUrl: z.string().nullable().openapi({ description: "Where the public reads it (once published)" }),
    cosignature: CosignOrNull.openapi({ description: "The latest co-signature round, if any" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("TypicalCase");

const CaseDetail = CaseSchema.extend({ timeline: z.array(SubjectEventSchema) }).openapi("TypicalCaseDetail");

/**
 * The public shape: the allow-list of what the public feed shows. Nothing else is ever selected for
 * it (PUBLIC_JSON) nor mapped into it (toPublic); test/typical-cases.test.ts compares keys.
 */
export const PublicCaseSchema = z
  .object({
    id: z.string(),
    url: z.string().openapi({ description: "The stable public URL of the case" }),
    kind: coded(TYPICAL_CASE_KINDS.codes),
    title: z.string(),
    caseNumbers: z.array(z.string()),
    facts: z.string(),
    reasoning: z.string(),
    significance: z.string(),
    tags: z.array(Coded),
    publishedAt: z.string(),
    jurisdiction: z.object({ code: z.string(), name: z.string() }),
    institutions: z.array(z.object({ name: z.string(), kind: coded(ORG_KINDS.codes) })),
  })
  .openapi("PublicTypicalCase");
const PublicPage = z
  .object({ items: z.array(PublicCaseSchema), nextCursor: z.string().nullable() })
  .openapi("PublicTypicalCasePage");

// ── Mapping ───────────────────────────────────────────────────────────────────────────────────

const publicPath = (id: string) => `/public/typical-cases/${id}`;

function toCase(r: CaseRow, origin: string): z.infer<typeof CaseSchema> {
  return {
    id: r.id,
    kind: TYPICAL_CASE_KINDS.item(r.kind),
    status: TYPICAL_CASE_STATUSES.item(r.status),
    title: r.title,
    caseNumbers: r.caseNumbers,
    facts: r.facts,
    reasoning: r.reasoning,
    significance: r.significance,
    tags: r.tags.map(tagItem),
    anonymisation: ANONYMISATION_CHECKS.codes.map((c) => ({
      ...ANONYMISATION_CHECKS.item(c),
      checked: !!r.anonymisation[c],
    })),
    draftedBy: { ...r.draftedBy, kind: ORG_KINDS.item(r.draftedBy.kind) },
    createdBy: r.createdBy,
    contentHash: r.contentHash,
    publishedAt: r.publishedAt,
    withdrawnAt: r.withdrawnAt,
    withdrawReason: r.withdrawReason,
    publicUrl: r.status === "published" ? origin + publicPath(r.id) : null,
    cosignature: r.cosignature ? toCosign(r.cosignature) : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** A published case as the public sees it: each field picked by name from the public row. */
export function toPublic(r: PublicRow, origin: string): z.infer<typeof PublicCaseSchema> {
  return {
    id: r.id,
    url: origin + publicPath(r.id),
    kind: TYPICAL_CASE_KINDS.item(r.kind),
    title: r.title,
    caseNumbers: r.caseNumbers,
    facts: r.facts,
    reasoning: r.reasoning,
    significance: r.significance,
    tags: r.tags.map(tagItem),
    publishedAt: r.publishedAt,
    jurisdiction: { code: r.jurisdiction.code, name: r.jurisdiction.name },
    institutions: r.institutions.map((o) => ({ name: o.name, kind: ORG_KINDS.item(o.kind) })),
  };
}

/**
 * The origin public links are written with: the configured PUBLIC_ORIGIN, or none (relative links) —
 * never the request's Host, which a client picks and a shared cache would keep for everyone.
 */
const originOf = (c: Context<AppEnv>) => c.var.deps.config.PUBLIC_ORIGIN ?? "";
const found = (rows: { j: string }[]) => rows.length > 0;

/** Why a change to a visible case did not apply (the route's role is already checked). */
function refusal(p: { status: string; underSignature: number } | undefined, action: string): ApiError {
  if (p?.status === "signing" || p?.underSignature)
    return conflict(
      "under_signature",
      "The case is being signed by both leaders; wait for the outcome (a refusal makes it a draft again).",
    );
  if (p?.status === "published")
    return conflict(
      "published",
      `A published case is never edited; to correct it, withdraw it and draft a new one (${action}).`,
    );
  if (p?.status === "withdrawn") return conflict("withdrawn", "The case was withdrawn; draft a new one.");
  return conflict("concurrent_change", "The case changed while this request ran; reload it and retry.");
}

// ── Public answers: ETag, shared caching ─────────────────────────────────────────────────────

/**
 * How long a shared cache (the Worker's edge cache, a proxy, a browser) keeps a public answer: a
 * publication or a withdrawal reaches every reader within `max-age` (5 minutes), plus at most the
 * `stale-while-revalidate` minute a cache may serve its copy while it fetches a new one.
 */
export const PUBLIC_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=60";

/**
 * A public answer: strong ETag over the body, 304 on `If-None-Match`, cacheable by anyone — except
 * the answer to a request that carried `Authorization`, which is `no-store` like every authorised
 * answer (README, security.ts); the data is the same, only no cache keeps that copy.
 */
async function publicAnswer(c: Context<AppEnv>, body: string, type: string) {
  const etag = await etagOf(body);
  const authorised = c.req.header("authorization") !== undefined;
  const headers = {
    etag,
    "cache-control": authorised ? "no-store" : PUBLIC_CACHE_CONTROL,
    "access-control-allow-origin": "*",
  };
  if (matches(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
  return c.body(body, 200, { ...headers, "content-type": type });
}

/** What the edge cache needs of `caches.default` (a Map does it in tests). */
export type EdgeCache = {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
};

/**
 * The Worker's edge cache in front of the public feed (`caches.default`, keyed by the URL; not
 * shared between data centres): a fresh copy answers without running the app or reading the
 * database, honouring `If-None-Match` with its ETag (304). A miss asks the app WITHOUT the
 * client's validators, so every miss fills the cache, and stores a 200 carrying `public` caching —
 * the Cache API keeps it for its `max-age`, so a publication or withdrawal shows within 5 minutes.
 * Other paths and methods go straight to the app.
 */
export async function edgeCached(
  request: Request,
  cache: EdgeCache,
  waitUntil: (p: Promise<unknown>) => void,
  app: (request: Request) => Promise<Response> | Response,
): Promise<Response> {
  const url = new URL(request.url);
  // A request with Authorization is never answered from (nor stored in) the shared cache.
  if (
    request.method !== "GET" ||
    !url.pathname.startsWith("/public/") ||
    request.headers.has("authorization")
  )
    return app(request);
  const key = url.toString();
  const answer = (res: Response, state: "HIT" | "MISS") => {
    const etag = res.headers.get("etag");
    const headers = new Headers(res.headers);
    headers.set("x-edge-cache", state);
    if (res.status === 200 && etag && matches(request.headers.get("if-none-match") ?? undefined, etag)) {
      for (const h of ["content-type", "content-length"]) headers.delete(h);
      return new Response(null, { status: 304, headers });
    }
    return new Response(res.body, { status: res.status, headers });
  };
  const hit = await cache.match(key);
  if (hit) return answer(hit, "HIT");
  const res = await app(new Request(key, { method: "GET" }));
  if (res.status === 200 && /\bpublic\b/.test(res.headers.get("cache-control") ?? "")) {
    const copy = new Response(res.clone().body, res);
    copy.headers.delete("x-request-id");
    waitUntil(cache.put(key, copy));
  }
  return answer(res, "MISS");
}

// ── Atom 1.0 ──────────────────────────────────────────────────────────────────────────────────

/**
 * Text for XML 1.0 content and attribute values: `& < > " '` escaped, and the characters XML 1.0
 * cannot carry at all (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF; lone surrogates)
 * removed.
 */
export function xmlText(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

const el = (name: string, body: string, attrs = "") => `<${name}${attrs}>${xmlText(body)}</${name}>`;

/**
 * The Atom 1.0 document (RFC 4287) of a list of published cases: a pure function of the rows and
 * the request URL, so an unchanged feed has an unchanged ETag. Entry ids are URNs (stable when the
 * host name changes); `updated` is the publication (a published case never changes).
 */
export function atomFeed(items: z.infer<typeof PublicCaseSchema>[], selfUrl: string): string {
  const updated =
    items
      .map((i) => i.publishedAt)
      .sort()
      .at(-1) ?? "1970-01-01T00:00:00.000Z";
  const entries = items.map((i) => {
    const content = [
      `案号:${i.caseNumbers.join("、")}`,
      `【基本案情】\n${i.facts}`,
      `【裁判理由】\n${i.reasoning}`,
      `【典型意义】\n${i.significance}`,
    ].join("\n\n");
    return [
      "<entry>",
      el("id", `urn:fajian-xietong:typical-case:${i.id}`),
      el("title", `${i.title}(${i.kind.label.zh})`, ' type="text"'),
      el("updated", i.publishedAt),
      el("published", i.publishedAt),
      ...i.institutions.map((o) => `<author>${el("name", o.name)}</author>`),
      `<link rel="alternate" type="application/json" href="${xmlText(i.url)}"/>`,
      ...i.tags.map((t) => `<category term="${xmlText(t.code)}" label="${xmlText(t.label.zh)}"/>`),
      el("summary", i.significance, ' type="text"'),
      el("content", content, ' type="text"'),
      "</entry>",
    ].join("\n");
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
    el("id", `urn:fajian-xietong:typical-cases${new URL(selfUrl, "http://relative.invalid").search}`),
    el("title", "法检联合发布典型案例"),
    el("subtitle", "Typical and reference cases jointly published by the courts and procuratorates"),
    el("updated", updated),
    `<link rel="self" type="application/atom+xml" href="${xmlText(selfUrl)}"/>`,
    "<author><name>法检协同</name></author>",
    ...entries,
    "</feed>",
    "",
  ].join("\n");
}

// ── Routes ────────────────────────────────────────────────────────────────────────────────────

const PublicFilters = z.object({
  tag: Tag.optional(),
  year: Year.openapi({ description: "Publication year (China time)" }),
  kind: z.enum(TYPICAL_CASE_KINDS.codes).optional(),
  jurisdiction: z
    .string()
    .min(1)
    .max(32)
    .optional()
    .openapi({ description: "A pair's jurisdiction code: only its cases" }),
});
const cursorKey = (k: string) => Number.isFinite(Date.parse(k));

export const typicalCasesRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/typical-cases",
      tags,
      summary: "Draft a typical or reference case (either institution of the pair)",
      description:
        "Idempotent: a retry with the same `Idempotency-Key` and body answers the first attempt's case " +
        "with 200; another body is 409 `idempotency_key_reused`. Tags are case categories and focus " +
        "areas (CASE_CATEGORIES, CASE_AREAS).",
      roles: TYPICAL_CASE_EDITORS,
      request: { headers: IdempotencyHeader, body: jsonBody(CaseInputSchema) },
      responses: {
        201: jsonResponse(CaseDetail, "Drafted"),
        200: jsonResponse(CaseDetail, "A retry: the case the first attempt drafted"),
        409: errorResponse("`idempotency_key_reused`"),
      },
    }),
    async (c) => {
      const { deps, scope } = c.var;
      const input = c.req.valid("json") as CaseInput;
      const key = c.req.valid("header")["idempotency-key"];
      const id = deps.ids();
      const [hash, contentHash] = await Promise.all([
        sha256(JSON.stringify(input)),
        sha256(signedContent(input)),
      ]);
      const now = deps.clock.now().toISOString();
      const { statements, byKey, timeline } = createCase(scope, { id, key, hash, contentHash, now, input });
      const n = statements.length;
      const { results } = await scope.run([...statements, byKey, timeline]);
      const [row] = readCases(results[n] as { j: string }[]);
      if (!row) throw conflict("concurrent_change", "The case could not be drafted; retry.");
      if (row.id !== id && row.requestHash !== hash)
        throw conflict("idempotency_key_reused", "This Idempotency-Key was used for a different case.");
      if (row.id !== id) c.header("Idempotent-Replayed", "true");
      c.header("Location", `/v1/typical-cases/${row.id}`);
      const events = (results[n + 1] as SubjectEventRow[]).map(toSubjectEvent);
      return c.json({ ...toCase(row, originOf(c)), timeline: events }, row.id === id ? 201 : 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/typical-cases",
      tags,
      summary: "The pair's typical cases (every status), in update order",
      description:
        "Cursor-paginated, oldest change first; `updatedSince` for mobile sync. `year` is the year of " +
        "publication (China time), or of drafting for a case not published yet.",
      roles: "any",
      request: {
        query: z.object({
          status: z.enum(TYPICAL_CASE_STATUSES.codes).optional(),
          kind: z.enum(TYPICAL_CASE_KINDS.codes).optional(),
          tag: Tag.optional(),
          year: Year,
          updatedSince: updatedSince("Only cases changed after this instant (any offset)"),
          ...PageQuery.shape,
        }),
      },
      responses: {
        200: jsonResponse(pageOf(CaseSchema), "A page of cases"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const scope = c.var.scope;
      const { items: rows } = await scope.list<CaseRow>(
        listCases(scope, { ...q, after: q.cursor ? decodeCursor(q.cursor, cursorKey) : undefined }),
      );
      const { items, nextCursor } = paginate(rows, q.limit, (r) => encodeCursor([r.updatedAt, r.id]));
      return c.json({ items: items.map((r) => toCase(r, originOf(c))), nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/typical-cases/{id}",
      tags,
      summary: "One typical case of the pair, with its latest co-signature round and its timeline",
      roles: "any",
      request: { params: Params },
      responses: { 200: jsonResponse(CaseDetail, "The case") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const {
        results: [rows, events],
      } = await scope.run([getCase(scope, id), caseTimeline(scope, sql`${id}`)], ([r]) => found(r));
      const row = readCases(rows)[0]!;
      return c.json({ ...toCase(row, originOf(c)), timeline: events.map(toSubjectEvent) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/v1/typical-cases/{id}",
      tags,
      summary: "Replace a draft's text, tags and checklist (either side; drafts only)",
      description:
        "409 `under_signature` while both leaders are signing it, `published` once published (a " +
        "published case is never edited: withdraw it and draft a new one), `withdrawn`.",
      roles: TYPICAL_CASE_EDITORS,
      request: { params: Params, body: jsonBody(CaseInputSchema) },
      responses: {
        200: jsonResponse(CaseDetail, "The draft after the change"),
        409: errorResponse("`under_signature`, `published` or `withdrawn`"),
      },
    }),
    async (c) => {
      const { deps, scope } = c.var;
      const { id } = c.req.valid("param");
      const input = c.req.valid("json") as CaseInput;
      const eventId = deps.ids();
      const change = updateCase(scope, {
        id,
        eventId,
        contentHash: await sha256(signedContent(input)),
        now: deps.clock.now().toISOString(),
        input,
      });
      return answerChange(c, id, change.statements, "edit", eventId) as never;
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/typical-cases/{id}/submit",
      tags,
      summary: "Submit a draft for both institutions' leaders to co-sign (opens a round)",
      description:
        "Every item of the anonymisation checklist must be ticked (409 `anonymisation_incomplete`, its " +
        "`errors[]` naming each unticked item). Both leaders signing publishes the case; a refusal " +
        "makes it a draft again. While the round is open a repeat answers 200 with it.",
      roles: TYPICAL_CASE_EDITORS,
      request: { params: Params },
      responses: {
        201: jsonResponse(CaseDetail, "Submitted: `cosignature` is the new round"),
        200: jsonResponse(CaseDetail, "Already being signed: the open round"),
        409: errorResponse("`anonymisation_incomplete`, `published` or `withdrawn`"),
      },
    }),
    async (c) => {
      const { deps, scope } = c.var;
      const { id } = c.req.valid("param");
      const eventId = deps.ids();
      const statements = submitCase(scope, {
        id,
        eventId,
        roundId: deps.ids(),
        now: deps.clock.now().toISOString(),
      });
      return answerChange(c, id, statements, "submit", eventId);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/typical-cases/{id}/withdraw",
      tags,
      summary: "Withdraw a published case (either side's leader or coordinator, with a reason)",
      description:
        "A leader or coordinator of either institution may withdraw it alone: pulling a case must not " +
        "wait for the other side, but a handler or department head may not (403). The public detail " +
        "answers 404 at once; shared caches drop it within their max-age (5 minutes). A case already " +
        "withdrawn is 409 `already_withdrawn`; one not published yet 409 `not_published`.",
      roles: TYPICAL_CASE_WITHDRAWERS,
      request: {
        params: Params,
        body: jsonBody(
          z
            .object({ reason: text(2000) })
            .strict()
            .openapi("TypicalCaseWithdrawal"),
        ),
      },
      responses: {
        200: jsonResponse(CaseDetail, "Withdrawn"),
        409: errorResponse("`not_published`, `already_withdrawn`"),
      },
    }),
    async (c) => {
      const { deps, scope } = c.var;
      const { id } = c.req.valid("param");
      const eventId = deps.ids();
      const statements = withdrawCase(scope, {
        id,
        eventId,
        reason: c.req.valid("json").reason,
        now: deps.clock.now().toISOString(),
      });
      return answerChange(c, id, statements, "withdraw", eventId) as never;
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/public/typical-cases",
      tags: publicTags,
      summary: "Published typical and reference cases of every pair (no authentication), newest first",
      description:
        "Only public fields. Filters: `tag`, `year` (of publication, China time), `kind`, " +
        "`jurisdiction` (a pair's code). Strong `ETag` (304 on `If-None-Match`) and " +
        `\`Cache-Control: ${PUBLIC_CACHE_CONTROL}\`: a publication or withdrawal shows within 5 minutes.`,
      roles: "public",
      request: {
        query: PublicFilters.extend({
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z.string().max(300).optional(),
        }),
        headers: z.object({ "if-none-match": z.string().max(2000).optional() }),
      },
      responses: {
        200: jsonResponse(PublicPage, "A page of published cases"),
        304: { description: "Not modified (the `If-None-Match` ETag is current)" },
        400: errorResponse("Invalid filter or cursor"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const [row] = await publicList(c.var.deps.db, {
        ...q,
        after: q.cursor ? decodeCursor(q.cursor, cursorKey) : undefined,
      });
      const rows = JSON.parse(row![0]) as PublicRow[];
      const page = paginate(rows, q.limit, (r) => encodeCursor([r.publishedAt, r.id]));
      const body = { items: page.items.map((r) => toPublic(r, originOf(c))), nextCursor: page.nextCursor };
      return publicAnswer(c, JSON.stringify(body), "application/json; charset=utf-8") as never;
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/public/typical-cases.atom",
      tags: publicTags,
      summary: "The 50 latest published cases as an Atom 1.0 feed (no authentication)",
      description: "Same filters and caching as the JSON list.",
      roles: "public",
      request: {
        query: PublicFilters,
        headers: z.object({ "if-none-match": z.string().max(2000).optional() }),
      },
      responses: {
        200: {
          description: "The feed",
          content: { "application/atom+xml": { schema: z.string().openapi({ description: "RFC 4287" }) } },
        },
        304: { description: "Not modified" },
        400: errorResponse("Invalid filter"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const [row] = await publicList(c.var.deps.db, { ...q, limit: 50 });
      const items = (JSON.parse(row![0]) as PublicRow[]).slice(0, 50).map((r) => toPublic(r, originOf(c)));
      const self = `${originOf(c)}${c.req.path}${new URL(c.req.url).search}`;
      return publicAnswer(c, atomFeed(items, self), "application/atom+xml; charset=utf-8") as never;
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/public/typical-cases/{id}",
      tags: publicTags,
      summary: "One published case (no authentication); anything not published is 404",
      description:
        "A draft, a case being signed, a withdrawn case and an unknown id answer the same 404. " +
        "Cached like the list.",
      roles: "public",
      request: { params: Params, headers: z.object({ "if-none-match": z.string().max(2000).optional() }) },
      responses: {
        200: jsonResponse(PublicCaseSchema, "The case"),
        304: { description: "Not modified" },
        404: errorResponse("No such published case"),
      },
    }),
    async (c) => {
      const [row] = await publicCase(c.var.deps.db, c.req.valid("param").id);
      if (!row) throw notFound("published case");
      const body = toPublic(JSON.parse(row[0]) as PublicRow, originOf(c));
      return publicAnswer(c, JSON.stringify(body), "application/json; charset=utf-8") as never;
    },
  );

/**
 * The one batch of a change (edit, submit, withdraw): its statements, the case after it, its
 * timeline and the probe that explains a refusal. Submit answers 201 when it opened a round, 200
 * when the case is already being signed (a repeat).
 */
async function answerChange(
  c: Context<AppEnv>,
  id: string,
  statements: readonly unknown[],
  action: "edit" | "submit" | "withdraw",
  eventId: string,
) {
  const scope = c.var.scope;
  const n = statements.length;
  const { results } = await scope.run(
    [
      ...(statements as never[]),
      getCase(scope, id),
      caseTimeline(scope, sql`${id}`),
      caseProbe(scope, id),
    ] as never,
    (r) => found((r as unknown[])[n] as { j: string }[]),
  );
  const rs = results as unknown[];
  const row = readCases(rs[n] as { j: string }[])[0]!;
  const events = rs[n + 1] as SubjectEventRow[];
  const probe = (rs[n + 2] as { status: string; underSignature: number }[])[0];
  const body = { ...toCase(row, originOf(c)), timeline: events.map(toSubjectEvent) };
  // The change applied exactly when its own timeline entry exists.
  const applied = events.some((e) => e.id === eventId);
  if (action === "submit") {
    if (applied) {
      c.header("Location", `/v1/cosignatures/${row.cosignature!.id}`);
      return c.json(body, 201);
    }
    if (row.status === "signing") {
      c.header("Idempotent-Replayed", "true");
      return c.json(body, 200);
    }
    const missing = unchecked(row.anonymisation);
    if (row.status === "draft" && missing.length)
      throw new ApiError(409, "anonymisation_incomplete", "Every anonymisation check must be ticked first.", {
        errors: missing.map((code) => ({
          in: "json",
          path: `anonymisation.${code}`,
          message: ANONYMISATION_CHECKS.label(code).en,
          code: "unchecked",
        })),
      });
    throw refusal(probe, "submit");
  }
  if (applied) return c.json(body, 200);
  if (action === "withdraw" && row.status === "withdrawn")
    throw conflict("already_withdrawn", "The case is already withdrawn.");
  if (action === "withdraw" && row.status !== "published")
    throw conflict("not_published", "Only a published case can be withdrawn.");
  throw refusal(probe, action);
}
