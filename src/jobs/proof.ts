import { z } from 'zod';
import { logOrigin } from '#lib/server/log';
import { createPipeline, ensureSweepSchedule, processBatch, workerIdentity } from '#lib/server/proofs';
import type { JobModule } from '#lib/server/workers/runner';

const jobData = z.object({ proofId: z.uuid() });

/**
 * The proof worker: a `proofs.validated` job wakes it; it claims a batch of
 * SIGNER_BATCH_SIZE proofs (its own first) and takes them to
 * CERTIFIED_NO_ANCHOR / CERTIFIED_PENDING_ANCHOR / REJECTED /
 * FAILED_RETRYABLE. The job of a proof that another batch took finds nothing
 * left and completes at once. Anchor and notification jobs are sent only when
 * the build has the workers that take them.
 */
export const proofWorker: JobModule = {
	kind: 'proof',
	async bind(app, build) {
		const { config, database, queue, storage, log } = app;
		await ensureSweepSchedule(queue);
		const workerId = workerIdentity();
		// built once per process: SIGNER_BATCH_SIZE is fixed for the process's life (docs/architecture.md, "Keyring")
		const pipeline = createPipeline({
			db: database.db,
			queue,
			storage,
			log: log.child({ worker: 'proof' }),
			signer: app.signer,
			issuance: { origin: config.origin, logOrigin: logOrigin(config), tsaUrl: config.TSA_URL, witnesses: { witnesses: config.LOG_WITNESSES, log: log.child({ worker: 'proof' }) } },
			settings: {
				batchSize: config.SIGNER_BATCH_SIZE,
				claimTimeoutSeconds: config.PROOF_CLAIM_TIMEOUT,
				retryBaseDelay: config.PROOF_RETRY_BASE_DELAY,
				retryMaxDelay: config.PROOF_RETRY_MAX_DELAY,
				retryLimit: config.PROOF_RETRY_LIMIT,
				anchor: config.CHAIN !== 'noop' && build.kinds.includes('anchor'),
				notify: build.kinds.includes('notifications')
			}
		});
		return {
			'proofs.validated': async (job) => processBatch(pipeline, workerId, jobData.parse(job.data).proofId)
		};
	}
};
