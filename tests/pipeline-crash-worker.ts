/**
 * A proof worker process for tests/pipeline-crash.spec.ts: the real pipeline
 * (claims, ledger, certificate rows, receipts) on DATABASE_URL, looping until
 * no proof is left. The parts the crypto engineer owns are stood in for as
 * their contract says: a receipt signer that signs a record at most once
 * (unique record id in `test_receipts`; a second request answers the stored
 * signature) and a report "format" of DER-wrapped JSON.
 *
 *   DATABASE_URL=… DATA_DIR=… tsx tests/pipeline-crash-worker.ts WORKER_ID
 */
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { canonicalJson } from '../src/lib/server/certificates';
import { parseConfig, resolveConfig } from '../src/lib/server/config';
import { startPlatform, stopPlatform } from '../src/lib/server/platform';
import { processBatch, type PipelineParts } from '../src/lib/server/proofs/pipeline';
import { createLogger } from '../src/lib/server/telemetry/logger';

const workerId = process.argv[2] ?? `crash-${process.pid}`;
const config = resolveConfig(parseConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn' }));
const log = createLogger('warn');
const p = await startPlatform({ config, log });
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const sql = p.database.sql;

const parts: PipelineParts = {
	async open(der) {
		const report = JSON.parse(Buffer.from(der.subarray(4)).toString('utf8')) as unknown;
		return { report, canonicalReport: Buffer.from(canonicalJson(report)), signerSerialHex: 'aa01' };
	},
	async hmac(bytes) {
		return createHmac('sha256', 'crash-test').update(bytes).digest('hex');
	},
	async signReceipts(records) {
		const out = new Map<string, { keyId: string; signature: string; algorithm: string }>();
		for (const r of records) {
			const signature = sign('sha256', r.bytes, key.privateKey).toString('base64');
			const [row] = await sql<{ signature: string }[]>`
				with ins as (insert into test_receipts (record_id, signature, worker) values (${r.id}, ${signature}, ${workerId}) on conflict (record_id) do nothing returning signature)
				select signature from ins union all select signature from test_receipts where record_id = ${r.id} limit 1`;
			out.set(r.id, { keyId: 'k1', signature: row.signature, algorithm: 'ecdsa-p256-sha256' });
			// slow enough that a kill lands between signing and recording now and then
			await new Promise((resolve) => setTimeout(resolve, 5));
		}
		return out;
	}
};

const ctx = {
	db: p.database.db,
	queue: p.queue,
	storage: p.storage,
	log,
	parts,
	settings: { batchSize: 10, claimTimeoutSeconds: Number(process.env.PROOF_CLAIM_TIMEOUT ?? 2), retryBaseDelay: 1, retryMaxDelay: 2, retryLimit: 50, anchor: false, notify: false }
};
let idle = 0;
while (idle < 20) {
	const r = await processBatch(ctx, workerId);
	if (r.claimed) idle = 0;
	else {
		idle++;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
await stopPlatform();
process.exit(0);
