import type postgres from 'postgres';
import { verifyConsistency } from '../../src/lib/server/log/merkle';

export type ScenarioResult = {
	scenario: string;
	proofs: number;
	lost: number;
	doubleCertified: number;
	doubleCharged: number;
	doubleSigned: number;
	final: number;
	seconds: number;
	accepted: number;
	logConsistent: boolean;
	auditChainIntact: boolean;
	processesAlive: boolean;
	notes: string;
	skipped?: string;
};

const FINAL = ['CERTIFIED_NO_ANCHOR', 'CERTIFIED', 'REJECTED'];

/** Waits until every accepted proof is in a final state, or the deadline; returns how many are. */
export async function waitFinal(sql: postgres.Sql, publicIds: string[], timeoutMs: number): Promise<number> {
	const deadline = Date.now() + timeoutMs;
	let final = 0;
	for (;;) {
		try {
			const [r] = await sql`select count(*)::int as n from proofs where public_id = any(${publicIds}) and status = any(${FINAL})`;
			final = r.n;
		} catch {
			// the database may be restarting: ask again
		}
		if (final === publicIds.length || Date.now() > deadline) return final;
		await new Promise((r) => setTimeout(r, 1000));
	}
}

/**
 * The invariants after a scenario, over the proofs the agent got a 202 for:
 * every one stored (not lost) and final; none certified, charged or receipt-
 * signed twice; every checkpoint the log ever published consistent with the
 * newest (RFC 9162 §2.1.4 consistency proofs from the log's own nodes); every
 * audit chain intact.
 */
export async function checkInvariants(sql: postgres.Sql, publicIds: string[], checkpointsSeen: { treeSize: number; rootHash: string }[], consistency: (first: number, second: number) => Promise<string[]>, auditIntact: () => Promise<boolean>) {
	const [{ stored }] = await sql`select count(*)::int as stored from proofs where public_id = any(${publicIds})`;
	const [{ final }] = await sql`select count(*)::int as final from proofs where public_id = any(${publicIds}) and status = any(${FINAL})`;
	const [{ doubleCertified }] = await sql`select count(*)::int as "doubleCertified" from (
		select c.proof_id from certificates c join proofs p on p.id = c.proof_id where p.public_id = any(${publicIds}) group by c.proof_id having count(*) > 1) d`;
	const [{ doubleCharged }] = await sql`select count(*)::int as "doubleCharged" from (
		select l.proof_id from licence_ledger l join proofs p on p.id = l.proof_id
		where p.public_id = any(${publicIds}) group by l.proof_id having sum(-l.amount) > 1) d`;
	// a receipt signed twice: the certificate carries a signature other than the one recorded for its id
	const [{ doubleSigned }] = await sql`select count(*)::int as "doubleSigned" from certificates c join proofs p on p.id = c.proof_id
		left join signer_receipts r on r.record_id = c.public_id
		where p.public_id = any(${publicIds}) and c.receipt_signature is not null and (r.signature is null or r.signature <> c.receipt_signature)`;
	const [{ certifiedWithoutCharge }] = await sql`select count(*)::int as "certifiedWithoutCharge" from proofs p
		where p.public_id = any(${publicIds}) and p.status in ('CERTIFIED_NO_ANCHOR', 'CERTIFIED')
		and not exists (select 1 from licence_ledger l where l.proof_id = p.id and l.kind = 'consumption')`;
	const [latest] = await sql`select tree_size::int as "treeSize", encode(root_hash, 'base64') as "rootHash" from log_checkpoints order by tree_size desc limit 1`;
	let logConsistent = true;
	if (latest) {
		const stored = await sql`select tree_size::int as "treeSize", encode(root_hash, 'base64') as "rootHash" from log_checkpoints`;
		const byKey = new Map(stored.map((r) => [r.treeSize as number, r.rootHash as string]));
		for (const c of [...checkpointsSeen, ...stored.map((r) => ({ treeSize: r.treeSize as number, rootHash: r.rootHash as string }))]) {
			// a checkpoint handed out once must still be the log's, and a prefix of the newest
			if (byKey.get(c.treeSize) !== c.rootHash) logConsistent = false;
			if (c.treeSize === latest.treeSize || c.treeSize === 0) continue;
			const proof = (await consistency(c.treeSize, latest.treeSize)).map((h) => new Uint8Array(Buffer.from(h, 'base64')));
			if (!verifyConsistency(c.treeSize, latest.treeSize, Buffer.from(c.rootHash, 'base64'), Buffer.from(latest.rootHash, 'base64'), proof)) logConsistent = false;
		}
	}
	return {
		// not stored, or not in a final state when the wait ended
		lost: publicIds.length - final,
		stored,
		final,
		doubleCertified,
		doubleCharged,
		certifiedWithoutCharge,
		doubleSigned,
		logConsistent,
		auditChainIntact: await auditIntact()
	};
}
