import { getNotificationSettings, updateNotificationSettings } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** GET /api/v1/notification-settings — who gets which mail in the caller's tenant. */
export const GET = operation('getNotificationSettings', ({ app, tenantId }) => getNotificationSettings(app.database.db, tenantId));

/** PUT /api/v1/notification-settings (audited). */
export const PUT = operation('updateNotificationSettings', async ({ tx, tenantId, body, audit }) => ({ status: 200, body: await updateNotificationSettings(tx, tenantId, body, audit) }));
