/**
 * The verification bundle every certificate PDF carries as an embedded file,
 * inside the signed byte range: the canonical record, its
 * leaf index, the inclusion proof and the signed checkpoint it leads to (and,
 * re-issued after anchoring, the blockchain anchor of that checkpoint). Its
 * schema lives in the verification core, which every verifier shares.
 */
export { BUNDLE_FILE_NAME, BUNDLE_FORMAT, BUNDLE_FORMAT_RECORD_LEAF, bundleSchema, bundleAnchorSchema, type BundleAnchor, type VerificationBundle } from '#lib/verifier/schemas';
