import { listLedger } from '#lib/server/licences';
import { operation } from '#lib/server/route';

/** GET /api/v1/licences/ledger — the caller's tenant's ledger, newest first. */
export const GET = operation('listLicenceLedger', ({ app, tenantId, query }) => listLedger(app.database.db, tenantId, query));
