import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFunctionData, keccak256, toHex, type Hex } from 'viem';
import { compileAnchor, OUTPUT } from '../../../../scripts/contract.mjs';
import { createKeyringSigner, type KeyringSigner } from '#lib/server/signer';
import { createLogger } from '#lib/server/telemetry/logger';
import { broadcast, chainClient, originHash, type ChainClient } from './chain';
import { ANCHOR_ABI } from './contract.gen';
import { startDevChain, type DevChain } from './dev-node';
import { chainFees, estimateAnchorGas, transaction } from './transactions';

/** The committed ABI and bytecode are what the source compiles to, and the deployed contract keeps tree sizes growing. */
describe('WipeCertAnchor contract', () => {
	it('contract.gen.ts is what solc makes of contracts/WipeCertAnchor.sol (run node scripts/contract.mjs after a change)', () => {
		expect(compileAnchor()).toBe(readFileSync(OUTPUT as string, 'utf8'));
	});

	let dir: string;
	let keyring: KeyringSigner;
	let chain: DevChain;
	let client: ChainClient;
	const caps = { gasLimit: 200_000, maxFeePerGas: 100n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n };
	const origin = originHash('contract.test/log');
	const root = (n: number) => keccak256(toHex(`root ${n}`));

	/** Sends anchor(origin, size, root) signed by the keyring's chain key; the receipt's status. */
	async function anchor(size: number, r: Hex = root(size), signer: Pick<KeyringSigner, 'chainAddress' | 'signTransaction'> = keyring) {
		const from = await signer.chainAddress();
		const nonce = await client.getTransactionCount({ address: from, blockTag: 'pending' });
		const data = encodeFunctionData({ abi: ANCHOR_ABI, functionName: 'anchor', args: [origin, BigInt(size), r] });
		const signed = await signer.signTransaction(transaction({ chainId: chain.chainId, nonce, to: chain.contract, data, gas: 120_000n }, await chainFees(client, caps)));
		await broadcast(client, signed.raw);
		return (await client.waitForTransactionReceipt({ hash: signed.hash, pollingInterval: 50 })).status;
	}

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'wipecert-contract-'));
		keyring = await createKeyringSigner(join(dir, 'keys'), { keys: 1, batchSize: 10 });
		chain = await startDevChain({ dataDir: dir, blockTime: 0, signer: keyring, log: createLogger('warn') });
		client = chainClient(chain.url, 5000);
	}, 60_000);
	afterAll(async () => {
		await chain?.stop();
		await keyring?.close();
		rmSync(dir, { recursive: true, force: true });
	});

	it('deployed through the signer: the chain key owns it', async () => {
		expect(await client.readContract({ address: chain.contract, abi: ANCHOR_ABI, functionName: 'owner' })).toBe(await keyring.chainAddress());
	});

	it('records a growing head per log and refuses a tree size not larger than the last (stale or replayed)', async () => {
		expect(await anchor(5)).toBe('success');
		const head = await client.readContract({ address: chain.contract, abi: ANCHOR_ABI, functionName: 'heads', args: [origin] });
		expect([head[0], head[2]]).toEqual([5n, root(5)]);
		// the gas estimate decodes the refusal
		await expect(estimateAnchorGas(client, await keyring.chainAddress(), chain.contract, [origin, 5n, root(99)], caps)).rejects.toThrow(/StaleTreeSize\(.*5, 5\)/);
		await expect(estimateAnchorGas(client, await keyring.chainAddress(), chain.contract, [origin, 4n, root(4)], caps)).rejects.toThrow(/StaleTreeSize/);
		// sent anyway (a replay of an old transaction would be): reverted on chain, the head unchanged
		expect(await anchor(5, root(99))).toBe('reverted');
		expect(await anchor(3)).toBe('reverted');
		expect(await anchor(6)).toBe('success');
		const after = await client.readContract({ address: chain.contract, abi: ANCHOR_ABI, functionName: 'heads', args: [origin] });
		expect([after[0], after[2]]).toEqual([6n, root(6)]);
	});

	it('refuses anyone but the owner (a stranger could otherwise block the log with a huge tree size)', async () => {
		const stranger = await createKeyringSigner(join(dir, 'stranger'), { keys: 1, batchSize: 10 });
		await chain.request!({ method: 'evm_setAccountBalance', params: [await stranger.chainAddress(), '0xde0b6b3a7640000'] });
		await expect(estimateAnchorGas(client, await stranger.chainAddress(), chain.contract, [origin, 10n ** 15n, root(1)], caps)).rejects.toThrow(/NotOwner/);
		expect(await anchor(10 ** 15, root(1), stranger)).toBe('reverted');
		await stranger.close();
	});
});
