import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { licenceLedger } from './schema';

/**
 * The licence burn-down: per UTC day from `days[0]`, the balance at the end of
 * the day and the licences used that day (consumptions net of refunds). Read
 * from `balance_after` of each day's last ledger row, so it needs no replay of
 * the whole ledger; a day without rows carries the previous balance forward.
 */
export async function dailyBalances(db: DbOrTx, tenantId: string, days: string[]): Promise<{ day: string; balance: number; consumed: number }[]> {
	if (!days.length) return [];
	const since = new Date(`${days[0]}T00:00:00Z`);
	const [opening] = await db
		.select({ balance: licenceLedger.balanceAfter })
		.from(licenceLedger)
		.where(and(eq(licenceLedger.tenantId, tenantId), lt(licenceLedger.createdAt, since)))
		.orderBy(desc(licenceLedger.id))
		.limit(1);
	const day = sql<string>`to_char(${licenceLedger.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
	const rows = await db
		.select({
			day,
			// the row with the highest id is the day's last booking (ids follow the ledger's order)
			closing: sql<number>`(array_agg(${licenceLedger.balanceAfter} order by ${licenceLedger.id} desc))[1]`,
			used: sql<number>`coalesce(-sum(${licenceLedger.amount}) filter (where ${licenceLedger.kind} in ('consumption', 'refund')), 0)::int`
		})
		.from(licenceLedger)
		.where(and(eq(licenceLedger.tenantId, tenantId), gte(licenceLedger.createdAt, since)))
		.groupBy(day);
	const by = new Map(rows.map((r) => [r.day, r]));
	let balance = opening?.balance ?? 0;
	return days.map((d) => {
		const r = by.get(d);
		if (r) balance = Number(r.closing);
		return { day: d, balance, consumed: r ? Number(r.used) : 0 };
	});
}
