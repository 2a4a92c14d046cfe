/**
 * What the benchmarks borrow from the app's TypeScript, bundled by bench/lib.mjs
 * (Vite, SSR build) into bench/out/support.js at the start of a run: the RFC 9421
 * request signer agents use, the scripted dev-realm sign-in of the tests, and the
 * domain functions the baselines run without database or queue (the same code
 * as the measured path, so a ratio compares plumbing, not different work).
 */
export { signRequest } from '#lib/server/agents/http-signature';
export { signInToApp } from '../tests/helpers/oidc-browser';
export { openDatabase } from '#lib/server/db/client';
export { appendLeaves, inclusionProof } from '#lib/server/log';
export { leafHash, nodeHash, inclusionRanges, nodesFor, rangeHashes, verifyInclusion } from '#lib/server/log/merkle';
export { createKeyringSigner } from '#lib/server/signer/keyring';
export { sampleRecord } from '#lib/server/certificates/sample';
export { openProof } from '#lib/server/proofs/format';
export { canonicalJson, canonicalRecordBytes } from '#lib/server/records';
export { buildCertificatePdf } from '#lib/server/certificates/pdf';
export { signPdf } from '#lib/server/certificates/pades';
export { BUNDLE_FORMAT } from '#lib/server/certificates/bundle';
export { logEntryOf } from '#lib/server/certificates/issue-pdf';
export { checkpointBody, signedNote } from '#lib/server/log/note';
export { seedCertifiedMonth } from '../tests/helpers/report-fixtures';
export { startQueue } from '#lib/server/queue';
export { createLogger } from '#lib/server/telemetry/logger';
export { publicCertificateAnswer } from '#lib/server/verification';
export { enqueueNotification } from '#lib/server/notifications';
export { signatureHeaders, messageId } from '#lib/server/notifications/signing';
