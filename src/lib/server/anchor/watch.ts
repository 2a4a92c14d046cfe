import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { BlockNotFoundError, type Hex, type TransactionReceipt } from 'viem';
import type { Tx } from '#lib/server/db/client';
import { setAnchoring } from '#lib/server/proofs';
import { coverWaiting } from './cover';
import { broadcast, ChainUnavailable, chainMessage, knowsTransaction, receiptOf, rpc } from './chain';
import type { AnchorDeps } from './deps';
import { anchorCertificates, anchorEvents, anchors, OPEN_ANCHOR_STATUSES, type Anchor } from './schema';

export type WatchResult = { included: number; confirmed: number; final: number; reorgs: number; resent: number; reverted: number; dropped: number };

async function event(tx: Tx | AnchorDeps['db'], anchorId: number, kind: string, detail: string, block?: { number: number | null; hash: string | null }) {
	await tx.insert(anchorEvents).values({ anchorId, kind, detail, blockNumber: block?.number ?? null, blockHash: block?.hash ?? null });
}

const txLink = (a: Pick<Anchor, 'txHash' | 'chainId'>) => `tx ${a.txHash} on chain ${a.chainId}`;

/** Open anchors of this chain and contract, oldest nonce first (a re-broadcast must fill the lowest gap first). */
export function openAnchors(deps: AnchorDeps): Promise<Anchor[]> {
	return deps.db
		.select()
		.from(anchors)
		.where(and(eq(anchors.chainId, deps.settings.chainId), eq(anchors.contract, deps.settings.contract.toLowerCase()), inArray(anchors.status, [...OPEN_ANCHOR_STATUSES])))
		.orderBy(asc(anchors.nonce));
}

async function onReceipt(deps: AnchorDeps, a: Anchor, receipt: TransactionReceipt, r: WatchResult): Promise<Anchor> {
	const block = { number: Number(receipt.blockNumber), hash: receipt.blockHash };
	if (receipt.status !== 'success') {
		// the contract refused it (a stale tree size: the chain holds this head or a newer one already); its certificates wait for the next anchor
		await deps.db.transaction(async (tx) => {
			await tx.update(anchors).set({ status: 'reverted', blockNumber: block.number, blockHash: block.hash, gasUsed: Number(receipt.gasUsed), lastError: 'the contract refused the anchor', updatedAt: sql`now()` }).where(eq(anchors.id, a.id));
			await event(tx, a.id, 'reverted', `${txLink(a)} reverted in block ${block.number}: the contract refused tree size ${a.treeSize}`, block);
		});
		r.reverted++;
		return { ...a, status: 'reverted' };
	}
	const header = await rpc(`block ${block.hash}`, () => deps.client.getBlock({ blockHash: block.hash }));
	const blockTime = new Date(Number(header.timestamp) * 1000);
	const fee = (receipt.gasUsed * receipt.effectiveGasPrice).toString();
	const [updated] = await deps.db.transaction(async (tx) => {
		const u = await tx
			.update(anchors)
			.set({ status: 'included', blockNumber: block.number, blockHash: block.hash, blockTime, gasUsed: Number(receipt.gasUsed), feeWei: fee, lastError: null, updatedAt: sql`now()` })
			.where(eq(anchors.id, a.id))
			.returning();
		await event(tx, a.id, 'included', `${txLink(a)} included in block ${block.number} (gas ${receipt.gasUsed}, fee ${fee} wei)`, block);
		return u;
	});
	r.included++;
	return updated;
}

/**
 * The anchor's block left the chain (a reorganisation): its certificates go
 * back to waiting and their proofs back to CERTIFIED_PENDING_ANCHOR (timeline),
 * and the same signed transaction is broadcast again. Same bytes, same nonce:
 * it can be included once at most, never next to a second anchor of its own.
 */
async function reorganised(deps: AnchorDeps, a: Anchor, why: string, r: WatchResult): Promise<Anchor> {
	const old = { number: a.blockNumber, hash: a.blockHash };
	const [updated] = await deps.db.transaction(async (tx) => {
		if (a.status === 'confirmed') {
			const uncovered = await tx
				.update(anchorCertificates)
				.set({ anchorId: null, inclusion: null, anchoredAt: null })
				.where(eq(anchorCertificates.anchorId, a.id))
				.returning({ proofId: anchorCertificates.proofId });
			await setAnchoring(tx, uncovered.map((u) => u.proofId), 'pending', `anchor ${a.txHash} left the chain with block ${a.blockNumber} (reorganisation); re-submitting`, deps.actor);
		}
		await event(tx, a.id, 'reorg', `block ${a.blockNumber} (${a.blockHash}) of ${txLink(a)} ${why}`, old);
		return tx
			.update(anchors)
			.set({ status: 'sent', blockNumber: null, blockHash: null, blockTime: null, gasUsed: null, feeWei: null, confirmedAt: null, reorgs: sql`${anchors.reorgs} + 1`, updatedAt: sql`now()` })
			.where(eq(anchors.id, a.id))
			.returning();
	});
	r.reorgs++;
	return updated;
}

