import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/lib/server/agents/http-signature';
import { createDevTlsMaterial, writeDevTlsMaterial } from '../../src/lib/server/signer/dev-certs';
import { freePort } from '../helpers/app-process';
import { signInToApp } from '../helpers/oidc-browser';
import { startStack, type Proc, type Stack } from '../helpers/pipeline-stack';

/**
 * The real stack end to end: the built app, an operator's
 * enrolment token, the built agent-sim enrolling and submitting 200 real
 * proofs (10 % bad) over RFC 9421, proof worker processes with the in-process
 * keyring → every good proof CERTIFIED_NO_ANCHOR, every bad one REJECTED with
 * its code, one licence per certificate. Then the remote signer: stopped →
 * FAILED_RETRYABLE; started again → the retry worker brings them home.
 * agent-sim --encryption ecdh goes the same way with ECDH key agreement.
 */
const EXPECTED: Record<string, string> = {
	garbage: 'proof_malformed',
	bad_signature: 'proof_invalid_signature',
	unknown_agent: 'agent_certificate_untrusted',
	schema: 'report_schema_invalid'
};

type SimResult = { index: number; kind: string; status: number; publicId?: string; error?: string };

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.once('exit', (code) => resolve({ code, stdout, stderr }));
	});
}

async function enrolmentToken(stack: Stack): Promise<string> {
	const operator = await signInToApp(stack.origin, 'operator@acme.test');
	const res = await fetch(`${stack.origin}/api/v1/agents/enrolments`, {
		method: 'POST',
		headers: { cookie: operator.header(), origin: stack.origin, 'content-type': 'application/json' },
		body: JSON.stringify({ name: 'agent-sim bench' })
	});
	expect(res.status).toBe(201);
	return ((await res.json()) as { token: string }).token;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, procs: Proc[] = []): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${procs.map((p) => p.output().slice(-3000)).join('\n---\n')}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

