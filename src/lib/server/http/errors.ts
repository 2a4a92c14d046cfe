import { json } from '@sveltejs/kit';

/**
 * The closed catalogue of error codes (one error envelope).
 * Every code is also listed in openapi/openapi.yaml (`ErrorCode`); a test keeps
 * the two equal. Modules add codes here, with their HTTP status and a default
 * message a person can act on.
 */
export const ERROR_CATALOGUE = {
	bad_request: { status: 400, message: 'The request could not be understood.' },
	unauthenticated: { status: 401, message: 'Sign in or present a valid token.' },
	forbidden: { status: 403, message: 'Your role does not allow this.' },
	not_found: { status: 404, message: 'Nothing is here.' },
	method_not_allowed: { status: 405, message: 'This route does not accept that method.' },
	conflict: { status: 409, message: 'The request conflicts with the current state.' },
	idempotency_key_reused: { status: 409, message: 'This Idempotency-Key was used with a different request.' },
	payload_too_large: { status: 413, message: 'The request body is larger than allowed.' },
	unsupported_media_type: { status: 415, message: 'The request body has a content type this route does not accept.' },
	validation_failed: { status: 422, message: 'Some fields are invalid; see details.' },
	rate_limited: { status: 429, message: 'Too many requests; retry after the time in Retry-After.' },
	headers_too_large: { status: 431, message: 'The request line and headers are larger than the server accepts (16 KiB).' },
	internal_error: { status: 500, message: 'Something went wrong on our side; quote the correlation id.' },
	service_unavailable: { status: 503, message: 'A dependency is unavailable; retry later.' },
	// Agent gateway (/ingest/v1): RFC 9421 request signatures, enrolment
	agent_signature_invalid: { status: 401, message: 'The request signature is missing or not valid for an enrolled agent.' },
	agent_signature_expired: { status: 401, message: 'The request signature was created outside the accepted time window.' },
	agent_signature_replayed: { status: 401, message: 'This signature nonce was already used; sign every request afresh.' },
	agent_suspended: { status: 403, message: 'This agent is suspended; an operator can reactivate it.' },
	agent_revoked: { status: 401, message: 'This agent was revoked; enrol it again with a new token.' },
	enrolment_token_invalid: { status: 401, message: 'The enrolment token is unknown, used or expired; ask an operator for a new one.' },
	content_digest_mismatch: { status: 400, message: 'The body does not match its Content-Digest (RFC 9530).' },
	// Proof submission
	proof_not_der: { status: 415, message: 'The body is not a DER-encoded CMS proof (it must start with a DER SEQUENCE).' },
	// Tenants
	tenant_suspended: { status: 403, message: 'This tenant is suspended; ask the platform operator to reactivate it.' },
	// nwipe log import: a log that is not nwipe's, or is damaged (the message names the line)
	nwipe_log_invalid: { status: 422, message: 'This file is not an nwipe log WipeCert can read; the message names the line.' },
	// Notifications: webhooks and deliveries
	webhook_url_refused: { status: 400, message: 'WipeCert does not send webhooks to this address (outbound address policy); see details.' },
	delivery_already_sent: { status: 409, message: 'This delivery was sent already; it is not sent again.' },
	delivery_not_resendable: { status: 409, message: 'This delivery was skipped (nothing to send it to); change the settings and wait for the next event.' }
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

export type ErrorDetail = { field?: string; problem: string };

export class ApiError extends Error {
	readonly status: number;
	constructor(
		readonly code: ErrorCode,
		message?: string,
		readonly details?: ErrorDetail[],
		readonly headers?: Record<string, string>
	) {
		super(message ?? ERROR_CATALOGUE[code].message);
		this.name = 'ApiError';
		this.status = ERROR_CATALOGUE[code].status;
	}
}

export function errorBody(code: ErrorCode, message: string, correlationId: string, details?: ErrorDetail[]) {
	return { error: { code, message, correlationId, ...(details?.length ? { details } : {}) } };
}

export function errorResponse(
	code: ErrorCode,
	correlationId: string,
	opts: { message?: string; details?: ErrorDetail[]; headers?: Record<string, string> } = {}
): Response {
	return json(errorBody(code, opts.message ?? ERROR_CATALOGUE[code].message, correlationId, opts.details), {
		status: ERROR_CATALOGUE[code].status,
		headers: opts.headers
	});
}

/** Routes whose errors are JSON envelopes (pages get HTML error pages). */
const PLATFORM_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/api', '/ingest']);
export const isApiPath = (pathname: string) =>
	pathname.startsWith('/api/') || pathname.startsWith('/ingest/') || pathname.startsWith('/log/') || pathname.startsWith('/downloads/') || PLATFORM_PATHS.has(pathname);
