import { operation } from '#lib/server/route';
import { reportArtefact } from '#lib/server/reports';

/** GET /api/v1/admin/reports/{id}/csv|json|pdf — any report's file (platform admins). */
export const GET = operation('downloadAdminReport', ({ app, params }) => reportArtefact(app.database.db, app.storage, { platform: true }, params.id, params.format), {
	notFound: 'No report with this id.'
});
