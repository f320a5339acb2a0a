// HTTP routes of shared case information (数据共享, S3.3.2): case records, grants, the audited search,
// read, copy and export, the access audit, bulk import. Each route is one database round trip; an
// outsider gets 404; every read by the counterpart is audited in the same batch.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { getSubjectTimeline, SubjectEventSchema, toSubjectEvent } from "../events/events";
import {
  coded,
  decodeCursor,
  defineRoute,
  encodeCursor,
  errorResponse,
  jsonBody,
  jsonResponse,
  newRouter,
  sha256,
  paginate,
  PageQuery,
  pageOf,
} from "../http/api";
import { ApiError } from "../http/problem";
import { updatedSince } from "../meetings/meetings.schemas";
import {
  CASE_ACCESS_ACTIONS,
  CASE_AREAS,
  CASE_CATEGORIES,
  CASE_GRANT_RULES,
  CASE_STAGES,
  DOC_STATUSES,
  DOC_TYPES,
  ORG_KINDS,
} from "../vocab";
import { caseKey } from "./case-number";
import {
  type AccessRow,
  auditRows,
  CASE_PROBLEMS,
  type CaseProblem,
  type CaseRecordRow,
  createGrant,
  createRecord,
  csvLine,
  docs,
  getGrant,
  getRecord,
  type GrantRow,
  grants,
  importRecords,
  listAccess,
  listGrants,
  oneRecord,
  parseCsv,
  type RecordFilter,
  type RecordInput,
  records,
  revokeGrant,
  SHARING_ROLES,
  searchRecords,
  supervisionDocuments,
  updateRecord,
} from "./shared-cases";
import { NO_CONTROL, NO_CONTROL_MESSAGE } from "./text";

const tags = ["Shared cases"];

const refuse = (status: 403 | 409, code: CaseProblem, detail: string) =>
  new ApiError(status, code, detail, { label: CASE_PROBLEMS.label(code) });
const notCoordinating = () =>
  refuse(
    403,
    "not_coordinating_department",
    "Only the coordinating department (court: trial management office 审判管理办公室, procuratorate: " +
      "general affairs 综合业务部) may do this.",
  );
const invalid = (errors: { path: string; message: string; code: string }[]) =>
  new ApiError(400, "validation_failed", "The request has invalid fields.", {
    errors: errors.map((e) => ({ in: "json", ...e })),
  });

// ── Schemas ───────────────────────────────────────────────────────────────────────────────────

const Id = z.string().min(1).max(64);
const text = (max: number) => z.string().trim().min(1).max(max).regex(NO_CONTROL, NO_CONTROL_MESSAGE);
/** Optional text: control characters refused like `text`. */
const optText = (max: number) =>
  z.string().trim().max(max).regex(NO_CONTROL, NO_CONTROL_MESSAGE).nullable().optional();
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
  .refine((d) => {
    const at = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().startsWith(d);
  }, "no such day")
  .openapi({ example: "2026-03-02" });
const IdempotencyHeader = z.object({
  "idempotency-key": z.string().min(8).max(200).openapi({ example: "5d0f3c1e-6a1d-4c1e-b7f5-5b8f1c7d2a10" }),
});
const Sha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/i, "64 hexadecimal digits")
  .transform((s) => s.toLowerCase());

/** The key dates a record may carry (立案, 裁判, 调解, 执行立案, 结案). */
export const KEY_DATES = ["filedOn", "judgedOn", "mediatedOn", "enforcementFiledOn", "closedOn"] as const;
const KeyDates = z
  .object(
    Object.fromEntries(KEY_DATES.map((k) => [k, Day.optional()])) as Record<
      (typeof KEY_DATES)[number],
      z.ZodOptional<typeof Day>
    >,
  )
  .strict()
  .openapi("CaseKeyDates", { example: { filedOn: "2026-03-02", judgedOn: "2026-06-18" } });

const Party = z
  .object({
    name: text(200).openapi({ example: "张某" }),
    role: optText(30).openapi({ example: "被告人" }),
  })
  .openapi("CaseParty");

const Material = z
  .object({
    name: text(255).openapi({ example: "判决书.pdf" }),
    size: z
      .number()
      .int()
      .min(0)
      .max(2 ** 40),
    sha256: Sha256,
    mediaType: z
      .string()
      .regex(/^[\w.+-]+\/[\w.+-]+$/, "a media type such as application/pdf")
      .max(100),
  })
  .openapi("CaseMaterial");

const CaseNumber = text(100)
  .refine((s) => caseKey(s).length >= 4, "not a case number")
  .openapi({ example: "（2026）京0105刑初１２３号" });

const RecordInputSchema = z
  .object({
    caseNumber: CaseNumber,
    courtName: text(100).openapi({ example: "示范市东湖区人民法院" }),
    caseType: z.enum(CASE_CATEGORIES.codes),
    area: z.enum(CASE_AREAS.codes).nullable().optional(),
    stage: z.enum(CASE_STAGES.codes),
    parties: z.array(Party).min(1).max(50),
    keyDates: KeyDates.optional(),
    summary: optText(4000),
    chargeProsecuted: optText(200).openapi({ example: "诈骗罪" }),
    chargeJudged: optText(200).openapi({ example: "诈骗罪" }),
    material: z.array(Material).max(50).optional(),
  })
  .strict()
  .openapi("CaseRecordInput");

