import { createHash, createPublicKey, verify } from 'node:crypto';

/**
 * C2SP signed notes (https://c2sp.org/signed-note) carrying C2SP checkpoints
 * (https://c2sp.org/tlog-checkpoint), pure (no database): the log signs them,
 * the verify page and the offline CLI check them.
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n
 *   \n
 *   — <key name> <base64(4-byte key hash ‖ Ed25519 signature)>\n
 */

export type Checkpoint = { origin: string; treeSize: number; rootHash: Uint8Array };

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array | null => {
	if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
	return new Uint8Array(Buffer.from(s, 'base64'));
};

/** The note body the log signs (C2SP tlog-checkpoint: origin, decimal size, base64 root; each line ends in \n). */
export function checkpointBody(c: Checkpoint): string {
	if (!c.origin || c.origin.includes('\n')) throw new Error('a checkpoint origin is one non-empty line');
	return `${c.origin}\n${c.treeSize}\n${b64(c.rootHash)}\n`;
}

/** Appends one signature line to a note body. */
export function signedNote(body: string, sig: { keyName: string; keyHash: Uint8Array; signature: Uint8Array }): string {
	return `${body}\n\u2014 ${sig.keyName} ${b64(new Uint8Array([...sig.keyHash, ...sig.signature]))}\n`;
}

/** signed-note key hash: first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ Ed25519 public key). */
export function noteKeyHash(name: string, publicKey: Uint8Array): Uint8Array {
	return new Uint8Array(createHash('sha256').update(name).update('\n').update(Uint8Array.of(0x01)).update(publicKey).digest().subarray(0, 4));
}

/** A verifier key `name+hex key hash+base64(0x01 ‖ public key)` (signed-note "vkey"). */
export function parseVerifierKey(vkey: string): { name: string; keyHash: Uint8Array; publicKey: Uint8Array } | null {
	const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey.trim());
	if (!m) return null;
	const raw = unb64(m[3]);
	if (!raw || raw.length !== 33 || raw[0] !== 0x01) return null;
	const publicKey = raw.subarray(1);
	const keyHash = new Uint8Array(Buffer.from(m[2], 'hex'));
	if (Buffer.compare(Buffer.from(noteKeyHash(m[1], publicKey)), Buffer.from(keyHash)) !== 0) return null;
	return { name: m[1], keyHash, publicKey };
}

export function verifierKey(name: string, publicKey: Uint8Array): string {
	return `${name}+${Buffer.from(noteKeyHash(name, publicKey)).toString('hex')}+${b64(new Uint8Array([0x01, ...publicKey]))}`;
}

/** Parses a checkpoint body (first three lines; further lines are extensions and ignored). */
export function parseCheckpointBody(body: string): Checkpoint | null {
	const lines = body.split('\n');
	if (lines.length < 4 || lines[lines.length - 1] !== '') return null;
	const [origin, size, root] = lines;
	if (!origin || !/^(0|[1-9]\d{0,15})$/.test(size)) return null;
	const rootHash = unb64(root);
	if (!rootHash || rootHash.length !== 32) return null;
	const treeSize = Number(size);
	if (!Number.isSafeInteger(treeSize)) return null;
	return { origin, treeSize, rootHash };
}

export type CheckpointVerdict = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string };

/**
 * Verifies a signed checkpoint against a verifier key: the note must carry a
 * signature line of that key (name and key hash) whose Ed25519 signature
 * covers the body; unknown signature lines are ignored (signed-note §"Verifying").
 * `origin`, when given, must match the checkpoint's.
 */
export function verifyCheckpoint(note: string, vkey: string, origin?: string): CheckpointVerdict {
	const key = parseVerifierKey(vkey);
	if (!key) return { ok: false, reason: 'the log verifier key is malformed' };
	const split = note.lastIndexOf('\n\n');
	if (split < 0 || !note.endsWith('\n')) return { ok: false, reason: 'the checkpoint is not a signed note' };
	const body = note.slice(0, split + 1);
	const checkpoint = parseCheckpointBody(body);
	if (!checkpoint) return { ok: false, reason: 'the checkpoint body is malformed' };
	if (origin !== undefined && checkpoint.origin !== origin) return { ok: false, reason: `the checkpoint is of log "${checkpoint.origin}", not "${origin}"` };
	const sigLines = note.slice(split + 2, -1).split('\n');
	const publicKey = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(key.publicKey)]), format: 'der', type: 'spki' });
	for (const line of sigLines) {
		const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
		if (!m) return { ok: false, reason: 'the checkpoint has a malformed signature line' };
		if (m[1] !== key.name) continue;
		const raw = unb64(m[2]);
		if (!raw || raw.length !== 68) continue;
		if (Buffer.compare(Buffer.from(raw.subarray(0, 4)), Buffer.from(key.keyHash)) !== 0) continue;
		if (verify(null, Buffer.from(body, 'utf8'), publicKey, Buffer.from(raw.subarray(4)))) return { ok: true, checkpoint };
		return { ok: false, reason: 'the checkpoint signature does not verify with the published log key' };
	}
	return { ok: false, reason: 'the checkpoint carries no signature of the published log key' };
}
