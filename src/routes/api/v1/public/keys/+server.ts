import { json } from '@sveltejs/kit';
import { operation } from '#lib/server/route';

/** GET /api/v1/public/keys — what an offline verifier trusts. */
export const GET = operation('getPublicKeys', async ({ app }) => json(await (await app.signer()).publicKeys(), { headers: { 'cache-control': 'public, max-age=300' } }));
