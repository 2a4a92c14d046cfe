/**
 * The transparency log: an RFC 9162 Merkle tree over canonical
 * certificate records, one sequencer at a time, signed C2SP checkpoints,
 * inclusion and consistency proofs, served as C2SP tlog-tiles (tiles.ts) and
 * cosigned by witnesses (witness.ts). merkle.ts and note.ts are the
 * sequencer's synchronous arithmetic; every verifier outside the server uses
 * the browser-safe core in src/lib/verifier.
 */
export { appendLeaves, latestCheckpoint, recentCheckpoint, inclusionProofAgainst, checkpointAt, checkpointAtMost, leafIndexOf, leafHashAt, inclusionProof, inclusionProofFor, consistencyProof, type LogDeps, type CheckpointView } from './store';
export { leafHash, verifyInclusion, verifyConsistency } from './merkle';
export { verifyCheckpoint, parseCheckpointBody, checkpointBody, verifierKey } from './note';
export { readTile, readEntryBundle, parseTilePath, type TileRequest } from './tiles';
export { requestCosignatures, type Witness, type WitnessDeps } from './witness';

/** The checkpoint origin line: LOG_ORIGIN, else `<host of ORIGIN>/log` (C2SP: a schema-less URL naming the log). */
export function logOrigin(config: { LOG_ORIGIN?: string; origin: string }): string {
	return config.LOG_ORIGIN || `${new URL(config.origin).host}/log`;
}
export { verifyLog, leafHashesAt, type LogVerification, type LogFinding } from './integrity';