describe('agent-sim → ingest → proof worker with the in-process keyring', () => {
	let stack: Stack;
	beforeAll(async () => {
		stack = await startStack({ env: { SIGNER_BATCH_SIZE: '25', SIGNER_KEYS: '8' } });
	}, 180_000);
	afterAll(async () => stack?.stop());

	it('200 proofs, 10 % bad: good ones certified, bad ones rejected with their codes, one licence each', async () => {
		const token = await enrolmentToken(stack);
		const results = join(stack.dataDir, 'sim-results.json');
		const sim = await run(['build/agent-sim.js', '--url', stack.origin, '--enrol-token', token, '--count', '200', '--bad-ratio', '0.1', '--concurrency', '8', '--results', results]);
		expect(sim.code, sim.stderr + sim.stdout + stack.app.output().slice(-3000)).toBe(0);
		const summary = JSON.parse(sim.stdout.trim().split('\n').at(-1)!) as { submitted: number; accepted: number; rejected: number; seconds: number; good: number; bad: Record<string, number>; buildMsPerProof: number };
		expect(summary).toMatchObject({ submitted: 200, accepted: 200, rejected: 0, good: 180 });
		expect(Object.values(summary.bad).reduce((a, b) => a + b, 0)).toBe(20);
		const list = JSON.parse(readFileSync(results, 'utf8')) as SimResult[];
		expect(list.filter((r) => !(r.status === 202 && r.publicId))).toEqual([]);

		const t0 = performance.now();
		const workers = [await stack.worker('proof'), await stack.worker('proof')];
		const sql = stack.database.sql;
		await until(
			'every proof to be decided',
			async () => (await sql`select count(*)::int as n from proofs where status in ('CERTIFIED_NO_ANCHOR', 'REJECTED')`)[0].n === 200,
			180_000,
			workers
		);
		const seconds = (performance.now() - t0) / 1000;
		console.info(
			`[agent-sim] submit: 200 proofs in ${summary.seconds} s (build ${summary.buildMsPerProof} ms/proof); pipeline: 180 certified + 20 rejected in ${seconds.toFixed(1)} s with 2 proof workers (${(180 / seconds).toFixed(1)} certified/s)`
		);
		// where the time goes: processBatch's per-step milliseconds, kept by pg-boss as the jobs' output
		const outputs = await sql<{ output: { claimed?: number; ms?: Record<string, number> } | null }[]>`select output from pgboss.job where name = 'proofs.validated' and state = 'completed'`;
		const steps: Record<string, number> = {};
		let batches = 0;
		for (const o of outputs) {
			if (!o.output?.claimed) continue;
			batches++;
			for (const [k, v] of Object.entries(o.output.ms ?? {})) steps[k] = (steps[k] ?? 0) + v;
		}
		console.info(`[agent-sim] ${batches} batches; worker time per step (s, summed over both workers): ${Object.entries(steps).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', ')}`);
		const rows = await sql<{ public_id: string; status: string; rejection_code: string | null; rejection_detail: string | null }[]>`
			select public_id, status, rejection_code, rejection_detail from proofs`;
		const byId = new Map(rows.map((r) => [r.public_id, r]));
		for (const r of list) {
			const row = byId.get(r.publicId!)!;
			if (r.kind === 'good') expect([r.kind, row.status, row.rejection_detail]).toEqual(['good', 'CERTIFIED_NO_ANCHOR', null]);
			else expect([r.kind, row.status, row.rejection_code]).toEqual([r.kind, 'REJECTED', EXPECTED[r.kind]]);
		}
		// one licence per certified proof, no more
		const [ledger] = await sql`select count(*)::int as rows, count(distinct proof_id)::int as proofs from licence_ledger where kind = 'consumption'`;
		expect(ledger).toEqual({ rows: 180, proofs: 180 });
		const [certs] = await sql`select count(*)::int as n, count(distinct receipt_key_id)::int as keys from certificates where status = 'valid'`;
		expect(certs.n).toBe(180);
		expect(certs.keys).toBeGreaterThan(1); // batches of 25 spread over the keyring
		// one stored receipt signature per certificate; two worker processes shared the keys through leases
		const [receipts] = await sql`select count(*)::int as n from signer_receipts r join certificates c on c.public_id = r.record_id and c.receipt_signature = r.signature`;
		expect(receipts.n).toBe(180);
		const [leases] = await sql`select sum(batches)::int as batches, count(*) filter (where holder is not null)::int as held from signer_key_leases`;
		expect(leases.batches).toBeGreaterThanOrEqual(180 / 25);
		expect(leases.held).toBe(0);
		const balance = await fetch(`${stack.origin}/api/v1/licences`, { headers: { cookie: (await signInToApp(stack.origin, 'operator@acme.test')).header() } });
		expect(((await balance.json()) as { balance: number }).balance).toBe(1000 - 180);
		for (const w of workers) await w.stop();
	}, 400_000);

	it('agent-sim --encryption ecdh: proofs encrypted to the P-256 certificate are certified, bad ones rejected with their codes', async () => {
		const token = await enrolmentToken(stack);
		const results = join(stack.dataDir, 'sim-ecdh-results.json');
		const sim = await run(['build/agent-sim.js', '--url', stack.origin, '--enrol-token', token, '--count', '20', '--bad-ratio', '0.2', '--encryption', 'ecdh', '--results', results]);
		expect(sim.code, sim.stderr + sim.stdout).toBe(0);
		const list = JSON.parse(readFileSync(results, 'utf8')) as SimResult[];
		expect(list.filter((r) => !(r.status === 202 && r.publicId))).toEqual([]);
		const worker = await stack.worker('proof');
		const sql = stack.database.sql;
		const ids = list.map((r) => r.publicId!);
		await until('the ECDH proofs to be decided', async () => (await sql`select count(*)::int as n from proofs where public_id = any(${ids}) and status in ('CERTIFIED_NO_ANCHOR', 'REJECTED')`)[0].n === 20, 120_000, [worker]);
		const rows = new Map((await sql<{ public_id: string; status: string; rejection_code: string | null }[]>`select public_id, status, rejection_code from proofs where public_id = any(${ids})`).map((r) => [r.public_id, r]));
		for (const r of list) {
			const row = rows.get(r.publicId!)!;
			if (r.kind === 'good') expect([r.kind, row.status]).toEqual(['good', 'CERTIFIED_NO_ANCHOR']);
			else expect([r.kind, row.status, row.rejection_code]).toEqual([r.kind, 'REJECTED', EXPECTED[r.kind]]);
		}
		await worker.stop();
	}, 300_000);
});

describe('agent-sim --out', () => {
	let stack: Stack;
	beforeAll(async () => {
		stack = await startStack();
	}, 180_000);
	afterAll(async () => stack?.stop());

	it('writes proofs, a manifest and the enrolment credentials (0600) that can submit them later', async () => {
		const token = await enrolmentToken(stack);
		const out = join(stack.dataDir, 'sim-out');
		const sim = await run(['build/agent-sim.js', '--url', stack.origin, '--enrol-token', token, '--count', '8', '--bad-ratio', '0.5', '--out', out]);
		expect(sim.code, sim.stderr).toBe(0);
		expect(JSON.parse(sim.stdout.trim().split('\n').at(-1)!)).toMatchObject({ submitted: 0, accepted: 0, written: 8, good: 4 });
		const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { file: string; kind: string; expected: string }[];
		expect(manifest.map((m) => m.kind).sort()).toEqual(['bad_signature', 'garbage', 'good', 'good', 'good', 'good', 'schema', 'unknown_agent']);
		expect(statSync(join(out, 'agent.json')).mode & 0o777).toBe(0o600);
		const agent = JSON.parse(readFileSync(join(out, 'agent.json'), 'utf8')) as { agentId: string; privateKeyPem: string };
		const good = manifest.find((m) => m.kind === 'good')!;
		const der = readFileSync(join(out, good.file));
		const url = `${stack.origin}/ingest/v1/proofs`;
		const headers = signRequest({ method: 'POST', url, body: der, keyId: agent.agentId, privateKey: createPrivateKey(agent.privateKeyPem) });
		const res = await fetch(url, { method: 'POST', body: new Uint8Array(der), headers: { 'content-type': 'application/pkcs7-mime', ...headers } });
		expect(res.status).toBe(202);
	}, 120_000);
});

