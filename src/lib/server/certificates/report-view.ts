import { reportSchema, type ErasureReport } from '#lib/server/records';
import type { PdfLocale } from './pdf-labels';

/**
 * The facts a certificate shows, from the agent's erasure report (schema v1,
 * proofs/format/report.ts). A record whose report does not parse (a future
 * schema version) still renders, with what it has left out.
 */
export type ReportView = {
	device: { type?: string; manufacturer?: string; model?: string; serial?: string; capacityBytes?: number; interface?: string; firmware?: string };
	erasure: { method?: string; technique?: string; standard?: string; passes?: number; pattern?: string; verificationMethod?: string; verificationResult?: string; startedAt?: string; endedAt?: string };
	/** `erased`, `erased_with_warnings`, `failed` */
	result?: string;
	warnings: string[];
	operator?: string;
	location?: string;
	agent: { software?: string; version?: string; tool?: string };
	assetTag?: string;
	host?: string;
	erasureLogSha256?: string;
};

const TECHNIQUE: Record<PdfLocale, Record<string, string>> = {
	en: {
		overwrite: 'Overwrite',
		block_erase: 'Block erase',
		crypto_erase: 'Cryptographic erase',
		ata_secure_erase: 'ATA Secure Erase',
		ata_enhanced_secure_erase: 'ATA Enhanced Secure Erase',
		nvme_format: 'NVMe Format',
		nvme_sanitize_block: 'NVMe Sanitize (block erase)',
		nvme_sanitize_crypto: 'NVMe Sanitize (crypto erase)',
		nvme_sanitize_overwrite: 'NVMe Sanitize (overwrite)',
		scsi_sanitize: 'SCSI Sanitize',
		degauss: 'Degaussing',
		shred: 'Shredding',
		disintegrate: 'Disintegration',
		pulverize: 'Pulverisation',
		incinerate: 'Incineration'
	},
	de: {
		overwrite: 'Überschreiben',
		block_erase: 'Blocklöschung',
		crypto_erase: 'Kryptografische Löschung',
		ata_secure_erase: 'ATA Secure Erase',
		ata_enhanced_secure_erase: 'ATA Enhanced Secure Erase',
		nvme_format: 'NVMe Format',
		nvme_sanitize_block: 'NVMe Sanitize (Blocklöschung)',
		nvme_sanitize_crypto: 'NVMe Sanitize (Kryptolöschung)',
		nvme_sanitize_overwrite: 'NVMe Sanitize (Überschreiben)',
		scsi_sanitize: 'SCSI Sanitize',
		degauss: 'Entmagnetisierung',
		shred: 'Schreddern',
		disintegrate: 'Desintegration',
		pulverize: 'Pulverisierung',
		incinerate: 'Verbrennung'
	}
};
const VERIFICATION: Record<PdfLocale, Record<string, string>> = {
	en: { full: 'Full read-back of every sector', sample: 'Sampled read-back', none: 'None', passed: 'Passed', failed: 'FAILED', not_performed: 'Not performed' },
	de: { full: 'Vollständiges Rücklesen aller Sektoren', sample: 'Stichprobenhaftes Rücklesen', none: 'Keine', passed: 'Bestanden', failed: 'NICHT BESTANDEN', not_performed: 'Nicht durchgeführt' }
};

export function reportView(report: unknown, locale: PdfLocale = 'en'): ReportView {
	const parsed = reportSchema.safeParse(report);
	if (!parsed.success) return { device: {}, erasure: {}, warnings: [], agent: {} };
	const r: ErasureReport = parsed.data;
	const v = VERIFICATION[locale];
	const verificationMethod = r.verification.method === 'sample' ? `${v.sample} (${r.verification.samplePercent} %)` : v[r.verification.method];
	return {
		device: { ...r.device },
		erasure: {
			method: `${r.sanitisation.method} — ${TECHNIQUE[locale][r.sanitisation.technique] ?? r.sanitisation.technique}`,
			technique: r.sanitisation.technique,
			standard: r.sanitisation.standard,
			passes: r.sanitisation.passes,
			pattern: r.sanitisation.pattern,
			verificationMethod,
			verificationResult: v[r.verification.result],
			startedAt: r.startedAt,
			endedAt: r.endedAt
		},
		result: r.result.status,
		warnings: r.result.warnings.map((w) => w.message),
		operator: [r.operator.name, r.operator.id ? `(${r.operator.id})` : ''].filter(Boolean).join(' '),
		location: [r.location.site, r.location.country].filter(Boolean).join(', '),
		agent: { software: r.agent.software, version: r.agent.version, tool: `${r.sanitisation.tool.name} ${r.sanitisation.tool.version}` },
		assetTag: r.assetTag,
		host: r.host.hostname,
		erasureLogSha256: r.erasureLogSha256
	};
}

/** 500107862016 → "500.1 GB (500,107,862,016 bytes)" (SI, as drive vendors label capacity) */
export function formatCapacity(bytes: number, locale: PdfLocale): string {
	const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
	let v = bytes;
	let u = 0;
	while (v >= 1000 && u < units.length - 1) {
		v /= 1000;
		u++;
	}
	const nf = (o?: Intl.NumberFormatOptions) => new Intl.NumberFormat(locale === 'de' ? 'de-DE' : 'en-GB', o);
	return `${nf({ maximumFractionDigits: 1 }).format(v)} ${units[u]} (${nf().format(bytes)} ${locale === 'de' ? 'Byte' : 'bytes'})`;
}

/** Serial shown on public pages: first two and last four characters ("serial masked"). */
export function maskSerial(serial: string | undefined): string | undefined {
	if (!serial) return undefined;
	if (serial.length <= 6) return '•'.repeat(serial.length);
	return `${serial.slice(0, 2)}${'•'.repeat(Math.min(serial.length - 6, 8))}${serial.slice(-4)}`;
}
