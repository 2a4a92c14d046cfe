/**
 * `npm run chaos -- [--quick] [--out DIR] [--only a,b]`: the fault-injection
 * suite on the real processes (bench/chaos/stack.ts). Each scenario has a
 * fresh agent submit proofs with `agent-sim` (2,000; quick: 200) while one
 * fault is injected, then checks the invariants (invariants.ts): every
 * accepted proof final, 0 lost, 0 certified / charged / receipt-signed twice,
 * the log consistent with every checkpoint it published, audit chains intact,
 * and every process still running. Worker processes: one per kind of the
 * build's job-module catalogue (src/jobs/index.ts), so kinds that join the
 * build join the suite.
 *
 * Writes DIR/reliability.json (a list of `{scenario, proofs, lost,
 * doubleCertified, doubleCharged, doubleSigned, final, seconds}` plus what
 * explains them). A full run writes bench/ and the README's Reliability
 * table; `--quick` (part of `npm test`) writes to a temporary directory
 * unless --out says otherwise, and never touches committed files. Exit 1 when
 * an invariant fails.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../src/lib/server/db/client';
import { verifyAuditChain } from '../../src/lib/server/audit/verify';
import { signInToApp } from '../../tests/helpers/oidc-browser';
import { checkInvariants, waitFinal, type ScenarioResult } from './invariants';
import { resizeTmpfs, root, sleep, startStack, usedBytes, type Stack } from './stack';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, only: { type: 'string' } }, strict: true });
const quick = values.quick;
const log = (m: string) => process.stderr.write(`[chaos] ${m}\n`);
const PROOFS = quick ? 200 : 2000;
const outDir = resolve(values.out ?? (quick ? mkdtempSync(join(tmpdir(), 'wipecert-chaos-out-')) : join(root, 'bench')));

/** Seconds each outage lasts (quick runs shorten them, the shape stays). */
const OUTAGE = { signer: quick ? 15 : 60, s3: quick ? 10 : 30, disk: quick ? 10 : 30, pg: 5 };
/** The object store's tmpfs: room for every scenario's proofs and PDFs (~70 KB a certificate). */
const TMPFS_MB = quick ? 512 : 4096;

type Fault = { name: string; describe: string; inject(stack: Stack, progress: () => Promise<number>): Promise<string>; agentArgs?: string[]; skip?(stack: Stack): string | null };

const whenAccepted = async (progress: () => Promise<number>, share: number) => {
	const deadline = Date.now() + 300_000;
	while ((await progress()) < PROOFS * share && Date.now() < deadline) await sleep(250);
};

