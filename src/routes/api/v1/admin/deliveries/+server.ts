import { listDeliveries } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/deliveries — every tenant's and the platform's deliveries (`?status=dead_lettered`). */
export const GET = operation('listAdminDeliveries', ({ app, query }) => {
	const { cursor, limit, ...filter } = query;
	return listDeliveries(app.database.db, { all: true }, filter, { cursor, limit: limit ?? 50 });
});
