import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { recordAudit } from '#lib/server/audit';
import type { Db, DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { getTenant } from '#lib/server/tenancy';
import { ACTIONS, isAction, PLATFORM_ACTIONS, type Action } from './policy';
import { serviceAccounts, type ServiceAccount } from './schema';

/** Scopes a service account may hold: tenant actions only (never platform-wide ones). */
export function assignableScopes(scopes: readonly string[]): Action[] {
	return ACTIONS.filter((a) => scopes.includes(a) && !PLATFORM_ACTIONS.includes(a));
}

/** Idempotent registration of an OIDC client as a service account of one tenant. */
export async function ensureServiceAccount(db: Db, input: { clientId: string; tenantId: string; name: string; scopes: readonly string[] }): Promise<ServiceAccount> {
	const [row] = await db
		.insert(serviceAccounts)
		.values({ ...input, scopes: assignableScopes(input.scopes) })
		.onConflictDoNothing({ target: serviceAccounts.clientId })
		.returning();
	if (row) return row;
	const [existing] = await db.select().from(serviceAccounts).where(eq(serviceAccounts.clientId, input.clientId));
	return existing;
}

export async function activeServiceAccount(db: DbOrTx, clientId: string): Promise<ServiceAccount | null> {
	const [row] = await db
		.select()
		.from(serviceAccounts)
		.where(and(eq(serviceAccounts.clientId, clientId), isNull(serviceAccounts.disabledAt)));
	return row ?? null;
}

type AuditCtx = { actor: { kind: string; id: string; role: string } | null; correlationId: string; sourceIp: string | null };

const publicView = (a: ServiceAccount) => ({ id: a.id, clientId: a.clientId, name: a.name, scopes: a.scopes.filter(isAction), createdAt: a.createdAt, disabledAt: a.disabledAt });

/** A tenant's service accounts (platform admin), newest first; an unknown tenant is 404. */
export async function listServiceAccounts(db: Db, tenantId: string) {
	if (!(await getTenant(db, tenantId))) throw new ApiError('not_found', 'No tenant has this id.');
	const rows = await db.select().from(serviceAccounts).where(eq(serviceAccounts.tenantId, tenantId)).orderBy(desc(serviceAccounts.createdAt));
	return rows.map(publicView);
}

/**
 * Maps an OIDC client to a tenant with scopes (platform admin), in the
 * caller's transaction with its audit row.
 * Platform-wide actions are refused (422): a service account acts for one tenant.
 */
export async function registerServiceAccount(tx: Tx, tenantId: string, input: { clientId: string; name: string; scopes: string[] }, ctx: AuditCtx) {
	const refused = input.scopes.filter((s) => !isAction(s) || PLATFORM_ACTIONS.includes(s));
	if (refused.length) throw new ApiError('validation_failed', undefined, [{ field: 'scopes', problem: `not grantable to a service account: ${refused.join(', ')}` }]);
	if (!(await getTenant(tx, tenantId))) throw new ApiError('not_found', 'No tenant has this id.');
	const [row] = await tx
		.insert(serviceAccounts)
		.values({ clientId: input.clientId, tenantId, name: input.name, scopes: assignableScopes(input.scopes) })
		.onConflictDoNothing({ target: serviceAccounts.clientId })
		.returning();
	if (!row) throw new ApiError('conflict', 'This client is already a service account.', [{ field: 'clientId', problem: 'taken' }]);
	await recordAudit(tx, { ...ctx, tenantId, action: 'service_account.register', target: `service_account:${row.id}`, result: 'success', details: { clientId: row.clientId, scopes: row.scopes } });
	return publicView(row);
}

/** Disables a service account (platform admin), in the caller's transaction with its audit row: its tokens are refused from then on. */
export async function disableServiceAccount(tx: Tx, id: string, ctx: AuditCtx): Promise<void> {
	const [row] = await tx
		.update(serviceAccounts)
		.set({ disabledAt: sql`coalesce(${serviceAccounts.disabledAt}, now())` })
		.where(eq(serviceAccounts.id, id))
		.returning();
	if (!row) throw new ApiError('not_found', 'No service account has this id.');
	await recordAudit(tx, { ...ctx, tenantId: row.tenantId, action: 'service_account.disable', target: `service_account:${row.id}`, result: 'success' });
}
