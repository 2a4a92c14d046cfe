/**
 * Crypto figures of the proof pipeline (for a release note; not a test):
 *
 *   npx tsx scripts/crypto-figures.ts [PROOFS=200] [BATCH=50]
 *
 * Prints the mean time to build one proof (agent side: sign + encrypt), to open
 * one (decrypt through the keyring, verify, chain check, schema), and to sign
 * one batch of BATCH receipts, in-process and through the remote signer over
 * mutual TLS on loopback.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProof, openProof } from '../src/lib/server/proofs/format';
import { sampleReport } from '../src/lib/server/proofs/format/sample';
import { createDevTlsMaterial } from '../src/lib/server/signer/dev-certs';
import { createKeyringSigner } from '../src/lib/server/signer/keyring';
import { createCsr } from '../src/lib/server/signer/pki';
import { RemoteSigner } from '../src/lib/server/signer/remote';
import { createSignerServer } from '../src/lib/server/signer/server';

const N = Number(process.argv[2] ?? 200);
const BATCH = Number(process.argv[3] ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'wipecert-figures-'));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
try {
	const t0 = performance.now();
	const keyring = await createKeyringSigner(join(dir, 'keys'), { keys: 100, batchSize: BATCH });
	const firstStart = performance.now() - t0;
	const agentKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const issued = await keyring.issueAgentCertificate({ tenantId: 't', agentId: 'a', name: 'figures', csrPem: createCsr({ CN: 'figures' }, agentKey) });
	const encryptionCert = (await keyring.publicKeys()).proofEncryptionCertificatePem;
	const reports = Array.from({ length: N }, () => sampleReport());
	const build: number[] = [];
	const ders = reports.map((report) => {
		const t = performance.now();
		const der = buildProof({ report, agentKey, agentCert: issued.certificatePem, encryptionCert });
		build.push(performance.now() - t);
		return der;
	});
	const open: number[] = [];
	for (const der of ders) {
		const t = performance.now();
		await openProof(der, { signer: keyring, agentCaPem: issued.caCertificatePem, receivedAt: new Date() });
		open.push(performance.now() - t);
	}
	const records = () => Array.from({ length: BATCH }, (_, i) => ({ id: `r${i}`, bytes: randomBytes(900) }));
	const local: number[] = [];
	for (let i = 0; i < 20; i++) {
		const t = performance.now();
		await keyring.signBatch(records());
		local.push(performance.now() - t);
	}
	const tls = createDevTlsMaterial();
	const server = createSignerServer(keyring, { cert: tls.serverCert, key: tls.serverKey, ca: tls.caCert });
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	const remote = new RemoteSigner({ url: `https://localhost:${(server.address() as AddressInfo).port}`, cert: tls.clientCert, key: tls.clientKey, ca: tls.caCert });
	await remote.signBatch(records());
	const viaTls: number[] = [];
	for (let i = 0; i < 20; i++) {
		const t = performance.now();
		await remote.signBatch(records());
		viaTls.push(performance.now() - t);
	}
	await remote.close();
	server.closeAllConnections();
	server.close();
	console.log(
		JSON.stringify(
			{
				proofs: N,
				proofBytesMean: Math.round(mean(ders.map((d) => d.length))),
				keyringFirstStartMs: Math.round(firstStart),
				buildMsPerProof: +mean(build).toFixed(2),
				openMsPerProof: +mean(open).toFixed(2),
				batch: BATCH,
				signBatchMsInProcess: +mean(local).toFixed(2),
				signBatchMsRemoteMtls: +mean(viaTls).toFixed(2)
			},
			null,
			2
		)
	);
} finally {
	rmSync(dir, { recursive: true, force: true });
}
