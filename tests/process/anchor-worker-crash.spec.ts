import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEventLog, decodeFunctionData, type Hex } from 'viem';
import { ANCHOR_ABI, chainClient, startDevChain, type DevChain } from '../../src/lib/server/anchor';
import { createKeyringSigner, type KeyringSigner } from '../../src/lib/server/signer';
import { createLogger } from '../../src/lib/server/telemetry/logger';
import { signInToApp } from '../helpers/oidc-browser';
import { startStack, type Proc, type Stack } from '../helpers/pipeline-stack';

/**
 * kill -9 of the anchor worker between broadcast and receipt (CHAIN=evm on a
 * real node: the embedded ganache of this test process, its miner stopped so
 * the transaction waits in the pool): a new worker process finds the stored
 * transaction, sends no second one, and once blocks come the certificates
 * are CERTIFIED by exactly one transaction for that tree size.
 */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.once('exit', (code) => resolve({ code, stdout, stderr }));
	});
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, procs: Proc[], tick?: () => Promise<unknown>): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${procs.map((p) => p.output().slice(-3000)).join('\n---\n')}`);
		await tick?.();
		await new Promise((r) => setTimeout(r, 300));
	}
}

describe('anchor worker killed (-9) between send and receipt', () => {
	let stack: Stack;
	let chain: DevChain;
	let keyring: KeyringSigner;
	let chainDir: string;

	beforeAll(async () => {
		stack = await startStack();
		chainDir = mkdtempSync(join(tmpdir(), 'wipecert-chain-'));
		// the node funds the platform's chain account (the keyring in the stack's DATA_DIR, shared with its processes) and deploys through it
		keyring = await createKeyringSigner(join(stack.dataDir, 'keys'), { keys: 100, batchSize: 50 });
		chain = await startDevChain({ dataDir: chainDir, blockTime: 0, signer: keyring, log: createLogger('warn') });
	}, 180_000);
	afterAll(async () => {
		await stack?.stop();
		await chain?.stop();
		await keyring?.close();
		rmSync(chainDir, { recursive: true, force: true });
	});

	it('no second transaction for the same tree size; all CERTIFIED once blocks come', async () => {
		const operator = await signInToApp(stack.origin, 'operator@acme.test');
		const enrol = await fetch(`${stack.origin}/api/v1/agents/enrolments`, {
			method: 'POST',
			headers: { cookie: operator.header(), origin: stack.origin, 'content-type': 'application/json' },
			body: JSON.stringify({ name: 'crash test' })
		});
		const { token } = (await enrol.json()) as { token: string };
		const env = { CHAIN: 'evm', CHAIN_RPC_URL: chain.url, CHAIN_ID: String(chain.chainId), CHAIN_CONTRACT: chain.contract, CHAIN_CONFIRMATIONS: '2', CHAIN_FINALITY_BLOCKS: '4', CHAIN_POLL_INTERVAL: '1', ANCHOR_INTERVAL: '2' };
		const request = chain.request!;
		await request({ method: 'miner_stop' });

		const sim = await run(['build/agent-sim.js', '--url', stack.origin, '--enrol-token', token, '--count', '10', '--concurrency', '4']);
		expect(sim.code, sim.stderr + sim.stdout).toBe(0);
		const proof = await stack.worker('proof', env);
		const sql = stack.database.sql;
		await until('10 proofs waiting for their anchor', async () => (await sql`select count(*)::int as n from proofs where status = 'CERTIFIED_PENDING_ANCHOR'`)[0].n === 10, 120_000, [proof]);

		const first = await stack.worker('anchor', env);
		await until('an anchor broadcast (the miner is stopped: no receipt)', async () => (await sql`select count(*)::int as n from anchors where status = 'sent'`)[0].n === 1, 60_000, [first]);
		const [sent] = await sql<{ tx_hash: Hex; nonce: string; tree_size: string }[]>`select tx_hash, nonce, tree_size from anchors`;
		await first.kill();

		const second = await stack.worker('anchor', env);
		// a few passes of the new worker while the transaction still waits in the pool
		await new Promise((r) => setTimeout(r, 4000));
		const [{ n: afterRestart }] = await sql`select count(*)::int as n from anchors`;
		expect(afterRestart).toBe(1);
		await request({ method: 'miner_start' });
		await until('all 10 CERTIFIED', async () => (await sql`select count(*)::int as n from proofs where status = 'CERTIFIED'`)[0].n === 10, 120_000, [second, proof], () => request({ method: 'evm_mine' }));

		// every transaction the chain account ever sent, straight from the chain
		const client = chainClient(chain.url, 5000);
		const account = (await keyring.chainAddress()).toLowerCase();
		const head = Number(await client.getBlockNumber());
		const anchorsOnChain: { treeSize: number; status: string; hash: string }[] = [];
		for (let b = 0; b <= head; b++) {
			const block = await client.getBlock({ blockNumber: BigInt(b), includeTransactions: true });
			for (const tx of block.transactions) {
				if (tx.from.toLowerCase() !== account || !tx.to) continue;
				const call = decodeFunctionData({ abi: ANCHOR_ABI, data: tx.input });
				if (call.functionName !== 'anchor') continue;
				const receipt = await client.getTransactionReceipt({ hash: tx.hash });
				anchorsOnChain.push({ treeSize: Number(call.args[1]), status: receipt.status, hash: tx.hash });
				for (const log of receipt.logs) expect(decodeEventLog({ abi: ANCHOR_ABI, data: log.data, topics: log.topics }).eventName).toBe('Anchored');
			}
		}
		const forSize = anchorsOnChain.filter((a) => a.treeSize === Number(sent.tree_size));
		expect(forSize).toEqual([{ treeSize: Number(sent.tree_size), status: 'success', hash: sent.tx_hash }]);
		expect(anchorsOnChain.filter((a) => a.status === 'success').length).toBe(new Set(anchorsOnChain.map((a) => a.treeSize)).size);
		const [nonce] = await sql`select next_nonce from chain_nonces`;
		expect(Number(nonce.next_nonce)).toBe(Number(sent.nonce) + (await sql`select count(*)::int as n from anchors`)[0].n);
		await second.stop();
		await proof.stop();
	}, 400_000);

	it('npm run chain -- account / deploy: the chain key of the keyring deploys and owns a new contract', async () => {
		// SIGNER_KEYS=1: the CLI needs the chain key only, not the hundred signing keys
		const env = { DATA_DIR: stack.dataDir, CHAIN_RPC_URL: chain.url, CHAIN_ID: String(chain.chainId), LOG_LEVEL: 'warn', SIGNER_KEYS: '1' };
		const account = await run(['build/chain.js', 'account'], env);
		expect(account.code, account.stderr).toBe(0);
		expect(account.stdout).toContain(await keyring.chainAddress());
		const auto = setInterval(() => void chain.request!({ method: 'evm_mine' }), 200);
		const deployed = await run(['build/chain.js', 'deploy'], env).finally(() => clearInterval(auto));
		expect(deployed.code, deployed.stderr).toBe(0);
		const address = /CHAIN_CONTRACT=(0x[0-9a-fA-F]{40})/.exec(deployed.stdout)?.[1] as Hex;
		expect(address).toBeTruthy();
		const client = chainClient(chain.url, 5000);
		expect(await client.readContract({ address, abi: ANCHOR_ABI, functionName: 'owner' })).toBe(await keyring.chainAddress());
		expect((await run(['build/chain.js', 'deploy'], { ...env, CHAIN_ID: '5' })).stderr).toMatch(/serves chain 1337, not CHAIN_ID 5/);
		expect((await run(['build/chain.js', 'nonsense'], env)).code).toBe(2);
	}, 300_000);
});
