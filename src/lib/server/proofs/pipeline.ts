import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { agentByCertificateSerial, type Agent } from '#lib/server/agents';
import { certificatesForProofs, createCertificates, deviceSummary, issueCertificates, type Certificate, type IssuanceDeps } from '#lib/server/certificates';
import type { Db, Tx } from '#lib/server/db/client';
import { consumeLicences, withLedgerLock } from '#lib/server/licences';
import { sendInTx, type Queue } from '#lib/server/queue';
import { SignerUnavailable, type Signer } from '#lib/server/signer';
import type { ObjectStore } from '#lib/server/storage';
import { certificateIssued, enqueueNotification, proofRejected } from '#lib/server/notifications';
import { getTenant } from '#lib/server/tenancy';
import type { Logger } from '#lib/server/telemetry/logger';
import { isOperatorAttested, openAttestedProof, certifiedBy, type AttestedProof } from './attestation';
import { openProof, type OpenedProof } from './format';
import { ProofRejection, RetryableFailure, agentUnknownDetail, type RejectionCode } from './rejections';
import { proofs, type Proof } from './schema';
import { withSpan } from '#lib/server/telemetry/tracing';
import { moveClaimed, recordTransitions, type Transition } from './transitions';

export type PipelineSettings = {
	batchSize: number;
	claimTimeoutSeconds: number;
	retryBaseDelay: number;
	retryMaxDelay: number;
	retryLimit: number;
	/** CHAIN != noop: certificates wait for an anchor (CERTIFIED_PENDING_ANCHOR + certificates.to_anchor) */
	anchor: boolean;
	/** a notifications worker is in the build: write the notification outbox */
	notify: boolean;
};

export type PipelineContext = {
	db: Db;
	queue: Queue;
	storage: ObjectStore;
	log: Logger;
	signer(): Promise<Signer>;
	/** what certificate issuance needs besides the services above */
	issuance: Pick<IssuanceDeps, 'origin' | 'logOrigin' | 'tsaUrl' | 'witnesses'>;
	settings: PipelineSettings;
	/** tenants' agent CA certificates: one look-up per tenant and pipeline (a CA never changes once created) */
	agentCas: Map<string, Promise<string>>;
};

/** A pipeline on the given services; built once per worker process (SIGNER_BATCH_SIZE is fixed for its life). */
export function createPipeline(parts: Omit<PipelineContext, 'agentCas'>): PipelineContext {
	return { ...parts, agentCas: new Map() };
}

export const workerIdentity = () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/**
 * Claims up to `batchSize` proofs (the hinted one first): RECEIVED ones, and
 * VALIDATING ones whose claim ran out (their worker died). SKIP LOCKED lets
 * any number of workers claim side by side; each proof is held by one worker
 * until `claimed_until`.
 */
export async function claimBatch(ctx: PipelineContext, workerId: string, hint?: string): Promise<Proof[]> {
	return ctx.db.transaction(async (tx) => {
		const rows = await tx.execute<{ id: string; prev: Proof['status'] }>(sql`
			with c as (
				select id, status from ${proofs}
				where status = 'RECEIVED' or (status = 'VALIDATING' and claimed_until < now())
				order by (id = ${hint ?? null}::uuid) is true desc, received_at
				limit ${ctx.settings.batchSize}
				for update skip locked
			)
			update ${proofs} p set status = 'VALIDATING', claimed_by = ${workerId},
				claimed_until = now() + make_interval(secs => ${ctx.settings.claimTimeoutSeconds}),
				attempts = p.attempts + 1, updated_at = now()
			from c where p.id = c.id
			returning p.id, c.status as prev`);
		if (!rows.length) return [];
		// in arrival order: the licences of a batch are consumed in this order
		const claimed = await tx.select().from(proofs).where(inArray(proofs.id, rows.map((r) => r.id))).orderBy(asc(proofs.receivedAt), asc(proofs.id));
		const prev = new Map(rows.map((r) => [r.id, r.prev]));
		// a re-claim after a crash is not a state change; only RECEIVED → VALIDATING goes on the timeline
		await recordTransitions(
			tx,
			`worker:${workerId}`,
			claimed.filter((p) => prev.get(p.id) === 'RECEIVED').map((p) => ({ proofId: p.id, publicId: p.publicId, tenantId: p.tenantId, from: 'RECEIVED', to: 'VALIDATING' }))
		);
		return claimed;
	});
}

