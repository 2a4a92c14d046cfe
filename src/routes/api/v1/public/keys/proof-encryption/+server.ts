import { proofEncryptionCertificatePem } from '#lib/server/agents/issuer';
import { operation } from '#lib/server/route';

/** GET /api/v1/public/keys/proof-encryption — the proof-encryption certificate as one PEM block (RFC 7468), what `openssl cms -encrypt -recip` takes. */
export const GET = operation('getProofEncryptionCertificate', async ({ app }) =>
	new Response(await proofEncryptionCertificatePem(app.signer), {
		headers: { 'content-type': 'application/pem-certificate-chain', 'cache-control': 'public, max-age=300' }
	})
);
