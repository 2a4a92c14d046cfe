import { secretBox } from '#lib/server/auth';
import { createEndpoint, endpointDeps, listEndpoints, notifyConfig } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** GET /api/v1/webhooks — the caller's tenant's endpoints. */
export const GET = operation('listWebhooks', ({ app, tenantId, query }) => listEndpoints(app.database.db, tenantId, { cursor: query.cursor, limit: query.limit ?? 50 }));

/** POST /api/v1/webhooks — register an endpoint; its secret is in this answer only (audited). */
export const POST = operation(
	'createWebhook',
	async ({ app, tx, tenantId, body, audit }) => ({ status: 201, body: await createEndpoint(tx, tenantId, body, endpointDeps(notifyConfig(app.config), secretBox(app.config.tokenEncryptionKeys)), audit) }),
	{ headers: { 'cache-control': 'no-store' } }
);
