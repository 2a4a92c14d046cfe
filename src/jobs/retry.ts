import { purgeRequestNonces } from '#lib/server/agents';
import { ensureSweepSchedule, retestAgentUnknown, retestExhausted, retryJob, retryProof, sweepProofs } from '#lib/server/proofs';
import type { JobModule } from '#lib/server/workers/runner';

/**
 * The retry worker: a FAILED_RETRYABLE proof whose backoff ran out goes back
 * to RECEIVED and is queued again; the minute sweep catches proofs a crashed
 * worker held and retries whose job went missing, and drops agent request
 * nonces older than the signature window. Recoverable rejections are re-tested
 * when what they lacked arrives: `licence_exhausted` proofs after licences
 * were added (in arrival order, as many as the balance allows),
 * `agent_unknown` proofs after their agent enrolled.
 */
export const retry: JobModule = {
	kind: 'retry',
	async bind({ database, queue, config }) {
		await ensureSweepSchedule(queue);
		return {
			'proofs.retry': async (job) => {
				const data = retryJob.parse(job.data);
				if ('proofId' in data) return { requeued: await retryProof(database.db, queue, data.proofId) };
				if ('licencesAdded' in data) return retestExhausted(database.db, queue, data.licencesAdded.tenantId, data.licencesAdded.ledgerEntryId);
				if ('agentEnrolled' in data) return retestAgentUnknown(database.db, queue, data.agentEnrolled.tenantId, data.agentEnrolled.certificateSerial);
				const swept = await sweepProofs(database.db, queue, { staleSeconds: config.PROOF_CLAIM_TIMEOUT });
				return { ...swept, noncesPurged: await purgeRequestNonces(database.db, config.AGENT_SIGNATURE_WINDOW) };
			}
		};
	}
};
