import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { startReceiver, type Receiver } from '../../../../tests/helpers/webhook-receiver';
import { actorCtx, sampleEvents, startRuntime, until } from '../../../../tests/helpers/notify';
import { ApiError } from '#lib/server/http/errors';
import { secretBox } from '#lib/server/auth';
import type { Container } from '#lib/server/container';
import { ensureDevTenants } from '#lib/server/tenancy';
import { getDelivery, resendDelivery } from './deliveries';
import { createEndpoint, rotateSecret, sendTestEvent, updateEndpoint } from './endpoints';
import { enqueueNotification } from './outbox';
import { endpointDeps, notifyConfig, type NotificationRuntime } from './runtime';
import { notificationAttempts, notificationDeliveries, webhookEndpoints } from './schema';

let env: Awaited<ReturnType<typeof startTestContainer>>;
let p: Container;
let receiver: Receiver;
let canary: Receiver;
let runtime: NotificationRuntime;
let tenantId: string;
const BASE_MS = 400;
const MAX_ATTEMPTS = 4;

beforeAll(async () => {
	receiver = await startReceiver();
	canary = await startReceiver();
	env = await startTestContainer({ env: { WEBHOOK_ALLOWED_HOSTS: receiver.host, SMTP_URL: 'smtp://127.0.0.1:9', NOTIFY_SEND_TIMEOUT: '2', WEBHOOK_RESPONSE_MAX_BYTES: '4096' } });
	p = env.app;
	tenantId = (await ensureDevTenants(p.database.db)).acme;
	runtime = await startRuntime(p, (c) => ({ ...c, dispatch: { ...c.dispatch, baseDelayMs: BASE_MS, maxAttempts: MAX_ATTEMPTS } }), { pollMs: 50 });
	await runtime.dispatcher.start();
});

afterAll(async () => {
	await runtime?.stop();
	await env?.stop();
	await receiver?.stop();
	await canary?.stop();
});

const deps = () => endpointDeps(notifyConfig(p.config), secretBox(p.config.tokenEncryptionKeys));

/** A fresh endpoint on the receiver (own path) and its secret. */
async function endpoint(path: string, events = ['certificate.issued']) {
	return p.database.db.transaction((tx) => createEndpoint(tx, tenantId, { url: receiver.url(path), events }, deps(), actorCtx));
}

async function emitIssued() {
	const event = sampleEvents(tenantId)[0];
	await p.database.db.transaction((tx) => enqueueNotification(tx, event));
	return event;
}

const deliveriesTo = (endpointId: string) =>
	p.database.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.endpointId, endpointId)).orderBy(asc(notificationDeliveries.createdAt));
const statusOf = async (id: string) => (await p.database.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.id, id)))[0].status;

