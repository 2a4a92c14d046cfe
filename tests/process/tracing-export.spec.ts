import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, waitUntil, type Server } from '../helpers/process';

/**
 * OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, requests
 * to the app are exported as OTLP/HTTP spans to <endpoint>/v1/traces. The
 * collector is a tiny HTTP server this test starts on loopback.
 */
type Received = { path: string; contentType: string; body: string };
const received: Received[] = [];
let collector: HttpServer;
let server: Server;

const readBody = (req: IncomingMessage) =>
	new Promise<string>((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});

beforeAll(async () => {
	collector = createServer(async (req, res) => {
		received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: await readBody(req) });
		res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
	});
	await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
	const { port } = collector.address() as AddressInfo;
	server = await startServer({
		OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
		// export batches quickly so the test takes seconds (OTel SDK environment variable)
		OTEL_BSP_SCHEDULE_DELAY: '200'
	});
});
afterAll(async () => {
	await server?.stop();
	await new Promise((r) => collector?.close(r));
});

describe('OpenTelemetry traces', () => {
	it('a request produces an OTLP POST to /v1/traces with a server span for its route', async () => {
		const r = await fetch(`${server.origin}/api/v1/buildinfo?token=never-exported`, { headers: { 'x-request-id': 'otel-check-1' } });
		expect(r.status).toBe(200);
		const hit = await waitUntil(
			() => received.find((x) => x.path === '/v1/traces' && x.body.includes('otel-check-1')),
			'an OTLP export carrying the request',
			15_000
		);
		expect(hit.contentType).toMatch(/application\/(json|x-protobuf)/);
		expect(hit.body).toContain('GET /api/v1/buildinfo');
		expect(hit.body).toContain('http.route');
		expect(hit.body).toContain('wipecert-web');
		// the span names the route, never the raw URL with its query
		expect(received.map((x) => x.body).join('\n')).not.toContain('never-exported');
	});
});
