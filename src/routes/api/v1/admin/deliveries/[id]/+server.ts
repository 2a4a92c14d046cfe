import { getDelivery } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/deliveries/{id} — any delivery with its payload and attempts. */
export const GET = operation('getAdminDelivery', ({ app, params }) => getDelivery(app.database.db, { all: true }, params.id), { notFound: 'No delivery with this id.' });
