import type { Db } from '#lib/server/db/client';
import { ensureTenant } from './tenants';

/**
 * The dev seed's tenants (embedded/dev mode only,
 * never in production). Licence pools are seeded by the licences module,
 * which can call `ensureDevTenants` for the ids.
 */
export const DEV_TENANTS = [
	{ slug: 'acme', name: 'Acme Recycling' },
	{ slug: 'globex', name: 'Globex Corporation' }
] as const;

export type DevTenantIds = Record<(typeof DEV_TENANTS)[number]['slug'], string>;

/** Idempotent: creates acme and globex when missing; returns their ids by slug. */
export async function ensureDevTenants(db: Db): Promise<DevTenantIds> {
	const ids: Partial<DevTenantIds> = {};
	for (const t of DEV_TENANTS) ids[t.slug] = (await ensureTenant(db, t)).id;
	return ids as DevTenantIds;
}
