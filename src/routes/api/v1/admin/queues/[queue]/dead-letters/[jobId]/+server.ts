import { auditContext, requireActor } from '#lib/server/auth';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { catalogueQueue, settleDeadLetter } from '#lib/server/queue/admin';
import type { RequestEvent } from './$types';

async function settle(event: RequestEvent, outcome: 'retried' | 'discarded') {
	const actor = requireActor(event, 'admin:queues');
	const name = catalogueQueue(event.params.queue);
	const { database, queue } = platform();
	const ctx = auditContext(event, actor);
	// Job delete, resend, audit row and the idempotency record commit together.
	const outcomeOf = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(name, event.params.jobId, outcome) }, async (tx) => ({
		status: outcome === 'retried' ? 202 : 200,
		body: await settleDeadLetter(tx, queue, name, event.params.jobId, outcome, ctx)
	}));
	return idempotentResponse(outcomeOf);
}

/** POST …/dead-letters/{jobId} — send a dead letter back to its queue (admin:queues; audited). */
export const POST = (event: RequestEvent) => settle(event, 'retried');

/** DELETE …/dead-letters/{jobId} — discard a dead letter (admin:queues; audited). */
export const DELETE = (event: RequestEvent) => settle(event, 'discarded');
