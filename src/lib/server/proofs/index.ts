/**
 * Proofs: submission (single, bulk, agent gateway), the
 * proof table with its state timeline, the proof worker's batch pipeline and
 * the retry sweep, and the proof format (proofs/format). The erasure report's
 * schema is the records kernel's (records/report.ts).
 */
export { PROOF_STATUSES, PROOF_SOURCES, type Proof, type ProofStatus, type ProofSource } from './schema';
export { REJECTIONS, REJECTION_CODES, ProofRejection, RetryableFailure, isRejectionCode, agentUnknownDetail, type RejectionCode } from './rejections';
export { checkDer, checkProofContentType, PROOF_CONTENT_TYPES, storeProof, registerProof, type ProofAccepted, type Submitter } from './submission';
export { submitProof, submitContext, readProofBody, type SubmitContext, type SubmittedBy } from './submit';
export { submitBulk, type BulkSubmission, type BulkItem, type BulkLimits } from './bulk';
export { listProofs, getProof, proofStatusView, isReprocessable } from './queries';
export { createPipeline, processBatch, claimBatch, workerIdentity, type PipelineContext, type PipelineSettings, type BatchResult } from './pipeline';
export { retryProof, sweepProofs, reprocessProof, ensureSweepSchedule, retryJob } from './retry';
export { setAnchoring } from './anchoring';
export { rejectionsByCode, proofsInFlight, proofCount, IN_FLIGHT } from './stats';
export { certifiedProofsToPurge, rejectedProofsToPurge, markProofObjectsPurged, deleteRejectedProofs, type ExpiredProof } from './retention';
export { importNwipeLogs, readNwipeUpload, attestingName, type NwipeUpload } from './nwipe/import';
export { OPERATOR_ATTESTED_SOURCES, isOperatorAttested } from './attestation';
export { retestExhausted, retestAgentUnknown } from './retest';
export { rejectionsInPeriod, anchoredInPeriod } from './period';
