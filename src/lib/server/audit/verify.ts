import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '#lib/server/db/client';
import { chainOf, GENESIS_HASH, rowHash } from './chain';
import { auditChainHeads, auditEvents, type AuditChainHead } from './schema';

export type AuditVerificationProblem = 'seq_gap' | 'prev_hash_mismatch' | 'hash_mismatch' | 'head_mismatch' | 'head_missing' | 'wrong_chain';

export type AuditVerification = {
	ok: boolean;
	/** rows whose hashes were recomputed */
	checked: number;
	/** the first seq (of `chain`) that is not what the chain promises */
	firstBadSeq?: number;
	/** a sentence an auditor can act on */
	problem?: string;
	reason?: AuditVerificationProblem;
	/** the chain with the problem ('platform' or a tenant id) */
	chain?: string;
	/** chains verified */
	chains: number;
	verifiedAt: string;
};

const PAGE = 1000;

/**
 * Recomputes the hash chain(s) and compares them with the stored rows and
 * heads. `tenantId`: that tenant's chain; null: the platform chain; omitted:
 * every chain. Finds an edited row (its hash no longer matches its content), a
 * deleted row (a gap in seq, or the head pointing past the last row) and an
 * inserted row (a seq or prev_hash that breaks the sequence, or a row past the
 * head). Reads one consistent snapshot (REPEATABLE READ), so appends running
 * meanwhile are not mistaken for damage.
 *
 * What it cannot find: someone with write access who disables the
 * append-only trigger and recomputes every later hash and the head. Publishing
 * the heads elsewhere (`auditChainHeads`) closes that gap.
 */
export async function verifyAuditChain(db: Db, opts: { tenantId?: string | null } = {}): Promise<AuditVerification> {
	return db.transaction(
		async (tx) => {
			const heads = await tx.select().from(auditChainHeads);
			const headOf = new Map(heads.map((h) => [h.chain, h]));
			let chains: string[];
			if (opts.tenantId === undefined) {
				const withRows = await tx.selectDistinct({ chain: auditEvents.chain }).from(auditEvents);
				chains = [...new Set([...heads.map((h) => h.chain), ...withRows.map((r) => r.chain)])].sort();
			} else chains = [chainOf(opts.tenantId)];
			let checked = 0;
			for (const chain of chains) {
				const result = await verifyOne(tx, chain, headOf.get(chain));
				checked += result.checked;
				if (result.bad) return { ok: false, checked, chains: chains.length, chain, verifiedAt: new Date().toISOString(), ...result.bad };
			}
			return { ok: true, checked, chains: chains.length, verifiedAt: new Date().toISOString() };
		},
		{ isolationLevel: 'repeatable read', accessMode: 'read only' }
	);
}

type Bad = { firstBadSeq: number; problem: string; reason: AuditVerificationProblem };

async function verifyOne(tx: Parameters<Parameters<Db['transaction']>[0]>[0], chain: string, head: AuditChainHead | undefined): Promise<{ checked: number; bad?: Bad }> {
	let expectedSeq = 1;
	let prevHash = GENESIS_HASH;
	let checked = 0;
	for (;;) {
		const rows = await tx
			.select()
			.from(auditEvents)
			.where(and(eq(auditEvents.chain, chain), gt(auditEvents.seq, expectedSeq - 1)))
			.orderBy(asc(auditEvents.seq))
			.limit(PAGE);
		for (const row of rows) {
			const seq = Number(row.seq);
			if (seq !== expectedSeq) {
				return { checked, bad: { firstBadSeq: expectedSeq, reason: 'seq_gap', problem: `Row ${expectedSeq}${seq - 1 > expectedSeq ? `–${seq - 1}` : ''} of the chain is missing (deleted).` } };
			}
			if (row.prevHash !== prevHash) {
				return { checked, bad: { firstBadSeq: seq, reason: 'prev_hash_mismatch', problem: `Row ${seq} does not link to row ${seq - 1} (a row was inserted, deleted or replaced before it).` } };
			}
			if (row.chain !== chainOf(row.tenantId)) {
				return { checked, bad: { firstBadSeq: seq, reason: 'wrong_chain', problem: `Row ${seq} names a tenant other than its chain's (edited).` } };
			}
			checked++;
			if (rowHash(row.prevHash, { ...row, seq }) !== row.hash) {
				return { checked, bad: { firstBadSeq: seq, reason: 'hash_mismatch', problem: `Row ${seq} does not match its hash (edited).` } };
			}
			prevHash = row.hash;
			expectedSeq = seq + 1;
		}
		if (rows.length < PAGE) break;
	}
	const lastSeq = expectedSeq - 1;
	if (!head) {
		return lastSeq === 0 ? { checked } : { checked, bad: { firstBadSeq: 1, reason: 'head_missing', problem: 'The chain has rows but no recorded head (rows were inserted outside the audit module).' } };
	}
	const headSeq = Number(head.seq);
	if (headSeq > lastSeq) {
		return { checked, bad: { firstBadSeq: lastSeq + 1, reason: 'head_mismatch', problem: `The chain ends at row ${lastSeq} but its head is row ${headSeq} (rows were deleted from the end).` } };
	}
	if (headSeq < lastSeq) {
		return { checked, bad: { firstBadSeq: headSeq + 1, reason: 'head_mismatch', problem: `Rows after ${headSeq} were appended without moving the head (inserted outside the audit module).` } };
	}
	if (head.hash !== prevHash) {
		return { checked, bad: { firstBadSeq: lastSeq, reason: 'head_mismatch', problem: `Row ${lastSeq} is not the row the head recorded (replaced).` } };
	}
	return { checked };
}

/** Every chain's head (seq and hash of its newest row), to publish or anchor elsewhere. */
export function auditChainHeadList(db: Db): Promise<AuditChainHead[]> {
	return db.select().from(auditChainHeads).orderBy(asc(auditChainHeads.chain));
}
