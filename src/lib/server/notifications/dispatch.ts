import { sql } from 'drizzle-orm';
import type { Db } from '#lib/server/db/client';
import { publishEvent } from '#lib/server/events';
import { notificationAttempts, notificationDeliveries, notificationSettings, webhookEndpoints, type Channel, type DeliveryStatus } from './schema';

export type DispatchSettings = {
	/** NOTIFY_MAX_ATTEMPTS: attempts per round before the delivery is dead-lettered */
	maxAttempts: number;
	baseDelayMs: number;
	maxDelayMs: number;
	/** how long a claim holds a delivery (NOTIFY_SEND_TIMEOUT + a margin) */
	leaseMs: number;
};

/**
 * The gap after the n-th failed attempt of a round (n ≥ 1): base × 4^(n-1),
 * ±20 % jitter (so endpoints failing together are not retried in lockstep),
 * at most `maxDelayMs`. With ×4 and ±20 % every gap is longer than the one
 * before until the cap (0.8 × 4 > 1.2).
 */
export function retryDelayMs(n: number, s: Pick<DispatchSettings, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
	const raw = s.baseDelayMs * 4 ** Math.min(Math.max(n, 1) - 1, 30);
	return Math.round(Math.min(s.maxDelayMs, raw * (0.8 + 0.4 * random())));
}

/** The endpoint as the claim read it (webhooks): where to send and the secrets to sign with. */
export type ClaimedEndpoint = {
	url: string;
	enabled: boolean;
	secretKeyId: string;
	secret: Buffer;
	previousSecretKeyId: string | null;
	previousSecret: Buffer | null;
	previousSecretExpiresAt: Date | null;
};

/** A claimed delivery: what sending it needs, and the number of the attempt this claim makes. */
export type Claimed = {
	id: string;
	tenantId: string | null;
	eventType: string;
	channel: Channel;
	templateId: string;
	recipient: string | null;
	endpointId: string | null;
	payload: unknown;
	attemptNo: number;
	roundAttempts: number;
	/** null for mail, and for a webhook whose endpoint was deleted */
	endpoint: ClaimedEndpoint | null;
	/** the tenant's sender name (mail) */
	senderName: string | null;
};

export const INTERRUPTED = 'The worker stopped during this attempt (crash or kill); the receiver may or may not have got it, so it is sent again with the same webhook-id / Message-ID.';

type ClaimRow = {
	id: string;
	tenant_id: string | null;
	event_type: string;
	channel: Channel;
	template_id: string;
	recipient: string | null;
	endpoint_id: string | null;
	payload: unknown;
	attempts: number;
	round_attempts: number;
	ep_url: string | null;
	ep_enabled: boolean | null;
	ep_secret_key_id: string | null;
	ep_secret: Buffer | null;
	ep_previous_secret_key_id: string | null;
	ep_previous_secret: Buffer | null;
	ep_previous_secret_expires_at: Date | string | null;
	sender_name: string | null;
};

const toDate = (v: Date | string | null) => (v === null ? null : v instanceof Date ? v : new Date(v));

/**
 * Claims up to `limit` due deliveries for `workerId` (FOR UPDATE SKIP LOCKED,
 * so workers never take the same row) and opens their attempt rows, in one
 * statement that also reads their endpoints and sender names: an attempt still
 * `in_progress` from a worker whose claim ran out is closed as `interrupted`,
 * and the next attempt number is taken. Due: `pending` or `retrying`,
 * `next_attempt_at` passed, not claimed (or the claim ran out).
 */
