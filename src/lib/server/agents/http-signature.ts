/**
 * Agent request authentication: HTTP Message Signatures (RFC 9421) over
 * `"@method" "@target-uri" "content-digest"`, with the body bound by
 * Content-Digest (RFC 9530, sha-256), algorithm `ecdsa-p256-sha256`
 * (RFC 9421 §3.3.4: raw r‖s), and the parameters `created`, `nonce`,
 * `keyid` (the agent id) and `alg`. Replays are refused twice over: a
 * signature's `created` must lie within a window of the server clock, and its
 * nonce is remembered for that window (RFC 9421 §7.2.2).
 *
 * This file has both sides: `signRequest` (agents, agent-sim, tests) and
 * `verifyRequest` (the ingest gateway). It knows nothing of the database;
 * the caller hands in how to find a key and how to remember a nonce.
 */
import { createHash, createPublicKey, randomBytes, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { parseDictionary, serializeInnerList, type InnerList, type Item, type Parameters } from 'structured-headers';
import { ApiError } from '#lib/server/http/errors';

/** The signature label WipeCert agents use in Signature-Input / Signature. */
export const SIGNATURE_LABEL = 'wipecert';
export const SIGNATURE_ALG = 'ecdsa-p256-sha256';
/** Components every agent request must cover, in this order. */
export const COVERED_COMPONENTS = ['@method', '@target-uri', 'content-digest'] as const;

/** RFC 9421 §5.1: what a client should send, for the Accept-Signature header of a 401. */
export const ACCEPT_SIGNATURE = `${SIGNATURE_LABEL}=(${COVERED_COMPONENTS.map((c) => `"${c}"`).join(' ')});created;nonce;keyid;alg="${SIGNATURE_ALG}"`;

/** RFC 9530 Content-Digest value for a body: `sha-256=:<base64>:`. */
export function contentDigest(body: Uint8Array): string {
	return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

function signatureParams(created: number, nonce: string, keyId: string): { list: InnerList; serialized: string } {
	const params: Parameters = new Map<string, string | number>([
		['created', created],
		['nonce', nonce],
		['keyid', keyId],
		['alg', SIGNATURE_ALG]
	]);
	const list: InnerList = [COVERED_COMPONENTS.map((c): Item => [c, new Map()]), params];
	return { list, serialized: serializeInnerList(list) };
}

/** RFC 9421 §2.5: the signature base of our three components plus @signature-params. */
function signatureBase(method: string, targetUri: string, digest: string, serializedParams: string): Buffer {
	const lines = [
		`"@method": ${method.toUpperCase()}`,
		`"@target-uri": ${targetUri}`,
		`"content-digest": ${digest}`,
		`"@signature-params": ${serializedParams}`
	];
	return Buffer.from(lines.join('\n'), 'utf8');
}

export type SignRequestInput = {
	method: string;
	/** the full URL the request is sent to (its @target-uri) */
	url: string;
	body: Uint8Array;
	/** the agent id */
	keyId: string;
	/** the agent's P-256 private key */
	privateKey: KeyObject;
	/** seconds since the epoch; defaults to now */
	created?: number;
	nonce?: string;
};

/** The headers that sign a request: Content-Digest, Signature-Input and Signature. */
export function signRequest(input: SignRequestInput): { 'content-digest': string; 'signature-input': string; signature: string } {
	const created = input.created ?? Math.floor(Date.now() / 1000);
	const nonce = input.nonce ?? randomBytes(16).toString('base64url');
	const digest = contentDigest(input.body);
	const { serialized } = signatureParams(created, nonce, input.keyId);
	const base = signatureBase(input.method, input.url, digest, serialized);
	const signature = sign('sha256', base, { key: input.privateKey, dsaEncoding: 'ieee-p1363' });
	return {
		'content-digest': digest,
		'signature-input': `${SIGNATURE_LABEL}=${serialized}`,
		signature: `${SIGNATURE_LABEL}=:${signature.toString('base64')}:`
	};
}

export type SignatureKey = {
	/** the agent's public key (P-256) */
	publicKey: KeyObject;
};

export type VerifyRequestInput = {
	method: string;
	/** the URIs this server answers as (ORIGIN + path + query, and the URL the request reached); the signed @target-uri must be one */
	targetUris: string[];
	headers: Headers;
	body: Uint8Array;
	windowSeconds: number;
	now?: Date;
	/** the key of an agent id, or null when unknown */
	findKey(keyId: string): Promise<SignatureKey | null>;
	/** remembers (keyId, nonce); false when it was seen before (a replay) */
	rememberNonce(keyId: string, nonce: string): Promise<boolean>;
};

export type VerifiedRequest = { keyId: string; created: Date; nonce: string };

const invalid = (problem: string) =>
	new ApiError('agent_signature_invalid', `The request signature is not valid: ${problem}.`, undefined, { 'accept-signature': ACCEPT_SIGNATURE });

/** 401 before anything else is looked at when a request carries no signature at all. */
export function assertSigned(headers: Headers): void {
	if (!headers.get('signature-input') || !headers.get('signature')) {
		throw new ApiError('unauthenticated', 'Sign agent requests (RFC 9421: Signature-Input and Signature headers).', undefined, { 'accept-signature': ACCEPT_SIGNATURE });
	}
}

function parsedSignature(headers: Headers): { list: InnerList; signature: Buffer } {
	assertSigned(headers);
	const input = headers.get('signature-input')!;
	const value = headers.get('signature')!;
	let inputs: ReturnType<typeof parseDictionary>;
	let signatures: ReturnType<typeof parseDictionary>;
	try {
		inputs = parseDictionary(input);
		signatures = parseDictionary(value);
	} catch {
		throw invalid('Signature-Input or Signature is not a structured-field dictionary (RFC 8941)');
	}
	const member = inputs.get(SIGNATURE_LABEL);
	const sig = signatures.get(SIGNATURE_LABEL);
	if (!member || !Array.isArray(member[0])) throw invalid(`no inner list labelled "${SIGNATURE_LABEL}" in Signature-Input`);
	if (!sig || !(sig[0] instanceof ArrayBuffer)) throw invalid(`no byte sequence labelled "${SIGNATURE_LABEL}" in Signature`);
	return { list: member as InnerList, signature: Buffer.from(sig[0]) };
}

function stringParam(params: Parameters, name: string): string | null {
	const v = params.get(name);
	return typeof v === 'string' ? v : null;
}

/**
 * Verifies a signed agent request; throws ApiError (401 `unauthenticated`,
 * `agent_signature_invalid`, `agent_signature_expired`,
 * `agent_signature_replayed`, 400 `content_digest_mismatch`) otherwise.
 */
export async function verifyRequest(input: VerifyRequestInput): Promise<VerifiedRequest> {
	const { list, signature } = parsedSignature(input.headers);
	const [items, params] = list;
	const components = items.map((i) => i[0]);
	if (components.length !== COVERED_COMPONENTS.length || COVERED_COMPONENTS.some((c, i) => components[i] !== c || items[i][1].size > 0)) {
		throw invalid(`it must cover exactly ${COVERED_COMPONENTS.map((c) => `"${c}"`).join(' ')}`);
	}
	const created = params.get('created');
	const nonce = stringParam(params, 'nonce');
	const keyId = stringParam(params, 'keyid');
	const alg = stringParam(params, 'alg');
	if (typeof created !== 'number' || !Number.isInteger(created)) throw invalid('the `created` parameter is missing');
	if (!nonce || nonce.length < 8 || nonce.length > 128) throw invalid('the `nonce` parameter is missing or not 8–128 characters');
	if (!keyId) throw invalid('the `keyid` parameter is missing');
	if (alg !== null && alg !== SIGNATURE_ALG) throw invalid(`alg must be "${SIGNATURE_ALG}"`);
	const expires = params.get('expires');

	const now = (input.now ?? new Date()).getTime() / 1000;
	if (Math.abs(now - created) > input.windowSeconds || (typeof expires === 'number' && expires < now)) {
		throw new ApiError('agent_signature_expired', `The signature was created outside the accepted window of ${input.windowSeconds} s; check the agent's clock and sign each request when sending it.`);
	}

	const digestHeader = input.headers.get('content-digest');
	if (!digestHeader) throw invalid('the Content-Digest header (RFC 9530) is missing');
	const key = await input.findKey(keyId);
	if (!key) throw invalid('the keyid names no enrolled agent');

	// Try each URI this server answers as; the agent signed the one it sent to.
	const ok = input.targetUris.some((uri) => {
		const base = signatureBase(input.method, uri, digestHeader.trim(), serializeInnerList(list));
		try {
			return verify('sha256', base, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
		} catch {
			return false;
		}
	});
	if (!ok) throw invalid(`the signature does not verify with the agent's key for ${input.method.toUpperCase()} ${input.targetUris[0]}`);

	// The signature is the agent's: now the body must be the one it signed (RFC 9530).
	if (!digestMatches(digestHeader, input.body)) throw new ApiError('content_digest_mismatch');

	if (!(await input.rememberNonce(keyId, nonce))) throw new ApiError('agent_signature_replayed');
	return { keyId, created: new Date(created * 1000), nonce };
}

/** True when the Content-Digest's sha-256 member is the SHA-256 of the body. */
function digestMatches(header: string, body: Uint8Array): boolean {
	let dict: ReturnType<typeof parseDictionary>;
	try {
		dict = parseDictionary(header);
	} catch {
		return false;
	}
	const member = dict.get('sha-256');
	if (!member || !(member[0] instanceof ArrayBuffer)) return false;
	const claimed = Buffer.from(member[0]);
	const actual = createHash('sha256').update(body).digest();
	return claimed.length === actual.length && timingSafeEqual(claimed, actual);
}

/** A P-256 public key from base64 DER SubjectPublicKeyInfo. */
export function publicKeyFromSpki(spkiBase64: string): KeyObject {
	// Parsed once per key and kept (a few hundred agents' keys at most in a busy process): parsing the
	// SPKI on every signed request was a visible share of the ingest profile. The cache is
	// keyed by the key bytes themselves, so a re-enrolled agent's new key is parsed afresh.
	let key = parsedKeys.get(spkiBase64);
	if (!key) {
		key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
		if (parsedKeys.size >= 1000) parsedKeys.delete(parsedKeys.keys().next().value!);
		parsedKeys.set(spkiBase64, key);
	}
	return key;
}
const parsedKeys = new Map<string, KeyObject>();
