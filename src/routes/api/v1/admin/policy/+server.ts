import { json } from '@sveltejs/kit';
import { requireActor } from '#lib/server/auth';
import { effectivePolicy, getConfig } from '#lib/server/config';
import type { RequestHandler } from './$types';

/** GET /api/v1/admin/policy — the effective business settings of this process (admin:queues; issue 7 §4). */
export const GET: RequestHandler = async (event) => {
	requireActor(event, 'admin:queues');
	return json({ settings: effectivePolicy(getConfig()) });
};
