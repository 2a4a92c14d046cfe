import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks signing (spec 1.0.0, "Signature scheme"): HMAC-SHA256 over
 * `{webhook-id}.{webhook-timestamp}.{body}`, base64, as `v1,<sig>`; the
 * secret is 32 random bytes shown as `whsec_<base64>`. Secrets rest encrypted
 * (AES-256-GCM under TOKEN_ENCRYPTION_KEYS: the `SecretBox` the entries pass
 * in), bound to their endpoint.
 */

/** Seals and opens secrets at rest, bound to associated data. */
export type SecretBox = { seal(plaintext: string, aad: string): { keyId: string; data: Buffer }; open(keyId: string, data: Buffer, aad: string): string };
export function newSecret(): string {
	return `whsec_${randomBytes(32).toString('base64')}`;
}

const aad = (endpointId: string) => `webhook-secret:${endpointId}`;

export function sealSecret(box: SecretBox, endpointId: string, secret: string): { keyId: string; data: Buffer } {
	return box.seal(secret, aad(endpointId));
}

export function openSecret(box: SecretBox, endpointId: string, keyId: string, data: Buffer): string {
	return box.open(keyId, data, aad(endpointId));
}

/** `webhook-id` of a delivery: stable across retries and resends, so receivers de-duplicate by it. */
export const messageId = (deliveryId: string) => `msg_${deliveryId.replaceAll('-', '')}`;

/**
 * The three Standard Webhooks headers. With a rotated secret still in its
 * overlap, the signature header carries both signatures, space-separated;
 * a receiver accepts the message when either verifies.
 */
export function signatureHeaders(msgId: string, at: Date, body: string, secrets: string[]): Record<string, string> {
	const signatures = secrets.map((s) => new Webhook(s).sign(msgId, at, body));
	return {
		'webhook-id': msgId,
		'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
		'webhook-signature': signatures.join(' ')
	};
}
