import { fromBase64, fromUtf8, sha256Hex, toBase64, toHex, utf8 } from './bytes';
import { checkSignature, fail, Failure } from './cms';
import { certificateEntry } from './entry';
import { leafHash, verifyInclusion } from './merkle';
import { verifyCheckpointNote, type Cosignature } from './note';
import { embeddedFile, latin1, PdfDocument } from './pdf';
import { BUNDLE_FILE_NAME, BUNDLE_FORMAT, bundleSchema, type BundleAnchor, type VerificationBundle, type VerificationKeys } from './schemas';

/**
 * Verification of a certificate PDF with nothing but the published keys:
 * the same code runs in the browser (/verify), in the standalone
 * wipecert-verify.mjs, in `npm run verify` and behind the upload API.
 * Checks, in order, and says which failed:
 * 1. signature — the PAdES signature (cms.ts);
 * 2. record — the embedded verification bundle is inside the signed range
 *    and its canonical record names this certificate;
 * 3. checkpoint — the embedded checkpoint verifies with the published log key;
 * 4. witnesses — when witness keys are known: their cosignatures verify
 *    (and a witness the reader requires has cosigned);
 * 5. inclusion — the record's log leaf is in the tree of that checkpoint.
 * online.ts adds what needs the platform: consistency with the newest
 * checkpoint, the issued record, revocation.
 */

export type CheckName = 'signature' | 'record' | 'checkpoint' | 'witnesses' | 'inclusion' | 'consistency' | 'registry' | 'status';
export type Check = { check: CheckName; ok: boolean; detail: string };
export type PdfVerdict = {
	valid: boolean;
	/** the first failed check, when not valid */
	failed: CheckName | null;
	reason: string | null;
	checks: Check[];
	publicId: string | null;
	leafIndex: number | null;
	treeSize: number | null;
	/** base64 root hash and origin of the embedded checkpoint */
	rootHash: string | null;
	origin: string | null;
	signerKeyId: string | null;
	/** the canonical record bytes (UTF-8 JSON) when the bundle could be read */
	record: string | null;
	recordSha256: string | null;
	timestamped: boolean;
	/** genTime of the RFC 3161 signature timestamp, when there is one */
	timestampedAt: string | null;
	cosignatures: Cosignature[];
	/**
	 * The blockchain anchor the signed bundle claims for its checkpoint, when it
	 * has one. Here it is only read (and must name the signed checkpoint):
	 * whether the chain holds it is the `--rpc` check of `npm run verify`.
	 */
	anchor: BundleAnchor | null;
};

export type VerifyOptions = {
	/** witness vkeys (type 0x04) whose cosignature the reader requires */
	requireWitnesses?: string[];
};

/** The embedded verification bundle (Names → EmbeddedFiles). */
async function readBundle(pdf: Uint8Array): Promise<VerificationBundle> {
	let bytes: Uint8Array | null;
	try {
		bytes = await embeddedFile(new PdfDocument(pdf), BUNDLE_FILE_NAME);
	} catch {
		return fail('the file is not a readable PDF');
	}
	if (!bytes) return fail('the certificate carries no verification bundle');
	let json: unknown;
	try {
		json = JSON.parse(fromUtf8(bytes));
	} catch {
		return fail('the verification bundle is not JSON');
	}
	const b = bundleSchema.safeParse(json);
	if (!b.success) return fail('the verification bundle has an unknown format');
	return b.data;
}

/** Adds a failed check to a verdict (the first failure names the verdict). */
export function failCheck(verdict: PdfVerdict, check: CheckName, detail: string): void {
	verdict.checks.push({ check, ok: false, detail });
	verdict.valid = false;
	verdict.failed ??= check;
	verdict.reason ??= detail;
}

