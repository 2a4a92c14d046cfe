import { json } from '@sveltejs/kit';
import { enforceRateLimit } from '#lib/server/ratelimit';
import { getSigner } from '#lib/server/signer';
import type { RequestHandler } from './$types';

/** GET /api/v1/public/keys — what an offline verifier trusts (public, rate limited). */
export const GET: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'verify');
	return json(await (await getSigner()).publicKeys(), { headers: { 'cache-control': 'public, max-age=300' } });
};
