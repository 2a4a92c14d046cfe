import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { ApiError } from '#lib/server/http/errors';
import { ensureDevTenants } from '#lib/server/tenancy';
import { authenticateAgent } from './authenticate';
import { signRequest } from './http-signature';
import { agents } from './schema';

/**
 * Concurrent agent requests share their agent lookup (one SELECT) and their
 * nonce INSERT (one multi-row statement) by group commit: a replay must be
 * refused, and a suspended agent refused, exactly as when each request had
 * its own statements, also when they land in the same batch.
 */
let t: Awaited<ReturnType<typeof createTestDatabase>>;
let agentId: string;
let acmeId: string;
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const url = 'http://localhost/ingest/v1/proofs';
const opts = { origin: 'http://localhost', windowSeconds: 300 };

beforeAll(async () => {
	t = await createTestDatabase();
	const { acme } = await ensureDevTenants(t.database.db);
	acmeId = acme;
	const [row] = await t.database.db
		.insert(agents)
		.values({
			tenantId: acme,
			name: 'nonce test',
			certificateSerial: randomBytes(8).toString('hex'),
			certificatePem: '-',
			publicKeySpki: key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
		})
		.returning({ id: agents.id });
	agentId = row.id;
}, 60_000);
afterAll(async () => t?.drop());

function signed(nonce?: string, as = { id: agentId, privateKey: key.privateKey }) {
	const body = randomBytes(32);
	const headers = new Headers(signRequest({ method: 'POST', url, body, keyId: as.id, privateKey: as.privateKey, nonce }));
	return { request: { method: 'POST', headers, url: new URL(url) }, body };
}

const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof ApiError ? e.code : String(e)));

describe('agent request nonces by group commit', () => {
	it('the same signed request ten times at once: one is accepted, nine are replays; other requests of the moment pass', async () => {
		const replayed = signed();
		const calls = [
			...Array.from({ length: 10 }, () => outcome(authenticateAgent(t.database.db, replayed.request, replayed.body, opts))),
			...Array.from({ length: 20 }, () => {
				const fresh = signed();
				return outcome(authenticateAgent(t.database.db, fresh.request, fresh.body, opts));
			})
		];
		const results = await Promise.all(calls);
		expect(results.slice(0, 10).sort()).toEqual([...Array(9).fill('agent_signature_replayed'), 'ok']);
		expect(results.slice(10)).toEqual(Array(20).fill('ok'));
		// and later, alone
		expect(await outcome(authenticateAgent(t.database.db, replayed.request, replayed.body, opts))).toBe('agent_signature_replayed');
	});

	it('a nonce is per agent: the database keeps (agent, nonce) pairs, one row for the accepted use', async () => {
		const nonce = randomBytes(12).toString('base64url');
		const one = signed(nonce);
		expect(await outcome(authenticateAgent(t.database.db, one.request, one.body, opts))).toBe('ok');
		const rows = await t.database.sql`select count(*)::int as n from agent_request_nonces where agent_id = ${agentId} and nonce = ${nonce}`;
		expect(rows[0].n).toBe(1);
	});

	it('a suspended agent is refused and an active one accepted when their lookups share one SELECT', async () => {
		const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
		const [row] = await t.database.db
			.insert(agents)
			.values({
				tenantId: acmeId,
				name: 'suspended',
				certificateSerial: randomBytes(8).toString('hex'),
				certificatePem: '-',
				publicKeySpki: other.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
				status: 'suspended',
				suspendedAt: new Date()
			})
			.returning({ id: agents.id });
		const unknown = '00000000-0000-4000-8000-000000000000';
		const results = await Promise.all(
			Array.from({ length: 30 }, (_, i) => {
				const as = i % 3 === 0 ? { id: row.id, privateKey: other.privateKey } : i % 3 === 1 ? { id: agentId, privateKey: key.privateKey } : { id: unknown, privateKey: key.privateKey };
				const r = signed(undefined, as);
				return outcome(authenticateAgent(t.database.db, r.request, r.body, opts));
			})
		);
		expect(results).toEqual(Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 'agent_suspended' : i % 3 === 1 ? 'ok' : 'agent_signature_invalid')));
	});
});
