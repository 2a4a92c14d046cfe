import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Received = { id: string; timestamp: number; signature: string; body: string; headers: IncomingHttpHeaders; path: string; at: number };
export type Reply = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

/**
 * A real HTTP webhook receiver on a loopback port: records every request
 * (raw body and Standard Webhooks headers), counts TCP connections, and
 * answers what the test says (status, headers, delay).
 */
export async function startReceiver(reply: (r: Received, n: number) => Reply = () => ({ status: 204 }), listenPort = 0) {
	const requests: Received[] = [];
	let connections = 0;
	let respond = reply;
	const sockets = new Set<Socket>();
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const r: Received = {
				id: String(req.headers['webhook-id'] ?? ''),
				timestamp: Number(req.headers['webhook-timestamp'] ?? 0),
				signature: String(req.headers['webhook-signature'] ?? ''),
				body: Buffer.concat(chunks).toString('utf8'),
				headers: req.headers,
				path: req.url ?? '/',
				at: Date.now()
			};
			requests.push(r);
			const answer = respond(r, requests.length);
			const send = () => {
				if (res.destroyed) return;
				res.writeHead(answer.status, answer.headers ?? {});
				res.end(answer.body ?? '');
			};
			if (answer.delayMs) setTimeout(send, answer.delayMs);
			else send();
		});
	});
	server.on('connection', (s) => {
		connections++;
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	return {
		port,
		host: `127.0.0.1:${port}`,
		url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
		requests,
		get connections() {
			return connections;
		},
		reply(fn: (r: Received, n: number) => Reply) {
			respond = fn;
		},
		/** true when one of `secrets` verifies the request (standardwebhooks' own verifier) */
		verifies(r: Received, secret: string): boolean {
			try {
				new Webhook(secret).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': String(r.timestamp), 'webhook-signature': r.signature });
				return true;
			} catch {
				return false;
			}
		},
		uniqueIds: () => new Set(requests.map((r) => r.id)),
		async waitFor(n: number, timeoutMs = 20_000) {
			const deadline = Date.now() + timeoutMs;
			while (requests.length < n) {
				if (Date.now() > deadline) throw new Error(`receiver got ${requests.length} of ${n} requests`);
				await new Promise((r) => setTimeout(r, 25));
			}
		},
		stop: () =>
			new Promise<void>((resolve) => {
				for (const s of sockets) s.destroy();
				server.close(() => resolve());
			})
	};
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
