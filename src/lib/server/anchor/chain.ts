/**
 * The EVM JSON-RPC client of anchoring (viem, plain HTTP): reads and the
 * broadcast of transactions the signer signed. The chain key is never here.
 * Anything that keeps a call from getting an answer (refused, timeout, 5xx,
 * a malformed reply) is `ChainUnavailable`: the anchor job fails and pg-boss
 * retries it with backoff; certificates stay CERTIFIED_PENDING_ANCHOR.
 */
import {
	BaseError,
	createPublicClient,
	encodeFunctionData,
	http,
	keccak256,
	TransactionNotFoundError,
	TransactionReceiptNotFoundError,
	toHex,
	type Hex,
	type PublicClient
} from 'viem';
import { ANCHOR_ABI } from './contract.gen';

export class ChainUnavailable extends Error {
	override name = 'ChainUnavailable';
}

export type ChainClient = PublicClient;

export function chainClient(url: string, timeoutMs: number): ChainClient {
	// no transport retries: the job's backoff is the one retry policy; no cached block number: confirmations are counted from the head as it is now
	return createPublicClient({ transport: http(url, { timeout: timeoutMs, retryCount: 0 }), cacheTime: 0 });
}

/** The origin line as the contract keys logs: keccak-256 of its UTF-8 bytes. */
export const originHash = (origin: string): Hex => keccak256(toHex(origin));

/** base64 root hash of a C2SP checkpoint → 0x hex. */
export const rootHex = (rootBase64: string): Hex => `0x${Buffer.from(rootBase64, 'base64').toString('hex')}`;

export const anchorCalldata = (origin: string, treeSize: number, rootHashB64: string): Hex =>
	encodeFunctionData({ abi: ANCHOR_ABI, functionName: 'anchor', args: [originHash(origin), BigInt(treeSize), rootHex(rootHashB64)] });

/** A readable one-line reason for an RPC failure (viem's shortMessage, not its multi-line help). */
export function chainMessage(error: unknown): string {
	if (error instanceof BaseError) return error.shortMessage || error.message.split('\n')[0];
	return error instanceof Error ? error.message : String(error);
}

/** Runs one RPC read; failures to reach the node become ChainUnavailable. */
export async function rpc<T>(what: string, fn: () => Promise<T>): Promise<T> {
	try {
		return await fn();
	} catch (error) {
		if (error instanceof ChainUnavailable) throw error;
		throw new ChainUnavailable(`${what}: ${chainMessage(error)}`, { cause: error });
	}
}

/** The receipt of a transaction, or null while the node has none. */
export async function receiptOf(client: ChainClient, hash: Hex) {
	try {
		return await client.getTransactionReceipt({ hash });
	} catch (error) {
		if (error instanceof TransactionReceiptNotFoundError) return null;
		throw new ChainUnavailable(`receipt of ${hash}: ${chainMessage(error)}`, { cause: error });
	}
}

/** Whether the node knows the transaction at all (pending or mined). */
export async function knowsTransaction(client: ChainClient, hash: Hex): Promise<boolean> {
	try {
		await client.getTransaction({ hash });
		return true;
	} catch (error) {
		if (error instanceof TransactionNotFoundError) return false;
		throw new ChainUnavailable(`transaction ${hash}: ${chainMessage(error)}`, { cause: error });
	}
}

export type Broadcast = 'accepted' | 'known' | 'nonce_used';

/**
 * eth_sendRawTransaction of bytes the signer produced. Sending the same bytes
 * again is harmless: "already known" means the node has it, "nonce too low"
 * that the nonce is spent (by this transaction or another; the caller looks at
 * the receipt). Anything else (node down, funds short, fee too low) throws.
 */
export async function broadcast(client: ChainClient, raw: Hex): Promise<Broadcast> {
	try {
		await client.sendRawTransaction({ serializedTransaction: raw });
		return 'accepted';
	} catch (error) {
		const text = `${chainMessage(error)} ${error instanceof BaseError ? error.details : ''}`.toLowerCase();
		if (/already known|known transaction|already imported|already exists|transaction already/.test(text)) return 'known';
		if (/nonce too low|nonce has already been used|nonce is too low|invalid nonce/.test(text)) return 'nonce_used';
		if (/insufficient funds/.test(text)) throw new ChainUnavailable(`the chain account cannot pay for gas (insufficient funds): ${chainMessage(error)}`, { cause: error });
		throw new ChainUnavailable(`broadcast: ${chainMessage(error)}`, { cause: error });
	}
}
