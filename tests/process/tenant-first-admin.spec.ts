import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppProcess } from '../helpers/app-process';
import { clientCredentials, signInToApp, type CookieJar } from '../helpers/oidc-browser';

/**
 * A brand-new tenant gets its first admin on the built app,
 * its dev realm and a real database: the platform admin creates a tenant and
 * invites `new.admin@wipecert.test` (a seeded person with no tenant group) as
 * tenant admin; at that person's first sign-in the invitation becomes the
 * membership, and they run the tenant. Nobody but a platform admin may invite
 * to a tenant this way.
 */
const NEW_ADMIN = 'new.admin@wipecert.test';

let app: AppProcess;
let platformAdmin: CookieJar;
let acmeAdmin: CookieJar;
let bearer = '';
beforeAll(async () => {
	app = await startApp();
	[platformAdmin, acmeAdmin] = await Promise.all([signInToApp(app.origin, 'admin@wipecert.test'), signInToApp(app.origin, 'admin@acme.test')]);
	const token = await clientCredentials(`${app.origin}/realms/dev/protocol/openid-connect/token`, 'acme-automation', 'dev-acme-secret');
	bearer = ((await token.json()) as { access_token: string }).access_token;
}, 120_000);
afterAll(async () => {
	await app?.stop();
});

