import { createHash, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { and, asc, gt, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { canonicalRecordBytes } from '#lib/server/records/certificate-record';
import { certificateEntry } from '#lib/verifier/entry';
import { certificates } from './schema';

export type ReceiptFinding = {
	publicId: string;
	problem: 'record_hash_mismatch' | 'receipt_invalid' | 'receipt_unknown_key' | 'leaf_mismatch' | 'leaf_missing';
};

export type IssuedCertificate = {
	id: string;
	publicId: string;
	record: unknown;
	recordSha256: string;
	receiptKeyId: string | null;
	receiptSignature: string | null;
	logIndex: number | null;
	anonymised: boolean;
};

/** Issued certificates (valid or revoked), one page after `afterId` in id order. */
export async function issuedCertificatesPage(db: DbOrTx, limit: number, afterId?: string): Promise<IssuedCertificate[]> {
	const rows = await db
		.select({
			id: certificates.id,
			publicId: certificates.publicId,
			record: certificates.record,
			recordSha256: certificates.recordSha256,
			receiptKeyId: certificates.receiptKeyId,
			receiptSignature: certificates.receiptSignature,
			logIndex: certificates.logIndex,
			anonymisedAt: certificates.anonymisedAt
		})
		.from(certificates)
		.where(and(inArray(certificates.status, ['valid', 'revoked']), afterId ? gt(certificates.id, afterId) : undefined))
		.orderBy(asc(certificates.id))
		.limit(limit);
	return rows.map(({ anonymisedAt, ...r }) => ({ ...r, anonymised: anonymisedAt !== null }));
}

/** Public keys of the receipt-signing keyring keys, from the signer's published certificates. */
export function receiptKeys(signing: { keyId: string; certificatePem: string }[]): Map<string, KeyObject> {
	return new Map(signing.map((k) => [k.keyId, new X509Certificate(k.certificatePem).publicKey]));
}

const leafOf = (data: Uint8Array) => createHash('sha256').update(Uint8Array.of(0)).update(data).digest();

/**
 * Checks one issued certificate as its issuance left it: the log leaf at its
 * index commits to its ID and `record_sha256` (SHA-256(0x00 ‖ entry), the
 * entry of lib/verifier/entry.ts; leaves from before entries hashed the record
 * itself), and — while the record still holds the signed bytes — the record
 * hashes to `record_sha256` and the receipt (ECDSA over the canonical record)
 * verifies with its key. An anonymised record no longer holds the signed
 * bytes: its receipt was checked while it did; its leaf still is, and its PDF
 * stays as issued.
 */
export function checkIssuedCertificate(c: IssuedCertificate, keys: Map<string, KeyObject>, leaf: Uint8Array | undefined): ReceiptFinding | null {
	const bytes = c.anonymised ? null : canonicalRecordBytes(c.record);
	if (bytes) {
		if (createHash('sha256').update(bytes).digest('hex') !== c.recordSha256) return { publicId: c.publicId, problem: 'record_hash_mismatch' };
		const key = c.receiptKeyId ? keys.get(c.receiptKeyId) : undefined;
		if (!key || !c.receiptSignature) return { publicId: c.publicId, problem: 'receipt_unknown_key' };
		if (!verify('sha256', bytes, key, Buffer.from(c.receiptSignature, 'base64'))) return { publicId: c.publicId, problem: 'receipt_invalid' };
	}
	if (c.logIndex === null) return null;
	if (!leaf) return { publicId: c.publicId, problem: 'leaf_missing' };
	const stored = Buffer.from(leaf);
	if (stored.equals(leafOf(certificateEntry(c.publicId, c.recordSha256)))) return null;
	if (bytes && stored.equals(leafOf(bytes))) return null;
	return { publicId: c.publicId, problem: 'leaf_mismatch' };
}

export const ANONYMISED = '[anonymised]';

/**
 * Replaces the personal fields of certificate records issued before `before`
 * (the operator's name and id, the site of the location, the attesting
 * operator of an uploaded nwipe log) with a marker; the
 * rest of the report, `record_sha256`, the receipt, the log leaf and the PDF
 * stay as issued, so the certificate still verifies (the PDF carries the full
 * record; the log entry holds only its ID and hash) and the public answer
 * shows what remains. Returns how many changed.
 */
export async function anonymiseCertificateRecords(db: DbOrTx, before: Date, limit = 1000): Promise<number> {
	let total = 0;
	for (;;) {
		const rows = await db.execute<{ id: string }>(sql`
			update ${certificates} c set anonymised_at = now(),
				record = jsonb_set(
					jsonb_set(
						jsonb_set(c.record, '{report,operator}', jsonb_build_object('name', ${ANONYMISED}::text), coalesce(c.record->'report' ? 'operator', false)),
						'{report,location}',
						jsonb_strip_nulls(jsonb_build_object('site', ${ANONYMISED}::text, 'country', c.record->'report'->'location'->'country')),
						coalesce(c.record->'report' ? 'location', false)),
					-- an operator-attested record names the attesting operator too
					'{attestation,operator}', jsonb_build_object('name', ${ANONYMISED}::text), coalesce(c.record->'attestation' ? 'operator', false))
			where c.id in (
				select id from ${certificates}
				where anonymised_at is null and status in ('valid', 'revoked') and issued_at < ${before.toISOString()}::timestamptz
				order by id limit ${limit} for update skip locked)
			returning c.id`);
		total += rows.length;
		if (rows.length < limit) return total;
	}
}
