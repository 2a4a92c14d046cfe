import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { startSmtpReceiver } from '../../../../tests/helpers/smtp-receiver';
import { actorCtx, sampleEvents, startRuntime } from '../../../../tests/helpers/notify';
import type { Container } from '#lib/server/container';
import { createDevTlsMaterial } from '#lib/server/signer/dev-certs';
import { ensureDevTenants, inviteMember } from '#lib/server/tenancy';
import { getDelivery } from './deliveries';
import { createMailer } from './mailer';
import { enqueueNotification } from './outbox';
import { notificationDeliveries } from './schema';
import { updateNotificationSettings } from './settings';
import { getSinkMessage, listSinkMessages } from './sink';

let env: Awaited<ReturnType<typeof startTestContainer>>;
let p: Container;
let acme: string;
const tls = createDevTlsMaterial({ hosts: ['localhost', '127.0.0.1'] });

beforeAll(async () => {
	env = await startTestContainer({ env: { ORIGIN: 'https://wipecert.example.com', SMTP_FROM: 'no-reply@wipecert.example.com' } });
	p = env.app;
	acme = (await ensureDevTenants(p.database.db)).acme;
	await p.database.db.transaction((tx) => updateNotificationSettings(tx, acme, { events: [{ event: 'certificate.issued', recipients: ['ops@acme.test'] }] }, actorCtx));
});
afterAll(async () => env?.stop());

async function statusOf(id: string) {
	return (await p.database.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.id, id)))[0];
}

