/**
 * Chain transactions between the anchor module and the signer: the
 * checks every signer applies before signing, and the JSON wire form of the
 * remote signer (bigints as decimal strings).
 */
import type { TransactionSerializable } from 'viem';
import { z } from 'zod';
import type { ChainTransaction, Hex } from './types';

/**
 * The transaction as viem serialises it, checked first: whole non-negative
 * numbers, a 20-byte `to`, even-length hex data. Value is always 0 (the type
 * has no value field): the chain key pays gas, it never transfers funds.
 */
export function serializable(tx: ChainTransaction): TransactionSerializable {
	const uint = (name: string, v: bigint | number) => {
		if (typeof v === 'number' ? !Number.isSafeInteger(v) || v < 0 : v < 0n) throw new Error(`${name} must be a non-negative whole number`);
	};
	uint('chainId', tx.chainId);
	if (tx.chainId < 1) throw new Error('chainId must be at least 1');
	uint('nonce', tx.nonce);
	uint('gas', tx.gas);
	if (tx.to !== null && !/^0x[0-9a-fA-F]{40}$/.test(tx.to)) throw new Error('to must be a 20-byte address or null (contract creation)');
	if (!/^0x([0-9a-fA-F]{2})*$/.test(tx.data)) throw new Error('data must be hex of whole bytes');
	const base = { chainId: tx.chainId, nonce: tx.nonce, to: tx.to ?? undefined, data: tx.data, gas: tx.gas, value: 0n };
	if (tx.gasPrice !== undefined) {
		uint('gasPrice', tx.gasPrice);
		return { ...base, type: 'legacy', gasPrice: tx.gasPrice };
	}
	uint('maxFeePerGas', tx.maxFeePerGas);
	uint('maxPriorityFeePerGas', tx.maxPriorityFeePerGas);
	if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) throw new Error('maxPriorityFeePerGas must not exceed maxFeePerGas');
	return { ...base, type: 'eip1559', maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas };
}

const decimal = z.string().regex(/^(0|[1-9]\d{0,77})$/, 'must be a decimal whole number').transform((v) => BigInt(v));
const hex = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'must be hex of whole bytes').transform((v) => v as Hex);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte address').transform((v) => v as Hex);

/** The remote signer's request body for one transaction. */
export const chainTransactionWire = z.union([
	z.object({ chainId: z.number().int().min(1), nonce: z.number().int().min(0), to: address.nullable(), data: hex, gas: decimal, maxFeePerGas: decimal, maxPriorityFeePerGas: decimal }).strict(),
	z.object({ chainId: z.number().int().min(1), nonce: z.number().int().min(0), to: address.nullable(), data: hex, gas: decimal, gasPrice: decimal }).strict()
]);

export function chainTransactionToWire(tx: ChainTransaction): Record<string, unknown> {
	const base = { chainId: tx.chainId, nonce: tx.nonce, to: tx.to, data: tx.data, gas: tx.gas.toString() };
	return tx.gasPrice !== undefined
		? { ...base, gasPrice: tx.gasPrice.toString() }
		: { ...base, maxFeePerGas: tx.maxFeePerGas.toString(), maxPriorityFeePerGas: tx.maxPriorityFeePerGas.toString() };
}

export const signedChainTransactionWire = z.object({ from: address, raw: hex, hash: z.string().regex(/^0x[0-9a-f]{64}$/).transform((v) => v as Hex) });
