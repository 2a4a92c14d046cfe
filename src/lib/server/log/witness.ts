import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from '#lib/server/db/client';
import { parseVerifierKey, splitNote, verifyCosignature, type VerifierKey } from '#lib/verifier/note';
import { logCheckpoints, logCosignatures } from './schema';
import { consistencyProof } from './store';

/**
 * Witness cosignatures (C2SP tlog-witness "add-checkpoint", tlog-cosignature
 * Ed25519 cosignature/v1): after the log publishes a checkpoint, each witness
 * of LOG_WITNESSES gets it with a consistency proof from the last size it
 * cosigned; its answer is verified against the configured key and stored
 * (log_cosignatures), so served checkpoints and new certificates carry it.
 * A witness that is down never stops issuance: the request is bounded by
 * WITNESS_TIMEOUT_MS and the witness is skipped for WITNESS_BACKOFF_MS.
 */

export type Witness = { vkey: string; url: string };
export type WitnessDeps = { db: Db; witnesses: Witness[]; log: { warn(o: object, msg: string): void } };

const WITNESS_TIMEOUT_MS = 5_000;
const WITNESS_BACKOFF_MS = 30_000;
const backoff = new Map<string, number>();

type Outcome = { status: 'cosigned' | 'already' | 'behind' | 'skipped' } | { status: 'failed'; reason: string };

/** Asks every configured witness to cosign the checkpoint of `treeSize`; never throws for a witness's failure. */
export async function requestCosignatures(deps: WitnessDeps, treeSize: number, fetchImpl: typeof fetch = fetch): Promise<Outcome[]> {
	return Promise.all(
		deps.witnesses.map(async (w) => {
			if ((backoff.get(w.vkey) ?? 0) > Date.now()) return { status: 'skipped' as const };
			const out = await cosignOne(deps.db, w, treeSize, fetchImpl).catch((e: unknown): Outcome => ({ status: 'failed', reason: (e as Error).message }));
			if (out.status === 'failed') {
				backoff.set(w.vkey, Date.now() + WITNESS_BACKOFF_MS);
				deps.log.warn({ witness: w.url, treeSize, reason: out.reason }, 'witness did not cosign the checkpoint');
			} else backoff.delete(w.vkey);
			return out;
		})
	);
}

async function cosignOne(db: Db, w: Witness, treeSize: number, fetchImpl: typeof fetch): Promise<Outcome> {
	const key = await parseVerifierKey(w.vkey);
	if (!key) return { status: 'failed', reason: 'malformed witness key' };
	// one request per witness at a time, across processes: the witness's "old size" must be its latest
	return db.transaction(async (tx) => {
		await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'wipecert-witness:' + w.vkey}))`);
		const [cp] = await tx.select().from(logCheckpoints).where(eq(logCheckpoints.treeSize, treeSize));
		if (!cp) return { status: 'failed', reason: `no checkpoint of size ${treeSize}` };
		const [last] = await tx.select({ size: logCosignatures.treeSize }).from(logCosignatures).where(eq(logCosignatures.witness, w.vkey)).orderBy(desc(logCosignatures.treeSize)).limit(1);
		if (last && last.size === treeSize) return { status: 'already' };
		if (last && last.size > treeSize) return { status: 'behind' };
		let old = last?.size ?? 0;
		for (let attempt = 0; attempt < 2; attempt++) {
			const proof = old > 0 ? (await consistencyProof(tx, old, treeSize)).hashes : [];
			const body = `old ${old}\n${proof.map((h) => `${h}\n`).join('')}\n${cp.note}`;
			const res = await fetchImpl(new URL('add-checkpoint', w.url.endsWith('/') ? w.url : `${w.url}/`), { method: 'POST', body, headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: AbortSignal.timeout(WITNESS_TIMEOUT_MS) });
			const text = await res.text();
			if (res.status === 409 && attempt === 0) {
				// the witness's latest size differs from ours (its state was reset, or another log instance talked to it)
				const size = /^(0|[1-9]\d*)\n$/.exec(text) ? Number(text) : NaN;
				if (!(size >= 0 && size < treeSize)) return { status: 'failed', reason: `the witness holds size ${text.trim()}, not below ${treeSize}` };
				if (size > 0 && !(await tx.select().from(logCheckpoints).where(eq(logCheckpoints.treeSize, size))).length) return { status: 'failed', reason: `the witness holds size ${size}, which this log never published` };
				old = size;
				continue;
			}
			if (!res.ok) return { status: 'failed', reason: `HTTP ${res.status}: ${text.slice(0, 200)}` };
			const line = await cosignatureLine(cp.note, text, key);
			if (!line) return { status: 'failed', reason: 'the answer carries no valid cosignature of the configured key' };
			await tx.insert(logCosignatures).values({ treeSize, witness: w.vkey, cosignedAt: line.timestamp, line: line.line }).onConflictDoNothing();
			return { status: 'cosigned' };
		}
		return { status: 'failed', reason: 'the witness kept answering 409' };
	});
}

/** The witness's answer (signature lines) checked against its key over the checkpoint's note text. */
async function cosignatureLine(note: string, answer: string, key: VerifierKey): Promise<{ line: string; timestamp: number } | null> {
	const split = splitNote(note + answer);
	if (!split) return null;
	for (const s of split.signatures) {
		const timestamp = await verifyCosignature(split.body, s, key);
		if (timestamp !== null) return { line: s.line, timestamp };
	}
	return null;
}
