import { json } from '@sveltejs/kit';
import { readiness } from '#lib/server/health';
import type { RequestHandler } from './$types';

/** Readiness for the dashboard (same checks as /readyz, always 200 so pages can render it). */
export const GET: RequestHandler = async () => json(await readiness(), { headers: { 'cache-control': 'no-store' } });