describe('mail over SMTP (nodemailer, real SMTP servers)', () => {
	it('SMTP_TLS=starttls: the invitation and the certificate mail arrive over an upgraded (encrypted) session', async () => {
		const server = await startSmtpReceiver({ tls: { key: tls.serverKey, cert: tls.serverCert } });
		const runtime = await startRuntime(p, (c) => ({ ...c, smtp: { ...c.smtp, url: `smtp://localhost:${server.port}`, tls: 'starttls', ca: tls.caCert } }));
		try {
			const member = await p.database.db.transaction((tx) => inviteMember(tx, acme, { email: 'starttls.invitee@acme.test', role: 'operator' }, { ...actorCtx, userId: null }));
			await p.database.db.transaction((tx) => enqueueNotification(tx, sampleEvents(acme)[0]));
			await runtime.dispatcher.drainOnce();
			await server.waitFor(2);
			const invite = server.messages.find((m) => m.to[0] === 'starttls.invitee@acme.test')!;
			const cert = server.messages.find((m) => m.to[0] === 'ops@acme.test')!;
			for (const m of [invite, cert]) {
				expect(m.secure).toBe(true);
				expect(m.from).toBe('no-reply@wipecert.example.com');
				expect(m.parsed.headers.get('auto-submitted')).toBe('auto-generated');
				expect(m.parsed.html).toContain('https://wipecert.example.com');
				expect(m.parsed.text).toBeTruthy();
			}
			expect(invite.parsed.subject).toMatch(/^You are invited to .+ on WipeCert$/);
			expect(invite.parsed.text).toContain('Sign in to WipeCert: https://wipecert.example.com/auth/login');
			expect(invite.parsed.text).toContain('starttls.invitee@acme.test');
			expect(invite.parsed.headers.get('x-wipecert-event')).toBe('member.invited');
			expect(cert.parsed.subject).toMatch(/^Certificate wc_\w+ issued$/);
			expect(cert.parsed.text).toMatch(/Verify the certificate: https:\/\/wipecert\.example\.com\/verify\/wc_\w+/);
			expect(String(member.email)).toBe('starttls.invitee@acme.test');
		} finally {
			await runtime.stop();
			await server.stop();
		}
	});

	it('SMTP_TLS=starttls refuses a server that does not offer STARTTLS: the attempt fails, nothing is sent in clear', async () => {
		const plain = await startSmtpReceiver();
		const runtime = await startRuntime(p, (c) => ({ ...c, smtp: { ...c.smtp, url: plain.url, tls: 'starttls' } }));
		try {
			await p.database.db.transaction((tx) => enqueueNotification(tx, sampleEvents(acme)[0]));
			await runtime.dispatcher.drainOnce();
			expect(plain.messages).toHaveLength(0);
			const [row] = await p.database.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.status, 'retrying'));
			const detail = await getDelivery(p.database.db, { all: true }, row.id);
			expect(detail.attempts[0].status).toBe('failed');
			expect(detail.attempts[0].error).toMatch(/STARTTLS/i);
			await p.database.db.delete(notificationDeliveries).where(eq(notificationDeliveries.id, row.id));
		} finally {
			await runtime.stop();
			await plain.stop();
		}
	});

	it('SMTP_TLS=tls (implicit TLS); a 5xx refusal of the envelope is permanent (no retry)', async () => {
		const rejected: string[] = [];
		const server = new SMTPServer({
			secure: true,
			key: tls.serverKey,
			cert: tls.serverCert,
			authOptional: true,
			logger: false,
			onRcptTo(address, _session, cb) {
				if (address.address.startsWith('nobody@')) {
					rejected.push(address.address);
					return cb(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
				}
				cb();
			},
			onData(stream, _session, cb) {
				stream.resume();
				stream.on('end', () => cb());
			}
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
		const port = (server.server.address() as AddressInfo).port;
		const mailer = createMailer({ url: `smtps://localhost:${port}`, ca: tls.caCert, connectTimeoutMs: 3000, totalTimeoutMs: 5000, maxConnections: 1 });
		try {
			const mail = { from: { name: 'WipeCert', address: 'no-reply@wipecert.example.com' }, subject: 's', text: 't', html: '<p>t</p>', messageId: '<x@wipecert.example.com>', headers: {} };
			expect(await mailer.send({ ...mail, to: 'ops@acme.test' })).toMatchObject({ ok: true });
			expect(await mailer.send({ ...mail, to: 'nobody@acme.test' })).toMatchObject({ ok: false, responseCode: 550, permanent: true });
			expect(rejected).toEqual(['nobody@acme.test']);
		} finally {
			mailer.close();
			await new Promise<void>((r) => server.close(() => r()));
		}
	});

	it('SMTP_URL unset: the embedded sink (a real SMTP server on loopback) keeps the mail for the console', async () => {
		const runtime = await startRuntime(p, (c) => ({ ...c, smtp: { ...c.smtp, url: null }, sinkKeep: 10 }));
		try {
			expect(runtime.sink?.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
			const member = await p.database.db.transaction((tx) => inviteMember(tx, acme, { email: 'sink.invitee@acme.test', role: 'viewer' }, { ...actorCtx, userId: null }));
			await runtime.dispatcher.drainOnce();
			const [d] = await p.database.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.recipient, 'sink.invitee@acme.test'));
			expect((await statusOf(d.id)).status).toBe('sent');
			const list = await listSinkMessages(p.database.db, { limit: 5 });
			const summary = list.items.find((m) => m.to.includes('sink.invitee@acme.test'))!;
			expect(summary.subject).toMatch(/^You are invited to /);
			const message = await getSinkMessage(p.database.db, summary.id);
			expect(message.html).toContain('Sign in to WipeCert');
			expect(message.text).toContain('https://wipecert.example.com/auth/login');
			expect(message.raw).toMatch(/^[\s\S]*Subject: You are invited to/m);
			expect(message.headers.find((h) => h.name === 'auto-submitted')?.value).toBe('auto-generated');
			expect(message.messageId).toBe(`<${d.id}@wipecert.example.com>`);
			expect(member.email).toBe('sink.invitee@acme.test');
			// the sink keeps the newest MAIL_SINK_KEEP
			for (let i = 0; i < 12; i++) await p.database.db.transaction((tx) => inviteMember(tx, acme, { email: `many${i}@acme.test`, role: 'viewer' }, { ...actorCtx, userId: null }));
			await runtime.dispatcher.drainOnce();
			const all = await listSinkMessages(p.database.db, { limit: 50 });
			expect(all.items).toHaveLength(10);
			expect(all.items.some((m) => m.to.includes('sink.invitee@acme.test'))).toBe(false);
			expect(all.items.every((m) => m.to[0].startsWith('many'))).toBe(true);
		} finally {
			await runtime.stop();
		}
	});

	it('refuses to run without SMTP_URL in production (the sink is a development convenience)', async () => {
		await expect(startRuntime(p, (c) => ({ ...c, production: true, smtp: { ...c.smtp, url: null } }))).rejects.toThrow(/SMTP_URL must be set when NODE_ENV=production/);
	});
});
