import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEventLog } from 'viem';
import { startAnchorFixture, type AnchorFixture } from '../../../../tests/helpers/anchor-fixture';
import { certificateEntry, leafHash, verifyCertificatePdf, verifyInclusion } from '#lib/verifier';
import { ANCHOR_ABI } from './contract.gen';
import { originHash } from './chain';
import { anchorTick, enqueueCertificate, type AnchorDeps } from './index';

/**
 * The anchor worker on a real EVM node (ganache in this process, blocks mined
 * by the test), real PostgreSQL, pg-boss, keyring, log and PDFs: coalescing,
 * confirmations, re-rendered PDFs, a reorganisation made with evm_snapshot /
 * evm_revert, the node going away, and the chain account running out of gas.
 */
let f: AnchorFixture;
let deps: AnchorDeps;

const sql = () => f.app.database.sql;
const statuses = async (ids: string[]) =>
	(await sql()<{ status: string }[]>`select p.status from proofs p join certificates c on c.proof_id = p.id where c.id in ${sql()(ids)}`).map((r) => r.status);
const enqueue = async (certs: { id: string }[]) => {
	for (const c of certs) await enqueueCertificate(deps.db, deps.queue, c.id, { ...deps.settings, actor: deps.actor });
};
/** Ticks (mining a block between them) until every certificate is CERTIFIED; returns the passes it took. */
async function untilCertified(ids: string[], maxPasses = 30): Promise<number> {
	for (let i = 1; i <= maxPasses; i++) {
		await anchorTick(deps);
		if ((await statuses(ids)).every((s) => s === 'CERTIFIED')) return i;
		await f.mine(1);
	}
	throw new Error(`not CERTIFIED after ${maxPasses} passes: ${(await statuses(ids)).join(', ')}`);
}
/** Notifications the outbox holds of one event type: how many per certificate (or per failure), with the data. */
const notified = async (type: string) =>
	sql()<{ data: { certificateId?: string; chainId: number; txHash?: string; error?: string; pendingCertificates?: number } }[]>`
		select payload->'data' as data from notification_deliveries where event_type = ${type} order by created_at, id`;

/** Anchored events of the contract on the canonical chain, per tree size. */
async function anchoredOnChain(): Promise<Map<number, number>> {
	const logs = await deps.client.getLogs({ address: deps.settings.contract, fromBlock: 0n, toBlock: 'latest' });
	const out = new Map<number, number>();
	for (const l of logs) {
		const e = decodeEventLog({ abi: ANCHOR_ABI, data: l.data, topics: l.topics });
		if (e.eventName === 'Anchored') out.set(Number(e.args.treeSize), (out.get(Number(e.args.treeSize)) ?? 0) + 1);
	}
	return out;
}

beforeAll(async () => {
	// each test sends when it wants to: one waiting certificate is enough (the interval is the second test's subject)
	f = await startAnchorFixture({ confirmations: 3, finality: 8, maxPending: 1 });
	deps = f.deps;
}, 120_000);
afterAll(async () => f?.stop());

