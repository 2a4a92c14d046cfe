import { createClient } from '#lib/api/client';
import { getLogCheckpoint, getLogConsistencyProof, getPublicCertificate } from '#lib/api/sdk.gen';
import type { PublishedKeys } from '#lib/api/types.gen';
import { checkOnline, verifyCertificatePdf, type OnlineOutcome, type PdfVerdict } from '#lib/verifier';

/** Why an API call gave no data: its HTTP status, or no answer at all (offline, blocked). */
const noData = (r: { response?: Response }) => (r.response ? `HTTP ${r.response.status}` : 'no answer from the platform');

/** A certificate PDF larger than this is not one of ours; reading it would only stall the tab. */
const MAX_PDF_BYTES = 64 * 1024 * 1024;

export type LocalResult = { verdict: PdfVerdict; online: OnlineOutcome; ms: number };

/**
 * Verifies a certificate PDF in the browser with the shared verification
 * core: the file is read here and never sent anywhere. Then, with the
 * public API (generated client), the checks that need the platform: the
 * log's newest checkpoint and a consistency proof, the issued record, and
 * revocation — requests that carry only the certificate ID and tree sizes.
 */
export async function verifyInBrowser(file: File, keys: PublishedKeys, origin: string): Promise<LocalResult> {
	const started = performance.now();
	if (file.size > MAX_PDF_BYTES) throw new Error(`the file is ${Math.round(file.size / 1e6)} MB, larger than any certificate`);
	const verdict = await verifyCertificatePdf(new Uint8Array(await file.arrayBuffer()), keys);
	const client = createClient({ baseUrl: origin });
	const online = await checkOnline(verdict, keys, {
		async newestCheckpoint() {
			const r = await getLogCheckpoint({ client });
			if (!r.data) throw new Error(noData(r));
			return r.data.note;
		},
		async consistencyProof(first, second) {
			const r = await getLogConsistencyProof({ client, query: { first, second } });
			if (!r.data) throw new Error(noData(r));
			return r.data.hashes;
		},
		async certificate(publicId) {
			const r = await getPublicCertificate({ client, path: { publicId } });
			if (r.response?.status === 404) return null;
			if (!r.data) throw new Error(noData(r));
			return { status: r.data.status, revokedAt: r.data.revokedAt, revocationReason: r.data.revocationReason, recordSha256: r.data.recordSha256 };
		}
	});
	return { verdict, online, ms: Math.round(performance.now() - started) };
}
