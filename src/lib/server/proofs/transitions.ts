import { and, eq, inArray, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { DbOrTx, Tx } from '#lib/server/db/client';
import { publishEvent } from '#lib/server/events';
import { proofEvents, proofs, type ProofStatus } from './schema';

export type Transition = {
	proofId: string;
	publicId: string;
	tenantId: string;
	from: ProofStatus | null;
	to: ProofStatus;
	code?: string | null;
	detail?: string | null;
};

/**
 * Timeline rows and live events of a set of state changes made in `tx`
 * (one `proofs.status` event per tenant, so a batch of 50 is one NOTIFY).
 */
export async function recordTransitions(tx: DbOrTx, actor: string, changes: Transition[]): Promise<void> {
	if (!changes.length) return;
	const byTenant = new Map<string, Transition[]>();
	for (const c of changes) byTenant.set(c.tenantId, [...(byTenant.get(c.tenantId) ?? []), c]);
	// Independent statements of the caller's transaction, sent together (pipelined: one round trip).
	await Promise.all([
		tx.insert(proofEvents).values(
			changes.map((c) => ({ proofId: c.proofId, tenantId: c.tenantId, fromStatus: c.from, toStatus: c.to, code: c.code ?? null, detail: c.detail ?? null, actor }))
		),
		...[...byTenant].map(([tenantId, list]) =>
			publishEvent(tx, tenantId, 'proofs.status', {
				items: list.map((c) => ({ publicId: c.publicId, status: c.to, ...(c.code ? { code: c.code } : {}) }))
			})
		)
	]);
}

/**
 * Moves proofs that are still held by `workerId` (a claim that expired and
 * was taken over by another worker is left alone) to `to`; returns the ones
 * moved. Clears the claim when the new state is not VALIDATING.
 */
export async function moveClaimed(
	tx: Tx,
	workerId: string,
	ids: string[],
	to: ProofStatus,
	set: PgUpdateSetSource<typeof proofs> = {}
): Promise<{ id: string; publicId: string; tenantId: string }[]> {
	if (!ids.length) return [];
	const done = to !== 'VALIDATING' && to !== 'RECEIVED';
	return tx
		.update(proofs)
		.set({
			...set,
			status: to,
			updatedAt: sql`now()`,
			...(to === 'VALIDATING' ? {} : { claimedBy: null, claimedUntil: null }),
			...(done && to !== 'FAILED_RETRYABLE' ? { completedAt: sql`now()` } : {})
		})
		.where(and(inArray(proofs.id, ids), eq(proofs.status, 'VALIDATING'), eq(proofs.claimedBy, workerId)))
		.returning({ id: proofs.id, publicId: proofs.publicId, tenantId: proofs.tenantId });
}
