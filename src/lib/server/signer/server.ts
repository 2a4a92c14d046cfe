/**
 * The remote signer service (`npm run signer`): the Signer operations of a
 * keyring as JSON over HTTPS with mutual TLS. Only clients presenting a
 * certificate issued by SIGNER_TLS_CA complete the handshake
 * (requestCert + rejectUnauthorized); there is no other authentication, so
 * the CA must issue client certificates only to WipeCert processes.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { SpanKind } from '@opentelemetry/api';
import { contextFrom, withSpan } from '#lib/server/telemetry/tracing';
import { chainTransactionWire } from './chain-tx';
import type { Signer } from './types';

export type SignerServerOptions = {
	cert: string | Buffer;
	key: string | Buffer;
	/** CA (PEM) whose client certificates are accepted */
	ca: string | Buffer;
	maxBodyBytes?: number;
	log?: (entry: { level: 'info' | 'warn' | 'error'; msg: string; [k: string]: unknown }) => void;
};

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const enc = (b: Uint8Array) => Buffer.from(b).toString('base64');

const bodies = {
	decrypt: z.object({ der: b64 }),
	hmac: z.object({ bytes: b64 }),
	batch: z.object({ records: z.array(z.object({ id: z.string().min(1).max(200), bytes: b64 })).min(1) }),
	pdf: z.object({ sha256: b64 }),
	note: z.object({ body: z.string() }),
	agentCert: z.object({ tenantId: z.string(), agentId: z.string(), name: z.string(), csrPem: z.string() }),
	agentCa: z.object({ tenantId: z.string() })
};

class BadInput extends Error {}

async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const c of req) {
		size += (c as Buffer).length;
		if (size > max) throw new BadInput(`body larger than ${max} bytes`);
		chunks.push(c as Buffer);
	}
	try {
		return JSON.parse(Buffer.concat(chunks).toString('utf8'));
	} catch {
		throw new BadInput('body is not JSON');
	}
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
	const r = schema.safeParse(value);
	if (!r.success) throw new BadInput(`${r.error.issues[0].path.join('.') || 'body'}: ${r.error.issues[0].message}`);
	return r.data;
}

export function createSignerServer(signer: Signer, opts: SignerServerOptions): Server {
	const max = opts.maxBodyBytes ?? 64 * 1024 * 1024;
	const routes: Record<string, (body: unknown) => Promise<unknown>> = {
		'POST /v1/decrypt': async (b) => ({ content: enc(await signer.decryptEnvelope(bytes(parse(bodies.decrypt, b).der))) }),
		'POST /v1/hmac': async (b) => ({ hmac: await signer.hmac(bytes(parse(bodies.hmac, b).bytes)) }),
		'POST /v1/sign-batch': async (b) => {
			const r = await signer.signBatch(parse(bodies.batch, b).records.map((x) => ({ id: x.id, bytes: bytes(x.bytes) })));
			return { keyId: r.keyId, algorithm: r.algorithm, signatures: Object.fromEntries(r.signatures) };
		},
		'POST /v1/sign-pdf-digest': async (b) => {
			const r = await signer.signPdfDigest(bytes(parse(bodies.pdf, b).sha256));
			return { keyId: r.keyId, cms: enc(r.cms) };
		},
		'POST /v1/sign-note': async (b) => {
			const r = await signer.signNote(parse(bodies.note, b).body);
			return { keyName: r.keyName, keyHash: enc(r.keyHash), signature: enc(r.signature) };
		},
		'POST /v1/agent-certificates': async (b) => {
			const r = await signer.issueAgentCertificate(parse(bodies.agentCert, b));
			return { ...r, notAfter: r.notAfter.toISOString() };
		},
		'POST /v1/agent-ca': async (b) => ({ certificatePem: await signer.agentCaCertificate(parse(bodies.agentCa, b).tenantId) }),
		'POST /v1/sign-transaction': async (b) => signer.signTransaction(parse(chainTransactionWire, b)),
		'GET /v1/chain-address': async () => ({ address: await signer.chainAddress() }),
		'GET /v1/public-keys': async () => signer.publicKeys(),
		'GET /v1/key-usage': async () => ({ keys: await signer.keyUsage() }),
		'GET /healthz': async () => ({ status: 'ok' })
	};
	const send = (res: ServerResponse, status: number, body: unknown) => {
		const data = Buffer.from(JSON.stringify(body));
		res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length, 'cache-control': 'no-store' });
		res.end(data);
	};
	return createServer({ cert: opts.cert, key: opts.key, ca: opts.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, async (req, res) => {
		const name = `${req.method} ${(req.url ?? '').split('?')[0]}`;
		const route = routes[name];
		if (!route) return send(res, 404, { error: { code: 'not_found', message: 'no such signer operation' } });
		try {
			const body = req.method === 'POST' ? await readJson(req, max) : undefined;
			// a SERVER span in the caller's trace (traceparent of the mTLS request)
			const answer = await withSpan(`signer ${name}`, { 'http.request.method': req.method ?? '', 'http.route': name.split(' ')[1] }, () => route(body), {
				kind: SpanKind.SERVER,
				parent: contextFrom(req.headers)
			});
			send(res, 200, answer);
		} catch (error) {
			if (error instanceof BadInput || (error instanceof Error && error.name === 'Error')) {
				// a bad input (undecryptable envelope, bad CSR, oversized batch): the caller's problem, not ours
				return send(res, 400, { error: { code: 'bad_input', message: error.message } });
			}
			opts.log?.({ level: 'error', msg: 'signer operation failed', err: error instanceof Error ? error.message : String(error) });
			send(res, 500, { error: { code: 'internal_error', message: 'the signer failed; see its log' } });
		}
	});
}