type Init = { jar?: CookieJar; bearer?: string; body?: unknown; key?: string; method?: string };
function call(path: string, init: Init = {}): Promise<Response> {
	const headers: Record<string, string> = { accept: 'application/json' };
	if (init.jar) headers.cookie = init.jar.header();
	if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
	if (init.body !== undefined) {
		headers['content-type'] = 'application/json';
		headers.origin = app.origin;
	}
	if (init.key) headers['idempotency-key'] = init.key;
	return fetch(`${app.origin}${path}`, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
}

async function createTenant(body: Record<string, string>): Promise<{ id: string; slug: string; members: number }> {
	const r = await call('/api/v1/admin/tenants', { jar: platformAdmin, body, key: randomUUID() });
	expect(r.status, await r.clone().text()).toBe(201);
	return r.json();
}

type Me = { roles: string[]; actions: string[]; tenant: { id: string; slug: string } | null };

describe('the first admin of a new tenant', () => {
	let tenant: { id: string; slug: string };
	const invitePath = () => `/api/v1/admin/tenants/${tenant.id}/invitations`;

	beforeAll(async () => {
		tenant = await createTenant({ slug: `fresh-${randomBytes(3).toString('hex')}`, name: 'Fresh Start Ltd' });
	});

	it('refuses every caller but a platform admin', async () => {
		const body = { email: NEW_ADMIN, role: 'tenant_admin' };
		expect((await call(invitePath(), { body })).status).toBe(401);
		// service accounts act for one tenant and are not accepted on admin routes at all
		expect((await call(invitePath(), { bearer, body })).status).toBe(401);
		const tenantAdmin = await call(invitePath(), { jar: acmeAdmin, body });
		expect(tenantAdmin.status).toBe(403);
		expect(((await tenantAdmin.json()) as { error: { code: string } }).error.code).toBe('forbidden');
		// and the refused attempts left nothing behind
		expect(((await (await call(`/api/v1/admin/tenants/${tenant.id}`, { jar: platformAdmin })).json()) as { members: number }).members).toBe(0);
	});

	it('answers 404 for an unknown tenant and 422 for a bad address', async () => {
		const unknown = await call(`/api/v1/admin/tenants/${randomUUID()}/invitations`, { jar: platformAdmin, body: { email: NEW_ADMIN, role: 'tenant_admin' } });
		expect(unknown.status).toBe(404);
		expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
		expect((await call('/api/v1/admin/tenants/not-a-uuid/invitations', { jar: platformAdmin, body: { email: NEW_ADMIN, role: 'tenant_admin' } })).status).toBe(404);
		expect((await call(invitePath(), { jar: platformAdmin, body: { email: 'not an address', role: 'tenant_admin' } })).status).toBe(422);
		expect((await call(invitePath(), { jar: platformAdmin, body: { email: NEW_ADMIN, role: 'platform_admin' } })).status).toBe(422);
	});

	it('invites new.admin@wipecert.test as tenant admin; a retry with the same key replays the answer', async () => {
		const key = randomUUID();
		const first = await call(invitePath(), { jar: platformAdmin, body: { email: NEW_ADMIN, role: 'tenant_admin' }, key });
		expect(first.status, await first.clone().text()).toBe(201);
		const member = (await first.json()) as { id: string; email: string; role: string; status: string; managedBy: string };
		expect(member).toMatchObject({ email: NEW_ADMIN, role: 'tenant_admin', status: 'invited', managedBy: 'app' });

		const replay = await call(invitePath(), { jar: platformAdmin, body: { email: NEW_ADMIN, role: 'tenant_admin' }, key });
		expect(replay.status).toBe(201);
		expect(replay.headers.get('idempotent-replayed')).toBe('true');
		expect(((await replay.json()) as { id: string }).id).toBe(member.id);
		// a second invitation (new key) of the same address is a conflict, not a second row
		expect((await call(invitePath(), { jar: platformAdmin, body: { email: NEW_ADMIN, role: 'viewer' }, key: randomUUID() })).status).toBe(409);
		expect(((await (await call(`/api/v1/admin/tenants/${tenant.id}`, { jar: platformAdmin })).json()) as { members: number }).members).toBe(1);

		// audited in the platform trail with the platform admin as actor
		const audit = (await (await call(`/api/v1/admin/audit?action=member.invite&tenantId=${tenant.id}`, { jar: platformAdmin })).json()) as {
			items: { action: string; tenantId: string; target: string; actor: { role: string } | null }[];
		};
		expect(audit.items.filter((e) => e.tenantId === tenant.id)).toEqual([expect.objectContaining({ action: 'member.invite', target: `membership:${member.id}`, actor: expect.objectContaining({ role: 'platform_admin' }) })]);
	});

	it('at first sign-in the invited person is the tenant admin of the new tenant', async () => {
		const jar = await signInToApp(app.origin, NEW_ADMIN);
		const me = (await (await call('/api/v1/me', { jar })).json()) as Me;
		expect(me.tenant).toMatchObject({ id: tenant.id, slug: tenant.slug });
		expect(me.roles).toEqual(['tenant_admin']);
		expect(me.actions).toContain('members:manage');
		expect(me.actions).not.toContain('admin:tenants');

		// they run the tenant: the member list shows them active, and they can invite the next person
		const members = (await (await call('/api/v1/members', { jar })).json()) as { items: { email: string; status: string; role: string }[] };
		expect(members.items).toEqual([expect.objectContaining({ email: NEW_ADMIN, status: 'active', role: 'tenant_admin' })]);
		const next = await call('/api/v1/members', { jar, body: { email: `operator-${randomBytes(3).toString('hex')}@fresh.test`, role: 'operator' } });
		expect(next.status, await next.clone().text()).toBe(201);
		// and see nothing of acme
		expect((await call('/api/v1/admin/tenants', { jar })).status).toBe(403);
	});
});

describe('tenant creation with firstAdminEmail', () => {
	it('invites the first tenant admin in the same transaction', async () => {
		const email = `first-${randomBytes(3).toString('hex')}@initech.test`;
		const tenant = await createTenant({ slug: `initech-${randomBytes(3).toString('hex')}`, name: 'Initech', firstAdminEmail: email });
		expect(tenant.members).toBe(1);
		const audit = (await (await call(`/api/v1/admin/audit?tenantId=${tenant.id}`, { jar: platformAdmin })).json()) as { items: { action: string; tenantId: string }[] };
		expect(audit.items.filter((e) => e.tenantId === tenant.id).map((e) => e.action).sort()).toEqual(['member.invite', 'tenant.create']);
	});

	it('a bad first admin address creates no tenant', async () => {
		const slug = `nobody-${randomBytes(3).toString('hex')}`;
		const r = await call('/api/v1/admin/tenants', { jar: platformAdmin, body: { slug, name: 'Nobody', firstAdminEmail: 'nope' }, key: randomUUID() });
		expect(r.status).toBe(422);
		const list = (await (await call('/api/v1/admin/tenants?limit=100', { jar: platformAdmin })).json()) as { items: { slug: string }[] };
		expect(list.items.map((t) => t.slug)).not.toContain(slug);
	});
});
