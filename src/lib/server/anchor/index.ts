/**
 * Anchoring the transparency log on an EVM chain: the anchor worker coalesces
 * the certificates waiting for an anchor into the newest signed checkpoint,
 * records (origin hash, tree size, root hash) in the WipeCertAnchor contract
 * with a transaction the signer signs, follows it to CHAIN_CONFIRMATIONS and
 * through reorganisations, and has the PDFs re-rendered with the anchor. It
 * owns anchors, anchor_certificates, anchor_events, chain_nonces and
 * anchor_state. Handbook: operations/anchoring.md.
 */
export { ANCHOR_ABI, ANCHOR_BYTECODE, ANCHOR_COMPILER } from './contract.gen';
export { ChainUnavailable, chainClient, originHash, rootHex, anchorCalldata, type ChainClient } from './chain';
export { deployAnchorContract, chainFees, type FeeCaps } from './transactions';
export { startDevChain, DEV_CHAIN_ID, type DevChain, type Eip1193Request } from './dev-node';
export { anchorJob, ensureAnchorSchedule, enqueueCertificate, scheduleWake, type AnchorJob } from './wake';
export { anchorTick, bundleAnchor, type TickResult } from './tick';
export { chainStatus, collectAnchorMetrics, publicAnchor, explorerUrl, type ChainStatus, type PublicAnchor } from './status';
export { anchorRuntime, anchorSettings, type AnchorRuntime, type RuntimeHost } from './runtime';
export type { AnchorDeps, AnchorSettings } from './deps';
export { ANCHOR_STATUSES, type Anchor, type AnchorStatus, type AnchorEvent } from './schema';
