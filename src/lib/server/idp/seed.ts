import type { Action } from '#lib/server/auth/policy';

/**
 * The dev realm's people and service clients (the dev seed):
 * password `dev-password` for everyone. Groups follow Keycloak's full group
 * paths, `/tenants/<tenant>/<role>`, as a group-membership mapper emits them.
 * Platform admins come from the admin bootstrap (auth/settings.ts
 * DEV_BOOTSTRAP_ADMINS), exactly as in production.
 */
export const DEV_PASSWORD = 'dev-password';

export const DEV_USERS = [
	{ email: 'admin@wipecert.test', name: 'Platform Admin', groups: [] },
	{ email: 'admin@acme.test', name: 'Ada Acme', groups: ['/tenants/acme/tenant_admin'] },
	{ email: 'operator@acme.test', name: 'Otto Acme', groups: ['/tenants/acme/operator'] },
	{ email: 'viewer@acme.test', name: 'Vera Acme', groups: ['/tenants/acme/viewer'] },
	{ email: 'admin@globex.test', name: 'Greta Globex', groups: ['/tenants/globex/tenant_admin'] },
	{ email: 'operator@globex.test', name: 'Gus Globex', groups: ['/tenants/globex/operator'] },
	// No group and no bootstrap: nobody's member until a platform admin invites this address,
	// the first-admin path of a brand-new tenant (POST /api/v1/admin/tenants/{id}/invitations).
	{ email: 'new.admin@wipecert.test', name: 'Noor New', groups: [] }
] as const satisfies readonly { email: string; name: string; groups: readonly string[] }[];

/** What an automation client may do for its tenant (the scopes it may ask for). */
export const DEV_SERVICE_SCOPES: Action[] = ['proofs:read', 'proofs:write', 'certificates:read', 'agents:read', 'licences:read'];

export const DEV_SERVICE_CLIENTS = [
	{ clientId: 'acme-automation', secret: 'dev-acme-secret', tenant: 'acme', name: 'Acme automation' },
	{ clientId: 'globex-automation', secret: 'dev-globex-secret', tenant: 'globex', name: 'Globex automation' }
] as const;

/** The dev realm's own resource server for API tokens, and a second one (another API) to prove audience checks. */
export const API_RESOURCE = 'urn:wipecert:api';
export const OTHER_RESOURCE = 'urn:example:other-api';
export const OTHER_AUDIENCE = 'other-api';
