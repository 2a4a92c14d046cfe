import { and, eq, inArray, isNull, notInArray, sql } from 'drizzle-orm';
import type { Hex } from 'viem';
import { latestCheckpoint } from '#lib/server/log';
import { anchorCalldata, broadcast, originHash, rootHex, rpc } from './chain';
import type { AnchorDeps } from './deps';
import { anchorCertificates, anchorEvents, anchors, anchorState, chainNonces } from './schema';
import { chainFees, estimateAnchorGas, transaction } from './transactions';
import { lastSubmittedAt, submissionDue } from './wake';

export type SubmitResult = { submitted: false; reason: string } | { submitted: true; anchorId: number; treeSize: number; nonce: number; txHash: Hex; sent: boolean };

/** Anchors of this chain, contract and log (tree sizes only grow along them). */
const ofThisLog = (deps: AnchorDeps) =>
	and(eq(anchors.chainId, deps.settings.chainId), eq(anchors.contract, deps.settings.contract.toLowerCase()), eq(anchors.origin, deps.settings.origin));

/**
 * Sends one anchor of the newest signed checkpoint when certificates wait that
 * no sent anchor covers and a transaction is due (ANCHOR_INTERVAL since the
 * last, or ANCHOR_MAX_PENDING waiting). The transaction is signed and stored
 * with its nonce before it is broadcast: a crash after that re-broadcasts the
 * same bytes (watchAnchors), and the nonce is never handed out twice. The
 * nonce is the larger of the stored next nonce and the node's pending count,
 * so transactions sent from this account elsewhere are stepped over.
 */
export async function submitDue(deps: AnchorDeps, from: Hex): Promise<SubmitResult> {
	const [w] = await deps.db
		.select({ n: sql<number>`count(*)::int`, maxLeaf: sql<number | null>`max(${anchorCertificates.leafIndex})` })
		.from(anchorCertificates)
		.where(isNull(anchorCertificates.anchorId));
	if (!w.n || w.maxLeaf === null) return { submitted: false, reason: 'no certificate waits' };
	const maxLeaf = Number(w.maxLeaf);
	const [live] = await deps.db
		.select({ inflight: sql<number | null>`max(${anchors.treeSize}) filter (where ${anchors.status} in ('signed', 'sent', 'included'))`, any: sql<number | null>`max(${anchors.treeSize})` })
		.from(anchors)
		.where(and(ofThisLog(deps), notInArray(anchors.status, ['reverted', 'dropped'])));
	if (live.inflight !== null && Number(live.inflight) > maxLeaf) return { submitted: false, reason: 'an anchor on its way covers every waiting certificate' };
	if (submissionDue(await lastSubmittedAt(deps.db), w.n, deps.settings).getTime() > Date.now()) return { submitted: false, reason: 'not due yet (ANCHOR_INTERVAL)' };
	const cp = await latestCheckpoint(deps.db);
	if (!cp || cp.treeSize <= maxLeaf) throw new Error('the newest log checkpoint does not cover the waiting certificates');
	if (live.any !== null && cp.treeSize <= Number(live.any)) return { submitted: false, reason: `tree size ${cp.treeSize} is anchored or on its way already` };

	const { settings } = deps;
	const args = [originHash(settings.origin), BigInt(cp.treeSize), rootHex(cp.rootHash)] as const;
	const gas = await estimateAnchorGas(deps.client, from, settings.contract, args, settings);
	const fees = await chainFees(deps.client, settings);
	const pending = await rpc('pending nonce', () => deps.client.getTransactionCount({ address: from, blockTag: 'pending' }));
	const data = anchorCalldata(settings.origin, cp.treeSize, cp.rootHash);

	const anchor = await deps.db.transaction(async (tx) => {
		await tx.insert(chainNonces).values({ chainId: settings.chainId, address: from.toLowerCase(), nextNonce: pending }).onConflictDoNothing();
		const [row] = await tx
			.select()
			.from(chainNonces)
			.where(and(eq(chainNonces.chainId, settings.chainId), eq(chainNonces.address, from.toLowerCase())))
			.for('update');
		const nonce = Math.max(row.nextNonce, pending);
		const signed = await deps.signer.signTransaction(transaction({ chainId: settings.chainId, nonce, to: settings.contract, data, gas }, fees));
		const [a] = await tx
			.insert(anchors)
			.values({
				chainId: settings.chainId,
				contract: settings.contract.toLowerCase(),
				fromAddress: from.toLowerCase(),
				origin: settings.origin,
				treeSize: cp.treeSize,
				rootHash: rootHex(cp.rootHash),
				nonce,
				txHash: signed.hash,
				rawTx: signed.raw,
				status: 'signed'
			})
			.returning();
		await tx.update(chainNonces).set({ nextNonce: nonce + 1, updatedAt: sql`now()` }).where(and(eq(chainNonces.chainId, settings.chainId), eq(chainNonces.address, from.toLowerCase())));
		await tx.update(anchorState).set({ lastSubmittedAt: sql`now()` }).where(eq(anchorState.id, 1));
		await tx.insert(anchorEvents).values({ anchorId: a.id, kind: 'signed', detail: `tree size ${cp.treeSize} (${w.n} certificates waiting), nonce ${nonce}, gas ≤ ${gas}` });
		return a;
	});

	// stored first: from here on a crash only means the next look re-broadcasts these bytes
	const outcome = await broadcast(deps.client, anchor.rawTx as Hex);
	if (outcome !== 'nonce_used') {
		await deps.db.transaction(async (tx) => {
			await tx.update(anchors).set({ status: 'sent', sentAt: sql`now()`, updatedAt: sql`now()` }).where(and(eq(anchors.id, anchor.id), inArray(anchors.status, ['signed'])));
			await tx.insert(anchorEvents).values({ anchorId: anchor.id, kind: 'sent', detail: `tx ${anchor.txHash} broadcast (${outcome})` });
		});
	}
	return { submitted: true, anchorId: anchor.id, treeSize: cp.treeSize, nonce: anchor.nonce, txHash: anchor.txHash as Hex, sent: outcome !== 'nonce_used' };
}
