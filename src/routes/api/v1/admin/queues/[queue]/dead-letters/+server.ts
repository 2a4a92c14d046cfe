import { catalogueQueue, listDeadLetters } from '#lib/server/queue/admin';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/queues/{queue}/dead-letters — jobs that ran out of retries. */
export const GET = operation('listDeadLetters', async ({ app, params, query }) => ({
	items: await listDeadLetters(app.queue, catalogueQueue(params.queue), query.limit ?? 50)
}));
