import { and, eq, gte, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { certificates } from './schema';

/** Certificates issued per UTC day since `since` (days without any are absent), for the dashboard chart. */
export async function certificatesPerDay(db: DbOrTx, tenantId: string, since: Date): Promise<Map<string, number>> {
	const day = sql<string>`to_char(${certificates.issuedAt} at time zone 'UTC', 'YYYY-MM-DD')`;
	const rows = await db
		.select({ day, n: sql<number>`count(*)::int` })
		.from(certificates)
		.where(and(eq(certificates.tenantId, tenantId), gte(certificates.issuedAt, since)))
		.groupBy(day);
	return new Map(rows.map((r) => [r.day, r.n]));
}

/** How many certificates the tenant has (issued or revoked) and how many of them are revoked. */
export async function certificateTotals(db: DbOrTx, tenantId: string): Promise<{ certificates: number; revoked: number }> {
	const [row] = await db
		.select({
			all: sql<number>`count(*) filter (where ${certificates.status} <> 'issuing')::int`,
			revoked: sql<number>`count(*) filter (where ${certificates.status} = 'revoked')::int`
		})
		.from(certificates)
		.where(eq(certificates.tenantId, tenantId));
	return { certificates: row?.all ?? 0, revoked: row?.revoked ?? 0 };
}

/** Certificates of every tenant by status (for /metrics). */
export async function certificatesByStatus(db: DbOrTx): Promise<{ status: string; n: number }[]> {
	return db.select({ status: certificates.status, n: sql<number>`count(*)::int` }).from(certificates).groupBy(certificates.status);
}
