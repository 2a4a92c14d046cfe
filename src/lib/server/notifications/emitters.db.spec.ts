import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { actorCtx } from '../../../../tests/helpers/notify';
import { completeIssuance, createCertificateRecords, revokeCertificate } from '#lib/server/certificates';
import { consumeLicences, currentBalance, grantLicences } from '#lib/server/licences';
import type { Container } from '#lib/server/container';
import { newPublicId } from '#lib/server/records';
import { proofs } from '#lib/server/proofs/schema';
import { registerProof, storeProof } from '#lib/server/proofs/submission';
import { createTenant, inviteMember, updateTenantSettings } from '#lib/server/tenancy';
import { notificationDeliveries } from './schema';
import { updateNotificationSettings } from './settings';

/**
 * The domain changes that emit notifications write their deliveries in their
 * own transaction (outbox): a rolled-back change leaves none.
 */
let env: Awaited<ReturnType<typeof startTestContainer>>;
let p: Container;
let tenantId: string;

beforeAll(async () => {
	env = await startTestContainer({ env: { SMTP_URL: 'smtp://127.0.0.1:9' } });
	p = env.app;
	tenantId = (await p.database.db.transaction((tx) => createTenant(tx, { slug: `n-${randomBytes(3).toString('hex')}`, name: 'Notify Test' }, actorCtx))).id;
	await p.database.db.transaction(async (tx) => {
		// the low-balance threshold is the tenant's setting; the licence ledger raises the alert, the outbox mails it
		await updateTenantSettings(tx, tenantId, { lowBalanceThreshold: 5 }, actorCtx);
		await updateNotificationSettings(tx, tenantId, { events: ['licences.low', 'licences.exhausted', 'certificate.revoked', 'report.ready'].map((event) => ({ event, recipients: ['ops@notify.test'] })) }, actorCtx);
	});
});
afterAll(async () => env?.stop());

const deliveries = (type: string) =>
	p.database.db.select().from(notificationDeliveries).where(and(eq(notificationDeliveries.tenantId, tenantId), eq(notificationDeliveries.eventType, type)));

async function proof() {
	const body = randomBytes(32);
	const stored = await storeProof(p.storage, tenantId, Buffer.concat([Buffer.from([0x30, body.length]), body]));
	const accepted = await p.database.db.transaction((tx) => registerProof(tx, p.queue, stored, { source: 'api', submitter: { kind: 'user', id: 'u1' } }));
	return (await p.database.db.select().from(proofs).where(eq(proofs.publicId, accepted.publicId)))[0];
}

describe('emitters', () => {
	it('member.invited: the invitation mail to the invited address, in the invitation’s transaction', async () => {
		const member = await p.database.db.transaction((tx) => inviteMember(tx, tenantId, { email: 'New.Person@Notify.test', role: 'viewer' }, { ...actorCtx, userId: null }));
		const rows = await deliveries('member.invited');
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ channel: 'mail', recipient: 'new.person@notify.test', status: 'pending' });
		expect(rows[0].payload).toMatchObject({ data: { membershipId: member.id, email: 'new.person@notify.test', role: 'viewer' } });

		// rolled back with its change: an invitation that fails leaves no mail behind
		const err = await p.database.db
			.transaction(async (tx) => {
				await inviteMember(tx, tenantId, { email: 'rollback@notify.test', role: 'viewer' }, { ...actorCtx, userId: null });
				throw new Error('abort');
			})
			.catch((e: Error) => e);
		expect(err.message).toBe('abort');
		expect(await deliveries('member.invited')).toHaveLength(1);
	});

	it('licences.low once when the balance falls below the threshold, licences.exhausted once at zero', async () => {
		const { db } = p.database;
		await db.transaction((tx) => grantLicences(tx, p.queue, { tenantId, kind: 'grant', amount: 7, reason: 'test pool' }, actorCtx));
		const ps: Awaited<ReturnType<typeof proof>>[] = [];
		for (let i = 0; i < 9; i++) ps.push(await proof());
		// 7 → 5: not below 5 yet
		await db.transaction((tx) => consumeLicences(tx, tenantId, ps.slice(0, 2)));
		expect(await deliveries('licences.low')).toHaveLength(0);
		// 5 → 4: below the threshold
		await db.transaction((tx) => consumeLicences(tx, tenantId, ps.slice(2, 3)));
		const low = await deliveries('licences.low');
		expect(low).toHaveLength(1);
		expect(low[0].payload).toMatchObject({ data: { balance: 4, threshold: 5 } });
		// 4 → 1: still low, no second alert
		await db.transaction((tx) => consumeLicences(tx, tenantId, ps.slice(3, 6)));
		expect(await deliveries('licences.low')).toHaveLength(1);
		// 1 → 0 and one refused: one exhausted alert; more refusals at zero add none
		const outcome = await db.transaction((tx) => consumeLicences(tx, tenantId, ps.slice(6, 8)));
		expect(outcome.exhausted.size).toBe(1);
		await db.transaction((tx) => consumeLicences(tx, tenantId, ps.slice(8, 9)));
		expect(await currentBalance(db, tenantId)).toBe(0);
		const exhausted = await deliveries('licences.exhausted');
		expect(exhausted).toHaveLength(1);
		expect(exhausted[0]).toMatchObject({ recipient: 'ops@notify.test', status: 'pending' });
		// a top-up and a new fall alert again
		await db.transaction((tx) => grantLicences(tx, p.queue, { tenantId, kind: 'top_up', amount: 6, reason: 'top-up' }, actorCtx));
		const more = [await proof(), await proof()];
		await db.transaction((tx) => consumeLicences(tx, tenantId, more));
		expect(await deliveries('licences.low')).toHaveLength(2);
	});

	it('certificate.revoked with the reason', async () => {
		const { db } = p.database;
		await db.transaction((tx) => grantLicences(tx, p.queue, { tenantId, kind: 'top_up', amount: 1, reason: 'one more' }, actorCtx));
		const pr = await proof();
		await db.transaction((tx) => consumeLicences(tx, tenantId, [pr]));
		const publicId = newPublicId('certificate');
		const [cert] = await db.transaction((tx) =>
			createCertificateRecords(tx, [{
				tenantId,
				proofId: pr.id,
				publicId,
				record: {
					version: 1,
					certificateId: publicId,
					issuer: { tenant: 'n', name: 'Notify Test' },
					issuedAt: new Date().toISOString(),
					proof: { id: pr.publicId, sha256: pr.contentSha256, receivedAt: pr.receivedAt.toISOString() },
					agent: { certificateSerial: '01' },
					report: {}
				}
			}])
		);
		await db.transaction((tx) => completeIssuance(tx, [{ id: cert.id, receiptKeyId: 'k', receiptSignature: 's', receiptAlgorithm: 'a', logIndex: null, pdfObjectKey: null }]));
		await db.transaction((tx) => revokeCertificate(tx, tenantId, publicId, 'wrong asset', actorCtx, 'http://x'));
		const rows = await deliveries('certificate.revoked');
		expect(rows).toHaveLength(1);
		expect(rows[0].payload).toMatchObject({ data: { certificateId: publicId, reason: 'wrong asset' } });
	});
});
