import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { proofs, type ProofStatus } from './schema';

/** States a proof passes through before it is final (the dashboard's "in flight"). */
export const IN_FLIGHT: readonly ProofStatus[] = ['RECEIVED', 'VALIDATING', 'FAILED_RETRYABLE', 'CERTIFIED_PENDING_ANCHOR'];

/** Proofs rejected since `since` by rejection code, most frequent first. */
export async function rejectionsByCode(db: DbOrTx, tenantId: string, since: Date): Promise<{ code: string; count: number }[]> {
	const count = sql<number>`count(*)::int`;
	const rows = await db
		.select({ code: proofs.rejectionCode, count })
		.from(proofs)
		.where(and(eq(proofs.tenantId, tenantId), eq(proofs.status, 'REJECTED'), gte(proofs.updatedAt, since)))
		.groupBy(proofs.rejectionCode);
	return rows
		.map((r) => ({ code: r.code ?? 'unknown', count: r.count }))
		.sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

/** Proofs not yet final, by status (every in-flight status listed, zero included, in pipeline order). */
export async function proofsInFlight(db: DbOrTx, tenantId: string): Promise<{ status: ProofStatus; count: number }[]> {
	const rows = await db
		.select({ status: proofs.status, count: sql<number>`count(*)::int` })
		.from(proofs)
		.where(and(eq(proofs.tenantId, tenantId), inArray(proofs.status, [...IN_FLIGHT])))
		.groupBy(proofs.status);
	const by = new Map(rows.map((r) => [r.status, r.count]));
	return IN_FLIGHT.map((status) => ({ status, count: by.get(status) ?? 0 }));
}

export async function proofCount(db: DbOrTx, tenantId: string): Promise<number> {
	const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(proofs).where(eq(proofs.tenantId, tenantId));
	return row?.n ?? 0;
}
