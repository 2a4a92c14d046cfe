import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { ensureDevTenants } from '#lib/server/tenancy';
import { ApiError } from '#lib/server/http/errors';
import { withIdempotency, hashRequest } from '#lib/server/idempotency';
import { completeIssuance, createCertificateRecords, refundRevokedCertificate, revokeCertificate } from '#lib/server/certificates';
import { registerProof, storeProof } from '#lib/server/proofs/submission';
import { newPublicId } from '#lib/server/records';
import { proofs } from '#lib/server/proofs/schema';
import type { Container } from '#lib/server/container';
import { consumeLicences, currentBalance, ensureDevLicencePools, grantLicences, licenceTotals, listLedger } from './index';
import { licenceLedger } from './schema';

let env: Awaited<ReturnType<typeof startTestContainer>>;
let p: Container;
let tenants: { acme: string; globex: string };
const ctx = { actor: { kind: 'user', id: 'admin-1', role: 'platform_admin' }, correlationId: 'test', sourceIp: '127.0.0.1' };

/** A real proof row (stored object, row, job) whose bytes are a minimal DER SEQUENCE. */
async function proof(tenantId: string) {
	const body = randomBytes(32);
	const der = Buffer.concat([Buffer.from([0x30, body.length]), body]);
	const stored = await storeProof(p.storage, tenantId, der);
	const accepted = await p.database.db.transaction((tx) =>
		registerProof(tx, p.queue, stored, { source: 'api', submitter: { kind: 'user', id: 'u1' } })
	);
	const [row] = await p.database.db.select().from(proofs).where(eq(proofs.publicId, accepted.publicId));
	return row;
}

beforeAll(async () => {
	env = await startTestContainer();
	p = env.app;
	tenants = await ensureDevTenants(p.database.db);
});
afterAll(async () => env?.stop());