type Validated = { proof: Proof; opened: OpenedProof | AttestedProof; agentId: string | null; hmac: string };
type Outcome = { proof: Proof } & ({ kind: 'valid'; v: Validated } | { kind: 'rejected'; code: RejectionCode; detail?: string } | { kind: 'retry'; error: string });

/** Decrypt, verify, check the agent and HMAC one proof; never throws. */
type AgentLookup = (tenantId: string, serialHex: string) => Promise<Agent | null>;

/** Agent lookups of one batch, memoised: a batch is mostly proofs of a few agents. */
function batchAgents(ctx: PipelineContext): AgentLookup {
	const seen = new Map<string, Promise<Agent | null>>();
	return (tenantId, serialHex) => {
		const key = `${tenantId}/${serialHex.toLowerCase()}`;
		let found = seen.get(key);
		if (!found) seen.set(key, (found = agentByCertificateSerial(ctx.db, tenantId, serialHex)));
		return found;
	};
}

/** Signer or storage outages: retried with backoff, without an error log line. */
const expected = (error: unknown) => error instanceof RetryableFailure || error instanceof SignerUnavailable;

function agentCa(ctx: PipelineContext, signer: Signer, tenantId: string): Promise<string> {
	let pem = ctx.agentCas.get(tenantId);
	if (!pem) {
		ctx.agentCas.set(tenantId, (pem = signer.agentCaCertificate(tenantId)));
		pem.catch(() => ctx.agentCas.delete(tenantId));
	}
	return pem;
}

async function validateOne(ctx: PipelineContext, proof: Proof, agents: AgentLookup): Promise<Outcome> {
	try {
		let der: Uint8Array | null;
		try {
			der = await ctx.storage.getBytes(proof.objectKey);
		} catch (error) {
			throw new RetryableFailure(`object storage: ${(error as Error).message}`, { cause: error });
		}
		if (!der) throw new RetryableFailure('the proof object is missing from storage');
		const signer = await ctx.signer();
		// an uploaded nwipe log has no agent signature to verify: the attested document is opened instead
		if (isOperatorAttested(proof.source)) {
			const attested = openAttestedProof(proof.source, der);
			return { proof, kind: 'valid', v: { proof, opened: attested, agentId: null, hmac: await signer.hmac(attested.canonicalReport) } };
		}
		const opened = await openProof(der, { signer, agentCaPem: await agentCa(ctx, signer, proof.tenantId), receivedAt: proof.receivedAt });
		const agent = await agents(proof.tenantId, opened.signerSerialHex);
		if (!agent) throw new ProofRejection('agent_unknown', agentUnknownDetail(opened.signerSerialHex));
		// "not revoked at receipt": a revocation after the proof arrived does not reject it
		if (agent.revokedAt && agent.revokedAt <= proof.receivedAt) {
			throw new ProofRejection('agent_revoked', `agent revoked at ${agent.revokedAt.toISOString()}`);
		}
		const hmac = await signer.hmac(opened.canonicalReport);
		return { proof, kind: 'valid', v: { proof, opened, agentId: agent.id, hmac } };
	} catch (error) {
		if (error instanceof ProofRejection) return { proof, kind: 'rejected', code: error.code, detail: error.detail };
		// Anything else (signer or storage down, a bug) is retried with backoff, never dropped.
		const message = error instanceof Error ? error.message : String(error);
		if (!expected(error)) ctx.log.error({ err: error, proof: proof.publicId }, 'unexpected error while validating a proof');
		return { proof, kind: 'retry', error: message.slice(0, 1000) };
	}
}

