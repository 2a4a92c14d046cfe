/**
 * CHAIN=dev: a real EVM node in this process (ganache: persistent state in
 * DATA_DIR/chain, EIP-1559 fees, evm_snapshot/evm_revert), served as plain
 * JSON-RPC over HTTP on a free loopback port, so the anchor worker, the
 * console and `npm run verify -- --rpc` talk to it as to any chain. On first
 * start it funds the signer's chain account from the node's own dev account
 * and deploys WipeCertAnchor through the signer. A second process of the same
 * DATA_DIR attaches to the running node (DATA_DIR/chain/node.json) instead of
 * starting another: the state directory has one owner.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { Hex, Signer } from '#lib/server/signer/types';
import type { Logger } from '#lib/server/telemetry/logger';
import { chainClient } from './chain';
import { deployAnchorContract } from './transactions';

export const DEV_CHAIN_ID = 1337;
/** What the dev node gives the chain account on first start, and again when it runs low (wei). */
const FUNDING = 1000n * 10n ** 18n;
const LOW_BALANCE = 10n * 10n ** 18n;

/** The EIP-1193 request function of the in-process node (tests use it for evm_snapshot, evm_revert, miner_stop…). */
export type Eip1193Request = (args: { method: string; params?: unknown[] }) => Promise<unknown>;

export type DevChain = {
	url: string;
	chainId: number;
	contract: Hex;
	/** false when another process of this DATA_DIR runs the node and this one attached */
	owned: boolean;
	/** the node itself, in the owning process */
	request: Eip1193Request | null;
	stop(): Promise<void>;
};

const nodeFile = z.object({ pid: z.number().int(), url: z.url(), chainId: z.number().int() });
const deploymentFile = z.object({ contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/), chainId: z.number().int(), txHash: z.string(), blockNumber: z.number().int() });
const ganacheRevert = z.object({ result: z.string().regex(/^0x([0-9a-fA-F]{2})+$/), message: z.literal('revert') });
const rpcCall = z.object({ jsonrpc: z.literal('2.0').optional(), id: z.union([z.string(), z.number(), z.null()]).optional(), method: z.string().min(1), params: z.array(z.unknown()).optional() });

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

function writeAtomic(file: string, text: string) {
	const tmp = `${file}.${process.pid}.tmp`;
	writeFileSync(tmp, text, { mode: 0o600 });
	renameSync(tmp, file);
}

function readJson<T extends z.ZodType>(file: string, schema: T): z.output<T> | null {
	if (!existsSync(file)) return null;
	const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
	return parsed.success ? parsed.data : null;
}

/**
 * ganache, loaded only when CHAIN=dev. Its HTTP server module (uWebSockets.js)
 * has no binary for Node 24 and says so on the console when loaded; this
 * module never uses that server (it serves HTTP itself), so that one notice
 * is dropped and anything else printed meanwhile is passed on.
 */
async function loadGanache() {
	const original = { log: console.log, warn: console.warn, error: console.error };
	const filter =
		(write: (...a: unknown[]) => void) =>
		(...args: unknown[]) => {
			const text = args.map(String).join(' ');
			if (/µWS|uws_|Falling back to a NodeJS implementation/.test(text)) return;
			write(...args);
		};
	console.log = filter(original.log);
	console.warn = filter(original.warn);
	console.error = filter(original.error);
	try {
		return (await import('ganache')).default;
	} finally {
		Object.assign(console, original);
	}
}

async function readBody(req: IncomingMessage, max: number): Promise<string> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const c of req) {
		size += (c as Buffer).length;
		if (size > max) throw new Error(`request larger than ${max} bytes`);
		chunks.push(c as Buffer);
	}
	return Buffer.concat(chunks).toString('utf8');
}

/** JSON-RPC 2.0 over HTTP (single calls and batches) in front of an EIP-1193 request function. */
function serveJsonRpc(request: Eip1193Request): Server {
	const answer = async (raw: unknown) => {
		const call = rpcCall.safeParse(raw);
		if (!call.success) return { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request' } };
		const id = call.data.id ?? null;
		try {
			return { jsonrpc: '2.0', id, result: (await request({ method: call.data.method, params: call.data.params ?? [] })) ?? null };
		} catch (error) {
			const e = error as { code?: unknown; message?: string; data?: unknown };
			// ganache reports a revert as { result: <revert data> }; geth's form (code 3, data = the revert bytes) is what clients decode custom errors from
			const revert = ganacheRevert.safeParse(e.data);
			if (revert.success) return { jsonrpc: '2.0', id, error: { code: 3, message: 'execution reverted', data: revert.data.result } };
			return { jsonrpc: '2.0', id, error: { code: typeof e.code === 'number' ? e.code : -32000, message: e.message ?? String(error), ...(e.data === undefined ? {} : { data: e.data }) } };
		}
	};
	return createServer(async (req, res) => {
		const reply = (status: number, body: unknown) => {
			const data = Buffer.from(JSON.stringify(body));
			res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length });
			res.end(data);
		};
		if (req.method !== 'POST') return reply(405, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'POST JSON-RPC requests' } });
		let body: unknown;
		try {
			body = JSON.parse(await readBody(req, 8 * 1024 * 1024));
		} catch {
			return reply(400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } });
		}
		reply(200, Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body));
	});
}

