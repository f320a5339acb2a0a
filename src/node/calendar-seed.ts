// Seeds the holiday calendar from the `chinese-days` package for every year not yet loaded (Node only:
// the data stays out of the Worker bundle; `npm run db:migrate` seeds a remote database the same way).
import data from "chinese-days/dist/chinese-days.json" with { type: "json" };
import { sql } from "drizzle-orm";
import { loadYearStatements, reindexStatement, type SpecialDay } from "../calendar/calendar.service";
import type { Db } from "../db/client";

export async function seedCalendar(db: Db, at: Date) {
  const byYear = new Map<number, SpecialDay[]>();
  const add = (entries: Record<string, string>, kind: SpecialDay["kind"]) => {
    for (const [date, label] of Object.entries(entries)) {
      const year = Number(date.slice(0, 4));
      const name = label.split(",")[1] ?? label;
      (byYear.get(year) ?? byYear.set(year, []).get(year)!).push({ date, kind, name });
    }
  };
  add(data.holidays, "holiday");
  add(data.workdays, "makeup");
  const loaded = new Set(
    (await db.all<{ year: number }>(sql`select year from calendar_years`)).map((r) => r.year),
  );
  const missing = [...byYear.keys()].filter((y) => !loaded.has(y)).sort();
  if (missing.length === 0) return [];
  const meta = { source: "chinese-days", at: at.toISOString(), by: null };
  const statements = [
    ...missing.flatMap((y) => loadYearStatements(db, y, byYear.get(y)!, meta)),
    reindexStatement(db),
  ];
  await db.batch(statements as [(typeof statements)[0], ...typeof statements]);
  return missing;
}
