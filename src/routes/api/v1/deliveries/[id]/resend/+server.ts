import { resendDelivery } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** POST /api/v1/deliveries/{id}/resend — 409 delivery_already_sent when it was sent (audited). */
export const POST = operation('resendDelivery', async ({ tx, tenantId, params, audit }) => ({ status: 202, body: await resendDelivery(tx, { tenantId }, params.id, audit) }), {
	notFound: 'No delivery with this id in your tenant.'
});
