import type { CookieJar } from './oidc-browser';

/**
 * Objects for the authorization matrix (tests/authz-matrix.spec.ts), keyed by
 * the OpenAPI path template. `own` is an object of the caller's tenant (acme)
 * or of the caller; `other` one of another tenant (globex) or person. The
 * matrix expects 404 for `other` whenever the caller is otherwise allowed.
 * A path without an entry is still checked (401/403 and 404 for an unknown id).
 * Add an entry when you add a route with an id.
 */
export type FixtureContext = {
	origin: string;
	/** signed-in jars by caller name: viewer, operator, tenant_admin, platform_admin (acme), globex_admin */
	jars: Record<string, CookieJar>;
	/** acme / globex tenant ids */
	tenants: { acme: string; globex: string };
};

export type Fixture = { own?: string; other?: string };

async function json(r: Response) {
	if (!r.ok) throw new Error(`fixture request ${r.url} failed: ${r.status} ${await r.text()}`);
	return r.json();
}

async function invite(ctx: FixtureContext, jar: CookieJar, email: string): Promise<string> {
	const body = await json(
		await fetch(`${ctx.origin}/api/v1/members`, {
			method: 'POST',
			headers: { cookie: jar.header(), origin: ctx.origin, 'content-type': 'application/json' },
			body: JSON.stringify({ email, role: 'viewer' })
		})
	);
	return body.id;
}

/** A proof of the jar's tenant: a body shaped like a DER proof (one SEQUENCE), registered by POST /api/v1/proofs. */
async function proof(ctx: FixtureContext, jar: CookieJar): Promise<string> {
	const der = new Uint8Array(34);
	der.set([0x30, 32]);
	crypto.getRandomValues(der.subarray(2));
	const r = await fetch(`${ctx.origin}/api/v1/proofs`, {
		method: 'POST',
		headers: { cookie: jar.header(), origin: ctx.origin, 'content-type': 'application/pkcs7-mime' },
		body: der
	});
	if (r.status !== 202) throw new Error(`fixture proof failed: ${r.status} ${await r.text()}`);
	return ((await r.json()) as { publicId: string }).publicId;
}

/** A webhook endpoint of the jar's tenant, on a public address (registration resolves nothing for a literal IP; nothing is sent in the matrix). */
async function webhook(ctx: FixtureContext, jar: CookieJar): Promise<string> {
	const body = await json(
		await fetch(`${ctx.origin}/api/v1/webhooks`, {
			method: 'POST',
			headers: { cookie: jar.header(), origin: ctx.origin, 'content-type': 'application/json' },
			body: JSON.stringify({ url: 'http://93.184.215.14/hook', events: ['licences.low'] })
		})
	);
	return body.id;
}

/** A delivery of the jar's tenant: the test event of a new endpoint. */
async function delivery(ctx: FixtureContext, jar: CookieJar): Promise<string> {
	const id = await webhook(ctx, jar);
	const body = await json(await fetch(`${ctx.origin}/api/v1/webhooks/${id}/test`, { method: 'POST', headers: { cookie: jar.header(), origin: ctx.origin } }));
	return body.id;
}

export const fixtures: Record<string, (ctx: FixtureContext) => Promise<Fixture>> = {
	// proofs by public ID, and a tenant's licences in the console
	'/api/v1/proofs/{id}': async (ctx) => ({ own: await proof(ctx, ctx.jars.operator), other: await proof(ctx, ctx.jars.globex_admin) }),
	'/api/v1/proofs/{id}/reprocess': async (ctx) => ({ own: await proof(ctx, ctx.jars.operator), other: await proof(ctx, ctx.jars.globex_admin) }),
	'/api/v1/licences/tenants/{id}': async (ctx) => ({ own: ctx.tenants.acme, other: ctx.tenants.globex }),
	'/api/v1/members/{id}': async (ctx) => ({
		own: await invite(ctx, ctx.jars.tenant_admin, 'matrix-own@acme.test'),
		other: await invite(ctx, ctx.jars.globex_admin, 'matrix-other@globex.test')
	}),
	'/api/v1/sessions/{id}': async (ctx) => {
		const r = await json(await fetch(`${ctx.origin}/api/v1/sessions`, { headers: { cookie: ctx.jars.globex_admin.header() } }));
		return { other: r.items[0].id };
	},
	'/api/v1/admin/tenants/{id}': async (ctx) => ({ own: ctx.tenants.acme, other: ctx.tenants.globex }),
	'/api/v1/admin/tenants/{id}/service-accounts': async (ctx) => ({ own: ctx.tenants.acme, other: ctx.tenants.globex }),
	// notifications: webhook endpoints and their deliveries (a test event queues one)
	'/api/v1/webhooks/{id}': async (ctx) => ({ own: await webhook(ctx, ctx.jars.tenant_admin), other: await webhook(ctx, ctx.jars.globex_admin) }),
	'/api/v1/webhooks/{id}/test': async (ctx) => ({ own: await webhook(ctx, ctx.jars.tenant_admin), other: await webhook(ctx, ctx.jars.globex_admin) }),
	'/api/v1/webhooks/{id}/secret': async (ctx) => ({ own: await webhook(ctx, ctx.jars.tenant_admin), other: await webhook(ctx, ctx.jars.globex_admin) }),
	'/api/v1/deliveries/{id}': async (ctx) => ({ own: await delivery(ctx, ctx.jars.tenant_admin), other: await delivery(ctx, ctx.jars.globex_admin) }),
	'/api/v1/deliveries/{id}/resend': async (ctx) => ({ own: await delivery(ctx, ctx.jars.tenant_admin), other: await delivery(ctx, ctx.jars.globex_admin) }),
	// platform-wide: every tenant's delivery is the platform admin's to see
	'/api/v1/admin/deliveries/{id}': async (ctx) => ({ own: await delivery(ctx, ctx.jars.tenant_admin), other: await delivery(ctx, ctx.jars.globex_admin) }),
	'/api/v1/admin/deliveries/{id}/resend': async (ctx) => ({ own: await delivery(ctx, ctx.jars.tenant_admin), other: await delivery(ctx, ctx.jars.globex_admin) }),
	// A platform-wide action: the "other" tenant is a real one the platform admin may invite to (201);
	// every other caller must be refused (401/403) before the tenant is looked at.
	'/api/v1/admin/tenants/{id}/invitations': async (ctx) => ({ own: ctx.tenants.acme, other: ctx.tenants.globex })
};
