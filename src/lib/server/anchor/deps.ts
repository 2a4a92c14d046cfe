import type { PdfDeps } from '#lib/server/certificates/issue-pdf';
import type { Db } from '#lib/server/db/client';
import type { Queue } from '#lib/server/queue';
import type { Hex, Signer } from '#lib/server/signer/types';
import type { Logger } from '#lib/server/telemetry/logger';
import type { ChainClient } from './chain';
import type { FeeCaps } from './transactions';

/** The settings anchoring runs with (CHAIN_*, ANCHOR_*), the chain id and contract resolved (CHAIN=dev: the embedded node's). */
export type AnchorSettings = FeeCaps & {
	chainId: number;
	contract: Hex;
	/** the transparency log's origin line (its checkpoints are what is anchored) */
	origin: string;
	confirmations: number;
	finality: number;
	/** seconds between looks at open anchors */
	pollInterval: number;
	/** ANCHOR_INTERVAL, seconds */
	interval: number;
	maxPending: number;
	/** PDFs re-rendered per wake-up (the rest on the next, at once) */
	pdfBatch: number;
};

/** What the anchor worker's functions take: the database, queue, chain, the signer's chain key and the PDF renderer's needs. */
export type AnchorDeps = {
	db: Db;
	queue: Queue;
	log: Logger;
	client: ChainClient;
	signer: Pick<Signer, 'chainAddress' | 'signTransaction'>;
	pdf: PdfDeps;
	settings: AnchorSettings;
	/** who the timeline names for the changes (`worker:<host>:<pid>:…`) */
	actor: string;
};
