import { json } from '@sveltejs/kit';
import { describeActor } from '#lib/server/auth';
import { operation } from '#lib/server/route';

/** GET /api/v1/me — the caller. */
export const GET = operation('getMe', async ({ app, actor }) => json(await describeActor(app.database.db, actor), { headers: { 'cache-control': 'no-store' } }));
