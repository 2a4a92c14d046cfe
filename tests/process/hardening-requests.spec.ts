import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppProcess } from '../helpers/app-process';
import { browse, clientCredentials, CookieJar, signInToApp, submitDevRealmSignIn } from '../helpers/oidc-browser';

/**
 * Requests that used to stop the process or answer 5xx, each against the
 * built app as its own process (defaults as `npm start` has them, apart from
 * the sign-in rate limits tests need): after every one, the process still
 * runs and answers /healthz.
 */
let app: AppProcess;
let token: string;
let operator: CookieJar;

beforeAll(async () => {
	app = await startApp({ RATE_LIMIT_TOKEN: '30/60' });
	const r = await clientCredentials(`${app.origin}/realms/dev/protocol/openid-connect/token`, 'acme-automation', 'dev-acme-secret', { scope: 'proofs:read proofs:write agents:read certificates:read' });
	token = ((await r.json()) as { access_token: string }).access_token;
	operator = await signInToApp(app.origin, 'operator@acme.test');
}, 120_000);
afterAll(async () => app?.stop());

async function alive() {
	expect((await fetch(`${app.origin}/healthz`)).status).toBe(200);
}

/** Sends raw bytes on one connection and returns what came back (or '' when the server closed first). */
function raw(request: string | Buffer, endAfterMs = 1500): Promise<string> {
	const { port } = new URL(app.origin);
	return new Promise((resolve) => {
		let got = '';
		const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
		socket.on('data', (d) => (got += d));
		socket.on('error', () => resolve(got));
		socket.on('close', () => resolve(got));
		setTimeout(() => socket.destroy(), endAfterMs);
	});
}

const TRUNCATED = (boundary: string) =>
	`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.der"\r\nContent-Type: application/octet-stream\r\n\r\n${'A'.repeat(5000)}`;

describe('a truncated multipart upload', () => {
	it('POST /api/v1/proofs/bulk: 400 in the envelope, and the server keeps running', async () => {
		const r = await fetch(`${app.origin}/api/v1/proofs/bulk`, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=XB' },
			body: TRUNCATED('XB')
		});
		expect(r.status).toBe(400);
		expect(((await r.json()) as { error: { code: string } }).error.code).toBe('bad_request');
		await alive();
	});

	it('the upload page relay: the API answer comes back, and the server keeps running', async () => {
		const r = await fetch(`${app.origin}/proofs/upload/relay`, {
			method: 'POST',
			headers: { cookie: operator.header(), origin: app.origin, 'content-type': 'multipart/form-data; boundary=XB' },
			body: TRUNCATED('XB')
		});
		expect(r.status).toBe(400);
		expect(((await r.json()) as { error: { code: string } }).error.code).toBe('bad_request');
		await alive();
	});

	it('a connection cut mid-body (the browser closed): the server keeps running', async () => {
		const body = TRUNCATED('XB');
		for (const [path, auth] of [
			['/api/v1/proofs/bulk', `authorization: Bearer ${token}`],
			['/proofs/upload/relay', `cookie: ${operator.header()}\r\norigin: ${app.origin}`]
		]) {
			await raw(`POST ${path} HTTP/1.1\r\nhost: localhost\r\n${auth}\r\ncontent-type: multipart/form-data; boundary=XB\r\ncontent-length: 100000\r\n\r\n${body}`, 500);
		}
		await new Promise((r) => setTimeout(r, 500));
		await alive();
		expect(app.output()).not.toContain('Unexpected end of form\n    at');
	});
});

