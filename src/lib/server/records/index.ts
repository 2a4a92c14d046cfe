/**
 * The records kernel: the shapes the platform signs and hashes, and their one
 * canonical form. Pure code, no tables and no services: the proof format, the
 * certificates, the transparency log and the audit chain all build on it, and
 * it imports none of them.
 */
export { canonicalJson, canonicalBytes } from './canonical';
export { canonicalRecordBytes, recordSha256, type CertificateRecord, type OperatorAttestation } from './certificate-record';
export { newPublicId, isPublicId, PUBLIC_ID_PREFIX } from './public-ids';
export { erasureReport, reportSchema, reportJsonSchema, REPORT_SCHEMA_ID, type ErasureReport } from './report';
