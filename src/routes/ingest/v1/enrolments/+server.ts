import { json } from '@sveltejs/kit';
import { enrolAgent, gatewayDatabase } from '#lib/server/agents';
import { agentCertificateIssuer, proofEncryptionCertificatePem } from '#lib/server/agents/issuer';
import { parseJsonBody } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import { enforceRateLimit, requestClientAddress } from '#lib/server/ratelimit';
import { zEnrolAgentBody } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** POST /ingest/v1/enrolments — enrolment token (bearer) + CSR → agent certificate (rate limited; audited). */
export const POST: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'ingest');
	const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(event.request.headers.get('authorization') ?? '');
	if (!m) {
		throw new ApiError('unauthenticated', 'Present the enrolment token as `Authorization: Bearer <token>`.', undefined, { 'www-authenticate': 'Bearer' });
	}
	const body = await parseJsonBody(event.request, zEnrolAgentBody, platform().config.JSON_BODY_MAX_BYTES);
	const enrolled = await enrolAgent(gatewayDatabase().db, m[1], body.csr, agentCertificateIssuer(), {
		correlationId: event.locals.correlationId,
		sourceIp: requestClientAddress(event)
	});
	return json(
		{
			agentId: enrolled.agent.id,
			certificate: enrolled.issued.certificatePem,
			caCertificates: enrolled.issued.caChainPem,
			proofEncryptionCertificate: await proofEncryptionCertificatePem()
		},
		{ status: 201, headers: { 'cache-control': 'no-store' } }
	);
};
