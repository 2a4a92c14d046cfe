import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { licenceLedger } from './schema';

/**
 * A tenant's ledger over one period (a month in the tenant's time zone), for
 * monthly reports: sums of the rows' amounts by kind, and the opening balance
 * as the sum of every row before the period. Sums, not `balance_after`: a row's
 * `created_at` is its transaction's start, which may precede a row booked
 * just before it, so only sums make one month's closing the next month's
 * opening exactly.
 */
export type LedgerPeriodTotals = {
	opening: number;
	grants: number;
	topUps: number;
	/** licences consumed, as a positive number */
	consumptions: number;
	refunds: number;
	/** net sum of corrections (may be negative) */
	corrections: number;
	closing: number;
};

export async function ledgerPeriodTotals(db: DbOrTx, tenantId: string, p: { start: Date; end: Date }): Promise<LedgerPeriodTotals> {
	const start = p.start.toISOString();
	const inPeriod = (kind: string) => sql<string>`coalesce(sum(${licenceLedger.amount}) filter (where ${licenceLedger.kind} = ${kind} and ${licenceLedger.createdAt} >= ${start}::timestamptz), 0)`;
	const [row] = await db
		.select({
			opening: sql<string>`coalesce(sum(${licenceLedger.amount}) filter (where ${licenceLedger.createdAt} < ${start}::timestamptz), 0)`,
			grants: inPeriod('grant'),
			topUps: inPeriod('top_up'),
			consumptions: inPeriod('consumption'),
			refunds: inPeriod('refund'),
			corrections: inPeriod('correction')
		})
		.from(licenceLedger)
		.where(and(eq(licenceLedger.tenantId, tenantId), lt(licenceLedger.createdAt, p.end)));
	const t = {
		opening: Number(row.opening),
		grants: Number(row.grants),
		topUps: Number(row.topUps),
		consumptions: -Number(row.consumptions),
		refunds: Number(row.refunds),
		corrections: Number(row.corrections)
	};
	return { ...t, closing: t.opening + t.grants + t.topUps - t.consumptions + t.refunds + t.corrections };
}

/** Licences consumed per local day of the period (days without any are absent). */
export async function consumptionsPerDay(db: DbOrTx, tenantId: string, p: { start: Date; end: Date; timeZone: string }): Promise<Map<string, number>> {
	const day = sql<string>`to_char(${licenceLedger.createdAt} at time zone ${p.timeZone}, 'YYYY-MM-DD')`;
	const rows = await db
		.select({ day, n: sql<number>`count(*)::int` })
		.from(licenceLedger)
		.where(and(eq(licenceLedger.tenantId, tenantId), eq(licenceLedger.kind, 'consumption'), gte(licenceLedger.createdAt, p.start), lt(licenceLedger.createdAt, p.end)))
		// by position: the time zone is a parameter, so a repeated expression would not match the select's
		.groupBy(sql`1`);
	return new Map(rows.map((r) => [r.day, Number(r.n)]));
}
