import { createHash, generateKeyPairSync, verify as verifySig } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiError } from '#lib/server/http/errors';
import { contentDigest, signRequest, verifyRequest, SIGNATURE_ALG } from './http-signature';

const agent = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const URL_ = 'https://wipecert.example/ingest/v1/proofs';
const KEY_ID = '6f1c0c8e-1a52-4a47-9d27-0d9f6d6c9d11';
const body = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);

function setup(overrides: Partial<Parameters<typeof verifyRequest>[0]> = {}, headers?: Record<string, string>) {
	const seen = new Set<string>();
	const signed = headers ?? signRequest({ method: 'POST', url: URL_, body, keyId: KEY_ID, privateKey: agent.privateKey });
	return {
		signed,
		input: {
			method: 'POST',
			targetUris: [URL_],
			headers: new Headers(signed),
			body,
			windowSeconds: 300,
			findKey: async (id: string) => (id === KEY_ID ? { publicKey: agent.publicKey } : null),
			rememberNonce: async (id: string, nonce: string) => !seen.has(`${id}/${nonce}`) && !!seen.add(`${id}/${nonce}`),
			...overrides
		}
	};
}

async function code(p: Promise<unknown>): Promise<string> {
	const e = await p.then(() => null, (err: unknown) => err);
	expect(e).toBeInstanceOf(ApiError);
	return (e as ApiError).code;
}

describe('RFC 9421 agent request signatures', () => {
	it('signs @method, @target-uri and content-digest with created, nonce, keyid and alg', () => {
		const h = signRequest({ method: 'post', url: URL_, body, keyId: KEY_ID, privateKey: agent.privateKey, created: 1700000000, nonce: 'n0nce-123' });
		expect(h['content-digest']).toBe(`sha-256=:${createHash('sha256').update(body).digest('base64')}:`);
		expect(h['signature-input']).toBe(
			`wipecert=("@method" "@target-uri" "content-digest");created=1700000000;nonce="n0nce-123";keyid="${KEY_ID}";alg="${SIGNATURE_ALG}"`
		);
		// The signature base of RFC 9421 §2.5, rebuilt by hand, verifies with the raw r‖s signature (§3.3.4).
		const base = [
			'"@method": POST',
			`"@target-uri": ${URL_}`,
			`"content-digest": ${h['content-digest']}`,
			`"@signature-params": ("@method" "@target-uri" "content-digest");created=1700000000;nonce="n0nce-123";keyid="${KEY_ID}";alg="${SIGNATURE_ALG}"`
		].join('\n');
		const sig = Buffer.from(/^wipecert=:(.+):$/.exec(h.signature)![1], 'base64');
		expect(sig).toHaveLength(64);
		expect(verifySig('sha256', Buffer.from(base), { key: agent.publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
	});

	it('verifies a fresh request and names the agent', async () => {
		const { input } = setup();
		expect((await verifyRequest(input)).keyId).toBe(KEY_ID);
	});

	it('refuses the same signed request twice (nonce replay)', async () => {
		const { input } = setup();
		await verifyRequest(input);
		expect(await code(verifyRequest(input))).toBe('agent_signature_replayed');
	});

	it('refuses a signature created outside the window, in the past or the future', async () => {
		const now = Math.floor(Date.now() / 1000);
		for (const created of [now - 301, now + 301]) {
			const signed = signRequest({ method: 'POST', url: URL_, body, keyId: KEY_ID, privateKey: agent.privateKey, created });
			expect(await code(verifyRequest(setup({}, signed).input))).toBe('agent_signature_expired');
		}
	});

	it('refuses another body (Content-Digest), another method or URI, another key, and unknown agents', async () => {
		expect(await code(verifyRequest(setup({ body: new Uint8Array([0x30, 0x00]) }).input))).toBe('content_digest_mismatch');
		expect(await code(verifyRequest(setup({ method: 'PUT' }).input))).toBe('agent_signature_invalid');
		expect(await code(verifyRequest(setup({ targetUris: ['https://evil.example/ingest/v1/proofs'] }).input))).toBe('agent_signature_invalid');
		expect(await code(verifyRequest(setup({ findKey: async () => ({ publicKey: other.publicKey }) }).input))).toBe('agent_signature_invalid');
		expect(await code(verifyRequest(setup({ findKey: async () => null }).input))).toBe('agent_signature_invalid');
		// a forged digest header for another body: the signature covers the digest, so it fails first
		const { signed } = setup();
		const forged = { ...signed, 'content-digest': contentDigest(new Uint8Array([1])) };
		expect(await code(verifyRequest(setup({ body: new Uint8Array([1]) }, forged).input))).toBe('agent_signature_invalid');
	});

	it('refuses missing or malformed headers and a narrower set of components with a clear code', async () => {
		expect(await code(verifyRequest(setup({ headers: new Headers() }).input))).toBe('unauthenticated');
		const { signed } = setup();
		const bad = (patch: Record<string, string>) => verifyRequest(setup({}, { ...signed, ...patch }).input);
		expect(await code(bad({ 'signature-input': 'wipecert=(' }))).toBe('agent_signature_invalid');
		expect(await code(bad({ 'signature-input': signed['signature-input'].replace(' "content-digest"', '') }))).toBe('agent_signature_invalid');
		expect(await code(bad({ 'signature-input': signed['signature-input'].replace(/;nonce="[^"]+"/, '') }))).toBe('agent_signature_invalid');
		expect(await code(bad({ signature: 'other=:AAAA:' }))).toBe('agent_signature_invalid');
		const e = await bad({ signature: 'wipecert=:AAAA:' }).then(() => null, (x: unknown) => x);
		expect(e instanceof ApiError && e.headers?.['accept-signature']).toContain('"content-digest"');
	});
});
