import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { startReceiver, type Receiver } from '../../../../tests/helpers/webhook-receiver';
import { actorCtx, sampleEvents, startRuntime } from '../../../../tests/helpers/notify';
import { ApiError } from '#lib/server/http/errors';
import { secretBox } from '#lib/server/auth';
import type { Container } from '#lib/server/container';
import { ensureDevTenants } from '#lib/server/tenancy';
import { getDelivery } from './deliveries';
import { createEndpoint } from './endpoints';
import { enqueueNotification } from './outbox';
import { endpointDeps, notifyConfig } from './runtime';
import { notificationDeliveries, webhookEndpoints } from './schema';
import { checkWebhookUrl, outboundPolicy, refusedAddress } from './ssrf';
import { webhookClient } from './webhook-send';

/**
 * The outbound address policy: every refused range at registration (400
 * `webhook_url_refused`) and again at send time, where the canary — an HTTP
 * server on 127.0.0.1 — must never see a connection.
 */
let canary: Receiver;
let allowed: Receiver;

beforeAll(async () => {
	canary = await startReceiver();
	allowed = await startReceiver();
});
afterAll(async () => {
	await canary?.stop();
	await allowed?.stop();
});

const policy = () => outboundPolicy({ production: false, allowedHosts: allowed.host });

const REFUSED: [string, (port: number) => string, RegExp][] = [
	['loopback IPv4', (port) => `http://127.0.0.1:${port}/hook`, /loopback/],
	['loopback IPv6', (port) => `http://[::1]:${port}/hook`, /loopback/],
	['private 10/8', () => 'http://10.0.0.5/hook', /private/],
	['private 172.16/12', () => 'http://172.16.1.1/hook', /private/],
	['private 192.168/16', () => 'http://192.168.1.10/hook', /private/],
	['link-local / cloud metadata', () => 'http://169.254.169.254/latest/meta-data/', /link-local/],
	['carrier-grade NAT', () => 'http://100.64.0.1/hook', /carrier-grade NAT/],
	['multicast', () => 'http://224.0.0.1/hook', /multicast/],
	['unspecified', (port) => `http://0.0.0.0:${port}/hook`, /unspecified/],
	['unique-local IPv6 / AWS metadata', () => 'http://[fd00:ec2::254]/latest/meta-data/', /unique-local/],
	['link-local IPv6', () => 'http://[fe80::1]/hook', /link-local/],
	['IPv4-mapped IPv6', (port) => `http://[::ffff:127.0.0.1]:${port}/hook`, /IPv4-mapped/],
	['a DNS name resolving to 127.0.0.1', (port) => `http://localhost:${port}/hook`, /localhost resolves to (127\.0\.0\.1|::1), a loopback/],
	['credentials in the URL', () => 'https://user:secret@hooks.example.com/hook', /credentials/],
	['not http(s)', () => 'ftp://hooks.example.com/hook', /only http and https/]
];

describe('outbound address policy at registration', () => {
	it.each(REFUSED)('refuses %s with webhook_url_refused (400) and the reason', async (_name, url, reason) => {
		const error = await checkWebhookUrl(url(canary.port), policy()).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ApiError);
		expect((error as ApiError).code).toBe('webhook_url_refused');
		expect((error as ApiError).status).toBe(400);
		expect((error as ApiError).details?.[0]).toMatchObject({ field: 'url', problem: expect.stringMatching(reason) });
		expect(canary.connections).toBe(0);
	});

	it('refuses plain http in production, and a name resolving to a private address', async () => {
		const prod = outboundPolicy({ production: true, allowedHosts: '' });
		await expect(checkWebhookUrl('http://hooks.example.com/x', prod, async () => [{ address: '93.184.215.14', family: 4 }])).rejects.toMatchObject({
			details: [{ problem: 'webhooks are sent over https only' }]
		});
		await expect(checkWebhookUrl('https://intranet.example.com/x', prod, async () => [{ address: '93.184.215.14', family: 4 }, { address: '10.1.1.1', family: 4 }])).rejects.toMatchObject({
			details: [{ problem: expect.stringMatching(/resolves to 10\.1\.1\.1, a private address/) }]
		});
	});

	it('accepts public addresses and the exact host:port pairs of WEBHOOK_ALLOWED_HOSTS', async () => {
		expect(await checkWebhookUrl('https://hooks.example.com/x#frag', policy(), async () => [{ address: '93.184.215.14', family: 4 }])).toBe('https://hooks.example.com/x');
		expect(await checkWebhookUrl('http://[2606:4700::1111]/x', policy())).toBe('http://[2606:4700::1111]/x');
		expect(await checkWebhookUrl(allowed.url('/x'), policy())).toBe(allowed.url('/x'));
		// the pair is exact: the same address on another port is refused
		await expect(checkWebhookUrl(`http://127.0.0.1:${canary.port}/x`, policy())).rejects.toBeInstanceOf(ApiError);
		expect(refusedAddress('8.8.8.8')).toBeNull();
		expect(refusedAddress('::ffff:8.8.8.8')).toMatch(/IPv4-mapped/);
	});
});

