/**
 * A proof worker process for tests/pipeline-crash.spec.ts: the real pipeline
 * (claims, ledger, certificate rows, receipts) on DATABASE_URL with the real
 * parts (proofs/format and the keyring in DATA_DIR/keys), looping until no
 * proof is left. Receipts go through signReceiptsOnce (`signer_receipts`: a
 * record is reserved, signed and stored once), so the test can count
 * signatures per record across kills.
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

const real = pipelineParts();
// the crypto parts for real (receipts through signer_receipts: one signature per record, whatever is killed);
// log and PDF are left out: this test is about the ledger, certificate rows and receipts
const parts: PipelineParts = { open: real.open, hmac: real.hmac, signReceipts: real.signReceipts };

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
