import { ApiError } from '#lib/server/http/errors';
import { readBodyLimited } from '#lib/server/http/body';
import { operation } from '#lib/server/route';
import { verifyUploadedPdf } from '#lib/server/verification';

/**
 * POST /api/v1/public/verifications — the verdict on an uploaded certificate
 * PDF. Stores nothing, so a retry (Idempotency-Key or not) is harmless.
 */
export const POST = operation('verifyCertificatePdf', async ({ app, event }) => {
	const type = (event.request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
	if (type !== 'application/pdf') throw new ApiError('unsupported_media_type', 'Send the certificate as application/pdf.');
	const pdf = await readBodyLimited(event.request, app.config.VERIFY_UPLOAD_MAX_BYTES);
	const keys = await (await app.signer()).publicKeys();
	return verifyUploadedPdf(app.database, pdf, keys, app.config.origin);
});
