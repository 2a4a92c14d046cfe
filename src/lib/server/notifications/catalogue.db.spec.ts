import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { startReceiver, type Receiver } from '../../../../tests/helpers/webhook-receiver';
import { startSmtpReceiver } from '../../../../tests/helpers/smtp-receiver';
import { actorCtx, sampleEvents, startRuntime } from '../../../../tests/helpers/notify';
import { secretBox } from '#lib/server/auth';
import type { Container } from '#lib/server/container';
import { ensureDevTenants, updateTenantSettings } from '#lib/server/tenancy';
import { EVENT_TYPES, SYSTEM_EVENT_TYPES, TENANT_EVENT_TYPES } from './catalogue';
import { runDigests } from './digest';
import { runNotificationTask } from './tasks';
import { createEndpoint } from './endpoints';
import { enqueueNotification } from './outbox';
import { endpointDeps, notifyConfig, type NotificationRuntime } from './runtime';
import { notificationAttempts, notificationDeliveries } from './schema';
import { TENANT_MAIL_EVENTS, updateNotificationSettings, updatePlatformNotificationSettings } from './settings';

let env: Awaited<ReturnType<typeof startTestContainer>>;
let p: Container;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let receiver: Receiver;
let runtime: NotificationRuntime;
let tenants: { acme: string; globex: string };
let secret = '';
const ORIGIN = 'https://wipecert.example.com';

beforeAll(async () => {
	smtp = await startSmtpReceiver();
	receiver = await startReceiver();
	env = await startTestContainer({ env: { SMTP_URL: smtp.url, SMTP_TLS: 'none', WEBHOOK_ALLOWED_HOSTS: receiver.host, ORIGIN } });
	p = env.app;
	tenants = await ensureDevTenants(p.database.db);
	runtime = await startRuntime(p);
	const { db } = p.database;
	await db.transaction(async (tx) => {
		await updateNotificationSettings(tx, tenants.acme, { senderName: 'Acme Recycling', events: TENANT_MAIL_EVENTS.map((event) => ({ event, recipients: ['ops@acme.test'] })) }, actorCtx);
		await updatePlatformNotificationSettings(tx, { events: SYSTEM_EVENT_TYPES.map((event) => ({ event, recipients: ['oncall@wipecert.test'] })) }, actorCtx);
		await updateNotificationSettings(tx, tenants.globex, { events: [{ event: 'certificate.revoked', recipients: ['it@globex.test'] }] }, actorCtx);
		await updateTenantSettings(tx, tenants.globex, { language: 'de' }, actorCtx);
		secret = (await createEndpoint(tx, tenants.acme, { url: receiver.url('/all'), events: [...TENANT_EVENT_TYPES] }, endpointDeps(notifyConfig(p.config), secretBox(p.config.tokenEncryptionKeys)), actorCtx)).secret;
	});
});

afterAll(async () => {
	await runtime?.stop();
	await env?.stop();
	await smtp?.stop();
	await receiver?.stop();
});

