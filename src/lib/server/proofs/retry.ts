import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { agentEnrolledJob } from '#lib/server/agents';
import { recordAudit } from '#lib/server/audit';
import type { Db, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { licencesAddedJob } from '#lib/server/licences';
import { sendInTx, type Queue } from '#lib/server/queue';
import type { AuditContext } from '#lib/server/tenancy';
import { isReprocessable, proofOf } from './queries';
import { proofs, type ProofStatus } from './schema';
import { recordTransitions } from './transitions';

/**
 * Data of a `proofs.retry` job: one proof whose backoff ran out, the periodic
 * sweep, licences added to a tenant (re-test its `licence_exhausted` proofs)
 * or an agent enrolled (re-test the `agent_unknown` proofs it signed).
 */
export const retryJob = z.union([z.object({ proofId: z.uuid() }), z.object({ sweep: z.literal(true) }), licencesAddedJob, agentEnrolledJob]);

/**
 * Puts proofs back to RECEIVED and queues them (one transaction: the state
 * and the job commit together). Only from the given states, so a proof a
 * worker took up meanwhile is left alone.
 */
export async function requeue(tx: Tx, queue: Queue, ids: string[], from: ProofStatus[], actor: string, detail: string, resetRejection = false): Promise<number> {
	if (!ids.length) return 0;
	const moved = await tx
		.update(proofs)
		.set({
			status: 'RECEIVED',
			nextAttemptAt: null,
			claimedBy: null,
			claimedUntil: null,
			updatedAt: sql`now()`,
			completedAt: null,
			...(resetRejection ? { rejectionCode: null, rejectionDetail: null, retries: 0 } : {})
		})
		.where(and(inArray(proofs.id, ids), inArray(proofs.status, from)))
		.returning({ id: proofs.id, publicId: proofs.publicId, tenantId: proofs.tenantId });
	const prev = from.length === 1 ? from[0] : null;
	await recordTransitions(
		tx,
		actor,
		moved.map((p) => ({ proofId: p.id, publicId: p.publicId, tenantId: p.tenantId, from: prev, to: 'RECEIVED', detail }))
	);
	for (const p of moved) await sendInTx(queue, tx, 'proofs.validated', { proofId: p.id });
	return moved.length;
}

/** `proofs.retry` {proofId}: a FAILED_RETRYABLE proof whose backoff ran out goes back to RECEIVED. */
export async function retryProof(db: Db, queue: Queue, proofId: string): Promise<number> {
	return db.transaction((tx) => requeue(tx, queue, [proofId], ['FAILED_RETRYABLE'], 'worker:retry', 'automatic retry'));
}

/**
 * The periodic sweep (`proofs.retry` {sweep}): nothing is left behind by a
 * crash or a lost job. FAILED_RETRYABLE proofs past their next attempt go back
 * to RECEIVED; proofs held by a worker that died (claim ran out), or RECEIVED
 * for a while without being taken, get a fresh `proofs.validated` job (the
 * claim takes them whatever job wakes it).
 */
export async function sweepProofs(db: Db, queue: Queue, opts: { staleSeconds: number; limit?: number }): Promise<{ requeued: number; nudged: number }> {
	const limit = opts.limit ?? 1000;
	return db.transaction(async (tx) => {
		const due = await tx
			.select({ id: proofs.id })
			.from(proofs)
			.where(and(eq(proofs.status, 'FAILED_RETRYABLE'), lt(proofs.nextAttemptAt, sql`now() - interval '30 seconds'`)))
			.limit(limit);
		const requeued = await requeue(tx, queue, due.map((d) => d.id), ['FAILED_RETRYABLE'], 'worker:retry', 'retry after a missed wake-up');
		const stale = await tx
			.select({ id: proofs.id })
			.from(proofs)
			.where(
				sql`(${proofs.status} = 'VALIDATING' and ${proofs.claimedUntil} < now())
					or (${proofs.status} = 'RECEIVED' and ${proofs.updatedAt} < now() - make_interval(secs => ${opts.staleSeconds}))`
			)
			.limit(limit);
		for (const s of stale) await sendInTx(queue, tx, 'proofs.validated', { proofId: s.id });
		return { requeued, nudged: stale.length };
	});
}

/**
 * An operator reprocesses a proof (`licence_exhausted` after a
 * top-up; `agent_unknown` after an enrolment; FAILED_RETRYABLE at once).
 * Other states answer 409. Audited.
 */
export async function reprocessProof(tx: Tx, queue: Queue, tenantId: string, publicId: string, ctx: AuditContext) {
	const p = await proofOf(tx, tenantId, publicId);
	if (!isReprocessable(p)) {
		throw new ApiError(
			'conflict',
			p.status === 'REJECTED' ? `A proof rejected with ${p.rejectionCode} cannot change by reprocessing it.` : `A proof in state ${p.status} is not reprocessed.`
		);
	}
	const who = ctx.actor ? `${ctx.actor.kind}:${ctx.actor.id}` : 'unknown';
	await requeue(tx, queue, [p.id], [p.status], who, 'reprocess requested', true);
	await recordAudit(tx, {
		actor: ctx.actor,
		tenantId,
		action: 'proof.reprocess',
		target: `proof:${publicId}`,
		result: 'success',
		correlationId: ctx.correlationId,
		sourceIp: ctx.sourceIp,
		details: { from: p.status, code: p.rejectionCode }
	});
	return { publicId, status: 'RECEIVED' as const, duplicate: false };
}

/** The sweep runs every minute from pg-boss's scheduler (idempotent: upserts the schedule). */
export async function ensureSweepSchedule(queue: Queue): Promise<void> {
	await queue.boss.schedule('proofs.retry', '* * * * *', { sweep: true });
}
