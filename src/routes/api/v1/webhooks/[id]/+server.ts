import { secretBox } from '#lib/server/auth';
import { deleteEndpoint, endpointDeps, getEndpoint, notifyConfig, updateEndpoint } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** A malformed id cannot name an endpoint of the caller's tenant: 404, like another tenant's. */
const NOT_FOUND = 'No webhook endpoint with this id in your tenant.';

/** GET /api/v1/webhooks/{id} (never its secret). */
export const GET = operation('getWebhook', ({ app, tenantId, params }) => getEndpoint(app.database.db, tenantId, params.id), { notFound: NOT_FOUND });

/** PATCH /api/v1/webhooks/{id} — URL, events, description, enabled (audited). */
export const PATCH = operation(
	'updateWebhook',
	async ({ app, tx, tenantId, params, body, audit }) => ({ status: 200, body: await updateEndpoint(tx, tenantId, params.id, body, endpointDeps(notifyConfig(app.config), secretBox(app.config.tokenEncryptionKeys)), audit) }),
	{ notFound: NOT_FOUND }
);

/** DELETE /api/v1/webhooks/{id} (audited). */
export const DELETE = operation(
	'deleteWebhook',
	async ({ tx, tenantId, params, audit }) => {
		await deleteEndpoint(tx, tenantId, params.id, audit);
		return { status: 204, body: null };
	},
	{ notFound: NOT_FOUND }
);
