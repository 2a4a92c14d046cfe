import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, resolveConfig } from '../../src/lib/server/config';
import { runMaintenanceTask } from '../../src/lib/server/maintenance';
import { publishedKeysSchema } from '../../src/lib/verifier';
import { createStore } from '../../src/lib/server/storage';
import { createLogger } from '../../src/lib/server/telemetry/logger';
import { signInToApp } from '../helpers/oidc-browser';
import { startStack, type Stack } from '../helpers/pipeline-stack';

/**
 * The maintenance worker on the real stack: retention and anonymisation with
 * the clock moved 400 days forward (the domain takes `now` as a dependency),
 * after which every certificate still verifies with the built CLI; then a
 * tampered audit row and a tampered log leaf, found by the scheduled
 * integrity task in one run of the built maintenance worker — an error log
 * line, the run stored as `broken` with its alert mail in the outbox, the
 * metric and the console's verdict.
 */
let stack: Stack;
const DAY = 86_400_000;

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

beforeAll(async () => {
	stack = await startStack({ env: { SIGNER_KEYS: '3', SIGNER_BATCH_SIZE: '10', RETENTION_PROOF_DAYS: '365', ANONYMISE_AFTER_DAYS: '365' } });
	const operator = await signInToApp(stack.origin, 'operator@acme.test');
	const res = await fetch(`${stack.origin}/api/v1/agents/enrolments`, { method: 'POST', headers: { cookie: operator.header(), origin: stack.origin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'maintenance' }) });
	const { token } = (await res.json()) as { token: string };
	const sim = await run(['build/agent-sim.js', '--url', stack.origin, '--enrol-token', token, '--count', '6', '--bad-ratio', '0.34']);
	expect(sim.code, sim.stderr + sim.stdout).toBe(0);
	const worker = await stack.worker('proof');
	const sql = stack.database.sql;
	const deadline = Date.now() + 150_000;
	while ((await sql`select count(*)::int as n from proofs where status in ('CERTIFIED_NO_ANCHOR', 'REJECTED')`)[0].n < 6) {
		if (Date.now() > deadline) throw new Error(`not finished in time\n${worker.output().slice(-4000)}`);
		await new Promise((r) => setTimeout(r, 250));
	}
	await worker.stop();
}, 300_000);
afterAll(async () => stack?.stop());

async function publicKeys() {
	return publishedKeysSchema.parse(await (await fetch(`${stack.origin}/api/v1/public/keys`)).json());
}

