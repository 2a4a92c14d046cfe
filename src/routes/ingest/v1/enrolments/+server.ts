import { json } from '@sveltejs/kit';
import { enrolAgent } from '#lib/server/agents';
import { agentCertificateIssuer, proofEncryptionCertificatePem } from '#lib/server/agents/issuer';
import { requestClientAddress } from '#lib/server/ratelimit';
import { agentOperation } from '#lib/server/route';

/** POST /ingest/v1/enrolments — enrolment token (bearer) + CSR → agent certificate (audited). */
export const POST = agentOperation('enrolAgent', async ({ app, db, event, enrolmentToken, body }) => {
	const enrolled = await enrolAgent(db, enrolmentToken, body.csr, agentCertificateIssuer(app.signer), {
		correlationId: event.locals.correlationId,
		sourceIp: requestClientAddress(event)
	});
	return json(
		{
			agentId: enrolled.agent.id,
			certificate: enrolled.issued.certificatePem,
			caCertificates: enrolled.issued.caChainPem,
			proofEncryptionCertificate: await proofEncryptionCertificatePem(app.signer)
		},
		{ status: 201, headers: { 'cache-control': 'no-store' } }
	);
});
