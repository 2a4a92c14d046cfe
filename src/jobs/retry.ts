import { purgeRequestNonces } from '#lib/server/agents';
import { ensureSweepSchedule, retryJob, retryProof, sweepProofs } from '#lib/server/proofs';
import type { JobModule } from '#lib/server/workers/runner';

/**
 * The retry worker: a FAILED_RETRYABLE proof whose backoff ran out goes back
 * to RECEIVED and is queued again; the minute sweep catches proofs a crashed
 * worker held and retries whose job went missing, and drops agent request
 * nonces older than the signature window.
 */
export const retry: JobModule = {
	kind: 'retry',
	async bind({ database, queue, config }) {
		await ensureSweepSchedule(queue);
		return {
			'proofs.retry': async (job) => {
				const data = retryJob.parse(job.data);
				if ('proofId' in data) return { requeued: await retryProof(database.db, queue, data.proofId) };
				const swept = await sweepProofs(database.db, queue, { staleSeconds: config.PROOF_CLAIM_TIMEOUT });
				return { ...swept, noncesPurged: await purgeRequestNonces(database.db, config.AGENT_SIGNATURE_WINDOW) };
			}
		};
	}
};
