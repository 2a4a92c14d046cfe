import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Server } from '../helpers/process';

/**
 * The web entry (build/index.js = src/entries/web.ts) as a real process:
 * how event.url's origin is decided (adapter-node's documented ORIGIN /
 * PROTOCOL_HEADER behaviour, which this build's adapter dropped), the
 * loopback default of HOST, and a 413 that reaches a client still uploading.
 */

type Answer = { status: number; body: string; headers: Record<string, string | string[] | undefined> };

/** A cookie-carrying mutation: the origin check (hooks.server.ts) compares Origin with event.url.origin. */
async function mutation(server: Server, origin: string, extra: Record<string, string> = {}): Promise<number> {
	const r = await fetch(`http://127.0.0.1:${server.port}/api/v1/members`, {
		method: 'POST',
		headers: { cookie: 'wipecert_session=not-a-session', origin, 'content-type': 'application/json', ...extra },
		body: '{}'
	});
	return r.status;
}

describe('ORIGIN unset: event.url has the socket’s protocol (http), not https', () => {
	let server: Server;
	beforeAll(async () => {
		server = await startServer({ ORIGIN: undefined as unknown as string });
	});
	afterAll(async () => server?.stop());

	it('a same-origin http mutation passes the origin check (then 401: no session)', async () => {
		// with the adapter's guess, event.url was https://127.0.0.1:PORT and this was refused 403
		expect(await mutation(server, `http://127.0.0.1:${server.port}`)).toBe(401);
		expect(await mutation(server, `https://127.0.0.1:${server.port}`)).toBe(403);
	});

	it('a client cannot choose the origin through the private headers', async () => {
		const status = await mutation(server, `https://evil.example`, { 'x-wipecert-origin-protocol': 'https', 'x-wipecert-origin-host': 'evil.example' });
		expect(status).toBe(403);
	});
});

describe('ORIGIN set: every request’s origin is ORIGIN, whatever Host says', () => {
	let server: Server;
	beforeAll(async () => {
		server = await startServer({ ORIGIN: 'https://wipecert.example.com' });
	});
	afterAll(async () => server?.stop());

	it('the configured origin passes, the socket’s own origin is refused', async () => {
		expect(await mutation(server, 'https://wipecert.example.com')).toBe(401);
		expect(await mutation(server, `http://127.0.0.1:${server.port}`)).toBe(403);
	});

	it('/auth/login does not bounce to ORIGIN: event.url.host already is ORIGIN’s host', async () => {
		const r = await fetch(`http://127.0.0.1:${server.port}/auth/login`, { redirect: 'manual' });
		expect(r.status).toBeGreaterThanOrEqual(300);
		expect(r.headers.get('location') ?? '').not.toMatch(/^https:\/\/wipecert\.example\.com\/auth\/login/);
	});
});

describe('PROTOCOL_HEADER behind a TLS proxy (ORIGIN unset)', () => {
	let server: Server;
	beforeAll(async () => {
		server = await startServer({ ORIGIN: undefined as unknown as string, PROTOCOL_HEADER: 'x-forwarded-proto' });
	});
	afterAll(async () => server?.stop());

	it('the operator’s header decides the protocol', async () => {
		expect(await mutation(server, `https://127.0.0.1:${server.port}`, { 'x-forwarded-proto': 'https' })).toBe(401);
		expect(await mutation(server, `http://127.0.0.1:${server.port}`, { 'x-forwarded-proto': 'https' })).toBe(403);
	});
});

describe('defaults of the web entry', () => {
	let server: Server;
	beforeAll(async () => {
		server = await startServer({ HOST: undefined as unknown as string, PROOF_MAX_BYTES: '4096' });
	});
	afterAll(async () => server?.stop());

	it('HOST unset: listens on 127.0.0.1 only', async () => {
		expect(server.proc.output()).toMatch(new RegExp(`Listening on http://127\\.0\\.0\\.1:${server.port}`));
	});

	it('a chunked upload past PROOF_MAX_BYTES gets the 413 envelope while the client is still sending', async () => {
		const chunk = Buffer.alloc(64 * 1024, 0x30);
		const total = 512; // up to 32 MiB: far more than the server reads before answering
		let written = 0;
		const answer = await new Promise<Answer & { writtenBefore: number }>((resolve, reject) => {
			const req = httpRequest(
				{
					host: '127.0.0.1',
					port: server.port,
					path: '/ingest/v1/proofs',
					method: 'POST',
					headers: {
						'content-type': 'application/pkcs7-mime',
						'transfer-encoding': 'chunked',
						'signature-input': 'sig1=("@method");created=1',
						signature: 'sig1=:AAAA:'
					}
				},
				(res) => {
					const writtenBefore = written;
					let body = '';
					res.setEncoding('utf8');
					res.on('data', (d) => (body += d));
					res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, writtenBefore }));
					res.on('error', reject);
				}
			);
			// the server closes the connection after answering: writes after that fail, which is expected
			req.on('error', () => {});
			const pump = () => {
				while (written < total) {
					written++;
					if (!req.write(chunk)) return void req.once('drain', pump);
				}
				req.end();
			};
			pump();
		});
		expect(answer.status).toBe(413);
		expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'payload_too_large' } });
		expect(answer.headers.connection).toBe('close');
		// the answer came before the whole body was sent: the client did not have to finish (or hang)
		expect(answer.writtenBefore).toBeLessThan(total);
	});

	it('the server stays healthy for the next request', async () => {
		expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
	});
});
