import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppProcess } from '../helpers/app-process';
import { signInToApp, type CookieJar } from '../helpers/oidc-browser';

/**
 * The audit routes against the built app, its dev realm and a real database
 *: audited mutations appear in the tenant's trail and only
 * there; the admin trail reports chain verification and finds tampering.
 * Rate limits end to end: 429 in the envelope with Retry-After,
 * keyed by the trusted X-Forwarded-For hop.
 */
let app: AppProcess;
let acmeAdmin: CookieJar;
let globexAdmin: CookieJar;
let platformAdmin: CookieJar;
beforeAll(async () => {
	app = await startApp();
	[acmeAdmin, globexAdmin, platformAdmin] = await Promise.all([
		signInToApp(app.origin, 'admin@acme.test'),
		signInToApp(app.origin, 'admin@globex.test'),
		signInToApp(app.origin, 'admin@wipecert.test')
	]);
});
afterAll(async () => {
	await app?.stop();
});

type AuditEvent = { chain: string; seq: number; tenantId: string | null; action: string; target: string; result: string; actor: { kind: string; role: string | null } | null; hash: string; prevHash: string; sourceIp: string | null; correlationId: string };
type Page = { items: AuditEvent[]; nextCursor: string | null };

const get = (jar: CookieJar, path: string) => fetch(`${app.origin}${path}`, { headers: { cookie: jar.header() } });

