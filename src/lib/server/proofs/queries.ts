import { and, asc, desc, eq, inArray, lt, notInArray, or } from 'drizzle-orm';
import type { ProofSummary } from '#lib/api/types.gen';
import { certificatesForProofs, type DeviceSummary } from '#lib/server/certificates';
import type { DbOrTx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { decodeTimeKeyset, encodeTimeKeyset } from '#lib/server/http/cursor';
import { isPublicId } from '#lib/server/records';
import { isOperatorAttested, OPERATOR_ATTESTED_SOURCES } from './attestation';
import { isRejectionCode, REJECTIONS, type RejectionCode } from './rejections';
import { proofEvents, proofs, type Proof, type ProofStatus } from './schema';

/** The API's proof summary (openapi ProofSummary): the contract is the one definition of this shape. */
export type ProofSummaryView = ProofSummary;

function rejection(p: Proof): { rejectionCode: RejectionCode | null; rejectionExplanation: string | null } {
	if (p.status !== 'REJECTED' || !isRejectionCode(p.rejectionCode)) return { rejectionCode: null, rejectionExplanation: null };
	const base = REJECTIONS[p.rejectionCode].explanation;
	return { rejectionCode: p.rejectionCode, rejectionExplanation: p.rejectionDetail ? `${base} Details: ${p.rejectionDetail}` : base };
}

function summaryView(p: Proof, certificateId: string | null): ProofSummaryView {
	return {
		publicId: p.publicId,
		status: p.status,
		source: p.source,
		attestation: isOperatorAttested(p.source) ? 'operator' : 'agent',
		filename: p.filename,
		sizeBytes: p.sizeBytes,
		contentSha256: p.contentSha256,
		...rejection(p),
		receivedAt: p.receivedAt.toISOString(),
		updatedAt: p.updatedAt.toISOString(),
		device: (p.summary as DeviceSummary | null) ?? null,
		certificateId
	};
}

async function certificateIds(db: DbOrTx, rows: Proof[]): Promise<Map<string, string>> {
	const certs = await certificatesForProofs(
		db,
		rows.filter((p) => p.status.startsWith('CERTIFIED')).map((p) => p.id)
	);
	return new Map(certs.map((c) => [c.proofId, c.publicId]));
}

/**
 * Proofs of a tenant, newest first (cursor: receivedAt|id). `q` finds a
 * public ID, a device serial or an asset tag (exact match); `attestation`
 * keeps agent-signed or operator-attested proofs.
 */
export async function listProofs(db: DbOrTx, tenantId: string, query: { cursor?: string; limit?: number; status?: ProofStatus; q?: string; attestation?: 'agent' | 'operator' }) {
	const limit = query.limit ?? 50;
	const after = query.cursor ? decodeTimeKeyset(query.cursor) : null;
	const q = query.q?.trim();
	const rows = await db
		.select()
		.from(proofs)
		.where(
			and(
				eq(proofs.tenantId, tenantId),
				query.status ? eq(proofs.status, query.status) : undefined,
				query.attestation === 'operator' ? inArray(proofs.source, [...OPERATOR_ATTESTED_SOURCES]) : query.attestation === 'agent' ? notInArray(proofs.source, [...OPERATOR_ATTESTED_SOURCES]) : undefined,
				q ? (isPublicId('proof', q) ? eq(proofs.publicId, q) : or(eq(proofs.deviceSerial, q), eq(proofs.assetTag, q))) : undefined,
				after ? or(lt(proofs.receivedAt, after.at), and(eq(proofs.receivedAt, after.at), lt(proofs.id, after.id))) : undefined
			)
		)
		.orderBy(desc(proofs.receivedAt), desc(proofs.id))
		.limit(limit + 1);
	const page = rows.slice(0, limit);
	const certs = await certificateIds(db, page);
	const last = rows[limit - 1];
	return {
		items: page.map((p) => summaryView(p, certs.get(p.id) ?? null)),
		nextCursor: rows.length > limit ? encodeTimeKeyset(last.receivedAt, last.id) : null
	};
}

async function proofOf(db: DbOrTx, tenantId: string, publicId: string): Promise<Proof> {
	if (!isPublicId('proof', publicId)) throw new ApiError('not_found', 'No proof with this id in your tenant.');
	const [p] = await db
		.select()
		.from(proofs)
		.where(and(eq(proofs.tenantId, tenantId), eq(proofs.publicId, publicId)));
	if (!p) throw new ApiError('not_found', 'No proof with this id in your tenant.');
	return p;
}

export const isReprocessable = (p: Pick<Proof, 'status' | 'rejectionCode'>) =>
	p.status === 'FAILED_RETRYABLE' || (p.status === 'REJECTED' && isRejectionCode(p.rejectionCode) && REJECTIONS[p.rejectionCode].reprocessable);

/** One proof of the tenant with its state timeline; 404 otherwise (another tenant's too). */
export async function getProof(db: DbOrTx, tenantId: string, publicId: string) {
	const p = await proofOf(db, tenantId, publicId);
	const timeline = await db.select().from(proofEvents).where(eq(proofEvents.proofId, p.id)).orderBy(asc(proofEvents.id));
	const certs = await certificateIds(db, [p]);
	return {
		...summaryView(p, certs.get(p.id) ?? null),
		agentId: p.agentId,
		reprocessable: isReprocessable(p),
		timeline: timeline.map((e) => ({
			from: e.fromStatus as ProofStatus | null,
			to: e.toStatus as ProofStatus,
			code: e.code,
			detail: e.detail,
			actor: e.actor,
			at: e.at.toISOString()
		}))
	};
}

/** What an agent may learn about a proof of its tenant (GET /ingest/v1/proofs/{id}). */
export async function proofStatusView(db: DbOrTx, tenantId: string, publicId: string) {
	const p = await proofOf(db, tenantId, publicId);
	const certs = await certificateIds(db, [p]);
	return { publicId: p.publicId, status: p.status, ...rejection(p), certificateId: certs.get(p.id) ?? null };
}

export { proofOf };
