import { json } from '@sveltejs/kit';
import { requireActor } from '#lib/server/auth';
import { platform } from '#lib/server/platform';
import { queueDepths } from '#lib/server/queue';
import type { RequestHandler } from './$types';

/** GET /api/v1/admin/queues — depth, failures and dead letters per queue (admin:queues). */
export const GET: RequestHandler = async (event) => {
	requireActor(event, 'admin:queues');
	return json({ items: await queueDepths(platform().queue) });
};
