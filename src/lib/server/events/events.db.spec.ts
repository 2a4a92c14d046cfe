import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '#lib/server/telemetry/logger';
import { createTestDatabase } from '../../../../tests/helpers/db';
import type { Db } from '#lib/server/db/client';
import { EventHub, eventsSince, publishEvent, startCursor } from './index';
import { openEventStream } from './stream';

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let hub: EventHub;
beforeAll(async () => {
	t = await createTestDatabase();
	hub = new EventHub(t.database.sql, createLogger('silent'));
});
afterAll(async () => {
	await hub.close();
	await t.drop();
});

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, predicate: (text: string) => boolean) {
	let text = '';
	const decoder = new TextDecoder();
	while (!predicate(text)) {
		const { value, done } = await reader.read();
		if (done) break;
		text += decoder.decode(value);
	}
	return text;
}

const all = { xid: '0', id: 0 };

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** A real transaction kept open between steps, committed when the test says so. */
function heldTransaction(db: Db) {
	const inbox: { fn?: (tx: Tx) => Promise<unknown>; done: (error?: unknown) => void }[] = [];
	let wake: (() => void) | undefined;
	const finished = db.transaction(async (tx) => {
		for (;;) {
			while (!inbox.length) await new Promise<void>((r) => (wake = r));
			const m = inbox.shift()!;
			if (!m.fn) return m.done();
			try {
				await m.fn(tx);
				m.done();
			} catch (error) {
				m.done(error);
				throw error;
			}
		}
	});
	const send = (fn?: (tx: Tx) => Promise<unknown>) =>
		new Promise<void>((resolve, reject) => {
			inbox.push({ fn, done: (e) => (e ? reject(e) : resolve()) });
			wake?.();
		});
	return { run: send, commit: async () => (await send(), await finished) };
}

/**
 * Events become readable once every older transaction of the cluster has ended; other test files
 * run transactions on the same PostgreSQL beside this one, so reads of committed events are polled.
 */
async function settled(db: Parameters<typeof eventsSince>[0], tenant: string, count: number) {
	let result = await eventsSince(db, tenant, all);
	await expect
		.poll(async () => {
			result = await eventsSince(db, tenant, all);
			return result.events.length >= count && !result.pending;
		})
		.toBe(true);
	return result;
}

const ids = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

