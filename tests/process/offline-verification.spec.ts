import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalTsa, type LocalTsa } from '../helpers/tsa';
import { signInToApp } from '../helpers/oidc-browser';
import { startStack, type Stack } from '../helpers/pipeline-stack';

/**
 * A certificate from a real proof, end to end: the built
 * agent-sim submits real proofs, a proof worker (TSA_URL set to a local RFC
 * 3161 authority) certifies them; each certificate's public PDF is PAdES-B-T,
 * pdfsig calls it valid, the built `verify` CLI accepts it offline with the
 * saved keys and refuses altered copies.
 */
const runFile = promisify(execFile);
let stack: Stack;
let tsa: LocalTsa;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.once('exit', (code) => resolve({ code, stdout, stderr }));
	});
}

beforeAll(async () => {
	tsa = await startLocalTsa();
	stack = await startStack({ env: { SIGNER_KEYS: '3', SIGNER_BATCH_SIZE: '10', TSA_URL: tsa.url } });
}, 180_000);
afterAll(async () => {
	await stack?.stop();
	await tsa?.close();
});

describe('issued certificate, verified offline', () => {
	it('real proofs → signed, timestamped, logged PDFs that pdfsig and the verify CLI accept; altered copies refused', async () => {
		const operator = await signInToApp(stack.origin, 'operator@acme.test');
		const res = await fetch(`${stack.origin}/api/v1/agents/enrolments`, { method: 'POST', headers: { cookie: operator.header(), origin: stack.origin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'e2e' }) });
		const { token } = (await res.json()) as { token: string };
		const sim = await run(['build/agent-sim.js', '--url', stack.origin, '--enrol-token', token, '--count', '4', '--bad-ratio', '0']);
		expect(sim.code, sim.stderr + sim.stdout).toBe(0);
		const worker = await stack.worker('proof');
		const sql = stack.database.sql;
		const deadline = Date.now() + 120_000;
		while ((await sql`select count(*)::int as n from proofs where status = 'CERTIFIED_NO_ANCHOR'`)[0].n < 4) {
			if (Date.now() > deadline) throw new Error(`not certified in time\n${worker.output().slice(-4000)}`);
			await new Promise((r) => setTimeout(r, 250));
		}
		await worker.stop();
		const certs = await sql<{ public_id: string; log_index: number }[]>`select public_id, log_index from certificates where status = 'valid' order by log_index`;
		expect(certs.map((c) => Number(c.log_index))).toEqual([0, 1, 2, 3]);
		const keysFile = join(stack.dataDir, 'keys.json');
		writeFileSync(keysFile, Buffer.from(await (await fetch(`${stack.origin}/api/v1/public/keys`)).arrayBuffer()));
		expect(tsa.requests).toBeGreaterThanOrEqual(4);
		for (const c of certs) {
			const pdf = new Uint8Array(await (await fetch(`${stack.origin}/api/v1/public/certificates/${c.public_id}/pdf`)).arrayBuffer());
			const file = join(stack.dataDir, `${c.public_id}.pdf`);
			writeFileSync(file, pdf);
			const sig = await runFile('pdfsig', [file]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
			expect(sig.stdout).toMatch(/Signature Validation: Signature is Valid\./);
			const ok = await run(['build/verify.js', file, '--keys', keysFile, '--json']);
			expect(ok.code, ok.stderr + ok.stdout).toBe(0);
			expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, publicId: c.public_id, leafIndex: Number(c.log_index), timestamped: true });
			const altered = new Uint8Array(pdf);
			altered[Math.floor(pdf.length * 0.7)] ^= 0x10;
			writeFileSync(file, altered);
			const no = await run(['build/verify.js', file, '--keys', keysFile]);
			expect(no.code).toBe(1);
			expect(no.stdout).toMatch(/^INVALID: /m);
		}
		expect((await run(['build/verify.js'])).code).toBe(2);
		const page = await fetch(`${stack.origin}/verify/${certs[0].public_id}`);
		expect(page.status).toBe(200);
		expect(readFileSync(keysFile, 'utf8')).toContain('logVerifierKey');
	}, 300_000);
});
