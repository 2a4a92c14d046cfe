import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '#lib/server/db/client';
import { currentBalance, withLedgerLock } from '#lib/server/licences';
import type { Queue } from '#lib/server/queue';
import { agentUnknownDetail } from './rejections';
import { requeue } from './retry';
import { proofs } from './schema';

/**
 * Licences were added to a tenant: its proofs rejected `licence_exhausted`
 * go back to RECEIVED in arrival order, as many as the balance allows, each
 * with a timeline entry. Under the tenant's ledger lock, so two top-ups in a
 * row re-test disjoint proofs and none twice. The proof worker claims the
 * oldest first and charges a batch in arrival order; a proof that still finds
 * no licence (one submitted meanwhile took it) is rejected again and waits
 * for the next top-up.
 */
export async function retestExhausted(db: Db, queue: Queue, tenantId: string, ledgerEntryId: number): Promise<{ retested: number; balance: number }> {
	return db.transaction((tx) =>
		withLedgerLock(tx, tenantId, async () => {
			const balance = await currentBalance(tx, tenantId);
			if (balance <= 0) return { retested: 0, balance };
			const waiting = await tx
				.select({ id: proofs.id })
				.from(proofs)
				.where(and(eq(proofs.tenantId, tenantId), eq(proofs.status, 'REJECTED'), eq(proofs.rejectionCode, 'licence_exhausted')))
				.orderBy(asc(proofs.receivedAt), asc(proofs.id))
				.limit(balance)
				.for('update', { skipLocked: true });
			const retested = await requeue(tx, queue, waiting.map((w) => w.id), ['REJECTED'], 'worker:retry', `re-tested after licences were added (ledger row ${ledgerEntryId})`, true);
			return { retested, balance };
		})
	);
}

/**
 * An agent enrolled: the tenant's proofs rejected `agent_unknown` because
 * they were signed by that agent's certificate go back to RECEIVED (in
 * arrival order), each with a timeline entry.
 */
export async function retestAgentUnknown(db: Db, queue: Queue, tenantId: string, certificateSerial: string): Promise<{ retested: number }> {
	return db.transaction(async (tx) => {
		const waiting = await tx
			.select({ id: proofs.id })
			.from(proofs)
			.where(
				and(
					eq(proofs.tenantId, tenantId),
					eq(proofs.status, 'REJECTED'),
					eq(proofs.rejectionCode, 'agent_unknown'),
					sql`lower(${proofs.rejectionDetail}) = ${agentUnknownDetail(certificateSerial)}`
				)
			)
			.orderBy(asc(proofs.receivedAt), asc(proofs.id))
			.for('update', { skipLocked: true });
		const retested = await requeue(tx, queue, waiting.map((w) => w.id), ['REJECTED'], 'worker:retry', `re-tested after the agent with ${agentUnknownDetail(certificateSerial)} enrolled`, true);
		return { retested };
	});
}
