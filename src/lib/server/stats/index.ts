/**
 * The dashboard overview: figures read through the owning
 * modules' exported queries (certificates, licences, proofs), never their
 * tables, so each module stays the only one that knows its schema.
 */
import { certificatesPerDay, certificateTotals } from '#lib/server/certificates';
import type { DbOrTx } from '#lib/server/db/client';
import { dailyBalances, licenceTotals, type LicenceTotals } from '#lib/server/licences';
import { proofCount, proofsInFlight, rejectionsByCode, type ProofStatus } from '#lib/server/proofs';

export type OverviewStats = {
	days: number;
	certificatesPerDay: { day: string; count: number }[];
	licences: LicenceTotals;
	burnDown: { day: string; balance: number; consumed: number }[];
	rejectionsByCode: { code: string; count: number }[];
	inFlight: { status: ProofStatus; count: number }[];
	totals: { certificates: number; revoked: number; proofs: number };
};

/** The `days` UTC calendar days ending with the day of `now`, oldest first (YYYY-MM-DD). */
export function utcDays(days: number, now: Date): string[] {
	const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
	return Array.from({ length: days }, (_, i) => new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/** Overview of one tenant over the last `days` UTC days (today included). */
export async function overviewStats(db: DbOrTx, tenantId: string, days = 30, now = new Date()): Promise<OverviewStats> {
	const list = utcDays(days, now);
	const since = new Date(`${list[0]}T00:00:00Z`);
	const [perDay, licences, burnDown, rejections, inFlight, certs, proofs] = await Promise.all([
		certificatesPerDay(db, tenantId, since),
		licenceTotals(db, tenantId),
		dailyBalances(db, tenantId, list),
		rejectionsByCode(db, tenantId, since),
		proofsInFlight(db, tenantId),
		certificateTotals(db, tenantId),
		proofCount(db, tenantId)
	]);
	return {
		days,
		certificatesPerDay: list.map((day) => ({ day, count: perDay.get(day) ?? 0 })),
		licences,
		burnDown,
		rejectionsByCode: rejections,
		inFlight,
		totals: { ...certs, proofs }
	};
}
