import { and, asc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { proofs } from './schema';

const CERTIFIED = ['CERTIFIED', 'CERTIFIED_NO_ANCHOR', 'CERTIFIED_PENDING_ANCHOR'] as const;

export type ExpiredProof = { id: string; objectKey: string };

/**
 * Certified proofs whose raw file is past retention (`completed_at` before
 * `before`) and still stored, oldest first, one page after `afterId`. The row,
 * its certificate and the certificate's PDF are not affected by the purge.
 */
export async function certifiedProofsToPurge(db: DbOrTx, before: Date, limit: number, afterId?: string): Promise<ExpiredProof[]> {
	return db
		.select({ id: proofs.id, objectKey: proofs.objectKey })
		.from(proofs)
		.where(
			and(
				inArray(proofs.status, [...CERTIFIED]),
				lt(proofs.completedAt, before),
				isNull(proofs.objectPurgedAt),
				afterId ? gt(proofs.id, afterId) : undefined
			)
		)
		.orderBy(asc(proofs.id))
		.limit(limit);
}

/** Rejected proofs past retention (`updated_at`, when they were rejected, before `before`), one page after `afterId`. */
export async function rejectedProofsToPurge(db: DbOrTx, before: Date, limit: number, afterId?: string): Promise<ExpiredProof[]> {
	return db
		.select({ id: proofs.id, objectKey: proofs.objectKey })
		.from(proofs)
		.where(and(eq(proofs.status, 'REJECTED'), lt(proofs.updatedAt, before), isNull(proofs.objectPurgedAt), afterId ? gt(proofs.id, afterId) : undefined))
		.orderBy(asc(proofs.id))
		.limit(limit);
}

/** Records that the raw files of these proofs are gone (after the store deleted them). */
export async function markProofObjectsPurged(db: DbOrTx, ids: string[]): Promise<void> {
	if (!ids.length) return;
	await db.update(proofs).set({ objectPurgedAt: sql`now()` }).where(and(inArray(proofs.id, ids), isNull(proofs.objectPurgedAt)));
}

/**
 * Deletes rejected proofs (their timeline goes with them, ON DELETE CASCADE).
 * The caller leaves out proofs the append-only licence ledger still names.
 */
export async function deleteRejectedProofs(db: DbOrTx, ids: string[]): Promise<number> {
	if (!ids.length) return 0;
	const gone = await db.delete(proofs).where(and(inArray(proofs.id, ids), eq(proofs.status, 'REJECTED'))).returning({ id: proofs.id });
	return gone.length;
}
