import { inArray } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { agentEnrolmentTokens, agents } from './schema';

const uuids = (ids: Iterable<string>) => [...new Set(ids)].filter((id) => /^[0-9a-f-]{36}$/i.test(id));

/** Agent names by id (audit views). */
export async function agentNames(db: DbOrTx, ids: Iterable<string>): Promise<Map<string, string>> {
	const list = uuids(ids);
	if (!list.length) return new Map();
	const rows = await db.select({ id: agents.id, name: agents.name }).from(agents).where(inArray(agents.id, list));
	return new Map(rows.map((r) => [r.id, r.name]));
}

/** The agent name an enrolment token was made for, by token id. */
export async function enrolmentTokenNames(db: DbOrTx, ids: Iterable<string>): Promise<Map<string, string>> {
	const list = uuids(ids);
	if (!list.length) return new Map();
	const rows = await db.select({ id: agentEnrolmentTokens.id, name: agentEnrolmentTokens.name }).from(agentEnrolmentTokens).where(inArray(agentEnrolmentTokens.id, list));
	return new Map(rows.map((r) => [r.id, r.name]));
}
