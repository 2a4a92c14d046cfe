/**
 * Agents: single-use enrolment tokens, enrolled agents with their
 * certificate and status, and the authentication of their signed requests
 * (RFC 9421, http-signature.ts).
 */
export {
	createEnrolmentToken,
	enrolAgent,
	agentEnrolledJob,
	hashEnrolmentToken,
	ENROLMENT_TOKEN_PREFIX,
	type AgentCertificateIssuer,
	type IssuedAgentCertificate,
	type EnrolmentTokenCreated,
	type Enrolled
} from './enrolment';
export { listAgents, getAgent, changeAgentStatus, agentByCertificateSerial, agentById, type AgentView } from './manage';
export { authenticateAgent, purgeRequestNonces } from './authenticate';
export { signRequest, verifyRequest, assertSigned, contentDigest, SIGNATURE_LABEL, SIGNATURE_ALG, COVERED_COMPONENTS } from './http-signature';
export { agentNames, enrolmentTokenNames } from './labels';
export { AGENT_STATUSES, type Agent, type AgentStatus } from './schema';
