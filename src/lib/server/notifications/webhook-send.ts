import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { hostKey, refusedAddress, staticProblem, type OutboundPolicy } from './ssrf';

/** The result of one HTTP attempt, as the delivery log records it. */
export type HttpOutcome = {
	ok: boolean;
	status: number | null;
	latencyMs: number;
	error: string | null;
	/** the first KiB of the response body, for the delivery log */
	excerpt: string | null;
	/** seconds from a Retry-After header (429, 503) */
	retryAfterSeconds: number | null;
	/** 410 Gone: the receiver wants no more messages (Standard Webhooks: disable the endpoint) */
	gone: boolean;
	/** refused by the outbound address policy: nothing was connected to */
	refused: boolean;
};

export type WebhookClientOptions = {
	policy: OutboundPolicy;
	connectTimeoutMs: number;
	totalTimeoutMs: number;
	maxResponseBytes: number;
	maxSockets: number;
	/** name resolution (the system resolver unless a test resolves names itself) */
	lookup?: typeof dnsLookup;
};

export type WebhookClient = { post(url: string, body: string, headers: Record<string, string>): Promise<HttpOutcome>; close(): void };

const EXCERPT_BYTES = 1024;

/**
 * The HTTP side of webhook delivery: one POST per attempt with connect and
 * total timeouts, no redirects followed (a 3xx is a failed attempt, Standard
 * Webhooks "Delivery success and failure"), at most `maxResponseBytes` of the
 * response read. Connections to policy hosts go through request-filtering-agent,
 * which checks every resolved address after DNS and before connect.
 */
export function webhookClient(o: WebhookClientOptions): WebhookClient {
	const common = { keepAlive: true, maxSockets: o.maxSockets, timeout: o.totalTimeoutMs };
	const filtered = { http: new RequestFilteringHttpAgent(common), https: new RequestFilteringHttpsAgent(common) };
	const allowed = { http: new HttpAgent(common), https: new HttpsAgent(common) };
	const lookup = o.lookup ?? dnsLookup;
	return {
		close() {
			for (const a of [filtered.http, filtered.https, allowed.http, allowed.https]) a.destroy();
		},
		post(raw, body, headers) {
			const started = performance.now();
			const done = (p: Partial<HttpOutcome>): HttpOutcome => ({
				ok: false,
				status: null,
				error: null,
				excerpt: null,
				retryAfterSeconds: null,
				gone: false,
				refused: false,
				...p,
				latencyMs: Math.round(performance.now() - started)
			});
			let url: URL;
			try {
				url = new URL(raw);
			} catch {
				return Promise.resolve(done({ error: 'refused: the endpoint URL is not valid', refused: true }));
			}
			const problem = staticProblem(url, o.policy);
			if (problem) return Promise.resolve(done({ error: `refused: ${problem}`, refused: true }));
			const isAllowed = o.policy.allowedHosts.has(hostKey(url));
			const https = url.protocol === 'https:';
			const agent = isAllowed ? allowed[https ? 'https' : 'http'] : filtered[https ? 'https' : 'http'];
			// Remembers what the name resolved to, to say why the agent refused the connection.
			const resolved: string[] = [];
			const recordingLookup = ((hostname: string, options: LookupOptions, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) =>
				lookup(hostname, options, (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => {
					if (!err) resolved.push(...(Array.isArray(address) ? address.map((a) => a.address) : [address]));
					cb(err, address, family);
				})) as unknown as typeof dnsLookup;
			return new Promise<HttpOutcome>((resolve) => {
				let settled = false;
				let req: ClientRequest | undefined;
				const finish = (p: Partial<HttpOutcome>) => {
					if (settled) return;
					settled = true;
					clearTimeout(total);
					resolve(done(p));
				};
				const total = setTimeout(() => {
					finish({ error: `timed out after ${o.totalTimeoutMs} ms` });
					req?.destroy();
				}, o.totalTimeoutMs);
				req = (https ? httpsRequest : httpRequest)(url, {
					method: 'POST',
					agent,
					lookup: recordingLookup,
					headers: { 'content-type': 'application/json', 'user-agent': 'WipeCert-Webhooks/1', ...headers, 'content-length': String(Buffer.byteLength(body)) }
				});
				req.on('socket', (socket) => {
					if (!socket.connecting) return;
					const timer = setTimeout(() => {
						finish({ error: `could not connect within ${o.connectTimeoutMs} ms` });
						req?.destroy();
					}, o.connectTimeoutMs);
					socket.once('connect', () => clearTimeout(timer));
					socket.once('close', () => clearTimeout(timer));
				});
				req.on('error', (error: NodeJS.ErrnoException) => {
					const bad = isAllowed ? null : resolved.map((a) => [a, refusedAddress(a)] as const).find(([, why]) => why);
					if (bad) finish({ error: `refused: ${url.hostname} resolves to ${bad[0]}, a ${bad[1]}`, refused: true });
					else finish({ error: error.code ? `${error.code}: ${error.message}` : error.message });
				});
				req.on('response', (res) => readResponse(res, o.maxResponseBytes).then((excerpt) => finish(outcomeOf(res, excerpt))));
				req.end(body);
			});
		}
	};
}

function outcomeOf(res: IncomingMessage, excerpt: string | null): Partial<HttpOutcome> {
	const status = res.statusCode ?? 0;
	const base = { status, excerpt };
	if (status >= 200 && status < 300) return { ...base, ok: true };
	if (status >= 300 && status < 400) {
		let where = '';
		try {
			where = ` to ${new URL(String(res.headers.location ?? ''), 'http://x.invalid').host}`;
		} catch {
			where = '';
		}
		return { ...base, error: `redirect${where} not followed (HTTP ${status}); update the endpoint URL` };
	}
	return { ...base, error: `HTTP ${status}`, gone: status === 410, retryAfterSeconds: retryAfter(res.headers['retry-after']) };
}

/** Retry-After as seconds (RFC 9110 §10.2.3: delay-seconds or an HTTP-date). */
function retryAfter(value: string | undefined): number | null {
	if (!value) return null;
	if (/^\d+$/.test(value.trim())) return Number(value.trim());
	const at = Date.parse(value);
	return Number.isNaN(at) ? null : Math.max(0, Math.round((at - Date.now()) / 1000));
}

/** Reads up to `max` bytes, then closes; resolves with the printable start of the body. */
function readResponse(res: IncomingMessage, max: number): Promise<string | null> {
	return new Promise((resolve) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const end = () => {
			const head = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
			// eslint-disable-next-line no-control-regex
			const printable = head.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim();
			resolve(printable || null);
		};
		res.on('data', (chunk: Buffer) => {
			if (size < EXCERPT_BYTES) chunks.push(chunk);
			size += chunk.length;
			if (size > max) {
				res.destroy();
				end();
			}
		});
		res.on('end', end);
		res.on('error', end);
		res.on('close', end);
	});
}
