import { spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeIssuance, createCertificateRecords, type Certificate } from '../../src/lib/server/certificates';
import { appendCertificatesToLog, renderCertificatePdfs } from '../../src/lib/server/certificates/issue-pdf';
import { sampleRecord } from '../../src/lib/server/certificates/sample';
import { parseConfig, resolveConfig } from '../../src/lib/server/config';
import { appendLeaves } from '../../src/lib/server/log';
import { startWitness, type WitnessServer } from '../../src/lib/server/log/witness-server';
import { newPublicId } from '../../src/lib/server/records';
import { createKeyringSigner, type KeyringSigner } from '../../src/lib/server/signer';
import { createStore } from '../../src/lib/server/storage';
import { freePort, startApp, type AppProcess } from '../helpers/app-process';

/**
 * The log as C2SP tlog-tiles, the standalone verifier, the monitor and the
 * witness, on the built app: 300 log entries plus two real certificates
 * issued through the log, PDF and witness code. Everything a client reads is
 * checked with code written here from the specs (tlog-tiles, signed-note,
 * RFC 6962), not with the app's own verifier.
 */
let app: AppProcess;
let dataDir: string;
let work: string;
let signer: KeyringSigner;
let witness: WitnessServer;
let logVkey: string;
const certs: Certificate[] = [];
const pdfs = new Map<string, Uint8Array>();
let n = 0;
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.origin}${path}`, { headers: { 'x-forwarded-for': `203.0.113.${(n++ % 250) + 1}`, ...headers } });

// ---- an independent tlog implementation (RFC 6962 §2.1, C2SP tlog-tiles) ----
const sha = (...p: Uint8Array[]) => createHash('sha256').update(Buffer.concat(p)).digest();
const leafOf = (d: Uint8Array) => sha(Buffer.of(0), d);
function mth(leaves: Buffer[]): Buffer {
	if (leaves.length === 0) return sha();
	if (leaves.length === 1) return leaves[0];
	let k = 1;
	while (k * 2 < leaves.length) k *= 2;
	return sha(Buffer.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
const hashesOf = (tile: Buffer) => Array.from({ length: tile.length / 32 }, (_, i) => tile.subarray(32 * i, 32 * i + 32));
function bundleEntries(b: Buffer): Buffer[] {
	const out: Buffer[] = [];
	for (let at = 0; at < b.length; at += 2 + b.readUInt16BE(at)) out.push(b.subarray(at + 2, at + 2 + b.readUInt16BE(at)));
	return out;
}
function noteVerifies(note: string, vkey: string, type = 0x01): { body: string; size: number; root: Buffer } | null {
	const [, name, id, key] = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey)!;
	const raw = Buffer.from(key, 'base64');
	if (raw[0] !== type) return null;
	const pub = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw.subarray(1)]), format: 'der', type: 'spki' });
	const split = note.lastIndexOf('\n\n');
	const body = note.slice(0, split + 1);
	for (const line of note.slice(split + 2, -1).split('\n')) {
		const m = /^\u2014 (\S+) (\S+)$/.exec(line)!;
		const sig = Buffer.from(m[2], 'base64');
		if (m[1] !== name || sig.subarray(0, 4).toString('hex') !== id) continue;
		const ok =
			type === 0x01
				? verify(null, Buffer.from(body), pub, sig.subarray(4))
				: verify(null, Buffer.from(`cosignature/v1\ntime ${sig.readBigUInt64BE(4)}\n${body}`), pub, sig.subarray(12));
		if (!ok) return null;
		const [, size, root] = body.split('\n');
		return { body, size: Number(size), root: Buffer.from(root, 'base64') };
	}
	return null;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
	return new Promise((done) => {
		const child = spawn(cmd, args, { cwd, env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (out += d));
		child.once('exit', (code) => done({ code, out }));
	});
}
const monitor = (...args: string[]) => run(process.execPath, [resolve('build/monitor.js'), ...args], work);

async function issueCertificates(count: number) {
	const db = app.database.db;
	const [{ id: tenantId, name }] = await app.database.sql`select id, name from tenants where slug = 'acme'`;
	const rows: Parameters<typeof createCertificateRecords>[1] = [];
	for (let i = 0; i < count; i++) {
		const [proof] = await app.database.sql`
			insert into proofs (public_id, tenant_id, source, submitter_kind, submitter_id, size_bytes, content_sha256, object_key, status)
			values (${newPublicId('proof')}, ${tenantId}, 'api', 'user', 'test', 100, ${randomBytes(32).toString('hex')}, ${'proofs/x/' + randomUUID()}, 'CERTIFIED_NO_ANCHOR')
			returning id, public_id`;
		const publicId = newPublicId('certificate');
		const record = sampleRecord(publicId, { issuer: name as string });
		record.proof.id = proof.public_id as string;
		rows.push({ tenantId: tenantId as string, proofId: proof.id as string, publicId, record });
	}
	const created = await db.transaction((tx) => createCertificateRecords(tx, rows));
	const config = resolveConfig(parseConfig({ DATA_DIR: dataDir, DATABASE_URL: app.database.url ?? '', ORIGIN: app.origin }));
	const log = { warn: (o: object, msg: string) => console.warn(msg, o) };
	const indexes = await appendCertificatesToLog({ db, origin: `${new URL(app.origin).host}/log`, signNote: (b) => signer.signNote(b), witnesses: { witnesses: [{ vkey: witness.vkey, url: witness.url }], log } }, created);
	const storage = await createStore(config);
	const keys = await renderCertificatePdfs({ db, storage, signer, origin: app.origin }, created);
	const receipts = await signer.signBatch(created.map((c) => ({ id: c.publicId, bytes: Buffer.from(JSON.stringify(c.record)) })));
	await db.transaction((tx) =>
		completeIssuance(tx, created.map((c) => ({ id: c.id, receiptKeyId: receipts.keyId, receiptSignature: receipts.signatures.get(c.publicId)!, receiptAlgorithm: receipts.algorithm, logIndex: indexes.get(c.id)!, pdfObjectKey: keys.get(c.id)! })))
	);
	for (const c of created) pdfs.set(c.publicId, (await storage.getBytes(keys.get(c.id)!))!);
	certs.push(...created);
}

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), 'wipecert-tiles-'));
	work = mkdtempSync(join(tmpdir(), 'wipecert-tiles-work-'));
	// the keyring first (the app loads it), so the witness can trust the log key before the app starts
	const appPort = await freePort();
	const host = `localhost:${appPort}`;
	signer = await createKeyringSigner(join(dataDir, 'keys'), { keys: 1, batchSize: 50, noteKeyName: `${host}/log` });
	logVkey = (await signer.publicKeys()).logVerifierKey;
	witness = await startWitness({ dataDir: join(work, 'witness'), name: 'witness.test/w1', logs: [{ vkey: logVkey }] }, { host: '127.0.0.1', port: 0 });
	app = await startApp({ PORT: String(appPort), ORIGIN: `http://${host}`, DATA_DIR: dataDir, SIGNER_KEYS: '1', TRUSTED_PROXY_HOPS: '1', LOG_WITNESSES: `${witness.vkey} ${witness.url}` });
	const deps = { db: app.database.db, origin: `${host}/log`, signNote: (b: string) => signer.signNote(b) };
	// 300 entries in three checkpoints: a full level-0 tile, a partial one, a partial level-1 tile
	for (const size of [100, 100, 100]) {
		const entries = Array.from({ length: size }, () => Buffer.from(`wipecert/certificate/v1\n${newPublicId('certificate')}\n${randomBytes(32).toString('hex')}\n`));
		await appendLeaves(deps, entries);
	}
	await issueCertificates(2);
}, 240_000);
afterAll(async () => {
	await witness?.close();
	await signer?.close();
	await app?.stop();
	rmSync(dataDir, { recursive: true, force: true });
	rmSync(work, { recursive: true, force: true });
});

