import { json } from '@sveltejs/kit';
import { enrolAgent } from '#lib/server/agents';
import { agentCertificateIssuer, proofEncryptionCertificates } from '#lib/server/agents/issuer';
import { requestClientAddress } from '#lib/server/ratelimit';
import { agentOperation } from '#lib/server/route';

/** POST /ingest/v1/enrolments — enrolment token (bearer) + CSR → agent certificate (audited). */
export const POST = agentOperation('enrolAgent', async ({ app, db, event, enrolmentToken, body }) => {
	const enrolled = await enrolAgent(db, app.queue, enrolmentToken, body.csr, agentCertificateIssuer(app.signer), {
		correlationId: event.locals.correlationId,
		sourceIp: requestClientAddress(event)
	});
	// RFC 8555 §9.1: a station with openssl and curl but no JSON parser asks for the PEM chain (handbook: OpenSSL recipe)
	if (/\bapplication\/pem-certificate-chain\b/i.test(event.request.headers.get('accept') ?? '')) {
		return new Response([enrolled.issued.certificatePem, ...enrolled.issued.caChainPem].map((pem) => pem.trim() + '\n').join(''), {
			status: 201,
			headers: { 'content-type': 'application/pem-certificate-chain', 'cache-control': 'no-store' }
		});
	}
	const encryption = await proofEncryptionCertificates(app.signer);
	return json(
		{
			agentId: enrolled.agent.id,
			certificate: enrolled.issued.certificatePem,
			caCertificates: enrolled.issued.caChainPem,
			proofEncryptionCertificate: encryption.rsa,
			proofEncryptionEcdhCertificate: encryption.ecdh
		},
		{ status: 201, headers: { 'cache-control': 'no-store' } }
	);
});
