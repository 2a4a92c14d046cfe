import { listDeliveries } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** GET /api/v1/deliveries — the tenant's delivery log, newest first. */
export const GET = operation('listDeliveries', ({ app, tenantId, query }) => {
	const { cursor, limit, ...filter } = query;
	return listDeliveries(app.database.db, { tenantId }, filter, { cursor, limit: limit ?? 50 });
});
