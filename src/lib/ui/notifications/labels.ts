import { m } from '#lib/paraglide/messages';

/** Words for delivery states, events and attempt outcomes, in the reader's language. */
const STATUS: Record<string, () => string> = {
	pending: () => m.notif_status_pending(),
	retrying: () => m.notif_status_retrying(),
	sent: () => m.notif_status_sent(),
	dead_lettered: () => m.notif_status_dead_lettered(),
	skipped: () => m.notif_status_skipped()
};
export const DELIVERY_STATUSES = Object.keys(STATUS);
export const deliveryStatusLabel = (s: string) => STATUS[s]?.() ?? s;
export const deliveryTone = (s: string) => (s === 'sent' ? 'ok' : s === 'dead_lettered' ? 'bad' : s === 'retrying' ? 'warn' : 'info');

const EVENTS: Record<string, () => string> = {
	'certificate.issued': () => m.notif_ev_certificate_issued(),
	'certificate.anchored': () => m.notif_ev_certificate_anchored(),
	'certificate.revoked': () => m.notif_ev_certificate_revoked(),
	'proof.rejected': () => m.notif_ev_proof_rejected(),
	'licences.low': () => m.notif_ev_licences_low(),
	'licences.exhausted': () => m.notif_ev_licences_exhausted(),
	'member.invited': () => m.notif_ev_member_invited(),
	'report.ready': () => m.notif_ev_report_ready(),
	'system.chain_failed': () => m.notif_ev_system_chain_failed(),
	'system.audit_chain_broken': () => m.notif_ev_system_audit_chain_broken(),
	'webhook.test': () => m.notif_ev_webhook_test()
};
export const eventLabel = (e: string) => EVENTS[e]?.() ?? e;

const ATTEMPT: Record<string, () => string> = {
	in_progress: () => m.notif_attempt_in_progress(),
	succeeded: () => m.notif_attempt_succeeded(),
	failed: () => m.notif_attempt_failed(),
	interrupted: () => m.notif_attempt_interrupted()
};
export const attemptLabel = (s: string) => ATTEMPT[s]?.() ?? s;
export const attemptTone = (s: string) => (s === 'succeeded' ? 'ok' : s === 'failed' ? 'bad' : s === 'interrupted' ? 'warn' : 'info');

export const channelLabel = (c: string) => (c === 'mail' ? m.notif_channel_mail() : m.notif_channel_webhook());
