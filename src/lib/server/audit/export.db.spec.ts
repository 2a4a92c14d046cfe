import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { exportAudit, recordAudit } from './index';

/**
 * The audit export and the handbook's offline verifier
 * (admin-docs/static/downloads/verify-audit-chain.mjs, run here as an auditor
 * would: `node` on the exported file): the chains it exports recompute, and a
 * changed or missing row in the file is found, with its chain and seq.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const SCRIPT = 'admin-docs/static/downloads/verify-audit-chain.mjs';

async function audit(tenantId: string | null, action: string, details: Record<string, unknown>) {
	await db.database.db.transaction((tx) =>
		recordAudit(tx, { actor: { kind: 'user', id: 'u-1', role: 'tenant_admin' }, tenantId, action, target: `thing:${action}`, result: 'success', correlationId: `c-${action}`, sourceIp: '192.0.2.1', details })
	);
}

async function exported(q: Parameters<typeof exportAudit>[1]): Promise<string> {
	return new Response(exportAudit(db.database.db, q)).text();
}

function verify(text: string, name = 'audit.ndjson') {
	const file = join(dir, name);
	writeFileSync(file, text);
	const r = spawnSync(process.execPath, [SCRIPT, file], { encoding: 'utf8' });
	return { status: r.status, out: r.stdout + r.stderr };
}

beforeAll(async () => {
	db = await createTestDatabase();
	dir = mkdtempSync(join(tmpdir(), 'audit-export-'));
	await db.database.sql`insert into tenants (id, slug, name) values (${A}, 'audit-a', 'A'), (${B}, 'audit-b', 'B')`;
	for (let i = 0; i < 5; i++) await audit(A, `member.invite.${i}`, { role: 'viewer', n: i, nested: { ü: 'ß', list: [1, 2.5, 'x'] } });
	for (let i = 0; i < 3; i++) await audit(B, `agent.enrol.${i}`, { name: `agent ${i}` });
	await audit(null, 'tenant.create', { slug: 'audit-a' });
});
afterAll(async () => {
	await db?.drop();
	rmSync(dir, { recursive: true, force: true });
});

describe('audit export', () => {
	it('exports one tenant’s chain in seq order with every hashed field; the handbook script recomputes it', async () => {
		const text = await exported({ format: 'ndjson', tenantId: A });
		const rows = text.trim().split('\n').map((l) => JSON.parse(l));
		expect(rows.map((r) => [r.chain, r.seq])).toEqual([1, 2, 3, 4, 5].map((s) => [A, s]));
		expect(Object.keys(rows[0]).sort()).toEqual(['action', 'actor', 'chain', 'correlationId', 'createdAt', 'details', 'hash', 'prevHash', 'result', 'seq', 'sourceIp', 'target', 'tenantId']);
		const [head] = await db.database.sql`select seq, hash from audit_chain_heads where chain = ${A}`;
		const r = verify(text);
		expect(r.status).toBe(0);
		expect(r.out).toContain(`chain ${A}: 5 rows OK from its first row; head seq ${head.seq} hash ${head.hash}`);
	});

	it('as one JSON array, and every chain for a platform admin', async () => {
		const json = await exported({ format: 'json' });
		const rows = JSON.parse(json) as { chain: string }[];
		expect(new Set(rows.map((r) => r.chain))).toEqual(new Set([A, B, 'platform']));
		const r = verify(json, 'all.json');
		expect(r.status).toBe(0);
		expect(r.out.match(/rows OK/g)).toHaveLength(3);
		expect(verify(await exported({ format: 'ndjson', tenantId: null }), 'platform.ndjson').out).toMatch(/^chain platform: 1 rows OK/);
	});

	it('finds a changed row, a removed row and a broken link in the file', async () => {
		const lines = (await exported({ format: 'ndjson', tenantId: A })).trim().split('\n');
		const changed = lines.map((l, i) => (i === 2 ? l.replace('"role":"viewer"', '"role":"tenant_admin"') : l));
		expect(verify(changed.join('\n'))).toMatchObject({ status: 1, out: expect.stringContaining(`chain ${A}: seq 3: the row does not hash to its hash`) });
		const removed = lines.filter((_, i) => i !== 1);
		expect(verify(removed.join('\n'))).toMatchObject({ status: 1, out: expect.stringContaining('seq 3 follows seq 1') });
		const rehashedOnly = lines.map((l, i) => (i === 3 ? l.replace(/"prevHash":"[0-9a-f]{64}"/, `"prevHash":"${'ab'.repeat(32)}"`) : l));
		expect(verify(rehashedOnly.join('\n'))).toMatchObject({ status: 1, out: expect.stringContaining('seq 4: prevHash is not the hash of seq 3') });
		expect(verify('not json at all')).toMatchObject({ status: 2 });
	});

	it('a stretch of the chain (from/to) recomputes from its first row’s prevHash', async () => {
		const [third] = await db.database.sql<{ created_at: Date }[]>`select created_at from audit_events where chain = ${A} and seq = 3`;
		const text = await exported({ format: 'ndjson', tenantId: A, from: new Date(third.created_at) });
		const rows = text.trim().split('\n').map((l) => JSON.parse(l));
		expect(rows.map((r) => r.seq)).toEqual([3, 4, 5]);
		const r = verify(text);
		expect(r.status).toBe(0);
		expect(r.out).toContain(`from seq 3 (linked to the rows before by prevHash ${rows[0].prevHash})`);
	});
});
