import * as z from 'zod/mini';

/**
 * The JSON the verifiers read: the published keys (GET /api/v1/public/keys,
 * saved as keys.json) and the verification bundle every certificate PDF
 * embeds. zod/mini keeps the standalone verifier small.
 */
export const publishedKeysSchema = z.object({
	signing: z.array(z.object({ keyId: z.string(), algorithm: z.string(), certificatePem: z.string(), createdAt: z.string(), retiredAt: z.nullable(z.string()) })),
	rootCertificatePem: z.string(),
	proofEncryptionCertificatePem: z.optional(z.string()),
	logVerifierKey: z.string(),
	/** witnesses the platform asks for cosignatures (C2SP tlog-cosignature vkeys) */
	logWitnesses: z.optional(z.array(z.object({ name: z.string(), vkey: z.string() }))),
	verifier: z.optional(z.object({ url: z.string(), sha256: z.string() }))
});
export type VerificationKeys = z.infer<typeof publishedKeysSchema>;

export const BUNDLE_FILE_NAME = 'wipecert-verification.json';
/** format 1: the log leaf is the record itself; format 2: the leaf is the certificate entry (entry.ts) */
export const BUNDLE_FORMAT_RECORD_LEAF = 'wipecert-certificate-bundle/1';
export const BUNDLE_FORMAT = 'wipecert-certificate-bundle/2';

const hex = (bytes: number) => z.string().check(z.regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`)));

/**
 * The blockchain anchor of the bundle's checkpoint: the transaction of the
 * WipeCertAnchor contract that recorded (keccak-256 of the log origin, tree
 * size, root hash). Present in PDFs re-rendered after anchoring; `inclusion`
 * and `checkpoint` then lead to exactly that tree size.
 */
export const bundleAnchorSchema = z.object({
	chainId: z.int().check(z.minimum(1)),
	contract: hex(20),
	txHash: hex(32),
	blockNumber: z.int().check(z.minimum(0)),
	blockHash: hex(32),
	/** ISO 8601 time of the block */
	blockTime: z.string(),
	treeSize: z.int().check(z.minimum(1)),
	rootHash: hex(32),
	originHash: hex(32),
	/** confirmations the platform had counted when it rendered the PDF (CHAIN_CONFIRMATIONS at least) */
	confirmations: z.int().check(z.minimum(1))
});
export type BundleAnchor = z.infer<typeof bundleAnchorSchema>;

export const bundleSchema = z.object({
	format: z.union([z.literal(BUNDLE_FORMAT_RECORD_LEAF), z.literal(BUNDLE_FORMAT)]),
	publicId: z.string().check(z.minLength(1)),
	/** the canonical JSON of the certificate record */
	record: z.string().check(z.minLength(2)),
	leafIndex: z.int().check(z.minimum(0)),
	inclusion: z.object({ treeSize: z.int().check(z.minimum(1)), hashes: z.array(z.string()) }),
	/** C2SP signed note of the checkpoint of `inclusion.treeSize`, with the witnesses' cosignatures it had when the PDF was made */
	checkpoint: z.string().check(z.minLength(1)),
	verifyUrl: z.string(),
	anchor: z.optional(bundleAnchorSchema)
});
export type VerificationBundle = z.infer<typeof bundleSchema>;
