import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { actorCtx } from '../../../../tests/helpers/notify';
import type { Container } from '#lib/server/container';
import { notificationDeliveries } from '#lib/server/notifications/schema';
import { updatePlatformNotificationSettings } from '#lib/server/notifications/settings';
import { raiseIntegrityBreak, type IntegrityReport } from './integrity';

/**
 * A broken chain raises `system.audit_chain_broken` to the platform's alert
 * recipients in the transaction that stores the run: rolled back, no alert;
 * the same finding raised again (the next scheduled run), no second alert.
 */
let env: Awaited<ReturnType<typeof startTestContainer>>;
let p: Container;

beforeAll(async () => {
	env = await startTestContainer({ env: { SMTP_URL: 'smtp://127.0.0.1:9' } });
	p = env.app;
	await p.database.db.transaction((tx) => updatePlatformNotificationSettings(tx, { events: [{ event: 'system.audit_chain_broken', recipients: ['oncall@wipecert.test'] }] }, actorCtx));
});
afterAll(async () => env?.stop());

const broken: IntegrityReport = {
	ok: false,
	audit: { ok: false, chains: 3, rows: 120, chain: 'tenant:7f0c', firstBadSeq: 41, problem: 'row_hash_mismatch' },
	receipts: { ok: false, checked: 10, anonymised: 0, findings: [{ publicId: 'wc_01kexample', problem: 'leaf_mismatch' }] },
	log: { ok: false, leaves: 10, nodesChecked: 19, checkpoints: 2, findings: [{ problem: 'entry_mismatch', index: 1 }, { problem: 'node_mismatch', level: 0, index: 1 }] }
};

const alertPayload = z.object({ data: z.looseObject({ chain: z.string() }) });
const alerts = () => p.database.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.eventType, 'system.audit_chain_broken'));

describe('raiseIntegrityBreak', () => {
	it('writes nothing when the transaction that stores the run rolls back', async () => {
		const err = await p.database.db
			.transaction(async (tx) => {
				await raiseIntegrityBreak(tx, p.log, broken);
				throw new Error('abort');
			})
			.catch((e: Error) => e);
		expect(err.message).toBe('abort');
		expect(await alerts()).toEqual([]);
	});

	it('mails one alert per broken part to the platform recipients, once per finding', async () => {
		await p.database.db.transaction((tx) => raiseIntegrityBreak(tx, p.log, broken));
		const rows = await alerts();
		expect(rows.map((r) => ({ tenantId: r.tenantId, channel: r.channel, recipient: r.recipient, status: r.status, data: alertPayload.parse(r.payload).data })).sort((a, b) => a.data.chain.localeCompare(b.data.chain))).toEqual([
			{ tenantId: null, channel: 'mail', recipient: 'oncall@wipecert.test', status: 'pending', data: { chain: 'audit:tenant:7f0c', seq: 41, detail: 'row_hash_mismatch' } },
			{ tenantId: null, channel: 'mail', recipient: 'oncall@wipecert.test', status: 'pending', data: { chain: 'log', seq: 1, detail: 'entry_mismatch at 1; node_mismatch at 1' } },
			{ tenantId: null, channel: 'mail', recipient: 'oncall@wipecert.test', status: 'pending', data: { chain: 'receipts:wc_01kexample', seq: 0, detail: 'wc_01kexample: leaf_mismatch' } }
		]);
		// the next scheduled run finds the same break: no second mail
		await p.database.db.transaction((tx) => raiseIntegrityBreak(tx, p.log, broken));
		expect(await alerts()).toHaveLength(3);
	});
});
