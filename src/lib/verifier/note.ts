import { buf, concat, equal, fromBase64, fromHex, sha256, toHex, utf8 } from './bytes';

/**
 * C2SP signed notes (https://c2sp.org/signed-note) carrying checkpoints
 * (https://c2sp.org/tlog-checkpoint) and witness cosignatures
 * (https://c2sp.org/tlog-cosignature, Ed25519 "cosignature/v1"), verified
 * with WebCrypto Ed25519. Browser-safe.
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n
 *   \n
 *   — <key name> base64(4-byte key ID ‖ signature)\n        (one line per signature)
 */

export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;
/** signed-note: verifiers must accept at least 16 signatures; more than this is refused as abuse */
const MAX_SIGNATURES = 64;

export type Checkpoint = { origin: string; treeSize: number; rootHash: Uint8Array };
export type VerifierKey = { name: string; keyId: Uint8Array; type: number; publicKey: Uint8Array; vkey: string };
export type NoteSignature = { name: string; keyId: Uint8Array; signature: Uint8Array; line: string };

/** signed-note key ID: SHA-256(name ‖ "\n" ‖ type ‖ public key)[:4] */
export async function keyId(name: string, type: number, publicKey: Uint8Array): Promise<Uint8Array> {
	return (await sha256(concat(utf8(`${name}\n`), Uint8Array.of(type), publicKey))).subarray(0, 4);
}

/** A vkey `name+hex key ID+base64(type ‖ public key)` of an Ed25519 (0x01) or Ed25519 cosignature (0x04) key; null when malformed or its key ID is wrong. */
export async function parseVerifierKey(vkey: string): Promise<VerifierKey | null> {
	const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey.trim());
	if (!m) return null;
	const raw = fromBase64(m[3]);
	if (!raw || raw.length !== 33 || (raw[0] !== SIG_ED25519 && raw[0] !== SIG_COSIGNATURE_V1)) return null;
	const publicKey = raw.slice(1);
	const id = fromHex(m[2])!;
	if (!equal(await keyId(m[1], raw[0], publicKey), id)) return null;
	return { name: m[1], keyId: id, type: raw[0], publicKey, vkey: vkey.trim() };
}

/** Splits a signed note into its text (ending in \n) and signature lines; null when it is not one. */
export function splitNote(note: string): { body: string; signatures: NoteSignature[] } | null {
	// signed-note: valid UTF-8 (a JS string) with no control characters but newline
	if (!note.endsWith('\n') || /[\u0000-\u0009\u000b-\u001f]/.test(note)) return null;
	const split = note.lastIndexOf('\n\n');
	if (split < 0) return null;
	const body = note.slice(0, split + 1);
	const lines = note.slice(split + 2, -1).split('\n');
	if (!lines.length || lines.length > MAX_SIGNATURES) return null;
	const signatures: NoteSignature[] = [];
	for (const line of lines) {
		const m = /^\u2014 ([^\s+]+) ([A-Za-z0-9+/=]+)$/.exec(line);
		const raw = m ? fromBase64(m[2]) : null;
		if (!m || !raw || raw.length < 5) return null;
		signatures.push({ name: m[1], keyId: raw.slice(0, 4), signature: raw.slice(4), line: `${line}\n` });
	}
	return { body, signatures };
}

/** tlog-checkpoint note text: origin, tree size (no leading zeros), base64 root; extension lines are kept but not read. */
export function parseCheckpointBody(body: string): Checkpoint | null {
	const lines = body.split('\n');
	if (lines.length < 4 || lines[lines.length - 1] !== '' || lines.slice(3, -1).some((l) => !l)) return null;
	const [origin, size, root] = lines;
	if (!origin || !/^(0|[1-9]\d{0,15})$/.test(size)) return null;
	const rootHash = fromBase64(root);
	const treeSize = Number(size);
	if (!rootHash || rootHash.length !== 32 || !Number.isSafeInteger(treeSize)) return null;
	return { origin, treeSize, rootHash };
}

/** tlog-cosignature: the message an Ed25519 cosigner signs for a checkpoint note text at `timestamp`. */
export const cosignatureMessage = (body: string, timestamp: number): string => `cosignature/v1\ntime ${timestamp}\n${body}`;

