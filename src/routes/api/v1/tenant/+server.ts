import { operation } from '#lib/server/route';
import { getTenantSettings, updateTenantSettings } from '#lib/server/tenancy';

/** GET /api/v1/tenant — the caller's tenant's settings (every role of the tenant). */
export const GET = operation('getTenantSettings', ({ app, tenantId }) => getTenantSettings(app.database.db, tenantId));

/** PATCH /api/v1/tenant — display name, language, report time zone, low-balance threshold (audited). */
export const PATCH = operation('updateTenantSettings', async ({ tx, tenantId, body, audit }) => ({ status: 200, body: await updateTenantSettings(tx, tenantId, body, audit) }));
