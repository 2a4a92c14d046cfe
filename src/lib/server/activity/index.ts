/**
 * The audit trail as people read it: each row of `audit` with the actor's
 * name and e-mail (a person), or the service account's or agent's name, and
 * what its target is called now; and the same rows as a CSV file. A module
 * above audit and the modules that own the names (tenancy, auth, agents), so
 * the audit module itself stays below all of them.
 */
import { agentNames, enrolmentTokenNames } from '#lib/server/agents';
import { listAudit, type AuditFilter, type AuditRecord } from '#lib/server/audit';
import { serviceAccountNames } from '#lib/server/auth';
import type { DbOrTx } from '#lib/server/db/client';
import { membershipLabels, peopleByIds, tenantNames } from '#lib/server/tenancy';

export type ActivityRecord = Omit<AuditRecord, 'actor'> & {
	actor: (NonNullable<AuditRecord['actor']> & { name: string | null; email: string | null }) | null;
	targetLabel: string | null;
};

/** `kind:rest` → [kind, rest]; a target without a kind is all rest. */
export function splitTarget(target: string): [string, string] {
	const i = target.indexOf(':');
	return i < 0 ? ['', target] : [target.slice(0, i), target.slice(i + 1)];
}

/** Names for a page of rows: one query per kind of name, whatever the page's size. */
export async function describeAuditRows(db: DbOrTx, rows: AuditRecord[]): Promise<ActivityRecord[]> {
	const ids = (kind: string) => rows.flatMap((r) => (r.actor?.kind === kind && r.actor.id ? [r.actor.id] : []));
	const targets = (kind: string) => rows.flatMap((r) => (splitTarget(r.target)[0] === kind ? [splitTarget(r.target)[1]] : []));
	const [people, services, agents, memberships, tenants, tokens] = await Promise.all([
		peopleByIds(db, [...ids('user'), ...targets('user')]),
		serviceAccountNames(db, [...ids('service'), ...targets('service_account')]),
		agentNames(db, [...ids('agent'), ...targets('agent')]),
		membershipLabels(db, targets('membership')),
		tenantNames(db, targets('tenant')),
		enrolmentTokenNames(db, targets('enrolment_token'))
	]);
	const label = (target: string): string | null => {
		const [kind, id] = splitTarget(target);
		switch (kind) {
			case 'user': {
				const p = people.get(id);
				return p ? (p.email ?? p.name) : null;
			}
			case 'membership':
				return memberships.get(id) ?? null;
			case 'tenant':
				return tenants.get(id) ?? null;
			case 'agent':
				return agents.get(id) ?? null;
			case 'enrolment_token':
				return tokens.get(id) ?? null;
			case 'service_account':
				return services.get(id) ?? null;
			case 'certificate':
			case 'proof':
				// public IDs name themselves
				return id;
			default:
				return null;
		}
	};
	return rows.map((r) => {
		const id = r.actor?.id ?? '';
		const actor = r.actor
			? {
					...r.actor,
					name: r.actor.kind === 'user' ? (people.get(id)?.name ?? null) : r.actor.kind === 'service' ? (services.get(id) ?? null) : r.actor.kind === 'agent' ? (agents.get(id) ?? null) : null,
					email: r.actor.kind === 'user' ? (people.get(id)?.email ?? null) : null
				}
			: null;
		return { ...r, actor, targetLabel: label(r.target) };
	});
}

/** A page of audit rows with names (GET /api/v1/audit, /api/v1/admin/audit). */
export async function listActivity(db: DbOrTx, filter: AuditFilter & { tenantId?: string | null }) {
	const page = await listAudit(db, filter);
	return { items: await describeAuditRows(db, page.items), nextCursor: page.nextCursor };
}

/** The most rows one export holds; the API documents it. */
export const EXPORT_MAX_ROWS = 10_000;

const CSV_COLUMNS = ['createdAt', 'chain', 'seq', 'actorName', 'actorEmail', 'actorKind', 'actorRole', 'action', 'target', 'targetLabel', 'result', 'correlationId', 'sourceIp', 'details', 'hash'] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; a leading = + - @ is prefixed with ' (CSV injection, OWASP). */
export function csvField(value: string | number | null): string {
	let s = value === null ? '' : String(value);
	if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
	return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The rows of `filter` as CSV (header row first, CRLF line ends), newest first, at most EXPORT_MAX_ROWS. */
export async function activityCsv(db: DbOrTx, filter: Omit<AuditFilter, 'cursor' | 'limit'> & { tenantId?: string | null }): Promise<string> {
	const lines = [CSV_COLUMNS.join(',')];
	let cursor: string | null = null;
	let count = 0;
	do {
		const page: Awaited<ReturnType<typeof listActivity>> = await listActivity(db, { ...filter, cursor, limit: 200 });
		for (const r of page.items) {
			if (count++ >= EXPORT_MAX_ROWS) return lines.join('\r\n') + '\r\n';
			const row: Record<(typeof CSV_COLUMNS)[number], string | number | null> = {
				createdAt: r.createdAt,
				chain: r.chain,
				seq: r.seq,
				actorName: r.actor?.name ?? null,
				actorEmail: r.actor?.email ?? null,
				actorKind: r.actor?.kind ?? 'platform',
				actorRole: r.actor?.role ?? null,
				action: r.action,
				target: r.target,
				targetLabel: r.targetLabel,
				result: r.result,
				correlationId: r.correlationId,
				sourceIp: r.sourceIp,
				details: Object.keys(r.details).length ? JSON.stringify(r.details) : null,
				hash: r.hash
			};
			lines.push(CSV_COLUMNS.map((c) => csvField(row[c])).join(','));
		}
		cursor = page.nextCursor;
	} while (cursor);
	return lines.join('\r\n') + '\r\n';
}
