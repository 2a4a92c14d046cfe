import { ApiError } from '#lib/server/http/errors';
import { readBodyLimited } from '#lib/server/http/body';
import { operation } from '#lib/server/route';
import { verifyUploadedPdf } from '#lib/server/verification';

/**
 * POST /api/v1/public/verifications — the verdict on an uploaded certificate
 * PDF (clients that cannot run the verification code; the verify page without
 * JavaScript). Stores nothing, so a retry (Idempotency-Key or not) is harmless.
 */
export const POST = operation('verifyCertificatePdf', async ({ app, event }) => {
	const type = (event.request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
	if (type !== 'application/pdf') throw new ApiError('unsupported_media_type', 'Send the certificate as application/pdf.');
	const pdf = await readBodyLimited(event.request, app.config.VERIFY_UPLOAD_MAX_BYTES);
	// the witnesses' cosignatures on the embedded checkpoint are checked as the keys file would have them checked
	const keys = { ...(await (await app.signer()).publicKeys()), logWitnesses: app.config.LOG_WITNESSES.map((w) => ({ name: w.vkey.split('+')[0], vkey: w.vkey })) };
	return verifyUploadedPdf(app.database, pdf, keys, { origin: app.config.origin, explorerTxUrl: app.config.CHAIN_EXPLORER_TX_URL });
});
