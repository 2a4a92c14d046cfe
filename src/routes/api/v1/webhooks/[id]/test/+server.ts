import { sendTestEvent } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** POST /api/v1/webhooks/{id}/test — queue a signed `webhook.test` message to this endpoint. */
export const POST = operation('testWebhook', async ({ tx, tenantId, params }) => ({ status: 202, body: await sendTestEvent(tx, tenantId, params.id) }), {
	notFound: 'No webhook endpoint with this id in your tenant.'
});