export async function claimDue(db: Db, workerId: string, limit: number, leaseMs: number): Promise<Claimed[]> {
	if (limit <= 0) return [];
	const rows = await db.execute<ClaimRow>(sql`
		with due as (
			select id from ${notificationDeliveries}
			where status in ('pending', 'retrying') and next_attempt_at <= now() and (claimed_until is null or claimed_until < now())
			order by next_attempt_at, id
			limit ${limit}
			for update skip locked
		),
		claimed as (
			update ${notificationDeliveries} d set claimed_by = ${workerId}, claimed_until = now() + make_interval(secs => ${leaseMs / 1000}),
				attempts = d.attempts + 1, round_attempts = d.round_attempts + 1, updated_at = now()
			from due where d.id = due.id
			returning d.id, d.tenant_id, d.event_type, d.channel, d.template_id, d.recipient, d.endpoint_id, d.payload, d.attempts, d.round_attempts
		),
		stale as (
			update ${notificationAttempts} a set status = 'interrupted', finished_at = now(), error = ${INTERRUPTED}
			from claimed c where a.delivery_id = c.id and a.status = 'in_progress'
			returning a.id
		),
		opened as (
			insert into ${notificationAttempts} (delivery_id, attempt_no, worker)
			select id, attempts, ${workerId} from claimed
			returning id
		)
		select c.*, e.url as ep_url, e.enabled as ep_enabled, e.secret_key_id as ep_secret_key_id, e.secret as ep_secret,
			e.previous_secret_key_id as ep_previous_secret_key_id, e.previous_secret as ep_previous_secret,
			e.previous_secret_expires_at as ep_previous_secret_expires_at, s.sender_name,
			(select count(*) from stale) as interrupted, (select count(*) from opened) as opened
		from claimed c
		left join ${webhookEndpoints} e on e.id = c.endpoint_id
		left join ${notificationSettings} s on s.tenant_id = c.tenant_id`);
	return rows.map((r) => ({
		id: r.id,
		tenantId: r.tenant_id,
		eventType: r.event_type,
		channel: r.channel,
		templateId: r.template_id,
		recipient: r.recipient,
		endpointId: r.endpoint_id,
		payload: r.payload,
		attemptNo: Number(r.attempts),
		roundAttempts: Number(r.round_attempts),
		senderName: r.sender_name,
		endpoint:
			r.ep_url !== null && r.ep_secret !== null && r.ep_secret_key_id !== null
				? {
						url: r.ep_url,
						enabled: r.ep_enabled === true,
						secretKeyId: r.ep_secret_key_id,
						secret: r.ep_secret,
						previousSecretKeyId: r.ep_previous_secret_key_id,
						previousSecret: r.ep_previous_secret,
						previousSecretExpiresAt: toDate(r.ep_previous_secret_expires_at)
					}
				: null
	}));
}

/** What one attempt came to. */
export type SendOutcome =
	| { kind: 'sent'; responseCode: number | null; latencyMs: number; excerpt: string | null }
	| {
			kind: 'failed';
			responseCode: number | null;
			latencyMs: number;
			error: string;
			excerpt?: string | null;
			/** no use retrying (SMTP 5xx to the envelope, HTTP 410): dead-lettered at once */
			permanent?: boolean;
			/** the receiver asked for this pause (Retry-After) */
			retryAfterSeconds?: number | null;
			/** HTTP 410: the endpoint is disabled */
			gone?: boolean;
	  }
	/** nothing to send to any more (endpoint deleted or disabled) */
	| { kind: 'skipped'; reason: string };

const GONE = 'The receiver answered 410 Gone: it wants no more messages. Check the URL, then enable the endpoint again.';

/**
 * Records the attempts of several deliveries and moves each on, in one
 * transaction of one statement (plus one live event per tenant): `sent`;
 * `retrying` with the next attempt after the backoff (or Retry-After, if
 * longer); `dead_lettered` after the round's last attempt or a permanent
 * failure; `skipped` when there is nothing to send to. A delivery is only
 * moved while this worker still holds it; the attempt row is this worker's
 * either way. A 410 disables the endpoint. Returns the new status of each
 * delivery moved (a claim lost to another worker is missing).
 */
