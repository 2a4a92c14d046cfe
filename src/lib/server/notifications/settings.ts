import { eq, isNull, sql } from 'drizzle-orm';
import { recordAudit } from '#lib/server/audit';
import type { DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { SYSTEM_EVENT_TYPES, TENANT_EVENT_TYPES, type EventType } from './catalogue';
import type { Actor } from './endpoints';
import { readRecipients } from './outbox';
import { notificationSettings, type DigestMode } from './schema';

/** Events whose mail recipients a tenant chooses (the invitation always goes to the invited address). */
export const TENANT_MAIL_EVENTS = TENANT_EVENT_TYPES.filter((t) => t !== 'member.invited');
/** At most this many addresses per event: notifications are for a team, not a mailing list. */
const MAX_RECIPIENTS = 20;

export type NotificationSettingsView = {
	senderName: string | null;
	digest: DigestMode;
	events: { event: EventType; recipients: string[] }[];
};
export type PlatformNotificationSettingsView = { events: { event: EventType; recipients: string[] }[] };

const scopeWhere = (tenantId: string | null) => (tenantId ? eq(notificationSettings.tenantId, tenantId) : isNull(notificationSettings.tenantId));

async function row(db: DbOrTx, tenantId: string | null) {
	const [r] = await db.select().from(notificationSettings).where(scopeWhere(tenantId));
	return r ?? null;
}

export async function getNotificationSettings(db: DbOrTx, tenantId: string): Promise<NotificationSettingsView> {
	const r = await row(db, tenantId);
	const recipients = readRecipients(r?.recipients);
	return {
		senderName: r?.senderName ?? null,
		digest: r?.digest ?? 'off',
		events: TENANT_MAIL_EVENTS.map((event) => ({ event, recipients: recipients[event] ?? [] }))
	};
}

export async function getPlatformNotificationSettings(db: DbOrTx): Promise<PlatformNotificationSettingsView> {
	const recipients = readRecipients((await row(db, null))?.recipients);
	return { events: SYSTEM_EVENT_TYPES.map((event) => ({ event, recipients: recipients[event] ?? [] })) };
}

function recipientsOf(events: { event: string; recipients: string[] }[], allowed: readonly string[]): Record<string, string[]> {
	const out: Record<string, string[]> = {};
	for (const [i, e] of events.entries()) {
		if (!allowed.includes(e.event)) throw new ApiError('validation_failed', undefined, [{ field: `events.${i}.event`, problem: `not one of ${allowed.join(', ')}` }]);
		const list = [...new Set(e.recipients.map((r) => r.trim().toLowerCase()).filter(Boolean))];
		if (list.length > MAX_RECIPIENTS) throw new ApiError('validation_failed', undefined, [{ field: `events.${i}.recipients`, problem: `at most ${MAX_RECIPIENTS} addresses` }]);
		out[e.event] = list;
	}
	return out;
}

async function upsert(tx: Tx, tenantId: string | null, set: Partial<typeof notificationSettings.$inferInsert>) {
	const existing = await row(tx, tenantId);
	if (existing) await tx.update(notificationSettings).set({ ...set, updatedAt: sql`now()` }).where(eq(notificationSettings.id, existing.id));
	else await tx.insert(notificationSettings).values({ tenantId, ...set });
}

/**
 * A tenant admin changes who gets which mail, the sender name and the
 * digest. Events not named keep their recipients.
 * Audited (recipient counts, not addresses).
 */
export async function updateNotificationSettings(
	tx: Tx,
	tenantId: string,
	change: { senderName?: string | null; digest?: DigestMode; events?: { event: string; recipients: string[] }[] },
	ctx: Actor
): Promise<NotificationSettingsView> {
	// one settings row per tenant: serialise concurrent first writes
	await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`wipecert:notification-settings:${tenantId}`}, 0))`);
	const before = await row(tx, tenantId);
	const set: Partial<typeof notificationSettings.$inferInsert> = {};
	if (change.senderName !== undefined) set.senderName = change.senderName?.trim() || null;
	if (change.digest !== undefined) set.digest = change.digest;
	if (change.events) set.recipients = { ...readRecipients(before?.recipients), ...recipientsOf(change.events, TENANT_MAIL_EVENTS) };
	await upsert(tx, tenantId, set);
	const after = await getNotificationSettings(tx, tenantId);
	await recordAudit(tx, {
		...ctx,
		tenantId,
		action: 'notifications.settings',
		target: `tenant:${tenantId}`,
		result: 'success',
		details: {
			senderName: after.senderName,
			digest: after.digest,
			recipients: Object.fromEntries(after.events.map((e) => [e.event, e.recipients.length]))
		}
	});
	return after;
}

/** A platform admin sets who gets the `system.*` mails. Audited on the platform chain. */
export async function updatePlatformNotificationSettings(tx: Tx, change: { events: { event: string; recipients: string[] }[] }, ctx: Actor): Promise<PlatformNotificationSettingsView> {
	await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('wipecert:notification-settings:platform', 0))`);
	const before = await row(tx, null);
	await upsert(tx, null, { recipients: { ...readRecipients(before?.recipients), ...recipientsOf(change.events, SYSTEM_EVENT_TYPES) } });
	const after = await getPlatformNotificationSettings(tx);
	await recordAudit(tx, {
		...ctx,
		tenantId: null,
		action: 'notifications.settings',
		target: 'platform',
		result: 'success',
		details: { recipients: Object.fromEntries(after.events.map((e) => [e.event, e.recipients.length])) }
	});
	return after;
}
