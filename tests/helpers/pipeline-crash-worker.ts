/**
 * A proof worker process for tests/pipeline-crash.spec.ts: the real pipeline
 * (claims, ledger, certificate rows, receipts, log leaves, PDFs) on
 * DATABASE_URL with the real keyring in DATA_DIR/keys, looping until no proof
 * is left. Receipts go through signReceiptsOnce (`signer_receipts`: a record
 * is reserved, signed and stored once), so the test can count signatures per
 * record across kills.
 *
 *   DATABASE_URL=… DATA_DIR=… tsx tests/helpers/pipeline-crash-worker.ts WORKER_ID
 */
import { parseConfig, resolveConfig } from '../../src/lib/server/config';
import { startContainer, stopContainer } from '../../src/lib/server/container';
import { logOrigin } from '../../src/lib/server/log';
import { createPipeline, processBatch } from '../../src/lib/server/proofs/pipeline';
import { createLogger } from '../../src/lib/server/telemetry/logger';

const workerId = process.argv[2] ?? `crash-${process.pid}`;
const config = resolveConfig(parseConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn' }));
const log = createLogger('warn');
const app = await startContainer({ config, log, entry: 'test' });

const pipeline = createPipeline({
	db: app.database.db,
	queue: app.queue,
	storage: app.storage,
	log,
	signer: app.signer,
	issuance: { origin: config.origin, logOrigin: logOrigin(config) },
	settings: { batchSize: 10, claimTimeoutSeconds: Number(process.env.PROOF_CLAIM_TIMEOUT ?? 2), retryBaseDelay: 1, retryMaxDelay: 2, retryLimit: 50, anchor: false, notify: false }
});
let idle = 0;
while (idle < 20) {
	const r = await processBatch(pipeline, workerId);
	if (r.claimed) idle = 0;
	else {
		idle++;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
await stopContainer(app);
process.exit(0);
