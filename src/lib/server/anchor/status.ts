import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { formatEther, getAddress, type Hex } from 'viem';
import type { DbOrTx } from '#lib/server/db/client';
import type { Logger } from '#lib/server/telemetry/logger';
import { anchorFailing, anchorPending } from '#lib/server/telemetry/metrics';
import { chainMessage } from './chain';
import type { AnchorRuntime } from './runtime';
import { anchorCertificates, anchors, anchorState, OPEN_ANCHOR_STATUSES } from './schema';

/** A block-explorer link from CHAIN_EXPLORER_TX_URL (`{txHash}` replaced), or null when none is configured. */
export const explorerUrl = (template: string | undefined, txHash: string): string | null => (template ? template.replaceAll('{txHash}', txHash) : null);

export type ChainStatus = {
	mode: 'noop' | 'dev' | 'evm';
	chainId: number | null;
	contract: string | null;
	account: string | null;
	node: { reachable: boolean; blockNumber: number | null; error: string | null };
	balanceWei: string | null;
	balance: string | null;
	confirmations: number;
	pendingCertificates: number;
	openAnchors: number;
	lastAnchor: { txHash: string; status: string; treeSize: number; blockNumber: number | null; blockTime: string | null; feeWei: string | null; reorgs: number; explorerUrl: string | null } | null;
	failure: { message: string; at: string; failures: number } | null;
};

/**
 * The console's chain card: the node (reachable, head block), the chain
 * account and its balance, the newest anchor, how many certificates wait, and
 * the last failure of the anchor worker while it has not had a good pass since.
 * The node is asked with the runtime's timeout; an unreachable node is shown,
 * not thrown.
 */
export async function chainStatus(
	db: DbOrTx,
	runtime: AnchorRuntime | null,
	opts: { mode: ChainStatus['mode']; confirmations: number; explorerTemplate?: string; account: () => Promise<Hex> }
): Promise<ChainStatus> {
	const [[pending], [open], [last], [state]] = await Promise.all([
		db.select({ n: sql<number>`count(*)::int` }).from(anchorCertificates).where(isNull(anchorCertificates.anchorId)),
		db.select({ n: sql<number>`count(*)::int` }).from(anchors).where(inArray(anchors.status, [...OPEN_ANCHOR_STATUSES])),
		db.select().from(anchors).where(and(...(runtime ? [eq(anchors.chainId, runtime.settings.chainId)] : []))).orderBy(desc(anchors.id)).limit(1),
		db.select().from(anchorState).where(eq(anchorState.id, 1))
	]);
	const status: ChainStatus = {
		mode: opts.mode,
		chainId: runtime?.settings.chainId ?? null,
		contract: runtime ? getAddress(runtime.settings.contract) : null,
		account: null,
		node: { reachable: false, blockNumber: null, error: null },
		balanceWei: null,
		balance: null,
		confirmations: opts.confirmations,
		pendingCertificates: pending?.n ?? 0,
		openAnchors: open?.n ?? 0,
		lastAnchor: last
			? {
					txHash: last.txHash,
					status: last.status,
					treeSize: last.treeSize,
					blockNumber: last.blockNumber,
					blockTime: last.blockTime?.toISOString() ?? null,
					feeWei: last.feeWei,
					reorgs: last.reorgs,
					explorerUrl: explorerUrl(opts.explorerTemplate, last.txHash)
				}
			: null,
		failure:
			state?.lastError && state.lastErrorAt && (!state.lastSuccessAt || state.lastSuccessAt < state.lastErrorAt)
				? { message: state.lastError, at: state.lastErrorAt.toISOString(), failures: state.failures }
				: null
	};
	if (!runtime) return status;
	try {
		const account = await opts.account();
		status.account = account;
		const [blockNumber, balance] = await Promise.all([runtime.client.getBlockNumber(), runtime.client.getBalance({ address: account })]);
		status.node = { reachable: true, blockNumber: Number(blockNumber), error: null };
		status.balanceWei = balance.toString();
		status.balance = formatEther(balance);
	} catch (error) {
		status.node = { reachable: false, blockNumber: null, error: chainMessage(error).slice(0, 300) };
	}
	return status;
}

/** /metrics: certificates waiting for an anchor and whether the worker's last pass failed, read at scrape time; a failed read is logged and leaves the last values (as for the queues). */
export async function collectAnchorMetrics(db: DbOrTx, log: Logger): Promise<void> {
	try {
		const [[pending], [state]] = await Promise.all([
			db.select({ n: sql<number>`count(*)::int` }).from(anchorCertificates).where(isNull(anchorCertificates.anchorId)),
			db.select().from(anchorState).where(eq(anchorState.id, 1))
		]);
		anchorPending.set(pending?.n ?? 0);
		anchorFailing.set(state?.lastErrorAt && (!state.lastSuccessAt || state.lastSuccessAt < state.lastErrorAt) ? 1 : 0);
	} catch (error) {
		log.warn({ err: error }, 'anchor metrics unavailable');
	}
}

export type PublicAnchor = { chainId: number; contract: string; txHash: string; blockNumber: number; blockTime: string; treeSize: number; explorerUrl: string | null };

/**
 * The confirmed anchor of a certificate by public ID, in one prepared
 * statement (the public certificate answer is a hot path), or null while it
 * waits (or was never handed to anchoring).
 */
export async function publicAnchor(sqlClient: postgres.Sql, publicId: string, explorerTemplate?: string): Promise<PublicAnchor | null> {
	const [r] = await sqlClient<{ chain_id: string; contract: string; tx_hash: string; block_number: string; block_time: string; tree_size: string }[]>`
		select a.chain_id, a.contract, a.tx_hash, a.block_number, a.tree_size,
			to_char(a.block_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as block_time
		from anchor_certificates c join anchors a on a.id = c.anchor_id
		where c.public_id = ${publicId} and a.status in ('confirmed', 'final')`;
	if (!r) return null;
	return {
		chainId: Number(r.chain_id),
		contract: getAddress(r.contract),
		txHash: r.tx_hash,
		blockNumber: Number(r.block_number),
		blockTime: r.block_time,
		treeSize: Number(r.tree_size),
		explorerUrl: explorerUrl(explorerTemplate, r.tx_hash)
	};
}
