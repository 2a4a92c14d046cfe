import { json } from '@sveltejs/kit';
import { readiness } from '#lib/server/health';
import { operation } from '#lib/server/route';

/** GET /api/v1/health — readiness for the dashboard (same checks as /readyz, always 200 so pages can render it). */
export const GET = operation('getHealth', async ({ app }) => json(await readiness(app), { headers: { 'cache-control': 'no-store' } }));
