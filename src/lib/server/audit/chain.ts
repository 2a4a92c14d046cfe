import { createHash } from 'node:crypto';
import { canonicalJson } from '#lib/server/records';
import type { AuditEventRow } from './schema';

export const GENESIS_HASH = '0'.repeat(64);
export const PLATFORM_CHAIN = 'platform';

/** The chain a row belongs to: its tenant's, or the platform's. */
export const chainOf = (tenantId: string | null) => tenantId ?? PLATFORM_CHAIN;

/** The hashed fields of a row; `v` versions the layout so it can change without breaking old rows. */
export type HashedRow = Pick<
	AuditEventRow,
	'chain' | 'seq' | 'tenantId' | 'actorKind' | 'actorId' | 'actorRole' | 'action' | 'target' | 'result' | 'correlationId' | 'sourceIp' | 'details' | 'createdAt'
>;

/** RFC 8785 canonical form of a row (every audited column except id and the hashes). */
export function canonicalRow(row: HashedRow): string {
	return canonicalJson({
		v: 1,
		chain: row.chain,
		seq: row.seq,
		tenantId: row.tenantId,
		actor: row.actorKind === null ? null : { kind: row.actorKind, id: row.actorId, role: row.actorRole },
		action: row.action,
		target: row.target,
		result: row.result,
		correlationId: row.correlationId,
		sourceIp: row.sourceIp,
		details: row.details,
		createdAt: row.createdAt.toISOString()
	});
}

/** SHA-256(prev_hash ‖ canonical row): the 32 raw bytes of the previous hash, then the UTF-8 canonical JSON. */
export function rowHash(prevHash: string, row: HashedRow): string {
	return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(canonicalRow(row), 'utf8').digest('hex');
}
