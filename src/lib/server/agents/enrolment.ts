import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '#lib/server/audit';
import type { Db, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { sendInTx, type Queue } from '#lib/server/queue';
import type { AuditContext } from '#lib/server/tenancy';
import { agentEnrolmentTokens, agents, type Agent } from './schema';

/** Tokens carry a prefix so a leaked one is recognisable (secret scanners, logs). */
export const ENROLMENT_TOKEN_PREFIX = 'wcet_';

export const hashEnrolmentToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export type EnrolmentTokenCreated = { id: string; token: string; name: string; expiresAt: Date };

/**
 * Creates a single-use enrolment token for the caller's tenant.
 * The token (256 random bits) is returned once; only its SHA-256 is stored.
 * Audited in the same transaction.
 */
export async function createEnrolmentToken(
	tx: Tx,
	tenantId: string,
	input: { name: string; ttlSeconds?: number },
	ctx: AuditContext & { createdBy: { kind: string; id: string } },
	maxTtlSeconds: number
): Promise<EnrolmentTokenCreated> {
	const ttl = Math.min(input.ttlSeconds ?? maxTtlSeconds, maxTtlSeconds);
	const token = ENROLMENT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
	const [row] = await tx
		.insert(agentEnrolmentTokens)
		.values({
			tenantId,
			tokenHash: hashEnrolmentToken(token),
			name: input.name,
			createdByKind: ctx.createdBy.kind,
			createdById: ctx.createdBy.id,
			expiresAt: sql`now() + make_interval(secs => ${ttl})`
		})
		.returning();
	await recordAudit(tx, {
		actor: ctx.actor,
		tenantId,
		action: 'agent.enrolment_token.create',
		target: `enrolment_token:${row.id}`,
		result: 'success',
		correlationId: ctx.correlationId,
		sourceIp: ctx.sourceIp,
		details: { name: input.name, expiresAt: row.expiresAt.toISOString() }
	});
	return { id: row.id, token, name: row.name, expiresAt: row.expiresAt };
}

/** What the agent CA hands back for a CSR (the tenant's agent CA in the signer). */
export type IssuedAgentCertificate = {
	certificatePem: string;
	/** lower-case hex serial */
	serialHex: string;
	/** the tenant's agent CA chain, issuer first */
	caChainPem: string[];
	/** DER SubjectPublicKeyInfo of the certified key (P-256) */
	publicKeySpki: Uint8Array;
};

/** Issues the agent certificate for a CSR from the tenant's agent CA; throws ApiError for a bad CSR. */
export type AgentCertificateIssuer = (request: { tenantId: string; agentId: string; name: string; csrPem: string }) => Promise<IssuedAgentCertificate>;

export type Enrolled = { agent: Agent; issued: IssuedAgentCertificate };

/**
 * The `proofs.retry` job an enrolment sends in its transaction: the retry
 * worker then re-tests the tenant's proofs rejected `agent_unknown` that this
 * agent's certificate signed.
 */
export const agentEnrolledJob = z.object({ agentEnrolled: z.object({ tenantId: z.uuid(), certificateSerial: z.string().regex(/^[0-9a-f]{1,64}$/) }) });

/**
 * `POST /ingest/v1/enrolments`: spends the token and creates the agent with a
 * certificate from the tenant's agent CA, in one transaction. The token row is
 * locked first, so two agents racing with one token get one agent; a token
 * that is unknown, spent or expired answers 401 `enrolment_token_invalid`. A
 * CSR the CA refuses rolls everything back: the token stays usable.
 */
export async function enrolAgent(db: Db, queue: Queue, token: string, csrPem: string, issue: AgentCertificateIssuer, ctx: Omit<AuditContext, 'actor'>): Promise<Enrolled> {
	return db.transaction(async (tx) => {
		const [tok] = await tx
			.select()
			.from(agentEnrolmentTokens)
			.where(
				and(eq(agentEnrolmentTokens.tokenHash, hashEnrolmentToken(token)), isNull(agentEnrolmentTokens.usedAt), gt(agentEnrolmentTokens.expiresAt, sql`now()`))
			)
			.for('update');
		if (!tok) throw new ApiError('enrolment_token_invalid');
		const agentId = randomUUID();
		const issued = await issue({ tenantId: tok.tenantId, agentId, name: tok.name, csrPem });
		const [agent] = await tx
			.insert(agents)
			.values({
				id: agentId,
				tenantId: tok.tenantId,
				name: tok.name,
				certificateSerial: issued.serialHex.toLowerCase(),
				certificatePem: issued.certificatePem,
				publicKeySpki: Buffer.from(issued.publicKeySpki).toString('base64')
			})
			.returning();
		await tx.update(agentEnrolmentTokens).set({ usedAt: sql`now()`, agentId }).where(eq(agentEnrolmentTokens.id, tok.id));
		await recordAudit(tx, {
			actor: { kind: 'agent', id: agentId, role: 'agent' },
			tenantId: tok.tenantId,
			action: 'agent.enrol',
			target: `agent:${agentId}`,
			result: 'success',
			correlationId: ctx.correlationId,
			sourceIp: ctx.sourceIp,
			details: { name: tok.name, enrolmentToken: tok.id, certificateSerial: agent.certificateSerial }
		});
		await sendInTx(queue, tx, 'proofs.retry', { agentEnrolled: { tenantId: tok.tenantId, certificateSerial: agent.certificateSerial } } satisfies z.infer<typeof agentEnrolledJob>);
		return { agent, issued };
	});
}
