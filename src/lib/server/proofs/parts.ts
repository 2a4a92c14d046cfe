import { appendCertificatesToLog, renderCertificatePdfs } from '#lib/server/certificates/issue-pdf';
import { logOrigin } from '#lib/server/log';
import { platform } from '#lib/server/platform';
import { getSigner, signReceiptsOnce, type Signer } from '#lib/server/signer';
import { SignerUnavailable } from '#lib/server/signer/types';
import { openProof } from './format';
import type { PipelineParts } from './pipeline';
import { RetryableFailure } from './rejections';

/** Signer outages become RetryableFailure (FAILED_RETRYABLE, retried with backoff); anything else is thrown as is. */
async function withSigner<T>(fn: (signer: Signer) => Promise<T>): Promise<T> {
	try {
		return await fn(await getSigner());
	} catch (error) {
		if (error instanceof SignerUnavailable) throw new RetryableFailure(error.message, { cause: error });
		throw error;
	}
}

/**
 * Binds the proof pipeline to the crypto modules (issue 5 §1, §7) and, as they
 * land, the certificates engineer's (issue 6):
 * - open: `openProof` (proofs/format) with the signer's decryption and the tenant's agent CA;
 * - hmac: the signer's de-duplication key;
 * - signReceipts: `signReceiptsOnce` (one signature per record, ever) over `signBatch` (one keyring key per batch of at most SIGNER_BATCH_SIZE);
 * - appendToLog: the transparency log (src/lib/server/log), checkpoints signed by the signer's note key;
 * - renderPdfs: certificates/issue-pdf (PAdES by the signer, RFC 3161 timestamp when TSA_URL is set).
 */
export function pipelineParts(): PipelineParts {
	// the tenant's agent CA never changes once created: one look-up per tenant and process
	const agentCas = new Map<string, Promise<string>>();
	const agentCa = (signer: Signer, tenantId: string) => {
		let pem = agentCas.get(tenantId);
		if (!pem) {
			agentCas.set(tenantId, (pem = signer.agentCaCertificate(tenantId)));
			pem.catch(() => agentCas.delete(tenantId));
		}
		return pem;
	};
	return {
		open: (der, ctx) => withSigner(async (signer) => openProof(der, { signer, agentCaPem: await agentCa(signer, ctx.tenantId), receivedAt: ctx.receivedAt })),
		hmac: (bytes) => withSigner((signer) => signer.hmac(bytes)),
		// one signature per record whatever crashes (signer_receipts), one keyring key per batch
		signReceipts: (records) => withSigner((signer) => signReceiptsOnce(platform().database.db, signer, records)),
		// issue 6: log leaf, then the PDF that embeds its inclusion proof
		appendToLog: (certificates) =>
			withSigner((signer) => {
				const { config, database } = platform();
				return appendCertificatesToLog({ db: database.db, origin: logOrigin(config), signNote: (body) => signer.signNote(body) }, certificates);
			}),
		renderPdfs: (certificates) =>
			withSigner((signer) => {
				const { config, database, storage } = platform();
				return renderCertificatePdfs({ db: database.db, storage, signer, origin: config.origin, tsaUrl: config.TSA_URL }, certificates);
			})
	};
}
