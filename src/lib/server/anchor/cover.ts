import { and, isNull, lt, sql } from 'drizzle-orm';
import type { Tx } from '#lib/server/db/client';
import { certificatesForAnchoring } from '#lib/server/certificates';
import { checkpointAt, inclusionProof } from '#lib/server/log';
import { certificateAnchored, enqueueNotification } from '#lib/server/notifications';
import { setAnchoring } from '#lib/server/proofs';
import { anchorCertificates, type Anchor } from './schema';

const txLink = (a: Pick<Anchor, 'txHash' | 'chainId'>) => `tx ${a.txHash} on chain ${a.chainId}`;

/**
 * Certificates waiting for an anchor whose leaf this confirmed anchor's tree
 * covers get it, with the inclusion proof of their leaf to its root, and their
 * proofs become CERTIFIED (timeline) and `certificate.anchored` goes out for
 * each valid one (outbox, same transaction; keyed by certificate, so a
 * certificate anchored again after a reorganisation notifies once).
 * Certificates covered already keep their anchor: each is anchored once. Runs when an anchor is confirmed, and for
 * certificates whose job arrived after their anchor was.
 */
export async function coverWaiting(tx: Tx, actor: string, a: Anchor): Promise<number> {
	const waiting = await tx
		.select({ id: anchorCertificates.certificateId, proofId: anchorCertificates.proofId, leaf: anchorCertificates.leafIndex })
		.from(anchorCertificates)
		.where(and(isNull(anchorCertificates.anchorId), lt(anchorCertificates.leafIndex, a.treeSize)))
		.for('update');
	if (!waiting.length) return 0;
	if (!(await checkpointAt(tx, a.treeSize))) throw new Error(`the log has no checkpoint of the anchored tree size ${a.treeSize}`);
	const rows: { id: string; inclusion: string[] }[] = [];
	for (const w of waiting) rows.push({ id: w.id, inclusion: (await inclusionProof(tx, w.leaf, a.treeSize, { treeSize: a.treeSize })).hashes });
	await tx.execute(sql`
		update ${anchorCertificates} c set anchor_id = ${a.id}, inclusion = v.inclusion, anchored_at = now()
		from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id uuid, inclusion jsonb)
		where c.certificate_id = v.id and c.anchor_id is null`);
	await setAnchoring(
		tx,
		waiting.map((w) => w.proofId),
		'anchored',
		`anchored: ${txLink(a)}, block ${a.blockNumber}, log tree size ${a.treeSize}`,
		actor
	);
	const anchoredAt = new Date();
	const facts = await certificatesForAnchoring(tx, waiting.map((w) => w.id));
	await enqueueNotification(tx, facts.filter((c) => c.status === 'valid').map((c) => certificateAnchored(c, a, anchoredAt)));
	return waiting.length;
}