function backoffSeconds(ctx: PipelineContext, retries: number): number {
	return Math.min(ctx.settings.retryMaxDelay, ctx.settings.retryBaseDelay * 2 ** Math.min(retries, 30));
}

/**
 * FAILED_RETRYABLE with the next attempt after the backoff from settings; the
 * `proofs.retry` job that takes it up commits with the change. Past
 * PROOF_RETRY_LIMIT no job is sent: the proof waits for a reprocess.
 */
async function markRetryable(ctx: PipelineContext, tx: Tx, workerId: string, failed: { proof: Proof; error: string }[]): Promise<Transition[]> {
	const changes: Transition[] = [];
	for (const { proof, error } of failed) {
		const giveUp = proof.retries >= ctx.settings.retryLimit;
		const delay = backoffSeconds(ctx, proof.retries);
		const moved = await moveClaimed(tx, workerId, [proof.id], 'FAILED_RETRYABLE', {
			retries: proof.retries + 1,
			lastError: error,
			nextAttemptAt: giveUp ? null : sql`now() + make_interval(secs => ${delay})`
		});
		if (!moved.length) continue;
		if (!giveUp) await sendInTx(ctx.queue, tx, 'proofs.retry', { proofId: proof.id }, { startAfter: delay });
		changes.push({
			proofId: proof.id,
			publicId: proof.publicId,
			tenantId: proof.tenantId,
			from: 'VALIDATING',
			to: 'FAILED_RETRYABLE',
			detail: giveUp ? `${error} (automatic retries exhausted; reprocess it)` : `${error} (next attempt in ${delay} s)`
		});
	}
	return changes;
}

async function reject(tx: Tx, workerId: string, list: { proof: Proof; code: RejectionCode; detail?: string }[]): Promise<Transition[]> {
	const changes: Transition[] = [];
	for (const r of list) {
		const moved = await moveClaimed(tx, workerId, [r.proof.id], 'REJECTED', { rejectionCode: r.code, rejectionDetail: r.detail ?? null });
		if (moved.length) changes.push({ proofId: r.proof.id, publicId: r.proof.publicId, tenantId: r.proof.tenantId, from: 'VALIDATING', to: 'REJECTED', code: r.code, detail: r.detail });
	}
	await enqueueNotification(tx, list.filter((r) => changes.some((c) => c.proofId === r.proof.id)).map((r) => proofRejected(r.proof, r.code, r.detail)));
	return changes;
}

/**
 * The decision for one tenant's valid proofs, in one transaction under the
 * tenant's ledger lock: duplicates (same report HMAC as a certified or
 * in-issue proof) are rejected, one licence is consumed per remaining proof
 * (none left: `licence_exhausted`), and each charged proof gets its
 * certificate row. The licence and the certificate row commit together, so a
 * crash cannot charge without a certificate or issue without a charge.
 */
