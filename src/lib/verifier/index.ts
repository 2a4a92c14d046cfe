/**
 * The verification core shared by the verify page (in the browser), the
 * standalone wipecert-verify.mjs, `npm run verify`, the upload API and the log
 * monitor. Browser-safe: WebCrypto, a DER reader, no Node.js APIs.
 */
export { verifyCertificatePdf, failCheck, type PdfVerdict, type Check, type CheckName, type VerifyOptions } from './verify';
export { checkOnline, type OnlineSources, type OnlineOutcome } from './online';
export { recordAttestation, type RecordAttestation } from './attestation';
export { publishedKeysSchema, bundleSchema, bundleAnchorSchema, type BundleAnchor, BUNDLE_FILE_NAME, BUNDLE_FORMAT, BUNDLE_FORMAT_RECORD_LEAF, type VerificationKeys, type VerificationBundle } from './schemas';
export { certificateEntry, parseCertificateEntry, ENTRY_HEADER } from './entry';
export { leafHash, nodeHash, verifyInclusion, verifyConsistency, CompactRange } from './merkle';
export { verifyCheckpointNote, verifyCosignature, parseVerifierKey, splitNote, parseCheckpointBody, cosignatureMessage, keyId, SIG_ED25519, SIG_COSIGNATURE_V1, type Checkpoint, type VerifierKey, type Cosignature } from './note';
