import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError, ERROR_CATALOGUE } from './errors';
import { parseJsonBody, readBodyLimited } from './body';

/**
 * 413 / 415 / 400 / 422 of JSON bodies. No JSON POST route of the
 * foundation is reachable without a signed-in tenant admin yet, so these run
 * through `parseJsonBody` on real Fetch `Request`s; the envelope around an
 * ApiError is covered by tests/foundation-http.spec.ts.
 */
const schema = z.object({ email: z.email(), role: z.enum(['viewer', 'operator']), seats: z.number().int().min(1).optional() });

const request = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
	new Request('http://localhost/api/v1/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

async function apiError(p: Promise<unknown>): Promise<ApiError> {
	try {
		await p;
	} catch (error) {
		expect(error).toBeInstanceOf(ApiError);
		return error as ApiError;
	}
	throw new Error('expected an ApiError');
}

describe('parseJsonBody', () => {
	it('accepts a valid body (with a charset parameter)', async () => {
		const body = await parseJsonBody(request('{"email":"a@b.test","role":"viewer"}', { 'content-type': 'application/json; charset=utf-8' }), schema, 1024);
		expect(body).toEqual({ email: 'a@b.test', role: 'viewer' });
	});

	it('wrong or missing content type: 415 unsupported_media_type', async () => {
		for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, {} as Record<string, string>]) {
			const e = await apiError(parseJsonBody(request('{"email":"a@b.test","role":"viewer"}', headers), schema, 1024));
			expect([e.code, e.status]).toEqual(['unsupported_media_type', 415]);
		}
	});

	it('declared too large: 413 before reading', async () => {
		const big = JSON.stringify({ email: 'a@b.test', role: 'viewer', pad: 'x'.repeat(5000) });
		const e = await apiError(parseJsonBody(request(big, { 'content-type': 'application/json', 'content-length': String(big.length) }), schema, 1024));
		expect([e.code, e.status]).toEqual(['payload_too_large', 413]);
	});

	it('streamed past the limit without Content-Length: 413, and reading stops there', async () => {
		let pulled = 0;
		const stream = new ReadableStream<Uint8Array>({
			pull(controller) {
				pulled++;
				if (pulled > 1000) throw new Error('read far past the limit');
				controller.enqueue(new Uint8Array(512).fill(32));
			}
		});
		const e = await apiError(parseJsonBody(request(stream), schema, 4096));
		expect([e.code, e.status]).toEqual(['payload_too_large', 413]);
		expect(pulled).toBeLessThan(20);
	});

	it('not JSON, or not UTF-8: 400 bad_request', async () => {
		for (const body of ['{"email":', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])]) {
			const e = await apiError(parseJsonBody(request(body), schema, 1024));
			expect([e.code, e.status]).toEqual(['bad_request', 400]);
		}
	});

	it('a lone surrogate in a value or a key: 400 bad_request, not I-JSON (RFC 7493 §2.1)', async () => {
		for (const body of ['{"email":"a\\ud800@b.test","role":"viewer"}', '{"email":"a@b.test","role":"viewer","\\udfff":1}', '[["\\ud83d"]]']) {
			const e = await apiError(parseJsonBody(request(body), z.unknown(), 1024));
			expect([e.code, e.status, e.message]).toEqual(['bad_request', 400, expect.stringContaining('lone surrogate')]);
		}
		const paired = await parseJsonBody(request('{"email":"\\ud83d\\ude00@b.test","role":"viewer"}'), z.unknown(), 1024);
		expect(paired).toEqual({ email: '\u{1F600}@b.test', role: 'viewer' });
	});

	it('nesting past 64 levels: 400 bad_request, and 100,000 levels do not exhaust the stack', async () => {
		expect(await parseJsonBody(request('['.repeat(64) + ']'.repeat(64)), z.unknown(), 1024)).toBeInstanceOf(Array);
		for (const depth of [65, 100_000]) {
			const e = await apiError(parseJsonBody(request('['.repeat(depth) + ']'.repeat(depth)), z.unknown(), 1 << 20));
			expect([e.code, e.status, e.message]).toEqual(['bad_request', 400, expect.stringContaining('deeper than 64 levels')]);
		}
	});

	it('invalid fields: 422 validation_failed with one detail per field', async () => {
		const e = await apiError(parseJsonBody(request('{"email":"not-an-address","role":"owner","seats":0}'), schema, 1024));
		expect([e.code, e.status]).toEqual(['validation_failed', 422]);
		expect(e.details!.map((d) => d.field).sort()).toEqual(['email', 'role', 'seats']);
		for (const d of e.details!) expect(d.problem.length).toBeGreaterThan(3);
	});

	it('a body that is not an object: 422 without a field', async () => {
		const e = await apiError(parseJsonBody(request('[1,2]'), schema, 1024));
		expect(e.code).toBe('validation_failed');
		expect(e.details![0].field).toBeUndefined();
	});
});

describe('readBodyLimited', () => {
	it('returns the exact bytes up to the limit', async () => {
		const bytes = new Uint8Array(4096).map((_, i) => i % 251);
		expect(Array.from(await readBodyLimited(request(bytes, {}), 4096))).toEqual(Array.from(bytes));
		expect((await readBodyLimited(new Request('http://localhost/', { method: 'POST' }), 10)).byteLength).toBe(0);
	});
});

describe('status codes of the catalogue', () => {
	it('match the codes the issue names', () => {
		expect(ERROR_CATALOGUE.not_found.status).toBe(404);
		expect(ERROR_CATALOGUE.method_not_allowed.status).toBe(405);
		expect(ERROR_CATALOGUE.payload_too_large.status).toBe(413);
		expect(ERROR_CATALOGUE.unsupported_media_type.status).toBe(415);
		expect(ERROR_CATALOGUE.validation_failed.status).toBe(422);
		expect(ERROR_CATALOGUE.rate_limited.status).toBe(429);
		expect(ERROR_CATALOGUE.internal_error.status).toBe(500);
	});
});
