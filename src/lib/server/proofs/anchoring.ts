import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '#lib/server/db/client';
import { proofs, type ProofStatus } from './schema';
import { recordTransitions } from './transitions';

/**
 * Moves certified proofs between CERTIFIED_PENDING_ANCHOR and CERTIFIED for
 * the anchor worker, with a timeline row each: `anchored` when an anchor
 * covering their certificates reached CHAIN_CONFIRMATIONS, `pending` when a
 * chain reorganisation took that anchor's block away. Proofs in any other
 * state are left alone; returns how many moved.
 */
export async function setAnchoring(tx: Tx, proofIds: string[], to: 'anchored' | 'pending', detail: string, actor: string): Promise<number> {
	if (!proofIds.length) return 0;
	const [from, next]: [ProofStatus, ProofStatus] = to === 'anchored' ? ['CERTIFIED_PENDING_ANCHOR', 'CERTIFIED'] : ['CERTIFIED', 'CERTIFIED_PENDING_ANCHOR'];
	const moved = await tx
		.update(proofs)
		.set({ status: next, updatedAt: sql`now()` })
		.where(and(inArray(proofs.id, proofIds), eq(proofs.status, from)))
		.returning({ id: proofs.id, publicId: proofs.publicId, tenantId: proofs.tenantId });
	await recordTransitions(
		tx,
		actor,
		moved.map((p) => ({ proofId: p.id, publicId: p.publicId, tenantId: p.tenantId, from, to: next, detail }))
	);
	return moved.length;
}
