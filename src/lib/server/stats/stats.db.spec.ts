import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificates } from '#lib/server/certificates/schema';
import type { Db } from '#lib/server/db/client';
import { licenceLedger } from '#lib/server/licences/schema';
import { sampleRecord } from '#lib/server/certificates/sample';
import { newPublicId } from '#lib/server/records';
import { proofs, type ProofStatus } from '#lib/server/proofs/schema';
import { tenants } from '#lib/server/tenancy/schema';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { overviewStats, utcDays } from './index';

/**
 * The overview figures on a real database: rows written with
 * chosen timestamps, then read back through the modules' query functions.
 */
let t: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
const NOW = new Date('2026-03-10T15:00:00Z');
const at = (day: string, time = '12:00:00') => new Date(`${day}T${time}Z`);

async function tenant(slug: string) {
	const [row] = await db.insert(tenants).values({ slug, name: slug }).returning();
	return row.id;
}

async function proof(tenantId: string, status: ProofStatus, opts: { updatedAt?: Date; code?: string } = {}) {
	const [row] = await db
		.insert(proofs)
		.values({
			publicId: newPublicId('proof'),
			tenantId,
			source: 'api',
			submitterKind: 'user',
			submitterId: 'u1',
			sizeBytes: 10,
			contentSha256: randomBytes(32).toString('hex'),
			objectKey: `k/${randomBytes(8).toString('hex')}`,
			status,
			rejectionCode: opts.code ?? null,
			updatedAt: opts.updatedAt ?? NOW
		})
		.returning();
	return row;
}

async function certificate(tenantId: string, issuedAt: Date | null, status: 'issuing' | 'valid' | 'revoked' = 'valid') {
	const p = await proof(tenantId, 'CERTIFIED_NO_ANCHOR');
	await db.insert(certificates).values({
		tenantId,
		proofId: p.id,
		publicId: newPublicId('certificate'),
		status,
		record: sampleRecord('wc_stats'),
		recordSha256: 'x',
		issuedAt,
		...(status === 'revoked' ? { revokedAt: NOW, revocationReason: 'test' } : {})
	});
	return p;
}

/** Ledger rows in order with their running balance, at chosen times (the ledger only takes inserts). */
async function book(tenantId: string, rows: { kind: 'grant' | 'consumption' | 'refund'; amount: number; at: Date; proofId?: string }[]) {
	let balance = 0;
	for (const r of rows) {
		balance += r.amount;
		await db.insert(licenceLedger).values({ tenantId, kind: r.kind, amount: r.amount, balanceAfter: balance, proofId: r.proofId ?? null, reason: r.kind === 'consumption' ? null : 'test', createdAt: r.at });
	}
}

beforeAll(async () => {
	t = await createTestDatabase();
	db = t.database.db;
});
afterAll(async () => t?.drop());

describe('overview stats', () => {
	it('lists the last N UTC days, today last', () => {
		expect(utcDays(3, NOW)).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
		expect(utcDays(2, new Date('2026-03-01T00:30:00+02:00'))).toEqual(['2026-02-27', '2026-02-28']);
	});

	it('counts certificates per UTC day inside the window only, zero days included, per tenant', async () => {
		const a = await tenant('stats-a');
		const b = await tenant('stats-b');
		await certificate(a, at('2026-03-10', '00:00:01'));
		await certificate(a, at('2026-03-10', '23:59:59'));
		await certificate(a, at('2026-03-08'), 'revoked');
		await certificate(a, at('2026-02-01')); // before the window
		await certificate(a, null, 'issuing'); // not issued yet
		await certificate(b, at('2026-03-10'));
		const s = await overviewStats(db, a, 7, NOW);
		expect(s.certificatesPerDay).toHaveLength(7);
		expect(s.certificatesPerDay.at(-1)).toEqual({ day: '2026-03-10', count: 2 });
		expect(s.certificatesPerDay.find((d) => d.day === '2026-03-08')).toEqual({ day: '2026-03-08', count: 1 });
		expect(s.certificatesPerDay.find((d) => d.day === '2026-03-09')).toEqual({ day: '2026-03-09', count: 0 });
		expect(s.certificatesPerDay.reduce((n, d) => n + d.count, 0)).toBe(3);
		expect(s.totals).toEqual({ certificates: 4, revoked: 1, proofs: 5 });
	});

	it('burns the licence balance down day by day, carrying quiet days forward', async () => {
		const a = await tenant('stats-burn');
		const p1 = await proof(a, 'CERTIFIED_NO_ANCHOR');
		const p2 = await proof(a, 'CERTIFIED_NO_ANCHOR');
		const p3 = await proof(a, 'CERTIFIED_NO_ANCHOR');
		await book(a, [
			{ kind: 'grant', amount: 10, at: at('2026-01-01') }, // opening balance, before the window
			{ kind: 'consumption', amount: -1, at: at('2026-03-08', '09:00:00'), proofId: p1.id },
			{ kind: 'consumption', amount: -1, at: at('2026-03-08', '10:00:00'), proofId: p2.id },
			{ kind: 'refund', amount: 1, at: at('2026-03-09'), proofId: p1.id },
			{ kind: 'consumption', amount: -1, at: at('2026-03-10'), proofId: p3.id },
			{ kind: 'grant', amount: 5, at: at('2026-03-10', '13:00:00') }
		]);
		const s = await overviewStats(db, a, 4, NOW);
		expect(s.burnDown).toEqual([
			{ day: '2026-03-07', balance: 10, consumed: 0 },
			{ day: '2026-03-08', balance: 8, consumed: 2 },
			{ day: '2026-03-09', balance: 9, consumed: -1 },
			{ day: '2026-03-10', balance: 13, consumed: 1 }
		]);
		expect(s.licences).toMatchObject({ balance: 13, granted: 15, consumed: 3, refunded: 1 });
	});

	it('counts rejections by code in the window and proofs in flight by status, zero included', async () => {
		const a = await tenant('stats-rej');
		await proof(a, 'REJECTED', { code: 'proof_invalid_signature' });
		await proof(a, 'REJECTED', { code: 'proof_invalid_signature' });
		await proof(a, 'REJECTED', { code: 'licence_exhausted' });
		await proof(a, 'REJECTED', { code: 'proof_schema_invalid', updatedAt: at('2025-12-01') }); // outside
		await proof(a, 'RECEIVED');
		await proof(a, 'FAILED_RETRYABLE');
		await proof(a, 'FAILED_RETRYABLE');
		const s = await overviewStats(db, a, 30, NOW);
		expect(s.rejectionsByCode).toEqual([
			{ code: 'proof_invalid_signature', count: 2 },
			{ code: 'licence_exhausted', count: 1 }
		]);
		expect(s.inFlight).toEqual([
			{ status: 'RECEIVED', count: 1 },
			{ status: 'VALIDATING', count: 0 },
			{ status: 'FAILED_RETRYABLE', count: 2 },
			{ status: 'CERTIFIED_PENDING_ANCHOR', count: 0 }
		]);
	});

	it('answers zeros for a tenant with nothing yet', async () => {
		const a = await tenant('stats-empty');
		const s = await overviewStats(db, a, 30, NOW);
		expect(s.certificatesPerDay.filter((d) => d.count !== 0)).toEqual([]);
		expect(s.burnDown.filter((d) => d.balance !== 0)).toEqual([]);
		expect(s.rejectionsByCode).toEqual([]);
		expect(s.totals).toEqual({ certificates: 0, revoked: 0, proofs: 0 });
	});
});
