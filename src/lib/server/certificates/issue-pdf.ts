import type { Db } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { appendLeaves, inclusionProof, latestCheckpoint, leafHash, leafHashAt, leafIndexOf, requestCosignatures, type LogDeps, type WitnessDeps } from '#lib/server/log';
import { certificateEntry } from '#lib/verifier/entry';
import type { Signer } from '#lib/server/signer/types';
import type { ObjectStore } from '#lib/server/storage';
import { getTenantLogo, getTenantSettings } from '#lib/server/tenancy';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_RECORD_LEAF, type BundleAnchor, type VerificationBundle } from './bundle';
import { completeSignature, prepareSignature, type PendingSignature } from './pades';
import { buildCertificatePdf } from './pdf';
import { PDF_LABELS } from './pdf-labels';
import { canonicalJson, canonicalRecordBytes, recordSha256, type CertificateRecord } from '#lib/server/records';
import type { Certificate } from './schema';

export type PdfDeps = { db: Db; storage: ObjectStore; signer: Pick<Signer, 'signPdfDigest' | 'signPdfDigests'>; origin: string; tsaUrl?: string };

export const pdfObjectKey = (publicId: string) => `certificates/${publicId}.pdf`;
/** A PDF re-rendered with its anchor gets a key of its own: the earlier PDF stays stored and valid. */
export const anchoredPdfObjectKey = (publicId: string, anchor: Pick<BundleAnchor, 'chainId' | 'treeSize'>) => `certificates/${publicId}.anchored-${anchor.chainId}-${anchor.treeSize}.pdf`;

/** A re-render after anchoring: the anchor, and the signed checkpoint of its tree size the inclusion proof leads to. */
export type AnchoredRender = { anchor: BundleAnchor; checkpoint: Promise<Awaited<ReturnType<typeof latestCheckpoint>>> };

/** The verification bundle of a logged certificate: its leaf index and an inclusion proof to the newest checkpoint. */
export async function verificationBundle(
	db: Db,
	c: Pick<Certificate, 'publicId' | 'record'> & { logIndex?: number | null; recordSha256?: string },
	origin: string,
	/** the newest checkpoint when the caller read it already (one read per batch) */
	newest?: Promise<Awaited<ReturnType<typeof latestCheckpoint>>>
): Promise<{ bundle: VerificationBundle; checkpoint: { treeSize: number; rootHash: string } }> {
	const entryLeaf = leafHash(logEntryOf(c));
	// a certificate's log_index is the leaf its entry was appended as (appendLeaves); only a caller without it searches by hash
	const [found, cp] = await Promise.all([c.logIndex ?? leafIndexOf(db, entryLeaf).then((i) => i ?? leafIndexOf(db, leafHash(canonicalRecordBytes(c.record)))), newest ?? latestCheckpoint(db)]);
	const leafIndex = found ?? null;
	if (leafIndex === null || !cp || cp.treeSize <= leafIndex) throw new Error(`certificate ${c.publicId} is not in the transparency log yet`);
	const [proof, stored] = await Promise.all([inclusionProof(db, leafIndex, cp.treeSize, cp), leafHashAt(db, leafIndex)]);
	// certificates logged before the entry encoding have the record itself as their leaf (bundle format 1)
	const format = stored && Buffer.from(stored).equals(Buffer.from(entryLeaf)) ? BUNDLE_FORMAT : BUNDLE_FORMAT_RECORD_LEAF;
	return {
		bundle: {
			format,
			publicId: c.publicId,
			record: canonicalJson(c.record),
			leafIndex,
			inclusion: { treeSize: proof.treeSize, hashes: proof.hashes },
			checkpoint: cp.note,
			verifyUrl: `${origin}/verify/${c.publicId}`
		},
		checkpoint: { treeSize: cp.treeSize, rootHash: cp.rootHash }
	};
}

async function tenantLogo(db: Db, tenantId: string) {
	try {
		return await getTenantLogo(db, tenantId);
	} catch (e) {
		if (e instanceof ApiError) return null;
		throw e;
	}
}

/** What every certificate of a batch shares: its tenant's settings and logo, and the newest checkpoint (read once, lazily). */
export type BatchReads = { tenant(id: string): Promise<{ settings: Awaited<ReturnType<typeof getTenantSettings>>; logo: Awaited<ReturnType<typeof tenantLogo>> }>; checkpoint: Promise<Awaited<ReturnType<typeof latestCheckpoint>>> };

export function batchReads(deps: Pick<PdfDeps, 'db'>): BatchReads {
	const tenants = new Map<string, ReturnType<BatchReads['tenant']>>();
	let checkpoint: BatchReads['checkpoint'] | undefined;
	return {
		tenant(id) {
			let t = tenants.get(id);
			if (!t) {
				t = getTenantSettings(deps.db, id).then(async (settings) => ({ settings, logo: settings.hasLogo ? await tenantLogo(deps.db, id) : null }));
				tenants.set(id, t);
			}
			return t;
		},
		get checkpoint() {
			return (checkpoint ??= latestCheckpoint(deps.db));
		}
	};
}

