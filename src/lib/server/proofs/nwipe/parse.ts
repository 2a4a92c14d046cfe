/**
 * Reader of nwipe's log (nwipe 0.34 and later, ShredOS builds too). The
 * layout is nwipe's own (src/logging.c, device.c, hpa_dco.c, method.c,
 * options.c, nwipe.c of the nwipe repository):
 *
 *   [YYYY/MM/DD hh:mm:ss]  notice: message        one line per nwipe_log() call, local time
 *   (untimestamped lines)                         messages with embedded newlines, and the
 *                                                 summary tables nwipe_log_summary() prints:
 *   ****** Error Summary ******                   pass, verification and fdatasync errors per drive (0.34+)
 *   ****** Erasure Summary ******                 bytes erased against bytes expected (0.41+)
 *   ****** Drive Status ******                    status, throughput, duration, model/serial per drive
 *   [time] Total Throughput …, METHOD, nR+B+VL    method label, rounds, blanking, verification
 *
 * Facts the tables shorten (model to 17 characters, sizes rounded) are taken
 * from the lines before them: `Found …` (model, serial, bus), the device size
 * (`sect/blk/dev` up to 0.40, `Total device bytes` from 0.41), the HPA/DCO
 * checks (0.35+), the options block and the per-pass byte counts. A log that
 * does not have this shape is refused with the line where it stops making sense.
 */

export class NwipeLogError extends Error {
	constructor(
		readonly line: number | null,
		message: string
	) {
		super(line === null ? message : `line ${line}: ${message}`);
		this.name = 'NwipeLogError';
	}
}

/** A local wall-clock time as nwipe writes it (no zone): `YYYY-MM-DDTHH:MM:SS`. */
export type LocalTime = string;

export type NwipeBus = 'ATA' | 'SAS' | 'SCSI' | 'USB' | 'IDE' | 'NVME' | 'VIRT' | 'CPQ' | '1394' | 'UNK';
export type HiddenSectors = 'none' | 'present' | 'unknown' | 'not_applicable' | 'not_checked';
export type DriveStatus = 'erased' | 'failed' | 'aborted' | 'insanity';

export type NwipeDrive = {
	device: string;
	bus: NwipeBus;
	ssd: boolean;
	model: string;
	serial: string;
	/** nwipe's rounded size text, e.g. `1000 GB` */
	sizeText: string;
	/** exact size in bytes nwipe wrote to, when the log states it */
	sizeBytes: number | null;
	logicalSectorSize: number | null;
	hidden: { state: HiddenSectors; hpaSet?: number; hpaReal?: number; dcoRealMax?: number; apparentMax?: number };
	method: string | null;
	startedAt: LocalTime | null;
	/** `N bytes written` lines: one per overwrite pass actually written */
	passesWritten: number;
	/** passes nwipe's method would have written (`Starting pass i/N, round j/R`: N × R, plus the blanking pass) */
	passesPlanned: number | null;
	maxBytesWritten: number;
	verifyReads: number;
	errors: { pass: number; verify: number; fdatasync: number };
	/** bytes erased / expected, from the Erasure Summary (0.41+) */
	erasure: { erased: number; expected: number } | null;
	status: DriveStatus;
	throughputBytesPerSecond: number;
	durationSeconds: number;
	/** error and fatal messages naming this drive, in order (at most 5) */
	problems: string[];
	/** line numbers of the drive's `Found` line and Drive Status row */
	lines: { found: number; status: number };
};

export type NwipeRun = {
	/** `nwipe 0.38`, or ShredOS's banner `ShredOS v2024.02.2_26.0_x86-64_0.37` */
	banner: string;
	/** nwipe's version when the banner tells it (ShredOS development builds do not) */
	nwipeVersion: string | null;
	shredos: string | null;
	options: { method: string; prng: string | null; rounds: number; verify: 'off' | 'last' | 'all'; blanking: boolean; quiet: boolean };
	host: { manufacturer?: string; product?: string; version?: string; serial?: string };
	drives: NwipeDrive[];
	/** time of the Total Throughput line */
	summaryAt: LocalTime;
	lines: { first: number; last: number };
};