describe('scheduled integrity check', () => {
	async function integrityRun(jobId: string) {
		const worker = await run(['build/worker.js', 'maintenance'], { ...stack.env, WORKER_ONCE: 'true', LOG_LEVEL: 'info' });
		expect(worker.code, worker.stderr).toBe(0);
		const [row] = await stack.database.sql<{ outcome: string; result: Record<string, { ok: boolean; findings?: { problem: string }[] }> }[]>`
			select outcome, result from maintenance_runs where job_id = ${jobId}`;
		return { row, output: worker.stdout + worker.stderr };
	}
	const send = async () => (await stack.database.sql<{ id: string }[]>`insert into pgboss.job (name, data) values ('maintenance', '{"task":"verify_integrity"}') returning id`)[0].id;

	it('passes on untouched data, then finds a tampered audit row and a tampered log leaf in one run', async () => {
		const sql = stack.database.sql;
		await sql`insert into notification_settings (tenant_id, recipients) values (null, ${JSON.stringify({ 'system.audit_chain_broken': ['oncall@wipecert.test'] })}::jsonb)
			on conflict on constraint notification_settings_tenant_key do update set recipients = excluded.recipients`;
		const alerts = () => sql<{ recipient: string; chain: string }[]>`
			select recipient, payload->'data'->>'chain' as chain from notification_deliveries where event_type = 'system.audit_chain_broken' order by 2`;
		const first = await integrityRun(await send());
		expect(first.row).toMatchObject({ outcome: 'ok', result: { ok: true, audit: { ok: true }, receipts: { ok: true }, log: { ok: true } } });
		expect(await alerts()).toEqual([]);

		const [audit] = await sql`select id, action from audit_events order by id limit 1`;
		const [leaf] = await sql`select hash from log_nodes where level = 0 and idx = 1`;
		expect(audit).toBeDefined();
		await sql.unsafe('alter table audit_events disable trigger audit_events_no_update_delete');
		await sql`update audit_events set action = 'tampered' where id = ${audit.id}`;
		await sql.unsafe('alter table audit_events enable trigger audit_events_no_update_delete');
		await sql`update log_nodes set hash = decode(repeat('ab', 32), 'hex') where level = 0 and idx = 1`;

		const second = await integrityRun(await send());
		expect(second.row.outcome).toBe('broken');
		expect(second.row.result.audit.ok).toBe(false);
		expect(second.row.result.log.ok).toBe(false);
		expect(second.row.result.log.findings!.map((f) => f.problem)).toEqual(['entry_mismatch', 'node_mismatch']);
		expect(second.row.result.receipts.findings!.map((f) => f.problem)).toEqual(['leaf_mismatch']);
		const line = second.output.split('\n').find((l) => l.includes('integrity check found a break'));
		expect(line).toBeDefined();
		expect(JSON.parse(line!)).toMatchObject({ level: 'error', alert: 'system.audit_chain_broken', worker: 'maintenance' });
		// the alert mail to the platform's recipients committed with the run: one per broken part
		const raised = await alerts();
		expect(raised.map((a) => a.recipient)).toEqual(['oncall@wipecert.test', 'oncall@wipecert.test', 'oncall@wipecert.test']);
		expect(raised.map((a) => a.chain.split(':')[0])).toEqual(['audit', 'log', 'receipts']);

		const metrics = await (await fetch(`${stack.origin}/metrics`)).text();
		expect(metrics).toMatch(/^wipecert_integrity_broken 1$/m);
		const admin = await signInToApp(stack.origin, 'admin@wipecert.test');
		const status = (await (await fetch(`${stack.origin}/api/v1/admin/maintenance`, { headers: { cookie: admin.header() } })).json()) as { integrityBroken: boolean; tasks: { task: string; lastRun: { outcome: string } | null }[] };
		expect(status.integrityBroken).toBe(true);
		expect(status.tasks.find((t) => t.task === 'verify_integrity')?.lastRun?.outcome).toBe('broken');
		const page = await (await fetch(`${stack.origin}/admin/system`, { headers: { cookie: admin.header() } })).text();
		expect(page).toContain('data-testid="integrity-banner"');

		// repaired (the row and leaf as they were): the next run passes and the banner goes
		await sql.unsafe('alter table audit_events disable trigger audit_events_no_update_delete');
		await sql`update audit_events set action = ${audit.action} where id = ${audit.id}`;
		await sql.unsafe('alter table audit_events enable trigger audit_events_no_update_delete');
		await sql`update log_nodes set hash = ${leaf.hash} where level = 0 and idx = 1`;
		const third = await integrityRun(await send());
		expect(third.row.outcome).toBe('ok');
		expect(await (await fetch(`${stack.origin}/admin/system`, { headers: { cookie: admin.header() } })).text()).not.toContain('data-testid="integrity-banner"');
		expect(await (await fetch(`${stack.origin}/metrics`)).text()).toMatch(/^wipecert_integrity_broken 0$/m);
	}, 180_000);
});

