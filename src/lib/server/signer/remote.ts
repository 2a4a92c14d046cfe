/**
 * The remote signer client (production points SIGNER_URL at the
 * `signer` service). JSON over HTTPS with mutual TLS: the client presents
 * SIGNER_TLS_CERT/SIGNER_TLS_KEY and trusts only SIGNER_TLS_CA for the server.
 * Anything that keeps the call from reaching the keys (refused connection,
 * TLS failure, timeout, a 5xx) is `SignerUnavailable`, which the pipeline turns
 * into FAILED_RETRYABLE; a 400 is a bad input (plain Error), as in-process.
 */
import { Agent, request } from 'node:https';
import { z } from 'zod';
import { traceCarrier } from '#lib/server/telemetry/tracing';
import { chainTransactionToWire, signedChainTransactionWire } from './chain-tx';
import { SignerUnavailable, type BatchSignature, type ChainTransaction, type Hex, type PublishedKeys, type SignedChainTransaction, type Signer } from './types';

export type RemoteSignerOptions = {
	url: string;
	/** client certificate and key (PEM) */
	cert: string | Buffer;
	key: string | Buffer;
	/** CA (PEM) that issued the server's certificate */
	ca: string | Buffer;
	timeoutMs?: number;
};

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

const wire = {
	bytes: z.object({ content: z.string() }),
	hmac: z.object({ hmac: z.string().regex(/^[0-9a-f]{64}$/) }),
	batch: z.object({ keyId: z.string(), algorithm: z.string(), signatures: z.record(z.string(), z.string()) }),
	pdf: z.object({ keyId: z.string(), cms: z.string() }),
	note: z.object({ keyName: z.string(), keyHash: z.string(), signature: z.string() }),
	agentCert: z.object({ certificatePem: z.string(), caCertificatePem: z.string(), serialHex: z.string(), notAfter: z.iso.datetime() }),
	agentCa: z.object({ certificatePem: z.string() }),
	keys: z.object({
		signing: z.array(z.object({ keyId: z.string(), algorithm: z.string(), certificatePem: z.string(), createdAt: z.string(), retiredAt: z.string().nullable() })),
		rootCertificatePem: z.string(),
		proofEncryptionCertificatePem: z.string(),
		proofEncryptionEcdhCertificatePem: z.string(),
		logVerifierKey: z.string()
	}),
	chainAddress: z.object({ address: z.string().regex(/^0x[0-9a-fA-F]{40}$/) }),
	signedTx: signedChainTransactionWire,
	usage: z.object({ keys: z.array(z.object({ keyId: z.string(), batches: z.number(), lastUsedAt: z.string().nullable() })) }),
	error: z.object({ error: z.object({ code: z.string(), message: z.string() }) })
};

export class RemoteSigner implements Signer {
	private readonly agent: Agent;
	private readonly base: URL;

	constructor(private readonly opts: RemoteSignerOptions) {
		this.base = new URL(opts.url);
		if (this.base.protocol !== 'https:') throw new Error('SIGNER_URL must be https');
		this.agent = new Agent({ keepAlive: true, cert: opts.cert, key: opts.key, ca: opts.ca, maxSockets: 16 });
	}

	private call<T extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: T, body?: unknown): Promise<z.output<T>> {
		const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
		const url = new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base : new URL(this.base.href + '/'));
		return new Promise((resolve, reject) => {
			const req = request(
				url,
				{
					method,
					agent: this.agent,
					timeout: this.opts.timeoutMs ?? 10_000,
					// W3C trace context: the signer service's span joins the caller's trace
					headers: { ...traceCarrier(), ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) }
				},
				(res) => {
					const chunks: Buffer[] = [];
					res.on('data', (c: Buffer) => chunks.push(c));
					res.on('error', (e) => reject(new SignerUnavailable(`signer response: ${e.message}`, { cause: e })));
					res.on('end', () => {
						const text = Buffer.concat(chunks).toString('utf8');
						let json: unknown;
						try {
							json = JSON.parse(text);
						} catch {
							return reject(new SignerUnavailable(`signer answered ${res.statusCode} without JSON`));
						}
						const status = res.statusCode ?? 0;
						if (status >= 200 && status < 300) {
							const parsed = schema.safeParse(json);
							return parsed.success ? resolve(parsed.data) : reject(new SignerUnavailable(`signer answered an unexpected body for ${path}`));
						}
						const err = wire.error.safeParse(json);
						const message = err.success ? err.data.error.message : `HTTP ${status}`;
						// 4xx: our input was bad; it would be as bad in a retry
						reject(status >= 400 && status < 500 ? new Error(message) : new SignerUnavailable(`signer: ${message}`));
					});
				}
			);
			req.on('timeout', () => req.destroy(new Error(`no answer within ${this.opts.timeoutMs ?? 10_000} ms`)));
			req.on('error', (e) => reject(new SignerUnavailable(`signer ${this.base.host} unreachable: ${e.message}`, { cause: e })));
			req.end(payload);
		});
	}

	async decryptEnvelope(envelopedDer: Uint8Array): Promise<Uint8Array> {
		return unb64((await this.call('POST', 'v1/decrypt', wire.bytes, { der: b64(envelopedDer) })).content);
	}

	async hmac(bytes: Uint8Array): Promise<string> {
		return (await this.call('POST', 'v1/hmac', wire.hmac, { bytes: b64(bytes) })).hmac;
	}

	async signBatch(records: { id: string; bytes: Uint8Array }[]): Promise<BatchSignature> {
		const r = await this.call('POST', 'v1/sign-batch', wire.batch, { records: records.map((x) => ({ id: x.id, bytes: b64(x.bytes) })) });
		return { keyId: r.keyId, algorithm: r.algorithm, signatures: new Map(Object.entries(r.signatures)) };
	}

	async signPdfDigest(sha256: Uint8Array): Promise<{ keyId: string; cms: Uint8Array }> {
		const r = await this.call('POST', 'v1/sign-pdf-digest', wire.pdf, { sha256: b64(sha256) });
		return { keyId: r.keyId, cms: unb64(r.cms) };
	}

	async signNote(body: string): Promise<{ keyName: string; keyHash: Uint8Array; signature: Uint8Array }> {
		const r = await this.call('POST', 'v1/sign-note', wire.note, { body });
		return { keyName: r.keyName, keyHash: unb64(r.keyHash), signature: unb64(r.signature) };
	}

	async issueAgentCertificate(request: { tenantId: string; agentId: string; name: string; csrPem: string }) {
		const r = await this.call('POST', 'v1/agent-certificates', wire.agentCert, request);
		return { ...r, notAfter: new Date(r.notAfter) };
	}

	async agentCaCertificate(tenantId: string): Promise<string> {
		return (await this.call('POST', 'v1/agent-ca', wire.agentCa, { tenantId })).certificatePem;
	}

	async publicKeys(): Promise<PublishedKeys> {
		return this.call('GET', 'v1/public-keys', wire.keys);
	}

	async chainAddress(): Promise<Hex> {
		return signedChainTransactionWire.shape.from.parse((await this.call('GET', 'v1/chain-address', wire.chainAddress)).address);
	}

	async signTransaction(tx: ChainTransaction): Promise<SignedChainTransaction> {
		return this.call('POST', 'v1/sign-transaction', wire.signedTx, chainTransactionToWire(tx));
	}

	async keyUsage() {
		return (await this.call('GET', 'v1/key-usage', wire.usage)).keys;
	}

	async close(): Promise<void> {
		this.agent.destroy();
	}
}
