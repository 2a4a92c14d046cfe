import { verifyAuditChain } from '#lib/server/audit';
import { checkIssuedCertificate, issuedCertificatesPage, receiptKeys, type ReceiptFinding } from '#lib/server/certificates';
import type { Db, DbOrTx } from '#lib/server/db/client';
import { leafHashesAt, verifyLog, type LogFinding } from '#lib/server/log';
import { enqueueNotification, type NotificationEvent } from '#lib/server/notifications';
import type { PublishedKeys } from '#lib/server/signer';
import type { Logger } from '#lib/server/telemetry/logger';

const PAGE = 1000;
const MAX_FINDINGS = 50;

export type IntegrityReport = {
	ok: boolean;
	audit: { ok: boolean; chains: number; rows: number; chain?: string; firstBadSeq?: number; problem?: string };
	receipts: { ok: boolean; checked: number; anonymised: number; findings: ReceiptFinding[] };
	log: { ok: boolean; leaves: number; nodesChecked: number; checkpoints: number; findings: LogFinding[] };
};

/**
 * The scheduled integrity check: every audit hash chain recomputed, every
 * issued certificate's record hash, signed receipt and log leaf checked, and
 * the transparency log recomputed from its leaves with every stored
 * checkpoint checked against the newest. Only public keys are needed.
 */
export async function verifyIntegrity(deps: { db: Db; keys: Pick<PublishedKeys, 'signing' | 'logVerifierKey'>; logOrigin?: string; signal?: AbortSignal }): Promise<IntegrityReport> {
	const audit = await verifyAuditChain(deps.db);
	deps.signal?.throwIfAborted();
	const keys = receiptKeys(deps.keys.signing);
	const receipts: IntegrityReport['receipts'] = { ok: true, checked: 0, anonymised: 0, findings: [] };
	for (let after: string | undefined; ; ) {
		deps.signal?.throwIfAborted();
		const page = await issuedCertificatesPage(deps.db, PAGE, after);
		const leaves = await leafHashesAt(deps.db, page.flatMap((c) => (c.logIndex === null ? [] : [c.logIndex])));
		for (const c of page) {
			if (c.anonymised) receipts.anonymised++;
			else receipts.checked++;
			const finding = checkIssuedCertificate(c, keys, c.logIndex === null ? undefined : leaves.get(c.logIndex));
			if (finding && receipts.findings.length < MAX_FINDINGS) receipts.findings.push(finding);
			if (finding) receipts.ok = false;
		}
		if (page.length < PAGE) break;
		after = page[page.length - 1].id;
	}
	const log = await verifyLog(deps.db, deps.keys.logVerifierKey, deps.logOrigin);
	return {
		ok: audit.ok && receipts.ok && log.ok,
		audit: { ok: audit.ok, chains: audit.chains, rows: audit.checked, chain: audit.chain, firstBadSeq: audit.firstBadSeq, problem: audit.problem },
		receipts,
		log
	};
}

/** The `system.audit_chain_broken` events of a report: one per broken part, keyed by its first finding so a break found again by the next run notifies once. */
export function integrityBreakEvents(report: IntegrityReport): NotificationEvent[] {
	const events: NotificationEvent[] = [];
	const event = (chain: string, seq: number, detail: string): NotificationEvent => ({
		type: 'system.audit_chain_broken',
		data: { chain: chain.slice(0, 200), seq, detail: detail.slice(0, 2000) }
	});
	if (!report.audit.ok)
		events.push(event(`audit:${report.audit.chain ?? 'unknown'}`, report.audit.firstBadSeq ?? 0, report.audit.problem ?? 'the audit hash chain does not recompute'));
	const receipt = report.receipts.findings[0];
	if (!report.receipts.ok && receipt)
		events.push(event(`receipts:${receipt.publicId}`, 0, report.receipts.findings.map((f) => `${f.publicId}: ${f.problem}`).join('; ')));
	const entry = report.log.findings[0];
	if (!report.log.ok && entry)
		events.push(
			event(
				'log',
				'index' in entry ? entry.index : entry.treeSize,
				report.log.findings.map((f) => ('index' in f ? `${f.problem} at ${f.index}` : `${f.problem} at tree size ${f.treeSize}${f.detail ? `: ${f.detail}` : ''}`)).join('; ')
			)
		);
	return events;
}

/**
 * The one place a broken chain is raised: the error log line here, the
 * `system.audit_chain_broken` notification in the caller's transaction (the
 * one that stores the run, so alert and run commit together), the metric and
 * the admin-console banner from the stored run (`outcome = 'broken'`).
 */
export async function raiseIntegrityBreak(tx: DbOrTx, log: Logger, report: IntegrityReport): Promise<void> {
	log.error(
		{
			alert: 'system.audit_chain_broken',
			audit: report.audit.ok ? 'ok' : report.audit,
			receipts: report.receipts.ok ? 'ok' : report.receipts.findings.slice(0, 5),
			log: report.log.ok ? 'ok' : report.log.findings.slice(0, 5)
		},
		'integrity check found a break: audit chain, signed receipts or transparency log'
	);
	await enqueueNotification(tx, integrityBreakEvents(report));
}
