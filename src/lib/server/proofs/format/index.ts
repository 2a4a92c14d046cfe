/** Proof format v1 and erasure report schema v1 (issue 5 §1). */
export { buildProof, openProof, signReport, envelopeProof, reportBytes } from './proof';
export { erasureReport, reportSchema, reportJsonSchema, REPORT_SCHEMA_ID, type ErasureReport } from './report';
