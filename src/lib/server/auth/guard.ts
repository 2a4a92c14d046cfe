import type { RequestEvent } from '@sveltejs/kit';
import { ApiError } from '#lib/server/http/errors';
import { can, PLATFORM_ACTIONS, TENANT_WRITE_ACTIONS, type Action, type Role } from './policy';

export type { Action, Role } from './policy';

/**
 * Who is calling: a signed-in person (session cookie) or a service account
 * (bearer JWT from the client-credentials grant). Set on `event.locals.actor`
 * by the `authenticate` handle in hooks.server.ts; null when anonymous.
 */
export type Actor = {
	kind: 'user' | 'service';
	id: string;
	tenantId: string | null;
	roles: Role[];
	scopes: string[];
	sessionId?: string;
	displayName?: string;
	/** the tenant acted in is suspended: read-only (TENANT_WRITE_ACTIONS answer 403 `tenant_suspended`) */
	tenantSuspended?: boolean;
};

/**
 * The caller, if allowed to perform `action`. No credentials → 401
 * `unauthenticated`; credentials without the role/scope → 403 `forbidden`.
 * (A foreign tenant's object is a 404 from the tenant-scoped query itself.)
 */
export function requireActor(event: Pick<RequestEvent, 'locals'>, action: Action): Actor {
	const actor = event.locals.actor;
	if (!actor) throw new ApiError('unauthenticated');
	// Platform-wide operations accept only a person's session (their OpenAPI security
	// lists no bearer scheme): a service token is no acceptable credential there.
	if (actor.kind === 'service' && PLATFORM_ACTIONS.includes(action)) throw new ApiError('unauthenticated', 'This operation needs a signed-in person.');
	if (!can(actor, action)) throw new ApiError('forbidden');
	if (actor.tenantSuspended && TENANT_WRITE_ACTIONS.includes(action)) throw new ApiError('tenant_suspended');
	return actor;
}

/**
 * The tenant id every tenant-data query is scoped by. Always from the actor,
 * never from input.
 */
export function requireTenant(actor: Actor): string {
	if (!actor.tenantId) throw new ApiError('forbidden', 'This action needs a tenant membership.');
	return actor.tenantId;
}

/** Any authenticated caller (operations marked `x-wipecert-action: authenticated`). */
export function requireAuthenticated(event: Pick<RequestEvent, 'locals'>): Actor {
	const actor = event.locals.actor;
	if (!actor) throw new ApiError('unauthenticated');
	return actor;
}

/**
 * A signed-in person acting on their own account (`x-wipecert-action: self`).
 * These operations accept only the session cookie, so a service token is
 * "no acceptable credentials": 401.
 */
export function requireUser(event: Pick<RequestEvent, 'locals'>): Actor & { kind: 'user'; sessionId: string } {
	const actor = event.locals.actor;
	if (!actor || actor.kind !== 'user' || !actor.sessionId) throw new ApiError('unauthenticated', 'Sign in to manage your account.');
	return { ...actor, kind: 'user', sessionId: actor.sessionId };
}
