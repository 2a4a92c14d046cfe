import { fromBase64 } from './bytes';
import { verifyConsistency } from './merkle';
import { verifyCheckpointNote } from './note';
import type { VerificationKeys } from './schemas';
import { failCheck, type PdfVerdict } from './verify';

/**
 * The checks that need the platform, after verifyCertificatePdf passed:
 * the embedded checkpoint is consistent with the log's newest (RFC 9162
 * consistency proof, both checkpoints signed by the published log key), the
 * record is the one issued under its ID, and the certificate is not revoked.
 * The sources are injected: the verify page reads them through the generated
 * API client, the upload fallback from the database.
 */
export type OnlineSources = {
	/** the log's newest signed checkpoint (note text) */
	newestCheckpoint(): Promise<string>;
	/** base64 hashes of the consistency proof between two published sizes */
	consistencyProof(first: number, second: number): Promise<string[]>;
	/** the public facts of a certificate, null when the platform issued none under this ID */
	certificate(publicId: string): Promise<{ status: 'valid' | 'revoked'; revokedAt: string | null; revocationReason: string | null; recordSha256: string } | null>;
};

export type OnlineOutcome = { reached: true } | { reached: false; error: string };

export async function checkOnline(verdict: PdfVerdict, keys: VerificationKeys, sources: OnlineSources): Promise<OnlineOutcome> {
	if (!verdict.valid || verdict.publicId === null || verdict.treeSize === null || verdict.rootHash === null || verdict.origin === null) return { reached: true };
	let note: string;
	let facts: Awaited<ReturnType<OnlineSources['certificate']>>;
	try {
		[note, facts] = await Promise.all([sources.newestCheckpoint(), sources.certificate(verdict.publicId)]);
	} catch (e) {
		return { reached: false, error: (e as Error).message };
	}
	const newest = await verifyCheckpointNote(note, keys.logVerifierKey, { origin: verdict.origin });
	if (!newest.ok) failCheck(verdict, 'consistency', `the log's newest checkpoint does not verify: ${newest.reason}`);
	else {
		const mine = { size: verdict.treeSize, root: fromBase64(verdict.rootHash)! };
		const theirs = { size: newest.checkpoint.treeSize, root: newest.checkpoint.rootHash };
		// a newest checkpoint cached a moment before this certificate's: prove the other way round
		const [a, b] = mine.size <= theirs.size ? [mine, theirs] : [theirs, mine];
		let proof: Uint8Array[] = [];
		try {
			if (a.size !== b.size) proof = (await sources.consistencyProof(a.size, b.size)).map((h) => fromBase64(h) ?? new Uint8Array());
		} catch (e) {
			return { reached: false, error: (e as Error).message };
		}
		if (await verifyConsistency(a.size, b.size, a.root, b.root, proof)) verdict.checks.push({ check: 'consistency', ok: true, detail: `the certificate's checkpoint (tree size ${mine.size}) is consistent with the log's newest (tree size ${theirs.size})` });
		else failCheck(verdict, 'consistency', `the log's newest checkpoint (tree size ${theirs.size}) is not consistent with the certificate's (tree size ${mine.size}): the log shows different histories`);
	}
	if (!facts) failCheck(verdict, 'registry', 'no certificate with this ID was issued by this platform');
	else if (facts.recordSha256 !== verdict.recordSha256) failCheck(verdict, 'registry', 'the embedded record differs from the one issued under this ID');
	else verdict.checks.push({ check: 'registry', ok: true, detail: 'the record matches the one issued under this ID' });
	if (facts?.status === 'revoked') failCheck(verdict, 'status', `the certificate was revoked on ${facts.revokedAt?.slice(0, 10)}: ${facts.revocationReason}`);
	else if (facts) verdict.checks.push({ check: 'status', ok: true, detail: 'the certificate is not revoked' });
	return { reached: true };
}