async function ed25519(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
	const key = await crypto.subtle.importKey('raw', buf(publicKey), { name: 'Ed25519' }, false, ['verify']);
	return crypto.subtle.verify({ name: 'Ed25519' }, key, buf(signature), buf(message));
}

function u64(b: Uint8Array): number {
	let n = 0;
	for (const x of b) n = n * 256 + x;
	return n;
}

/** The POSIX time of a valid Ed25519 cosignature/v1 line of `key` over the note text `body`, else null. */
export async function verifyCosignature(body: string, sig: NoteSignature, key: VerifierKey): Promise<number | null> {
	if (key.type !== SIG_COSIGNATURE_V1 || sig.name !== key.name || !equal(sig.keyId, key.keyId) || sig.signature.length !== 72) return null;
	const timestamp = u64(sig.signature.subarray(0, 8));
	if (!Number.isSafeInteger(timestamp)) return null;
	return (await ed25519(key.publicKey, sig.signature.subarray(8), utf8(cosignatureMessage(body, timestamp)))) ? timestamp : null;
}

export type Cosignature = { name: string; vkey: string; timestamp: number };
export type NoteVerdict = { ok: true; checkpoint: Checkpoint; body: string; cosignatures: Cosignature[]; missing: string[] } | { ok: false; reason: string };

/**
 * Verifies a checkpoint note: a valid signature of the log key (signed-note:
 * unknown keys are ignored; a known key whose signature fails rejects the
 * note), `origin` when given; and, of each witness key given, its
 * cosignature. Witness keys without a cosignature are listed in `missing`
 * (the caller decides whether that fails); a cosignature that does not verify
 * rejects the note.
 */
export async function verifyCheckpointNote(note: string, logKey: string | VerifierKey, o: { origin?: string; witnesses?: (string | VerifierKey)[] } = {}): Promise<NoteVerdict> {
	const key = typeof logKey === 'string' ? await parseVerifierKey(logKey) : logKey;
	if (!key || key.type !== SIG_ED25519) return { ok: false, reason: 'the log verifier key is malformed' };
	const split = splitNote(note);
	if (!split) return { ok: false, reason: 'the checkpoint is not a signed note' };
	const checkpoint = parseCheckpointBody(split.body);
	if (!checkpoint) return { ok: false, reason: 'the checkpoint text is malformed' };
	if (o.origin !== undefined && checkpoint.origin !== o.origin) return { ok: false, reason: `the checkpoint is of log "${checkpoint.origin}", not "${o.origin}"` };
	const text = utf8(split.body);
	const mine = split.signatures.filter((s) => s.name === key.name && equal(s.keyId, key.keyId));
	if (!mine.length) return { ok: false, reason: 'the checkpoint carries no signature of the published log key' };
	for (const s of mine) if (s.signature.length !== 64 || !(await ed25519(key.publicKey, s.signature, text))) return { ok: false, reason: 'the checkpoint signature does not verify with the published log key' };
	const cosignatures: Cosignature[] = [];
	const missing: string[] = [];
	for (const w of o.witnesses ?? []) {
		const wk = typeof w === 'string' ? await parseVerifierKey(w) : w;
		if (!wk || wk.type !== SIG_COSIGNATURE_V1) return { ok: false, reason: `the witness key ${typeof w === 'string' ? w : w.vkey} is not an Ed25519 cosignature key (type 0x04)` };
		const lines = split.signatures.filter((s) => s.name === wk.name && equal(s.keyId, wk.keyId));
		if (!lines.length) {
			missing.push(wk.name);
			continue;
		}
		for (const s of lines) {
			const timestamp = await verifyCosignature(split.body, s, wk);
			if (timestamp === null) return { ok: false, reason: `the cosignature of witness ${wk.name} does not verify` };
			cosignatures.push({ name: wk.name, vkey: wk.vkey, timestamp });
		}
	}
	return { ok: true, checkpoint, body: split.body, cosignatures, missing };
}

export const keyIdHex = (k: VerifierKey) => toHex(k.keyId);
