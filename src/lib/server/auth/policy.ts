/**
 * The one authorization policy: which role may do which action.
 * Routes never compare roles themselves; they call `requireActor(event, action)`
 * (guard.ts), which asks `can`. Service accounts carry the same action strings
 * as OAuth scopes and never get platform-wide actions: they act for one tenant.
 */
import type { z } from 'zod';
import { zAction } from '#lib/api/zod.gen';

// The action strings are the spec's `Action` enum (also the service-account scopes): one list.
export const ACTIONS = zAction.options;

export type Action = z.infer<typeof zAction>;

export const ROLES = ['platform_admin', 'tenant_admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Actions that change a tenant's data. A suspended tenant is read-only: its
 * people and service accounts keep every read action and lose these
 * (403 `tenant_suspended`), until a platform admin reactivates it.
 */
export const TENANT_WRITE_ACTIONS: readonly Action[] = ['proofs:write', 'agents:manage', 'certificates:revoke', 'members:manage', 'tenant:settings'];

/** Actions that concern the whole platform, never one tenant. */
export const PLATFORM_ACTIONS: readonly Action[] = ['licences:grant', 'admin:tenants', 'admin:audit', 'admin:queues', 'admin:notifications'];

const VIEWER: readonly Action[] = ['proofs:read', 'certificates:read', 'agents:read', 'licences:read'];
const OPERATOR: readonly Action[] = [...VIEWER, 'proofs:write', 'agents:manage'];
const TENANT_ADMIN: readonly Action[] = [
	...OPERATOR,
	'certificates:revoke',
	'members:read',
	'members:manage',
	'audit:read',
	'tenant:settings',
	'notifications:read',
	'notifications:manage'
];

/**
 * Role → actions. A platform admin runs the console; tenant data is reached
 * only through a tenant role (a person may hold both).
 */
export const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
	viewer: VIEWER,
	operator: OPERATOR,
	tenant_admin: TENANT_ADMIN,
	platform_admin: PLATFORM_ACTIONS
};

/** Minimal shape `can` needs (guard.ts's Actor satisfies it). */
type PolicySubject = { kind: 'user' | 'service'; tenantId: string | null; roles: readonly Role[]; scopes: readonly string[] };

/** The least role that may perform `action` (the "no access" page names it); null for an unknown action. */
export function leastRoleFor(action: string): Role | null {
	for (const role of ['viewer', 'operator', 'tenant_admin', 'platform_admin'] as const) if ((ROLE_ACTIONS[role] as readonly string[]).includes(action)) return role;
	return null;
}

export const isAction = (value: string): value is Action => (ACTIONS as readonly string[]).includes(value);
export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** Every action the given roles allow (used as a user's `scopes`). */
export function actionsOf(roles: readonly Role[]): Action[] {
	const out = new Set<Action>();
	for (const role of roles) for (const a of ROLE_ACTIONS[role]) out.add(a);
	return ACTIONS.filter((a) => out.has(a));
}

/**
 * May `actor` perform `action`? When a `resource` is given, a tenant-scoped
 * action also needs the resource to belong to the actor's tenant (callers
 * answer 404 for a foreign resource).
 */
export function can(actor: PolicySubject | null, action: Action, resource?: { tenantId: string | null }): boolean {
	if (!actor) return false;
	const platformWide = PLATFORM_ACTIONS.includes(action);
	let allowed: boolean;
	if (actor.kind === 'service') {
		allowed = !platformWide && actor.tenantId !== null && actor.scopes.includes(action);
	} else {
		allowed = actor.roles.some((role) => ROLE_ACTIONS[role].includes(action));
		// A tenant action needs a tenant to act in.
		if (!platformWide && actor.tenantId === null) allowed = false;
	}
	if (allowed && resource && !platformWide) allowed = resource.tenantId === actor.tenantId;
	return allowed;
}
