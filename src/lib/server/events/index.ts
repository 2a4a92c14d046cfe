import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Db, DbOrTx } from '#lib/server/db/client';
import type { Logger } from '#lib/server/telemetry/logger';
import { tenantEvents, type TenantEvent } from './schema';

export type { TenantEvent } from './schema';

const CHANNEL = 'wipecert_tenant_events';

/**
 * Records a live event in the caller's transaction and wakes listeners with
 * NOTIFY, which PostgreSQL delivers only when that transaction commits: a
 * browser never sees a state that was rolled back.
 */
export async function publishEvent(tx: DbOrTx, tenantId: string, type: string, data: Record<string, unknown>): Promise<void> {
	// One statement (row and NOTIFY together): one round trip less on every proof submission (issue 8).
	await tx.execute(sql`with e as (
			insert into ${tenantEvents} (tenant_id, type, data) values (${tenantId}::uuid, ${type}::text, ${JSON.stringify(data)}::text::jsonb) returning id
		)
		select pg_notify(${CHANNEL}::text, ${tenantId}::text || ':' || e.id::text) from e`);
}

/** Events of one tenant after `afterId` (for Last-Event-ID replay), oldest first. */
export function eventsSince(db: Db, tenantId: string, afterId: number, limit = 500): Promise<TenantEvent[]> {
	return db
		.select()
		.from(tenantEvents)
		.where(and(eq(tenantEvents.tenantId, tenantId), gt(tenantEvents.id, afterId)))
		.orderBy(asc(tenantEvents.id))
		.limit(limit);
}

/** The newest event id of a tenant (a fresh stream starts after it). */
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