async function waitMined(request: Eip1193Request, hash: unknown, timeoutMs = 60_000) {
	const deadline = Date.now() + timeoutMs;
	while (!(await request({ method: 'eth_getTransactionReceipt', params: [hash] }))) {
		if (Date.now() > deadline) throw new Error(`the dev node did not mine ${String(hash)}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

export type DevChainOptions = {
	dataDir: string;
	/** seconds between blocks; 0 mines a block for every transaction (tests mine the rest themselves) */
	blockTime: number;
	signer: Pick<Signer, 'chainAddress' | 'signTransaction'>;
	log: Logger;
	/** a fixed port (0: a free one) */
	port?: number;
};

export async function startDevChain(opts: DevChainOptions): Promise<DevChain> {
	const dir = join(opts.dataDir, 'chain');
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	const nodePath = join(dir, 'node.json');
	const deploymentPath = join(dir, 'deployment.json');

	const running = readJson(nodePath, nodeFile);
	if (running && running.pid !== process.pid && alive(running.pid)) {
		const deployment = readJson(deploymentPath, deploymentFile);
		try {
			const id = await chainClient(running.url, 3000).getChainId();
			if (deployment && id === running.chainId) {
				opts.log.info({ url: running.url, pid: running.pid }, 'attached to the embedded chain of another process');
				return { url: running.url, chainId: id, contract: deployment.contract as Hex, owned: false, request: null, stop: async () => {} };
			}
		} catch {
			// its owner is gone or stuck: this process starts the node
		}
	}

	const ganache = await loadGanache();
	const provider = ganache.provider({
		database: { dbPath: join(dir, 'db') },
		chain: { chainId: DEV_CHAIN_ID },
		miner: { blockTime: opts.blockTime },
		wallet: { deterministic: true, totalAccounts: 1, defaultBalance: 1_000_000 },
		logging: { quiet: true }
	});
	const request: Eip1193Request = (args) => provider.request(args as Parameters<typeof provider.request>[0]) as Promise<unknown>;
	const server = serveJsonRpc(request);
	// clients keep connections for their own idle time (undici: 4 s); a server that closes first can race a reused socket ("fetch failed") when this process was busy
	server.keepAliveTimeout = 60_000;
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
	});
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	writeAtomic(nodePath, JSON.stringify({ pid: process.pid, url, chainId: DEV_CHAIN_ID }) + '\n');
	const stop = async () => {
		server.closeAllConnections();
		await new Promise((r) => server.close(r));
		await provider.disconnect();
		const file = readJson(nodePath, nodeFile);
		if (file?.pid === process.pid) rmSync(nodePath, { force: true });
	};
	try {
		const client = chainClient(url, 10_000);
		const account = await opts.signer.chainAddress();
		if ((await client.getBalance({ address: account })) < LOW_BALANCE) {
			const [funder] = (await request({ method: 'eth_accounts' })) as string[];
			const hash = await request({ method: 'eth_sendTransaction', params: [{ from: funder, to: account, value: `0x${FUNDING.toString(16)}` }] });
			await waitMined(request, hash);
		}
		let deployment = readJson(deploymentPath, deploymentFile);
		if (!deployment || (await client.getCode({ address: deployment.contract as Hex })) === undefined) {
			const d = await deployAnchorContract(client, opts.signer, {
				chainId: DEV_CHAIN_ID,
				caps: { gasLimit: 2_000_000, maxFeePerGas: 100n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n }
			});
			deployment = { contract: d.contract, chainId: DEV_CHAIN_ID, txHash: d.txHash, blockNumber: d.blockNumber };
			writeAtomic(deploymentPath, JSON.stringify(deployment, null, 2) + '\n');
			opts.log.info({ contract: d.contract, txHash: d.txHash }, 'deployed WipeCertAnchor on the embedded chain');
		}
		opts.log.info({ url, chainId: DEV_CHAIN_ID, contract: deployment.contract, account }, 'embedded chain running');
		return { url, chainId: DEV_CHAIN_ID, contract: deployment.contract as Hex, owned: true, request, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}
