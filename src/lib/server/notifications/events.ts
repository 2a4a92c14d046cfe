import { z } from 'zod';
import type { NotificationEvent } from './catalogue';

/**
 * Builders of catalogue events from the rows their emitters already hold, so
 * an emitter's change stays one call: `enqueueNotification(tx, certificateIssued(c))`.
 */

const text = z.string().max(200);
/** The parts of a certificate record (certificates module, record version 1) a `certificate.issued` event carries; read leniently. */
const recordView = z.looseObject({
	issuedAt: z.string(),
	proof: z.looseObject({ id: z.string() }),
	report: z
		.looseObject({
			device: z
				.looseObject({
					type: text.optional(),
					manufacturer: text.optional(),
					vendor: text.optional(),
					model: text.optional(),
					serial: text.optional(),
					serialNumber: text.optional(),
					capacityBytes: z.number().int().nonnegative().optional()
				})
				.optional(),
			assetTag: text.optional(),
			result: z.union([z.string().max(100), z.looseObject({ status: z.string().max(100).optional() })]).optional()
		})
		.optional()
});

const defined = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** `certificate.issued` of a certificate row (`{ tenantId, publicId, record }`). */
export function certificateIssued(c: { tenantId: string; publicId: string; record: unknown }): NotificationEvent {
	const r = recordView.parse(c.record);
	const d = r.report?.device;
	const result = typeof r.report?.result === 'string' ? r.report.result : r.report?.result?.status;
	const device = d
		? defined({ type: d.type, manufacturer: d.manufacturer ?? d.vendor, model: d.model, serial: d.serial ?? d.serialNumber, capacityBytes: d.capacityBytes })
		: undefined;
	return {
		type: 'certificate.issued',
		tenantId: c.tenantId,
		data: defined({
			certificateId: c.publicId,
			proofId: r.proof.id,
			issuedAt: new Date(r.issuedAt).toISOString(),
			device: device && Object.keys(device).length ? device : undefined,
			assetTag: r.report?.assetTag,
			result
		})
	};
}

/** `certificate.anchored` of a certificate whose log leaf a confirmed anchor covers. */
export function certificateAnchored(
	c: { tenantId: string; publicId: string },
	a: { chainId: number; txHash: string; blockNumber: number | null },
	anchoredAt: Date
): NotificationEvent {
	return {
		type: 'certificate.anchored',
		tenantId: c.tenantId,
		data: { certificateId: c.publicId, chainId: a.chainId, txHash: a.txHash, blockNumber: a.blockNumber ?? 0, anchoredAt: anchoredAt.toISOString() }
	};
}

/** `system.chain_failed` of the first failed anchor pass after a good one (`failureId` names that run of failures). */
export function chainFailed(failureId: string, chainId: number | null, error: string, pendingCertificates?: number): NotificationEvent {
	return { type: 'system.chain_failed', data: { failureId, chainId, error: error.slice(0, 2000) || 'unknown error', pendingCertificates } };
}

/** `licences.low` / `licences.exhausted` of a licence alert the ledger raised (once per crossing). */
export function licenceAlert(a: { tenantId: string; kind: 'low' | 'exhausted'; ledgerEntryId: number; balance: number; threshold: number | null }): NotificationEvent {
	return a.kind === 'low'
		? { type: 'licences.low', tenantId: a.tenantId, data: { balance: a.balance, threshold: a.threshold ?? 0, ledgerEntryId: a.ledgerEntryId } }
		: { type: 'licences.exhausted', tenantId: a.tenantId, data: { balance: 0, ledgerEntryId: a.ledgerEntryId } };
}

/** `report.ready` of a tenant's report version that was just published. */
export function reportReadyEvent(r: { id: string; tenantId: string; month: string }): NotificationEvent {
	return { type: 'report.ready', tenantId: r.tenantId, data: { reportId: r.id, month: r.month } };
}

/** `certificate.revoked` of a revoked certificate row. */
export function certificateRevoked(c: { tenantId: string; publicId: string; revokedAt: Date | null; revocationReason: string | null }): NotificationEvent {
	return {
		type: 'certificate.revoked',
		tenantId: c.tenantId,
		data: { certificateId: c.publicId, revokedAt: (c.revokedAt ?? new Date()).toISOString(), reason: c.revocationReason ?? '' }
	};
}

/** `proof.rejected` of a proof that just became REJECTED. */
export function proofRejected(p: { tenantId: string; publicId: string; receivedAt: Date }, code: string, detail?: string | null): NotificationEvent {
	return {
		type: 'proof.rejected',
		tenantId: p.tenantId,
		data: { proofId: p.publicId, code, detail: detail ? detail.slice(0, 1000) : null, receivedAt: p.receivedAt.toISOString() }
	};
}

/** `member.invited` of a new invitation (the mail goes to the invited address). */
export function memberInvited(tenantId: string, m: { id: string; email: string | null; role: 'tenant_admin' | 'operator' | 'viewer' }): NotificationEvent[] {
	return m.email ? [{ type: 'member.invited', tenantId, data: { membershipId: m.id, email: m.email, role: m.role } }] : [];
}
