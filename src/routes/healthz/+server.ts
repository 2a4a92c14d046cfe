import { operation } from '#lib/server/route';

/** Liveness: the process answers. It checks nothing else on purpose (a dead database is /readyz's job). */
export const GET = operation('getHealthz', async () => ({ status: 'ok' }));
