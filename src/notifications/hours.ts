// Business hours: webhook and digest delivery happen within a jurisdiction's working hours on its
// working days (China Standard Time); urgent events and the inbox are not held back.
import { sql, type SQL } from "drizzle-orm";
import { chinaDate } from "../calendar/calendar.engine";

export const DEFAULT_BUSINESS_HOURS = { start: "08:30", end: "17:30" } as const;

/** The time of day in China Standard Time, "HH:MM". */
export function chinaTime(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(11, 16);
}

/**
 * SQL true when `at` is within the business hours of jurisdiction `jurisdictionId`, on one of its
 * working days.
 */
export function withinBusinessHours(jurisdictionId: SQL, at: Date): SQL {
  const day = chinaDate(at);
  const time = chinaTime(at);
  const setting = (col: "business_start" | "business_end", dflt: string) =>
    sql`coalesce((select ${sql.raw(`bs_.${col}`)} from delivery_settings bs_
      where bs_.jurisdiction_id = ${jurisdictionId}), ${dflt})`;
  return sql`(exists (select 1 from calendar_days bc_ join jurisdictions bj_ on bj_.id = ${jurisdictionId}
      where bc_.day = ${day}
        and (bc_.kind = 'workday' or (bc_.kind = 'makeup' and bj_.count_makeup_workdays)))
    and ${time} >= ${setting("business_start", DEFAULT_BUSINESS_HOURS.start)}
    and ${time} < ${setting("business_end", DEFAULT_BUSINESS_HOURS.end)})`;
}
