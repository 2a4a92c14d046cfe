import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { getAddress, type Hex } from 'viem';
import { reissueAnchoredPdfs, type BundleAnchor } from '#lib/server/certificates';
import { chainFailed, enqueueNotification } from '#lib/server/notifications';
import { anchorFailures, anchorsSent } from '#lib/server/telemetry/metrics';
import { chainMessage, originHash, rpc } from './chain';
import type { AnchorDeps } from './deps';
import { anchorCertificates, anchors, anchorState, type Anchor } from './schema';
import { submitDue, type SubmitResult } from './submit';
import { lastSubmittedAt, scheduleWake, submissionDue, waitingCount } from './wake';
import { adoptLate, openAnchors, watchAnchors, type WatchResult } from './watch';

/** pg advisory lock of the one anchor worker pass at a time (any process): nonces and anchors are handed out in order. */
const ANCHOR_LOCK = 0x77_63_61_6e_63; // "wcanc"

export type TickResult = { skipped: true } | { skipped: false; watch: WatchResult; adopted: number; submit: SubmitResult; pdfs: number };

const checked = new WeakMap<object, Promise<Hex>>();

/** Once per chain client: the node serves the configured chain, the contract is there, and the chain key's address. */
function preflight(deps: AnchorDeps): Promise<Hex> {
	let p = checked.get(deps.client);
	if (!p) {
		p = (async () => {
			const id = await rpc('chain id', () => deps.client.getChainId());
			if (id !== deps.settings.chainId) throw new Error(`the node at CHAIN_RPC_URL serves chain ${id}, not CHAIN_ID ${deps.settings.chainId}`);
			const code = await rpc('contract code', () => deps.client.getCode({ address: deps.settings.contract }));
			if (!code || code === '0x') throw new Error(`no contract at CHAIN_CONTRACT ${deps.settings.contract} on chain ${id}: deploy it with npm run chain -- deploy`);
			return deps.signer.chainAddress();
		})();
		checked.set(deps.client, p);
		p.catch(() => checked.delete(deps.client));
	}
	return p;
}

export function bundleAnchor(a: Anchor, latest: number): BundleAnchor {
	return {
		chainId: a.chainId,
		contract: getAddress(a.contract),
		txHash: a.txHash,
		blockNumber: a.blockNumber!,
		blockHash: a.blockHash!,
		blockTime: a.blockTime!.toISOString(),
		treeSize: a.treeSize,
		rootHash: a.rootHash,
		originHash: originHash(a.origin),
		confirmations: Math.max(1, latest - a.blockNumber! + 1)
	};
}

/**
 * PDFs of anchored certificates that do not show their anchor yet are
 * re-rendered and re-signed (certificates module), PDF_BATCH at a time; the
 * rest on the next pass, which is scheduled at once.
 */
async function renderDue(deps: AnchorDeps, latest: number): Promise<{ rendered: number; more: boolean }> {
	const due = await deps.db
		.select({ certificateId: anchorCertificates.certificateId, anchor: anchors })
		.from(anchorCertificates)
		.innerJoin(anchors, eq(anchors.id, anchorCertificates.anchorId))
		.where(and(isNotNull(anchorCertificates.anchorId), sql`${anchorCertificates.pdfAnchorId} is distinct from ${anchorCertificates.anchorId}`, inArray(anchors.status, ['confirmed', 'final'])))
		.limit(deps.settings.pdfBatch + 1);
	const batch = due.slice(0, deps.settings.pdfBatch);
	if (!batch.length) return { rendered: 0, more: false };
	await reissueAnchoredPdfs(deps.pdf, batch.map((d) => ({ certificateId: d.certificateId, anchor: bundleAnchor(d.anchor, latest) })));
	const done = batch.map((d) => ({ id: d.certificateId, anchorId: d.anchor.id }));
	await deps.db.execute(sql`
		update ${anchorCertificates} c set pdf_anchor_id = v."anchorId"
		from jsonb_to_recordset(${JSON.stringify(done)}::jsonb) as v(id uuid, "anchorId" bigint)
		where c.certificate_id = v.id and c.anchor_id = v."anchorId"`);
	return { rendered: batch.length, more: due.length > batch.length };
}

async function nextWake(deps: AnchorDeps, morePdfs: boolean): Promise<{ at: Date; urgent: boolean } | null> {
	if ((await openAnchors(deps)).length) return { at: new Date(Date.now() + (morePdfs ? 0 : deps.settings.pollInterval * 1000)), urgent: true };
	const waiting = await waitingCount(deps.db);
	if (waiting) return { at: submissionDue(await lastSubmittedAt(deps.db), waiting, deps.settings), urgent: true };
	return morePdfs ? { at: new Date(), urgent: false } : null;
}

/**
 * One pass of the anchor worker (a wake-up job): look at every open anchor
 * (receipts, confirmations, reorganisations, re-broadcasts), cover late
 * certificates, send the next anchor when due, re-render anchored PDFs, and
 * schedule the next wake-up while anything is open or waiting. One pass at a
 * time across processes (advisory lock); a pass that finds the lock taken
 * leaves the work to the one holding it. A chain failure is recorded for the
 * console and metrics (the first of a run also as `system.chain_failed`) and
 * rethrown: the job fails and pg-boss retries it with
 * backoff, while certificates stay valid and CERTIFIED_PENDING_ANCHOR.
 */
export async function anchorTick(deps: AnchorDeps): Promise<TickResult> {
	return deps.db.transaction(async (lock) => {
		const [{ locked }] = await lock.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${ANCHOR_LOCK}) as locked`);
		if (!locked) return { skipped: true } as const;
		await deps.db.update(anchorState).set({ wakeAt: null }).where(eq(anchorState.id, 1));
		try {
			const from = await preflight(deps);
			const latest = Number(await rpc('block number', () => deps.client.getBlockNumber()));
			const watch = await watchAnchors(deps, latest);
			const adopted = await adoptLate(deps);
			const submit = await submitDue(deps, from);
			if (submit.submitted) anchorsSent.inc();
			const pdfs = await renderDue(deps, latest);
			await deps.db.update(anchorState).set({ lastError: null, failures: 0, lastSuccessAt: sql`now()` }).where(eq(anchorState.id, 1));
			const wake = await nextWake(deps, pdfs.more);
			if (wake) await deps.db.transaction((tx) => scheduleWake(tx, deps.queue, wake.at, wake.urgent));
			return { skipped: false, watch, adopted, submit, pdfs: pdfs.rendered } as const;
		} catch (error) {
			anchorFailures.inc({ reason: error instanceof Error ? error.name : 'Error' });
			const message = chainMessage(error).slice(0, 1000);
			await deps.db.transaction(async (tx) => {
				const [state] = await tx
					.update(anchorState)
					.set({ lastError: message, lastErrorAt: sql`now()`, failures: sql`${anchorState.failures} + 1` })
					.where(eq(anchorState.id, 1))
					.returning({ failures: anchorState.failures, lastErrorAt: anchorState.lastErrorAt });
				// the platform admins hear of a run of failures once, at its first failed pass (pg-boss retries the rest with backoff)
				if (state?.failures === 1)
					await enqueueNotification(tx, chainFailed(`anchor:${deps.settings.chainId}:${state.lastErrorAt?.toISOString()}`, deps.settings.chainId, message, await waitingCount(tx)));
			});
			deps.log.warn({ err: error }, 'anchor pass failed; the job retries with backoff');
			throw error;
		}
	});
}
