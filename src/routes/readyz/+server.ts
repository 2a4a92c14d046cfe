import { json } from '@sveltejs/kit';
import { readiness } from '#lib/server/health';
import { operation } from '#lib/server/route';

/** Readiness: 200 when database, queue and storage answer; 503 naming what failed. */
export const GET = operation('getReadyz', async ({ app }) => {
	const result = await readiness(app);
	const failed = result.checks.filter((c) => !c.ok).map((c) => c.name);
	return json(
		{ status: result.ready ? 'ready' : 'unavailable', failed, checks: result.checks },
		{ status: result.ready ? 200 : 503, headers: { 'cache-control': 'no-store' } }
	);
});
