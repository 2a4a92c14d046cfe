import type { RequestEvent } from '@sveltejs/kit';
import { requestClientAddress } from '#lib/server/ratelimit';
import type { Actor } from './guard';

/**
 * Authentication and authorization: who is calling (sessions, service
 * accounts) and what they may do (policy). Routes use `requireActor`.
 */
export { requireActor, requireTenant, requireAuthenticated, requireUser, type Actor, type Action, type Role } from './guard';
export { describeActor } from './me';
export { switchSessionTenant } from './switch-tenant';
export { serviceAccountNames } from './labels';
export { secretBox } from './token-crypto';
export { can, ACTIONS, ROLES, ROLE_ACTIONS, PLATFORM_ACTIONS, actionsOf, isAction } from './policy';
export { identitySettings, DEV_REALM_PATH, type IdentitySettings } from './settings';
export { beginSignIn, completeSignIn, signOut, safeReturnTo, endSessions, revokeRefreshTokens } from './signin';
export { listUserSessions, purgeExpiredSessions } from './session';
export { ensureServiceAccount, activeServiceAccount, assignableScopes, listServiceAccounts, registerServiceAccount, disableServiceAccount } from './service-accounts';

/** The strongest role, as one word for audit rows. */
export function primaryRole(actor: Actor): string {
	if (actor.kind === 'service') return 'service';
	for (const r of ['platform_admin', 'tenant_admin', 'operator', 'viewer'] as const) if (actor.roles.includes(r)) return r;
	return 'none';
}

/**
 * The acting part of an audit entry for this request (actor, role, correlation id, source IP).
 * The source IP is the trusted client address (TRUSTED_PROXY_HOPS), the same one rate limits count:
 * behind a proxy the socket address is the proxy's, and without trusted hops X-Forwarded-For is
 * whatever the client wrote.
 */
export function auditContext(event: Pick<RequestEvent, 'locals' | 'request' | 'getClientAddress'>, actor: Actor) {
	return {
		actor: { kind: actor.kind, id: actor.id, role: primaryRole(actor) },
		correlationId: event.locals.correlationId,
		sourceIp: requestClientAddress(event)
	};
}
