import { auditContext, requireActor, requireTenant } from '#lib/server/auth';
import { readBodyLimited } from '#lib/server/http/body';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { getTenantLogo, LOGO_MAX_BYTES, putTenantLogo } from '#lib/server/tenancy';
import type { RequestHandler } from './$types';

/** GET /api/v1/tenant/logo — the tenant's logo image (proofs:read); 204 when there is none. */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'proofs:read'));
	const logo = await getTenantLogo(platform().database.db, tenantId);
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
};

/** PUT /api/v1/tenant/logo — PNG/JPEG/WebP ≤ 256 KiB (tenant:settings; audited; Idempotency-Key). */
export const PUT: RequestHandler = async (event) => {
	const actor = requireActor(event, 'tenant:settings');
	const tenantId = requireTenant(actor);
	const body = await readBodyLimited(event.request, LOGO_MAX_BYTES);
	const outcome = await runIdempotent(platform().database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(body) }, async (tx) => ({
		status: 200,
		body: await putTenantLogo(tx, tenantId, body, auditContext(event, actor))
	}));
	return idempotentResponse(outcome);
};
