import { json } from '@sveltejs/kit';
import { ApiError } from '#lib/server/http/errors';
import { readBodyLimited } from '#lib/server/http/body';
import { platform } from '#lib/server/platform';
import { enforceRateLimit } from '#lib/server/ratelimit';
import { getSigner } from '#lib/server/signer';
import { verifyUploadedPdf } from '#lib/server/verification';
import type { RequestHandler } from './$types';

/**
 * POST /api/v1/public/verifications — the verdict on an uploaded certificate PDF
 * (public, rate limited). Stores nothing, so a retry (Idempotency-Key or not) is harmless.
 */
export const POST: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'verify');
	const type = (event.request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
	if (type !== 'application/pdf') throw new ApiError('unsupported_media_type', 'Send the certificate as application/pdf.');
	const { config, database } = platform();
	const pdf = await readBodyLimited(event.request, config.VERIFY_UPLOAD_MAX_BYTES);
	const keys = await (await getSigner()).publicKeys();
	return json(await verifyUploadedPdf(database, pdf, keys, config.origin));
};
