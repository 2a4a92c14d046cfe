import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fromBase64, toBase64 } from '#lib/verifier/bytes';
import { verifyConsistency } from '#lib/verifier/merkle';
import { cosignatureMessage, parseVerifierKey, verifyCheckpointNote } from '#lib/verifier/note';

/**
 * A witness (C2SP tlog-witness, add-checkpoint; Ed25519 cosignature/v1 of
 * C2SP tlog-cosignature) for development and tests: `npm run witness`.
 * It trusts configured log keys, keeps the latest checkpoint it cosigned per
 * origin in a state file (written before it answers, one request at a time),
 * and cosigns a checkpoint only when a consistency proof shows it extends
 * that one. GET /<hex SHA-256 of origin>/checkpoint serves the latest
 * cosigned checkpoint (the spec's monitor retrieval).
 */

export type WitnessOptions = { dataDir: string; name: string; logs: { vkey: string; origin?: string }[] };
type LogState = { size: number; root: string; note: string };

const MAX_BODY = 1024 * 1024;
const EMPTY_ROOT = createHash('sha256').digest();

function loadKey(dataDir: string): KeyObject {
	const file = join(dataDir, 'witness-key.pem');
	if (!existsSync(file)) {
		mkdirSync(dataDir, { recursive: true });
		writeFileSync(file, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
		chmodSync(file, 0o600);
	}
	return createPrivateKey(readFileSync(file));
}

export type WitnessServer = { server: Server; vkey: string; url: string; close(): Promise<void> };

export async function startWitness(o: WitnessOptions, listen: { host: string; port: number }): Promise<WitnessServer> {
	const key = loadKey(o.dataDir);
	const pub = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12));
	const keyId = createHash('sha256').update(`${o.name}\n`).update(Uint8Array.of(0x04)).update(pub).digest().subarray(0, 4);
	const vkey = `${o.name}+${keyId.toString('hex')}+${toBase64(Uint8Array.of(0x04, ...pub))}`;
	const logs = new Map<string, string>();
	for (const l of o.logs) {
		const parsed = await parseVerifierKey(l.vkey);
		if (!parsed) throw new Error(`not a log verifier key: ${l.vkey}`);
		logs.set(l.origin ?? parsed.name, l.vkey);
	}
	const stateFile = join(o.dataDir, 'witness-state.json');
	const state: Record<string, LogState> = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : {};
	const save = () => {
		writeFileSync(`${stateFile}.tmp`, JSON.stringify(state, null, 1));
		renameSync(`${stateFile}.tmp`, stateFile);
	};
	const cosign = (body: string) => {
		const timestamp = Math.floor(Date.now() / 1000);
		const ts = Buffer.alloc(8);
		ts.writeBigUInt64BE(BigInt(timestamp));
		const signature = sign(null, Buffer.from(cosignatureMessage(body, timestamp)), key);
		return `\u2014 ${o.name} ${Buffer.concat([keyId, ts, signature]).toString('base64')}\n`;
	};

	async function addCheckpoint(text: string): Promise<{ status: number; body: string; type?: string }> {
		const blank = text.indexOf('\n\n');
		if (blank < 0) return { status: 400, body: 'no empty line before the checkpoint\n' };
		const head = text.slice(0, blank).split('\n');
		const note = text.slice(blank + 2);
		const old = /^old (0|[1-9]\d*)$/.exec(head[0] ?? '');
		const proof = head.slice(1).map((l) => fromBase64(l));
		if (!old || proof.length > 63 || proof.some((p) => !p || p.length !== 32)) return { status: 400, body: 'malformed old size or proof line\n' };
		const origin = note.slice(0, note.indexOf('\n'));
		const logKey = logs.get(origin);
		if (!logKey) return { status: 404, body: `unknown log ${origin}\n` };
		const v = await verifyCheckpointNote(note, logKey);
		if (!v.ok) return { status: 403, body: `${v.reason}\n` };
		const { treeSize: size, rootHash: root } = v.checkpoint;
		const oldSize = Number(old[1]);
		if (oldSize > size) return { status: 400, body: 'old size above the checkpoint size\n' };
		const mine = state[origin];
		if (oldSize !== (mine?.size ?? 0)) return { status: 409, body: `${mine?.size ?? 0}\n`, type: 'text/x.tlog.size' };
		if (size === 0 && !Buffer.from(root).equals(EMPTY_ROOT)) return { status: 422, body: 'a tree of size 0 has the empty root\n' };
		if (oldSize === 0 && proof.length) return { status: 422, body: 'no proof from size 0\n' };
		if (oldSize > 0 && oldSize === size && toBase64(root) !== mine!.root) return { status: 422, body: 'another root for the same size\n' };
		if (oldSize > 0 && oldSize < size && !(await verifyConsistency(oldSize, size, fromBase64(mine!.root)!, root, proof as Uint8Array[]))) return { status: 422, body: 'the consistency proof does not verify\n' };
		const line = cosign(v.body);
		// persisted before the answer: a witness never cosigns two histories
		state[origin] = { size, root: toBase64(root), note: note + line };
		save();
		return { status: 200, body: line };
	}

	let queue: Promise<unknown> = Promise.resolve();
	const server = createServer((req: IncomingMessage, res: ServerResponse) => {
		const reply = (r: { status: number; body: string; type?: string }) => {
			res.writeHead(r.status, { 'content-type': r.type ?? 'text/plain; charset=utf-8' });
			res.end(r.body);
		};
		const checkpointPath = /^\/([0-9a-f]{64})\/checkpoint$/.exec(req.url ?? '');
		if (req.method === 'GET' && checkpointPath) {
			const entry = Object.entries(state).find(([origin]) => createHash('sha256').update(origin).digest('hex') === checkpointPath[1]);
			return reply(entry ? { status: 200, body: entry[1].note } : { status: 404, body: 'never cosigned a checkpoint of that log\n' });
		}
		if (req.method !== 'POST' || req.url !== '/add-checkpoint') return reply({ status: 404, body: 'not found\n' });
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (c: Buffer) => {
			size += c.length;
			if (size > MAX_BODY) req.destroy();
			else chunks.push(c);
		});
		req.on('end', () => {
			// one request at a time: checking the old size and persisting the new one is atomic
			queue = queue.then(() => addCheckpoint(Buffer.concat(chunks).toString('utf8')).then(reply, (e: Error) => reply({ status: 500, body: `${e.message}\n` })));
		});
	});
	await new Promise<void>((resolve) => server.listen(listen.port, listen.host, resolve));
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : listen.port;
	return { server, vkey, url: `http://${listen.host}:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}
