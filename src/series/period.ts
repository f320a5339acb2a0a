// Period arithmetic of recurring series (ADR 0009), in China time: the period an instant falls in,
// the period's first day, the next and previous period. Keys sort as strings within one cadence
// ('2027-H1' < '2027-H2' < '2028-H1'), which is what lets SQL compare periods with `<`.
import { sql, type SQL } from "drizzle-orm";
import { chinaDate } from "../calendar/calendar.engine";
import type { Cadence } from "../vocab";

/** The shape of a period key per cadence. */
export const PERIOD_PATTERNS: Record<Cadence, RegExp> = {
  month: /^\d{4}-(0[1-9]|1[0-2])$/,
  quarter: /^\d{4}-Q[1-4]$/,
  half_year: /^\d{4}-H[12]$/,
  year: /^\d{4}$/,
};

/** Any period key of any cadence (for validating input before the series' cadence is known). */
export const ANY_PERIOD = /^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$/;

const MONTHS: Record<Cadence, number> = { month: 1, quarter: 3, half_year: 6, year: 12 };

export const isPeriod = (cadence: Cadence, period: string) => PERIOD_PATTERNS[cadence].test(period);

/** The period key of the month index `m` (year × 12 + month − 1). */
function keyOf(cadence: Cadence, m: number): string {
  const year = String(Math.floor(m / 12)).padStart(4, "0");
  const month = (m % 12) + 1;
  switch (cadence) {
    case "month":
      return `${year}-${String(month).padStart(2, "0")}`;
    case "quarter":
      return `${year}-Q${Math.ceil(month / 3)}`;
    case "half_year":
      return `${year}-H${month <= 6 ? 1 : 2}`;
    case "year":
      return year;
  }
}

/** The month index of a period's first month; throws for a key that is not of the cadence. */
function firstMonth(cadence: Cadence, period: string): number {
  if (!isPeriod(cadence, period)) throw new RangeError(`${period} is not a ${cadence} period`);
  const year = Number(period.slice(0, 4));
  const rest = period.slice(5);
  const month =
    cadence === "month"
      ? Number(rest)
      : cadence === "quarter"
        ? (Number(rest.slice(1)) - 1) * 3 + 1
        : cadence === "half_year"
          ? rest === "H1"
            ? 1
            : 7
          : 1;
  return year * 12 + month - 1;
}

/** The period an instant falls in, by its date in China time (UTC+8). */
export function periodOf(cadence: Cadence, at: Date): string {
  const day = chinaDate(at);
  return keyOf(cadence, Number(day.slice(0, 4)) * 12 + Number(day.slice(5, 7)) - 1);
}

/** The first day of a period (a China-time date, YYYY-MM-DD). */
export function periodStart(cadence: Cadence, period: string): string {
  const m = firstMonth(cadence, period);
  return `${String(Math.floor(m / 12)).padStart(4, "0")}-${String((m % 12) + 1).padStart(2, "0")}-01`;
}

/** The last day of a period (a China-time date, YYYY-MM-DD). */
export function periodEnd(cadence: Cadence, period: string): string {
  const d = new Date(`${periodStart(cadence, nextPeriod(cadence, period))}T00:00:00Z`);
  return new Date(d.getTime() - 86_400_000).toISOString().slice(0, 10);
}

/** SQL: the last day of the period `p` of cadence `cadence` (both SQL), as `periodEnd` computes it. */
export const periodEndSql = (cadence: SQL, p: SQL) => sql`(case ${cadence}
    when 'month' then date(${p} || '-01', '+1 month', '-1 day')
    when 'quarter' then date(substr(${p}, 1, 4) || '-'
      || printf('%02d', cast(substr(${p}, 7, 1) as integer) * 3 - 2) || '-01', '+3 months', '-1 day')
    when 'half_year' then substr(${p}, 1, 4) || (case substr(${p}, 6) when 'H1' then '-06-30' else '-12-31' end)
    else substr(${p}, 1, 4) || '-12-31' end)`;

/** The instant a period begins: 00:00 China time of its first day. */
export const periodStartsAt = (cadence: Cadence, period: string) =>
  new Date(`${periodStart(cadence, period)}T00:00:00+08:00`);

/** The period `n` periods after `period` (before, for negative `n`). */
export const addPeriods = (cadence: Cadence, period: string, n: number) =>
  keyOf(cadence, firstMonth(cadence, period) + n * MONTHS[cadence]);

export const nextPeriod = (cadence: Cadence, period: string) => addPeriods(cadence, period, 1);

/** The last period that begins at most `years` years after the current period (at `now`) begins. */
export const periodYearsAhead = (cadence: Cadence, now: Date, years: number) =>
  addPeriods(cadence, periodOf(cadence, now), (years * 12) / MONTHS[cadence]);

/** Labels of a period for people: '2027年上半年' / 'first half of 2027'. */
export function periodLabel(cadence: Cadence, period: string): { zh: string; en: string } {
  const m = firstMonth(cadence, period);
  const year = Math.floor(m / 12);
  const month = (m % 12) + 1;
  switch (cadence) {
    case "month":
      return { zh: `${year}年${month}月`, en: `${year}-${String(month).padStart(2, "0")}` };
    case "quarter": {
      const q = Math.ceil(month / 3);
      return { zh: `${year}年第${"一二三四"[q - 1]}季度`, en: `Q${q} ${year}` };
    }
    case "half_year":
      return month === 1
        ? { zh: `${year}年上半年`, en: `first half of ${year}` }
        : { zh: `${year}年下半年`, en: `second half of ${year}` };
    case "year":
      return { zh: `${year}年`, en: `${year}` };
  }
}
