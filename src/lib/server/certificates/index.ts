/**
 * Certificates: one row per certified proof, with its public ID, canonical
 * record, signed receipt, log index, PDF and revocation; their issuance
 * (receipt, log leaf, PDF: issuance.ts), the PDF itself (pdf.ts, pades.ts) and
 * its verification (the browser-safe core in src/lib/verifier). The transparency log it appends to
 * is the log module's.
 */
import type { Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { refundProof, type LedgerView } from '#lib/server/licences';
import type { AuditContext } from '#lib/server/tenancy';
import { certificateByPublicId } from './records';

export {
	deviceSummary,
	createCertificates,
	attestationOf,
	type AttestationKind,
	createCertificateRecords,
	type CertifiedProof,
	certificatesForProofs,
	listCertificates,
	getCertificate,
	certificateByPublicId,
	publicCertificateFacts,
	type PublicCertificateFacts,
	revokeCertificate,
	type CertificateView,
	type DeviceSummary
} from './records';
export { issueCertificates, completeIssuance, type IssuanceDeps, type Issued } from './issuance';
export { CERTIFICATE_STATUSES, type Certificate, type CertificateStatus } from './schema';
export { certificatesPerDay, certificateTotals, certificatesByStatus } from './stats';
export { exportCertificates, csvField, EXPORT_COLUMNS, type CertificateExportQuery } from './export';
export { issuedCertificatesPage, receiptKeys, checkIssuedCertificate, anonymiseCertificateRecords, ANONYMISED, type IssuedCertificate, type ReceiptFinding } from './integrity';
export { certificatesForAnchoring, reissueAnchoredPdfs, type AnchoringFacts } from './anchored';
export { bundleAnchorSchema, type BundleAnchor } from './bundle';
export { certificatePeriodFigures, periodCertificates, type Period, type PeriodCertificate, type PeriodCursor, type CertificatePeriodFigures } from './period';
// the PAdES signing and fonts of certificate PDFs, for other signed documents (monthly statements)
export { signPdf, signedRangeDigest, type PdfSigner } from './pades';
export { embedPreparedFonts, OutsideFontSubset } from './pdf-font-cache';
export { certificateFonts } from './pdf-fonts';

/**
 * A platform admin refunds the licence behind a revoked certificate: once per certificate; a certificate that is not revoked is
 * 409. Unknown public ID → 404.
 */
export async function refundRevokedCertificate(tx: Tx, publicId: string, reason: string, ctx: AuditContext): Promise<LedgerView> {
	const c = await certificateByPublicId(tx, publicId);
	if (!c) throw new ApiError('not_found', 'No certificate with this id.');
	if (c.status !== 'revoked') throw new ApiError('conflict', 'Only the licence of a revoked certificate can be refunded.');
	return refundProof(tx, c.tenantId, { id: c.proofId, publicId: c.record.proof.id }, reason, ctx, `certificate:${publicId}`);
}