describe('bodies past their limit are refused before they are read', () => {
	it('the verify page form, 300 MB declared: 413 at once', async () => {
		const answer = await raw(`POST /verify?/upload HTTP/1.1\r\nhost: localhost\r\ncontent-type: multipart/form-data; boundary=XB\r\ncontent-length: ${300 * 1024 * 1024}\r\n\r\n--XB\r\n`);
		expect(answer).toMatch(/^HTTP\/1\.1 413 /);
	});

	it('the verify page form, chunked past VERIFY_UPLOAD_MAX_BYTES: the page says the file is too large', async () => {
		const chunk = new Uint8Array(1024 * 1024);
		let sent = 0;
		const body = new ReadableStream<Uint8Array>({
			start(c) {
				c.enqueue(new TextEncoder().encode('--XB\r\nContent-Disposition: form-data; name="pdf"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'));
			},
			pull(c) {
				// 64 MB at most: far past the 20 MB limit, never all read
				if ((sent += chunk.length) > 64 * 1024 * 1024) c.close();
				else c.enqueue(chunk);
			}
		});
		const r = await fetch(`${app.origin}/verify?/upload`, {
			method: 'POST',
			headers: { 'content-type': 'multipart/form-data; boundary=XB', accept: 'application/json', 'x-sveltekit-action': 'true', origin: app.origin },
			body,
			duplex: 'half'
		} as RequestInit);
		const text = await r.text();
		expect(text).toContain('too_large');
		expect(sent).toBeLessThan(64 * 1024 * 1024);
		await alive();
	});

	it('the dev realm proxy: 413 for a token request past 16 KiB', async () => {
		const r = await fetch(`${app.origin}/realms/dev/protocol/openid-connect/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: `grant_type=client_credentials&pad=${'x'.repeat(20_000)}`
		});
		expect(r.status).toBe(413);
		expect(((await r.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
	});

	it('a JSON route, chunked past JSON_BODY_MAX_BYTES: 413 in the envelope', async () => {
		const r = await fetch(`${app.origin}/api/v1/agents/enrolments`, {
			method: 'POST',
			headers: { cookie: operator.header(), origin: app.origin, 'content-type': 'application/json' },
			body: new ReadableStream({
				start(c) {
					// 4 MB without a Content-Length: past the 1 MiB limit, and finite, so the upload ends
					for (let i = 0; i < 64; i++) c.enqueue(new Uint8Array(64 * 1024).fill(32));
					c.close();
				}
			}),
			duplex: 'half'
		} as RequestInit).catch(() => null);
		// the server may close the connection while the client still sends (RFC 9110 §15.5.14)
		if (r) expect(r.status).toBe(413);
		await alive();
	});
});

describe('malformed input answers 4xx, never 5xx', () => {
	const cursor = (key: string) => Buffer.from(key).toString('base64url');

	it('a list cursor whose id part is not a UUID: 400', async () => {
		for (const path of ['/api/v1/proofs', '/api/v1/certificates', '/api/v1/agents']) {
			for (const c of [cursor('2024-01-01T00:00:00.000Z|not-a-uuid'), cursor('2024-01-01T00:00:00.000Z|\0'), cursor('-99999-01-01T00:00:00.000Z|00000000-0000-0000-0000-000000000000'), '%00', 'x'.repeat(5000)]) {
				const r = await fetch(`${app.origin}${path}?cursor=${encodeURIComponent(c)}`, { headers: { authorization: `Bearer ${token}` } });
				// 400 from the cursor check; 422 where the query schema already refuses it (length, characters)
				expect([400, 422], `${path} ${c.slice(0, 40)}: ${r.status}`).toContain(r.status);
				expect(['bad_request', 'validation_failed']).toContain(((await r.json()) as { error: { code: string } }).error.code);
			}
		}
	});

	it('a NUL byte or 10,000 characters as a public certificate id: 404', async () => {
		for (const path of ['/api/v1/public/certificates/%00', '/api/v1/public/certificates/%00/pdf', `/api/v1/public/certificates/${'a'.repeat(10_000)}`, '/verify/%00', `/verify/${'a'.repeat(10_000)}`, `/verify/wc_${'a'.repeat(25)}%00`]) {
			const r = await fetch(`${app.origin}${path}`);
			expect([path.slice(0, 60), r.status]).toEqual([path.slice(0, 60), 404]);
		}
	});

	it('a returnTo with TAB, CR or LF: the sign-in still lands, on /', async () => {
		for (const returnTo of ['/proofs\tx', '/proofs\r\nx-injected: 1', '/proofs\nx']) {
			const jar = new CookieJar();
			const form = await browse(jar, `${app.origin}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
			const done = await submitDevRealmSignIn(jar, form, 'viewer@acme.test', 'dev-password', (u) => !new URL(u).pathname.startsWith('/realms/') && !new URL(u).pathname.startsWith('/auth/'));
			expect(done.response.status).toBeLessThan(500);
			expect(new URL(done.url).pathname).toBe('/');
			expect(jar.get('wipecert_session')).toBeTruthy();
		}
	});
});

describe('dev realm rate limits', () => {
	it('count every spelling of the token path, and introspection and revocation', async () => {
		// RATE_LIMIT_TOKEN=30/60 in this app; the sign-ins above used some of it
		const spellings = ['/token', '/token/', '//token', '/Token', '/./token', '/tok%65n', '/token/introspect', '/token/introspect/', '/revoke', '/REVOKE'];
		const statuses: number[] = [];
		for (let i = 0; i < 40; i++) {
			const r = await fetch(`${app.origin}/realms/dev/protocol/openid-connect${spellings[i % spellings.length]}`, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: 'grant_type=client_credentials&client_id=nobody&client_secret=wrong&token=x'
			});
			statuses.push(r.status);
			await r.arrayBuffer();
		}
		expect(statuses).toContain(429);
		expect(statuses.filter((s) => s >= 500)).toEqual([]);
		// once limited, every spelling is limited
		const tail = statuses.slice(-spellings.length);
		expect(tail.every((s) => s === 429)).toBe(true);
	});
});

describe('caching of what a signed-in caller sees', () => {
	it('authenticated JSON and HTML answer Cache-Control: no-store', async () => {
		const json = await fetch(`${app.origin}/api/v1/proofs`, { headers: { authorization: `Bearer ${token}` } });
		expect(json.headers.get('cache-control')).toBe('no-store');
		const html = await fetch(`${app.origin}/proofs`, { headers: { cookie: operator.header() } });
		expect(html.status).toBe(200);
		expect(html.headers.get('cache-control')).toBe('no-store');
		const me = await fetch(`${app.origin}/api/v1/me`, { headers: { cookie: operator.header() } });
		expect(me.headers.get('cache-control')).toBe('no-store');
	});
});

describe('the process after all of the above', () => {
	it('is the same process, healthy, and logged no unhandled error', async () => {
		await alive();
		expect(app.output()).not.toMatch(/"msg":"unexpected error/);
	});
});
