import { readBodyLimited } from '#lib/server/http/body';
import { hashRequest, idempotencySettings, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { operation } from '#lib/server/route';
import { getTenantLogo, LOGO_MAX_BYTES, putTenantLogo } from '#lib/server/tenancy';

/** GET /api/v1/tenant/logo — the tenant's logo image; 204 when there is none. */
export const GET = operation('getTenantLogo', async ({ app, tenantId }) => {
	const logo = await getTenantLogo(app.database.db, tenantId);
	if (!logo) return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
	return new Response(new Uint8Array(logo.bytes), {
		headers: {
			'content-type': logo.contentType,
			'cache-control': 'private, max-age=60',
			'last-modified': logo.updatedAt.toUTCString(),
			// served as an image only, never as a document
			'content-security-policy': "default-src 'none'",
			'x-content-type-options': 'nosniff'
		}
	});
});

/** PUT /api/v1/tenant/logo — PNG/JPEG/WebP ≤ 256 KiB (audited; the image bytes identify the request). */
export const PUT = operation('putTenantLogo', async ({ app, event, tenantId, audit, scope }) => {
	const body = await readBodyLimited(event.request, LOGO_MAX_BYTES);
	const outcome = await runIdempotent(app.database.db, event, { scope, requestHash: hashRequest(body), settings: idempotencySettings(app.config) }, async (tx) => ({
		status: 200,
		body: await putTenantLogo(tx, tenantId, body, audit)
	}));
	return idempotentResponse(outcome);
});
