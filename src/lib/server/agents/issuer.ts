import { X509Certificate } from 'node:crypto';
import { ApiError } from '#lib/server/http/errors';
import { SignerUnavailable, type Signer } from '#lib/server/signer';
import type { AgentCertificateIssuer } from './enrolment';

/** A signer outage is a 503 the agent retries; a CSR the CA refuses is the agent's 422. */
function mapSignerError(error: unknown): never {
	if (error instanceof SignerUnavailable) throw new ApiError('service_unavailable', 'The signer is unavailable; retry the enrolment later.');
	if (error instanceof ApiError) throw error;
	throw new ApiError('validation_failed', error instanceof Error ? error.message : 'The CSR was refused.', [
		{ field: 'csr', problem: error instanceof Error ? error.message : 'refused' }
	]);
}

/** Enrolment's certificate issuer: the tenant's agent CA in the signer. */
export function agentCertificateIssuer(getSigner: () => Promise<Signer>): AgentCertificateIssuer {
	return async (request) => {
		try {
			const signer = await getSigner();
			const issued = await signer.issueAgentCertificate(request);
			const root = (await signer.publicKeys()).rootCertificatePem;
			return {
				certificatePem: issued.certificatePem,
				serialHex: issued.serialHex.toLowerCase(),
				caChainPem: [issued.caCertificatePem, root],
				publicKeySpki: new Uint8Array(new X509Certificate(issued.certificatePem).publicKey.export({ type: 'spki', format: 'der' }))
			};
		} catch (error) {
			mapSignerError(error);
		}
	};
}

/**
 * One proof-encryption certificate (PEM): `rsa` for RSAES-OAEP key transport (RFC 8017), `ecdh` for
 * ephemeral-static ECDH key agreement on P-256 (RFC 5753).
 */
export async function proofEncryptionCertificatePem(getSigner: () => Promise<Signer>, algorithm: 'rsa' | 'ecdh' = 'rsa'): Promise<string> {
	return (await proofEncryptionCertificates(getSigner))[algorithm];
}

/** Both proof-encryption certificates, as the enrolment answer offers them: RSA (key transport) and P-256 (ECDH key agreement). */
export async function proofEncryptionCertificates(getSigner: () => Promise<Signer>): Promise<{ rsa: string; ecdh: string }> {
	try {
		const keys = await (await getSigner()).publicKeys();
		return { rsa: keys.proofEncryptionCertificatePem, ecdh: keys.proofEncryptionEcdhCertificatePem };
	} catch (error) {
		mapSignerError(error);
	}
}
