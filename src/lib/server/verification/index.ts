/**
 * Public verification: what anyone may learn about a
 * certificate by its public ID, its PDF, the platform's keys, and the
 * verdict on an uploaded PDF. Never an internal id: every answer is built
 * field by field from public facts (a test scans the responses for the
 * database's ids). A module of its own, above certificates, proofs, log and
 * signer, so none of them imports another in a cycle.
 */
import { createHash } from 'node:crypto';
import type postgres from 'postgres';
import { publicAnchor, type PublicAnchor } from '#lib/server/anchor';
import { attestationOf, certificateByPublicId, publicCertificateFacts, type Certificate, type CertificateView, type PublicCertificateFacts } from '#lib/server/certificates';
import { maskSerial, reportView } from '#lib/server/certificates/report-view';
import { verifyCertificatePdf as verifyPdfOffline, type CheckName, type PdfVerdict, type VerificationKeys } from '#lib/verifier';
import type { Database, DbOrTx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { inclusionProofAgainst, recentCheckpoint, type CheckpointView } from '#lib/server/log';
import { proofStatusView } from '#lib/server/proofs';
import { isPublicId } from '#lib/server/records/public-ids';
import type { ObjectStore } from '#lib/server/storage';
import { answerOf, cachedAnswer, type PublicAnswer } from './answers';

export type { PublicAnswer } from './answers';

export type PublicCertificate = {
	publicId: string;
	status: 'valid' | 'revoked';
	anchoring: 'pending' | 'anchored' | 'none';
	anchor: PublicAnchor | null;
	issuedAt: string | null;
	revokedAt: string | null;
	revocationReason: string | null;
	issuer: { name: string };
	device: { type?: string; manufacturer?: string; model?: string; serialMasked?: string; capacityBytes?: number };
	erasure: { method?: string; technique?: string; standard?: string; result?: string; warnings?: string[]; endedAt?: string };
	/** signed by an enrolled agent, or attested by the operator who uploaded an nwipe log (said plainly on the verify page) */
	attestation: CertificateView['attestation'];
	recordSha256: string;
	log: { leafIndex: number; treeSize: number; rootHash: string; checkpoint: string; inclusion: string[] } | null;
	verifyUrl: string;
	pdfUrl: string | null;
};

export type VerificationCheck = { check: CheckName; ok: boolean; detail: string };
export type PdfVerification = {
	valid: boolean;
	failed: string | null;
	reason: string | null;
	checks: VerificationCheck[];
	publicId: string | null;
	leafIndex: number | null;
	treeSize: number | null;
	timestampedAt: string | null;
	certificate: PublicCertificate | null;
};

const NOT_FOUND = 'No certificate with this ID.';

/** An issued certificate by public ID; one still being issued is not public yet (404). */
async function issued(db: DbOrTx, publicId: string): Promise<Certificate> {
	// anything but a certificate ID (a NUL byte, a long string) is not looked up: PostgreSQL refuses NUL in text
	if (!isPublicId('certificate', publicId)) throw new ApiError('not_found', NOT_FOUND);
	const c = await certificateByPublicId(db, publicId);
	if (!c || c.status === 'issuing') throw new ApiError('not_found', NOT_FOUND);
	return c;
}

const ANCHORING: Record<string, PublicCertificate['anchoring']> = { CERTIFIED_PENDING_ANCHOR: 'pending', CERTIFIED: 'anchored' };

function drop<T extends Record<string, unknown>>(o: T): T {
	for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
	return o;
}

/** The facts of a certificate read through drizzle (upload verification; not the hot path). */
async function factsOf(db: DbOrTx, c: Certificate): Promise<PublicCertificateFacts> {
	const record = c.record;
	let proofStatus: string | null = null;
	try {
		proofStatus = (await proofStatusView(db, c.tenantId, record.proof.id)).status;
	} catch (error) {
		// a certificate whose proof row is gone (retention) still verifies; any other failure is real
		if (!(error instanceof ApiError && error.code === 'not_found')) throw error;
	}
	return {
		publicId: c.publicId,
		status: c.status,
		report: record.report,
		issuerName: record.issuer?.name ?? null,
		recordSha256: c.recordSha256,
		logIndex: c.logIndex,
		hasPdf: c.pdfObjectKey !== null,
		issuedAt: c.issuedAt?.toISOString() ?? null,
		revokedAt: c.revokedAt?.toISOString() ?? null,
		revocationReason: c.revocationReason,
		proofStatus,
		attestation: attestationOf(record)
	};
}

/** Where the answer's links point: the platform's origin, and CHAIN_EXPLORER_TX_URL for anchor transactions. */
export type PublicLinks = { origin: string; explorerTxUrl?: string };

/**
 * The public answer. The checkpoint comes from the per-process cache
 * (recentCheckpoint: at most a second old, re-read when the leaf is newer) and
 * the inclusion proof is computed against exactly that checkpoint, so the pair
 * verifies whichever checkpoint it is.
 */

async function publicView(sql: postgres.Sql, db: DbOrTx, f: PublicCertificateFacts, links: PublicLinks, checkpoint?: CheckpointView | null): Promise<PublicCertificate> {
	const origin = links.origin;
	const v = reportView(f.report);
	let log: PublicCertificate['log'] = null;
	const cp = checkpoint !== undefined ? checkpoint : f.logIndex !== null ? await recentCheckpoint(db, f.logIndex) : null;
	if (f.logIndex !== null && cp && cp.treeSize > f.logIndex) {
		log = { leafIndex: f.logIndex, treeSize: cp.treeSize, rootHash: cp.rootHash, checkpoint: cp.note, inclusion: await inclusionProofAgainst(sql, f.logIndex, cp) };
	}
	const anchoring = (f.proofStatus && ANCHORING[f.proofStatus]) || 'none';
	return {
		publicId: f.publicId,
		status: f.status === 'revoked' ? 'revoked' : 'valid',
		anchoring,
		// only an anchored certificate costs the extra look-up
		anchor: anchoring === 'anchored' ? await publicAnchor(sql, f.publicId, links.explorerTxUrl) : null,
		issuedAt: f.issuedAt,
		revokedAt: f.revokedAt,
		revocationReason: f.revocationReason,
		issuer: { name: f.issuerName ?? '' },
		device: drop({ type: v.device.type, manufacturer: v.device.manufacturer, model: v.device.model, serialMasked: maskSerial(v.device.serial), capacityBytes: v.device.capacityBytes }),
		erasure: drop({
			method: v.erasure.method,
			technique: v.erasure.technique,
			standard: v.erasure.standard,
			result: v.result,
			warnings: v.warnings.length ? v.warnings : undefined,
			endedAt: v.erasure.endedAt
		}),
		attestation: f.attestation,
		recordSha256: f.recordSha256,
		log,
		verifyUrl: `${origin}/verify/${f.publicId}`,
		pdfUrl: f.hasPdf ? `${origin}/api/v1/public/certificates/${f.publicId}/pdf` : null
	};
}

/**
 * GET /api/v1/public/certificates/{publicId}: one query for the certificate,
 * its status and its proof's status, the cached checkpoint, one query for the
 * inclusion proof. A certificate still being issued is not public yet (404).
 */
export async function publicCertificate(database: Pick<Database, 'sql' | 'db'>, publicId: string, links: PublicLinks): Promise<PublicCertificate> {
	if (!isPublicId('certificate', publicId)) throw new ApiError('not_found', NOT_FOUND);
	const f = await publicCertificateFacts(database.sql, publicId);
	if (!f || f.status === 'issuing') throw new ApiError('not_found', NOT_FOUND);
	return publicView(database.sql, database.db, f, links);
}

/**
 * GET /api/v1/public/certificates/{publicId} as bytes and ETag. The
 * certificate's row is read on every request (one prepared statement: status,
 * revocation, proof status, PDF, log index) and the checkpoint comes from the
 * per-process cache as in publicCertificate; the bytes built from them are
 * reused while both are unchanged (answers.ts). So a revocation shows in the
 * very next answer and the checkpoint is at most a second old, as without the
 * cache; a hit saves the inclusion-proof query, the view, the JSON and its hash.
 * Anchored answers are built every time: their anchor is read by a query of
 * its own, which the facts do not cover.
 */
export async function publicCertificateAnswer(database: Pick<Database, 'sql' | 'db'>, publicId: string, links: PublicLinks): Promise<PublicAnswer> {
	if (!isPublicId('certificate', publicId)) throw new ApiError('not_found', NOT_FOUND);
	const f = await publicCertificateFacts(database.sql, publicId);
	if (!f || f.status === 'issuing') throw new ApiError('not_found', NOT_FOUND);
	const cp = f.logIndex !== null ? await recentCheckpoint(database.db, f.logIndex) : null;
	const build = async () => JSON.stringify(await publicView(database.sql, database.db, f, links, cp));
	if (f.proofStatus && ANCHORING[f.proofStatus] === 'anchored') return answerOf(await build());
	return cachedAnswer(database, publicId, `${cp?.treeSize ?? ''}\n${links.origin}\n${links.explorerTxUrl ?? ''}\n${JSON.stringify(f)}`, build);
}

/** GET /api/v1/public/certificates/{publicId}/pdf: the stored signed PDF. */
export async function publicCertificatePdf(db: DbOrTx, storage: ObjectStore, publicId: string): Promise<Uint8Array> {
	const c = await issued(db, publicId);
	const pdf = c.pdfObjectKey ? await storage.getBytes(c.pdfObjectKey) : null;
	if (!pdf) throw new ApiError('not_found', 'This certificate has no PDF yet.');
	return pdf;
}

/**
 * POST /api/v1/public/verifications: the offline checks (signature, record,
 * checkpoint, inclusion) with the current published keys, then the platform's
 * own: the record is the one issued under its ID, and the certificate's status.
 */
export async function verifyUploadedPdf(database: Pick<Database, 'sql' | 'db'>, pdf: Uint8Array, keys: VerificationKeys, links: PublicLinks): Promise<PdfVerification> {
	const offline: PdfVerdict = await verifyPdfOffline(pdf, keys);
	const checks: VerificationCheck[] = [...offline.checks];
	const out: PdfVerification = {
		valid: offline.valid,
		failed: offline.failed,
		reason: offline.reason,
		checks,
		publicId: offline.publicId,
		leafIndex: offline.leafIndex,
		treeSize: offline.treeSize,
		timestampedAt: offline.timestampedAt,
		certificate: null
	};
	if (!offline.valid || !offline.publicId || offline.record === null) return out;
	const db = database.db;
	// the ID comes from the uploaded file: a forged one with a NUL byte must not reach a text parameter
	const c = isPublicId('certificate', offline.publicId) ? await certificateByPublicId(db, offline.publicId) : null;
	const fail = (check: VerificationCheck['check'], detail: string) => {
		checks.push({ check, ok: false, detail });
		Object.assign(out, { valid: false, failed: out.failed ?? check, reason: out.reason ?? detail });
	};
	if (!c || c.status === 'issuing') {
		fail('registry', 'no certificate with this ID was issued by this platform');
		return out;
	}
	const sha = createHash('sha256').update(offline.record, 'utf8').digest('hex');
	if (sha !== c.recordSha256) fail('registry', 'the embedded record differs from the one issued under this ID');
	else checks.push({ check: 'registry', ok: true, detail: 'the record matches the one issued under this ID' });
	out.certificate = await publicView(database.sql, db, await factsOf(db, c), links);
	if (c.status === 'revoked') fail('status', `the certificate was revoked on ${c.revokedAt?.toISOString().slice(0, 10)}: ${c.revocationReason}`);
	else checks.push({ check: 'status', ok: true, detail: 'the certificate is not revoked' });
	return out;
}