describe('remote signer over mTLS: stopped → FAILED_RETRYABLE, back → certified by the retry worker', () => {
	let stack: Stack;
	let signer: Proc | undefined;
	let signerDir: string;
	let signerEnv: Record<string, string>;

	const startSigner = async (): Promise<Proc> => {
		let out = '';
		const child = spawn(process.execPath, ['build/signer.js'], { env: { PATH: process.env.PATH ?? '', ...signerEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (out += d));
		const exited = () => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
		const proc: Proc = {
			child,
			output: () => out,
			async stop() {
				child.kill('SIGTERM');
				await exited();
			},
			async kill() {
				child.kill('SIGKILL');
				await exited();
			}
		};
		await until('the signer to listen', async () => out.includes('signer listening') || child.exitCode !== null, 60_000);
		if (child.exitCode !== null) throw new Error(`signer exited: ${out}`);
		return proc;
	};

	beforeAll(async () => {
		signerDir = mkdtempSync(join(tmpdir(), 'wipecert-signer-'));
		const tls = writeDevTlsMaterial(join(signerDir, 'tls'), createDevTlsMaterial());
		const port = await freePort();
		signerEnv = {
			DATA_DIR: join(signerDir, 'data'),
			SIGNER_PORT: String(port),
			SIGNER_KEYS: '4',
			SIGNER_BATCH_SIZE: '50',
			SIGNER_TLS_CERT: tls['server.crt'],
			SIGNER_TLS_KEY: tls['server.key'],
			SIGNER_TLS_CA: tls['ca.crt'],
			LOG_LEVEL: 'info'
		};
		signer = await startSigner();
		stack = await startStack({
			env: {
				SIGNER_URL: `https://localhost:${port}`,
				SIGNER_TLS_CERT: tls['client.crt'],
				SIGNER_TLS_KEY: tls['client.key'],
				SIGNER_TLS_CA: tls['ca.crt'],
				SIGNER_TIMEOUT: '3',
				SIGNER_BATCH_SIZE: '10',
				PROOF_RETRY_BASE_DELAY: '1',
				PROOF_RETRY_MAX_DELAY: '2'
			}
		});
	}, 180_000);
	afterAll(async () => {
		await stack?.stop();
		await signer?.stop();
		rmSync(signerDir, { recursive: true, force: true });
	});

	it('proofs wait as FAILED_RETRYABLE while the signer is down and are certified once it is back', async () => {
		const token = await enrolmentToken(stack); // enrolment itself goes through the remote signer's agent CA
		const sim = await run(['build/agent-sim.js', '--url', stack.origin, '--enrol-token', token, '--count', '12', '--concurrency', '4']);
		expect(sim.code, sim.stderr + sim.stdout + stack.app.output().slice(-3000)).toBe(0);
		expect(JSON.parse(sim.stdout.trim().split('\n').at(-1)!)).toMatchObject({ submitted: 12, accepted: 12 });
		await signer!.stop();
		const sql = stack.database.sql;
		const proof = await stack.worker('proof');
		const retry = await stack.worker('retry');
		await until('all 12 to be FAILED_RETRYABLE', async () => (await sql`select count(*)::int as n from proofs where status = 'FAILED_RETRYABLE'`)[0].n === 12, 60_000, [proof]);
		const [failed] = await sql<{ last_error: string }[]>`select last_error from proofs limit 1`;
		expect(failed.last_error).toMatch(/signer .*unreachable/);
		const [none] = await sql`select count(*)::int as n from licence_ledger where kind = 'consumption'`;
		expect(none.n).toBe(0);

		signer = await startSigner();
		await until('all 12 to be certified', async () => (await sql`select count(*)::int as n from proofs where status = 'CERTIFIED_NO_ANCHOR'`)[0].n === 12, 90_000, [proof, retry]);
		const [ledger] = await sql`select count(*)::int as rows, count(distinct proof_id)::int as proofs from licence_ledger where kind = 'consumption'`;
		expect(ledger).toEqual({ rows: 12, proofs: 12 });
		// the receipts were signed by the remote keyring (its key ids), one batch key for the lot or a few
		const keys = await sql<{ receipt_key_id: string }[]>`select distinct receipt_key_id from certificates`;
		for (const k of keys) expect(k.receipt_key_id).toMatch(/^rk-00[1-4]$/);
	}, 300_000);
});
