import { secretBox } from '#lib/server/auth';
import { endpointDeps, notifyConfig, rotateSecret } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** POST /api/v1/webhooks/{id}/secret — a new signing secret, shown once; the old one overlaps (audited). */
export const POST = operation(
	'rotateWebhookSecret',
	async ({ app, tx, tenantId, params, audit }) => ({ status: 200, body: await rotateSecret(tx, tenantId, params.id, endpointDeps(notifyConfig(app.config), secretBox(app.config.tokenEncryptionKeys)), audit) }),
	{ notFound: 'No webhook endpoint with this id in your tenant.', headers: { 'cache-control': 'no-store' } }
);
