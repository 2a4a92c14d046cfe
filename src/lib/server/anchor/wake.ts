import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { certificatesForAnchoring } from '#lib/server/certificates';
import type { Db, DbOrTx, Tx } from '#lib/server/db/client';
import { sendInTx, type Queue } from '#lib/server/queue';
import { coverWaiting } from './cover';
import { anchorCertificates, anchors, anchorState } from './schema';

/**
 * What `certificates.to_anchor` carries: a certificate the proof worker
 * issued (CERTIFIED_PENDING_ANCHOR), or a wake-up of the anchor worker (its
 * own schedule, or the minute cron that keeps it going whatever happened to
 * a job).
 */
export const anchorJob = z.union([z.object({ certificateId: z.uuid() }), z.object({ wake: z.literal(true) })]);
export type AnchorJob = z.infer<typeof anchorJob>;

/**
 * Wake-ups jump the queue (pg-boss fetches by priority, then age): behind a
 * burst of a thousand certificate jobs a wake-up would otherwise wait minutes,
 * and with it the confirmations of anchors already sent.
 */
const WAKE_PRIORITY = 10;

/** The minute cron: anchoring carries on even if every wake-up job was lost. */
export async function ensureAnchorSchedule(queue: Queue): Promise<void> {
	await queue.boss.schedule('certificates.to_anchor', '* * * * *', { wake: true }, { priority: WAKE_PRIORITY });
}

/**
 * Makes sure a wake-up job runs at `due` or earlier (`urgent`: ahead of
 * certificate jobs; a pass that only re-renders PDFs is not, so certificates
 * waiting in the queue are not held back by that CPU work): anchor_state.wake_at
 * holds the earliest one queued, so a burst of certificates queues one
 * wake-up, not one each. A wake_at more than a minute past is a job that was
 * lost (the cron covers it meanwhile) and is replaced.
 */
export async function scheduleWake(tx: Tx, queue: Queue, due: Date, urgent = true): Promise<boolean> {
	const [row] = await tx
		.update(anchorState)
		.set({ wakeAt: due })
		.where(sql`${anchorState.id} = 1 and (${anchorState.wakeAt} is null or ${anchorState.wakeAt} > ${due.toISOString()}::timestamptz or ${anchorState.wakeAt} < now() - interval '1 minute')`)
		.returning({ id: anchorState.id });
	if (!row) return false;
	const seconds = Math.max(0, Math.ceil((due.getTime() - Date.now()) / 1000));
	// in the caller's transaction: the wake-up exists iff the change that needs it commits
	await sendInTx(queue, tx, 'certificates.to_anchor', { wake: true }, { priority: urgent ? WAKE_PRIORITY : 0, ...(seconds ? { startAfter: seconds } : {}) });
	return true;
}

/** When the next transaction is due: at once with ANCHOR_MAX_PENDING waiting or no earlier anchor, else ANCHOR_INTERVAL after the last one. */
export function submissionDue(lastSubmittedAt: Date | null, waiting: number, s: { interval: number; maxPending: number }): Date {
	if (!lastSubmittedAt || waiting >= s.maxPending) return new Date();
	return new Date(Math.max(Date.now(), lastSubmittedAt.getTime() + s.interval * 1000));
}

export async function waitingCount(db: DbOrTx): Promise<number> {
	const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(anchorCertificates).where(isNull(anchorCertificates.anchorId));
	return r.n;
}

export async function lastSubmittedAt(db: DbOrTx): Promise<Date | null> {
	const [r] = await db.select({ at: anchorState.lastSubmittedAt }).from(anchorState).where(eq(anchorState.id, 1));
	return r?.at ?? null;
}

/**
 * A certificate handed over by the proof worker waits for the next anchor:
 * recorded once (a redelivered job changes nothing) with its leaf index, and
 * a wake-up scheduled for when the next transaction is due. When an anchor
 * above its leaf is confirmed already (its job came after the anchor, as in a
 * burst), it is covered by that anchor at once. No chain call here: a chain
 * outage fails the wake-ups, not a thousand certificate jobs.
 */
export async function enqueueCertificate(
	db: Db,
	queue: Queue,
	certificateId: string,
	s: { interval: number; maxPending: number; chainId: number; contract: string; actor: string }
): Promise<'queued' | 'anchored' | 'known' | 'gone'> {
	const [c] = await certificatesForAnchoring(db, [certificateId]);
	if (!c) return 'gone';
	if (c.logIndex === null) throw new Error(`certificate ${c.publicId} has no log leaf; it cannot be anchored`);
	return db.transaction(async (tx) => {
		const inserted = await tx
			.insert(anchorCertificates)
			.values({ certificateId: c.id, publicId: c.publicId, proofId: c.proofId, leafIndex: c.logIndex! })
			.onConflictDoNothing()
			.returning({ id: anchorCertificates.certificateId });
		if (!inserted.length) return 'known';
		const [covering] = await tx
			.select()
			.from(anchors)
			.where(and(eq(anchors.chainId, s.chainId), eq(anchors.contract, s.contract.toLowerCase()), inArray(anchors.status, ['confirmed', 'final']), gt(anchors.treeSize, c.logIndex!)))
			.orderBy(asc(anchors.treeSize))
			.limit(1);
		if (covering && (await coverWaiting(tx, s.actor, covering))) return 'anchored';
		await scheduleWake(tx, queue, submissionDue(await lastSubmittedAt(tx), await waitingCount(tx), s));
		return 'queued';
	});
}
