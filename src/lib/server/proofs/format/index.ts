/** Proof format v1 (the erasure report schema it carries is the records kernel's). */
export { buildProof, openProof, signReport, signReportContentInfo, envelopeProof, sealProof, reportBytes, type OpenedProof, type ProofEnvelope } from './proof';
