import type { DbOrTx } from '#lib/server/db/client';
import { listCertificates, type AttestationKind, type CertificateView } from './records';
import type { CertificateStatus } from './schema';

export const EXPORT_COLUMNS = [
	'publicId',
	'proofId',
	'status',
	'issuedAt',
	'revokedAt',
	'revocationReason',
	'deviceType',
	'manufacturer',
	'model',
	'serial',
	'capacityBytes',
	'assetTag',
	'method',
	'result',
	'logIndex',
	'attestation',
	'attestedBy',
	'verifyUrl'
] as const;

/**
 * One CSV field (RFC 4180: quoted when it holds a comma, quote or line break).
 * A text starting with = + - @ or a tab is prefixed with ' so a spreadsheet
 * does not run it as a formula (OWASP "CSV injection").
 */
export function csvField(value: unknown): string {
	if (value === null || value === undefined) return '';
	let s = String(value);
	if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
	return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(c: CertificateView): string {
	const d = c.device ?? {};
	const values: Record<(typeof EXPORT_COLUMNS)[number], unknown> = {
		publicId: c.publicId,
		proofId: c.proofId,
		status: c.status,
		issuedAt: c.issuedAt,
		revokedAt: c.revokedAt,
		revocationReason: c.revocationReason,
		deviceType: d.type,
		manufacturer: d.manufacturer,
		model: d.model,
		serial: d.serial,
		capacityBytes: d.capacityBytes,
		assetTag: d.assetTag,
		method: d.method,
		result: d.result,
		logIndex: c.logIndex,
		// agent-signed or operator-attested, told apart in every row (and who attested the latter)
		attestation: c.attestation.kind,
		attestedBy: c.attestation.kind === 'operator' ? c.attestation.operatorName : c.attestation.agentCertificateSerial ? `agent certificate ${c.attestation.agentCertificateSerial}` : '',
		verifyUrl: c.verifyUrl
	};
	return EXPORT_COLUMNS.map((k) => csvField(values[k])).join(',') + '\r\n';
}

/**
 * Every certificate of a tenant as a byte stream (CSV or one JSON array),
 * read page by page through the list query, so memory stays flat however many
 * there are; the next page is read only when the client has taken the last.
 */
export function exportCertificates(db: DbOrTx, tenantId: string, q: { format: 'csv' | 'json'; status?: CertificateStatus; attestation?: AttestationKind }, origin: string): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder();
	let cursor: string | undefined;
	let started = false;
	let first = true;
	let done = false;
	return new ReadableStream<Uint8Array>({
		pull: async (controller) => {
			if (!started) {
				started = true;
				controller.enqueue(encoder.encode(q.format === 'csv' ? EXPORT_COLUMNS.join(',') + '\r\n' : '['));
				return;
			}
			if (done) return;
			const page = await listCertificates(db, tenantId, { cursor, limit: 200, status: q.status, attestation: q.attestation }, origin);
			let chunk = '';
			for (const c of page.items) {
				if (q.format === 'csv') chunk += csvRow(c);
				else {
					chunk += (first ? '\n' : ',\n') + JSON.stringify(c);
					first = false;
				}
			}
			if (page.nextCursor) cursor = page.nextCursor;
			else {
				done = true;
				if (q.format === 'json') chunk += '\n]\n';
			}
			if (chunk) controller.enqueue(encoder.encode(chunk));
			if (done) controller.close();
		}
	});
}
