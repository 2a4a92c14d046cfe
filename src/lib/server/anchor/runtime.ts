import type { Hex } from 'viem';
import type { ResolvedConfig } from '#lib/server/config';
import { logOrigin } from '#lib/server/log';
import type { Container } from '#lib/server/container';
import type { Logger } from '#lib/server/telemetry/logger';
import { chainClient, type ChainClient } from './chain';
import type { AnchorSettings } from './deps';
import { startDevChain, type DevChain } from './dev-node';

/** The chain this process anchors on: its client and the settings with chain id and contract resolved. */
export type AnchorRuntime = { mode: 'dev' | 'evm'; url: string; client: ChainClient; settings: AnchorSettings; dev: DevChain | null };

/** PDFs re-rendered per pass of the anchor worker: a fraction of a second of work, so a pass never holds the anchor lock (or the CPU) for long. */
const PDF_BATCH = 25;

export function anchorSettings(config: ResolvedConfig, chain: { chainId: number; contract: Hex }): AnchorSettings {
	return {
		chainId: chain.chainId,
		contract: chain.contract,
		origin: logOrigin(config),
		confirmations: config.CHAIN_CONFIRMATIONS,
		finality: config.CHAIN_FINALITY_BLOCKS,
		pollInterval: config.CHAIN_POLL_INTERVAL,
		interval: config.ANCHOR_INTERVAL,
		maxPending: config.ANCHOR_MAX_PENDING,
		gasLimit: config.CHAIN_GAS_LIMIT,
		maxFeePerGas: config.CHAIN_MAX_FEE_PER_GAS,
		maxPriorityFeePerGas: config.CHAIN_MAX_PRIORITY_FEE_PER_GAS,
		pdfBatch: PDF_BATCH
	};
}

/** What the runtime takes from the process container. */
export type RuntimeHost = Pick<Container, 'config' | 'log' | 'signer' | 'onStop'>;

const runtimes = new WeakMap<object, Promise<AnchorRuntime | null>>();

/**
 * The chain of a process container, made on first use and kept with it: none
 * with CHAIN=noop; CHAIN=evm the node at CHAIN_RPC_URL; CHAIN=dev the
 * embedded node, started here (or attached to when another process of
 * DATA_DIR runs it) and stopped with the container. A failed start is tried
 * again on the next call.
 */
export function anchorRuntime(app: RuntimeHost): Promise<AnchorRuntime | null> {
	let current = runtimes.get(app);
	if (!current) {
		const { config, log } = app;
		current = (async (): Promise<AnchorRuntime | null> => {
			const timeout = config.CHAIN_TIMEOUT * 1000;
			if (config.CHAIN === 'noop') return null;
			if (config.CHAIN === 'evm') {
				const url = config.CHAIN_RPC_URL!;
				return { mode: 'evm', url, client: chainClient(url, timeout), settings: anchorSettings(config, { chainId: config.CHAIN_ID!, contract: config.CHAIN_CONTRACT! as Hex }), dev: null };
			}
			const dev = await startDevChain({ dataDir: config.dataDir, blockTime: config.CHAIN_DEV_BLOCK_TIME, signer: await app.signer(), log: log.child({ component: 'dev-chain' }) });
			app.onStop(() => dev.stop());
			return { mode: 'dev', url: dev.url, client: chainClient(dev.url, timeout), settings: anchorSettings(config, dev), dev };
		})();
		runtimes.set(app, current);
		current.catch(() => runtimes.delete(app));
	}
	return current;
}
