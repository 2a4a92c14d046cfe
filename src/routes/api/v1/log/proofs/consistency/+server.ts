import { json } from '@sveltejs/kit';
import { consistencyProof } from '#lib/server/log';
import { operation } from '#lib/server/route';

/** GET /api/v1/log/proofs/consistency?first=&second= — RFC 9162 §2.1.4. */
export const GET = operation('getLogConsistencyProof', async ({ app, query }) =>
	json(await consistencyProof(app.database.db, query.first, query.second), { headers: { 'cache-control': 'public, max-age=31536000, immutable' } })
);
