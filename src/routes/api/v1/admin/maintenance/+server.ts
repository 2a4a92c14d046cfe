import { maintenanceStatus } from '#lib/server/maintenance';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/maintenance — schedules, last runs and the integrity verdict. */
export const GET = operation('getMaintenanceStatus', ({ app }) => maintenanceStatus(app.database.db, app.config));
