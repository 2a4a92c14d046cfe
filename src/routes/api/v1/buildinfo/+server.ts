import { buildInfo } from '#lib/server/buildinfo';
import { operation } from '#lib/server/route';

/** GET /api/v1/buildinfo — version, commit and build time of this build. */
export const GET = operation('getBuildinfo', async () => buildInfo);
