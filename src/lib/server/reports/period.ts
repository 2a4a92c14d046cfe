import { sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';

/** A calendar month, `YYYY-MM`. */
export type Month = string;

export type ReportPeriod = { month: Month; timeZone: string; start: Date; end: Date };

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function parseMonth(month: Month): { year: number; month: number } {
	const m = MONTH.exec(month);
	if (!m) throw new Error(`not a month: ${month}`);
	return { year: Number(m[1]), month: Number(m[2]) };
}

/** The month before the UTC month of `now` (what the monthly schedule reports on). */
export function previousMonth(now: Date): Month {
	const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
	return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Every calendar day of the month, `YYYY-MM-DD`, first to last. */
export function daysOf(month: Month): string[] {
	const { year, month: m } = parseMonth(month);
	const n = new Date(Date.UTC(year, m, 0)).getUTCDate();
	return Array.from({ length: n }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}

/**
 * The month as an interval of instants in an IANA time zone: from its first
 * local midnight to the next month's (exclusive). PostgreSQL does the
 * conversion (`timestamp AT TIME ZONE zone`, with its tz database), the same
 * that counts the report's days, so the two can never disagree about a
 * daylight-saving change.
 */
export async function monthPeriod(db: DbOrTx, month: Month, timeZone: string): Promise<ReportPeriod> {
	parseMonth(month);
	const first = `${month}-01`;
	const iso = (expr: ReturnType<typeof sql>) => sql<string>`to_char((${expr}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
	const [row] = await db.execute<{ start: string; end: string }>(sql`
		select ${iso(sql`${first}::timestamp at time zone ${timeZone}`)} as start,
			${iso(sql`(${first}::date + interval '1 month')::timestamp at time zone ${timeZone}`)} as end`);
	return { month, timeZone, start: new Date(row.start), end: new Date(row.end) };
}
