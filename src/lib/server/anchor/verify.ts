import { decodeEventLog, getAddress, type Hex } from 'viem';
import { chainClient, chainMessage, receiptOf } from './chain';
import { ANCHOR_ABI } from './contract.gen';

/** The anchor a certificate PDF claims (its bundle's `anchor`). */
export type ClaimedAnchor = {
	chainId: number;
	contract: string;
	txHash: string;
	blockNumber: number;
	blockHash: string;
	treeSize: number;
	rootHash: string;
	originHash: string;
	confirmations: number;
};

export type AnchorCheck = { ok: boolean; detail: string; confirmations: number | null };

/**
 * Asks a node of the claimed chain whether the anchor is there: the node
 * serves that chain id; the transaction succeeded in exactly the claimed
 * block (same number and hash); its receipt holds the contract's Anchored
 * event for exactly this log origin hash, tree size and root hash; and the
 * block is at least as deep as the confirmations the PDF claims. Any node of
 * the chain will do: the answer does not depend on trusting the platform.
 */
export async function checkAnchorOnChain(claim: ClaimedAnchor, rpcUrl: string, timeoutMs = 15_000): Promise<AnchorCheck> {
	const fail = (detail: string, confirmations: number | null = null): AnchorCheck => ({ ok: false, detail, confirmations });
	try {
		const client = chainClient(rpcUrl, timeoutMs);
		const chainId = await client.getChainId();
		if (chainId !== claim.chainId) return fail(`the node at --rpc serves chain ${chainId}, the anchor is on chain ${claim.chainId}`);
		const receipt = await receiptOf(client, claim.txHash as Hex);
		if (!receipt) return fail(`transaction ${claim.txHash} is not on chain ${claim.chainId}`);
		if (receipt.status !== 'success') return fail(`transaction ${claim.txHash} failed on chain`);
		if (Number(receipt.blockNumber) !== claim.blockNumber || receipt.blockHash.toLowerCase() !== claim.blockHash.toLowerCase())
			return fail(`transaction ${claim.txHash} is in block ${receipt.blockNumber} (${receipt.blockHash}), not in the claimed block ${claim.blockNumber}`);
		const contract = getAddress(claim.contract);
		const anchored = receipt.logs.some((log) => {
			if (getAddress(log.address) !== contract) return false;
			try {
				const e = decodeEventLog({ abi: ANCHOR_ABI, data: log.data, topics: log.topics });
				return (
					e.eventName === 'Anchored' &&
					e.args.originHash.toLowerCase() === claim.originHash.toLowerCase() &&
					Number(e.args.treeSize) === claim.treeSize &&
					e.args.rootHash.toLowerCase() === claim.rootHash.toLowerCase()
				);
			} catch {
				return false;
			}
		});
		if (!anchored) return fail(`transaction ${claim.txHash} records no Anchored(tree size ${claim.treeSize}, root ${claim.rootHash}) of contract ${contract}`);
		const confirmations = Number(await client.getBlockNumber()) - claim.blockNumber + 1;
		if (confirmations < claim.confirmations) return fail(`block ${claim.blockNumber} has ${confirmations} confirmations, fewer than the ${claim.confirmations} claimed`, confirmations);
		return {
			ok: true,
			detail: `the checkpoint (tree size ${claim.treeSize}) is recorded on chain ${claim.chainId} by ${claim.txHash} in block ${claim.blockNumber}, ${confirmations} confirmations`,
			confirmations
		};
	} catch (error) {
		return fail(`the node at --rpc could not answer: ${chainMessage(error)}`);
	}
}
