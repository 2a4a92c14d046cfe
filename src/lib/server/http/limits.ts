import { error, isHttpError } from '@sveltejs/kit';
import type { Handle } from '@sveltejs/kit/hooks';
import type { Config } from '#lib/server/config';
import { LOGO_MAX_BYTES } from '#lib/server/tenancy/settings';
import { ApiError, errorResponse, isApiPath } from './errors';

/** Multipart framing around a form's file (boundaries, part headers, the other fields). */
const FORM_ENVELOPE = 64 * 1024;
/** The dev realm's forms and token requests (sign-in, client credentials, introspection). */
export const IDP_FORM_MAX_BYTES = 16 * 1024;

type Limits = Pick<Config, 'PROOF_MAX_BYTES' | 'BULK_MAX_BYTES' | 'VERIFY_UPLOAD_MAX_BYTES' | 'JSON_BODY_MAX_BYTES'>;

/**
 * The largest request body a path accepts. Every route with a body has its
 * limit here, so nothing reads an unbounded body: proofs, bulk uploads (and
 * the upload page's relay), PDF verification (API and the verify page's
 * form), the logo, the dev realm's forms; everything else is JSON or a small
 * page form (JSON_BODY_MAX_BYTES).
 */
export function bodyLimitFor(pathname: string, config: Limits): number {
	if (pathname === '/api/v1/proofs/bulk' || pathname === '/proofs/upload/relay') return config.BULK_MAX_BYTES;
	if (pathname === '/api/v1/proofs' || pathname === '/ingest/v1/proofs') return config.PROOF_MAX_BYTES;
	if (pathname === '/api/v1/public/verifications') return config.VERIFY_UPLOAD_MAX_BYTES;
	if (pathname === '/verify') return config.VERIFY_UPLOAD_MAX_BYTES + FORM_ENVELOPE;
	if (pathname === '/api/v1/tenant/logo') return LOGO_MAX_BYTES;
	if (pathname === '/settings') return LOGO_MAX_BYTES + FORM_ENVELOPE;
	if (pathname === '/realms/dev' || pathname.startsWith('/realms/dev/')) return IDP_FORM_MAX_BYTES;
	return config.JSON_BODY_MAX_BYTES;
}

const tooLargeMessage = (limit: number) => `The request body is larger than ${limit} bytes.`;

function tooLarge(limit: number, correlationId: string): never {
	error(413, { code: 'payload_too_large', message: tooLargeMessage(limit), correlationId });
}

function caught(fn: () => never): unknown {
	try {
		fn();
	} catch (e) {
		return e;
	}
}

/**
 * A body past `limit` errors with Kit's 413, which API routes answer in the
 * envelope and pages as their error page. The source is released, never
 * cancelled: cancelling Kit's request body destroys the socket before the 413
 * is written (see body.ts); released, the rest is discarded after the answer.
 */
function limitStream(body: ReadableStream<Uint8Array>, limit: number, tooLargeError: () => unknown): ReadableStream<Uint8Array> {
	const reader = body.getReader();
	let size = 0;
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			let chunk: ReadableStreamReadResult<Uint8Array>;
			try {
				chunk = await reader.read();
			} catch (error) {
				return controller.error(error);
			}
			if (chunk.done) return controller.close();
			size += chunk.value.byteLength;
			if (size <= limit) return controller.enqueue(chunk.value);
			reader.releaseLock();
			controller.error(tooLargeError());
		},
		cancel: (reason) => reader.cancel(reason)
	});
}

/**
 * Refuses a body larger than its route allows before any of it is read
 * (Content-Length, RFC 9110 §8.6: 413 and `Connection: close`), and caps a
 * body without a length (chunked) as it streams, so no route — a page form
 * action included — can buffer more than its limit. A page form that does not
 * parse is the client's mistake (400), not ours.
 */
export function bodyLimits(config: () => Limits): Handle {
	return async ({ event, resolve }) => {
		const { request } = event;
		if (!request.body) return resolve(event);
		const { correlationId } = event.locals;
		const limit = bodyLimitFor(event.url.pathname, config());
		const declared = Number(request.headers.get('content-length') ?? NaN);
		if (Number.isFinite(declared)) {
			// the HTTP parser ends the body at the declared length: the check is the limit
			if (declared > limit) return refuse(event.url.pathname, limit, correlationId);
		} else {
			// Kit's event is a plain object; its type marks `request` read-only for route code
			// API routes answer the envelope with `Connection: close` (as readBodyLimited does), pages their 413 page
			const api = isApiPath(event.url.pathname) || event.url.pathname.startsWith('/realms/');
			const tooLargeError = () =>
				api ? new ApiError('payload_too_large', tooLargeMessage(limit), undefined, { connection: 'close' }) : caught(() => tooLarge(limit, correlationId));
			(event as { request: Request }).request = new Request(request, { body: limitStream(request.body, limit, tooLargeError), duplex: 'half' } as RequestInit);
		}
		const forms = event.request.formData.bind(event.request);
		// Kit's form actions call formData() themselves; undici's parse error is a TypeError (a 500)
		Object.defineProperty(event.request, 'formData', {
			value: async () => {
				try {
					return await forms();
				} catch (e) {
					if (isHttpError(e)) throw e;
					error(400, { code: 'bad_request', message: 'The form data could not be parsed.', correlationId });
				}
			}
		});
		return resolve(event);
	};
}

/** 413 before reading; `Connection: close` stops a client that keeps sending (RFC 9110 §15.5.14). */
function refuse(pathname: string, limit: number, correlationId: string): Response {
	if (isApiPath(pathname) || pathname.startsWith('/realms/')) {
		return errorResponse('payload_too_large', correlationId, { message: tooLargeMessage(limit), headers: { connection: 'close' } });
	}
	return new Response(tooLargeMessage(limit), { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close', 'x-request-id': correlationId } });
}
