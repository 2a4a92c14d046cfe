import type { lookup as dnsLookup } from 'node:dns';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ResolvedConfig } from '#lib/server/config';
import type { Db } from '#lib/server/db/client';
import type { Logger } from '#lib/server/telemetry/logger';
import type { DispatchSettings } from './dispatch';
import { Dispatcher, type Listen } from './dispatcher';
import type { EndpointDeps } from './endpoints';
import { createMailer, type SmtpTlsMode } from './mailer';
import { createSender, type TenantProfile } from './sender';
import { startMailSink, type MailSink } from './sink';
import type { SecretBox } from './signing';
import { outboundPolicy, type Lookup, type OutboundPolicy } from './ssrf';
import { webhookClient } from './webhook-send';

/** The settings the notification path runs on (from the process's config). */
export type NotifyConfig = {
	origin: string;
	production: boolean;
	smtp: { url: string | null; tls?: SmtpTlsMode; ca?: string; from: string };
	dispatch: DispatchSettings;
	concurrency: number;
	connectTimeoutMs: number;
	sendTimeoutMs: number;
	policy: OutboundPolicy;
	responseMaxBytes: number;
	secretOverlapSeconds: number;
	sinkKeep: number;
	digestHour: number;
	retentionDays: number;
};

/** A dying worker's claim runs out this long after NOTIFY_SEND_TIMEOUT (time to record the attempt). */
const LEASE_MARGIN_MS = 5000;

export function notifyConfig(c: ResolvedConfig): NotifyConfig {
	const sendTimeoutMs = c.NOTIFY_SEND_TIMEOUT * 1000;
	return {
		origin: c.origin,
		production: c.NODE_ENV === 'production',
		smtp: { url: c.SMTP_URL ?? null, tls: c.SMTP_TLS, ca: c.SMTP_TLS_CA, from: c.SMTP_FROM ?? `notifications@${new URL(c.origin).hostname}` },
		dispatch: {
			maxAttempts: c.NOTIFY_MAX_ATTEMPTS,
			baseDelayMs: c.NOTIFY_RETRY_BASE_DELAY * 1000,
			maxDelayMs: c.NOTIFY_RETRY_MAX_DELAY * 1000,
			leaseMs: sendTimeoutMs + LEASE_MARGIN_MS
		},
		concurrency: c.NOTIFY_CONCURRENCY,
		connectTimeoutMs: c.NOTIFY_CONNECT_TIMEOUT * 1000,
		sendTimeoutMs,
		policy: outboundPolicy({ production: c.NODE_ENV === 'production', allowedHosts: c.WEBHOOK_ALLOWED_HOSTS }),
		responseMaxBytes: c.WEBHOOK_RESPONSE_MAX_BYTES,
		secretOverlapSeconds: c.WEBHOOK_SECRET_OVERLAP,
		sinkKeep: c.MAIL_SINK_KEEP,
		digestHour: c.NOTIFY_DIGEST_HOUR,
		retentionDays: c.NOTIFY_RETENTION_DAYS
	};
}

/** What the API routes need to manage endpoints (secrets, URL policy). */
export function endpointDeps(n: NotifyConfig, secrets: SecretBox, lookup?: Lookup): EndpointDeps {
	return { secrets, policy: n.policy, secretOverlapSeconds: n.secretOverlapSeconds, lookup };
}

export type NotificationRuntime = { dispatcher: Dispatcher; sink: MailSink | null; stop(): Promise<void> };

/**
 * The running notification path of one worker process: the mail transport
 * (SMTP_URL, or the embedded sink started here when it is unset — refused in
 * production), the webhook client with the outbound policy, and the
 * dispatcher (not started: call `start()` or `drainOnce()`).
 */
export async function startNotificationRuntime(deps: {
	db: Db;
	listen: Listen;
	log: Logger;
	config: NotifyConfig;
	tenantProfile: (tenantId: string) => Promise<TenantProfile | null>;
	/** seals and opens the webhook signing secrets (TOKEN_ENCRYPTION_KEYS) */
	secrets: SecretBox;
	/** name resolution for webhooks (the system resolver unless given) */
	lookup?: typeof dnsLookup;
	/** how often the worker looks for retries coming due (default 1 s) */
	pollMs?: number;
}): Promise<NotificationRuntime> {
	const n = deps.config;
	let sink: MailSink | null = null;
	if (!n.smtp.url) {
		if (n.production) throw new Error('SMTP_URL must be set when NODE_ENV=production: the local mail sink keeps mail instead of delivering it.');
		sink = await startMailSink({ db: deps.db, log: deps.log, keep: n.sinkKeep });
	}
	const mailer = createMailer({
		url: n.smtp.url ?? sink!.url,
		tls: n.smtp.url ? n.smtp.tls : 'none',
		ca: n.smtp.ca,
		connectTimeoutMs: n.connectTimeoutMs,
		totalTimeoutMs: n.sendTimeoutMs,
		maxConnections: Math.min(n.concurrency, 5)
	});
	const webhooks = webhookClient({
		policy: n.policy,
		connectTimeoutMs: n.connectTimeoutMs,
		totalTimeoutMs: n.sendTimeoutMs,
		maxResponseBytes: n.responseMaxBytes,
		maxSockets: n.concurrency,
		lookup: deps.lookup
	});
	const send = createSender({ origin: n.origin, secrets: deps.secrets, webhooks, mailer, mailFrom: n.smtp.from, tenantProfile: deps.tenantProfile });
	const dispatcher = new Dispatcher({
		db: deps.db,
		listen: deps.listen,
		log: deps.log,
		workerId: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
		concurrency: n.concurrency,
		settings: n.dispatch,
		send,
		pollMs: deps.pollMs
	});
	return {
		dispatcher,
		sink,
		async stop() {
			await dispatcher.stop();
			mailer.close();
			webhooks.close();
			await sink?.stop();
		}
	};
}
