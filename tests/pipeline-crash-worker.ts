/**
 * A proof worker process for tests/pipeline-crash.spec.ts: the real pipeline
 * (claims, ledger, certificate rows, receipts) on DATABASE_URL with the real
 * parts (proofs/format and the keyring in DATA_DIR/keys), looping until no
 * proof is left. Receipts go through the keyring's signBatch and then a table
 * with a unique record id (`test_receipts`; a second request answers the
 * stored signature), so the test can count signatures per record across kills.
 *
 *   DATABASE_URL=… DATA_DIR=… tsx tests/pipeline-crash-worker.ts WORKER_ID
 */
import { parseConfig, resolveConfig } from '../src/lib/server/config';
import { startPlatform, stopPlatform } from '../src/lib/server/platform';
import { pipelineParts } from '../src/lib/server/proofs/parts';
import { processBatch, type PipelineParts } from '../src/lib/server/proofs/pipeline';
import { createLogger } from '../src/lib/server/telemetry/logger';

const workerId = process.argv[2] ?? `crash-${process.pid}`;
const config = resolveConfig(parseConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn' }));
const log = createLogger('warn');
const p = await startPlatform({ config, log });
const sql = p.database.sql;

const real = pipelineParts();
const parts: PipelineParts = {
	open: real.open,
	hmac: real.hmac,
	async signReceipts(records) {
		const signed = await real.signReceipts(records);
		const out = new Map<string, { keyId: string; signature: string; algorithm: string }>();
		for (const r of records) {
			const mine = signed.get(r.id)!;
			const [row] = await sql<{ signature: string; key_id: string }[]>`
				with ins as (insert into test_receipts (record_id, signature, worker, key_id) values (${r.id}, ${mine.signature}, ${workerId}, ${mine.keyId}) on conflict (record_id) do nothing returning signature, key_id)
				select signature, key_id from ins union all select signature, key_id from test_receipts where record_id = ${r.id} limit 1`;
			out.set(r.id, { keyId: row.key_id, signature: row.signature, algorithm: mine.algorithm });
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
