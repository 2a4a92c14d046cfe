/**
 * The one sanitizer every log line passes through ("Logs pass
 * through one sanitizer"). It removes credentials by key name and masks
 * e-mail addresses, bearer/JWT tokens and device serial numbers found in values.
 */

const SECRET_KEY = /(pass(word)?|secret|token|authorization|cookie|set-cookie|api[-_]?key|private[-_]?key|credential|session|signature)/i;
const SERIAL_KEY = /(^|_|-)(serial|serial[-_]?number|serialNumber|sn)$/i;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const URL_SECRET = /([?&](?:token|code|state|access_token|refresh_token|id_token|password|secret|key)=)[^&\s#]+/gi;

/** Keeps the domain so an operator can still tell tenants apart. */
export function maskEmail(email: string): string {
	const at = email.indexOf('@');
	return `***@${email.slice(at + 1)}`;
}

/** Keeps the last four characters, as card receipts do. */
export function maskSerial(serial: string): string {
	return serial.length <= 4 ? '****' : `****${serial.slice(-4)}`;
}

export function sanitizeString(value: string): string {
	return value
		.replace(JWT, '[redacted-jwt]')
		.replace(BEARER, '$1 [redacted]')
		.replace(URL_SECRET, '$1[redacted]')
		.replace(EMAIL, (m) => maskEmail(m));
}

export function sanitize(value: unknown, key = '', depth = 0): unknown {
	if (depth > 8) return '[too deep]';
	if (value === null || value === undefined) return value;
	if (typeof value === 'string') {
		if (key && SECRET_KEY.test(key)) return '[redacted]';
		if (key && SERIAL_KEY.test(key)) return maskSerial(value);
		return sanitizeString(value);
	}
	if (typeof value !== 'object') return value;
	if (value instanceof Error) {
		return { type: value.name, message: sanitizeString(value.message), stack: value.stack ? sanitizeString(value.stack) : undefined, ...(value.cause ? { cause: sanitize(value.cause, '', depth + 1) } : {}) };
	}
	if (Array.isArray(value)) return value.map((v) => sanitize(v, key, depth + 1));
	if (value instanceof Headers) return sanitize(Object.fromEntries(value), key, depth + 1);
	const out: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(value)) {
		out[k] = typeof v !== 'object' && SECRET_KEY.test(k) && v !== undefined ? '[redacted]' : sanitize(v, k, depth + 1);
	}
	return out;
}
