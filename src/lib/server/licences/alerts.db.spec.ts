import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import type { Container } from '#lib/server/container';
import { newPublicId } from '#lib/server/records';
import { createTenant, updateTenantSettings } from '#lib/server/tenancy';
import { consumeLicences, grantLicences, licenceAlertsOf } from './index';

/**
 * Low-balance and exhaustion alerts on the real database: raised in the
 * booking's transaction, once per crossing of the tenant's threshold (and of
 * zero), whatever batches, retries and refusals follow.
 */
let env: Awaited<ReturnType<typeof startTestContainer>>;
let app: Container;
const ctx = { actor: { kind: 'user', id: 'admin', role: 'platform_admin' }, correlationId: 'alerts', sourceIp: null };

async function tenant(threshold: number) {
	const t = await app.database.db.transaction((tx) => createTenant(tx, { slug: `alerts-${randomBytes(4).toString('hex')}`, name: 'Alerts' }, ctx));
	await app.database.db.transaction((tx) => updateTenantSettings(tx, t.id, { lowBalanceThreshold: threshold }, ctx));
	return t.id;
}

/** Proof rows to charge (consumption needs a proof; nothing else is involved). */
async function proofs(tenantId: string, n: number) {
	const out: { id: string; publicId: string }[] = [];
	for (let i = 0; i < n; i++) {
		const publicId = newPublicId('proof');
		const [row] = await app.database.sql<{ id: string }[]>`insert into proofs (public_id, tenant_id, source, submitter_kind, submitter_id, size_bytes, content_sha256, object_key)
			values (${publicId}, ${tenantId}, 'api', 'user', 'u', 10, ${randomBytes(32).toString('hex')}, ${`proofs/x/${publicId}.der`}) returning id`;
		out.push({ id: row.id, publicId });
	}
	return out;
}

const charge = (tenantId: string, list: { id: string; publicId: string }[]) => app.database.db.transaction((tx) => consumeLicences(tx, tenantId, list));
const grant = (tenantId: string, amount: number, kind: 'grant' | 'top_up' | 'correction' = 'grant') =>
	app.database.db.transaction((tx) => grantLicences(tx, app.queue, { tenantId, kind, amount, reason: 'test' }, ctx));
const kinds = async (tenantId: string) => (await licenceAlertsOf(app.database.db, tenantId)).map((a) => `${a.kind}@${a.balance}`).reverse();

beforeAll(async () => {
	env = await startTestContainer();
	app = env.app;
});
afterAll(async () => env?.stop());

describe('licence alerts', () => {
	it('low once when the balance falls below the threshold, again only after a top-up lifted it', async () => {
		const t = await tenant(5);
		await grant(t, 7);
		const list = await proofs(t, 13);
		await charge(t, list.slice(0, 1)); // 6
		await charge(t, list.slice(1, 2)); // 5: not below
		expect(await kinds(t)).toEqual([]);
		await charge(t, list.slice(2, 3)); // 4: below
		await charge(t, list.slice(3, 4)); // 3: still below, nothing new
		await charge(t, list.slice(2, 3)); // a retried batch charges nothing and raises nothing
		expect(await kinds(t)).toEqual(['low@4']);
		await grant(t, 10, 'top_up'); // 13: re-armed
		await charge(t, list.slice(4, 13)); // 13 → 4 in one batch: one crossing
		expect(await kinds(t)).toEqual(['low@4', 'low@4']);
		const events = await app.database.sql<{ type: string; data: { balance: number; threshold: number } }[]>`select type, data from tenant_events where tenant_id = ${t} order by id`;
		expect(events.filter((e) => e.type === 'licences.low').map((e) => e.data)).toEqual([
			expect.objectContaining({ balance: 4, threshold: 5 }),
			expect.objectContaining({ balance: 4, threshold: 5 })
		]);
	});

	it('exhausted once when the balance reaches zero, not again for each refusal at zero', async () => {
		const t = await tenant(0);
		await grant(t, 2);
		const list = await proofs(t, 6);
		const first = await charge(t, list.slice(0, 3)); // 2 charged, 1 refused: the batch took it to zero
		expect(first.exhausted.size).toBe(1);
		await charge(t, list.slice(3, 4));
		await charge(t, list.slice(4, 5));
		expect(await kinds(t)).toEqual(['exhausted@0']);
		await grant(t, 1, 'top_up');
		await charge(t, list.slice(5, 6));
		// threshold 0: no low warning, only the second exhaustion
		expect(await kinds(t)).toEqual(['exhausted@0', 'exhausted@0']);
	});

	it('a correction that takes the balance down crosses like a consumption', async () => {
		const t = await tenant(10);
		await grant(t, 20);
		await grant(t, -15, 'correction');
		expect(await kinds(t)).toEqual(['low@5']);
		await grant(t, -5, 'correction');
		expect(await kinds(t)).toEqual(['low@5', 'exhausted@0']);
	});

	it('a tenant that never had a licence raises nothing when its proofs are refused', async () => {
		const t = await tenant(10);
		const list = await proofs(t, 2);
		expect((await charge(t, list)).exhausted.size).toBe(2);
		expect(await kinds(t)).toEqual([]);
	});
});
