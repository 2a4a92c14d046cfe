/**
 * The signer contract.
 * Every private key of the platform lives behind this interface: the in-process
 * keyring (embedded default, keys under DATA_DIR/keys) and the remote signer
 * (`SIGNER_URL`, mTLS) implement it alike, so callers never know which one they use.
 * A call that cannot reach the keys throws `SignerUnavailable` (the pipeline maps it
 * to FAILED_RETRYABLE); a bad input throws a plain Error.
 */
export class SignerUnavailable extends Error {
	override name = 'SignerUnavailable';
}

export type BatchSignature = {
	/** keyring key that signed the whole batch (stable id, e.g. `rk-007`) */
	keyId: string;
	/** e.g. `ECDSA-P256-SHA256` */
	algorithm: string;
	/** base64 signature per record id */
	signatures: Map<string, string>;
};

export type PublishedKeys = {
	/** PEM certificates of the keyring keys that sign receipts and PDFs, by key id */
	signing: { keyId: string; algorithm: string; certificatePem: string; createdAt: string; retiredAt: string | null }[];
	/** the platform root that issued the signing certificates (what an offline verifier trusts) */
	rootCertificatePem: string;
	/** proof-encryption certificate agents encrypt to: RSA, RSAES-OAEP key transport */
	proofEncryptionCertificatePem: string;
	/** the other one: P-256, ephemeral-static ECDH key agreement (RFC 5753) */
	proofEncryptionEcdhCertificatePem: string;
	/** transparency-log checkpoint key, C2SP signed-note verifier key (`name+hash+base64(0x01‖pubkey)`) */
	logVerifierKey: string;
};

/** A hex string as the EVM JSON-RPC writes it. */
export type Hex = `0x${string}`;

/**
 * An EVM transaction for the chain key to sign (anchoring). It has
 * no value field: the chain key pays gas for anchors and contract deployment
 * and never transfers funds, whoever asks. EIP-1559 fees, or `gasPrice` for a
 * legacy transaction on chains without a fee market.
 */
export type ChainTransaction = {
	chainId: number;
	nonce: number;
	/** the contract called; null deploys `data` as a new contract */
	to: Hex | null;
	data: Hex;
	gas: bigint;
} & ({ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; gasPrice?: undefined } | { gasPrice: bigint; maxFeePerGas?: undefined; maxPriorityFeePerGas?: undefined });

export type SignedChainTransaction = {
	/** the chain account that signed (the sender) */
	from: Hex;
	/** the signed transaction, for eth_sendRawTransaction */
	raw: Hex;
	/** keccak-256 of `raw`: the transaction hash */
	hash: Hex;
};

export interface Signer {
	/**
	 * Decrypts a proof envelope addressed to a proof-encryption key (RSAES-OAEP SHA-256 to the RSA key,
	 * or ephemeral-static ECDH with AES-256 key wrap to the P-256 key): RFC 5083
	 * AuthEnvelopedData with AES-256-GCM, or the first form, EnvelopedData with AES-256-GCM; returns the inner content bytes.
	 */
	decryptEnvelope(envelopedDer: Uint8Array): Promise<Uint8Array>;
	/** hex HMAC-SHA-256 with the platform's de-duplication key */
	hmac(bytes: Uint8Array): Promise<string>;
	/**
	 * Signs every record of one batch with one keyring key: least recently used key first,
	 * never a key that another batch holds at that moment (docs/architecture.md, "Keyring").
	 */
	signBatch(records: { id: string; bytes: Uint8Array }[]): Promise<BatchSignature>;
	/**
	 * PAdES (ETSI EN 319 142-1 B-B): a detached CMS SignedData over the given SHA-256 of the
	 * PDF's signed byte range, with signed attributes content-type, message-digest and
	 * signing-certificate-v2, the signing certificate embedded. Returns the DER ContentInfo.
	 */
	signPdfDigest(sha256: Uint8Array): Promise<{ keyId: string; cms: Uint8Array }>;
	/**
	 * The same for several PDFs under one key lease (the keyring's batch rule: one key signs a
	 * whole batch); CMS in the order of the digests. Optional: a signer without it (the remote
	 * signer, whose service leases in memory) is asked per PDF.
	 */
	signPdfDigests?(digests: Uint8Array[]): Promise<{ keyId: string; cms: Uint8Array[] }>;
	/** Ed25519 signature of a C2SP signed-note body; returns the note signature line's key name, key hash (4 bytes) and signature. */
	signNote(body: string): Promise<{ keyName: string; keyHash: Uint8Array; signature: Uint8Array }>;
	/** Issues an agent certificate from the tenant's agent CA (created on first use) for a PKCS#10 CSR (PEM). */
	issueAgentCertificate(request: { tenantId: string; agentId: string; name: string; csrPem: string }): Promise<{ certificatePem: string; caCertificatePem: string; serialHex: string; notAfter: Date }>;
	/** PEM of the tenant's agent CA certificate (created on first use) */
	agentCaCertificate(tenantId: string): Promise<string>;
	/** what `GET /api/v1/public/keys` publishes */
	publicKeys(): Promise<PublishedKeys>;
	/** The address of the chain key (secp256k1) that signs anchor transactions. */
	chainAddress(): Promise<Hex>;
	/** Signs an EVM transaction with the chain key (ECDSA secp256k1, RFC 6979 nonces: the same transaction always signs to the same bytes). */
	signTransaction(tx: ChainTransaction): Promise<SignedChainTransaction>;
	/** per-key use for the admin console: key id, batches signed, last used */
	keyUsage(): Promise<{ keyId: string; batches: number; lastUsedAt: string | null }[]>;
	close(): Promise<void>;
}
