import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { sanitize, sanitizeString } from './sanitize';

/** A pino destination that keeps every line, so the test reads exactly what would reach stdout. */
function capture() {
	const lines: string[] = [];
	let pending = '';
	const stream = new Writable({
		write(chunk, _enc, done) {
			pending += chunk.toString();
			const parts = pending.split('\n');
			pending = parts.pop()!;
			lines.push(...parts.filter(Boolean));
			done();
		}
	});
	return { stream, lines, text: () => lines.join('\n') };
}

const JWT =
	'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEyMyIsImV4cCI6MTcwMDAwMDAwMH0.MEUCIQDx3Y4vR9zQk8hV2pLmN7sT1uW5yA6bC0dE';
const BEARER = 'opaque-access-token-7f3a9c2e1b';
const COOKIE = 'wipecert_session=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
const EMAIL = 'alice.liddell@example.org';
const SERIAL = 'WD-WCC4N7XK2L91';
const URL_TOKEN = 'enrol-9d8c7b6a5f4e';

describe('sanitizer behind the pino logger', () => {
	it('no token, JWT, cookie, e-mail address, serial number or URL secret reaches the output in clear', async () => {
		const out = capture();
		const log = createLogger('info', out.stream);
		log.info(
			{
				headers: { authorization: `Bearer ${BEARER}`, cookie: COOKIE, 'x-request-id': 'abc' },
				idToken: JWT,
				device: { vendor: 'WDC', serial: SERIAL },
				user: EMAIL,
				url: `https://wipecert.example.com/enrol?token=${URL_TOKEN}&lang=de`
			},
			'request'
		);
		// Values embedded in free text and in the message itself, not only under telling keys.
		log.warn(`refused Bearer ${BEARER} for ${EMAIL} with ${JWT}`);
		log.info({ note: `callback https://x.test/cb?code=${URL_TOKEN}&state=s1` }, 'redirect');
		log.error({ err: new Error(`lookup of ${EMAIL} failed; header was Bearer ${BEARER}`) }, 'failed');
		await new Promise((r) => setImmediate(r));
		const text = out.text();
		expect(out.lines.length).toBe(4);
		for (const secret of [BEARER, JWT, 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5', EMAIL, 'alice.liddell', SERIAL, URL_TOKEN]) {
			expect(text).not.toContain(secret);
		}
		const first = JSON.parse(out.lines[0]);
		// What stays is still useful to an operator.
		expect(first.headers['x-request-id']).toBe('abc');
		expect(first.headers.authorization).toBe('[redacted]');
		expect(first.headers.cookie).toBe('[redacted]');
		expect(first.device).toEqual({ vendor: 'WDC', serial: '****2L91' });
		expect(first.user).toBe('***@example.org');
		expect(first.url).toBe('https://wipecert.example.com/enrol?token=[redacted]&lang=de');
		expect(first.msg).toBe('request');
		expect(JSON.parse(out.lines[1]).msg).toContain('Bearer [redacted]');
		expect(JSON.parse(out.lines[3]).err.message).toContain('***@example.org');
	});

	it('child loggers (per request) are sanitized too', async () => {
		const out = capture();
		const child = createLogger('info', out.stream).child({ correlationId: 'c-1' });
		child.info({ sessionToken: 'tok-abcdef123456', serialNumber: 'S3R1ALNUMBER' }, `for ${EMAIL}`);
		await new Promise((r) => setImmediate(r));
		const line = JSON.parse(out.lines[0]);
		expect(line.correlationId).toBe('c-1');
		expect(line.sessionToken).toBe('[redacted]');
		expect(line.serialNumber).toBe('****MBER');
		expect(line.msg).toBe('for ***@example.org');
	});

	it('masks inside arrays, Headers objects and nested values', () => {
		const headers = new Headers({ authorization: `Bearer ${BEARER}`, 'set-cookie': COOKIE, accept: 'application/json' });
		const out = JSON.stringify(sanitize({ list: [EMAIL, { serial: SERIAL }], headers }));
		expect(out).not.toContain(BEARER);
		expect(out).not.toContain(EMAIL);
		expect(out).not.toContain(SERIAL);
		expect(out).not.toContain('Zm9vYmFy');
		expect(out).toContain('application/json');
	});

	it('leaves ordinary text alone', () => {
		const s = 'proof 3f2a accepted in 12 ms by worker proof (route /api/v1/proofs)';
		expect(sanitizeString(s)).toBe(s);
	});
});
