import type { PipelineParts } from './pipeline';
import { RetryableFailure } from './rejections';

/**
 * Binds the proof pipeline to the crypto engineer's modules (issue 5 §1, §7)
 * and the certificates engineer's (issue 6):
 * - open: `openProof` (proofs/format) with `getSigner().decrypt` and the
 *   tenant's agent CA; ProofRejection codes for bad proofs;
 * - hmac: `getSigner().hmac`;
 * - signReceipts: `getSigner().signBatch` (one keyring key per batch, unique per record);
 * - appendToLog: `appendLeaves` (src/lib/server/log);
 * - renderPdfs: certificates/pdf.
 * Those modules are not in the build yet: until they are, a proof cannot be
 * opened, and the proof worker kind is not registered (src/jobs/index.ts).
 */
export function pipelineParts(): PipelineParts {
	const missing = (what: string) => async (): Promise<never> => {
		throw new RetryableFailure(`${what} is not part of this build yet`);
	};
	return { open: missing('the proof format (proofs/format)'), hmac: missing('the signer'), signReceipts: missing('the signer') };
}
