import { z } from 'zod';
import { platform } from '#lib/server/platform';
import { ensureSweepSchedule, processBatch, workerIdentity, type PipelineContext } from '#lib/server/proofs';
import { pipelineParts } from '#lib/server/proofs/parts';
import type { JobModule } from '#lib/server/workers/runner';

const jobData = z.object({ proofId: z.uuid() });
const workerId = workerIdentity();
let context: PipelineContext | undefined;

/** Built once per process: SIGNER_BATCH_SIZE is fixed for the process's life (issue 5 §7). */
async function pipeline(kindsInBuild: readonly string[]): Promise<PipelineContext> {
	if (context) return context;
	const { config, database, queue, storage, log } = platform();
	await ensureSweepSchedule(queue);
	context = {
		db: database.db,
		queue,
		storage,
		log: log.child({ worker: 'proof' }),
		parts: pipelineParts(),
		settings: {
			batchSize: config.SIGNER_BATCH_SIZE,
			claimTimeoutSeconds: config.PROOF_CLAIM_TIMEOUT,
			retryBaseDelay: config.PROOF_RETRY_BASE_DELAY,
			retryMaxDelay: config.PROOF_RETRY_MAX_DELAY,
			retryLimit: config.PROOF_RETRY_LIMIT,
			anchor: config.CHAIN !== 'noop' && kindsInBuild.includes('anchor'),
			notify: kindsInBuild.includes('notifications')
		}
	};
	return context;
}

/**
 * The proof worker (issue 5 §5): a `proofs.validated` job wakes it; it claims
 * a batch of SIGNER_BATCH_SIZE proofs (its own first) and takes them to
 * CERTIFIED_NO_ANCHOR / REJECTED / FAILED_RETRYABLE. The job of a proof that
 * another batch took finds nothing left and completes at once. `kindsInBuild`:
 * anchor and notification jobs are sent only when those workers exist.
 */
export function proofWorker(kindsInBuild: readonly string[]): JobModule {
	return {
		kind: 'proof',
		handlers: {
			'proofs.validated': async (job) => {
				const { proofId } = jobData.parse(job.data);
				return processBatch(await pipeline(kindsInBuild), workerId, proofId);
			}
		}
	};
}
