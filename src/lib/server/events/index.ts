import { and, eq, lt, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Db, DbOrTx } from '#lib/server/db/client';
import type { Logger } from '#lib/server/telemetry/logger';
import { tenantEvents } from './schema';

export type { TenantEvent } from './schema';

const CHANNEL = 'wipecert_tenant_events';

/**
 * Records a live event in the caller's transaction and wakes listeners with
 * NOTIFY, which PostgreSQL delivers only when that transaction commits: a
 * browser never sees a state that was rolled back.
 */
export async function publishEvent(tx: DbOrTx, tenantId: string, type: string, data: Record<string, unknown>): Promise<void> {
	// One statement (row and NOTIFY together): one round trip less on every proof submission.
	await tx.execute(sql`with e as (
			insert into ${tenantEvents} (tenant_id, type, data) values (${tenantId}::uuid, ${type}::text, ${JSON.stringify(data)}::text::jsonb) returning id
		)
		select pg_notify(${CHANNEL}::text, ${tenantId}::text || ':' || e.id::text) from e`);
}

/**
 * A position in a tenant's event stream, in delivery order (xid, id).
 * `floorId` only serves a Last-Event-ID whose event was purged: whatever is still stored after it.
 */
export type EventCursor = { xid: string; id: number; floorId?: number };

export type DeliverableEvent = { id: number; type: string; data: unknown; xid: string };

/**
 * The next committed events of one tenant after `cursor`, oldest first — the
 * transactional-outbox read. Sequence ids are taken at insert but commit in any
 * order, so reading `id > last` skips an event whose transaction took a lower id
 * and committed later. Instead only events of transactions older than this
 * statement snapshot's xmin are delivered: every transaction with a lower xid has
 * ended, so that set is final, and ordered by (xid, id) a cursor past it can never
 * skip an event that shows up later (its xid will be ≥ this xmin). `pending` says
 * committed events exist that wait behind an older running transaction (one with
 * no event of its own sends no NOTIFY when it ends: the caller reads again soon).
 * One statement, so the horizon and the rows come from the same snapshot.
 * Caveat: xmin is cluster-wide, so a long write transaction anywhere delays (never loses) live events.
 */
export async function eventsSince(db: Db, tenantId: string, cursor: EventCursor, limit = 500): Promise<{ events: DeliverableEvent[]; pending: boolean }> {
	const rows = await db.execute<{ id: string | number; type: string; data: unknown; xid: string; ready: boolean }>(sql`
		with horizon as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin)
		select e.id, e.type, e.data, e.xid::text as xid, e.xid < horizon.xmin as ready
		from ${tenantEvents} e, horizon
		where e.tenant_id = ${tenantId}::uuid
			and (e.xid, e.id) > (${cursor.xid}::xid8, ${cursor.id}::bigint)
			and e.id > ${cursor.floorId ?? 0}::bigint
		order by e.xid, e.id
		limit ${limit}`);
	const events: DeliverableEvent[] = [];
	for (const r of rows) {
		if (!r.ready) return { events, pending: true };
		events.push({ id: Number(r.id), type: r.type, data: r.data, xid: r.xid });
	}
	return { events, pending: false };
}

/**
 * Where a stream starts: right after the event `lastEventId` (Last-Event-ID on
 * reconnect; the client got everything before it in delivery order) or, for a
 * fresh stream, after everything already deliverable (it starts with the next event).
 */
export async function startCursor(db: Db, tenantId: string, lastEventId: number | null): Promise<EventCursor> {
	if (lastEventId !== null) {
		const [row] = await db
			.select({ xid: tenantEvents.xid })
			.from(tenantEvents)
			.where(and(eq(tenantEvents.tenantId, tenantId), eq(tenantEvents.id, lastEventId)));
		return row ? { xid: row.xid, id: lastEventId } : { xid: '0', id: 0, floorId: lastEventId };
	}
	const [h] = await db.execute<{ xmin: string }>(sql`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`);
	return { xid: h.xmin, id: 0 };
}

/** The newest event id of a tenant. */
export async function latestEventId(db: Db, tenantId: string): Promise<number> {
	const [row] = await db
		.select({ id: sql<number>`coalesce(max(${tenantEvents.id}), 0)::bigint` })
		.from(tenantEvents)
		.where(eq(tenantEvents.tenantId, tenantId));
	return Number(row?.id ?? 0);
}

/** Maintenance: drops events older than the retention. */
export async function purgeEvents(db: Db, olderThan: Date): Promise<number> {
	const rows = await db.delete(tenantEvents).where(lt(tenantEvents.createdAt, olderThan)).returning({ id: tenantEvents.id });
	return rows.length;
}

type Listener = (eventId: number) => void;

/**
 * One LISTEN connection per process, fanned out to the open streams of each
 * tenant; postgres.js re-listens after a reconnect.
 */
export class EventHub {
	private listeners = new Map<string, Set<Listener>>();
	private subscription: Promise<{ unlisten(): Promise<void> }> | undefined;

	constructor(
		private readonly sql: postgres.Sql,
		private readonly log: Logger
	) {}

	private ensureListening() {
		this.subscription ??= this.sql
			.listen(CHANNEL, (payload) => {
				const [tenantId, id] = payload.split(':');
				for (const fn of this.listeners.get(tenantId) ?? []) fn(Number(id));
			})
			.catch((error) => {
				this.subscription = undefined;
				this.log.error({ err: error }, 'LISTEN for live events failed');
				throw error;
			});
		return this.subscription;
	}

	async subscribe(tenantId: string, fn: Listener): Promise<() => void> {
		await this.ensureListening();
		let set = this.listeners.get(tenantId);
		if (!set) this.listeners.set(tenantId, (set = new Set()));
		set.add(fn);
		return () => {
			set.delete(fn);
			if (set.size === 0) this.listeners.delete(tenantId);
		};
	}

	async close() {
		const sub = this.subscription;
		this.subscription = undefined;
		this.listeners.clear();
		if (sub) await (await sub).unlisten();
	}
}
