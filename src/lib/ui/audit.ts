import { m } from '#lib/paraglide/messages';

/**
 * How the audit trail reads: actions in words, targets as links to the page
 * that shows them, and each action's details as labelled fields.
 */
const ACTIONS: Record<string, () => string> = {
	'access.denied': () => m.audit_action_access_denied(),
	'auth.switch_tenant': () => m.audit_action_switch_tenant(),
	'tenant.settings': () => m.audit_action_tenant_settings(),
	'tenant.logo': () => m.audit_action_tenant_logo(),
	'tenant.create': () => m.audit_action_tenant_create(),
	'tenant.suspend': () => m.audit_action_tenant_suspend(),
	'tenant.reactivate': () => m.audit_action_tenant_reactivate(),
	'member.invite': () => m.audit_action_member_invite(),
	'member.role_change': () => m.audit_action_member_role_change(),
	'member.remove': () => m.audit_action_member_remove(),
	'agent.enrolment_token.create': () => m.audit_action_agent_token(),
	'agent.enrol': () => m.audit_action_agent_enrol(),
	'agent.status': () => m.audit_action_agent_status(),
	'certificate.revoke': () => m.audit_action_certificate_revoke(),
	'licence.grant': () => m.audit_action_licence_grant(),
	'licence.refund': () => m.audit_action_licence_refund(),
	'proof.reprocess': () => m.audit_action_proof_reprocess(),
	'service_account.register': () => m.audit_action_service_account_register(),
	'service_account.disable': () => m.audit_action_service_account_disable(),
	'user.platform_admin.grant': () => m.audit_action_platform_admin_grant(),
	'user.platform_admin.withdraw': () => m.audit_action_platform_admin_withdraw(),
	'queue.dead_letter.retry': () => m.audit_action_dead_letter(),
	'queue.dead_letter.discard': () => m.audit_action_dead_letter()
};

/** An action in words; sign-ins say whether they failed. Unknown actions show as they are. */
export function actionLabel(action: string, result: string): string {
	if (action === 'auth.sign_in') return result === 'failure' ? m.audit_action_sign_in_failed() : m.audit_action_sign_in();
	if (action.startsWith('agent.') && !ACTIONS[action]) return m.audit_action_agent_status();
	return ACTIONS[action]?.() ?? action;
}

/** The page a target is shown on, for the caller's console or dashboard; null when there is none. */
export function targetHref(target: string, admin: boolean, tenantId: string | null): string | null {
	const i = target.indexOf(':');
	if (i < 0) return null;
	const kind = target.slice(0, i);
	const id = target.slice(i + 1);
	switch (kind) {
		case 'certificate':
			return admin ? `/verify/${id}` : `/certificates/${id}`;
		case 'proof':
			return admin ? null : `/proofs/${id}`;
		case 'agent':
		case 'enrolment_token':
			return admin ? null : '/agents';
		case 'membership':
			return admin ? (tenantId ? `/admin/tenants/${tenantId}` : null) : '/members';
		case 'tenant':
			return admin ? `/admin/tenants/${id}` : '/settings';
		case 'user':
			return admin ? '/admin/users' : null;
		case 'service_account':
			return admin && tenantId ? `/admin/tenants/${tenantId}` : null;
		case 'job':
			return admin ? '/admin/queues' : null;
		default:
			return null;
	}
}

export type DetailRow = { key: string; value: string };

/** A value for a person: strings as they are, before/after pairs as "a → b", lists joined, objects as key: value. */
function show(value: unknown): string {
	if (value === null || value === undefined || value === '') return '—';
	if (Array.isArray(value)) return value.map(show).join(', ');
	if (typeof value === 'object') return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${show(v)}`).join('; ');
	return String(value);
}

/**
 * The details of one row as labelled fields: a before/after pair becomes one
 * row per changed field ("name: Acme → Acme Recycling"), from/to one row.
 */
export function detailRows(details: Record<string, unknown>): DetailRow[] {
	const { before, after, from, to, ...rest } = details;
	const rows: DetailRow[] = [];
	if (before && after && typeof before === 'object' && typeof after === 'object') {
		const b = before as Record<string, unknown>;
		const a = after as Record<string, unknown>;
		for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) rows.push({ key, value: b[key] === a[key] ? show(a[key]) : `${show(b[key])} → ${show(a[key])}` });
	} else {
		if (before !== undefined) rows.push({ key: 'before', value: show(before) });
		if (after !== undefined) rows.push({ key: 'after', value: show(after) });
	}
	if (from !== undefined || to !== undefined) rows.push({ key: from !== undefined && to !== undefined ? 'change' : from !== undefined ? 'from' : 'to', value: from !== undefined && to !== undefined ? `${show(from)} → ${show(to)}` : show(from ?? to) });
	for (const [key, value] of Object.entries(rest)) rows.push({ key, value: show(value) });
	return rows;
}