describe('webhook delivery (Standard Webhooks, real HTTP receiver)', () => {
	it('retries a failing receiver with growing gaps, dead-letters after the last attempt; resend sends it; resending a sent one is 409', async () => {
		const ep = await endpoint('/down');
		receiver.reply((r) => (r.path === '/down' ? { status: 503, body: 'maintenance' } : { status: 204 }));
		await emitIssued();
		const [d] = await deliveriesTo(ep.id);
		await until(async () => (await statusOf(d.id)) === 'dead_lettered', 30_000, 'dead letter');
		const hits = receiver.requests.filter((r) => r.path === '/down');
		expect(hits).toHaveLength(MAX_ATTEMPTS);
		expect(new Set(hits.map((h) => h.id)).size).toBe(1);
		for (const h of hits) expect(receiver.verifies(h, ep.secret)).toBe(true);
		const gaps = hits.slice(1).map((h, i) => h.at - hits[i].at);
		console.info(`[notifications] observed retry gaps (base ${BASE_MS} ms, ×4, ±20 %): ${gaps.map((g) => `${g} ms`).join(', ')}`);
		for (let i = 0; i < gaps.length; i++) {
			expect(gaps[i]).toBeGreaterThanOrEqual(BASE_MS * 4 ** i * 0.8 - 20);
			if (i > 0) expect(gaps[i]).toBeGreaterThan(gaps[i - 1]);
		}
		const detail = await getDelivery(p.database.db, { tenantId }, d.id);
		expect(detail.attempts.map((a) => [a.attemptNo, a.status, a.responseCode])).toEqual([
			[1, 'failed', 503],
			[2, 'failed', 503],
			[3, 'failed', 503],
			[4, 'failed', 503]
		]);
		expect(detail.attempts[0].responseExcerpt).toBe('maintenance');
		expect(detail.lastError).toBe('HTTP 503');

		receiver.reply(() => ({ status: 200, body: 'ok' }));
		const resent = await p.database.db.transaction((tx) => resendDelivery(tx, { tenantId }, d.id, actorCtx));
		expect(resent.status).toBe('pending');
		await until(async () => (await statusOf(d.id)) === 'sent', 10_000, 'sent after resend');
		const after = await getDelivery(p.database.db, { tenantId }, d.id);
		expect(after.attempts.map((a) => [a.attemptNo, a.status])).toEqual([
			[1, 'failed'],
			[2, 'failed'],
			[3, 'failed'],
			[4, 'failed'],
			[5, 'succeeded']
		]);
		expect(after.attemptCount).toBe(5);
		const all = receiver.requests.filter((r) => r.path === '/down');
		expect(new Set(all.map((h) => h.id)).size).toBe(1);

		const again = await p.database.db.transaction((tx) => resendDelivery(tx, { tenantId }, d.id, actorCtx)).catch((e: unknown) => e);
		expect(again).toBeInstanceOf(ApiError);
		expect((again as ApiError).code).toBe('delivery_already_sent');
		expect((again as ApiError).status).toBe(409);
	});

	it('another tenant cannot see or resend a delivery (404)', async () => {
		const ep = await endpoint('/mine');
		await emitIssued();
		const [d] = await deliveriesTo(ep.id);
		const globex = (await ensureDevTenants(p.database.db)).globex;
		const err = await p.database.db.transaction((tx) => resendDelivery(tx, { tenantId: globex }, d.id, actorCtx)).catch((e: unknown) => e);
		expect((err as ApiError).code).toBe('not_found');
		await expect(getDelivery(p.database.db, { tenantId: globex }, d.id)).rejects.toMatchObject({ code: 'not_found' });
	});

	it('signs with the old and the new secret while a rotation overlaps', async () => {
		receiver.reply(() => ({ status: 204 }));
		const ep = await endpoint('/rotate');
		const rotated = await p.database.db.transaction((tx) => rotateSecret(tx, tenantId, ep.id, deps(), actorCtx));
		expect(rotated.secret).not.toBe(ep.secret);
		expect(rotated.previousSecretExpiresAt).not.toBeNull();
		await emitIssued();
		// other endpoints of this tenant get the event too, in any order: wait for this one's
		await until(() => receiver.requests.some((x) => x.path === '/rotate'), 20_000, 'the delivery to /rotate');
		const r = receiver.requests.find((x) => x.path === '/rotate')!;
		expect(r.signature.split(' ')).toHaveLength(2);
		expect(receiver.verifies(r, rotated.secret)).toBe(true);
		expect(receiver.verifies(r, ep.secret)).toBe(true);
		expect(receiver.verifies(r, 'whsec_' + Buffer.alloc(32, 1).toString('base64'))).toBe(false);
	});

	it('sends a test event to one endpoint', async () => {
		receiver.reply(() => ({ status: 202 }));
		const ep = await endpoint('/test-button', ['licences.low']);
		const d = await p.database.db.transaction((tx) => sendTestEvent(tx, tenantId, ep.id));
		expect(d).toMatchObject({ event: 'webhook.test', channel: 'webhook', status: 'pending' });
		await until(async () => (await statusOf(d.id)) === 'sent', 10_000, 'test sent');
		const r = receiver.requests.find((x) => x.path === '/test-button')!;
		expect(JSON.parse(r.body)).toMatchObject({ type: 'webhook.test', data: { endpointId: ep.id } });
		expect(receiver.verifies(r, ep.secret)).toBe(true);
	});

	it('does not follow a redirect (nothing reaches its target) and records why', async () => {
		const ep = await endpoint('/redirect');
		receiver.reply((r) => (r.path === '/redirect' ? { status: 302, headers: { location: canary.url('/internal') } } : { status: 204 }));
		await emitIssued();
		const [d] = await deliveriesTo(ep.id);
		await until(async () => (await getDelivery(p.database.db, { tenantId }, d.id)).attempts.some((a) => a.status === 'failed'), 10_000, 'failed attempt');
		const detail = await getDelivery(p.database.db, { tenantId }, d.id);
		expect(detail.attempts[0]).toMatchObject({ status: 'failed', responseCode: 302 });
		expect(detail.attempts[0].error).toMatch(/redirect to 127\.0\.0\.1:\d+ not followed/);
		expect(canary.connections).toBe(0);
		await p.database.db.update(webhookEndpoints).set({ enabled: false }).where(eq(webhookEndpoints.id, ep.id));
	});

	it('gives up on a slow receiver after NOTIFY_SEND_TIMEOUT and reads at most WEBHOOK_RESPONSE_MAX_BYTES', async () => {
		const slow = await endpoint('/slow');
		const big = await endpoint('/big');
		receiver.reply((r) => (r.path === '/slow' ? { status: 200, delayMs: 4000 } : r.path === '/big' ? { status: 200, body: 'x'.repeat(1024 * 1024) } : { status: 204 }));
		await emitIssued();
		const [ds] = await deliveriesTo(slow.id);
		const [db_] = await deliveriesTo(big.id);
		await until(async () => (await statusOf(db_.id)) === 'sent', 10_000, 'big answer sent');
		await until(async () => (await getDelivery(p.database.db, { tenantId }, ds.id)).attempts.some((a) => a.status === 'failed'), 10_000, 'slow attempt failed');
		const slowAttempt = (await getDelivery(p.database.db, { tenantId }, ds.id)).attempts[0];
		expect(slowAttempt.error).toMatch(/timed out after 2000 ms/);
		expect(slowAttempt.latencyMs).toBeGreaterThanOrEqual(1900);
		expect(slowAttempt.latencyMs).toBeLessThan(3500);
		const bigAttempt = (await getDelivery(p.database.db, { tenantId }, db_.id)).attempts[0];
		expect(bigAttempt.responseExcerpt).toHaveLength(1024);
		for (const id of [slow.id, big.id]) await p.database.db.transaction((tx) => updateEndpoint(tx, tenantId, id, { enabled: false }, deps(), actorCtx));
	});

	it('honours Retry-After and disables the endpoint on 410 Gone', async () => {
		const limited = await endpoint('/limited');
		const gone = await endpoint('/gone');
		receiver.reply((r) => (r.path === '/limited' ? { status: 429, headers: { 'retry-after': '3' } } : r.path === '/gone' ? { status: 410 } : { status: 204 }));
		await emitIssued();
		const [dl] = await deliveriesTo(limited.id);
		const [dg] = await deliveriesTo(gone.id);
		await until(async () => (await statusOf(dg.id)) === 'dead_lettered', 10_000, '410 dead letter');
		const [ep] = await p.database.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, gone.id));
		expect(ep.enabled).toBe(false);
		expect(ep.disabledReason).toMatch(/410 Gone/);
		expect((await getDelivery(p.database.db, { tenantId }, dg.id)).attempts).toHaveLength(1);
		await until(async () => (await statusOf(dl.id)) === 'retrying', 10_000, 'retrying after 429');
		const [row] = await p.database.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.id, dl.id));
		const [attempt] = await p.database.db.select().from(notificationAttempts).where(eq(notificationAttempts.deliveryId, dl.id));
		expect(row.nextAttemptAt!.getTime() - attempt.finishedAt!.getTime()).toBeGreaterThanOrEqual(2900);
		await p.database.db.transaction((tx) => updateEndpoint(tx, tenantId, limited.id, { enabled: false }, deps(), actorCtx));
	});
});
