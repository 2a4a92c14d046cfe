import { proofEncryptionCertificatePem } from '#lib/server/agents/issuer';
import { operation } from '#lib/server/route';

/**
 * GET /api/v1/public/keys/proof-encryption[?algorithm=rsa|ecdh] — a proof-encryption certificate as one PEM block
 * (RFC 7468), what `openssl cms -encrypt -recip` takes: RSA (RSAES-OAEP) by default, P-256 (ECDH, RFC 5753) on request.
 */
export const GET = operation('getProofEncryptionCertificate', async ({ app, query: { algorithm } }) =>
	new Response(await proofEncryptionCertificatePem(app.signer, algorithm), {
		headers: { 'content-type': 'application/pem-certificate-chain', 'cache-control': 'public, max-age=300' }
	})
);
