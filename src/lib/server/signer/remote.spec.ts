import { createHash, generateKeyPairSync, randomBytes, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvelopedData } from './cms';
import { createDevTlsMaterial, type TlsMaterial } from './dev-certs';
import { createKeyringSigner, type KeyringSigner } from './keyring';
import { createCsr, OID } from './pki';
import { RemoteSigner } from './remote';
import { createSignerServer } from './server';
import { SignerUnavailable } from './types';

/** The remote signer over real mutual TLS: same answers as in-process; strangers are refused at the handshake. */
let dir: string;
let keyring: KeyringSigner;
let tls: TlsMaterial;
let server: Server;
let url: string;
const clients: RemoteSigner[] = [];
const client = (o: Partial<ConstructorParameters<typeof RemoteSigner>[0]> = {}) => {
	const c = new RemoteSigner({ url, cert: tls.clientCert, key: tls.clientKey, ca: tls.caCert, timeoutMs: 5000, ...o });
	clients.push(c);
	return c;
};

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'wipecert-remote-'));
	keyring = await createKeyringSigner(join(dir, 'keys'), { keys: 3, batchSize: 20, noteKeyName: 'remote.test/log' });
	tls = createDevTlsMaterial();
	server = createSignerServer(keyring, { cert: tls.serverCert, key: tls.serverKey, ca: tls.caCert });
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	url = `https://localhost:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
	for (const c of clients) await c.close();
	server.closeAllConnections();
	await new Promise((r) => server.close(r));
	rmSync(dir, { recursive: true, force: true });
});

describe('remote signer (mTLS)', () => {
	it('serves every operation with the keyring’s keys', async () => {
		const remote = client();
		const keys = await remote.publicKeys();
		expect(keys).toEqual(await keyring.publicKeys());
		const data = randomBytes(64);
		expect(await remote.hmac(data)).toBe(await keyring.hmac(data));
		const content = randomBytes(500);
		expect(Buffer.from(await remote.decryptEnvelope(buildEnvelopedData(content, OID.signedData, keys.proofEncryptionCertificatePem))).equals(content)).toBe(true);
		const records = Array.from({ length: 20 }, (_, i) => ({ id: `c-${i}`, bytes: randomBytes(30) }));
		const t = performance.now();
		const batch = await remote.signBatch(records);
		console.info(`[remote] signBatch of 20 over mTLS: ${(performance.now() - t).toFixed(1)} ms`);
		const cert = new X509Certificate(keys.signing.find((k) => k.keyId === batch.keyId)!.certificatePem);
		for (const r of records) expect(verify('sha256', r.bytes, cert.publicKey, Buffer.from(batch.signatures.get(r.id)!, 'base64'))).toBe(true);
		const pdf = await remote.signPdfDigest(createHash('sha256').update('pdf').digest());
		expect(pdf.cms[0]).toBe(0x30);
		const note = await remote.signNote('remote.test/log\n1\nAAAA\n');
		expect(note.keyName).toBe('remote.test/log');
		expect(note.signature.length).toBe(64);
		const agentKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
		const issued = await remote.issueAgentCertificate({ tenantId: 't1', agentId: 'a1', name: 'n', csrPem: createCsr({ CN: 'n' }, agentKey) });
		expect(issued.notAfter).toBeInstanceOf(Date);
		expect(await remote.agentCaCertificate('t1')).toBe(issued.caCertificatePem);
		expect((await remote.keyUsage()).reduce((n, k) => n + k.batches, 0)).toBe(2);
		// the chain key stays in the signer: the client gets the address and signed bytes only
		expect(await remote.chainAddress()).toBe(await keyring.chainAddress());
		const tx = { chainId: 1337, nonce: 3, to: '0x00000000000000000000000000000000000000bb' as const, data: '0xabcd' as const, gas: 50_000n, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 10n ** 8n };
		expect(await remote.signTransaction(tx)).toEqual(await keyring.signTransaction(tx));
		const legacy = { chainId: 296, nonce: 0, to: null, data: '0x6000' as const, gas: 90_000n, gasPrice: 10n ** 12n };
		expect(await remote.signTransaction(legacy)).toEqual(await keyring.signTransaction(legacy));
	});

	it('a bad input is a plain Error (the proof is rejected), not SignerUnavailable (which would retry it forever)', async () => {
		const remote = client();
		const err = await remote.decryptEnvelope(Buffer.from([0x30, 0x00])).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(Error);
		expect(err).not.toBeInstanceOf(SignerUnavailable);
		await expect(remote.signBatch(Array.from({ length: 21 }, (_, i) => ({ id: `x${i}`, bytes: Buffer.from('x') })))).rejects.toThrow(/at most 20/);
		await expect(remote.issueAgentCertificate({ tenantId: 't1', agentId: 'a', name: 'n', csrPem: 'nope' })).rejects.toThrow(/PKCS#10/);
		const tx = { chainId: 1, nonce: 0, to: null, data: '0x' as const, gas: 21_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 2n };
		const refused = await remote.signTransaction(tx).catch((e: unknown) => e);
		expect(refused).not.toBeInstanceOf(SignerUnavailable);
		expect(String(refused)).toMatch(/must not exceed/);
	});

	it('refuses a client without a certificate, or with one of another CA, at the TLS handshake', async () => {
		const stranger = createDevTlsMaterial();
		await expect(client({ cert: stranger.clientCert, key: stranger.clientKey }).publicKeys()).rejects.toBeInstanceOf(SignerUnavailable);
		await expect(client({ cert: undefined as unknown as string, key: undefined as unknown as string }).publicKeys()).rejects.toBeInstanceOf(SignerUnavailable);
		// and the client refuses a server whose certificate another CA issued
		await expect(client({ ca: stranger.caCert }).publicKeys()).rejects.toThrow(/unreachable/);
	});

	it('a signer that is not listening is SignerUnavailable', async () => {
		const down = client({ url: 'https://127.0.0.1:1' });
		await expect(down.hmac(Buffer.from('x'))).rejects.toBeInstanceOf(SignerUnavailable);
	});
});
