import type { ReportBreakdown, ReportCount, ReportTenantRow, ReportTotals, TenantRef } from '#lib/api/types.gen';
import { agentByCertificateSerial } from '#lib/server/agents';
import { certificatePeriodFigures } from '#lib/server/certificates';
import type { DbOrTx } from '#lib/server/db/client';
import { consumptionsPerDay, ledgerPeriodTotals } from '#lib/server/licences';
import { anchoredInPeriod, isRejectionCode, rejectionsInPeriod } from '#lib/server/proofs';
import { daysOf, type ReportPeriod } from './period';

/**
 * What a monthly report states, computed only from the append-only licence
 * ledger, the certificate rows and the proofs' timeline, each read through
 * its module's functions, for one period in one time zone. Everything is
 * listed in a fixed order, so the same data gives the same figures, byte for
 * byte, however often it is computed.
 */
export type ReportContent = { totals: ReportTotals; breakdown: ReportBreakdown };

/** One tenant's figures over the period (its own report, or its row of the platform report in UTC). */
export async function tenantContent(db: DbOrTx, tenantId: string, p: ReportPeriod): Promise<ReportContent> {
	const [ledger, certs, consumed, rejections, anchored] = await Promise.all([
		ledgerPeriodTotals(db, tenantId, p),
		certificatePeriodFigures(db, tenantId, p),
		consumptionsPerDay(db, tenantId, p),
		rejectionsInPeriod(db, tenantId, p),
		anchoredInPeriod(db, tenantId, p)
	]);
	const agent = [];
	for (const a of certs.agent) {
		const known = a.certificateSerial === 'unknown' ? null : await agentByCertificateSerial(db, tenantId, a.certificateSerial);
		agent.push({ certificateSerial: a.certificateSerial, name: known?.name ?? null, count: a.count });
	}
	const rejected = rejections.flatMap((r) => (isRejectionCode(r.code) ? [{ code: r.code, count: r.count }] : []));
	return {
		totals: {
			ledger,
			certificates: { issued: certs.issued, revoked: certs.revoked, anchored },
			rejected: rejected.reduce((n, r) => n + r.count, 0)
		},
		breakdown: {
			mediaType: certs.mediaType,
			method: certs.method,
			result: certs.result,
			attestation: certs.attestation,
			agent,
			day: daysOf(p.month).map((day) => ({ day, issued: certs.days.get(day)?.issued ?? 0, revoked: certs.days.get(day)?.revoked ?? 0, consumed: consumed.get(day) ?? 0 })),
			rejections: rejected,
			tenants: []
		}
	};
}

const sumCounts = (lists: ReportCount[][]): ReportCount[] => {
	const by = new Map<string, number>();
	for (const list of lists) for (const c of list) by.set(c.key, (by.get(c.key) ?? 0) + c.count);
	return [...by].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
};

/**
 * The platform-wide report: every tenant's figures over the UTC month, one
 * row per tenant (by slug), and their sums. Tenant by tenant, so each query
 * is one tenant's index range whatever the platform's size.
 */
export async function platformContent(db: DbOrTx, tenants: TenantRef[], p: ReportPeriod): Promise<ReportContent> {
	const rows: ReportTenantRow[] = [];
	const parts: ReportContent[] = [];
	for (const t of [...tenants].sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0))) {
		const c = await tenantContent(db, t.id, p);
		parts.push(c);
		rows.push({ tenantId: t.id, slug: t.slug, name: t.name, ledger: c.totals.ledger, issued: c.totals.certificates.issued, revoked: c.totals.certificates.revoked, anchored: c.totals.certificates.anchored, rejected: c.totals.rejected });
	}
	const sum = (f: (c: ReportContent) => number) => parts.reduce((n, c) => n + f(c), 0);
	const ledger = {
		opening: sum((c) => c.totals.ledger.opening),
		grants: sum((c) => c.totals.ledger.grants),
		topUps: sum((c) => c.totals.ledger.topUps),
		consumptions: sum((c) => c.totals.ledger.consumptions),
		refunds: sum((c) => c.totals.ledger.refunds),
		corrections: sum((c) => c.totals.ledger.corrections),
		closing: sum((c) => c.totals.ledger.closing)
	};
	const rejections = sumCounts(parts.map((c) => c.breakdown.rejections.map((r) => ({ key: r.code, count: r.count })))).flatMap((r) => (isRejectionCode(r.key) ? [{ code: r.key, count: r.count }] : []));
	const agents = new Map<string, { certificateSerial: string; name: string | null; count: number }>();
	for (const c of parts) for (const a of c.breakdown.agent) agents.set(a.certificateSerial, { ...a, count: (agents.get(a.certificateSerial)?.count ?? 0) + a.count });
	return {
		totals: {
			ledger,
			certificates: { issued: sum((c) => c.totals.certificates.issued), revoked: sum((c) => c.totals.certificates.revoked), anchored: sum((c) => c.totals.certificates.anchored) },
			rejected: sum((c) => c.totals.rejected)
		},
		breakdown: {
			mediaType: sumCounts(parts.map((c) => c.breakdown.mediaType)),
			method: sumCounts(parts.map((c) => c.breakdown.method)),
			result: sumCounts(parts.map((c) => c.breakdown.result)),
			attestation: sumCounts(parts.map((c) => c.breakdown.attestation)),
			agent: [...agents.values()].sort((a, b) => b.count - a.count || (a.certificateSerial < b.certificateSerial ? -1 : 1)),
			day: daysOf(p.month).map((day) => ({
				day,
				issued: sum((c) => c.breakdown.day.find((d) => d.day === day)?.issued ?? 0),
				revoked: sum((c) => c.breakdown.day.find((d) => d.day === day)?.revoked ?? 0),
				consumed: sum((c) => c.breakdown.day.find((d) => d.day === day)?.consumed ?? 0)
			})),
			rejections,
			tenants: rows
		}
	};
}