describe('GET /api/v1/audit', () => {
	const email = `audit-${randomBytes(4).toString('hex')}@acme.test`;
	let correlationId = '';
	beforeAll(async () => {
		correlationId = `audit-test-${randomBytes(6).toString('hex')}`;
		const r = await fetch(`${app.origin}/api/v1/members`, {
			method: 'POST',
			// TRUSTED_PROXY_HOPS=0 (the default): a client-written X-Forwarded-For must not become the source IP
			headers: { cookie: acmeAdmin.header(), origin: app.origin, 'content-type': 'application/json', 'x-request-id': correlationId, 'x-forwarded-for': '198.51.100.66' },
			body: JSON.stringify({ email, role: 'viewer' })
		});
		expect(r.status).toBe(201);
	});

	it('shows the tenant’s audited mutations with actor, result, correlation id and hashes', async () => {
		const r = await get(acmeAdmin, '/api/v1/audit?action=member.invite');
		expect(r.status).toBe(200);
		const page = (await r.json()) as Page;
		const row = page.items.find((i) => i.correlationId === correlationId);
		expect(row).toMatchObject({ action: 'member.invite', result: 'success', actor: { kind: 'user', role: 'tenant_admin' } });
		expect(row!.hash).toMatch(/^[0-9a-f]{64}$/);
		expect(row!.sourceIp).toBe('127.0.0.1');
		expect(page.items.filter((i) => !(i.tenantId === row!.tenantId && i.chain === row!.tenantId))).toEqual([]);
	});

	it('pages with an opaque cursor and filters by prefix', async () => {
		const first = (await (await get(acmeAdmin, '/api/v1/audit?limit=1')).json()) as Page;
		expect(first.items).toHaveLength(1);
		expect(first.nextCursor).toBeTruthy();
		const second = (await (await get(acmeAdmin, `/api/v1/audit?limit=1&cursor=${first.nextCursor}`)).json()) as Page;
		expect(second.items[0].seq).toBeLessThan(first.items[0].seq);
		const members = (await (await get(acmeAdmin, '/api/v1/audit?action=member.*')).json()) as Page;
		expect(members.items.length).toBeGreaterThan(0);
		expect(members.items.filter((i) => !i.action.startsWith('member.'))).toEqual([]);
	});

	it('another tenant never sees these rows', async () => {
		const page = (await (await get(globexAdmin, `/api/v1/audit?correlationId=${correlationId}`)).json()) as Page;
		expect(page.items).toEqual([]);
	});

	it('bad input is an error in the envelope, never a 500', async () => {
		const badCursor = await get(acmeAdmin, '/api/v1/audit?cursor=not-a-cursor');
		expect(badCursor.status).toBe(400);
		expect(((await badCursor.json()) as { error: { code: string } }).error.code).toBe('bad_request');
		const badDate = await get(acmeAdmin, '/api/v1/audit?from=yesterday');
		expect(badDate.status).toBe(422);
		expect(((await badDate.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
	});

	it('the platform admin route is not open to a tenant admin', async () => {
		expect((await get(acmeAdmin, '/api/v1/admin/audit')).status).toBe(403);
	});
});

describe('GET /api/v1/admin/audit', () => {
	it('lists every tenant’s rows with the verification of all chains', async () => {
		const r = await get(platformAdmin, '/api/v1/admin/audit?limit=200');
		expect(r.status).toBe(200);
		const body = (await r.json()) as Page & { verification: { ok: boolean; checked: number; chains: number } };
		expect(body.verification).toMatchObject({ ok: true });
		expect(body.verification.checked).toBeGreaterThan(0);
		expect(new Set(body.items.map((i) => i.chain)).size).toBeGreaterThan(1);
		const skipped = (await (await get(platformAdmin, '/api/v1/admin/audit?verify=false')).json()) as { verification: unknown };
		expect(skipped.verification).toBeNull();
	});

	it('reports an edited row of a tenant’s chain', async () => {
		const page = (await (await get(acmeAdmin, '/api/v1/audit?limit=200')).json()) as Page;
		const victim = page.items.at(-1)!;
		await app.database.sql.begin(async (sql) => {
			await sql.unsafe('alter table audit_events disable trigger user');
			await sql`update audit_events set result = 'failure' where chain = ${victim.chain} and seq = ${victim.seq}`;
			await sql.unsafe('alter table audit_events enable trigger user');
		});
		const r = await get(platformAdmin, `/api/v1/admin/audit?tenantId=${victim.chain}`);
		const body = (await r.json()) as { verification: { ok: boolean; firstBadSeq: number; chain: string; reason: string } };
		expect(body.verification).toMatchObject({ ok: false, firstBadSeq: victim.seq, chain: victim.chain, reason: 'hash_mismatch' });
		const platformOnly = (await (await get(platformAdmin, '/api/v1/admin/audit?tenantId=platform')).json()) as Page & { verification: { ok: boolean } };
		expect(platformOnly.items.filter((i) => i.chain !== 'platform')).toEqual([]);
	});
});

describe('rate limits through the app', () => {
	let limited: AppProcess;
	beforeAll(async () => {
		limited = await startApp({ RATE_LIMIT_TOKEN: '2/60', TRUSTED_PROXY_HOPS: '1' });
	});
	afterAll(async () => {
		await limited?.stop();
	});

	const token = (xff: string) =>
		fetch(`${limited.origin}/realms/dev/protocol/openid-connect/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': xff },
			body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'acme-automation', client_secret: 'dev-acme-secret' })
		});

	it('answers 429 rate_limited with Retry-After, counting the trusted hop only', async () => {
		expect((await token('203.0.113.1')).status).toBe(200);
		// a client-chosen leftmost entry does not make a new client: the rightmost (our proxy's) entry counts
		expect((await token('10.1.2.3, 203.0.113.1')).status).toBe(200);
		const refused = await token('10.9.9.9, 203.0.113.1');
		expect(refused.status).toBe(429);
		const retryAfter = Number(refused.headers.get('retry-after'));
		expect(retryAfter).toBeGreaterThanOrEqual(1);
		expect(retryAfter).toBeLessThanOrEqual(60);
		const body = (await refused.json()) as { error: { code: string; correlationId: string } };
		expect(body.error.code).toBe('rate_limited');
		expect(body.error.correlationId).toBeTruthy();
		expect((await token('203.0.113.2')).status).toBe(200);
	});

	it('audit rows record the trusted hop of X-Forwarded-For as the source IP, not the proxy’s socket', async () => {
		const admin = await signInToApp(limited.origin, 'admin@acme.test');
		const correlationId = `audit-xff-${randomBytes(6).toString('hex')}`;
		const r = await fetch(`${limited.origin}/api/v1/members`, {
			method: 'POST',
			headers: { cookie: admin.header(), origin: limited.origin, 'content-type': 'application/json', 'x-request-id': correlationId, 'x-forwarded-for': '10.7.7.7, 203.0.113.50' },
			body: JSON.stringify({ email: `xff-${randomBytes(4).toString('hex')}@acme.test`, role: 'viewer' })
		});
		expect(r.status).toBe(201);
		const page = (await (await fetch(`${limited.origin}/api/v1/audit?action=member.invite`, { headers: { cookie: admin.header() } })).json()) as Page;
		expect(page.items.find((i) => i.correlationId === correlationId)?.sourceIp).toBe('203.0.113.50');
	});
});
