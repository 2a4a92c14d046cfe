/** Proof format v1 (the erasure report schema it carries is the records kernel's). */
export { buildProof, openProof, signReport, envelopeProof, reportBytes, type OpenedProof } from './proof';