export async function recordAttempts(db: Db, workerId: string, done: { c: Claimed; outcome: SendOutcome }[], s: DispatchSettings): Promise<Map<string, DeliveryStatus>> {
	if (!done.length) return new Map();
	const input = done.map(({ c, outcome: o }) => {
		let delaySecs = 0;
		if (o.kind === 'failed') {
			let ms = retryDelayMs(c.roundAttempts, s);
			if (o.retryAfterSeconds) ms = Math.min(s.maxDelayMs, Math.max(ms, o.retryAfterSeconds * 1000));
			delaySecs = ms / 1000;
		}
		return {
			id: c.id,
			attempt_no: c.attemptNo,
			outcome: o.kind,
			attempt_status: o.kind === 'sent' ? 'succeeded' : 'failed',
			response_code: o.kind === 'skipped' ? null : o.responseCode,
			latency_ms: o.kind === 'skipped' ? null : o.latencyMs,
			error: o.kind === 'sent' ? null : o.kind === 'skipped' ? `skipped: ${o.reason}` : o.error.slice(0, 2000),
			excerpt: o.kind === 'skipped' ? null : (o.excerpt ?? null),
			permanent: o.kind === 'failed' && o.permanent === true,
			gone: o.kind === 'failed' && o.gone === true,
			delay_secs: delaySecs,
			skip_reason: o.kind === 'skipped' ? o.reason : null
		};
	});
	return db.transaction(async (tx) => {
		const moved = await tx.execute<{ id: string; tenant_id: string | null; status: DeliveryStatus; attempts: number }>(sql`
			with input as (
				select * from jsonb_to_recordset(${JSON.stringify(input)}::text::jsonb) as r(id uuid, attempt_no int, outcome text, attempt_status text,
					response_code int, latency_ms int, error text, excerpt text, permanent bool, gone bool, delay_secs float8, skip_reason text)
			),
			attempt as (
				update ${notificationAttempts} a set status = i.attempt_status, finished_at = now(), response_code = i.response_code,
					latency_ms = i.latency_ms, error = i.error, response_excerpt = i.excerpt
				from input i where a.delivery_id = i.id and a.attempt_no = i.attempt_no and a.status = 'in_progress'
				returning a.id
			),
			next as (
				select i.*, case
					when i.outcome = 'sent' then 'sent'
					when i.outcome = 'skipped' then 'skipped'
					when i.permanent or d.round_attempts >= ${s.maxAttempts} then 'dead_lettered'
					else 'retrying' end as status
				from input i join ${notificationDeliveries} d on d.id = i.id
			),
			moved as (
				update ${notificationDeliveries} d set status = n.status,
					next_attempt_at = case when n.status = 'retrying' then now() + make_interval(secs => n.delay_secs) end,
					claimed_by = null, claimed_until = null,
					last_error = case when n.outcome = 'failed' then n.error end,
					last_response_code = n.response_code,
					skip_reason = n.skip_reason,
					sent_at = case when n.outcome = 'sent' then now() end,
					updated_at = now()
				from next n where d.id = n.id and d.claimed_by = ${workerId}
				returning d.id, d.tenant_id, d.status, d.attempts, d.endpoint_id, n.gone
			),
			disabled as (
				update ${webhookEndpoints} e set enabled = false, disabled_reason = ${GONE}, updated_at = now()
				from moved m where m.gone and e.id = m.endpoint_id
				returning e.id
			)
			select m.id, m.tenant_id, m.status, m.attempts, (select count(*) from attempt) as recorded, (select count(*) from disabled) as disabled from moved m`);
		const byTenant = new Map<string, { id: string; status: DeliveryStatus; attempts: number }[]>();
		for (const m of moved) if (m.tenant_id) byTenant.set(m.tenant_id, [...(byTenant.get(m.tenant_id) ?? []), { id: m.id, status: m.status, attempts: Number(m.attempts) }]);
		await Promise.all([...byTenant].map(([tenantId, items]) => publishEvent(tx, tenantId, 'deliveries.status', { items })));
		return new Map(moved.map((m) => [m.id, m.status]));
	});
}
