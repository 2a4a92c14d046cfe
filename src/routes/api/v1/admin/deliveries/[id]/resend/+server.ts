import { resendDelivery } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** POST /api/v1/admin/deliveries/{id}/resend — any tenant's delivery (audited on its tenant). */
export const POST = operation('resendAdminDelivery', async ({ tx, params, audit }) => ({ status: 202, body: await resendDelivery(tx, { all: true }, params.id, audit) }), {
	notFound: 'No delivery with this id.'
});