describe('retention and anonymisation, clock moved forward', () => {
	it('deletes raw proof files and rejected proofs, anonymises records and former members; certificates still verify offline', async () => {
		const sql = stack.database.sql;
		const config = resolveConfig(parseConfig({ ...stack.env, NODE_ENV: 'test' }));
		const storage = await createStore(config);
		const keys = await publicKeys();
		const certified = await sql<{ id: string; object_key: string }[]>`select id, object_key from proofs where status = 'CERTIFIED_NO_ANCHOR'`;
		const rejected = await sql<{ id: string; object_key: string }[]>`select id, object_key from proofs where status = 'REJECTED'`;
		expect(certified.length).toBeGreaterThan(0);
		expect(rejected.length).toBeGreaterThan(0);
		for (const p of [...certified, ...rejected]) expect(await storage.head(p.object_key)).not.toBeNull();
		const certs = await sql<{ public_id: string; operator: string; site: string }[]>`
			select public_id, record->'report'->'operator'->>'name' as operator, record->'report'->'location'->>'site' as site from certificates order by log_index`;
		const [gone] = await sql`insert into users (issuer, subject, email, display_name, created_at, last_sign_in_at)
			values ('https://idp.test', ${randomUUID()}, 'former@example.test', 'Former Member', now() - interval '10 days', now() - interval '10 days') returning id`;
		const [member] = await sql`select id, email from users where email = 'operator@acme.test'`;

		const later = new Date(Date.now() + 400 * DAY);
		const deps = { storage, publishedKeys: async () => keys, log: createLogger('silent'), now: () => later };
		const settings = { ...config, RETENTION_PROOF_DAYS: 365, ANONYMISE_AFTER_DAYS: 365 };
		// today's clock: nothing is old enough
		expect(await runMaintenanceTask(stack.database.db, 'retention-today', { task: 'apply_retention' }, undefined, settings, { ...deps, now: () => new Date() })).toEqual({
			task: 'apply_retention', proofFilesDeleted: 0, rejectedProofsDeleted: 0, rejectedKeptForLedger: 0
		});
		const retention = await runMaintenanceTask(stack.database.db, 'retention-later', { task: 'apply_retention' }, undefined, settings, deps);
		expect(retention).toMatchObject({ task: 'apply_retention', proofFilesDeleted: certified.length });
		const r = retention as { rejectedProofsDeleted: number; rejectedKeptForLedger: number };
		expect(r.rejectedProofsDeleted + r.rejectedKeptForLedger).toBe(rejected.length);
		for (const p of [...certified, ...rejected]) expect(await storage.head(p.object_key)).toBeNull();
		expect((await sql`select count(*)::int as n from proofs where status = 'CERTIFIED_NO_ANCHOR' and object_purged_at is not null`)[0].n).toBe(certified.length);
		expect((await sql`select count(*)::int as n from proofs where status = 'REJECTED' and object_purged_at is null`)[0].n).toBe(0);
		// a second run finds nothing left to do
		expect(await runMaintenanceTask(stack.database.db, 'retention-again', { task: 'apply_retention' }, undefined, settings, deps)).toMatchObject({ proofFilesDeleted: 0, rejectedProofsDeleted: 0 });

		const anonymised = await runMaintenanceTask(stack.database.db, 'anonymise-later', { task: 'anonymise' }, undefined, settings, deps);
		expect(anonymised).toMatchObject({ task: 'anonymise', certificates: certs.length });
		expect((anonymised as { people: number }).people).toBeGreaterThanOrEqual(1);
		const after = await sql<{ operator: string; site: string }[]>`select record->'report'->'operator'->>'name' as operator, record->'report'->'location'->>'site' as site from certificates`;
		expect(after.every((c) => c.operator === '[anonymised]' && c.site === '[anonymised]')).toBe(true);
		expect((await sql`select email, display_name from users where id = ${gone.id}`)[0]).toEqual({ email: null, display_name: null });
		expect((await sql`select email from users where id = ${member.id}`)[0].email).toBe(member.email);

		// every certificate still verifies: the built CLI on its PDF, the public answer, the integrity check
		const keysFile = join(stack.dataDir, 'keys.json');
		writeFileSync(keysFile, JSON.stringify(keys));
		for (const c of certs) {
			const pdf = new Uint8Array(await (await fetch(`${stack.origin}/api/v1/public/certificates/${c.public_id}/pdf`)).arrayBuffer());
			const file = join(stack.dataDir, `${c.public_id}.pdf`);
			writeFileSync(file, pdf);
			const verdict = await run(['build/verify.js', file, '--keys', keysFile, '--json']);
			expect(verdict.code, verdict.stdout + verdict.stderr).toBe(0);
			const answer = await (await fetch(`${stack.origin}/api/v1/public/certificates/${c.public_id}`)).text();
			expect(answer).toContain(c.public_id);
			expect(answer).not.toContain(c.operator);
		}
		const integrity = await runMaintenanceTask(stack.database.db, 'integrity-after-anonymise', { task: 'verify_integrity' }, undefined, settings, deps);
		expect(integrity).toMatchObject({ task: 'verify_integrity', ok: true, receipts: { ok: true, anonymised: certs.length } });
	}, 180_000);
});
