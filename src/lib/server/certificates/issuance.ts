/**
 * Certificate issuance: from an `issuing` row (created with the licence
 * consumption) to a `valid` certificate with its signed receipt, its
 * transparency-log leaf and its signed PDF. The certificates module is the one
 * owner of these steps; the proof pipeline hands its decided certificates over
 * and joins the completing transaction with its own state change
 * (docs/architecture.md, "The life of a proof").
 */
import { sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '#lib/server/db/client';
import type { WitnessDeps } from '#lib/server/log';
import { canonicalRecordBytes } from '#lib/server/records';
import { signReceiptsOnce, type Signer } from '#lib/server/signer';
import type { ObjectStore } from '#lib/server/storage';
import { appendCertificatesToLog, renderCertificatePdfs } from './issue-pdf';
import { certificates, type Certificate } from './schema';

export type IssuanceDeps = {
	db: Db;
	storage: ObjectStore;
	signer: Signer;
	/** ORIGIN: the verify links in PDFs and bundles */
	origin: string;
	/** the transparency log's checkpoint origin line */
	logOrigin: string;
	/** RFC 3161 time-stamping authority for PAdES B-T, when configured */
	tsaUrl?: string;
	/** LOG_WITNESSES: asked to cosign each new checkpoint before the PDFs embed it */
	witnesses?: Omit<WitnessDeps, 'db'>;
};

export type Issued = { id: string; receiptKeyId: string; receiptSignature: string; receiptAlgorithm: string; logIndex: number | null; pdfObjectKey: string | null };

/**
 * Issues certificates still `issuing` and makes them `valid` in one
 * transaction, in which `then` runs too (the caller's own change, e.g. the
 * proofs' final state, commits with the certificates or not at all). Every
 * step is skipped when its result is recorded already, so a retry after a
 * crash goes on where the crash happened: the receipt is stored the moment it
 * is signed and is signed once per record whatever crashes (`signer_receipts`),
 * the log append and the PDF are idempotent per certificate. Certificates not
 * `issuing` are handed to `then` unchanged. Throws (SignerUnavailable, storage
 * errors) before anything is completed.
 */
export async function issueCertificates<T>(deps: IssuanceDeps, certs: Certificate[], then: (tx: Tx, certs: Certificate[]) => Promise<T>): Promise<T> {
	const pending = certs.filter((c) => c.status === 'issuing');
	await signReceipts(deps, pending);
	const unlogged = pending.filter((c) => c.logIndex === null);
	if (unlogged.length) {
		const indexes = await appendCertificatesToLog({ db: deps.db, origin: deps.logOrigin, signNote: (body) => deps.signer.signNote(body), witnesses: deps.witnesses }, unlogged);
		// the PDFs' inclusion proofs start from these leaves (no look-up by leaf hash per certificate)
		for (const c of unlogged) c.logIndex = indexes.get(c.id) ?? null;
	}
	const pdfs = await renderCertificatePdfs(deps, pending.filter((c) => !c.pdfObjectKey));
	for (const c of pending) c.pdfObjectKey ??= pdfs.get(c.id) ?? null;
	return deps.db.transaction(async (tx) => {
		await completeIssuance(
			tx,
			pending.map((c) => ({
				id: c.id,
				receiptKeyId: c.receiptKeyId!,
				receiptSignature: c.receiptSignature!,
				receiptAlgorithm: c.receiptAlgorithm!,
				logIndex: c.logIndex,
				pdfObjectKey: c.pdfObjectKey
			}))
		);
		return then(tx, certs);
	});
}

/** One receipt per record, signed as one batch by one keyring key; recorded at once (never signed twice). */
async function signReceipts(deps: IssuanceDeps, pending: Certificate[]): Promise<void> {
	const unsigned = pending.filter((c) => !c.receiptSignature);
	if (!unsigned.length) return;
	const receipts = await signReceiptsOnce(
		deps.db,
		deps.signer,
		unsigned.map((c) => ({ id: c.publicId, bytes: canonicalRecordBytes(c.record) }))
	);
	const rows = unsigned.map((c) => {
		const r = receipts.get(c.publicId);
		if (!r) throw new Error(`the signer returned no receipt for ${c.publicId}`);
		return { id: c.id, ...r };
	});
	await recordReceipts(deps.db, rows);
	for (const [i, c] of unsigned.entries()) Object.assign(c, { receiptKeyId: rows[i].keyId, receiptSignature: rows[i].signature, receiptAlgorithm: rows[i].algorithm });
}

/**
 * Receipt, log index and PDF recorded; the certificates become `valid`, issued
 * at the time their signed record states (so every answer shows the signed
 * value). Idempotent; one statement.
 */
export async function completeIssuance(tx: Tx, done: Issued[]): Promise<void> {
	if (!done.length) return;
	await tx.execute(sql`
		update ${certificates} c set status = 'valid', issued_at = coalesce(c.issued_at, (c.record->>'issuedAt')::timestamptz),
			receipt_key_id = v."receiptKeyId", receipt_signature = v."receiptSignature", receipt_algorithm = v."receiptAlgorithm",
			log_index = v."logIndex", pdf_object_key = v."pdfObjectKey"
		from jsonb_to_recordset(${JSON.stringify(done)}::jsonb)
			as v(id uuid, "receiptKeyId" text, "receiptSignature" text, "receiptAlgorithm" text, "logIndex" bigint, "pdfObjectKey" text)
		where c.id = v.id and c.status = 'issuing'`);
}

/** Records receipts as soon as they exist, so a crash after signing never signs twice; one statement. */
async function recordReceipts(db: DbOrTx, receipts: { id: string; keyId: string; signature: string; algorithm: string }[]): Promise<void> {
	await db.execute(sql`
		update ${certificates} c set receipt_key_id = v."keyId", receipt_signature = v.signature, receipt_algorithm = v.algorithm
		from jsonb_to_recordset(${JSON.stringify(receipts)}::jsonb) as v(id uuid, "keyId" text, signature text, algorithm text)
		where c.id = v.id and c.receipt_signature is null`);
}