export async function verifyCertificatePdf(pdf: Uint8Array, keys: VerificationKeys, o: VerifyOptions = {}): Promise<PdfVerdict> {
	const checks: Check[] = [];
	const verdict: PdfVerdict = { valid: false, failed: null, reason: null, checks, publicId: null, leafIndex: null, treeSize: null, rootHash: null, origin: null, signerKeyId: null, record: null, recordSha256: null, timestamped: false, timestampedAt: null, cosignatures: [], anchor: null };
	const step = async <T>(check: CheckName, ok: string | ((r: T) => string), fn: () => T | Promise<T>): Promise<T> => {
		try {
			const r = await fn();
			checks.push({ check, ok: true, detail: typeof ok === 'string' ? ok : ok(r) });
			return r;
		} catch (e) {
			// anything a crafted file makes the parsers throw is a refusal of that check, never a crash
			const detail = e instanceof Failure ? e.message : `the file is malformed (${(e as Error).message})`;
			failCheck(verdict, check, detail);
			throw new Failure(detail);
		}
	};
	try {
		const text = latin1(pdf);
		const sig = await step('signature', 'the PAdES signature is valid and made with a published key', () => checkSignature(pdf, text, keys));
		verdict.signerKeyId = sig.keyId;
		verdict.timestamped = sig.timestamped;
		verdict.timestampedAt = sig.timestampedAt;
		const bundle = await step('record', 'the signed file carries the certificate record', async () => {
			const b = await readBundle(pdf);
			let record: { certificateId?: unknown };
			try {
				record = JSON.parse(b.record);
			} catch {
				return fail('the embedded record is not JSON');
			}
			if (record.certificateId !== b.publicId) fail('the embedded record belongs to another certificate');
			return b;
		});
		verdict.publicId = bundle.publicId;
		verdict.record = bundle.record;
		verdict.recordSha256 = await sha256Hex(utf8(bundle.record));
		verdict.leafIndex = bundle.leafIndex;
		verdict.anchor = bundle.anchor ?? null;
		const known = (keys.logWitnesses ?? []).map((w) => w.vkey);
		const required = o.requireWitnesses ?? [];
		const witnesses = [...new Set([...known, ...required])];
		const cp = await step('checkpoint', 'the log checkpoint is signed by the published log key', async () => {
			const v = await verifyCheckpointNote(bundle.checkpoint, keys.logVerifierKey, { witnesses });
			if (!v.ok) return fail(v.reason);
			if (v.checkpoint.treeSize !== bundle.inclusion.treeSize) fail('the checkpoint is of another tree size than the inclusion proof');
			const a = bundle.anchor;
			if (a && (a.treeSize !== v.checkpoint.treeSize || a.rootHash.slice(2).toLowerCase() !== toHex(v.checkpoint.rootHash)))
				fail('the anchor in the bundle is of another checkpoint than the signed one');
			return v;
		});
		verdict.treeSize = cp.checkpoint.treeSize;
		verdict.rootHash = toBase64(cp.checkpoint.rootHash);
		verdict.origin = cp.checkpoint.origin;
		verdict.cosignatures = cp.cosignatures;
		if (witnesses.length) {
			await step(
				'witnesses',
				() => (cp.cosignatures.length ? `cosigned by ${cp.cosignatures.map((c) => `${c.name} (${new Date(c.timestamp * 1000).toISOString()})`).join(', ')}` : 'no witness had cosigned this checkpoint when the PDF was made'),
				async () => {
					const missing = [];
					for (const r of required) {
						const name = r.trim().split('+')[0];
						if (!cp.cosignatures.some((c) => c.vkey === r.trim())) missing.push(name);
					}
					if (missing.length) fail(`the checkpoint is not cosigned by the required witness ${missing.join(', ')}`);
				}
			);
		}
		await step('inclusion', `the record is entry ${bundle.leafIndex} of the transparency log (tree size ${cp.checkpoint.treeSize})`, async () => {
			const hashes = bundle.inclusion.hashes.map((h) => fromBase64(h) ?? fail('the inclusion proof is malformed'));
			const leaf = bundle.format === BUNDLE_FORMAT ? certificateEntry(bundle.publicId, verdict.recordSha256!) : utf8(bundle.record);
			if (!(await verifyInclusion(bundle.leafIndex, cp.checkpoint.treeSize, await leafHash(leaf), hashes, cp.checkpoint.rootHash))) fail('the inclusion proof does not lead to the signed checkpoint');
		});
		verdict.valid = true;
	} catch (e) {
		if (!(e instanceof Failure)) throw e;
	}
	return verdict;
}
