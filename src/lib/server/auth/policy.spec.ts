import { describe, expect, it } from 'vitest';
import { ApiError } from '#lib/server/http/errors';
import { requireActor, requireTenant, type Actor } from './guard';
import { ACTIONS, actionsOf, can, PLATFORM_ACTIONS, ROLE_ACTIONS } from './policy';

const user = (roles: Actor['roles'], tenantId: string | null = 't1'): Actor => ({ kind: 'user', id: 'u', tenantId, roles, scopes: actionsOf(roles) });
const service = (scopes: string[], tenantId: string | null = 't1'): Actor => ({ kind: 'service', id: 's', tenantId, roles: [], scopes });
const event = (actor: Actor | null) => ({ locals: { actor } as App.Locals });

describe('policy', () => {
	it('roles nest: viewer ⊂ operator ⊂ tenant_admin; platform admin holds only platform actions', () => {
		for (const a of ROLE_ACTIONS.viewer) expect(ROLE_ACTIONS.operator).toContain(a);
		for (const a of ROLE_ACTIONS.operator) expect(ROLE_ACTIONS.tenant_admin).toContain(a);
		expect([...ROLE_ACTIONS.platform_admin].sort()).toEqual([...PLATFORM_ACTIONS].sort());
		for (const a of PLATFORM_ACTIONS) expect(ROLE_ACTIONS.tenant_admin).not.toContain(a);
	});

	it('decides per role', () => {
		expect(can(user(['viewer']), 'proofs:read')).toBe(true);
		expect(can(user(['viewer']), 'proofs:write')).toBe(false);
		expect(can(user(['operator']), 'agents:manage')).toBe(true);
		expect(can(user(['operator']), 'members:manage')).toBe(false);
		expect(can(user(['tenant_admin']), 'members:manage')).toBe(true);
		expect(can(user(['tenant_admin']), 'admin:tenants')).toBe(false);
		expect(can(user(['platform_admin'], null), 'admin:tenants')).toBe(true);
		expect(can(user(['platform_admin'], null), 'licences:grant')).toBe(true);
		expect(can(null, 'proofs:read')).toBe(false);
	});

	it('tenant actions need a tenant; platform admins reach tenant data only through a membership', () => {
		expect(can(user(['platform_admin'], null), 'proofs:read')).toBe(false);
		expect(can(user(['platform_admin', 'viewer'], 't1'), 'proofs:read')).toBe(true);
		expect(can(user(['viewer'], null), 'proofs:read')).toBe(false);
	});

	it('services act by scope, never platform-wide, never without a tenant', () => {
		expect(can(service(['proofs:write']), 'proofs:write')).toBe(true);
		expect(can(service(['proofs:write']), 'proofs:read')).toBe(false);
		expect(can(service(['admin:tenants']), 'admin:tenants')).toBe(false);
		expect(can(service(['proofs:write'], null), 'proofs:write')).toBe(false);
	});

	it('with a resource, only the actor’s own tenant counts', () => {
		expect(can(user(['viewer']), 'proofs:read', { tenantId: 't1' })).toBe(true);
		expect(can(user(['viewer']), 'proofs:read', { tenantId: 't2' })).toBe(false);
		expect(can(user(['platform_admin'], null), 'admin:tenants', { tenantId: 't2' })).toBe(true);
	});

	it('actionsOf lists actions in catalogue order without duplicates', () => {
		const a = actionsOf(['operator', 'viewer']);
		expect(new Set(a).size).toBe(a.length);
		expect(a).toEqual(ACTIONS.filter((x) => a.includes(x)));
	});
});

describe('guard', () => {
	const code = (fn: () => unknown) => {
		try {
			fn();
		} catch (e) {
			return e instanceof ApiError ? `${e.status} ${e.code}` : 'other';
		}
		return 'ok';
	};
	it('401 without an actor, 403 without the role, the actor otherwise', () => {
		expect(code(() => requireActor(event(null), 'proofs:read'))).toBe('401 unauthenticated');
		expect(code(() => requireActor(event(user(['viewer'])), 'proofs:write'))).toBe('403 forbidden');
		expect(code(() => requireActor(event(user(['operator'])), 'proofs:write'))).toBe('ok');
	});
	it('a service token on a platform-wide operation is no acceptable credential (401)', () => {
		expect(code(() => requireActor(event(service(['admin:tenants'])), 'admin:tenants'))).toBe('401 unauthenticated');
	});
	it('requireTenant returns the actor’s tenant and refuses none', () => {
		expect(requireTenant(user(['viewer'], 't9'))).toBe('t9');
		expect(code(() => requireTenant(user(['platform_admin'], null)))).toBe('403 forbidden');
	});
});