describe('licence ledger', () => {
	it('the dev seed books acme 1,000 and globex 100 once, however often it runs', async () => {
		const { db } = p.database;
		await ensureDevLicencePools(db);
		await ensureDevLicencePools(db);
		expect(await currentBalance(db, tenants.acme)).toBe(1000);
		expect(await currentBalance(db, tenants.globex)).toBe(100);
	});

	it('is append-only: UPDATE, DELETE and TRUNCATE are refused by a trigger, for the owner too', async () => {
		const { db } = p.database;
		await db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: tenants.globex, kind: 'grant', amount: 5, reason: 'trigger test' }, ctx));
		for (const statement of [sql`update licence_ledger set amount = 500`, sql`delete from licence_ledger`, sql`truncate licence_ledger`]) {
			const error = await db.execute(statement).then(() => null, (e: Error) => e);
			expect(String((error?.cause as Error | undefined)?.message)).toMatch(/append-only/);
		}
	});

	it('computes the balance from the rows; a correction below zero is refused', async () => {
		const { db } = p.database;
		const before = await currentBalance(db, tenants.globex);
		await db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: tenants.globex, kind: 'top_up', amount: 3, reason: 'more' }, ctx));
		await db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: tenants.globex, kind: 'correction', amount: -2, reason: 'booked twice' }, ctx));
		expect(await currentBalance(db, tenants.globex)).toBe(before + 1);
		await expect(
			db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: tenants.globex, kind: 'correction', amount: -(before + 2), reason: 'too much' }, ctx))
		).rejects.toMatchObject({ code: 'conflict' });
		const totals = await licenceTotals(db, tenants.globex);
		expect(totals.balance).toBe(totals.granted - totals.consumed + totals.refunded + totals.corrected);
		const page = await listLedger(db, tenants.globex, { limit: 2 });
		expect(page.items).toHaveLength(2);
		expect(page.items[0].kind).toBe('correction');
		const next = await listLedger(db, tenants.globex, { limit: 2, cursor: page.nextCursor! });
		expect(next.items[0].id).toBeLessThan(page.items[1].id);
	});

	it('refuses a grant for an unknown tenant (404) and a non-positive grant (422)', async () => {
		const { db } = p.database;
		await expect(
			db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: '00000000-0000-4000-8000-000000000000', kind: 'grant', amount: 1, reason: 'x' }, ctx))
		).rejects.toMatchObject({ code: 'not_found' });
		await expect(db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: tenants.acme, kind: 'top_up', amount: -1, reason: 'x' }, ctx))).rejects.toMatchObject({
			code: 'validation_failed'
		});
	});

	it('charges a proof at most once, whatever is retried', async () => {
		const { db } = p.database;
		await db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: tenants.acme, kind: 'grant', amount: 10, reason: 'once' }, ctx));
		const pr = await proof(tenants.acme);
		const first = await db.transaction((tx) => consumeLicences(tx, tenants.acme, [pr]));
		const again = await db.transaction((tx) => consumeLicences(tx, tenants.acme, [pr]));
		expect(first.charged.has(pr.id) && again.charged.has(pr.id)).toBe(true);
		const rows = await db.select().from(licenceLedger).where(eq(licenceLedger.proofId, pr.id));
		expect(rows).toHaveLength(1);
		// and the unique index holds even against a hand-made second row
		await expect(
			db.insert(licenceLedger).values({ tenantId: tenants.acme, kind: 'consumption', amount: -1, balanceAfter: 0, proofId: pr.id })
		).rejects.toThrow();
	});

	it('concurrent consumption at balance 1: exactly one of two proofs gets the licence', async () => {
		const { db } = p.database;
		const [{ id: tenantId }] = await db.execute<{ id: string }>(sql`insert into tenants (slug, name) values (${`t-${randomBytes(4).toString('hex')}`}, 'One licence') returning id`);
		await db.transaction((tx) => grantLicences(tx, p.queue, { tenantId, kind: 'grant', amount: 1, reason: 'one' }, ctx));
		const a = await proof(tenantId);
		const b = await proof(tenantId);
		// two transactions on two connections, started together
		const [ra, rb] = await Promise.all([
			db.transaction(async (tx) => {
				const r = await consumeLicences(tx, tenantId, [a]);
				await tx.execute(sql`select pg_sleep(0.2)`);
				return r;
			}),
			db.transaction(async (tx) => consumeLicences(tx, tenantId, [b]))
		]);
		const winners = [ra.charged.has(a.id), rb.charged.has(b.id)].filter(Boolean);
		expect(winners).toHaveLength(1);
		expect(ra.exhausted.size + rb.exhausted.size).toBe(1);
		expect(await currentBalance(db, tenantId)).toBe(0);
	});

	it('refunds the licence of a revoked certificate once, and only of a revoked one', async () => {
		const { db } = p.database;
		const pr = await proof(tenants.acme);
		await db.transaction((tx) => consumeLicences(tx, tenants.acme, [pr]));
		const publicId = newPublicId('certificate');
		const [cert] = await db.transaction((tx) =>
			createCertificateRecords(tx, [{
				tenantId: tenants.acme,
				proofId: pr.id,
				publicId,
				record: {
					version: 1,
					certificateId: publicId,
					issuer: { tenant: 'acme', name: 'Acme' },
					issuedAt: new Date().toISOString(),
					proof: { id: pr.publicId, sha256: pr.contentSha256, receivedAt: pr.receivedAt.toISOString() },
					agent: { certificateSerial: '01' },
					report: {}
				}
			}])
		);
		await db.transaction((tx) => completeIssuance(tx, [{ id: cert.id, receiptKeyId: 'k', receiptSignature: 's', receiptAlgorithm: 'a', logIndex: null, pdfObjectKey: null }]));
		await expect(db.transaction((tx) => refundRevokedCertificate(tx, publicId, 'not revoked yet', ctx))).rejects.toMatchObject({ code: 'conflict' });
		const balance = await currentBalance(db, tenants.acme);
		await db.transaction((tx) => revokeCertificate(tx, tenants.acme, publicId, 'wrong asset', ctx, 'http://x'));
		const refund = await db.transaction((tx) => refundRevokedCertificate(tx, publicId, 'issued in error', ctx));
		expect(refund).toMatchObject({ kind: 'refund', amount: 1, balanceAfter: balance + 1, proofId: pr.publicId });
		await expect(db.transaction((tx) => refundRevokedCertificate(tx, publicId, 'again', ctx))).rejects.toBeInstanceOf(ApiError);
		expect(await currentBalance(db, tenants.acme)).toBe(balance + 1);
	});

	it('a top-up replayed with the same Idempotency-Key books one row and answers the same', async () => {
		const { db } = p.database;
		const body = { tenantId: tenants.globex, kind: 'top_up' as const, amount: 7, reason: 'replayed' };
		const req = { scope: 'platform/user/admin-1', key: 'topup-1', method: 'POST', path: '/api/v1/licences/grants', requestHash: hashRequest(JSON.stringify(body)) };
		const handler = async (tx: Parameters<Parameters<typeof db.transaction>[0]>[0]) => ({ status: 201, body: await grantLicences(tx, p.queue, body, ctx) });
		const before = await currentBalance(db, tenants.globex);
		const [one, two] = await Promise.all([withIdempotency(db, req, handler, { ttlSeconds: 60, waitSeconds: 5 }), withIdempotency(db, req, handler, { ttlSeconds: 60, waitSeconds: 5 })]);
		expect(one.body).toEqual(two.body);
		expect([one.replayed, two.replayed].sort()).toEqual([false, true]);
		expect(await currentBalance(db, tenants.globex)).toBe(before + 7);
		await expect(withIdempotency(db, { ...req, requestHash: hashRequest('other') }, handler, { ttlSeconds: 60, waitSeconds: 5 })).rejects.toMatchObject({ code: 'idempotency_key_reused' });
	});


});
