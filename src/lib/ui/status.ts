import { m } from '#lib/paraglide/messages';

/** Labels of proof and certificate states, in the reader's language. */
const LABELS: Record<string, () => string> = {
	RECEIVED: () => m.status_received(),
	VALIDATING: () => m.status_validating(),
	CERTIFIED_PENDING_ANCHOR: () => m.status_certified_pending_anchor(),
	CERTIFIED: () => m.status_certified(),
	CERTIFIED_NO_ANCHOR: () => m.status_certified_no_anchor(),
	REJECTED: () => m.status_rejected(),
	FAILED_RETRYABLE: () => m.status_failed_retryable(),
	issuing: () => m.status_issuing(),
	valid: () => m.status_valid(),
	revoked: () => m.status_revoked(),
	active: () => m.status_active(),
	suspended: () => m.status_suspended(),
	generating: () => m.status_generating(),
	published: () => m.status_published()
};

export const statusLabel = (s: string) => LABELS[s]?.() ?? s;

/** ok (green), bad (red), warn (amber), info (neutral). */
export function statusTone(s: string): 'ok' | 'bad' | 'warn' | 'info' {
	if (s.startsWith('CERTIFIED') || s === 'valid' || s === 'active' || s === 'published') return s === 'CERTIFIED_PENDING_ANCHOR' ? 'info' : 'ok';
	if (s === 'REJECTED' || s === 'revoked' || s === 'suspended') return 'bad';
	if (s === 'FAILED_RETRYABLE') return 'warn';
	return 'info';
}

/** Plain-language names and explanations of rejection codes (the catalogue, proofs/rejections.ts). */
const REJECTION: Record<string, { name: () => string; text: () => string }> = {
	proof_malformed: { name: () => m.rej_proof_malformed(), text: () => m.rej_proof_malformed_text() },
	proof_decryption_failed: { name: () => m.rej_proof_decryption_failed(), text: () => m.rej_proof_decryption_failed_text() },
	proof_invalid_signature: { name: () => m.rej_proof_invalid_signature(), text: () => m.rej_proof_invalid_signature_text() },
	agent_unknown: { name: () => m.rej_agent_unknown(), text: () => m.rej_agent_unknown_text() },
	agent_certificate_untrusted: { name: () => m.rej_agent_certificate_untrusted(), text: () => m.rej_agent_certificate_untrusted_text() },
	agent_revoked: { name: () => m.rej_agent_revoked(), text: () => m.rej_agent_revoked_text() },
	report_schema_invalid: { name: () => m.rej_report_schema_invalid(), text: () => m.rej_report_schema_invalid_text() },
	proof_duplicate: { name: () => m.rej_proof_duplicate(), text: () => m.rej_proof_duplicate_text() },
	licence_exhausted: { name: () => m.rej_licence_exhausted(), text: () => m.rej_licence_exhausted_text() }
};
export const rejectionName = (code: string) => REJECTION[code]?.name() ?? code;
/** The explanation in the reader's language; the API's (English) text for a code this build does not know. */
export const rejectionText = (code: string, fallback: string | null) => REJECTION[code]?.text() ?? fallback ?? code;

const ROLE: Record<string, () => string> = {
	platform_admin: () => m.role_platform_admin(),
	tenant_admin: () => m.role_tenant_admin(),
	operator: () => m.role_operator(),
	viewer: () => m.role_viewer()
};
/** A role's name in the reader's language. */
export const roleLabel = (role: string) => ROLE[role]?.() ?? role;
