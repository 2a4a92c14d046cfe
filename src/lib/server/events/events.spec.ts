import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '#lib/server/telemetry/logger';
import { createTestDatabase } from '../../../../tests/db';
import { EventHub, eventsSince, publishEvent } from './index';
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
		const events = await eventsSince(t.database.db, tenant, 0);
		expect(events.map((e) => e.data)).toEqual([{ status: 'CERTIFIED' }]);
		expect(seen).toEqual([events[0].id]);
		expect(otherSeen).toEqual([]);
		off();
		offOther();
	});

	it('a stream replays what came after Last-Event-ID, then follows live, in order', async () => {
		const tenant = randomUUID();
		const db = t.database.db;
		for (const n of [1, 2, 3]) await db.transaction((tx) => publishEvent(tx, tenant, 'tick', { n }));
		const [first] = await eventsSince(db, tenant, 0);
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
});
