import { operation } from '#lib/server/route';
import { reportArtefact } from '#lib/server/reports';

/** GET /api/v1/reports/{id}/csv|json|pdf — a published report's file, with its SHA-256 as Repr-Digest. */
export const GET = operation('downloadReport', ({ app, tenantId, params }) => reportArtefact(app.database.db, app.storage, { tenantId }, params.id, params.format), {
	notFound: 'No report with this id.'
});
