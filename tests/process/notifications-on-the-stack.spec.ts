import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInToApp, type CookieJar } from '../helpers/oidc-browser';
import { startStack, type Proc, type Stack } from '../helpers/pipeline-stack';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver';

/**
 * The notification path on the real stack: the built app (WORKERS=none),
 * `node build/worker.js notifications` processes with the embedded mail sink
 * (SMTP_URL unset), a real webhook receiver, and the real proof pipeline fed
 * by the built agent-sim.
 */
let stack: Stack;
let receiver: Receiver;
let admin: CookieJar;
let platformAdmin: CookieJar;
const procs: Proc[] = [];

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) {
			const proofs = await stack.database.sql`select status, count(*)::int as n from proofs group by status`;
			const deliveries = await stack.database.sql`select event_type, channel, status, count(*)::int as n from notification_deliveries group by 1, 2, 3`;
			throw new Error(`timed out waiting for ${what}\nproofs ${JSON.stringify(proofs)}\ndeliveries ${JSON.stringify(deliveries)}\n${procs.map((p) => p.output().slice(-3000)).join('\n---\n')}`);
		}
		await new Promise((r) => setTimeout(r, 200));
	}
}

async function api(jar: CookieJar, method: string, path: string, body?: unknown) {
	const res = await fetch(`${stack.origin}${path}`, {
		method,
		headers: { cookie: jar.header(), origin: stack.origin, ...(body ? { 'content-type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined
	});
	const text = await res.text();
	return { status: res.status, body: text ? JSON.parse(text) : null };
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.once('exit', (code) => resolve({ code, stdout, stderr }));
	});
}

beforeAll(async () => {
	receiver = await startReceiver();
	stack = await startStack({ env: { WEBHOOK_ALLOWED_HOSTS: receiver.host, NOTIFY_SEND_TIMEOUT: '3', SIGNER_KEYS: '4', SIGNER_BATCH_SIZE: '10' } });
	admin = await signInToApp(stack.origin, 'admin@acme.test');
	platformAdmin = await signInToApp(stack.origin, 'admin@wipecert.test');
}, 180_000);

afterAll(async () => {
	await stack?.stop();
	await receiver?.stop();
});

describe('notifications on the real stack', () => {
	let secret = '';

	it('refuses a private webhook URL at registration with 400 webhook_url_refused', async () => {
		const r = await api(admin, 'POST', '/api/v1/webhooks', { url: 'http://169.254.169.254/latest/meta-data/', events: ['certificate.issued'] });
		expect(r.status).toBe(400);
		expect(r.body.error).toMatchObject({ code: 'webhook_url_refused', correlationId: expect.any(String) });
		expect(r.body.error.details[0].problem).toMatch(/link-local/);
	});

	it('kill -9 of the worker mid-send: every message is delivered once (by webhook-id), attempts stay consistent', async () => {
		const ep = await api(admin, 'POST', '/api/v1/webhooks', { url: receiver.url('/crash'), events: ['member.invited'], description: 'crash test' });
		expect(ep.status).toBe(201);
		expect(ep.body.secret).toMatch(/^whsec_/);
		let killed = false;
		// the first attempts hang until their worker dies; after that the receiver answers at once
		receiver.reply(() => (killed ? { status: 200 } : { status: 200, delayMs: 60_000 }));
		const w1 = await stack.worker('notifications');
		procs.push(w1);
		for (let i = 0; i < 5; i++) expect((await api(admin, 'POST', '/api/v1/members', { email: `crash${i}@acme.test`, role: 'viewer' })).status).toBe(201);
		await until('five requests in flight', async () => receiver.requests.filter((r) => r.path === '/crash').length >= 5);
		await w1.kill();
		killed = true;
		const w2 = await stack.worker('notifications');
		procs.push(w2);
		const sql = stack.database.sql;
		await until('all sent', async () => {
			const [row] = await sql<{ n: number }[]>`select count(*)::int as n from notification_deliveries where event_type = 'member.invited' and status = 'sent'`;
			return row.n === 10; // 5 mails (to the sink) + 5 webhooks
		});
		const hits = receiver.requests.filter((r) => r.path === '/crash');
		expect(new Set(hits.map((h) => h.id)).size).toBe(5);
		expect(hits.length).toBe(10);
		for (const h of hits) expect(receiver.verifies(h, ep.body.secret)).toBe(true);
		const attempts = await sql<{ delivery_id: string; attempt_no: number; status: string }[]>`
			select a.delivery_id, a.attempt_no, a.status from notification_attempts a
			join notification_deliveries d on d.id = a.delivery_id
			where d.event_type = 'member.invited' and d.channel = 'webhook' order by a.delivery_id, a.attempt_no`;
		const byDelivery = Map.groupBy(attempts, (a) => a.delivery_id);
		expect(byDelivery.size).toBe(5);
		for (const list of byDelivery.values()) expect(list.map((a) => [a.attempt_no, a.status])).toEqual([[1, 'interrupted'], [2, 'succeeded']]);
		const mails = await sql<{ n: number }[]>`select count(*)::int as n from mail_sink_messages where envelope_to[1] like 'crash%@acme.test'`;
		expect(mails[0].n).toBeGreaterThanOrEqual(5);
		// every invitation reached the sink; one sent twice shares its Message-ID (a killed SMTP session may have stored it)
		const ids = await sql<{ n: number }[]>`select count(distinct message_id)::int as n from mail_sink_messages where envelope_to[1] like 'crash%@acme.test'`;
		expect(ids[0].n).toBe(5);
		await api(admin, 'PATCH', `/api/v1/webhooks/${ep.body.id}`, { enabled: false });
	}, 120_000);

	it('certificates issued and proofs rejected by the real pipeline reach mail and webhooks; resending a sent one is 409', async () => {
		receiver.reply(() => ({ status: 204 }));
		const settings = await api(admin, 'PUT', '/api/v1/notification-settings', {
			senderName: 'Acme IT',
			events: [
				{ event: 'certificate.issued', recipients: ['ops@acme.test'] },
				{ event: 'proof.rejected', recipients: ['ops@acme.test'] }
			]
		});
		expect(settings.status).toBe(200);
		const ep = await api(admin, 'POST', '/api/v1/webhooks', { url: receiver.url('/pipeline'), events: ['certificate.issued', 'proof.rejected'] });
		secret = ep.body.secret;
		const operator = await signInToApp(stack.origin, 'operator@acme.test');
		const enrol = await api(operator, 'POST', '/api/v1/agents/enrolments', { name: 'notify sim' });
		expect(enrol.status).toBe(201);
		const sim = await run(['build/agent-sim.js', '--url', stack.origin, '--enrol-token', enrol.body.token, '--count', '10', '--bad-ratio', '0.2', '--concurrency', '4']);
		expect(sim.code, sim.stderr).toBe(0);
		procs.push(await stack.worker('proof'), await stack.worker('notifications'));
		await until('10 webhooks', async () => receiver.requests.filter((r) => r.path === '/pipeline').length >= 10, 120_000);
		const hooks = receiver.requests.filter((r) => r.path === '/pipeline');
		const types = hooks.map((h) => JSON.parse(h.body).type as string);
		expect(types.filter((t) => t === 'certificate.issued')).toHaveLength(8);
		expect(types.filter((t) => t === 'proof.rejected')).toHaveLength(2);
		for (const h of hooks) expect(receiver.verifies(h, secret)).toBe(true);
		const issued = JSON.parse(hooks.find((h) => JSON.parse(h.body).type === 'certificate.issued')!.body);
		expect(issued.data.verifyUrl).toBe(`${stack.origin}/verify/${issued.data.certificateId}`);
		expect((await fetch(issued.data.verifyUrl)).status).toBe(200);

		await until('10 mails', async () => {
			const [r] = await stack.database.sql<{ n: number }[]>`select count(*)::int as n from mail_sink_messages where envelope_to[1] = 'ops@acme.test'`;
			return r.n >= 10;
		});
		const list = await api(admin, 'GET', '/api/v1/deliveries?status=sent&channel=mail&limit=200');
		expect(list.status).toBe(200);
		const mail = list.body.items.find((d: { event: string }) => d.event === 'certificate.issued');
		expect(mail).toMatchObject({ channel: 'mail', recipient: 'ops@acme.test', status: 'sent', attemptCount: 1 });
		const detail = await api(admin, 'GET', `/api/v1/deliveries/${mail.id}`);
		expect(detail.body.attempts).toEqual([expect.objectContaining({ attemptNo: 1, status: 'succeeded', responseCode: 250 })]);
		const again = await api(admin, 'POST', `/api/v1/deliveries/${mail.id}/resend`);
		expect(again.status).toBe(409);
		expect(again.body.error.code).toBe('delivery_already_sent');

		// the console's mail sink shows the mail (list, HTML, raw source)
		const sink = await api(platformAdmin, 'GET', '/api/v1/admin/mail?limit=100');
		expect(sink.status).toBe(200);
		const caught = sink.body.items.find((m: { subject: string | null }) => /^Certificate wc_\w+ issued$/.test(m.subject ?? ''));
		const message = await api(platformAdmin, 'GET', `/api/v1/admin/mail/${caught.id}`);
		expect(message.body.html).toContain('Verify the certificate');
		expect(message.body.raw).toMatch(/^From: "?Acme IT"? <notifications@localhost>/m);
		expect((await api(admin, 'GET', '/api/v1/admin/mail')).status).toBe(403);
	}, 240_000);
});
