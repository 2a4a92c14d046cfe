import { getDelivery } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** GET /api/v1/deliveries/{id} — with its payload and attempts. */
export const GET = operation('getDelivery', ({ app, tenantId, params }) => getDelivery(app.database.db, { tenantId }, params.id), { notFound: 'No delivery with this id in your tenant.' });
