import { catalogueQueue, settleDeadLetter } from '#lib/server/queue/admin';
import { operation } from '#lib/server/route';

// Job delete, resend, audit row and the idempotency record commit together.

/** POST …/dead-letters/{jobId} — send a dead letter back to its queue (audited). */
export const POST = operation('retryDeadLetter', async ({ app, tx, params, audit }) => ({
	status: 202,
	body: await settleDeadLetter(tx, app.queue, catalogueQueue(params.queue), params.jobId, 'retried', audit)
}));

/** DELETE …/dead-letters/{jobId} — discard a dead letter (audited). */
export const DELETE = operation('discardDeadLetter', async ({ app, tx, params, audit }) => ({
	status: 200,
	body: await settleDeadLetter(tx, app.queue, catalogueQueue(params.queue), params.jobId, 'discarded', audit)
}));
