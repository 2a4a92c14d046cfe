import { randomUUID } from 'node:crypto';
import type { lookup as dnsLookup } from 'node:dns';
import { secretBox } from '../../src/lib/server/auth';
import { notifyConfig, startNotificationRuntime, type NotifyConfig } from '../../src/lib/server/notifications';
import type { NotificationEvent } from '../../src/lib/server/notifications/catalogue';
import type { Container } from '../../src/lib/server/container';
import { getTenantSettings } from '../../src/lib/server/tenancy';

/** The notification runtime of a worker, on the test platform's database (what src/jobs/notifications.ts builds). */
export function startRuntime(p: Container, override: (c: NotifyConfig) => NotifyConfig = (c) => c, opts: { lookup?: typeof dnsLookup; pollMs?: number } = {}) {
	return startNotificationRuntime({
		db: p.database.db,
		listen: (channel, fn) => p.database.sql.listen(channel, fn),
		log: p.log,
		config: override(notifyConfig(p.config)),
		secrets: secretBox(p.config.tokenEncryptionKeys),
		tenantProfile: async (id) => {
			const t = await getTenantSettings(p.database.db, id);
			return { name: t.name, language: t.language };
		},
		...opts
	});
}

export const actorCtx = { actor: { kind: 'user', id: 'admin-1', role: 'tenant_admin' }, correlationId: 'test', sourceIp: '127.0.0.1' };

/** One event of every catalogue type, with realistic data. */
export function sampleEvents(tenantId: string): NotificationEvent[] {
	const cert = `wc_${randomUUID().replaceAll('-', '').slice(0, 26)}`;
	const proof = `prf_${randomUUID().replaceAll('-', '').slice(0, 26)}`;
	const now = new Date().toISOString();
	const n = Math.floor(Math.random() * 1e9) + 1;
	return [
		{ type: 'certificate.issued', tenantId, data: { certificateId: cert, proofId: proof, issuedAt: now, device: { type: 'ssd', manufacturer: 'Samsung', model: '870 EVO', serial: 'S6PNNS0T123456' }, assetTag: 'IT-0042', result: 'erased' } },
		{ type: 'certificate.anchored', tenantId, data: { certificateId: cert, chainId: 296, txHash: `0x${'ab'.repeat(32)}`, blockNumber: 123456, anchoredAt: now } },
		{ type: 'certificate.revoked', tenantId, data: { certificateId: cert, revokedAt: now, reason: 'Issued for the wrong asset' } },
		{ type: 'proof.rejected', tenantId, data: { proofId: proof, code: 'proof_duplicate', detail: `same report as proof ${proof}`, receivedAt: now } },
		{ type: 'licences.low', tenantId, data: { balance: 9, threshold: 10, ledgerEntryId: n } },
		{ type: 'licences.exhausted', tenantId, data: { balance: 0, ledgerEntryId: n + 1 } },
		{ type: 'member.invited', tenantId, data: { membershipId: randomUUID(), email: `new.${randomUUID().slice(0, 8)}@acme.test`, role: 'operator' } },
		{ type: 'report.ready', tenantId, data: { reportId: `rpt_${randomUUID().slice(0, 8)}`, month: '2026-10' } },
		{ type: 'system.chain_failed', data: { failureId: `batch-${randomUUID()}`, chainId: 296, error: 'JSON-RPC timeout after 30 s', pendingCertificates: 12 } },
		{ type: 'system.audit_chain_broken', data: { chain: `tenant:${tenantId}`, seq: n, detail: 'row hash does not match its content' } }
	];
}

export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}
