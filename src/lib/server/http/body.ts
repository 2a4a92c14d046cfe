import type { z } from 'zod';
import { ApiError } from './errors';
import { apiLocale, zodErrorMap } from './localize';

const tooLarge = (maxBytes: number, headers?: Record<string, string>) =>
	new ApiError('payload_too_large', `The body is larger than ${maxBytes} bytes.`, undefined, headers);

/** Reads a request body with a hard byte cap (413 past it), whatever Content-Length says. */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
	const declared = Number(request.headers.get('content-length') ?? NaN);
	if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes, { connection: 'close' });
	if (!request.body) return new Uint8Array();
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > maxBytes) {
			// Stop reading, but do not cancel: cancelling destroys the request socket (Kit's
			// getRequest), so the client never saw the 413 and kept waiting or got a reset.
			// Released, the rest is discarded by Kit after the answer is written, and
			// `Connection: close` ends the connection there (RFC 9110 §15.5.14: the server
			// may close the connection to stop a client that keeps sending).
			reader.releaseLock();
			throw tooLarge(maxBytes, { connection: 'close' });
		}
		chunks.push(value);
	}
	const out = new Uint8Array(size);
	let offset = 0;
	for (const c of chunks) {
		out.set(c, offset);
		offset += c.byteLength;
	}
	return out;
}

/** Parses a JSON body against a (generated) zod schema: 415, 413, 400 or 422 with per-field details. */
export async function parseJsonBody<S extends z.ZodType>(request: Request, schema: S, maxBytes: number): Promise<z.output<S>> {
	// zod's own messages in the caller's language (the envelope's message is translated by localizeApiErrors)
	const error = zodErrorMap(apiLocale(request.headers.get('accept-language')));
	const type = request.headers.get('content-type') ?? '';
	if (!/^application\/json\b/i.test(type)) throw new ApiError('unsupported_media_type', 'Send the body as application/json.');
	const bytes = await readBodyLimited(request, maxBytes);
	let value: unknown;
	try {
		value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
	} catch {
		throw new ApiError('bad_request', 'The body is not valid UTF-8 JSON.');
	}
	// JSON.parse accepts escaped lone surrogates ("\ud800"); I-JSON (RFC 7493 §2.1)
	// does not, and neither can the canonical form that hashes the request (RFC 8785 §3.2.2.2).
	const refusal = notIJson(value);
	if (refusal) throw new ApiError('bad_request', `The body is not accepted: ${refusal}.`);
	const result = schema.safeParse(value, { error });
	if (!result.success) {
		throw new ApiError(
			'validation_failed',
			undefined,
			result.error.issues.map((i) => ({ field: i.path.join('.') || undefined, problem: i.message }))
		);
	}
	return result.data;
}

/** The deepest nesting a body may have; RFC 8259 §9 lets a parser limit it, and the request hash recurses. */
const MAX_DEPTH = 64;

/** Why the parsed body is refused, or null: walked with an explicit stack, so no body can exhaust the call stack. */
function notIJson(root: unknown): string | null {
	const stack: Array<[unknown, number]> = [[root, 0]];
	while (stack.length > 0) {
		const [value, depth] = stack.pop()!;
		if (typeof value === 'string') {
			if (!value.isWellFormed()) return 'a string holds a lone surrogate (RFC 7493 §2.1)';
		} else if (value !== null && typeof value === 'object') {
			if (depth >= MAX_DEPTH) return `it nests deeper than ${MAX_DEPTH} levels`;
			for (const [key, child] of Object.entries(value)) {
				if (!Array.isArray(value) && !key.isWellFormed()) return 'a member name holds a lone surrogate (RFC 7493 §2.1)';
				stack.push([child, depth + 1]);
			}
		}
	}
	return null;
}
