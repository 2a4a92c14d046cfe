import { BaseError, ContractFunctionRevertedError, type Hex } from 'viem';
import type { ChainTransaction, Signer } from '#lib/server/signer/types';
import { broadcast, ChainUnavailable, chainMessage, rpc, type ChainClient } from './chain';
import { ANCHOR_ABI, ANCHOR_BYTECODE } from './contract.gen';

/** CHAIN_GAS_LIMIT, CHAIN_MAX_FEE_PER_GAS, CHAIN_MAX_PRIORITY_FEE_PER_GAS. */
export type FeeCaps = { gasLimit: number; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { gasPrice: bigint };

/**
 * Fees for the next block within the caps: EIP-1559 when the chain has a base
 * fee (max fee = 2 × base fee + tip, which survives six full blocks of base-fee
 * rises, capped), else a legacy gas price. A chain that asks more than the cap
 * gets nothing sent: the anchor waits (the job retries) instead of overpaying.
 */
export async function chainFees(client: ChainClient, caps: FeeCaps): Promise<Fees> {
	const block = await rpc('latest block', () => client.getBlock({ blockTag: 'latest' }));
	if (block.baseFeePerGas !== null && block.baseFeePerGas !== undefined) {
		const base = block.baseFeePerGas;
		let tip = caps.maxPriorityFeePerGas;
		try {
			tip = await client.estimateMaxPriorityFeePerGas();
		} catch {
			// a node without eth_maxPriorityFeePerGas: the configured tip is the estimate
		}
		if (tip > caps.maxPriorityFeePerGas) tip = caps.maxPriorityFeePerGas;
		if (base + tip > caps.maxFeePerGas) throw new ChainUnavailable(`the chain's base fee (${base} wei/gas) plus tip is above CHAIN_MAX_FEE_PER_GAS (${caps.maxFeePerGas}); waiting`);
		const max = 2n * base + tip;
		return { maxFeePerGas: max < caps.maxFeePerGas ? max : caps.maxFeePerGas, maxPriorityFeePerGas: tip };
	}
	const price = await rpc('gas price', () => client.getGasPrice());
	if (price > caps.maxFeePerGas) throw new ChainUnavailable(`the chain's gas price (${price} wei/gas) is above CHAIN_MAX_FEE_PER_GAS (${caps.maxFeePerGas}); waiting`);
	return { gasPrice: price };
}

/** A transaction with the fees chainFees chose (EIP-1559 or legacy). */
export function transaction(base: Pick<ChainTransaction, 'chainId' | 'nonce' | 'to' | 'data' | 'gas'>, fees: Fees): ChainTransaction {
	return 'gasPrice' in fees ? { ...base, gasPrice: fees.gasPrice } : { ...base, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas };
}

/** The node's gas estimate plus 25 % (the estimate is exact for this call; the margin covers state changing before inclusion), at most the cap. */
export function gasWithMargin(estimate: bigint, caps: FeeCaps): bigint {
	const gas = (estimate * 125n) / 100n;
	if (gas > BigInt(caps.gasLimit)) throw new ChainUnavailable(`the transaction needs ${gas} gas, above CHAIN_GAS_LIMIT (${caps.gasLimit})`);
	return gas;
}

/**
 * The gas of an `anchor(originHash, treeSize, rootHash)` call. A revert is
 * decoded from the ABI (NotOwner: the chain key is not the contract's owner;
 * StaleTreeSize: the chain holds a newer head of this log already).
 */
export async function estimateAnchorGas(client: ChainClient, from: Hex, contract: Hex, args: readonly [Hex, bigint, Hex], caps: FeeCaps): Promise<bigint> {
	try {
		return gasWithMargin(await client.estimateContractGas({ address: contract, abi: ANCHOR_ABI, functionName: 'anchor', args, account: from }), caps);
	} catch (error) {
		if (error instanceof ChainUnavailable) throw error;
		const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
		if (revert instanceof ContractFunctionRevertedError && revert.data) {
			throw new ChainUnavailable(`the contract refuses the anchor: ${revert.data.errorName}(${(revert.data.args ?? []).map(String).join(', ')})`, { cause: error });
		}
		throw new ChainUnavailable(`gas estimate: ${chainMessage(error)}`, { cause: error });
	}
}

/**
 * Deploys WipeCertAnchor with the chain key (through the signer, the key
 * never leaves it) and waits for the receipt; the chain key becomes the
 * contract's owner. `npm run chain -- deploy` and the embedded dev node use it.
 */
export async function deployAnchorContract(
	client: ChainClient,
	signer: Pick<Signer, 'chainAddress' | 'signTransaction'>,
	opts: { chainId: number; caps: FeeCaps; timeoutMs?: number }
): Promise<{ contract: Hex; txHash: Hex; blockNumber: number; from: Hex }> {
	const from = await signer.chainAddress();
	const nonce = await rpc('nonce', () => client.getTransactionCount({ address: from, blockTag: 'pending' }));
	const gas = gasWithMargin(await rpc('gas estimate of the deployment', () => client.estimateGas({ account: from, data: ANCHOR_BYTECODE })), { ...opts.caps, gasLimit: Math.max(opts.caps.gasLimit, 2_000_000) });
	const fees = await chainFees(client, opts.caps);
	const signed = await signer.signTransaction(transaction({ chainId: opts.chainId, nonce, to: null, data: ANCHOR_BYTECODE, gas }, fees));
	await broadcast(client, signed.raw);
	const receipt = await rpc('deployment receipt', () => client.waitForTransactionReceipt({ hash: signed.hash, timeout: opts.timeoutMs ?? 120_000, pollingInterval: 500 }));
	if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`the deployment transaction ${signed.hash} failed`);
	return { contract: receipt.contractAddress, txHash: signed.hash, blockNumber: Number(receipt.blockNumber), from };
}