/** One certificate's PDF laid out with its bundle, the signature's place fixed: what is left is the signer's CMS. */
async function preparedCertificatePdf(deps: PdfDeps, c: Certificate, batch: BatchReads, anchored?: AnchoredRender): Promise<{ key: string; pending: PendingSignature }> {
	const record = c.record;
	const { settings, logo } = await batch.tenant(c.tenantId);
	const { bundle, checkpoint } = await verificationBundle(deps.db, c, deps.origin, anchored?.checkpoint ?? batch.checkpoint);
	if (anchored && checkpoint.treeSize !== anchored.anchor.treeSize) throw new Error(`the log has no checkpoint of the anchored tree size ${anchored.anchor.treeSize}`);
	if (anchored) bundle.anchor = anchored.anchor;
	const issuedAt = new Date(record.issuedAt);
	const doc = await buildCertificatePdf({
		publicId: c.publicId,
		locale: settings.language,
		issuerName: record.issuer?.name || settings.name,
		logo,
		record,
		issuedAt,
		bundle,
		checkpoint,
		anchor: anchored?.anchor,
		operator: settings.certificateOperator
	});
	const pending = await prepareSignature(doc, { reason: PDF_LABELS[settings.language].title, name: 'WipeCert', location: new URL(deps.origin).host, date: new Date() });
	return { key: anchored ? anchoredPdfObjectKey(c.publicId, anchored.anchor) : pdfObjectKey(c.publicId), pending };
}

/**
 * Renders, signs (PAdES-B-B, B-T with TSA_URL) and stores one certificate's
 * PDF; returns its object key and the bytes. Idempotent per
 * certificate: the key is the public ID, a re-render replaces the object.
 */
export async function issueCertificatePdf(
	deps: PdfDeps,
	c: Certificate,
	batch: BatchReads = batchReads(deps),
	anchored?: AnchoredRender
): Promise<{ key: string; pdf: Uint8Array; keyId: string }> {
	const { key, pending } = await preparedCertificatePdf(deps, c, batch, anchored);
	const { keyId, cms } = await deps.signer.signPdfDigest(pending.digest);
	const pdf = await completeSignature(pending, cms, deps.tsaUrl);
	await deps.storage.put(key, pdf, { contentType: 'application/pdf' });
	return { key, pdf, keyId };
}

/** A certificate's log leaf: the entry committing to its record (verifier/entry.ts), not the record itself. */
export const logEntryOf = (c: Pick<Certificate, 'publicId' | 'record'> & { recordSha256?: string }) => certificateEntry(c.publicId, c.recordSha256 ?? recordSha256(c.record));

/**
 * Appends certificates' log entries to the transparency log as one batch;
 * leaf index per certificate id. With witnesses configured, the new
 * checkpoint is then offered to them (after the append committed: a witness
 * must never see a checkpoint the log could still roll back), so the PDFs
 * rendered next embed their cosignatures.
 */
export async function appendCertificatesToLog(deps: LogDeps & { witnesses?: Omit<WitnessDeps, 'db'> }, certs: Pick<Certificate, 'id' | 'publicId' | 'record' | 'recordSha256'>[]): Promise<Map<string, number>> {
	const idx = await appendLeaves(deps, certs.map(logEntryOf));
	if (deps.witnesses?.witnesses.length && idx.length) {
		const newest = await latestCheckpoint(deps.db);
		if (newest) await requestCosignatures({ db: deps.db, ...deps.witnesses }, newest.treeSize);
	}
	return new Map(certs.map((c, i) => [c.id, idx[i]]));
}

/** Runs `fn` over `items` two at a time (PDF work is CPU-bound: two overlap one's database and storage waits with the other's CPU). */
async function twoAtATime<T, R>(items: T[], fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
	const out: R[] = new Array(items.length);
	let next = 0;
	const worker = async () => {
		for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i], i);
	};
	await Promise.all([worker(), worker()]);
	return out;
}

/**
 * Renders, signs and stores the PDFs of a batch; object key per certificate
 * id. Tenant settings, logo and the newest checkpoint are read once per batch
 * (the batch's leaves were appended before, so that checkpoint covers them).
 * With a signer that signs several digests under one key lease (the
 * keyring: one lease in PostgreSQL per batch instead of one per PDF), every
 * PDF is laid out first, the digests signed in one call, then each PDF put
 * together and stored; a waiting PDF holds only its own objects (the
 * template's bytes are shared), a finished one is dropped once stored.
 * Otherwise (the remote signer) each PDF is signed on its own.
 */
export async function renderCertificatePdfs(deps: PdfDeps, certs: Certificate[]): Promise<Map<string, string>> {
	const reads = batchReads(deps);
	if (!certs.length) return new Map();
	if (!deps.signer.signPdfDigests) {
		const keys = await twoAtATime(certs, async (c) => (await issueCertificatePdf(deps, c, reads)).key);
		return new Map(certs.map((c, i) => [c.id, keys[i]]));
	}
	const prepared = await twoAtATime(certs, (c) => preparedCertificatePdf(deps, c, reads));
	const { cms } = await deps.signer.signPdfDigests(prepared.map((p) => p.pending.digest));
	if (cms.length !== prepared.length) throw new Error(`the signer returned ${cms.length} signatures for ${prepared.length} PDFs`);
	await twoAtATime(prepared, async (p, i) => deps.storage.put(p.key, await completeSignature(p.pending, cms[i], deps.tsaUrl), { contentType: 'application/pdf' }));
	return new Map(certs.map((c, i) => [c.id, prepared[i].key]));
}