describe('anchor worker on the embedded node', () => {
	it('coalesces 20 certificates into one transaction; CERTIFIED after CHAIN_CONFIRMATIONS; PDFs re-rendered with the anchor', async () => {
		const certs = await f.certify(20);
		expect(await statuses(certs.map((c) => c.id))).toEqual(Array(20).fill('CERTIFIED_PENDING_ANCHOR'));
		const before = await sql()<{ id: string; pdf_object_key: string }[]>`select id, pdf_object_key from certificates where id in ${sql()(certs.map((c) => c.id))}`;
		await enqueue(certs);
		const first = await anchorTick(deps);
		expect(first).toMatchObject({ skipped: false, submit: { submitted: true, treeSize: 20 } });
		// included at once (instamine) but 1 of 3 confirmations: still pending
		await anchorTick(deps);
		expect(new Set(await statuses(certs.map((c) => c.id)))).toEqual(new Set(['CERTIFIED_PENDING_ANCHOR']));
		await untilCertified(certs.map((c) => c.id));
		const [a] = await sql()`select * from anchors`;
		expect(a).toMatchObject({ status: 'confirmed', tree_size: '20', reorgs: 0 });
		expect(Number(a.gas_used)).toBeGreaterThan(21_000);
		console.info(`[anchor] one transaction for 20 certificates: gas used ${a.gas_used}, fee ${a.fee_wei} wei`);
		// certificate.anchored in the outbox, committed with the anchoring: one per certificate, with the transaction
		const anchored = await notified('certificate.anchored');
		const publicIds = (await sql()<{ public_id: string }[]>`select public_id from certificates where id in ${sql()(certs.map((c) => c.id))}`).map((r) => r.public_id);
		expect(anchored.map((d) => d.data.certificateId).sort()).toEqual(publicIds.sort());
		expect(new Set(anchored.map((d) => `${d.data.chainId} ${d.data.txHash}`))).toEqual(new Set([`1337 ${a.tx_hash}`]));
		// every certificate stores the inclusion proof of its leaf to the anchored root
		const rows = await sql()<{ inclusion: string[]; leaf_index: string; public_id: string; record_sha256: string }[]>`
			select ac.inclusion, ac.leaf_index, c.public_id, c.record_sha256 from anchor_certificates ac join certificates c on c.id = ac.certificate_id where ac.anchor_id = ${a.id}`;
		expect(rows).toHaveLength(20);
		const root = new Uint8Array(Buffer.from(a.root_hash.slice(2), 'hex'));
		for (const r of rows) {
			const leaf = await leafHash(certificateEntry(r.public_id, r.record_sha256));
			expect(await verifyInclusion(Number(r.leaf_index), 20, leaf, r.inclusion.map((h) => new Uint8Array(Buffer.from(h, 'base64'))), root)).toBe(true);
		}
		// the contract holds that head for this log
		const head = await deps.client.readContract({ address: deps.settings.contract, abi: ANCHOR_ABI, functionName: 'heads', args: [originHash(deps.settings.origin)] });
		expect([Number(head[0]), head[2]]).toEqual([20, a.root_hash]);
		// re-rendered PDFs: a new object each, the earlier one kept, and the new one verifies offline with its anchor
		await anchorTick(deps);
		const after = await sql()<{ id: string; pdf_object_key: string }[]>`select id, pdf_object_key from certificates where id in ${sql()(certs.map((c) => c.id))}`;
		const keys = await f.keyring.publicKeys();
		for (const b of before) {
			const now = after.find((x) => x.id === b.id)!.pdf_object_key;
			expect(now).not.toBe(b.pdf_object_key);
			expect(now).toMatch(/\.anchored-1337-20\.pdf$/);
			const old = await f.app.storage.getBytes(b.pdf_object_key);
			expect((await verifyCertificatePdf(old!, keys)).valid).toBe(true);
		}
		const pdf = await f.app.storage.getBytes(after[0].pdf_object_key);
		const verdict = await verifyCertificatePdf(pdf!, keys);
		expect(verdict).toMatchObject({ valid: true, treeSize: 20, anchor: { chainId: 1337, txHash: a.tx_hash, blockNumber: Number(a.block_number), treeSize: 20, rootHash: a.root_hash } });
	});

	it('ANCHOR_INTERVAL: certificates arriving after an anchor wait for the next interval; ANCHOR_MAX_PENDING sends at once', async () => {
		const certs = await f.certify(4);
		await enqueue(certs);
		const patient = { ...deps, settings: { ...deps.settings, interval: 60, maxPending: 1000 } };
		expect(await anchorTick(patient)).toMatchObject({ submit: { submitted: false, reason: 'not due yet (ANCHOR_INTERVAL)' } });
		const four = { ...deps, settings: { ...deps.settings, interval: 60, maxPending: 4 } };
		expect(await anchorTick(four)).toMatchObject({ submit: { submitted: true, treeSize: 24 } });
		await untilCertified(certs.map((c) => c.id));
	});

	it('a reorganisation (evm_snapshot / evm_revert, fresh blocks) takes the anchor away: back to pending on the timeline, re-sent, CERTIFIED again, anchored once', async () => {
		const snapshot = await f.rpc<string>('evm_snapshot');
		const certs = await f.certify(5);
		await enqueue(certs);
		const sent = await anchorTick(deps);
		expect(sent).toMatchObject({ submit: { submitted: true, treeSize: 29 } });
		await untilCertified(certs.map((c) => c.id));
		const [before] = await sql()`select id, block_number, block_hash, tx_hash from anchors where tree_size = 29`;
		// the chain forgets the block that held the anchor and grows past it with other blocks
		expect(await f.rpc('evm_revert', [snapshot])).toBe(true);
		await f.mine(6);
		const detected = await anchorTick(deps);
		expect(detected).toMatchObject({ watch: { reorgs: 1 } });
		await untilCertified(certs.map((c) => c.id));
		const [after] = await sql()`select * from anchors where tree_size = 29`;
		expect(after).toMatchObject({ status: 'confirmed', reorgs: 1, tx_hash: before.tx_hash });
		expect(after.block_hash).not.toBe(before.block_hash);
		// the timeline of one proof shows the round trip
		const timeline = await sql()<{ from_status: string; to_status: string; detail: string }[]>`
			select from_status, to_status, detail from proof_events where proof_id = ${certs[0].proofId} order by id`;
		expect(timeline.map((t) => t.to_status).slice(-3)).toEqual(['CERTIFIED', 'CERTIFIED_PENDING_ANCHOR', 'CERTIFIED']);
		expect(timeline.at(-2)!.detail).toMatch(/reorganisation/);
		const events = await sql()<{ kind: string; block_number: string | null; detail: string; at: string }[]>`select kind, block_number, detail, to_char(at at time zone 'UTC', 'HH24:MI:SS.MS') as at from anchor_events where anchor_id = ${after.id} order by id`;
		expect(events.map((e) => e.kind)).toEqual(['signed', 'sent', 'included', 'confirmed', 'reorg', 're-sent', 'included', 'confirmed']);
		console.info(`[anchor] reorg timeline of tree size 29:\n${events.map((e) => `  ${e.at} ${e.kind.padEnd(9)} ${e.block_number ?? ''} ${e.detail}`).join('\n')}`);
		// final state: each certificate anchored once, each tree size anchored once on the chain
		const [dupes] = await sql()`select count(*)::int as n from anchor_certificates where anchor_id is null`;
		expect(dupes.n).toBe(0);
		const onChain = await anchoredOnChain();
		expect([...onChain.values()].every((n) => n === 1)).toBe(true);
		expect(onChain.get(29)).toBe(1);
		// anchored twice, notified once per certificate
		const publicIds = (await sql()<{ public_id: string }[]>`select public_id from certificates where id in ${sql()(certs.map((c) => c.id))}`).map((r) => r.public_id);
		expect((await notified('certificate.anchored')).filter((d) => publicIds.includes(d.data.certificateId!))).toHaveLength(5);
	});

	it('node stopped mid-run (after the anchor was included): passes fail and are recorded, certificates stay pending; node back from its state → anchored, nothing lost', async () => {
		const certs = await f.certify(3);
		await enqueue(certs);
		expect(await anchorTick(deps)).toMatchObject({ submit: { submitted: true } });
		await f.stopChain();
		await expect(anchorTick(deps)).rejects.toThrow(/HTTP request failed|fetch failed|block number/);
		const [state] = await sql()`select last_error, failures from anchor_state`;
		expect(state.failures).toBeGreaterThan(0);
		expect(state.last_error).toBeTruthy();
		// the platform admins hear of it once, whatever the number of failed passes
		await expect(anchorTick(deps)).rejects.toThrow();
		const failed = await notified('system.chain_failed');
		expect(failed).toHaveLength(1);
		expect(failed[0].data).toMatchObject({ chainId: 1337, error: state.last_error, pendingCertificates: 3 });
		expect(new Set(await statuses(certs.map((c) => c.id)))).toEqual(new Set(['CERTIFIED_PENDING_ANCHOR']));
		await f.restartChain();
		await untilCertified(certs.map((c) => c.id));
		const [ok] = await sql()`select last_error, failures from anchor_state`;
		expect(ok).toEqual({ last_error: null, failures: 0 });
		const [one] = await sql()`select count(*)::int as n from anchors where tree_size = (select max(tree_size) from anchors)`;
		expect(one.n).toBe(1);
	});

	it('out of gas (the chain account has no funds): fails with a clear reason and retries; funded again → anchored', async () => {
		const account = await f.keyring.chainAddress();
		const balance = await deps.client.getBalance({ address: account });
		await f.rpc('evm_setAccountBalance', [account, '0x0']);
		const certs = await f.certify(2);
		await enqueue(certs);
		await expect(anchorTick(deps)).rejects.toThrow(/insufficient funds|funds/i);
		// a new run of failures after the node came back: a second alert
		expect((await notified('system.chain_failed')).map((d) => d.data.error)).toEqual([expect.stringMatching(/HTTP request failed|fetch failed|block number/), expect.stringMatching(/funds/i)]);
		expect(new Set(await statuses(certs.map((c) => c.id)))).toEqual(new Set(['CERTIFIED_PENDING_ANCHOR']));
		await f.rpc('evm_setAccountBalance', [account, `0x${balance.toString(16)}`]);
		await untilCertified(certs.map((c) => c.id));
		const sizes = await sql()<{ tree_size: string; status: string }[]>`select tree_size, status from anchors order by nonce`;
		// one anchor per tree size, strictly growing with the nonce
		const live = sizes.filter((s) => s.status !== 'reverted' && s.status !== 'dropped').map((s) => Number(s.tree_size));
		expect(live).toEqual([...live].sort((a, b) => a - b));
		expect(new Set(live).size).toBe(live.length);
	});

	it('after CHAIN_FINALITY_BLOCKS an anchor is final and no longer re-checked', async () => {
		await f.mine(10);
		await anchorTick(deps);
		const open = await sql()`select count(*)::int as n from anchors where status in ('signed', 'sent', 'included', 'confirmed')`;
		expect(open[0].n).toBe(0);
		const [finals] = await sql()`select count(*)::int as n from anchors where status = 'final'`;
		expect(finals.n).toBeGreaterThanOrEqual(4);
	});
});

