import { reportSchema, type ErasureReport } from '#lib/server/records';
import type { PdfLocale } from './pdf-labels';

/**
 * The facts a certificate shows, from the agent's erasure report (schema v1,
 * proofs/format/report.ts). A record whose report does not parse (a future
 * schema version) still renders, with what it has left out.
 */
export type ReportView = {
	device: { type?: string; manufacturer?: string; model?: string; serial?: string; capacityBytes?: number; interface?: string; firmware?: string };
	erasure: {
		method?: string;
		technique?: string;
		standard?: string;
		passes?: number;
		pattern?: string;
		verificationMethod?: string;
		verificationResult?: string;
		startedAt?: string;
		endedAt?: string;
		/** the tool's own method name, rounds, PRNG and blanking pass, as one line */
		toolMethod?: string;
		/** `1,000,203,804,160 of 1,000,204,886,016 bytes (99.99 %)` */
		coverage?: string;
		throughput?: string;
		duration?: string;
		hiddenArea?: string;
	};
	/** `erased`, `erased_with_warnings`, `failed` */
	result?: string;
	warnings: string[];
	location?: string;
	agent: { software?: string; version?: string; tool?: string };
	assetTag?: string;
	host?: string;
	erasureLogSha256?: string;
	/** SHA-256 of files kept beside the proof (the tool's own PDF report) */
	attachments: { label: string; sha256: string }[];
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
	if (!parsed.success) return { device: {}, erasure: {}, warnings: [], agent: {}, attachments: [] };
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
			endedAt: r.endedAt,
			...toolFacts(r, locale)
		},
		result: r.result.status,
		warnings: r.result.warnings.map((w) => w.message),
		location: [r.location.site, r.location.country].filter(Boolean).join(', '),
		agent: { software: r.agent.software, version: r.agent.version, tool: `${r.sanitisation.tool.name} ${r.sanitisation.tool.version}` },
		assetTag: r.assetTag,
		host: r.host.hostname,
		erasureLogSha256: r.erasureLogSha256,
		attachments: (r.attachments ?? []).filter((a) => a.kind === 'tool_report_pdf').map((a) => ({ label: a.name ?? a.kind, sha256: a.sha256 }))
	};
}

const EXTRA: Record<PdfLocale, { rounds: (n: number) => string; prng: string; blank: string; noBlank: string; of: string; bytes: string; hidden: Record<string, string> }> = {
	en: {
		rounds: (n) => `${n} round${n === 1 ? '' : 's'}`,
		prng: 'PRNG',
		blank: 'final blanking pass',
		noBlank: 'no blanking pass',
		of: 'of',
		bytes: 'bytes',
		hidden: { none: 'None found', present: 'PRESENT — hidden sectors the tool did not erase', unknown: 'Unknown — the tool could not check', not_applicable: 'Not applicable to this device' }
	},
	de: {
		rounds: (n) => `${n} ${n === 1 ? 'Runde' : 'Runden'}`,
		prng: 'Zufallsgenerator',
		blank: 'abschließender Nulldurchlauf',
		noBlank: 'kein Nulldurchlauf',
		of: 'von',
		bytes: 'Byte',
		hidden: { none: 'Keine gefunden', present: 'VORHANDEN — versteckte Sektoren, die das Werkzeug nicht gelöscht hat', unknown: 'Unbekannt — das Werkzeug konnte nicht prüfen', not_applicable: 'Für dieses Gerät nicht zutreffend' }
	}
};

/** The optional facts tools such as nwipe state (report schema v1's optional fields). */
function toolFacts(r: ErasureReport, locale: PdfLocale): Partial<ReportView['erasure']> {
	const x = EXTRA[locale];
	const nf = new Intl.NumberFormat(locale === 'de' ? 'de-DE' : 'en-GB');
	const out: Partial<ReportView['erasure']> = {};
	const s = r.sanitisation;
	if (s.toolMethod) {
		const parts = [s.toolMethod, s.rounds ? x.rounds(s.rounds) : '', s.prng ? `${x.prng}: ${s.prng}` : '', s.blankingPass === undefined ? '' : s.blankingPass ? x.blank : x.noBlank];
		out.toolMethod = parts.filter(Boolean).join(', ');
	}
	if (r.coverage) {
		const pct = Math.floor((r.coverage.bytesErased / r.coverage.bytesExpected) * 10_000) / 100;
		out.coverage = `${nf.format(r.coverage.bytesErased)} ${x.of} ${nf.format(r.coverage.bytesExpected)} ${x.bytes} (${nf.format(pct)} %)`;
	}
	if (r.throughputBytesPerSecond !== undefined) out.throughput = `${nf.format(Math.round(r.throughputBytesPerSecond / 1e6))} MB/s`;
	if (r.durationSeconds !== undefined) {
		const d = r.durationSeconds;
		out.duration = `${String(Math.floor(d / 3600)).padStart(2, '0')}:${String(Math.floor((d % 3600) / 60)).padStart(2, '0')}:${String(d % 60).padStart(2, '0')}`;
	}
	if (r.hiddenArea) out.hiddenArea = x.hidden[r.hiddenArea.state] + (r.hiddenArea.detail ? ` (${r.hiddenArea.detail})` : '');
	return out;
}

export type OperatorDisplay = 'full' | 'initials' | 'none';

/**
 * What a certificate shows of the operator (the tenant's setting): the name
 * and operator id, the initials of the name ("Jürgen Weiß" → "J. W."), or
 * nothing. The PDF can be fetched by anyone holding the public ID.
 */
export function operatorShown(report: unknown, display: OperatorDisplay): string | undefined {
	if (display === 'none') return undefined;
	const parsed = reportSchema.safeParse(report);
	if (!parsed.success) return undefined;
	const { name, id } = parsed.data.operator;
	if (display === 'full') return [name, id ? `(${id})` : ''].filter(Boolean).join(' ');
	const initials = name
		.split(/[\s-]+/u)
		.filter(Boolean)
		.map((part) => `${[...part][0].toLocaleUpperCase()}.`)
		.join(' ');
	return initials || undefined;
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
