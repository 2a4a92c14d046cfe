import { json } from '@sveltejs/kit';
import { requireActor } from '#lib/server/auth';
import { parseQuery } from '#lib/server/http/query';
import { platform } from '#lib/server/platform';
import { catalogueQueue, listDeadLetters } from '#lib/server/queue/admin';
import { zListDeadLettersQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/admin/queues/{queue}/dead-letters — jobs that ran out of retries (admin:queues). */
export const GET: RequestHandler = async (event) => {
	requireActor(event, 'admin:queues');
	const name = catalogueQueue(event.params.queue);
	const { limit } = parseQuery(event.url, zListDeadLettersQuery, ['limit']);
	return json({ items: await listDeadLetters(platform().queue, name, limit ?? 50) });
};
