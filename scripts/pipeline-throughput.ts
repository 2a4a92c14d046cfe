/**
 * Proof pipeline throughput (issue 5 closing note), in-process on an embedded
 * PostgreSQL in a temporary DATA_DIR:
 *
 *   npx tsx scripts/pipeline-throughput.ts [COUNT=200] [WORKERS=2]
 *
 * Registers COUNT proofs (object stored, row + job in one transaction), then
 * runs WORKERS proof-worker loops side by side (batches of SIGNER_BATCH_SIZE)
 * until every proof is certified, and prints proofs/s and where the time goes
 * per pipeline step. The CMS decrypt/verify (proofs/format) and the keyring
 * are the crypto engineer's and not in the build yet: `open` here parses a
 * DER-wrapped report, `hmac` is HMAC-SHA-256 and receipts are real P-256
 * signatures, so the figure is the pipeline's own cost (database, storage,
 * ledger, certificate rows) plus a per-record ECDSA signature.
 */
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../src/lib/server/certificates';
import { parseConfig, resolveConfig } from '../src/lib/server/config';
import { grantLicences } from '../src/lib/server/licences';
import { startPlatform, stopPlatform } from '../src/lib/server/platform';
import { processBatch, type PipelineContext, type PipelineParts } from '../src/lib/server/proofs/pipeline';
import { registerProof, storeProof } from '../src/lib/server/proofs/submission';
import { ensureDevTenants } from '../src/lib/server/tenancy';
import { createLogger } from '../src/lib/server/telemetry/logger';

const count = Number(process.argv[2] ?? 200);
const workers = Number(process.argv[3] ?? 2);
const dataDir = mkdtempSync(join(tmpdir(), 'wipecert-throughput-'));
const config = resolveConfig(parseConfig({ DATA_DIR: dataDir, NODE_ENV: 'test', LOG_LEVEL: 'warn' }));
const log = createLogger('warn');
const p = await startPlatform({ config, log });
try {
	const { acme } = await ensureDevTenants(p.database.db);
	await p.database.sql`insert into agents (tenant_id, name, certificate_serial, certificate_pem, public_key_spki) values (${acme}, 'bench', 'aa01', '', '')`;
	const admin = { actor: { kind: 'user', id: 'bench', role: 'platform_admin' }, correlationId: 'bench', sourceIp: null };
	await p.database.db.transaction((tx) => grantLicences(tx, { tenantId: acme, kind: 'grant', amount: count, reason: 'bench' }, admin));

	const hmacKey = randomBytes(32);
	const receiptKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const parts: PipelineParts = {
		async open(der) {
			const json = Buffer.from(der.subarray(4)).toString('utf8');
			const report = JSON.parse(json) as unknown;
			return { report, canonicalReport: Buffer.from(canonicalJson(report)), signerSerialHex: 'aa01' };
		},
		async hmac(bytes) {
			return createHmac('sha256', hmacKey).update(bytes).digest('hex');
		},
		async signReceipts(records) {
			return new Map(records.map((r) => [r.id, { keyId: 'k1', signature: sign('sha256', r.bytes, receiptKey.privateKey).toString('base64'), algorithm: 'ecdsa-p256-sha256' }]));
		}
	};

	let t = performance.now();
	for (let i = 0; i < count; i++) {
		const report = Buffer.from(
			JSON.stringify({ device: { type: 'SSD', manufacturer: 'Samsung', model: '870 EVO', serial: `S${i}-${randomBytes(4).toString('hex')}`, capacityBytes: 5e11 }, result: 'erased', log: randomBytes(700).toString('base64') })
		);
		const der = Buffer.concat([Buffer.from([0x30, 0x82, (report.length >> 8) & 0xff, report.length & 0xff]), report]);
		const stored = await storeProof(p.storage, acme, der);
		await p.database.db.transaction((tx) => registerProof(tx, p.queue, stored, { source: 'api', submitter: { kind: 'user', id: 'bench' } }));
	}
	const submitSeconds = (performance.now() - t) / 1000;

	const ctx: PipelineContext = {
		db: p.database.db,
		queue: p.queue,
		storage: p.storage,
		log,
		parts,
		settings: { batchSize: config.SIGNER_BATCH_SIZE, claimTimeoutSeconds: 300, retryBaseDelay: 30, retryMaxDelay: 3600, retryLimit: 20, anchor: false, notify: false }
	};
	const steps: Record<string, number> = {};
	let certified = 0;
	let batches = 0;
	t = performance.now();
	await Promise.all(
		Array.from({ length: workers }, async (_, w) => {
			for (;;) {
				const r = await processBatch(ctx, `bench-${w}`);
				if (!r.claimed) break;
				batches++;
				certified += r.certified;
				for (const [k, v] of Object.entries(r.ms)) steps[k] = (steps[k] ?? 0) + v;
			}
		})
	);
	const seconds = (performance.now() - t) / 1000;
	const total = Object.values(steps).reduce((a, b) => a + b, 0);
	console.log(
		JSON.stringify(
			{
				proofs: count,
				workers,
				batchSize: config.SIGNER_BATCH_SIZE,
				submitted_per_s: Math.round(count / submitSeconds),
				certified,
				batches,
				seconds: Number(seconds.toFixed(2)),
				certified_per_s: Math.round(certified / seconds),
				time_share: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, `${((100 * v) / total).toFixed(1)}%`]))
			},
			null,
			1
		)
	);
} finally {
	await stopPlatform();
	rmSync(dataDir, { recursive: true, force: true });
}
