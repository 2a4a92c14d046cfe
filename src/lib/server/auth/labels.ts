import { inArray } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { serviceAccounts } from './schema';

/** Service account names by id (audit views). */
export async function serviceAccountNames(db: DbOrTx, ids: Iterable<string>): Promise<Map<string, string>> {
	const list = [...new Set(ids)].filter((id) => /^[0-9a-f-]{36}$/i.test(id));
	if (!list.length) return new Map();
	const rows = await db.select({ id: serviceAccounts.id, name: serviceAccounts.name }).from(serviceAccounts).where(inArray(serviceAccounts.id, list));
	return new Map(rows.map((r) => [r.id, r.name]));
}
