import { json } from '@sveltejs/kit';
import { requireActor } from '#lib/server/auth';
import { systemStatus } from '#lib/server/system';
import type { RequestHandler } from './$types';

/** GET /api/v1/admin/system — readiness, worker kinds and keyring use (admin:queues). */
export const GET: RequestHandler = async (event) => {
	requireActor(event, 'admin:queues');
	return json(await systemStatus());
};
