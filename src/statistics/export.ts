// CSV and XLSX of the statistics tables, with Chinese headers. The XLSX writer (write-excel-file,
// ≈20 KB gzip) is imported only inside the XLSX path, so no other request evaluates it.
import type { Context } from "hono";
import type { Table } from "./statistics";

export const CSV = "text/csv";
export const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
export type Format = "json" | "csv" | "xlsx";

/** `?format=` first, then the Accept header; JSON otherwise. */
export function formatOf(c: Context, format: Format | undefined): Format {
  if (format) return format;
  const accept = c.req.header("accept") ?? "";
  if (accept.includes(XLSX)) return "xlsx";
  if (accept.includes(CSV)) return "csv";
  return "json";
}

/**
 * A text a spreadsheet shows as text, never runs: one starting with = + - @ (or a tab or carriage
 * return, which some programs skip before them) gets a leading apostrophe (OWASP CSV injection).
 */
export const safeText = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);

/** What goes in a spreadsheet: the header row (Chinese) and the rows, figures as numbers. */
function grid(t: Table, rollup: boolean): (string | number | null)[][] {
  const header = [
    ...(rollup ? ["辖区"] : []),
    ...t.dims.map((d) => d.label.zh),
    ...t.measures.map((m) => m.label.zh),
  ];
  const rows = t.rows.map((r) => [
    ...(rollup ? [r.pair ? r.pair.name : "合计"] : []),
    ...t.dims.map((d) => r.dims[d.key]?.label.zh ?? ""),
    ...t.measures.map((m) => r.figures[m.key]?.value ?? null),
  ]);
  return [header, ...rows];
}

const csvCell = (v: string | number | null) => {
  if (v === null) return "";
  if (typeof v === "number") return String(v);
  const s = safeText(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** CSV with a UTF-8 BOM (Excel then reads the Chinese); several tables follow each other, each under its title. */
export function toCsv(tables: Table[], title: string, rollup: boolean): string {
  const blocks = tables.map((t) => {
    const lines = grid(t, rollup).map((row) => row.map(csvCell).join(","));
    return tables.length > 1
      ? [csvCell(`${t.title.zh}(${title})`), ...lines].join("\r\n")
      : lines.join("\r\n");
  });
  return `\uFEFF${blocks.join("\r\n\r\n")}\r\n`;
}

/** Sheet names: at most 31 characters, none of []:*?/\ . */
const sheetName = (s: string) => s.replace(/[[\]:*?/\\]/g, " ").slice(0, 31);

/** XLSX: one sheet per table, its Chinese title above the header row. */
export async function toXlsx(tables: Table[], title: string, rollup: boolean): Promise<ArrayBuffer> {
  const { default: writeXlsxFile } = await import("write-excel-file/universal");
  const sheets = tables.map((t) => ({
    sheet: sheetName(t.title.zh),
    data: [
      [{ value: safeText(`${t.title.zh}(${title})`), fontWeight: "bold" as const }],
      ...grid(t, rollup).map((row, i) =>
        row.map((v) =>
          v === null
            ? null
            : typeof v === "number"
              ? { value: v, type: Number }
              : { value: safeText(v), type: String, ...(i === 0 ? { fontWeight: "bold" as const } : {}) },
        ),
      ),
    ],
  }));
  return (await writeXlsxFile(sheets).toBlob()).arrayBuffer();
}

/** Content-Disposition with an ASCII fallback and the Chinese name as RFC 5987 `filename*`. */
export function attachment(ascii: string, name: string): string {
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
