import { effectivePolicy } from '#lib/server/config';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/policy — the effective business settings of this process. */
export const GET = operation('getPolicy', async ({ app }) => ({ settings: effectivePolicy(app.config) }));
