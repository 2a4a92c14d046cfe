import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { proofEvents } from './schema';

/**
 * A tenant's proof timeline over one period, for monthly reports: read from
 * the state changes (`proof_events`), which stay as they were, rather than
 * from the proofs' current state, which a later re-test changes.
 */
type Period = { start: Date; end: Date };

const inPeriod = (tenantId: string, to: 'REJECTED' | 'CERTIFIED', p: Period) =>
	and(eq(proofEvents.tenantId, tenantId), eq(proofEvents.toStatus, to), gte(proofEvents.at, p.start), lt(proofEvents.at, p.end));

/**
 * Proofs rejected in the period, by code: each proof once per code (a proof
 * re-tested and rejected again for the same reason counts once), most
 * frequent first.
 */
export async function rejectionsInPeriod(db: DbOrTx, tenantId: string, p: Period): Promise<{ code: string; count: number }[]> {
	const rows = await db
		.select({ code: proofEvents.code, count: sql<number>`count(distinct ${proofEvents.proofId})::int` })
		.from(proofEvents)
		.where(inPeriod(tenantId, 'REJECTED', p))
		.groupBy(proofEvents.code);
	return rows
		.map((r) => ({ code: r.code ?? 'unknown', count: Number(r.count) }))
		.sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** Proofs whose certificate's anchoring completed in the period (their move to CERTIFIED). */
export async function anchoredInPeriod(db: DbOrTx, tenantId: string, p: Period): Promise<number> {
	const [row] = await db.select({ n: sql<number>`count(distinct ${proofEvents.proofId})::int` }).from(proofEvents).where(inPeriod(tenantId, 'CERTIFIED', p));
	return Number(row?.n ?? 0);
}