const FAULTS: Fault[] = [
	{ name: 'no fault', describe: 'the same load without a fault (reference)', inject: async () => '' },
	{
		name: 'kill -9 proof worker x5',
		describe: 'kill -9 of a proof worker five times while proofs arrive (a new one starts after each)',
		async inject(stack, progress) {
			for (let i = 1; i <= 5; i++) {
				await whenAccepted(progress, i / 7);
				const victim = stack.workers.find((w) => w.name === 'worker:proof' && w.alive());
				if (victim) {
					await victim.kill('SIGKILL');
					stack.startWorker('proof');
				}
			}
			return '5 proof workers killed with SIGKILL mid-batch';
		}
	},
	{
		name: 'PostgreSQL restart',
		describe: `pg_ctl stop -m fast mid-run, started again after ${OUTAGE.pg} s`,
		async inject(stack, progress) {
			await whenAccepted(progress, 0.3);
			stack.postgres.stop();
			await sleep(OUTAGE.pg * 1000);
			stack.postgres.start();
			return `down ${OUTAGE.pg} s`;
		}
	},
	{
		name: 'backend termination',
		describe: 'pg_terminate_backend of every app, gateway and worker connection, three times',
		async inject(stack, progress) {
			let terminated = 0;
			for (let i = 1; i <= 3; i++) {
				await whenAccepted(progress, i / 5);
				const rows = await stack.sql`select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name like 'wipecert:%' and pid <> pg_backend_pid()`;
				terminated += rows.length;
			}
			return `${terminated} backends terminated`;
		}
	},
	{
		name: 'signer down',
		describe: `remote signer down for ${OUTAGE.signer} s`,
		async inject(stack, progress) {
			await whenAccepted(progress, 0.3);
			await stack.stopSigner();
			await sleep(OUTAGE.signer * 1000);
			await stack.startSigner();
			return `down ${OUTAGE.signer} s`;
		}
	},
	{
		name: 'S3 down',
		describe: `S3 (s3rver) down for ${OUTAGE.s3} s: ingest answers 503 with Retry-After`,
		async inject(stack, progress) {
			await whenAccepted(progress, 0.3);
			await stack.stopS3();
			await sleep(OUTAGE.s3 * 1000);
			await stack.startS3();
			return `down ${OUTAGE.s3} s`;
		}
	},
	{
		name: 'object store disk full',
		describe: `the object store's file system (tmpfs) full for ${OUTAGE.disk} s`,
		skip: (stack) => (stack.tmpfs ? null : 'no tmpfs could be mounted (needs root)'),
		async inject(stack, progress) {
			await whenAccepted(progress, 0.3);
			// a tmpfs refuses to shrink below what it holds: a little room over it, filled within a second
			const used = usedBytes(stack.objectDir) / 1024;
			resizeTmpfs(stack.objectDir, used + 1024);
			await sleep(OUTAGE.disk * 1000);
			resizeTmpfs(stack.objectDir, TMPFS_MB * 1024);
			return `the tmpfs shrunk to what it held (${Math.round(used / 1024)} MB) for ${OUTAGE.disk} s`;
		}
	},
	{
		name: 'agent clock skew',
		describe: 'an agent whose clock is 15 minutes ahead (past the 5-minute signature window): it corrects from the Date header',
		agentArgs: ['--clock-skew', '900'],
		inject: async () => 'agent clock +900 s'
	}
];

async function enrolmentToken(origin: string, cookie: string): Promise<string> {
	const r = await fetch(`${origin}/api/v1/agents/enrolments`, { method: 'POST', headers: { cookie, origin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'chaos agent' }) });
	const body = (await r.json()) as { token?: string };
	if (r.status !== 201 || !body.token) throw new Error(`enrolment token: ${r.status} ${JSON.stringify(body)}`);
	return body.token;
}