async function decide(ctx: PipelineContext, workerId: string, tenantId: string, valid: Validated[]): Promise<Certificate[]> {
	const tenant = await getTenant(ctx.db, tenantId);
	return ctx.db.transaction((tx) => withLedgerLock(tx, tenantId, async () => {
		// still ours? (a worker that overran its claim must not act on a proof another took over)
		const held = await tx
			.select({ id: proofs.id })
			.from(proofs)
			.where(and(inArray(proofs.id, valid.map((v) => v.proof.id)), eq(proofs.status, 'VALIDATING'), eq(proofs.claimedBy, workerId)))
			.for('update');
		const heldIds = new Set(held.map((h) => h.id));
		const mine = valid.filter((v) => heldIds.has(v.proof.id));
		const taken = await tx
			.select({ id: proofs.id, hmac: proofs.contentHmac, publicId: proofs.publicId })
			.from(proofs)
			.where(and(eq(proofs.tenantId, tenantId), inArray(proofs.contentHmac, mine.map((v) => v.hmac))));
		const owner = new Map(taken.map((t) => [t.hmac!, t]));
		const rejected: { proof: Proof; code: RejectionCode; detail?: string }[] = [];
		const eligible: Validated[] = [];
		for (const v of mine) {
			const o = owner.get(v.hmac);
			if (o && o.id !== v.proof.id) rejected.push({ proof: v.proof, code: 'proof_duplicate', detail: `same report as proof ${o.publicId}` });
			else {
				owner.set(v.hmac, { id: v.proof.id, hmac: v.hmac, publicId: v.proof.publicId });
				eligible.push(v);
			}
		}
		const { exhausted } = await consumeLicences(tx, tenantId, eligible.map((v) => ({ id: v.proof.id, publicId: v.proof.publicId })));
		const charged = eligible.filter((v) => !exhausted.has(v.proof.id));
		for (const v of eligible) if (exhausted.has(v.proof.id)) rejected.push({ proof: v.proof, code: 'licence_exhausted' });
		const facts = charged.map((v) => {
			const summary = deviceSummary(v.opened.report);
			return { id: v.proof.id, contentHmac: v.hmac, agentId: v.agentId, summary, deviceSerial: summary?.serial ?? null, assetTag: summary?.assetTag ?? null };
		});
		if (facts.length) {
			await tx.execute(sql`
				update ${proofs} p set content_hmac = v."contentHmac", agent_id = v."agentId", summary = v.summary,
					device_serial = v."deviceSerial", asset_tag = v."assetTag", updated_at = now()
				from jsonb_to_recordset(${JSON.stringify(facts)}::jsonb)
					as v(id uuid, "contentHmac" text, "agentId" uuid, summary jsonb, "deviceSerial" text, "assetTag" text)
				where p.id = v.id`);
		}
		const certs = await createCertificates(
			tx,
			{ id: tenantId, slug: tenant?.slug ?? tenantId, name: tenant?.name ?? '' },
			charged.map((v) => ({
				proofId: v.proof.id,
				proof: { id: v.proof.publicId, sha256: v.proof.contentSha256, receivedAt: v.proof.receivedAt.toISOString() },
				...certifiedBy(v.opened),
				report: v.opened.report
			}))
		);
		await recordTransitions(tx, `worker:${workerId}`, await reject(tx, workerId, rejected));
		return certs;
	}));
}

/**
 * Hands the decided certificates to issuance (receipt, log leaf, PDF: the
 * certificates module) and, in issuance's completing transaction, moves their
 * proofs to their final state and queues what follows (anchoring,
 * notifications): the certificate is `valid` exactly when its proof is
 * certified.
 */
async function issue(ctx: PipelineContext, workerId: string, certs: Certificate[], proofsById: Map<string, Proof>): Promise<Transition[]> {
	const signer = await ctx.signer();
	const to = ctx.settings.anchor ? 'CERTIFIED_PENDING_ANCHOR' : 'CERTIFIED_NO_ANCHOR';
	return issueCertificates({ db: ctx.db, storage: ctx.storage, signer, ...ctx.issuance }, certs, async (tx, issued) => {
		const moved = new Set((await moveClaimed(tx, workerId, issued.map((c) => c.proofId), to)).map((m) => m.id));
		const changes: Transition[] = [];
		for (const c of issued) {
			if (!moved.has(c.proofId)) continue;
			const proof = proofsById.get(c.proofId)!;
			changes.push({ proofId: proof.id, publicId: proof.publicId, tenantId: proof.tenantId, from: 'VALIDATING', to, detail: `certificate ${c.publicId}` });
			if (ctx.settings.anchor) await sendInTx(ctx.queue, tx, 'certificates.to_anchor', { certificateId: c.id });
		}
		if (ctx.settings.notify) await enqueueNotification(tx, issued.filter((c) => moved.has(c.proofId)).map(certificateIssued));
		await recordTransitions(tx, `worker:${workerId}`, changes);
		return changes;
	});
}