describe('live events', () => {
	it('a rolled-back publish leaves no event; a committed one wakes only its tenant', async () => {
		const tenant = randomUUID();
		const other = randomUUID();
		const seen: number[] = [];
		const otherSeen: number[] = [];
		const off = await hub.subscribe(tenant, (id) => seen.push(id));
		const offOther = await hub.subscribe(other, (id) => otherSeen.push(id));
		await t.database.db
			.transaction(async (tx) => {
				await publishEvent(tx, tenant, 'proof.status', { status: 'RECEIVED' });
				throw new Error('rollback');
			})
			.catch(() => undefined);
		await t.database.db.transaction((tx) => publishEvent(tx, tenant, 'proof.status', { status: 'CERTIFIED' }));
		await expect.poll(() => seen.length).toBe(1);
		// readable once every older transaction of the cluster has ended (other test files run beside this one)
		let events: Awaited<ReturnType<typeof eventsSince>>['events'] = [];
		await expect
			.poll(async () => {
				({ events } = await eventsSince(t.database.db, tenant, all));
				return events.map((e) => e.data);
			})
			.toEqual([{ status: 'CERTIFIED' }]);
		expect(seen).toEqual([events[0].id]);
		expect(otherSeen).toEqual([]);
		off();
		offOther();
	});

	it('a stream replays what came after Last-Event-ID, then follows live, in order', async () => {
		const tenant = randomUUID();
		const db = t.database.db;
		for (const n of [1, 2, 3]) await db.transaction((tx) => publishEvent(tx, tenant, 'tick', { n }));
		let first: Awaited<ReturnType<typeof eventsSince>>['events'][number] | undefined;
		await expect
			.poll(async () => {
				const { events } = await eventsSince(db, tenant, all);
				first = events[0];
				return events.length;
			})
			.toBe(3);
		if (!first) throw new Error('no first event');
		const abort = new AbortController();
		const stream = await openEventStream({ db, hub, tenantId: tenant, lastEventId: first.id, signal: abort.signal });
		const reader = stream.getReader();
		const replay = await readUntil(reader, (s) => s.includes('"n":3'));
		expect(replay).toMatch(/retry: 3000/);
		expect(replay.indexOf('"n":2')).toBeLessThan(replay.indexOf('"n":3'));
		expect(replay).not.toContain('"n":1');
		await db.transaction((tx) => publishEvent(tx, tenant, 'tick', { n: 4 }));
		const live = await readUntil(reader, (s) => s.includes('"n":4'));
		expect(live).toMatch(/id: \d+\nevent: tick\ndata: \{"n":4\}/);
		abort.abort();
		await reader.cancel();
	});

	// The bug: the stream read `id > last`. T1 takes id 1, T2 takes id 2 and commits first and is
	// delivered; T1 commits later and id 1 was skipped forever. Two real transactions on two connections.
	it('an event whose transaction took a lower id but committed later is still delivered, once', async () => {
		const tenant = randomUUID();
		const db = t.database.db;
		const abort = new AbortController();
		const reader = (await openEventStream({ db, hub, tenantId: tenant, lastEventId: null, signal: abort.signal })).getReader();
		const t1 = heldTransaction(db);
		const t2 = heldTransaction(db);
		await t2.run((tx) => tx.execute(sql`select pg_current_xact_id()`)); // T2 holds an older transaction id
		await t1.run((tx) => publishEvent(tx, tenant, 'tick', { n: 1 })); // ...but T1 takes the lower event id
		await t2.run((tx) => publishEvent(tx, tenant, 'tick', { n: 2 }));
		await t2.commit();
		const before = await readUntil(reader, (s) => s.includes('"n":2'));
		expect(before).not.toContain('"n":1');
		await t1.commit();
		await db.transaction((tx) => publishEvent(tx, tenant, 'tick', { n: 3 }));
		const after = before + (await readUntil(reader, (s) => s.includes('"n":3')));
		const { events } = await settled(db, tenant, 3);
		const [id1, id2, id3] = [1, 2, 3].map((n) => events.find((e) => (e.data as { n: number }).n === n)!.id);
		expect(id1).toBeLessThan(id2);
		expect(ids(after)).toEqual([id2, id1, id3]);
		abort.abort();
		await reader.cancel();
	});

	it('an event waiting behind an older transaction is held back, then delivered when that one ends without an event of its own', async () => {
		const tenant = randomUUID();
		const db = t.database.db;
		const abort = new AbortController();
		const reader = (await openEventStream({ db, hub, tenantId: tenant, lastEventId: null, signal: abort.signal })).getReader();
		const older = heldTransaction(db);
		await older.run((tx) => tx.execute(sql`select pg_current_xact_id()`));
		await db.transaction((tx) => publishEvent(tx, tenant, 'tick', { n: 1 }));
		// committed, but a transaction with a lower xid is still running: not deliverable yet
		expect(await eventsSince(db, tenant, await startCursor(db, tenant, null))).toMatchObject({ events: [], pending: true });
		expect((await eventsSince(db, tenant, all)).pending).toBe(true);
		await older.commit(); // sends no NOTIFY: the stream reads again by itself
		const text = await readUntil(reader, (s) => s.includes('"n":1'));
		expect(ids(text)).toHaveLength(1);
		expect((await settled(db, tenant, 1)).pending).toBe(false);
		abort.abort();
		await reader.cancel();
	});

	it('replays after a Last-Event-ID in transaction order, even when ids committed out of order', async () => {
		const tenant = randomUUID();
		const db = t.database.db;
		const t1 = heldTransaction(db);
		const t2 = heldTransaction(db);
		await t2.run((tx) => tx.execute(sql`select pg_current_xact_id()`));
		await t1.run((tx) => publishEvent(tx, tenant, 'tick', { n: 1 }));
		await t2.run((tx) => publishEvent(tx, tenant, 'tick', { n: 2 }));
		await t2.commit();
		await t1.commit();
		const { events } = await settled(db, tenant, 2);
		expect(events.map((e) => (e.data as { n: number }).n)).toEqual([2, 1]);
		// a browser that saw the event of T2 (the higher id) reconnects: it gets the lower id it missed
		const abort = new AbortController();
		const reader = (await openEventStream({ db, hub, tenantId: tenant, lastEventId: events[0].id, signal: abort.signal })).getReader();
		expect(ids(await readUntil(reader, (s) => s.includes('"n":1')))).toEqual([events[1].id]);
		abort.abort();
		await reader.cancel();
	});
});