async function resend(deps: AnchorDeps, a: Anchor, r: WatchResult): Promise<Anchor> {
	const outcome = await broadcast(deps.client, a.rawTx as Hex);
	if (outcome === 'nonce_used') {
		const receipt = await receiptOf(deps.client, a.txHash as Hex);
		if (receipt) return onReceipt(deps, a, receipt, r);
		// the nonce went to another transaction of this account (not one of ours: each nonce signs one anchor)
		await deps.db.transaction(async (tx) => {
			await tx.update(anchors).set({ status: 'dropped', lastError: `nonce ${a.nonce} was used by another transaction`, updatedAt: sql`now()` }).where(eq(anchors.id, a.id));
			await event(tx, a.id, 'dropped', `nonce ${a.nonce} of ${a.fromAddress} was spent by another transaction; the certificates wait for the next anchor`);
		});
		r.dropped++;
		return { ...a, status: 'dropped' };
	}
	const [updated] = await deps.db.transaction(async (tx) => {
		await event(tx, a.id, a.status === 'signed' ? 'sent' : 're-sent', `${txLink(a)} ${a.status === 'signed' ? 'broadcast' : 'broadcast again'} (${outcome})`);
		return tx.update(anchors).set({ status: 'sent', sentAt: sql`coalesce(${anchors.sentAt}, now())`, lastError: null, updatedAt: sql`now()` }).where(eq(anchors.id, a.id)).returning();
	});
	if (a.status !== 'signed') r.resent++;
	return updated;
}

async function canonicalHash(deps: AnchorDeps, blockNumber: number): Promise<Hex | null> {
	try {
		return (await deps.client.getBlock({ blockNumber: BigInt(blockNumber) })).hash;
	} catch (error) {
		if (error instanceof BlockNotFoundError) return null;
		throw new ChainUnavailable(`block ${blockNumber}: ${chainMessage(error)}`, { cause: error });
	}
}

/**
 * One look at every open anchor, oldest nonce first:
 * - signed/sent without a receipt: broadcast (again) when the node does not know it;
 * - a receipt: included (or reverted: the contract refused it);
 * - included/confirmed: the block at its height must still be its block, else
 *   reorganised (above); CHAIN_CONFIRMATIONS deep → confirmed (certificates
 *   anchored); CHAIN_FINALITY_BLOCKS deep → final, no longer checked.
 */
export async function watchAnchors(deps: AnchorDeps, latest: number): Promise<WatchResult> {
	const r: WatchResult = { included: 0, confirmed: 0, final: 0, reorgs: 0, resent: 0, reverted: 0, dropped: 0 };
	const { confirmations, finality } = deps.settings;
	for (let a of await openAnchors(deps)) {
		if (a.status === 'included' || a.status === 'confirmed') {
			const hash = await canonicalHash(deps, a.blockNumber!);
			if (hash !== a.blockHash) {
				const receipt = await receiptOf(deps.client, a.txHash as Hex);
				a = await reorganised(deps, a, receipt ? `was replaced; the transaction is now in block ${receipt.blockNumber}` : 'is no longer on the chain', r);
				a = receipt ? await onReceipt(deps, a, receipt, r) : await resend(deps, a, r);
			}
		}
		if (a.status === 'signed' || a.status === 'sent') {
			const receipt = await receiptOf(deps.client, a.txHash as Hex);
			if (receipt) a = await onReceipt(deps, a, receipt, r);
			else if (a.status === 'signed' || !(await knowsTransaction(deps.client, a.txHash as Hex))) a = await resend(deps, a, r);
		}
		if (a.status !== 'included' && a.status !== 'confirmed') continue;
		const depth = latest - a.blockNumber! + 1;
		if (a.status === 'included' && depth >= confirmations) {
			const current = a;
			await deps.db.transaction(async (tx) => {
				const [moved] = await tx
					.update(anchors)
					.set({ status: 'confirmed', confirmedAt: sql`now()`, updatedAt: sql`now()` })
					.where(and(eq(anchors.id, current.id), eq(anchors.status, 'included')))
					.returning();
				if (!moved) return;
				const covered = await coverWaiting(tx, deps.actor, moved);
				await event(tx, current.id, 'confirmed', `${depth} confirmations; ${covered} certificates anchored at tree size ${current.treeSize}`, { number: current.blockNumber, hash: current.blockHash });
			});
			a = { ...a, status: 'confirmed' };
			r.confirmed++;
		}
		if (a.status === 'confirmed' && depth >= finality) {
			await deps.db.transaction(async (tx) => {
				await tx.update(anchors).set({ status: 'final', updatedAt: sql`now()` }).where(and(eq(anchors.id, a.id), eq(anchors.status, 'confirmed')));
				await event(tx, a.id, 'final', `${depth} blocks deep: no longer re-checked`, { number: a.blockNumber, hash: a.blockHash });
			});
			r.final++;
		}
	}
	return r;
}

/** Certificates whose job arrived after an anchor above their leaf was confirmed: covered by the lowest such anchor at once. */
export async function adoptLate(deps: AnchorDeps): Promise<number> {
	const [w] = await deps.db.select({ min: sql<number | null>`min(${anchorCertificates.leafIndex})` }).from(anchorCertificates).where(isNull(anchorCertificates.anchorId));
	if (w?.min === null || w?.min === undefined) return 0;
	const covering = await deps.db
		.select()
		.from(anchors)
		.where(and(eq(anchors.chainId, deps.settings.chainId), eq(anchors.contract, deps.settings.contract.toLowerCase()), inArray(anchors.status, ['confirmed', 'final']), gt(anchors.treeSize, Number(w.min))))
		.orderBy(asc(anchors.treeSize));
	let n = 0;
	for (const a of covering) n += await deps.db.transaction((tx) => coverWaiting(tx, deps.actor, a));
	return n;
}
