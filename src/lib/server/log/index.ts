/**
 * The transparency log: an RFC 9162 Merkle tree over canonical
 * certificate records, one sequencer at a time, signed C2SP checkpoints,
 * inclusion and consistency proofs. The pure verifiers live in merkle.ts and
 * note.ts (no database) so the offline CLI shares them.
 */
export { appendLeaves, latestCheckpoint, recentCheckpoint, inclusionProofAgainst, checkpointAt, checkpointAtMost, leafIndexOf, inclusionProof, inclusionProofFor, consistencyProof, type LogDeps, type CheckpointView } from './store';
export { leafHash, verifyInclusion, verifyConsistency } from './merkle';
export { verifyCheckpoint, parseCheckpointBody, checkpointBody, verifierKey } from './note';

/** The checkpoint origin line: LOG_ORIGIN, else `<host of ORIGIN>/log` (C2SP: a schema-less URL naming the log). */
export function logOrigin(config: { LOG_ORIGIN?: string; origin: string }): string {
	return config.LOG_ORIGIN || `${new URL(config.origin).host}/log`;
}
