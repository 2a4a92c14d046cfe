import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';

/** Liveness: the process answers. It checks nothing else on purpose (a dead database is /readyz's job). */
export const GET: RequestHandler = () => json({ status: 'ok' });
