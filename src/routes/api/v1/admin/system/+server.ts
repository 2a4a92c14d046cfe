import { operation } from '#lib/server/route';
import { systemStatus } from '#lib/server/system';

/** GET /api/v1/admin/system — readiness, worker kinds and keyring use. */
export const GET = operation('getSystemStatus', ({ app }) => systemStatus(app));
