import type { Db } from '#lib/server/db/client';
import { proofsInLedger } from '#lib/server/licences';
import { certifiedProofsToPurge, deleteRejectedProofs, markProofObjectsPurged, rejectedProofsToPurge } from '#lib/server/proofs';
import type { ObjectStore } from '#lib/server/storage';
import { anonymiseCertificateRecords } from '#lib/server/certificates';
import { anonymiseFormerMembers } from '#lib/server/tenancy';

const PAGE = 200;
const DAY_MS = 86_400_000;

export type RetentionResult = { proofFilesDeleted: number; rejectedProofsDeleted: number; rejectedKeptForLedger: number };

/**
 * Retention (RETENTION_PROOF_DAYS): the raw proof files of certified proofs
 * finished before the cut-off are deleted from object storage (the proof row,
 * its certificate, the PDF and the log entry stay), and rejected proofs are
 * deleted with their files — except those the append-only licence ledger
 * names, which keep their row and lose only the file. The file goes first and
 * the row records it after, so a crash in between deletes an absent file
 * again (a no-op) on the next run: nothing is lost, nothing is left behind.
 */
export async function applyRetention(deps: { db: Db; storage: ObjectStore; now: Date; days: number; signal?: AbortSignal }): Promise<RetentionResult> {
	const result: RetentionResult = { proofFilesDeleted: 0, rejectedProofsDeleted: 0, rejectedKeptForLedger: 0 };
	if (deps.days <= 0) return result;
	const before = new Date(deps.now.getTime() - deps.days * DAY_MS);
	for (let after: string | undefined; ; ) {
		deps.signal?.throwIfAborted();
		const page = await certifiedProofsToPurge(deps.db, before, PAGE, after);
		for (const p of page) await deps.storage.delete(p.objectKey);
		await markProofObjectsPurged(deps.db, page.map((p) => p.id));
		result.proofFilesDeleted += page.length;
		if (page.length < PAGE) break;
		after = page[page.length - 1].id;
	}
	for (let after: string | undefined; ; ) {
		deps.signal?.throwIfAborted();
		const page = await rejectedProofsToPurge(deps.db, before, PAGE, after);
		for (const p of page) await deps.storage.delete(p.objectKey);
		const named = await proofsInLedger(deps.db, page.map((p) => p.id));
		result.rejectedProofsDeleted += await deleteRejectedProofs(deps.db, page.filter((p) => !named.has(p.id)).map((p) => p.id));
		await markProofObjectsPurged(deps.db, [...named]);
		result.rejectedKeptForLedger += named.size;
		if (page.length < PAGE) break;
		after = page[page.length - 1].id;
	}
	return result;
}

export type AnonymiseResult = { certificates: number; people: number };

/** Anonymisation (ANONYMISE_AFTER_DAYS) of certificate records and of former members; 0 days: nothing. */
export async function applyAnonymisation(deps: { db: Db; now: Date; days: number }): Promise<AnonymiseResult> {
	if (deps.days <= 0) return { certificates: 0, people: 0 };
	const before = new Date(deps.now.getTime() - deps.days * DAY_MS);
	return { certificates: await anonymiseCertificateRecords(deps.db, before), people: await anonymiseFormerMembers(deps.db, before) };
}
