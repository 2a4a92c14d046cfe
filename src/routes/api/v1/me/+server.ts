import { json } from '@sveltejs/kit';
import { describeActor, requireAuthenticated } from '#lib/server/auth';
import { platform } from '#lib/server/platform';
import type { RequestHandler } from './$types';

/** GET /api/v1/me — the caller (x-wipecert-action: authenticated). */
export const GET: RequestHandler = async (event) => {
	const actor = requireAuthenticated(event);
	return json(await describeActor(platform().database.db, actor), { headers: { 'cache-control': 'no-store' } });
};
