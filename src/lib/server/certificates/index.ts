/**
 * Certificate records (issue 5 §5, issue 6): one row per certified proof,
 * with its public ID, canonical record, signed receipt, log index, PDF and
 * revocation. The PDF (certificates/pdf) and the transparency log
 * (src/lib/server/log) belong to the certificates engineer; the issuance step
 * that calls them is the proof pipeline's (proofs/pipeline.ts).
 */
import type { Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { refundProof, type LedgerView } from '#lib/server/licences';
import type { AuditContext } from '#lib/server/tenancy';
import { certificateByPublicId, type CertificateRecord } from './records';

export {
	canonicalJson,
	canonicalRecordBytes,
	recordSha256,
	deviceSummary,
	createCertificateRecord,
	createCertificateRecords,
	certificatesForProofs,
	completeIssuance,
	recordReceipts,
	type Issued,
	listCertificates,
	getCertificate,
	certificateByPublicId,
	publicCertificateFacts,
	type PublicCertificateFacts,
	revokeCertificate,
	type CertificateRecord,
	type CertificateView,
	type DeviceSummary
} from './records';
export { CERTIFICATE_STATUSES, type Certificate, type CertificateStatus } from './schema';
export { certificatesPerDay, certificateTotals } from './stats';
export { exportCertificates, csvField, EXPORT_COLUMNS } from './export';

/**
 * A platform admin refunds the licence behind a revoked certificate (issue 5
 * §6 edge case): once per certificate; a certificate that is not revoked is
 * 409. Unknown public ID → 404.
 */
export async function refundRevokedCertificate(tx: Tx, publicId: string, reason: string, ctx: AuditContext): Promise<LedgerView> {
	const c = await certificateByPublicId(tx, publicId);
	if (!c) throw new ApiError('not_found', 'No certificate with this id.');
	if (c.status !== 'revoked') throw new ApiError('conflict', 'Only the licence of a revoked certificate can be refunded.');
	const record = c.record as CertificateRecord;
	return refundProof(tx, c.tenantId, { id: c.proofId, publicId: record.proof.id }, reason, ctx, `certificate:${publicId}`);
}
