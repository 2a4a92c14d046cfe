import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { checkpointAt } from '#lib/server/log';
import type { BundleAnchor } from './bundle';
import { batchReads, issueCertificatePdf, type AnchoredRender, type PdfDeps } from './issue-pdf';
import { certificates } from './schema';

/** What anchoring needs to know of a certificate: its proof (the state to move) and its log leaf (which anchor covers it). */
export type AnchoringFacts = { id: string; tenantId: string; publicId: string; proofId: string; logIndex: number | null; status: (typeof certificates.$inferSelect)['status'] };

export async function certificatesForAnchoring(db: DbOrTx, ids: string[]): Promise<AnchoringFacts[]> {
	if (!ids.length) return [];
	return db
		.select({ id: certificates.id, tenantId: certificates.tenantId, publicId: certificates.publicId, proofId: certificates.proofId, logIndex: certificates.logIndex, status: certificates.status })
		.from(certificates)
		.where(inArray(certificates.id, ids));
}

/**
 * Re-renders and re-signs the PDFs of certificates whose log checkpoint is
 * anchored on chain: the same layout and PAdES signature as at issuance, with
 * the anchor (chain id, contract, transaction, block number, hash and time)
 * on the page and in the embedded bundle, whose inclusion proof then leads to
 * the anchored checkpoint. The new PDF gets a key of its own and becomes the
 * one the downloads serve; the earlier PDF stays stored and valid. A revoked
 * certificate keeps the PDF it had. Two at a time, like issuance; returns the
 * new object key per certificate id.
 */
export async function reissueAnchoredPdfs(deps: PdfDeps, items: { certificateId: string; anchor: BundleAnchor }[]): Promise<Map<string, string>> {
	const out = new Map<string, string>();
	if (!items.length) return out;
	const rows = await deps.db.select().from(certificates).where(inArray(certificates.id, items.map((i) => i.certificateId)));
	const byId = new Map(rows.map((c) => [c.id, c]));
	const reads = batchReads(deps);
	const checkpoints = new Map<number, AnchoredRender['checkpoint']>();
	const queue = items.filter((i) => byId.get(i.certificateId)?.status === 'valid');
	const worker = async () => {
		for (let item = queue.shift(); item; item = queue.shift()) {
			const c = byId.get(item.certificateId)!;
			const size = item.anchor.treeSize;
			let checkpoint = checkpoints.get(size);
			if (!checkpoint) checkpoints.set(size, (checkpoint = checkpointAt(deps.db, size)));
			const { key } = await issueCertificatePdf(deps, c, reads, { anchor: item.anchor, checkpoint });
			// only a still-valid certificate moves to the new PDF (a revocation meanwhile keeps its own)
			await deps.db
				.update(certificates)
				.set({ pdfObjectKey: key })
				.where(and(eq(certificates.id, c.id), eq(certificates.status, 'valid'), sql`${certificates.pdfObjectKey} is distinct from ${key}`));
			out.set(c.id, key);
		}
	};
	await Promise.all([worker(), worker()]);
	return out;
}