type Entry = { line: number; time: LocalTime; level: string; msg: string };

const TS = /^\[(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\] /;
const ENTRY = /^\[(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\] {1,4}(debug|info|notice|warning|error|fatal|sanity|level \d+): ?(.*)$/;
const BANNER = /^(nwipe (\d+\.\d+(?:\.\d+)?)\S*|ShredOS v(\S+))$/;
const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };
const STATUS: Record<string, DriveStatus> = { ' Erased ': 'erased', '-FAILED-': 'failed', UABORTED: 'aborted', INSANITY: 'insanity' };

const localTime = (m: RegExpMatchArray) => `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
const num = (s: string) => Number(s.trim());
/** The short device name nwipe_strip_path() prints: the last 8 characters after the last `/`. */
const shortName = (device: string) => (device.split('/').pop() ?? device).slice(-8);

function busOf(typeStr: string): { bus: NwipeBus; ssd: boolean } {
	const t = typeStr.trim();
	const ssd = t.endsWith('-SSD');
	const name = t.replace(/-SSD$/, '').trim().toUpperCase();
	const bus = (['ATA', 'SAS', 'SCSI', 'USB', 'IDE', 'NVME', 'VIRT', 'CPQ', '1394', 'UNK'] as const).find((b) => b === name);
	return { bus: bus ?? 'UNK', ssd };
}

function shredosNwipeVersion(build: string): string | null {
	// ShredOS banners end with nwipe's version: 2024.02.2_26.0_x86-64_0.37, 2025.11_30_i686_v0.41
	const m = /_v?(\d+\.\d+(?:\.\d+)?)$/.exec(build);
	return m ? m[1] : null;
}

function versionAtLeast(version: string | null, major: number, minor: number): boolean {
	if (!version) return true;
	const [a, b] = version.split('.').map(Number);
	return a > major || (a === major && b >= minor);
}

/** Splits the file into lines, 1-based; refuses what is plainly not text. */
function linesOf(text: string): string[] {
	if (text.includes('\u0000')) throw new NwipeLogError(text.slice(0, text.indexOf('\u0000')).split('\n').length, 'this is binary data, not an nwipe log');
	return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * Parses a whole log file into its runs (a log file given to several nwipe
 * starts holds one run per start); runs that never started a wipe are left
 * out. Throws NwipeLogError naming the line for anything else.
 */
export function parseNwipeLog(text: string): NwipeRun[] {
	const lines = linesOf(text);
	const starts: number[] = [];
	for (let i = 0; i < lines.length; i++) {
		const m = ENTRY.exec(lines[i]);
		if (m && m[7] === 'info' && BANNER.test(m[8])) starts.push(i);
	}
	if (!starts.length) {
		const first = lines.findIndex((l) => l.trim() !== '');
		throw new NwipeLogError(first < 0 ? null : first + 1, first < 0 ? 'the file is empty' : 'this is not an nwipe log: no nwipe or ShredOS banner line (`[date time]    info: nwipe 0.38`) was found');
	}
	const runs: NwipeRun[] = [];
	for (const [k, start] of starts.entries()) {
		const end = k + 1 < starts.length ? starts[k + 1] : lines.length;
		const run = parseRun(lines, start, end, k + 1 === starts.length);
		if (run) runs.push(run);
	}
	if (!runs.length) throw new NwipeLogError(starts[0] + 1, 'no wipe was started in this log (nwipe exited before “Program options are set as follows…”)');
	return runs;
}

function parseRun(lines: string[], start: number, end: number, last: boolean): NwipeRun | null {
	const entries: Entry[] = [];
	let tablesAt = -1;
	for (let i = start; i < end; i++) {
		const m = ENTRY.exec(lines[i]);
		if (m) entries.push({ line: i + 1, time: localTime(m), level: m[7], msg: m[8] });
		else if (tablesAt < 0 && /^\*+ (Error Summary|Drive Status) \*+$/.test(lines[i])) tablesAt = i;
		else if (tablesAt < 0 && /^! Device \| Status \| Thru-put/.test(lines[i])) {
			throw new NwipeLogError(i + 1, 'this summary table is from nwipe before 0.34, which has no Error Summary; WipeCert reads logs of nwipe 0.34 and later');
		}
	}
	const bannerMsg = entries[0].msg;
	const b = BANNER.exec(bannerMsg)!;
	const shredos = b[3] ?? null;
	const nwipeVersion = b[2] ?? (shredos ? shredosNwipeVersion(shredos) : null);
	const optionsAt = entries.findIndex((e) => e.msg === 'Program options are set as follows...');
	if (optionsAt < 0) {
		if (tablesAt >= 0) throw new NwipeLogError(tablesAt + 1, 'summary tables without the options block nwipe logs when a wipe starts');
		return null;
	}
	if (tablesAt < 0) {
		if (!last) return null;
		throw new NwipeLogError(end, 'the log ends before nwipe’s summary tables (Error Summary, Drive Status): the wipe was still running, or the file is cut short');
	}
	const options = readOptions(entries, optionsAt);
	const host = readHost(entries);
	const drives = readDrives(entries, nwipeVersion);
	const tables = readTables(lines, tablesAt, end);
	return assemble({ banner: bannerMsg, nwipeVersion, shredos, options, host, drives, tables, entries, first: start + 1 });
}

function readOptions(entries: Entry[], at: number): NwipeRun['options'] {
	const values = new Map<string, { v: string; line: number }>();
	let blanking = true;
	for (let i = at + 1; i < entries.length; i++) {
		const e = entries[i];
		const kv = /^ {2}(\w+) *= (.*)$/.exec(e.msg);
		if (kv) values.set(kv[1], { v: kv[2], line: e.line });
		else if (e.msg === '  do not perform a final blank pass') blanking = false;
		else if (!e.msg.startsWith('  ')) break;
	}
	const method = values.get('method')?.v;
	if (!method) throw new NwipeLogError(entries[at].line, 'the options block names no method (`  method   = …`)');
	const rounds = Number(values.get('rounds')?.v);
	const verify = values.get('verify')?.v ?? '';
	return {
		method,
		prng: values.get('prng')?.v ?? null,
		rounds: Number.isInteger(rounds) && rounds > 0 ? rounds : 1,
		verify: /\(off\)/.test(verify) ? 'off' : /\(all passes\)/.test(verify) ? 'all' : 'last',
		blanking,
		quiet: values.get('quiet')?.v.trim() === '1'
	};
}

function readHost(entries: Entry[]): NwipeRun['host'] {
	const host: NwipeRun['host'] = {};
	const keys: Record<string, keyof NwipeRun['host']> = { 'system-manufacturer': 'manufacturer', 'system-product-name': 'product', 'system-version': 'version', 'system-serial-number': 'serial' };
	for (const e of entries) {
		const m = /^(system-[a-z-]+) = (.*)$/.exec(e.msg);
		const key = m && keys[m[1]];
		// firmware placeholders say nothing about the machine
		if (key && m[2].trim() && !/^(to be filled by o\.e\.m\.|not specified|default string|none|x+)$/i.test(m[2].trim())) host[key] ??= m[2].trim();
	}
	return host;
}

type DriveFacts = Omit<NwipeDrive, 'errors' | 'erasure' | 'status' | 'throughputBytesPerSecond' | 'durationSeconds' | 'lines'> & { foundLine: number };

function readDrives(entries: Entry[], version: string | null): Map<string, DriveFacts> {
	const drives = new Map<string, DriveFacts>();
	const hpaChecked = versionAtLeast(version, 0, 35);
	let geometryOf: DriveFacts | null = null;
	const on = (device: string) => drives.get(device);
	for (const e of entries) {
		let m: RegExpExecArray | null;
		if ((m = /^Found (\/\S+), (.{4,8}), (.*), +(\d+ (?:TB|GB|MB|KB|B)), S\/N=(.*)$/.exec(e.msg))) {
			const { bus, ssd } = busOf(m[2]);
			const hiddenApplies = ['ATA', 'SAS', 'SCSI', 'USB', 'IDE', 'UNK'].includes(bus);
			drives.set(m[1], {
				device: m[1],
				bus,
				ssd,
				model: m[3].trim(),
				serial: m[5].trim(),
				sizeText: m[4],
				sizeBytes: null,
				logicalSectorSize: null,
				hidden: { state: !hiddenApplies ? 'not_applicable' : hpaChecked ? 'unknown' : 'not_checked' },
				method: null,
				startedAt: null,
				passesWritten: 0,
				passesPlanned: null,
				maxBytesWritten: 0,
				verifyReads: 0,
				problems: [],
				foundLine: e.line
			});
			continue;
		}
		if ((m = /^(\/\S+), sect\/blk\/dev (\d+)\/(\d+)\/(\d+)$/.exec(e.msg)) && on(m[1])) {
			Object.assign(on(m[1])!, { logicalSectorSize: num(m[2]), sizeBytes: num(m[4]) });
		} else if ((m = /^(\/\S+): Device geometry is as follows\.\.\.$/.exec(e.msg))) geometryOf = on(m[1]) ?? null;
		else if ((m = /^ {2}Logical sector size += (\d+)$/.exec(e.msg)) && geometryOf) geometryOf.logicalSectorSize = num(m[1]);
		else if ((m = /^ {2}Total device bytes += (\d+)$/.exec(e.msg)) && geometryOf) geometryOf.sizeBytes = num(m[1]);
		else if ((m = /^(\/\S+), sector\(logical\)\/block\(physical\) sizes (\d+)\/(\d+)$/.exec(e.msg)) && on(m[1])) on(m[1])!.logicalSectorSize ??= num(m[2]);
		else if ((m = /^HPA values (-?\d+) \/ (-?\d+) on (\/\S+)$/.exec(e.msg)) && on(m[3])) Object.assign(on(m[3])!.hidden, { hpaSet: num(m[1]), hpaReal: num(m[2]) });
		else if ((m = /^(?:NWipe: |hdparm:)DCO Real max sectors reported as (-?\d+) on (\/\S+)$/.exec(e.msg)) && on(m[2])) on(m[2])!.hidden.dcoRealMax = num(m[1]);
		else if ((m = /^libata: apparent max sectors reported as (\d+)(?: with sector size as (\d+)\/\d+ \(logical\/physical\))? on (\/\S+)$/.exec(e.msg)) && on(m[3])) {
			on(m[3])!.hidden.apparentMax = num(m[1]);
		} else if ((m = /^ \*\*\* HIDDEN SECTORS DETECTED ! \*\*\* on (\/\S+)$/.exec(e.msg)) && on(m[1])) on(m[1])!.hidden.state = 'present';
		else if ((m = /^No hidden sectors on (\/\S+)$/.exec(e.msg)) && on(m[1])) {
			// SAS drives answer no HPA/DCO commands: nwipe marks them not applicable and prints this line
			const d = on(m[1])!;
			if (d.hidden.state !== 'not_applicable') d.hidden.state = d.bus === 'SAS' ? 'not_applicable' : 'none';
		} else if ((m = /^HIDDEN SECTORS INDETERMINATE! on (\/\S+),/.exec(e.msg)) && on(m[1])) on(m[1])!.hidden.state = 'unknown';
		else if ((m = /^Invoking method '(.+)' on (\/\S+)$/.exec(e.msg)) && on(m[2])) Object.assign(on(m[2])!, { method: m[1], startedAt: e.time });
		else if ((m = /^(\d+) bytes written to (\/\S+)$/.exec(e.msg)) && on(m[2])) {
			const d = on(m[2])!;
			d.passesWritten++;
			d.maxBytesWritten = Math.max(d.maxBytesWritten, num(m[1]));
		} else if ((m = /^(\d+) bytes read from (\/\S+)$/.exec(e.msg)) && on(m[2])) on(m[2])!.verifyReads++;
		else if ((m = /^Starting pass \d+\/(\d+), round \d+\/(\d+), on (\/\S+)$/.exec(e.msg)) && on(m[3])) on(m[3])!.passesPlanned = num(m[1]) * num(m[2]);
		if (e.level === 'error' || e.level === 'fatal' || /\[FAILURE\]/.test(e.msg)) {
			for (const d of drives.values()) if (d.problems.length < 5 && new RegExp(`${d.device.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\W|$)`).test(e.msg)) d.problems.push(e.msg.trim().replace(/\.$/, ''));
		}
	}
	return drives;
}

type Tables = {
	errors: { name: string; pass: number; verify: number; fdatasync: number; line: number }[];
	erasure: Map<string, { erased: number; expected: number }> | null;
	status: { name: string; status: DriveStatus; throughput: number; seconds: number; modelSerial: string; line: number }[];
	total: { time: LocalTime; method: string; rounds: number; blanking: boolean; verify: 'off' | 'last' | 'all'; line: number };
};

function readTables(lines: string[], at: number, end: number): Tables {
	let i = at;
	const expect = (re: RegExp, what: string) => {
		if (i >= end) throw new NwipeLogError(end, `the log ends inside nwipe’s summary tables (expected ${what})`);
		const m = re.exec(lines[i]);
		if (!m) throw new NwipeLogError(i + 1, `expected ${what}, found “${lines[i].slice(0, 80)}”`);
		i++;
		return m;
	};
	const rows = <T>(re: RegExp, what: string, map: (m: RegExpExecArray, line: number) => T): T[] => {
		const out: T[] = [];
		for (;;) {
			if (i >= end) throw new NwipeLogError(end, `the log ends inside the ${what} table`);
			if (/^\*{80}$|^-{80}$/.test(lines[i])) break;
			const m = re.exec(lines[i]);
			if (!m) throw new NwipeLogError(i + 1, `a row of the ${what} table does not have nwipe’s layout: “${lines[i].slice(0, 80)}”`);
			out.push(map(m, i + 1));
			i++;
		}
		if (!out.length) throw new NwipeLogError(i + 1, `the ${what} table has no rows`);
		return out;
	};
	const skipBlank = () => {
		while (i < end && lines[i].trim() === '') i++;
	};
	const name = (s: string) => s.trim();

	expect(/^\*+ Error Summary \*+$/, 'the Error Summary table');
	expect(/^!\s+Device \| Pass Errors \| Verifications Errors \| Fdatasync I\\O Errors$/, 'the Error Summary header');
	expect(/^-+$/, 'a line of dashes');
	const errors = rows(/^([ !]) (.{1,8}) \| +(\d+) \| +(\d+) \| +(\d+)$/, 'Error Summary', (m, line) => ({ name: name(m[2]), pass: num(m[3]), verify: num(m[4]), fdatasync: num(m[5]), line }));
	expect(/^\*+$/, 'the end of the Error Summary table');
	skipBlank();
	let erasure: Tables['erasure'] = null;
	if (i < end && /^\*+ Erasure Summary \*+$/.test(lines[i])) {
		i++;
		expect(/^!\s+Device \| +Bytes Erased \| +Bytes Total \| Percentage Erased$/, 'the Erasure Summary header');
		expect(/^-+$/, 'a line of dashes');
		const list = rows(/^([ !]) (.{1,8}) \| +(\d+) \| +(\d+) \| +(\S+)$/, 'Erasure Summary', (m) => [name(m[2]), { erased: num(m[3]), expected: num(m[4]) }] as const);
		erasure = new Map(list);
		expect(/^\*+$/, 'the end of the Erasure Summary table');
		skipBlank();
	}
	expect(/^\*+ Drive Status \*+$/, 'the Drive Status table');
	expect(/^!\s+Device \| Status \| Thru-put \| HH:MM:SS \| Model\/Serial Number$/, 'the Drive Status header');
	expect(/^-+$/, 'a line of dashes');
	const status = rows(/^([ !]) (.{1,8}) \|(.{8})\| +(\d+) (TB|GB|MB|KB|B)\/s \| (\d{2,}):(\d{2}):(\d{2}) \| (.*)$/, 'Drive Status', (m, line) => {
		const s = STATUS[m[3]];
		if (!s) throw new NwipeLogError(line, `unknown drive status “${m[3].trim()}” (nwipe writes Erased, -FAILED-, UABORTED or INSANITY)`);
		return { name: name(m[2]), status: s, throughput: num(m[4]) * UNITS[m[5]], seconds: num(m[6]) * 3600 + num(m[7]) * 60 + num(m[8]), modelSerial: m[9], line };
	});
	expect(/^-+$/, 'the line of dashes under the Drive Status rows');
	const t = expect(new RegExp(`${TS.source}Total Throughput +\\d+ (?:TB|GB|MB|KB|B)/s, (.+), (\\d+)R\\+(B|NB)\\+(NV|VL|VA)$`), 'the Total Throughput line');
	return {
		errors,
		erasure,
		status,
		total: { time: localTime(t), method: t[7], rounds: num(t[8]), blanking: t[9] === 'B', verify: t[10] === 'NV' ? 'off' : t[10] === 'VA' ? 'all' : 'last', line: i }
	};
}

function assemble(r: {
	banner: string;
	nwipeVersion: string | null;
	shredos: string | null;
	options: NwipeRun['options'];
	host: NwipeRun['host'];
	drives: Map<string, DriveFacts>;
	tables: Tables;
	entries: Entry[];
	first: number;
}): NwipeRun {
	const { tables } = r;
	if (tables.errors.length !== tables.status.length || tables.errors.some((e, k) => e.name !== tables.status[k].name)) {
		throw new NwipeLogError(tables.status[0].line, 'the Drive Status table does not list the same drives as the Error Summary');
	}
	const drives: NwipeDrive[] = tables.status.map((row, k) => {
		const candidates = [...r.drives.values()].filter((d) => shortName(d.device) === row.name);
		if (candidates.length !== 1) {
			throw new NwipeLogError(row.line, candidates.length ? `“${row.name}” matches several devices` : `drive “${row.name}” has no “Found /dev/${row.name}, …” line earlier in the log`);
		}
		const { foundLine, ...d } = candidates[0];
		const expected = `${d.model.slice(0, 17)}/${d.serial.slice(0, 20)}`;
		if (row.modelSerial.trim() !== expected && row.modelSerial.trim() !== `${d.model.slice(0, 17)}/${d.serial}`) {
			throw new NwipeLogError(row.line, `the Drive Status row for ${d.device} names “${row.modelSerial.trim()}”, but the drive was found as “${d.model}” with serial “${d.serial}” (line ${foundLine})`);
		}
		const err = tables.errors[k];
		const erasure = tables.erasure?.get(row.name) ?? null;
		return {
			...d,
			errors: { pass: err.pass, verify: err.verify, fdatasync: err.fdatasync },
			erasure,
			status: row.status,
			throughputBytesPerSecond: row.throughput,
			durationSeconds: row.seconds,
			lines: { found: foundLine, status: row.line }
		};
	});
	if (r.options.method !== tables.total.method) {
		throw new NwipeLogError(tables.total.line, `the Total Throughput line names method “${tables.total.method}”, the options block “${r.options.method}”`);
	}
	return {
		banner: r.banner,
		nwipeVersion: r.nwipeVersion,
		shredos: r.shredos,
		options: { ...r.options, rounds: tables.total.rounds, blanking: tables.total.blanking, verify: tables.total.verify },
		host: r.host,
		drives,
		summaryAt: tables.total.time,
		lines: { first: r.first, last: tables.total.line }
	};
}