export type BatchResult = { claimed: number; certified: number; rejected: number; retryable: number; ms: Record<string, number> };

/**
 * One pass of the proof worker: claim a batch, validate each
 * proof, decide per tenant (duplicates, licences, certificate rows), sign the
 * receipts as one batch, append to the log, render the PDFs, and record the
 * final states. Permanent failures end REJECTED with a code; signer or storage
 * outages end FAILED_RETRYABLE for the retry worker.
 */
export async function processBatch(ctx: PipelineContext, workerId: string, hint?: string): Promise<BatchResult> {
	const ms: Record<string, number> = {};
	// each step is also a span `proof.<step>` of the job's trace
	const time = <T>(step: string, fn: () => Promise<T>): Promise<T> =>
		withSpan(`proof.${step}`, { 'wipecert.worker.id': workerId }, async () => {
			const t = performance.now();
			try {
				return await fn();
			} finally {
				ms[step] = (ms[step] ?? 0) + performance.now() - t;
			}
		});
	const batch = await time('claim', () => claimBatch(ctx, workerId, hint));
	const result: BatchResult = { claimed: batch.length, certified: 0, rejected: 0, retryable: 0, ms };
	if (!batch.length) return result;
	const byId = new Map(batch.map((p) => [p.id, p]));

	// Proofs whose certificate row exists already (a crash after the decision) skip straight to issuance.
	const existing = await certificatesForProofs(ctx.db, batch.map((p) => p.id));
	const resumed = new Set(existing.map((c) => c.proofId));
	const outcomes = await time('validate', async () => {
		const out: Outcome[] = [];
		const agents = batchAgents(ctx);
		for (const p of batch) if (!resumed.has(p.id)) out.push(await validateOne(ctx, p, agents));
		return out;
	});

	const rejected = outcomes.filter((o): o is Outcome & { kind: 'rejected' } => o.kind === 'rejected');
	const retry: { proof: Proof; error: string }[] = outcomes.filter((o): o is Outcome & { kind: 'retry' } => o.kind === 'retry');
	const valid = outcomes.filter((o): o is Outcome & { kind: 'valid' } => o.kind === 'valid').map((o) => o.v);

	const certs: Certificate[] = [...existing];
	await time('decide', async () => {
		const tenants = [...new Set(valid.map((v) => v.proof.tenantId))].sort();
		for (const t of tenants) certs.push(...(await decide(ctx, workerId, t, valid.filter((v) => v.proof.tenantId === t))));
	});
	const decided = new Set(certs.map((c) => c.proofId));
	const finalRejected = await time('reject', () =>
		ctx.db.transaction(async (tx) => {
			const changes = await reject(tx, workerId, rejected);
			await recordTransitions(tx, `worker:${workerId}`, changes);
			return changes;
		})
	);
	result.rejected = finalRejected.length + valid.filter((v) => !decided.has(v.proof.id)).length;

	let issued: Transition[] = [];
	try {
		issued = await time('issue', () => issue(ctx, workerId, certs, byId));
	} catch (error) {
		if (!expected(error)) ctx.log.error({ err: error }, 'unexpected error while issuing certificates');
		const message = error instanceof Error ? error.message : String(error);
		for (const c of certs) retry.push({ proof: byId.get(c.proofId)!, error: message.slice(0, 1000) });
	}
	result.certified = issued.length;
	if (retry.length) {
		const changes = await time('retryable', () =>
			ctx.db.transaction(async (tx) => {
				const c = await markRetryable(ctx, tx, workerId, retry);
				await recordTransitions(tx, `worker:${workerId}`, c);
				return c;
			})
		);
		result.retryable = changes.length;
	}
	return result;
}
