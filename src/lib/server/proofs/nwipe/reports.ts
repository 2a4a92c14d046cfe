/**
 * One erasure report (schema v1) per drive of an nwipe log, with the outcome
 * mapped as the log supports it and no further:
 * - `Erased` → `erased`, unless nwipe found hidden sectors (HPA/DCO), could not
 *   tell, or erased fewer bytes than the drive holds: then `erased_with_warnings`
 *   with the reason;
 * - `-FAILED-` (pass, verification or fdatasync errors), `UABORTED` (the user
 *   stopped it) and `INSANITY` → `failed`, the reasons as warnings.
 * Every nwipe method overwrites the user-addressable area, which NIST SP 800-88
 * calls Clear; IEEE 2883 calls the technique overwrite. The verify-only methods
 * write nothing: their report says so.
 */
import { createHash } from 'node:crypto';
import type { ErasureReport } from '#lib/server/records';
import { NwipeLogError, type LocalTime, type NwipeDrive, type NwipeRun } from './parse';

export type NwipeContext = {
	logSha256: string;
	logName?: string;
	/** nwipe's own PDF reports: matched to drives by the serial in their file names */
	pdfs: { name: string; sha256: string }[];
	operator: { name: string; id?: string };
	location: { site: string; country?: string };
	hostname?: string;
	/** offset of the wiping station's clock from UTC, `+HH:MM` / `-HH:MM` (nwipe logs local time without a zone) */
	utcOffset: string;
	agent: { software: string; version: string };
};

export type DriveReport = { run: NwipeRun; drive: NwipeDrive; report: ErasureReport };

const VERIFY_ONLY = /^Verify (Zeros|Ones)/;

const MANUFACTURERS: [RegExp, string][] = [
	[/^(WDC |WD[A-Z0-9]|Western Digital)/i, 'Western Digital'],
	[/^(ST\d|Seagate)/i, 'Seagate'],
	[/^(Samsung|MZ-|MZV)/i, 'Samsung'],
	[/^TOSHIBA/i, 'Toshiba'],
	[/^KIOXIA/i, 'Kioxia'],
	[/^(HGST|Hitachi|HUS|HUH|HDS)/i, 'HGST'],
	[/^(INTEL|SSDSC|SSDPE)/i, 'Intel'],
	[/^(CT\d|Crucial)/i, 'Crucial'],
	[/^(Micron|MTFD)/i, 'Micron'],
	[/^(KINGSTON|SA400|SKC|SNV)/i, 'Kingston'],
	[/^SanDisk/i, 'SanDisk'],
	[/^(SK ?hynix|HFS)/i, 'SK hynix'],
	[/^(Lexar)/i, 'Lexar'],
	[/^(HP |HPE )/i, 'HP'],
	[/^(Dell )/i, 'Dell'],
	[/^(ADATA)/i, 'ADATA'],
	[/^(Transcend|TS\d)/i, 'Transcend'],
	[/^(PNY)/i, 'PNY'],
	[/^(Corsair)/i, 'Corsair']
];

function manufacturerOf(model: string): string {
	return MANUFACTURERS.find(([re]) => re.test(model))?.[1] ?? 'not named in the nwipe log';
}

function deviceOf(d: NwipeDrive): Pick<ErasureReport['device'], 'type' | 'interface'> {
	const iface: ErasureReport['device']['interface'] = ({ ATA: 'SATA', SAS: 'SAS', SCSI: 'SCSI', USB: 'USB', IDE: 'IDE', NVME: 'NVMe' } as const)[d.bus as 'ATA'] ?? 'Other';
	if (d.bus === 'NVME') return { type: 'NVMe', interface: 'NVMe' };
	if (d.bus === 'USB') return { type: 'USB', interface: 'USB' };
	if (d.ssd) return { type: 'SSD', interface: iface };
	return { type: ['ATA', 'SAS', 'SCSI', 'IDE'].includes(d.bus) ? 'HDD' : 'Other', interface: iface };
}