describe('the event catalogue', () => {
	it('has ten events, two of them the platform’s', () => {
		expect(EVENT_TYPES).toEqual([
			'certificate.issued',
			'certificate.anchored',
			'certificate.revoked',
			'proof.rejected',
			'licences.low',
			'licences.exhausted',
			'member.invited',
			'report.ready',
			'system.chain_failed',
			'system.audit_chain_broken'
		]);
		expect(SYSTEM_EVENT_TYPES).toEqual(['system.chain_failed', 'system.audit_chain_broken']);
	});

	it('renders and delivers every event: a mail over SMTP and a signed webhook to a real receiver', async () => {
		const events = sampleEvents(tenants.acme);
		const written = await p.database.db.transaction((tx) => enqueueNotification(tx, events));
		// 10 mails (7 to the tenant's address, the invitation to the invitee, 2 system mails) + 8 webhooks
		expect(written).toBe(18);
		await runtime.dispatcher.drainOnce();
		expect(smtp.messages).toHaveLength(10);
		await receiver.waitFor(8);

		const byEvent = new Map(smtp.messages.map((m) => [String(m.parsed.headers.get('x-wipecert-event')), m]));
		expect([...byEvent.keys()].sort()).toEqual([...EVENT_TYPES].sort());
		for (const [type, m] of byEvent) {
			expect(m.parsed.subject, type).toBeTruthy();
			expect(m.parsed.text, type).toContain(`${ORIGIN}/notifications`);
			expect(m.parsed.html, type).toMatch(/^<!doctype html>/);
			expect(m.parsed.headers.get('auto-submitted')).toBe('auto-generated');
			expect(m.parsed.messageId).toMatch(/^<[0-9a-f-]{36}@wipecert\.example\.com>$/);
			expect(m.secure).toBe(false);
		}
		const invite = events.find((e) => e.type === 'member.invited')!;
		const invitation = byEvent.get('member.invited')!;
		expect(invitation.to).toEqual([(invite.data as { email: string }).email]);
		expect(invitation.parsed.text).toContain(`${ORIGIN}/auth/login`);
		expect(invitation.parsed.subject).toMatch(/^You are invited to .+ on WipeCert$/);
		expect(invitation.parsed.text).toContain('with the role Operator');
		expect(byEvent.get('certificate.issued')!.parsed.from?.value[0]).toMatchObject({ name: 'Acme Recycling', address: 'notifications@wipecert.example.com' });
		expect(byEvent.get('certificate.issued')!.parsed.text).toContain('Samsung 870 EVO');
		expect(byEvent.get('system.chain_failed')!.to).toEqual(['oncall@wipecert.test']);
		expect(byEvent.get('proof.rejected')!.parsed.html).toContain('proof_duplicate');

		expect(receiver.requests).toHaveLength(8);
		for (const r of receiver.requests) {
			expect(receiver.verifies(r, secret), r.body).toBe(true);
			const body = JSON.parse(r.body);
			expect(TENANT_EVENT_TYPES).toContain(body.type);
			expect(r.id).toMatch(/^msg_[0-9a-f]{32}$/);
			expect(Math.abs(r.timestamp - Date.now() / 1000)).toBeLessThan(60);
			if (body.type === 'certificate.issued') expect(body.data.verifyUrl).toMatch(new RegExp(`^${ORIGIN}/verify/wc_`));
		}
		const rows = await p.database.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.status, 'sent'));
		expect(rows).toHaveLength(18);
		const attempts = await p.database.db.select().from(notificationAttempts).orderBy(asc(notificationAttempts.id));
		expect(attempts.every((a) => a.attemptNo === 1 && a.status === 'succeeded' && a.latencyMs !== null)).toBe(true);
	});

	it('writes nothing twice: the same events emitted again add no delivery', async () => {
		const events = sampleEvents(tenants.acme);
		const first = await p.database.db.transaction((tx) => enqueueNotification(tx, events));
		const again = await p.database.db.transaction((tx) => enqueueNotification(tx, events));
		expect(first).toBe(18);
		expect(again).toBe(0);
		await runtime.dispatcher.drainOnce();
	});

	it('mails in the tenant’s language (German for globex)', async () => {
		const before = smtp.messages.length;
		const revoked = sampleEvents(tenants.globex).find((e) => e.type === 'certificate.revoked')!;
		await p.database.db.transaction((tx) => enqueueNotification(tx, revoked));
		await runtime.dispatcher.drainOnce();
		const m = smtp.messages.at(-1)!;
		expect(smtp.messages.length).toBe(before + 1);
		expect(m.to).toEqual(['it@globex.test']);
		expect(m.parsed.subject).toMatch(/^Zertifikat wc_\w+ widerrufen$/);
		expect(m.parsed.text).toContain('Grund: Issued for the wrong asset');
	});

	it('records an event with no route as one skipped delivery', async () => {
		const issued = sampleEvents(tenants.globex).find((e) => e.type === 'certificate.issued')!;
		await p.database.db.transaction((tx) => enqueueNotification(tx, issued));
		const rows = await p.database.db
			.select()
			.from(notificationDeliveries)
			.where(and(eq(notificationDeliveries.tenantId, tenants.globex), eq(notificationDeliveries.eventType, 'certificate.issued')));
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ status: 'skipped', channel: 'mail', recipient: null, nextAttemptAt: null });
		expect(rows[0].skipReason).toMatch(/No mail recipient or webhook endpoint/);
	});

	it('batches certificate.issued mail into one digest when the tenant asks for it; webhooks stay immediate', async () => {
		const { db } = p.database;
		await db.transaction((tx) => updateNotificationSettings(tx, tenants.acme, { digest: 'hourly' }, actorCtx));
		const mailsBefore = smtp.messages.length;
		const hooksBefore = receiver.requests.length;
		const issued = [1, 2, 3].map(() => sampleEvents(tenants.acme)[0]);
		expect(await db.transaction((tx) => enqueueNotification(tx, issued))).toBe(3); // the three webhooks
		await runtime.dispatcher.drainOnce();
		expect(smtp.messages.length).toBe(mailsBefore);
		expect(receiver.requests.length).toBe(hooksBefore + 3);

		expect(await runDigests(db, { digestHour: 7 })).toEqual({ tenants: 1, certificates: 3 });
		expect(await runDigests(db, { digestHour: 7 })).toEqual({ tenants: 0, certificates: 0 });
		await runtime.dispatcher.drainOnce();
		expect(smtp.messages.length).toBe(mailsBefore + 1);
		const digest = smtp.messages.at(-1)!;
		expect(digest.parsed.subject).toMatch(/^3 certificates issued for /);
		expect(digest.parsed.headers.get('x-wipecert-event')).toBe('certificate.issued.digest');
		for (const e of issued) expect(digest.parsed.text).toContain((e.data as { certificateId: string }).certificateId);
		await db.transaction((tx) => updateNotificationSettings(tx, tenants.acme, { digest: 'off' }, actorCtx));
	});

	it('holds a daily digest until NOTIFY_DIGEST_HOUR', async () => {
		const { db } = p.database;
		await db.transaction((tx) => updateNotificationSettings(tx, tenants.acme, { digest: 'daily' }, actorCtx));
		await db.transaction((tx) => enqueueNotification(tx, sampleEvents(tenants.acme)[0]));
		const now = new Date();
		const otherHour = (now.getUTCHours() + 3) % 24;
		expect(await runDigests(db, { digestHour: otherHour, now })).toEqual({ tenants: 0, certificates: 0 });
		expect(await runDigests(db, { digestHour: now.getUTCHours(), now })).toEqual({ tenants: 1, certificates: 1 });
		await db.transaction((tx) => updateNotificationSettings(tx, tenants.acme, { digest: 'off' }, actorCtx));
		await runtime.dispatcher.drainOnce();
	});

	it('purges sent and skipped deliveries past NOTIFY_RETENTION_DAYS, keeps dead letters and waiting ones', async () => {
		const { db } = p.database;
		await db.execute(sql`update notification_deliveries set updated_at = now() - interval '40 days'`);
		const [waiting] = await db
			.update(notificationDeliveries)
			.set({ status: 'dead_lettered', nextAttemptAt: null })
			.where(eq(notificationDeliveries.status, 'sent'))
			.returning({ id: notificationDeliveries.id })
			.then((rows) => rows.slice(0, 1));
		const before = await db.select({ status: notificationDeliveries.status }).from(notificationDeliveries);
		const purged = await runNotificationTask(db, { task: 'purge' }, { digestHour: 7, retentionDays: 30 });
		const after = await db.select({ id: notificationDeliveries.id, status: notificationDeliveries.status }).from(notificationDeliveries);
		expect(purged).toEqual({ purged: before.filter((d) => d.status === 'sent' || d.status === 'skipped').length });
		expect(after.every((d) => d.status !== 'sent' && d.status !== 'skipped')).toBe(true);
		expect(after.map((d) => d.id)).toContain(waiting.id);
		await expect(runNotificationTask(db, { task: 'nonsense' }, { digestHour: 7, retentionDays: 30 })).rejects.toThrow();
	});
});