const RecordChangeSchema = z
  .object({
    stage: z.enum(CASE_STAGES.codes).optional(),
    keyDates: KeyDates.optional(),
    summary: optText(4000),
    chargeJudged: optText(200),
    material: z.array(Material).max(50).optional(),
  })
  .strict()
  .refine((c) => Object.keys(c).length > 0, "nothing to change")
  .openapi("CaseRecordChange");

const OrgRef = z.object({ id: z.string(), name: z.string(), kind: coded(ORG_KINDS.codes) });

const CaseRecordSchema = z
  .object({
    id: z.string(),
    caseNumber: z.string(),
    caseKey: z.string().openapi({ description: "The normalised 案号 searches match" }),
    courtName: z.string(),
    caseType: coded(CASE_CATEGORIES.codes),
    area: coded(CASE_AREAS.codes).nullable(),
    stage: coded(CASE_STAGES.codes),
    parties: z.array(z.object({ name: z.string(), role: z.string().nullable() })),
    keyDates: z.record(z.string(), z.string()),
    summary: z.string().nullable(),
    charges: z.object({
      prosecuted: z.string().nullable(),
      judged: z.string().nullable(),
      differs: z.boolean().openapi({ description: "诉判不一: both known and different" }),
    }),
    material: z.array(
      z.object({ name: z.string(), size: z.number(), sha256: z.string(), mediaType: z.string() }),
    ),
    source: z.enum(["manual", "import"]),
    importId: z.string().nullable(),
    owner: OrgRef,
    access: z.object({
      own: z.boolean(),
      grantId: z.string().nullable().openapi({ description: "The grant the counterpart reads under" }),
      audited: z.boolean().openapi({ description: "This read is in the owner's access audit" }),
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("CaseRecord");

const SupervisionDocSchema = z
  .object({
    id: z.string(),
    type: coded(DOC_TYPES.codes),
    status: coded(DOC_STATUSES.codes),
    docNumber: z.string(),
    title: z.string(),
    sentOn: z.string(),
    caseNumbers: z.array(z.string()),
    href: z.string(),
  })
  .openapi("CaseSupervisionDocument");

const CaseRecordDetail = CaseRecordSchema.extend({
  supervisionDocuments: z.array(SupervisionDocSchema).openapi({
    description:
      "The supervision documents (抗诉、再审检察建议、检察建议、纠正违法) on the same normalised 案号 " +
      "that the caller sees: derived from the documents, never copied",
  }),
  timeline: z.array(SubjectEventSchema),
}).openapi("CaseRecordDetail");

const GrantSchema = z
  .object({
    id: z.string(),
    owner: z.object({ id: z.string(), name: z.string() }),
    grantee: z.object({ id: z.string(), name: z.string() }),
    caseRecordId: z.string().nullable(),
    caseNumber: z.string().nullable(),
    rule: coded(CASE_GRANT_RULES.codes).nullable(),
    status: coded(["active", "revoked"] as const),
    note: z.string().nullable(),
    grantedBy: z.object({ id: z.string(), name: z.string() }),
    revokedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("CaseGrant");

const GrantInput = z
  .object({
    caseRecordId: Id.optional(),
    rule: z.enum(CASE_GRANT_RULES.codes).optional(),
    note: optText(500),
  })
  .strict()
  .refine((g) => (g.caseRecordId === undefined) !== (g.rule === undefined), {
    message: "give exactly one of caseRecordId or rule",
    path: ["caseRecordId"],
  })
  .openapi("CaseGrantInput", { example: { rule: "with_supervision_document" } });

const AccessSchema = z
  .object({
    id: z.string(),
    caseRecord: z.object({ id: z.string(), caseNumber: z.string().nullable() }),
    grantId: z.string().nullable(),
    actor: z.object({
      id: z.string(),
      name: z.string(),
      org: z.object({ id: z.string(), name: z.string() }),
    }),
    action: coded(CASE_ACCESS_ACTIONS.codes),
    purpose: z.string().nullable(),
    query: z.record(z.string(), z.unknown()).nullable(),
    at: z.string(),
  })
  .openapi("CaseAccessEntry");

const CopyInput = z
  .object({
    purpose: text(500).openapi({ example: "办理(2026)京0105刑初123号抗诉案件审查需要" }),
    material: z
      .array(Sha256)
      .max(50)
      .optional()
      .openapi({ description: "sha256 of the items; all when omitted" }),
  })
  .strict()
  .openapi("CaseCopyInput");

const CopySchema = z
  .object({
    record: CaseRecordSchema,
    material: z.array(
      z.object({ name: z.string(), size: z.number(), sha256: z.string(), mediaType: z.string() }),
    ),
    purpose: z.string(),
    copiedAt: z.string(),
  })
  .openapi("CaseCopy");

const RecordParams = z.object({ id: Id });

const SearchQuery = z.object({
  caseNumber: z
    .string()
    .max(100)
    .optional()
    .openapi({ description: "案号, normalised (brackets, full-width digits, spaces, 第…号)" }),
  party: z.string().trim().min(1).max(100).optional().openapi({ description: "Part of a party's name" }),
  stage: z.enum(CASE_STAGES.codes).optional(),
  caseType: z.enum(CASE_CATEGORIES.codes).optional(),
  area: z.enum(CASE_AREAS.codes).optional(),
  owner: z.enum(["mine", "shared"]).optional().openapi({ description: "Own records or the counterpart's" }),
  updatedSince: updatedSince("Only records changed after this instant."),
});

// ── Mapping ───────────────────────────────────────────────────────────────────────────────────

function toRecord(r: CaseRecordRow, myOrg: string): z.infer<typeof CaseRecordSchema> {
  const own = r.owner.id === myOrg;
  return {
    id: r.id,
    caseNumber: r.caseNumber,
    caseKey: r.caseKey,
    courtName: r.courtName,
    caseType: CASE_CATEGORIES.item(r.caseType as never),
    area: r.area ? CASE_AREAS.item(r.area as never) : null,
    stage: CASE_STAGES.item(r.stage as never),
    parties: r.parties,
    keyDates: r.keyDates,
    summary: r.summary,
    charges: {
      prosecuted: r.chargeProsecuted,
      judged: r.chargeJudged,
      differs: !!r.chargeProsecuted && !!r.chargeJudged && r.chargeProsecuted !== r.chargeJudged,
    },
    material: r.material,
    source: r.source,
    importId: r.importId,
    owner: { id: r.owner.id, name: r.owner.name, kind: ORG_KINDS.item(r.owner.kind) },
    access: { own, grantId: r.grantId, audited: !own },
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

const toDoc = (d: ReturnType<typeof docs>[number]): z.infer<typeof SupervisionDocSchema> => ({
  ...d,
  type: DOC_TYPES.item(d.type as never),
  status: DOC_STATUSES.item(d.status as never),
  href: `/v1/documents/${d.id}`,
});

const toGrant = (g: GrantRow): z.infer<typeof GrantSchema> => ({
  id: g.id,
  owner: g.owner,
  grantee: g.grantee,
  caseRecordId: g.caseRecordId,
  caseNumber: g.caseNumber,
  rule: g.rule ? CASE_GRANT_RULES.item(g.rule as never) : null,
  status: { code: g.status, label: GRANT_STATUS[g.status] },
  note: g.note,
  grantedBy: { id: g.grantedBy.id, name: g.grantedBy.name ?? "" },
  revokedBy: g.revokedBy ? { id: g.revokedBy.id, name: g.revokedBy.name ?? "" } : null,
  revokedAt: g.revokedAt,
  createdAt: g.createdAt,
  updatedAt: g.updatedAt,
});
const GRANT_STATUS = { active: { zh: "有效", en: "Active" }, revoked: { zh: "已撤销", en: "Revoked" } };

const toAccess = (a: AccessRow): z.infer<typeof AccessSchema> => ({
  id: a.id,
  caseRecord: { id: a.caseRecordId, caseNumber: a.caseNumber },
  grantId: a.grantId,
  actor: {
    id: a.actor.id,
    name: a.actor.name ?? "",
    org: { id: a.actor.orgId, name: a.actor.orgName ?? "" },
  },
  action: CASE_ACCESS_ACTIONS.item(a.action),
  purpose: a.purpose,
  query: a.query ? (JSON.parse(a.query) as Record<string, unknown>) : null,
  at: a.at,
});

const validKey = (k: string) => Number.isFinite(Date.parse(k));

/** The filters of a search as the audit records them (what the counterpart asked for). */
const queryOf = (f: Record<string, unknown>) =>
  JSON.stringify(Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)));

// ── Import ────────────────────────────────────────────────────────────────────────────────────

/** The columns of an import file: Chinese headers (as the court's case system exports) or English keys. */
export const IMPORT_COLUMNS = {
  案号: "caseNumber",
  法院: "courtName",
  案件类型: "caseType",
  领域: "area",
  当事人: "parties",
  阶段: "stage",
  立案日期: "filedOn",
  裁判日期: "judgedOn",
  调解日期: "mediatedOn",
  执行立案日期: "enforcementFiledOn",
  结案日期: "closedOn",
  摘要: "summary",
  起诉罪名: "chargeProsecuted",
  判决罪名: "chargeJudged",
} as const;
const FIELDS = new Set<string>(Object.values(IMPORT_COLUMNS));
/** Columns the export adds that an import ignores (an exported file re-imports as it is). */
export const EXPORT_ONLY_COLUMNS = new Set(["提供单位"]);
export const IMPORT_MAX_ROWS = 5000;
export const IMPORT_MAX_BYTES = 2 * 1024 * 1024;

type RowError = { row: number; field: string; code: string; message: string };

/** A code given as the code or as its Chinese or English label. */
function codeOf(labels: Record<string, { zh: string; en: string }>, v: unknown): unknown {
  if (typeof v !== "string" || v.trim() === "") return v === "" ? undefined : v;
  const s = v.trim();
  for (const [code, l] of Object.entries(labels)) if (s === code || s === l.zh || s === l.en) return code;
  return s;
}

/** "张某(被告人);李某" → parties; an array of { name, role } passes as it is. */
function partiesOf(v: unknown): unknown {
  if (typeof v !== "string") return v;
  return v
    .split(/[;；、]/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const m = /^(.+?)\s*[(（]([^()（）]+)[)）]$/.exec(p);
      return m ? { name: m[1]!, role: m[2]! } : { name: p, role: null };
    });
}

/** One file row (keys: Chinese headers or English keys) as a record input, or its errors. */
function importRow(raw: Record<string, unknown>, row: number): { input?: RecordInput; errors: RowError[] } {
  const errors: RowError[] = [];
  const v: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(raw)) {
    const field = (IMPORT_COLUMNS as Record<string, string>)[k.trim()] ?? k.trim();
    if (EXPORT_ONLY_COLUMNS.has(k.trim())) continue;
    if (!FIELDS.has(field)) {
      errors.push({ row, field: k, code: "unknown_column", message: "not a column of the import format" });
      continue;
    }
    v[field] = typeof value === "string" && value.trim() === "" ? undefined : value;
  }
  const keyDates = Object.fromEntries(KEY_DATES.filter((k) => v[k] !== undefined).map((k) => [k, v[k]]));
  const candidate = {
    caseNumber: v.caseNumber,
    courtName: v.courtName,
    caseType: codeOf(CASE_CATEGORIES.labels, v.caseType),
    area: codeOf(CASE_AREAS.labels, v.area),
    stage: codeOf(CASE_STAGES.labels, v.stage),
    parties: partiesOf(v.parties),
    keyDates,
    summary: v.summary,
    chargeProsecuted: v.chargeProsecuted,
    chargeJudged: v.chargeJudged,
  };
  const parsed = RecordInputSchema.safeParse(candidate);
  if (!parsed.success)
    for (const i of parsed.error.issues) {
      const [top, ...rest] = i.path.map(String);
      const field = top === "keyDates" ? rest[0]! : (top ?? "");
      const missing = i.path.length === 1 && (candidate as Record<string, unknown>)[field] === undefined;
      const code = missing ? "required" : i.code === "invalid_value" ? "unknown_code" : i.code;
      errors.push({ row, field, code, message: missing ? "required" : i.message });
    }
  return errors.length ? { errors } : { input: parsed.data as RecordInput, errors };
}

/**
 * A CSV cell as written: the export defuses a formula by prefixing `'` (csvLine); one such `'` is
 * taken off again when what follows it is `'`s and then = + - @, so an exported file re-imports exactly.
 */
const cellOf = (s: string) => (/^'+[=+\-@]/.test(s) ? s.slice(1) : s);

/**
 * The file's rows as objects: CSV (first line = headers) or a JSON array of objects; with the
 * problems of the file's shape that lose data: a header named twice (`duplicate_column`, row 0) and
 * a row with more fields than the header (`too_many_fields`).
 */
function fileRows(
  contentType: string,
  body: string,
): { rows?: Record<string, unknown>[]; error?: string; errors: RowError[] } {
  if (contentType.startsWith("application/json")) {
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch {
      return { error: "not valid JSON", errors: [] };
    }
    // { "csv": "<the file's text>" }: a CSV file sent through the JSON-only request gate.
    if (data !== null && typeof data === "object" && typeof (data as { csv?: unknown }).csv === "string")
      return fileRows("text/csv", (data as { csv: string }).csv);
    if (!Array.isArray(data) || !data.every((r) => r !== null && typeof r === "object" && !Array.isArray(r)))
      return { error: 'a JSON array of objects (or { "csv": "<file>" }) is expected', errors: [] };
    return { rows: data as Record<string, unknown>[], errors: [] };
  }
  const table = parseCsv(body);
  if (!table) return { error: "a quoted field is not closed", errors: [] };
  const [header, ...lines] = table;
  if (!header) return { error: "the file is empty", errors: [] };
  const errors: RowError[] = [];
  const names = header.map((h) => h.trim());
  names.forEach((h, i) => {
    if (names.indexOf(h) !== i)
      errors.push({
        row: 0,
        field: h,
        code: "duplicate_column",
        message: `column ${i + 1} repeats a header`,
      });
  });
  lines.forEach((l, i) => {
    if (l.length > header.length)
      errors.push({
        row: i + 1,
        field: "",
        code: "too_many_fields",
        message: `${l.length} fields, the header has ${header.length} (quote a value holding a comma)`,
      });
  });
  return {
    rows: lines.map((l) => Object.fromEntries(header.map((h, i) => [h, cellOf(l[i] ?? "")]))),
    errors,
  };
}

const ImportReport = z
  .object({
    importId: z.string().nullable(),
    received: z.number().int(),
    imported: z.number().int(),
    errors: z.array(
      z.object({
        row: z.number().int().openapi({ description: "1 = the first data row (after the CSV header)" }),
        field: z.string(),
        code: z.string(),
        message: z.string(),
      }),
    ),
  })
  .openapi("CaseImportReport");

// ── Routes ────────────────────────────────────────────────────────────────────────────────────

export const sharedCasesRoutes = newRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/case-records",
      tags,
      summary: "Share a case (立案、裁判、调解、执行信息) owned by the caller's institution",
      description:
        "For the coordinating department: a user whose department carries the institution's " +
        "coordinating function (court: `trial_management`, 审判管理办公室; procuratorate: " +
        "`general_affairs`, 综合业务部) and any role but auditor; others 403 " +
        "`not_coordinating_department`. The 案号 is stored as written and normalised (`caseKey`); a " +
        "second record of the same normalised 案号 is 409 `duplicate_case_number`. Idempotent by " +
        "`Idempotency-Key` (same body → 200 with the first record; another body → 409).",
      roles: SHARING_ROLES,
      request: { headers: IdempotencyHeader, body: jsonBody(RecordInputSchema) },
      responses: {
        201: jsonResponse(CaseRecordSchema, "Created"),
        200: jsonResponse(CaseRecordSchema, "A retry: the record created by the first attempt"),
        403: errorResponse("`not_coordinating_department`, or the caller's role"),
        409: errorResponse("`duplicate_case_number`, `idempotency_key_reused`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const input = c.req.valid("json") as RecordInput;
      const key = c.req.valid("header")["idempotency-key"];
      const id = deps.ids();
      const hash = await sha256(JSON.stringify(input));
      const now = deps.clock.now().toISOString();
      const { principal, results } = await scope.run(
        createRecord(scope, { id, eventId: deps.ids(), key, hash, now, input }),
      );
      const [, , , byKey, probe, taken] = results;
      const [r] = records(byKey);
      if (r) {
        if (r.id !== id && r.requestHash !== hash)
          throw refuse(409, "idempotency_key_reused", "This Idempotency-Key was used for another record.");
        if (r.id !== id) c.header("Idempotent-Replayed", "true");
        c.header("Location", `/v1/case-records/${r.id}`);
        return c.json(toRecord(r, principal.orgId), r.id === id ? 201 : 200);
      }
      if (!probe[0]?.coordinating) throw notCoordinating();
      if (taken.length)
        throw refuse(409, "duplicate_case_number", `Your institution already shares ${input.caseNumber}.`);
      throw refuse(409, "concurrent_change", "The record could not be created; retry.");
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/case-records/import",
      tags,
      summary: "Import case records from the court's case system (CSV or JSON): all rows or none",
      description:
        "A CSV file as exported (`text/csv`, UTF-8, first line the headers; also accepted as " +
        '`application/json` `{ "csv": "<file text>" }`), or a JSON file: an array of objects. ' +
        "Columns (Chinese header / English key): 案号 caseNumber, 法院 courtName, 案件类型 caseType, " +
        "领域 area, 当事人 parties (`张某(被告人);李某(被害人)`), 阶段 stage, 立案日期 filedOn, 裁判日期 " +
        "judgedOn, 调解日期 mediatedOn, 执行立案日期 enforcementFiledOn, 结案日期 closedOn, 摘要 summary, " +
        "起诉罪名 chargeProsecuted, 判决罪名 chargeJudged. Codes may be given as the code or its Chinese " +
        "or English label; the export's own column 提供单位 is ignored and a value the export defused " +
        "with a leading `'` (a formula) is read without it, so an exported file re-imports as it is. " +
        "Every row is validated; if ANY row is refused (invalid field, unknown column, a row with more " +
        "fields than the header `too_many_fields`, a header named twice `duplicate_column` (row 0), a " +
        "案号 twice in the file, a 案号 your institution already shares) nothing is imported and the " +
        "answer is 422 listing every problem of every row at once. At most 5,000 rows and 2 MB (this route's own body limit).",
      roles: SHARING_ROLES,
      request: {
        body: {
          required: true,
          content: {
            "text/csv": { schema: z.string().openapi({ example: "案号,法院,案件类型,当事人,阶段\n…" }) },
            // Validated row by row by the route (a per-row report, not a 400).
            "application/json": {
              schema: z.unknown().openapi({
                description: 'An array of objects with the same keys, or { "csv": "<file text>" }',
                example: {
                  csv: "案号,法院,案件类型,当事人,阶段\n(2026)示0102刑初1号,示范市东湖区人民法院,刑事,张某(被告人),已裁判",
                },
              }),
            },
          },
        },
      },
      responses: {
        201: jsonResponse(ImportReport, "Every row imported"),
        403: errorResponse("`not_coordinating_department`"),
        413: errorResponse("`file_too_large`: more than 2 MB or 5,000 rows"),
        415: errorResponse("`unsupported_media_type`: neither text/csv nor application/json"),
        422: jsonResponse(ImportReport, "Rows refused; nothing imported"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const type = (c.req.header("content-type") ?? "").toLowerCase();
      if (!type.startsWith("text/csv") && !type.startsWith("application/json"))
        throw new ApiError(415, "unsupported_media_type", "Send text/csv or application/json.");
      const body = await c.req.text();
      if (new TextEncoder().encode(body).length > IMPORT_MAX_BYTES)
        throw new ApiError(413, "file_too_large", "The file is larger than 2 MB.");
      const { rows, error, errors: shape } = fileRows(type, body);
      if (!rows)
        return c.json(
          {
            importId: null,
            received: 0,
            imported: 0,
            errors: [{ row: 0, field: "", code: "unreadable", message: error! }],
          },
          422,
        );
      if (rows.length > IMPORT_MAX_ROWS)
        throw new ApiError(413, "file_too_large", `The file has more than ${IMPORT_MAX_ROWS} rows.`);
      const errors: RowError[] = [...shape];
      const inputs: RecordInput[] = [];
      const rowOf: number[] = []; // the file row of each input
      const seen = new Map<string, number>();
      rows.forEach((raw, i) => {
        const r = importRow(raw, i + 1);
        errors.push(...r.errors);
        if (!r.input) return;
        const k = caseKey(r.input.caseNumber);
        const first = seen.get(k);
        if (first !== undefined)
          errors.push({
            row: i + 1,
            field: "caseNumber",
            code: "duplicate_in_file",
            message: `same 案号 as row ${first}`,
          });
        else seen.set(k, i + 1);
        inputs.push(r.input);
        rowOf.push(i + 1);
      });
      if (rows.length === 0) errors.push({ row: 0, field: "", code: "empty", message: "no rows" });
      const report = (importId: string | null, imported: number, errs: RowError[]) => ({
        importId,
        received: rows.length,
        imported,
        errors: errs.sort((a, b) => a.row - b.row),
      });
      // One batch either way: with problems already found nothing is written, but the 案号 already
      // shared are still looked up, so the one answer reports every refused row.
      const importId = deps.ids();
      const now = deps.clock.now().toISOString();
      const ids = inputs.map(() => deps.ids());
      const write = errors.length === 0;
      const { results } = await scope.run(importRecords(scope, { importId, ids, rows: inputs, now, write }));
      const [, taken, count, coordinator] = results;
      if (!coordinator[0]?.coordinating) throw notCoordinating();
      for (const t of taken)
        errors.push({
          row: rowOf[t.row]!,
          field: "caseNumber",
          code: "duplicate_case_number",
          message: "your institution already shares this 案号",
        });
      if (errors.length) return c.json(report(null, 0, errors), 422);
      return c.json(report(importId, count[0]?.n ?? 0, []), 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/case-records",
      tags,
      summary: "Search the cases the caller may see (own and granted); the counterpart's hits are audited",
      description:
        "By 案号 (normalised: full-width/half-width brackets （）()〔〕[] and digits, spaces, 第…号; an " +
        "exact match through an index), part of a party's name (normalised), stage, case type, area. " +
        "Every record of the page that the counterpart's institution owns is written to the owner's " +
        "access audit (action `search`, with the query) in the same batch as the read. With " +
        "`caseNumber`, the answer also lists the supervision documents on that 案号 the caller sees.",
      roles: "any",
      request: {
        query: SearchQuery.extend({
          ...PageQuery.shape,
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({
            items: z.array(CaseRecordSchema),
            nextCursor: z.string().nullable(),
            supervisionDocuments: z.array(SupervisionDocSchema).optional(),
          }),
          "A page of records",
        ),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { limit, cursor, ...f } = c.req.valid("query");
      const filter: RecordFilter = { ...f, after: cursor ? decodeCursor(cursor, validKey) : undefined };
      const now = deps.clock.now().toISOString();
      const stmts = searchRecords(scope, {
        f: filter,
        limit,
        base: deps.ids(),
        now,
        query: queryOf(f),
        action: "search",
      });
      const withDocs = f.caseNumber !== undefined;
      const { principal, results } = await scope.run([
        ...stmts,
        supervisionDocuments(scope, withDocs ? caseKey(f.caseNumber!) : "\u0000"),
      ]);
      const page = paginate(records(results[1]), limit, (r) => encodeCursor([r.updatedAt, r.id]));
      return c.json(
        {
          items: page.items.map((r) => toRecord(r, principal.orgId)),
          nextCursor: page.nextCursor,
          ...(withDocs ? { supervisionDocuments: docs(results[2]).map(toDoc) } : {}),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/case-records/export",
      tags,
      summary: "Export the matching records as CSV (Chinese headers); the counterpart's rows are audited",
      description:
        "The same filters as the search, at most 5,000 rows (`limit`). Every exported record the " +
        "counterpart owns is written to its access audit (action `export`) in the same batch.",
      roles: "any",
      request: {
        query: SearchQuery.extend({ limit: z.coerce.number().int().min(1).max(5000).default(5000) }),
      },
      responses: {
        200: {
          description: "CSV, UTF-8 with a BOM, Chinese headers",
          content: { "text/csv": { schema: z.string() } },
        },
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { limit, ...f } = c.req.valid("query");
      const now = deps.clock.now().toISOString();
      const stmts = searchRecords(scope, {
        f,
        limit,
        base: deps.ids(),
        now,
        query: queryOf(f),
        action: "export",
      });
      const { results } = await scope.run(stmts);
      const rows = records(results[1]).slice(0, limit);
      const lines = [
        csvLine([...Object.keys(IMPORT_COLUMNS), "提供单位"]),
        ...rows.map((r) =>
          csvLine([
            r.caseNumber,
            r.courtName,
            CASE_CATEGORIES.label(r.caseType as never).zh,
            r.area ? CASE_AREAS.label(r.area as never).zh : null,
            r.parties.map((p) => (p.role ? `${p.name}(${p.role})` : p.name)).join(";"),
            CASE_STAGES.label(r.stage as never).zh,
            ...KEY_DATES.map((k) => r.keyDates[k] ?? null),
            r.summary,
            r.chargeProsecuted,
            r.chargeJudged,
            r.owner.name,
          ]),
        ),
      ];
      return c.body(`\ufeff${lines.join("\r\n")}\r\n`, 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": 'attachment; filename="case-records.csv"',
      });
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/case-records/{id}",
      tags,
      summary: "One record with the supervision documents on its 案号 and its timeline (audited read)",
      description:
        "The owner, or the counterpart while an active grant covers the record (404 otherwise, also " +
        "once the grant is revoked). A counterpart's read is written to the owner's access audit " +
        "(action `read`) in the same batch; the owner's own reads are not audited.",
      roles: "any",
      request: { params: RecordParams },
      responses: { 200: jsonResponse(CaseRecordDetail, "The record") },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const now = deps.clock.now().toISOString();
      const { principal, results } = await scope.run(
        [
          auditRows(scope, { base: deps.ids(), rows: oneRecord(scope, id), action: "read", now }),
          getRecord(scope, id),
          supervisionDocuments(scope, sql`(select ck_.case_key from case_records ck_ where ck_.id = ${id})`),
          getSubjectTimeline(scope, "case_record", id),
        ],
        (r) => r[1].length > 0,
      );
      const [, rows, docRows, events] = results;
      return c.json(
        {
          ...toRecord(records(rows)[0]!, principal.orgId),
          supervisionDocuments: docs(docRows).map(toDoc),
          timeline: events.map(toSubjectEvent),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/v1/case-records/{id}",
      tags,
      summary: "Change a record's stage, key dates (merged), summary, judged charge or material (owner)",
      description:
        "The owning institution's coordinating department only (the counterpart 403 `not_owner`). " +
        "The 案号, court, type and parties are not changed here (share a corrected record instead).",
      roles: SHARING_ROLES,
      request: { params: RecordParams, body: jsonBody(RecordChangeSchema) },
      responses: {
        200: jsonResponse(CaseRecordSchema, "The record"),
        403: errorResponse("`not_owner`, `not_coordinating_department`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const change = c.req.valid("json");
      const now = deps.clock.now().toISOString();
      const { principal, results } = await scope.run(
        updateRecord(scope, { id, eventId: deps.ids(), now, change }),
        (r) => (r[3] as unknown[]).length > 0,
      );
      const [, , , rows, probe, ok] = results;
      const r = records(rows)[0]!;
      if (!ok[0]?.ok) {
        if (r.owner.id !== principal.orgId)
          throw refuse(403, "not_owner", "Only the institution that shares the record may change it.");
        if (!probe[0]?.coordinating) throw notCoordinating();
        throw refuse(409, "concurrent_change", "The record changed while this request ran; retry.");
      }
      return c.json(toRecord(r, principal.orgId), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/case-records/{id}/copy",
      tags,
      summary: "Copy a record's material (a purpose is required); the counterpart's copy is audited",
      description:
        "Answers the record and the material items copied (all, or those named by sha256). The " +
        "counterpart's copy is written to the owner's access audit (action `copy`, with the purpose " +
        "and the items) in the same batch; without a purpose it is 400 and nothing is recorded.",
      roles: "any",
      request: { params: RecordParams, body: jsonBody(CopyInput) },
      responses: { 200: jsonResponse(CopySchema, "What was copied") },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const { purpose, material } = c.req.valid("json");
      const now = deps.clock.now().toISOString();
      const wanted = material ? [...new Set(material)] : null;
      // The copy is audited only when every requested item exists on the record.
      const allKnown = wanted
        ? sql`not exists (select 1 from json_each(${JSON.stringify(wanted)}) w_
            where w_.value not in (select m_.value ->> 'sha256' from case_records mr_, json_each(mr_.material) m_
              where mr_.id = ${id}))`
        : sql`1`;
      const { principal, results } = await scope.run(
        [
          auditRows(scope, {
            base: deps.ids(),
            rows: oneRecord(scope, id),
            action: "copy",
            now,
            purpose,
            query: JSON.stringify({ material: wanted }),
            when: allKnown,
          }),
          getRecord(scope, id),
        ],
        (r) => r[1].length > 0,
      );
      const r = records(results[1])[0]!;
      const items = wanted ? r.material.filter((m) => wanted.includes(m.sha256)) : r.material;
      if (wanted && items.length !== wanted.length)
        throw invalid(
          wanted.flatMap((s, i) =>
            r.material.some((m) => m.sha256 === s)
              ? []
              : [{ path: `material[${i}]`, message: "not an item of this record", code: "unknown_material" }],
          ),
        );
      return c.json({ record: toRecord(r, principal.orgId), material: items, purpose, copiedAt: now }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/case-grants",
      tags,
      summary: "Grant the counterpart access: one record, or a rule (all, with a supervision document)",
      description:
        "By the owning institution's coordinating department, to the other institution of the pair. " +
        "`rule: with_supervision_document` opens every record of the caller's institution whose 案号 " +
        "(normalised) is on a supervision document between the two institutions. A second identical " +
        "active grant is 409 `already_granted`. Idempotent by `Idempotency-Key`.",
      roles: SHARING_ROLES,
      request: { headers: IdempotencyHeader, body: jsonBody(GrantInput) },
      responses: {
        201: jsonResponse(GrantSchema, "Granted"),
        200: jsonResponse(GrantSchema, "A retry: the grant of the first attempt"),
        403: errorResponse("`not_owner`, `not_coordinating_department`"),
        409: errorResponse("`already_granted`, `idempotency_key_reused`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const input = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const id = deps.ids();
      const o = {
        id,
        eventId: deps.ids(),
        key,
        now: deps.clock.now().toISOString(),
        caseRecordId: input.caseRecordId ?? null,
        rule: input.rule ?? null,
        note: input.note ?? null,
      };
      const { results } = await scope.run(createGrant(scope, o));
      const [, , , byKey, probe, rec] = results;
      const [g] = grants(byKey);
      if (g) {
        const same = g.caseRecordId === o.caseRecordId && g.rule === o.rule && g.note === o.note;
        if (g.id !== id && !same)
          throw refuse(409, "idempotency_key_reused", "This Idempotency-Key was used for another grant.");
        if (g.id !== id) c.header("Idempotent-Replayed", "true");
        return c.json(toGrant(g), g.id === id ? 201 : 200);
      }
      if (o.caseRecordId && !rec[0]?.owned) {
        if (!rec[0]?.visible)
          throw invalid([{ path: "caseRecordId", message: "no such case record", code: "not_found" }]);
        throw refuse(403, "not_owner", "Only the institution that shares the record may grant access.");
      }
      if (!probe[0]?.coordinating) throw notCoordinating();
      throw refuse(409, "already_granted", "An identical grant is already active.");
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/case-grants",
      tags,
      summary: "The grants the caller's institution gave or received",
      description: "In update order, cursor-paginated; `updatedSince` for mobile sync.",
      roles: "any",
      request: {
        query: z.object({
          status: z.enum(["active", "revoked"]).optional(),
          direction: z.enum(["given", "received"]).optional(),
          updatedSince: updatedSince("Only grants changed after this instant."),
          ...PageQuery.shape,
        }),
      },
      responses: {
        200: jsonResponse(pageOf(GrantSchema), "A page"),
      },
    }),
    async (c) => {
      const { cursor, ...q } = c.req.valid("query");
      const scope = c.var.scope;
      const { items } = await scope.list<GrantRow>(
        listGrants(scope, { ...q, after: cursor ? decodeCursor(cursor, validKey) : undefined }),
      );
      const page = paginate(items, q.limit, (r) => encodeCursor([r.updatedAt, r.id]));
      return c.json({ items: page.items.map(toGrant), nextCursor: page.nextCursor }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/case-grants/{id}",
      tags,
      summary: "One grant (the `href` of the case_grant.* webhooks): its owner or its grantee",
      description: "Another institution gets 404.",
      roles: "any",
      request: { params: RecordParams },
      responses: { 200: jsonResponse(GrantSchema, "The grant") },
    }),
    async (c) => {
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const { results } = await scope.run([getGrant(scope, id)], (r) => r[0].length > 0);
      return c.json(toGrant(grants(results[0])[0]!), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/v1/case-grants/{id}/revoke",
      tags,
      summary: "Revoke a grant: its records are 404 to the counterpart from now on; the audit stays",
      roles: SHARING_ROLES,
      request: {
        params: RecordParams,
        body: jsonBody(
          z
            .object({ note: optText(500) })
            .strict()
            .openapi("CaseGrantRevoke"),
        ),
      },
      responses: {
        200: jsonResponse(GrantSchema, "Revoked"),
        403: errorResponse("`not_owner`, `not_coordinating_department`"),
        409: errorResponse("`already_revoked`"),
      },
    }),
    async (c) => {
      const deps = c.var.deps;
      const scope = c.var.scope;
      const { id } = c.req.valid("param");
      const now = deps.clock.now().toISOString();
      const { principal, results } = await scope.run(
        revokeGrant(scope, { id, eventId: deps.ids(), now, note: c.req.valid("json").note ?? null }),
        (r) => (r[3] as unknown[]).length > 0,
      );
      const [, , , rows, probe, ok] = results;
      const g = grants(rows)[0]!;
      if (!ok[0]?.ok) {
        if (g.owner.id !== principal.orgId)
          throw refuse(403, "not_owner", "Only the institution that gave the grant may revoke it.");
        if (g.status === "revoked") throw refuse(409, "already_revoked", "The grant is already revoked.");
        if (!probe[0]?.coordinating) throw notCoordinating();
        throw refuse(409, "concurrent_change", "The grant changed while this request ran; retry.");
      }
      return c.json(toGrant(g), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/v1/case-access-log",
      tags,
      summary: "The access audit of the caller's institution's records (who, what, when, why)",
      description:
        "Every read, search hit, copy and export of the institution's records by the counterpart, " +
        "newest first; append-only (the database refuses UPDATE and DELETE).",
      roles: "any",
      request: {
        query: z.object({
          actorId: Id.optional(),
          caseRecordId: Id.optional(),
          action: z.enum(CASE_ACCESS_ACTIONS.codes).optional(),
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().max(300).optional(),
        }),
      },
      responses: {
        200: jsonResponse(pageOf(AccessSchema), "A page"),
      },
    }),
    async (c) => {
      const { cursor, ...q } = c.req.valid("query");
      const scope = c.var.scope;
      const { items } = await scope.list<AccessRow>(
        listAccess(scope, { ...q, before: cursor ? decodeCursor(cursor, validKey) : undefined }),
      );
      const page = paginate(items, q.limit, (r) => encodeCursor([r.at, r.id]));
      return c.json({ items: page.items.map(toAccess), nextCursor: page.nextCursor }, 200);
    },
  );