const PATTERNS: Record<string, string> = {
	'PRNG Stream': 'pseudo-random stream',
	'Fill With Zeros': '0x00',
	'Fill With Ones': '0xFF',
	'DoD Short': 'random byte, its complement, random stream',
	'DoD 5220.22-M': 'DoD 5220.22-M: 7 passes of fixed, complement and random patterns',
	'Gutmann Wipe': 'Gutmann: 35 passes of fixed and random patterns',
	'RCMP TSSIT OPS-II': 'OPS-II: alternating patterns, final random pass',
	'HMG IS5 Enhanced': '0x00, 0xFF, random stream (verified)',
	'Bruce Schneier 7-Pass': 'Schneier: 0xFF, 0x00, 5 random passes',
	'BMB21-2019': 'BMB21-2019 patterns'
};

/** A UUID (RFC 9562 version 8, name-based) for one drive of one log: the same drive from the same log gets the same id. */
export function nwipeReportId(logSha256: string, runFirstLine: number, device: string, serial: string): string {
	const h = createHash('sha256').update(`wipecert:nwipe-log:${logSha256}:${runFirstLine}:${device}:${serial}`).digest();
	h[6] = (h[6] & 0x0f) | 0x80;
	h[8] = (h[8] & 0x3f) | 0x80;
	const x = h.subarray(0, 16).toString('hex');
	return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function parseUtcOffset(offset: string): number {
	const m = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
	if (!m || Number(m[2]) > 14 || Number(m[3]) > 59) throw new Error(`the UTC offset “${offset}” is not ±HH:MM`);
	return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** nwipe's local time at the station's offset → milliseconds since the epoch. */
const instant = (t: LocalTime, offsetMinutes: number) => Date.parse(`${t}Z`) - offsetMinutes * 60_000;

const fmt = (n: number) => new Intl.NumberFormat('en-GB').format(n);

/** PDFs per drive: nwipe names a drive's report …_Model_<model>_Serial_<serial>….pdf (non-alphanumerics as `_`); the system report covers every drive. */
export function matchPdfs(drives: NwipeDrive[], pdfs: NwipeContext['pdfs']): Map<NwipeDrive, NwipeContext['pdfs']> {
	const out = new Map<NwipeDrive, NwipeContext['pdfs']>(drives.map((d) => [d, []]));
	for (const pdf of pdfs) {
		if (/nwipe_system_report_/.test(pdf.name)) {
			for (const list of out.values()) list.push(pdf);
			continue;
		}
		const owners = drives.filter((d) => d.serial && pdf.name.includes(`_Serial_${d.serial.replace(/[^0-9A-Za-z]/g, '_')}`));
		if (owners.length === 1) out.get(owners[0])!.push(pdf);
		else if (owners.length === 0 && drives.length === 1) out.get(drives[0])!.push(pdf);
		else throw new NwipeLogError(null, `cannot tell which drive the PDF “${pdf.name}” belongs to: nwipe names each drive’s PDF …_Serial_<serial>…, and this name matches ${owners.length ? 'several drives' : 'none of the drives in the log'}`);
	}
	return out;
}

function warningsOf(run: NwipeRun, d: NwipeDrive, verifyOnly: boolean, coverage: ErasureReport['coverage']): ErasureReport['result']['warnings'] {
	const w: ErasureReport['result']['warnings'] = [];
	const planned = d.passesPlanned === null ? null : d.passesPlanned + (run.options.blanking ? 1 : 0);
	const written = `${d.passesWritten}${planned ? ` of ${planned}` : ''} overwrite pass${(planned ?? d.passesWritten) === 1 ? '' : 'es'} written`;
	if (d.status === 'aborted') w.push({ code: 'aborted', message: `The wipe was aborted by the user before nwipe’s method finished (${written}).` });
	if (d.status === 'insanity') w.push({ code: 'other', message: 'nwipe reported INSANITY, an internal inconsistency: the result of this erasure cannot be trusted.' });
	if (d.errors.pass > 0) w.push({ code: 'write_errors', message: `nwipe counted ${fmt(d.errors.pass)} pass (write) error${d.errors.pass === 1 ? '' : 's'}${d.problems[0] ? `: “${d.problems[0]}”` : ''}.` });
	if (d.errors.verify > 0) w.push({ code: 'verification_errors', message: `nwipe counted ${fmt(d.errors.verify)} verification error${d.errors.verify === 1 ? '' : 's'}: data read back did not match what was written.` });
	if (d.errors.fdatasync > 0) w.push({ code: 'other', message: `nwipe counted ${fmt(d.errors.fdatasync)} fdatasync I/O error${d.errors.fdatasync === 1 ? '' : 's'}: written data may not have reached the medium.` });
	if (d.status === 'failed' && !w.length) w.push({ code: 'write_errors', message: `nwipe marked the drive FAILED${d.problems[0] ? `: “${d.problems[0]}”` : ''}.` });
	const h = d.hidden;
	if (h.state === 'present') {
		const real = Math.max(h.hpaReal ?? 0, h.dcoRealMax ?? 0);
		w.push({ code: 'hpa_detected', message: `nwipe found hidden sectors (HPA/DCO): the drive showed ${fmt(h.hpaSet ?? h.apparentMax ?? 0)} sectors of a real ${fmt(real)}; nwipe does not remove a hidden area, so it was not overwritten.` });
	} else if (h.state === 'unknown') {
		w.push({ code: 'hidden_area_unknown', message: 'nwipe could not tell whether the drive hides sectors (HPA/DCO); the adapter or drive did not answer the ATA commands.' });
	} else if (h.state === 'not_checked') {
		w.push({ code: 'hidden_area_unknown', message: `nwipe ${run.nwipeVersion ?? ''} does not check for hidden sectors (HPA/DCO); nwipe 0.35 and later do.`.replace('  ', ' ') });
	}
	if (coverage && coverage.bytesErased < coverage.bytesExpected) {
		const pct = Math.floor((coverage.bytesErased / coverage.bytesExpected) * 10_000) / 100;
		w.push({ code: 'coverage_short', message: `nwipe erased ${fmt(coverage.bytesErased)} of ${fmt(coverage.bytesExpected)} bytes (${pct} %); ${fmt(coverage.bytesExpected - coverage.bytesErased)} bytes were not overwritten.` });
	}
	if (verifyOnly) {
		w.push({ code: 'verification_only', message: `nwipe’s “${run.options.method.replace(/\s+/g, ' ')}” method only reads the drive back: it wrote nothing in this run. The log shows the drive held nothing but that pattern; it is not evidence of the overwrite itself.` });
	}
	if (/^(X+|\?+)$/.test(d.serial) || run.options.quiet) w.push({ code: 'other', message: 'nwipe ran with --quiet: serial numbers are anonymised in its log, so this report cannot name the drive’s serial.' });
	return w;
}

/** The reports of every drive of every run, in log order. Throws NwipeLogError for what the log cannot support. */
export function nwipeReports(runs: NwipeRun[], ctx: NwipeContext): DriveReport[] {
	const offset = parseUtcOffset(ctx.utcOffset);
	const pdfs = matchPdfs(runs.flatMap((r) => r.drives), ctx.pdfs);
	const out: DriveReport[] = [];
	for (const run of runs) {
		for (const d of run.drives) {
			const verifyOnly = VERIFY_ONLY.test(run.options.method);
			const hiddenReal = Math.max(d.hidden.hpaReal ?? 0, d.hidden.dcoRealMax ?? 0) * (d.logicalSectorSize ?? 512);
			const size = d.sizeBytes ?? d.erasure?.expected ?? null;
			if (size === null) throw new NwipeLogError(d.lines.found, `the log does not state the exact size of ${d.device} (no “sect/blk/dev” or “Total device bytes” line)`);
			const expected = d.erasure?.expected ?? (d.hidden.state === 'present' && hiddenReal > size ? hiddenReal : size);
			const coverage = verifyOnly ? undefined : { bytesErased: d.erasure?.erased ?? d.maxBytesWritten, bytesExpected: expected };
			const warnings = warningsOf(run, d, verifyOnly, coverage);
			const status: ErasureReport['result']['status'] = d.status !== 'erased' ? 'failed' : warnings.length ? 'erased_with_warnings' : 'erased';
			const ended = d.startedAt ? instant(d.startedAt, offset) + d.durationSeconds * 1000 : instant(run.summaryAt, offset);
			const started = ended - d.durationSeconds * 1000;
			const method = run.options.method.replace(/\s+/g, ' ');
			const verified = verifyOnly || (run.options.verify !== 'off' && d.verifyReads > 0);
			const pattern = verifyOnly ? (method.includes('Ones') ? '0xFF (read back only)' : '0x00 (read back only)') : `${PATTERNS[method] ?? method}${run.options.blanking ? ', final 0x00 blanking pass' : ''}`;
			const { type, interface: iface } = deviceOf(d);
			const serialKnown = d.serial && !/^(X+|\?+)$/.test(d.serial);
			const tool = run.shredos ? `${run.nwipeVersion ?? 'unknown'} (ShredOS ${run.shredos})` : (run.nwipeVersion ?? 'unknown');
			const report: ErasureReport = {
				schemaVersion: 1,
				reportId: nwipeReportId(ctx.logSha256, run.lines.first, d.device, d.serial),
				device: {
					type,
					manufacturer: manufacturerOf(d.model),
					model: d.model || 'not named in the nwipe log',
					serial: serialKnown ? d.serial.slice(0, 100) : 'anonymised by nwipe --quiet',
					capacityBytes: Math.max(size, expected),
					interface: iface
				},
				sanitisation: {
					method: 'Clear',
					technique: 'overwrite',
					passes: verifyOnly ? 0 : d.passesWritten,
					pattern: pattern.slice(0, 100),
					standard: method === 'HMG IS5 Enhanced' ? 'HMG IS5' : 'NIST SP 800-88 Rev. 2',
					tool: { name: 'nwipe', version: tool.slice(0, 50) },
					toolMethod: method.slice(0, 100),
					rounds: run.options.rounds,
					...(run.options.prng && /PRNG|DoD|Gutmann|OPS-II|IS5|Schneier|BMB/.test(method) ? { prng: run.options.prng.slice(0, 100) } : {}),
					blankingPass: run.options.blanking && !verifyOnly
				},
				verification: verified
					? { method: 'full', samplePercent: 100, result: d.errors.verify > 0 || (verifyOnly && d.status !== 'erased') ? 'failed' : 'passed' }
					: { method: 'none', samplePercent: 0, result: 'not_performed' },
				result: { status, warnings },
				startedAt: new Date(started).toISOString(),
				endedAt: new Date(ended).toISOString(),
				operator: ctx.operator,
				location: ctx.location,
				host: {
					hostname: (ctx.hostname ?? 'not named in the nwipe log').slice(0, 253),
					...(run.host.manufacturer ? { manufacturer: run.host.manufacturer.slice(0, 200) } : {}),
					...(run.host.product ? { model: [run.host.product, run.host.version].filter(Boolean).join(' ').slice(0, 200) } : {}),
					...(run.host.serial ? { serial: run.host.serial.slice(0, 100) } : {})
				},
				agent: ctx.agent,
				...(coverage ? { coverage } : {}),
				throughputBytesPerSecond: d.throughputBytesPerSecond,
				durationSeconds: d.durationSeconds,
				hiddenArea: hiddenAreaOf(d),
				attachments: [
					{ kind: 'erasure_log', sha256: ctx.logSha256, ...(ctx.logName ? { name: ctx.logName.slice(0, 255) } : {}) },
					...pdfs.get(d)!.map((p) => ({ kind: 'tool_report_pdf' as const, sha256: p.sha256, name: p.name.slice(0, 255) }))
				],
				erasureLogSha256: ctx.logSha256
			};
			out.push({ run, drive: d, report });
		}
	}
	return out;
}

function hiddenAreaOf(d: NwipeDrive): NonNullable<ErasureReport['hiddenArea']> {
	const h = d.hidden;
	const numbers = [h.hpaSet !== undefined ? `HPA ${h.hpaSet} / ${h.hpaReal}` : '', h.dcoRealMax ? `DCO real max ${h.dcoRealMax}` : '', h.apparentMax ? `apparent max ${h.apparentMax}` : ''].filter(Boolean).join('; ');
	const detail = numbers ? `${numbers} (sectors, as nwipe logged them)` : undefined;
	return { state: h.state === 'not_checked' ? 'unknown' : h.state, ...(detail ? { detail } : {}) };
}
