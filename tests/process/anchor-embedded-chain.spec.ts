import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInToApp } from '../helpers/oidc-browser';
import { startStack, type Stack } from '../helpers/pipeline-stack';

/**
 * CHAIN=dev end to end: the built app with every worker embedded starts the
 * embedded EVM node (DATA_DIR/chain), funds the signer's chain account and
 * deploys the contract; the built agent-sim submits 50 real proofs; all end
 * CERTIFIED in one or a few anchor transactions; the public answer, the
 * console and the re-rendered PDF (offline CLI with --rpc) show the anchor.
 */
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

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, output: () => string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output().slice(-4000)}`);
		await new Promise((r) => setTimeout(r, 500));
	}
}

describe('CHAIN=dev: 50 proofs anchored on the embedded node', () => {
	let stack: Stack;
	beforeAll(async () => {
		stack = await startStack({
			env: { WORKERS: 'embedded', CHAIN: 'dev', CHAIN_DEV_BLOCK_TIME: '1', CHAIN_CONFIRMATIONS: '3', CHAIN_FINALITY_BLOCKS: '6', CHAIN_POLL_INTERVAL: '1', ANCHOR_INTERVAL: '10' }
		});
	}, 180_000);
	afterAll(async () => stack?.stop());

	it('all CERTIFIED with few transactions; public answer, console and the re-rendered PDF show the anchor', async () => {
		const operator = await signInToApp(stack.origin, 'operator@acme.test');
		const enrol = await fetch(`${stack.origin}/api/v1/agents/enrolments`, {
			method: 'POST',
			headers: { cookie: operator.header(), origin: stack.origin, 'content-type': 'application/json' },
			body: JSON.stringify({ name: 'anchor e2e' })
		});
		expect(enrol.status).toBe(201);
		const { token } = (await enrol.json()) as { token: string };
		const results = join(stack.dataDir, 'sim.json');
		const sim = await run(['build/agent-sim.js', '--url', stack.origin, '--enrol-token', token, '--count', '50', '--concurrency', '8', '--results', results]);
		expect(sim.code, sim.stderr + sim.stdout).toBe(0);
		const sql = stack.database.sql;
		const t0 = performance.now();
		await until(
			'50 proofs CERTIFIED',
			async () => (await sql`select count(*)::int as n from proofs where status = 'CERTIFIED'`)[0].n === 50,
			240_000,
			() => stack.app.output()
		);
		const seconds = (performance.now() - t0) / 1000;
		const anchors = await sql<{ tree_size: string; status: string; gas_used: string; nonce: string }[]>`select tree_size, status, gas_used, nonce from anchors order by nonce`;
		console.info(`[anchor-e2e] 50 proofs CERTIFIED ${seconds.toFixed(1)} s after submission with ${anchors.length} anchor transaction(s): ${anchors.map((a) => `tree ${a.tree_size} gas ${a.gas_used}`).join('; ')}`);
		expect(anchors.length).toBeGreaterThanOrEqual(1);
		expect(anchors.length).toBeLessThanOrEqual(5);
		const [covered] = await sql`select count(*)::int as n, count(distinct certificate_id)::int as certs from anchor_certificates where anchor_id is not null`;
		expect(covered).toEqual({ n: 50, certs: 50 });
		// the timeline of a proof ends CERTIFIED_PENDING_ANCHOR → CERTIFIED
		const [one] = await sql<{ public_id: string; cert: string }[]>`select p.public_id, c.public_id as cert from proofs p join certificates c on c.proof_id = p.id limit 1`;
		const timeline = await sql`select to_status from proof_events e join proofs p on p.id = e.proof_id where p.public_id = ${one.public_id} order by e.id`;
		expect(timeline.map((t) => t.to_status).slice(-2)).toEqual(['CERTIFIED_PENDING_ANCHOR', 'CERTIFIED']);

		const pub = await fetch(`${stack.origin}/api/v1/public/certificates/${one.cert}`);
		const body = (await pub.json()) as { anchoring: string; anchor: { chainId: number; txHash: string; treeSize: number; blockNumber: number } | null };
		expect(body.anchoring).toBe('anchored');
		expect(body.anchor).toMatchObject({ chainId: 1337 });
		const page = await (await fetch(`${stack.origin}/verify/${one.cert}`)).text();
		expect(page).toContain(body.anchor!.txHash);

		// the console: chain card with the node, a balance and the last anchor
		const admin = await signInToApp(stack.origin, 'admin@wipecert.test');
		const system = (await (await fetch(`${stack.origin}/api/v1/admin/system`, { headers: { cookie: admin.header() } })).json()) as { chain: { mode: string; node: { reachable: boolean }; balance: string; pendingCertificates: number; lastAnchor: { txHash: string } | null; failure: unknown } };
		expect(system.chain).toMatchObject({ mode: 'dev', node: { reachable: true }, pendingCertificates: 0, failure: null });
		expect(Number(system.chain.balance)).toBeGreaterThan(0);

		// the PDF download serves the re-rendered PDF; the CLI checks it offline and, with --rpc, on the chain
		await until('the anchored PDFs', async () => (await sql`select count(*)::int as n from anchor_certificates where pdf_anchor_id = anchor_id`)[0].n === 50, 120_000, () => stack.app.output());
		const pdf = Buffer.from(await (await fetch(`${stack.origin}/api/v1/public/certificates/${one.cert}/pdf`)).arrayBuffer());
		const file = join(stack.dataDir, 'anchored.pdf');
		writeFileSync(file, pdf);
		const keysFile = join(stack.dataDir, 'keys.json');
		writeFileSync(keysFile, await (await fetch(`${stack.origin}/api/v1/public/keys`)).text());
		const offline = await run(['build/verify.js', file, '--keys', keysFile]);
		expect(offline.code, offline.stderr + offline.stdout).toBe(0);
		expect(offline.stdout).toMatch(/anchor\s+not checked \(no --rpc\)/);
		const node = JSON.parse(readFileSync(join(stack.dataDir, 'chain', 'node.json'), 'utf8')) as { url: string };
		const online = await run(['build/verify.js', file, '--keys', keysFile, '--rpc', node.url, '--json']);
		expect(online.code, online.stderr + online.stdout).toBe(0);
		const verdict = JSON.parse(online.stdout) as { valid: boolean; anchorCheck: { status: string; detail: string } };
		expect(verdict.anchorCheck.status).toBe('valid');
		expect(verdict.anchorCheck.detail).toContain(body.anchor!.txHash);
		// a node of another chain does not vouch for it
		const wrong = await run(['build/verify.js', file, '--keys', keysFile, '--rpc', 'http://127.0.0.1:9']);
		expect(wrong.code).toBe(1);
		expect(wrong.stdout).toMatch(/INVALID: .*the anchor check failed/);
	}, 480_000);
});