describe('the log as C2SP tlog-tiles', () => {
	it('serves the checkpoint as a signed note, cosigned by the witness, cached a few seconds at most', async () => {
		const r = await get('/log/checkpoint');
		expect(r.status).toBe(200);
		expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
		expect(Number(/max-age=(\d+)/.exec(r.headers.get('cache-control') ?? '')![1])).toBeLessThanOrEqual(5);
		const note = await r.text();
		const cp = noteVerifies(note, logVkey);
		expect(cp?.size).toBe(302);
		expect(noteVerifies(note, witness.vkey, 0x04)?.size).toBe(302);
		const keys = await (await get('/api/v1/public/keys')).json();
		expect(keys.logWitnesses).toEqual([{ name: 'witness.test/w1', vkey: witness.vkey }]);
	});

	it('recomputes the checkpoint root from the served tiles, and every entry from the bundles', async () => {
		const note = await (await get('/log/checkpoint')).text();
		const { size, root } = noteVerifies(note, logVkey)!;
		const tile = async (path: string) => {
			const r = await get(`/log/${path}`);
			expect(r.status, path).toBe(200);
			expect(r.headers.get('content-type')).toBe('application/octet-stream');
			expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
			return Buffer.from(await r.arrayBuffer());
		};
		const level0 = [...hashesOf(await tile('tile/0/000')), ...hashesOf(await tile(`tile/0/001.p/${size - 256}`))];
		expect(level0).toHaveLength(size);
		expect(mth(level0).equals(root)).toBe(true);
		// level 1: each hash is the root of a full level-0 tile; the tile of a 302-leaf tree is partial, width 1
		const level1 = hashesOf(await tile('tile/1/000.p/1'));
		expect(level1[0].equals(mth(level0.slice(0, 256)))).toBe(true);
		const entries = [...bundleEntries(await tile('tile/entries/000')), ...bundleEntries(await tile(`tile/entries/001.p/${size - 256}`))];
		expect(entries.map((e) => leafOf(e).toString('hex'))).toEqual(level0.map((h) => h.toString('hex')));
		for (const e of entries) expect(e.toString()).toMatch(/^wipecert\/certificate\/v1\nwc_[a-z2-7]{26}\n[0-9a-f]{64}\n$/);
		// the issued certificates' leaves are their ID and record hash, nothing of the record
		expect(entries.slice(300).map((e) => e.toString().split('\n')[1])).toEqual(certs.map((c) => c.publicId));
		expect(entries.slice(300).map((e) => e.toString().split('\n')[2])).toEqual(certs.map((c) => c.recordSha256));
		const gz = await get('/log/tile/entries/000', { 'accept-encoding': 'gzip' });
		expect(gz.headers.get('content-encoding')).toBe('gzip');
		expect(gz.headers.get('vary')).toBe('accept-encoding');
	});

	it('answers 404 for tiles that do not exist yet and paths not in the spec spelling', async () => {
		for (const path of ['tile/0/001', 'tile/0/1', 'tile/0/x000/001', `tile/0/001.p/47`, 'tile/0/000.p/256', 'tile/0/000.p/0', 'tile/64/000', 'tile/2/000', 'tile/entries/002', 'tile/00/000']) {
			const r = await get(`/log/${path}`);
			expect(r.status, path).toBe(404);
			expect((await r.json()).error.code).toBe('not_found');
		}
	});
});

