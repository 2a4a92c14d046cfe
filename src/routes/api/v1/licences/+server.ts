import { licenceTotals } from '#lib/server/licences';
import { operation } from '#lib/server/route';

/** GET /api/v1/licences — the caller's tenant's balance, computed from the ledger. */
export const GET = operation('getLicenceBalance', ({ app, tenantId }) => licenceTotals(app.database.db, tenantId));
