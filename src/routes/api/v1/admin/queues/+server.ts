import { queueDepths } from '#lib/server/queue';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/queues — depth, failures and dead letters per queue. */
export const GET = operation('listQueues', async ({ app }) => ({ items: await queueDepths(app.queue) }));
