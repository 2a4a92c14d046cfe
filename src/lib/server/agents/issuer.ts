import { ApiError } from '#lib/server/http/errors';
import type { AgentCertificateIssuer } from './enrolment';

/**
 * The agent CA and the proof-encryption certificate come from the crypto
 * engineer's PKI and signer modules; this file binds them for enrolment.
 * Until those modules are in the build, enrolment answers 503.
 */
export function agentCertificateIssuer(): AgentCertificateIssuer {
	return async () => {
		throw new ApiError('service_unavailable', 'The agent CA is not available in this build yet.');
	};
}

export async function proofEncryptionCertificatePem(): Promise<string> {
	throw new ApiError('service_unavailable', 'The proof-encryption certificate is not available in this build yet.');
}