describe('outbound address policy at send time', () => {
	const client = () => webhookClient({ policy: policy(), connectTimeoutMs: 2000, totalTimeoutMs: 3000, maxResponseBytes: 4096, maxSockets: 4 });

	it.each(REFUSED.filter(([name]) => !name.startsWith('credentials') && !name.startsWith('not http')))('refuses %s before connecting', async (_name, url, reason) => {
		const c = client();
		const r = await c.post(url(canary.port), '{}', {});
		c.close();
		expect(r).toMatchObject({ ok: false, refused: true, status: null });
		expect(r.error).toMatch(/^refused: /);
		expect(r.error).toMatch(reason);
		expect(canary.connections).toBe(0);
	});

	it('refuses a name whose address changed after registration (DNS rebinding): checked on the address about to be connected', async () => {
		// registration saw a public address …
		const url = await checkWebhookUrl(`http://localhost:${canary.port}/hook`, policy(), async () => [{ address: '93.184.215.14', family: 4 }]);
		// … the send resolves it through the system resolver and must not connect
		const c = client();
		const r = await c.post(url, '{}', {});
		c.close();
		expect(r.refused).toBe(true);
		expect(r.error).toMatch(/localhost resolves to/);
		expect(canary.connections).toBe(0);
	});

	it('does not follow a redirect to a private address', async () => {
		allowed.reply(() => ({ status: 307, headers: { location: `http://127.0.0.1:${canary.port}/steal` } }));
		const c = client();
		const r = await c.post(allowed.url('/redirect'), '{}', {});
		c.close();
		expect(r).toMatchObject({ ok: false, status: 307, refused: false });
		expect(r.error).toMatch(/redirect to 127\.0\.0\.1:\d+ not followed/);
		expect(canary.connections).toBe(0);
	});
});

describe('a stored endpoint refused when sending', () => {
	let env: Awaited<ReturnType<typeof startTestContainer>>;
	let p: Container;
	afterAll(async () => env?.stop());

	it('records a failed attempt with the reason and connects to nothing', async () => {
		env = await startTestContainer({ env: { WEBHOOK_ALLOWED_HOSTS: allowed.host, SMTP_URL: 'smtp://127.0.0.1:9' } });
		p = env.app;
		const tenantId = (await ensureDevTenants(p.database.db)).acme;
		const ep = await p.database.db.transaction((tx) => createEndpoint(tx, tenantId, { url: allowed.url('/ok'), events: ['certificate.issued'] }, endpointDeps(notifyConfig(p.config), secretBox(p.config.tokenEncryptionKeys)), actorCtx));
		// as if the allowed-hosts list changed since: the URL now names the canary by a name resolving to loopback
		await p.database.db.update(webhookEndpoints).set({ url: `http://localhost:${canary.port}/hook` }).where(eq(webhookEndpoints.id, ep.id));
		await p.database.db.transaction((tx) => enqueueNotification(tx, sampleEvents(tenantId)[0]));
		const runtime = await startRuntime(p);
		await runtime.dispatcher.drainOnce();
		await runtime.stop();
		const [d] = await p.database.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.endpointId, ep.id));
		const detail = await getDelivery(p.database.db, { tenantId }, d.id);
		expect(detail.status).toBe('retrying');
		expect(detail.attempts).toHaveLength(1);
		expect(detail.attempts[0]).toMatchObject({ status: 'failed', responseCode: null });
		expect(detail.attempts[0].error).toMatch(/^refused: localhost resolves to .*loopback/);
		expect(canary.connections).toBe(0);
	});
});
