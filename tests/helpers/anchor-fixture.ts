import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { anchorSettings, chainClient, startDevChain, type AnchorDeps, type DevChain } from '../../src/lib/server/anchor';
import type { Container } from '../../src/lib/server/container';
import { grantLicences } from '../../src/lib/server/licences';
import { logOrigin } from '../../src/lib/server/log';
import { createPipeline, processBatch } from '../../src/lib/server/proofs';
import { buildProof } from '../../src/lib/server/proofs/format';
import { sampleReport } from '../../src/lib/server/proofs/format/sample';
import { registerProof, storeProof } from '../../src/lib/server/proofs/submission';
import type { KeyringSigner } from '../../src/lib/server/signer';
import { createCsr } from '../../src/lib/server/signer/pki';
import { ensureDevTenants } from '../../src/lib/server/tenancy';
import { createLogger } from '../../src/lib/server/telemetry/logger';
import { startTestContainer } from './container';

/**
 * The real parts anchoring runs on, in one test process: the container
 * (PostgreSQL, pg-boss, storage, keyring signer) on a fresh database, the
 * embedded EVM node (ganache; blocks only when a test mines them, so
 * confirmations and reorganisations happen exactly when a test says), and the
 * real proof pipeline: real proofs from an enrolled agent, certificates
 * appended to the log with signed PDFs, ending CERTIFIED_PENDING_ANCHOR.
 */
export type AnchorFixture = {
	app: Container;
	keyring: KeyringSigner;
	chain: DevChain;
	deps: AnchorDeps;
	/** submits and certifies `n` proofs (CERTIFIED_PENDING_ANCHOR); their certificates in leaf order */
	certify(n: number): Promise<{ id: string; publicId: string; proofId: string }[]>;
	mine(blocks: number): Promise<void>;
	rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
	/** stops the embedded node (its state stays in DATA_DIR/chain) */
	stopChain(): Promise<void>;
	/** starts it again on the same port from the same state */
	restartChain(): Promise<void>;
	stop(): Promise<void>;
};

export async function startAnchorFixture(opts: { confirmations?: number; finality?: number; interval?: number; maxPending?: number } = {}): Promise<AnchorFixture> {
	const env = await startTestContainer({ env: { CHAIN: 'dev', SIGNER_KEYS: '2' } });
	const app = env.app;
	// the failures the tests provoke are logged at warn; errors only
	const log = createLogger('error');
	const keyring = (await app.signer()) as KeyringSigner;
	let chain = await startDevChain({ dataDir: env.dataDir, blockTime: 0, signer: keyring, log });
	const port = Number(new URL(chain.url).port);
	let chainUp = true;
	const acme = (await ensureDevTenants(app.database.db)).acme;
	const admin = { actor: { kind: 'user', id: 'admin', role: 'platform_admin' }, correlationId: 't', sourceIp: null };
	await app.database.db.transaction((tx) => grantLicences(tx, app.queue, { tenantId: acme, kind: 'grant', amount: 10_000, reason: 'test' }, admin));
	const agentKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const issued = await keyring.issueAgentCertificate({ tenantId: acme, agentId: 'anchor-test', name: 'anchor-test', csrPem: createCsr({ CN: 'anchor-test' }, agentKey) });
	const spki = new X509Certificate(issued.certificatePem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
	await app.database.sql`insert into agents (tenant_id, name, certificate_serial, certificate_pem, public_key_spki)
		values (${acme}, 'anchor-test', ${issued.serialHex.toLowerCase()}, ${issued.certificatePem}, ${spki})`;
	const encryptionCert = (await keyring.publicKeys()).proofEncryptionCertificatePem;
	const pipeline = createPipeline({
		db: app.database.db,
		queue: app.queue,
		storage: app.storage,
		log,
		signer: () => app.signer(),
		issuance: { origin: app.config.origin, logOrigin: logOrigin(app.config) },
		settings: { batchSize: 50, claimTimeoutSeconds: 60, retryBaseDelay: 30, retryMaxDelay: 600, retryLimit: 3, anchor: true, notify: false }
	});
	const pdf = { db: app.database.db, storage: app.storage, signer: keyring, origin: app.config.origin };
	const rpc = <T>(method: string, params: unknown[] = []) => chain.request!({ method, params }) as Promise<T>;
	const settings = {
		...anchorSettings(app.config, chain),
		confirmations: opts.confirmations ?? 3,
		finality: opts.finality ?? 10,
		interval: opts.interval ?? 60,
		maxPending: opts.maxPending ?? 1000,
		pollInterval: 1
	};
	const deps: AnchorDeps = { db: app.database.db, queue: app.queue, log, client: chainClient(chain.url, 5000), signer: keyring, pdf, settings, actor: 'worker:test' };
	return {
		app,
		keyring,
		get chain() {
			return chain;
		},
		deps,
		rpc,
		async certify(n) {
			const out: string[] = [];
			for (let i = 0; i < n; i++) {
				const der = buildProof({ report: sampleReport({ warningRatio: 0 }), agentKey, agentCert: issued.certificatePem, encryptionCert });
				const stored = await storeProof(app.storage, acme, der);
				const r = await app.database.db.transaction((tx) => registerProof(tx, app.queue, stored, { source: 'api', submitter: { kind: 'user', id: 'u' } }));
				out.push(r.publicId);
			}
			while ((await processBatch(pipeline, 'w-test')).claimed);
			return app.database.sql<{ id: string; publicId: string; proofId: string }[]>`
				select c.id, c.public_id as "publicId", c.proof_id as "proofId" from certificates c join proofs p on p.id = c.proof_id
				where p.public_id in ${app.database.sql(out)} order by c.log_index`;
		},
		async mine(blocks) {
			for (let i = 0; i < blocks; i++) await rpc('evm_mine');
		},
		async stopChain() {
			await chain.stop();
			chainUp = false;
		},
		async restartChain() {
			chain = await startDevChain({ dataDir: env.dataDir, blockTime: 0, signer: keyring, log, port });
			chainUp = true;
		},
		async stop() {
			if (chainUp) await chain.stop();
			await env.stop();
		}
	};
}
