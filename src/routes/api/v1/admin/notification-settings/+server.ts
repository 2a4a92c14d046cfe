import { getPlatformNotificationSettings, updatePlatformNotificationSettings } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/notification-settings — recipients of the system mails. */
export const GET = operation('getPlatformNotificationSettings', ({ app }) => getPlatformNotificationSettings(app.database.db));

/** PUT /api/v1/admin/notification-settings (audited on the platform chain). */
export const PUT = operation('updatePlatformNotificationSettings', async ({ tx, body, audit }) => ({ status: 200, body: await updatePlatformNotificationSettings(tx, body, audit) }));
