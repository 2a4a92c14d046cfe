import { publicData, storedPayload, TEST_EVENT } from './catalogue';
import type { Claimed, SendOutcome } from './dispatch';
import type { Send } from './dispatcher';
import type { Mailer } from './mailer';
import { messageId, openSecret, signatureHeaders, type SecretBox } from './signing';
import { renderMail } from './templates';
import type { Lang } from './texts';
import type { WebhookClient } from './webhook-send';

export type TenantProfile = { name: string; language: Lang };

export type SenderDeps = {
	origin: string;
	secrets: SecretBox;
	webhooks: WebhookClient;
	mailer: Mailer;
	/** SMTP_FROM */
	mailFrom: string;
	/** a tenant's name and language (tenancy module, passed in by the worker entry) */
	tenantProfile: (tenantId: string) => Promise<TenantProfile | null>;
};

/** The Standard Webhooks body of a delivery: `{ type, timestamp, data }` with absolute links. */
export function webhookBody(eventType: string, payload: { occurredAt: string; data: Record<string, unknown> }, origin: string): string {
	return JSON.stringify({ type: eventType, timestamp: payload.occurredAt, data: publicData(eventType, payload.data, origin) });
}

/** Sends one claimed delivery over its channel; never throws for a failed send (the outcome says why). */
export function createSender(deps: SenderDeps): Send {
	const profiles = new Map<string, { at: number; profile: TenantProfile | null }>();
	const profile = async (tenantId: string) => {
		const hit = profiles.get(tenantId);
		if (hit && Date.now() - hit.at < 30_000) return hit.profile;
		const p = await deps.tenantProfile(tenantId);
		profiles.set(tenantId, { at: Date.now(), profile: p });
		return p;
	};
	const host = new URL(deps.origin).hostname || 'wipecert.invalid';

	async function sendWebhook(c: Claimed, payload: { occurredAt: string; data: Record<string, unknown> }): Promise<SendOutcome> {
		const ep = c.endpoint;
		if (!c.endpointId || !ep) return { kind: 'skipped', reason: 'the webhook endpoint was deleted' };
		if (!ep.enabled) return { kind: 'skipped', reason: 'the webhook endpoint is disabled' };
		const secrets = [openSecret(deps.secrets, c.endpointId, ep.secretKeyId, ep.secret)];
		if (ep.previousSecret && ep.previousSecretKeyId && ep.previousSecretExpiresAt && ep.previousSecretExpiresAt > new Date()) {
			secrets.push(openSecret(deps.secrets, c.endpointId, ep.previousSecretKeyId, ep.previousSecret));
		}
		const body = webhookBody(c.eventType, payload, deps.origin);
		const r = await deps.webhooks.post(ep.url, body, signatureHeaders(messageId(c.id), new Date(), body, secrets));
		if (r.ok) return { kind: 'sent', responseCode: r.status, latencyMs: r.latencyMs, excerpt: r.excerpt };
		return { kind: 'failed', responseCode: r.status, latencyMs: r.latencyMs, error: r.error ?? 'failed', excerpt: r.excerpt, permanent: r.gone, gone: r.gone, retryAfterSeconds: r.retryAfterSeconds };
	}

	async function sendMail(c: Claimed, payload: { occurredAt: string; data: Record<string, unknown> }): Promise<SendOutcome> {
		if (!c.recipient) return { kind: 'skipped', reason: 'no recipient' };
		let lang: Lang = 'en';
		let tenantName: string | null = null;
		if (c.tenantId) {
			const p = await profile(c.tenantId);
			lang = p?.language ?? 'en';
			tenantName = p?.name ?? null;
		}
		const template = c.templateId.replace(/^mail:/, '');
		const mail = renderMail(template, payload.data, { origin: deps.origin, lang, tenantName });
		const started = performance.now();
		const r = await deps.mailer.send({
			from: { name: c.senderName ?? tenantName ?? 'WipeCert', address: deps.mailFrom },
			to: c.recipient,
			...mail,
			messageId: `<${c.id}@${host}>`,
			// RFC 3834: an automatic message; out-of-office replies should not answer it.
			headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All', 'X-WipeCert-Event': c.eventType === TEST_EVENT ? TEST_EVENT : template }
		});
		const latencyMs = Math.round(performance.now() - started);
		if (r.ok) return { kind: 'sent', responseCode: 250, latencyMs, excerpt: r.response.slice(0, 1024) || null };
		return { kind: 'failed', responseCode: r.responseCode, latencyMs, error: r.error, permanent: r.permanent };
	}

	return async (c) => {
		const payload = storedPayload.safeParse(c.payload);
		if (!payload.success) return { kind: 'failed', responseCode: null, latencyMs: 0, error: 'the stored payload is unreadable', permanent: true };
		return c.channel === 'webhook' ? sendWebhook(c, payload.data) : sendMail(c, payload.data);
	};
}