function agentSim(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((done) => {
		const child = spawn(process.execPath, [join(root, 'build/agent-sim.js'), ...args], { cwd: root, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.once('exit', (code) => done({ code, stdout, stderr }));
	});
}

const { jobModules } = await import('../../src/jobs/index');
const workerKinds = Object.keys(jobModules);
// the reference run without a fault is for the full run's table; the quick run keeps to the faults
const selected = values.only ? FAULTS.filter((f) => values.only!.split(',').includes(f.name)) : FAULTS.filter((f) => !quick || f.name !== 'no fault');
log(`${quick ? 'quick run' : 'full run'}: ${selected.length} scenarios x ${PROOFS} proofs; worker kinds in this build: ${workerKinds.join(', ')}`);
const stack = await startStack({ workerKinds, tmpfsMb: TMPFS_MB, log });
// whatever happens to this process, the stack it started (servers, a mount) is taken down
const abort = (why: unknown) => {
	log(`aborting: ${why instanceof Error ? why.stack : String(why)}`);
	void stack.stop().finally(() => process.exit(1));
};
process.once('SIGINT', () => abort('SIGINT'));
process.once('SIGTERM', () => abort('SIGTERM'));
process.once('uncaughtException', abort);
const results: ScenarioResult[] = [];
const work = mkdtempSync(join(tmpdir(), 'wipecert-chaos-agent-'));
const audit = openDatabase(stack.databaseUrl, 2);
try {
	const operator = await signInToApp(stack.origin, 'operator@acme.test');
	const admin = await signInToApp(stack.origin, 'admin@wipecert.test');
	const [tenant] = await stack.sql`select id from tenants where slug = 'acme'`;
	const grant = await fetch(`${stack.origin}/api/v1/licences/grants`, {
		method: 'POST',
		headers: { cookie: admin.header(), origin: stack.origin, 'content-type': 'application/json' },
		body: JSON.stringify({ tenantId: tenant.id, kind: 'top_up', amount: PROOFS * selected.length, reason: 'chaos suite' })
	});
	if (grant.status !== 201) throw new Error(`licence top-up: ${grant.status} ${await grant.text()}`);
	// every checkpoint the log hands out during the run: each must stay consistent with the newest
	const checkpointsSeen: { treeSize: number; rootHash: string }[] = [];
	const watcher = setInterval(async () => {
		try {
			const rows = await stack.sql`select tree_size::int as "treeSize", encode(root_hash, 'base64') as "rootHash" from log_checkpoints order by tree_size desc limit 1`;
			if (rows[0]) checkpointsSeen.push({ treeSize: rows[0].treeSize, rootHash: rows[0].rootHash });
		} catch {
			// the database may be restarting
		}
	}, 2000);
	const consistency = async (first: number, second: number) => {
		const r = await fetch(`${stack.origin}/api/v1/log/proofs/consistency?first=${first}&second=${second}`);
		if (!r.ok) throw new Error(`consistency ${first}→${second}: ${r.status}`);
		return ((await r.json()) as { hashes: string[] }).hashes;
	};
	for (const fault of selected) {
		const skip = fault.skip?.(stack);
		if (skip) {
			results.push({ scenario: fault.name, proofs: 0, lost: 0, doubleCertified: 0, doubleCharged: 0, doubleSigned: 0, final: 0, seconds: 0, accepted: 0, logConsistent: true, auditChainIntact: true, processesAlive: true, notes: fault.describe, skipped: skip });
			log(`${fault.name}: skipped (${skip})`);
			continue;
		}
		log(`${fault.name}: ${fault.describe}`);
		const started = performance.now();
		const [{ since }] = await stack.sql`select clock_timestamp() as since`;
		const token = await enrolmentToken(stack.origin, operator.header());
		const resultsFile = join(work, `${fault.name.replace(/\W+/g, '-')}.json`);
		const sim = agentSim(['--url', stack.origin, '--enrol-token', token, '--count', String(PROOFS), '--concurrency', '8', '--results', resultsFile, '--retry-for', '300', ...(fault.agentArgs ?? [])]);
		// proofs of this scenario's agent registered so far (0 until it has enrolled)
		const progress = async () => {
			try {
				const [r] = await stack.sql`select count(*)::int as n from proofs where agent_id in (select id from agents where enrolled_at > ${since})`;
				return r.n as number;
			} catch {
				return 0;
			}
		};
		const [note, outcome] = await Promise.all([fault.inject(stack, progress), sim]);
		if (outcome.code !== 0 && !outcome.stdout.trim()) throw new Error(`agent-sim failed (${outcome.code}): ${outcome.stderr.slice(-2000)}`);
		const summary = JSON.parse(outcome.stdout.trim().split('\n').pop() || '{}') as { accepted?: number; errors?: Record<string, number>; clockOffsetSeconds?: number; retried?: number };
		const submitted = (JSON.parse(readFileSync(resultsFile, 'utf8')) as { status: number; publicId?: string }[]).filter((r) => r.status === 202 && r.publicId);
		const publicIds = submitted.map((r) => r.publicId!);
		const final = await waitFinal(stack.sql, publicIds, quick ? 240_000 : 900_000);
		const inv = await checkInvariants(stack.sql, publicIds, checkpointsSeen, consistency, async () => (await verifyAuditChain(audit.db)).ok);
		const dead = [stack.web, ...stack.workers].filter((p) => !p.alive() && !p.stopped);
		const row: ScenarioResult = {
			scenario: fault.name,
			proofs: PROOFS,
			lost: inv.lost,
			doubleCertified: inv.doubleCertified,
			doubleCharged: inv.doubleCharged,
			doubleSigned: inv.doubleSigned,
			final,
			seconds: Math.round((performance.now() - started) / 1000),
			accepted: publicIds.length,
			logConsistent: inv.logConsistent,
			auditChainIntact: inv.auditChainIntact,
			processesAlive: dead.length === 0,
			notes: [note, summary.retried ? `${summary.retried} submissions retried by the agent` : '', summary.errors ? `not accepted: ${JSON.stringify(summary.errors)}` : '', summary.clockOffsetSeconds ? `agent clock corrected by ${summary.clockOffsetSeconds} s` : '', inv.certifiedWithoutCharge ? `${inv.certifiedWithoutCharge} certified without a charge` : '', dead.length ? `stopped: ${dead.map((p) => p.name).join(', ')}` : ''].filter(Boolean).join('; ')
		};
		results.push(row);
		log(`${fault.name}: ${JSON.stringify(row)}`);
		if (dead.length) for (const p of dead) log(`${p.name} output:\n${p.output().slice(-3000)}`);
	}
	clearInterval(watcher);
} finally {
	await audit.close(2).catch(() => undefined);
	rmSync(work, { recursive: true, force: true });
	await stack.stop();
}

const failed = results.filter((r) => !r.skipped && (r.lost || r.doubleCertified || r.doubleCharged || r.doubleSigned || r.final !== r.accepted || !r.logConsistent || !r.auditChainIntact || !r.processesAlive || r.accepted < r.proofs));
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'reliability.json'), JSON.stringify(results, null, 2) + '\n');
const table = [
	'| scenario | proofs | accepted | final | lost | certified twice | charged twice | receipts signed twice | log consistent | audit chain | processes alive | seconds | notes |',
	'|---|---|---|---|---|---|---|---|---|---|---|---|---|',
	...results.map((r) =>
		r.skipped
			? `| ${r.scenario} | — | — | — | — | — | — | — | — | — | — | — | skipped: ${r.skipped} |`
			: `| ${r.scenario} | ${r.proofs} | ${r.accepted} | ${r.final} | ${r.lost} | ${r.doubleCertified} | ${r.doubleCharged} | ${r.doubleSigned} | ${r.logConsistent ? 'yes' : 'NO'} | ${r.auditChainIntact ? 'intact' : 'BROKEN'} | ${r.processesAlive ? 'yes' : 'NO'} | ${r.seconds} | ${r.notes} |`
	)
].join('\n');
writeFileSync(join(outDir, 'reliability.md'), `# Reliability (${quick ? 'quick' : 'full'} run, ${new Date().toISOString()}, worker kinds: ${workerKinds.join(', ')})\n\n${table}\n`);
process.stdout.write(table + '\n');
if (!quick && !values.out) {
	// the README's table is the committed one: only a deliberate full run replaces it
	const readme = join(root, 'README.md');
	const text = readFileSync(readme, 'utf8');
	const start = text.indexOf('<!-- reliability:start -->');
	const end = text.indexOf('<!-- reliability:end -->');
	if (start !== -1 && end > start) {
		writeFileSync(readme, `${text.slice(0, start)}<!-- reliability:start -->\n${new Date().toISOString().slice(0, 16)}Z, ${PROOFS} proofs per scenario, worker kinds: ${workerKinds.join(', ')}.\n\n${table}\n${text.slice(end)}`);
		log('README.md Reliability table updated');
	}
}
log(`wrote ${join(outDir, 'reliability.json')}${failed.length ? `; FAILED: ${failed.map((r) => r.scenario).join(', ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
