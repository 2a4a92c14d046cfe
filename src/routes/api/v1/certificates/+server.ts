import { listCertificates } from '#lib/server/certificates';
import { operation } from '#lib/server/route';

/** GET /api/v1/certificates — certificates of the caller's tenant. */
export const GET = operation('listCertificates', ({ app, tenantId, query }) => listCertificates(app.database.db, tenantId, query, app.config.origin));
