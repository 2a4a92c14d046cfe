import { operation } from '#lib/server/route';
import { systemStatus } from '#lib/server/system';
import { build } from '../../../../../jobs';

/** GET /api/v1/admin/system — readiness, worker kinds (of the build, and running here) and keyring use. */
export const GET = operation('getSystemStatus', ({ app }) => systemStatus(app, build.kinds));