describe('the standalone verifier', () => {
	it('is served with its published SHA-256 and, run by the system Node.js outside the repository, verifies good and tampered PDFs', async () => {
		const keys = await (await get('/api/v1/public/keys')).json();
		const r = await get('/downloads/wipecert-verify.mjs');
		expect(r.status).toBe(200);
		const file = Buffer.from(await r.arrayBuffer());
		const digest = createHash('sha256').update(file).digest('hex');
		expect(keys.verifier).toEqual({ url: `${app.origin}/downloads/wipecert-verify.mjs`, sha256: digest });
		expect(r.headers.get('etag')).toBe(`"${digest}"`);
		const dir = mkdtempSync(join(tmpdir(), 'wipecert-standalone-'));
		try {
			writeFileSync(join(dir, 'wipecert-verify.mjs'), file);
			writeFileSync(join(dir, 'keys.json'), JSON.stringify(keys));
			const [c] = certs;
			const pdf = pdfs.get(c.publicId)!;
			writeFileSync(join(dir, 'good.pdf'), pdf);
			const bad = Buffer.from(pdf);
			bad[Math.floor(bad.length / 2)] ^= 0x01;
			writeFileSync(join(dir, 'bad.pdf'), bad);
			const node = (...args: string[]) => run('/usr/bin/node', ['wipecert-verify.mjs', ...args], dir);
			expect((await run('/usr/bin/node', ['--version'], dir)).out).toMatch(/^v20\./);
			const ok = await node('good.pdf', '--keys', 'keys.json');
			expect(ok.code, ok.out).toBe(0);
			expect(ok.out).toContain(`VALID: good.pdf is certificate ${c.publicId}`);
			expect(ok.out).toMatch(/witnesses +cosigned by witness\.test\/w1/);
			expect((await node('good.pdf', '--witness', witness.vkey)).code).toBe(0); // ./keys.json by default
			const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
			const otherId = createHash('sha256').update('other.test/w\n').update(Buffer.of(4)).update(other).digest().subarray(0, 4).toString('hex');
			const missing = await node('good.pdf', '--witness', `other.test/w+${otherId}+${Buffer.concat([Buffer.of(4), other]).toString('base64')}`);
			expect(missing.code, missing.out).toBe(1);
			expect(missing.out).toContain('not cosigned by the required witness other.test/w');
			const no = await node('bad.pdf', '--keys', 'keys.json');
			expect(no.code, no.out).toBe(1);
			expect(no.out).toMatch(/INVALID: bad\.pdf: signature check failed/);
			const json = JSON.parse((await node('good.pdf', '--json')).out);
			expect(json).toMatchObject({ valid: true, publicId: c.publicId, treeSize: 302 });
			expect((await node()).code).toBe(2);
			expect((await node('good.pdf', '--keys', 'missing.json')).code).toBe(2);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('the monitor', () => {
	it('follows the log, and exits 1 printing the checkpoints on a rewritten entry or a rewritten leaf', async () => {
		const state = join(work, 'monitor.json');
		const first = await monitor('--url', app.origin, '--state', state);
		expect(first.code, first.out).toBe(0);
		expect(first.out).toContain('tree size 302, 302 new entries re-hashed');
		expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ treeSize: 302, logKey: logVkey });
		const again = await monitor('--url', `${app.origin}/log`, '--state', state, '--witness', witness.vkey);
		expect(again.code, again.out).toBe(0);

		// a stored entry rewritten in the database: a full audit finds it
		const sql = app.database.sql;
		const [{ data }] = await sql`select data from log_entries where idx = 5`;
		await sql`update log_entries set data = ${Buffer.from(String(data).replace(/[0-9a-f]{64}/, 'f'.repeat(64)))} where idx = 5`;
		const audit = await monitor('--url', app.origin);
		expect(audit.code, audit.out).toBe(1);
		expect(audit.out).toContain('REWRITTEN ENTRY 5:');
		expect(audit.out).toContain('--- checkpoint served now (tree size 302) ---');
		if (process.env.WIPECERT_MONITOR_OUT) writeFileSync(join(process.env.WIPECERT_MONITOR_OUT, 'monitor-rewritten-entry.txt'), audit.out);
		await sql`update log_entries set data = ${data} where idx = 5`;

		// an entry of a partial tile rewritten: the monitor with state meets it when the tile grows
		const [{ data: d260 }] = await sql`select data from log_entries where idx = 260`;
		await sql`update log_entries set data = ${Buffer.from('wipecert/certificate/v1\nwc_aaaaaaaaaaaaaaaaaaaaaaaaaa\n' + '0'.repeat(64) + '\n')} where idx = 260`;
		await issueCertificates(1);
		// the app reuses the newest checkpoint it read for a second
		await expect.poll(async () => noteVerifies(await (await get('/log/checkpoint')).text(), logVkey)?.size, { timeout: 10_000 }).toBe(303);
		const grown = await monitor('--url', app.origin, '--state', state);
		expect(grown.code, grown.out).toBe(1);
		expect(grown.out).toContain('REWRITTEN ENTRY 260:');
		expect(grown.out).toContain('--- checkpoint seen before (tree size 302) ---');
		await sql`update log_entries set data = ${d260} where idx = 260`;
		const fixed = await monitor('--url', app.origin, '--state', state);
		expect(fixed.code, fixed.out).toBe(0);
		expect(fixed.out).toContain('tree size 303, 1 new entries re-hashed, consistent with the checkpoint verified before');

		// a leaf hash rewritten (the tree, not only the entry): the tiles no longer lead to the signed root
		const [{ hash }] = await sql`select hash from log_nodes where level = 0 and idx = 7`;
		await sql`update log_nodes set hash = ${randomBytes(32)} where level = 0 and idx = 7`;
		const leaf = await monitor('--url', app.origin);
		expect(leaf.code, leaf.out).toBe(1);
		expect(leaf.out).toContain('REWRITTEN ENTRY 7:');
		expect(leaf.out).toMatch(/the tiles of tree size 303 lead to root \S+, the checkpoint signs/);
		if (process.env.WIPECERT_MONITOR_OUT) writeFileSync(join(process.env.WIPECERT_MONITOR_OUT, 'monitor-rewritten-leaf.txt'), leaf.out);
		await sql`update log_nodes set hash = ${hash} where level = 0 and idx = 7`;
	}, 120_000);

	it('exits 1 and prints both checkpoints when a server shows two trees of one size', async () => {
		const { privateKey, publicKey } = generateKeyPairSync('ed25519');
		const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
		const name = 'split.test/log';
		const id = createHash('sha256').update(`${name}\n`).update(Buffer.of(1)).update(pub).digest().subarray(0, 4);
		const vkey = `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.of(1), pub]).toString('base64')}`;
		const tree = (tag: string) => {
			const entries = ['a', 'b', tag].map((x) => Buffer.from(`wipecert/certificate/v1\nwc_${x.repeat(26)}\n${'0'.repeat(64)}\n`));
			const leaves = entries.map(leafOf);
			const body = `${name}\n3\n${mth(leaves).toString('base64')}\n`;
			const note = `${body}\n\u2014 ${name} ${Buffer.concat([id, sign(null, Buffer.from(body), privateKey)]).toString('base64')}\n`;
			return { note, tile: Buffer.concat(leaves), bundle: Buffer.concat(entries.map((e) => Buffer.concat([Buffer.from([0, e.length]), e]))) };
		};
		const views = [tree('c'), tree('d')];
		let view = 0;
		const server: Server = createServer((req, res) => {
			const v = views[view];
			const body = req.url === '/log/checkpoint' ? v.note : req.url === '/log/tile/0/000.p/3' ? v.tile : req.url === '/log/tile/entries/000.p/3' ? v.bundle : null;
			res.writeHead(body === null ? 404 : 200).end(body);
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
		const state = join(work, 'split.json');
		try {
			const first = await monitor('--url', url, '--state', state, '--key', vkey);
			expect(first.code, first.out).toBe(0);
			view = 1;
			const split = await monitor('--url', url, '--state', state);
			expect(split.code, split.out).toBe(1);
			expect(split.out).toContain('SPLIT VIEW: two different signed checkpoints for tree size 3');
			expect(split.out).toContain(views[0].note);
			expect(split.out).toContain(views[1].note);
			if (process.env.WIPECERT_MONITOR_OUT) writeFileSync(join(process.env.WIPECERT_MONITOR_OUT, 'monitor-split.txt'), split.out);
		} finally {
			server.close();
		}
	});
});

describe('the witness', () => {
	it('cosigned the log through add-checkpoint; refuses unknown logs, bad signatures, stale sizes and bad proofs', async () => {
		const [row] = await app.database.sql`select tree_size, witness from log_cosignatures order by tree_size desc limit 1`;
		expect(row).toMatchObject({ witness: witness.vkey });
		const [cp] = await app.database.sql`select note, tree_size from log_checkpoints where tree_size = ${row.tree_size}`;
		const add = (body: string) => fetch(`${witness.url}add-checkpoint`, { method: 'POST', body });
		expect((await add(`old 0\n\nother.test/log\n1\n${'A'.repeat(43)}=\n\n\u2014 other.test/log AAAA\n`)).status).toBe(404);
		const forged = String(cp.note).replace(/\u2014 (\S+) (\S{8})/, '\u2014 $1 $2AAAA');
		expect((await add(`old ${cp.tree_size}\n\n${forged}`)).status).toBe(403);
		const stale = await add(`old 1\n\n${cp.note}`);
		expect(stale.status).toBe(409);
		expect(stale.headers.get('content-type')).toBe('text/x.tlog.size');
		expect(await stale.text()).toBe(`${cp.tree_size}\n`);
		const [older] = await app.database.sql`select note, tree_size from log_checkpoints where tree_size > ${cp.tree_size} order by tree_size limit 1`;
		if (older) expect((await add(`old ${cp.tree_size}\n${Buffer.alloc(32).toString('base64')}\n\n${older.note}`)).status).toBe(422);
		const monitoring = await fetch(`${witness.url}${createHash('sha256').update(String(cp.note).split('\n')[0]).digest('hex')}/checkpoint`);
		expect(noteVerifies(await monitoring.text(), witness.vkey, 0x04)).not.toBeNull();
	});

	it('a witness that lost its state answers 409 with its size and is caught up; one that is down never stops issuance', async () => {
		const sql = app.database.sql;
		const cosigned = async (size: number) => (await sql`select count(*)::int as n from log_cosignatures where tree_size = ${size} and witness = ${witness.vkey}`)[0].n;
		const newest = async () => (await sql`select max(tree_size)::int as s from log_checkpoints`)[0].s as number;
		await witness.close();
		rmSync(join(work, 'witness', 'witness-state.json'));
		witness = await startWitness({ dataDir: join(work, 'witness'), name: 'witness.test/w1', logs: [{ vkey: logVkey }] }, { host: '127.0.0.1', port: 0 });
		await issueCertificates(1);
		// the platform sent its last cosigned size, the witness answered 409 "0", the platform resent from 0
		expect(await cosigned(await newest())).toBe(1);

		await witness.close();
		await issueCertificates(1);
		const size = await newest();
		expect(await cosigned(size)).toBe(0);
		expect(Number((await sql`select log_index from certificates where public_id = ${certs.at(-1)!.publicId}`)[0].log_index)).toBe(size - 1);
		const keys = await (await get('/api/v1/public/keys')).json();
		const dir = mkdtempSync(join(tmpdir(), 'wipecert-nowitness-'));
		try {
			writeFileSync(join(dir, 'c.pdf'), pdfs.get(certs.at(-1)!.publicId)!);
			writeFileSync(join(dir, 'keys.json'), JSON.stringify(keys));
			writeFileSync(join(dir, 'v.mjs'), Buffer.from(await (await get('/downloads/wipecert-verify.mjs')).arrayBuffer()));
			const ok = await run('/usr/bin/node', ['v.mjs', 'c.pdf'], dir);
			expect(ok.code, ok.out).toBe(0);
			expect(ok.out).toContain('no witness had cosigned this checkpoint');
			expect((await run('/usr/bin/node', ['v.mjs', 'c.pdf', '--witness', witness.vkey], dir)).code).toBe(1);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

