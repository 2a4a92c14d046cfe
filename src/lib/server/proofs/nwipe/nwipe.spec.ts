import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { erasureReport } from '#lib/server/records';
import { NwipeLogError, parseNwipeLog } from './parse';
import { matchPdfs, nwipeReports, type NwipeContext } from './reports';

/**
 * nwipe logs in nwipe's own layout (tests/fixtures/nwipe, written from nwipe's
 * src/logging.c, device.c, hpa_dco.c, method.c and options.c of 0.35 to 0.42):
 * one report per drive, outcomes mapped as far as the log supports them, and
 * a damaged or foreign file refused with the line where it stops making sense.
 */
const fixture = (name: string) => readFileSync(`tests/fixtures/nwipe/${name}`, 'utf8');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const ctx = (text: string, extra: Partial<NwipeContext> = {}): NwipeContext => ({
	logSha256: sha(text),
	logName: 'nwipe_log.txt',
	pdfs: [],
	operator: { name: 'Otto Acme' },
	location: { site: 'Hamburg bay 3', country: 'DE' },
	utcOffset: '+00:00',
	agent: { software: 'WipeCert nwipe intake', version: '0.1.0' },
	...extra
});
const reportsOf = (name: string, extra?: Partial<NwipeContext>) => {
	const text = fixture(name);
	return nwipeReports(parseNwipeLog(text), ctx(text, extra));
};
function failure(text: string): NwipeLogError {
	try {
		nwipeReports(parseNwipeLog(text), ctx(text));
	} catch (error) {
		if (error instanceof NwipeLogError) return error;
		throw error;
	}
	throw new Error('the log was accepted');
}

describe('nwipe logs of several versions → one erasure report per drive', () => {
	it('nwipe 0.35, one SATA HDD, DoD Short, verified blanking pass: erased', () => {
		const [r] = reportsOf('nwipe-0.35-single-hdd-dodshort.txt');
		expect(r.run).toMatchObject({ nwipeVersion: '0.35', shredos: null, options: { method: 'DoD Short', prng: 'Isaac64', rounds: 1, verify: 'last', blanking: true } });
		expect(r.report.device).toEqual({ type: 'HDD', manufacturer: 'Western Digital', model: 'WDC WD10EZEX-08WN4A0', serial: 'WD-WCC6Y4KPL7X3', capacityBytes: 1000204886016, interface: 'SATA' });
		expect(r.report.sanitisation).toMatchObject({ method: 'Clear', technique: 'overwrite', passes: 4, toolMethod: 'DoD Short', prng: 'Isaac64', rounds: 1, blankingPass: true, tool: { name: 'nwipe', version: '0.35' } });
		expect(r.report.verification).toEqual({ method: 'full', samplePercent: 100, result: 'passed' });
		expect(r.report.result).toEqual({ status: 'erased', warnings: [] });
		expect(r.report.coverage).toEqual({ bytesErased: 1000204886016, bytesExpected: 1000204886016 });
		expect(r.report.hiddenArea).toEqual({ state: 'none', detail: 'HPA 1953525168 / 1953525168; DCO real max 1953525168; apparent max 1953525168 (sectors, as nwipe logged them)' });
		expect(r.report.host).toEqual({ hostname: 'not named in the nwipe log', manufacturer: 'Dell Inc.', model: 'OptiPlex 7070', serial: '8ZKQ4Y2' });
		// start: the "Invoking method" line; end: start + the Drive Status duration
		expect(r.report.startedAt).toBe('2024-03-11T08:03:22.000Z');
		expect(Date.parse(r.report.endedAt) - Date.parse(r.report.startedAt)).toBe(r.drive.durationSeconds * 1000);
		expect(r.report.durationSeconds).toBe(9 * 3600 + 10 * 60 + 53);
		expect(r.report.throughputBytesPerSecond).toBe(151e6);
	});

	it('ShredOS (nwipe 0.37), three drives: an SSD erased, an HDD FAILED on write errors, a USB stick whose hidden area nwipe could not check', () => {
		const [ssd, hdd, usb] = reportsOf('shredos-0.37-three-drives-one-failed.txt');
		expect(ssd.run).toMatchObject({ nwipeVersion: '0.37', shredos: '2024.02.2_26.0_x86-64_0.37' });
		expect(ssd.report.sanitisation.tool).toEqual({ name: 'nwipe', version: '0.37 (ShredOS 2024.02.2_26.0_x86-64_0.37)' });
		expect([ssd.report.device.type, ssd.report.device.manufacturer, ssd.report.result.status]).toEqual(['SSD', 'Samsung', 'erased']);
		expect(hdd.report.result.status).toBe('failed');
		expect(hdd.report.result.warnings.map((w) => w.code)).toEqual(['write_errors', 'coverage_short']);
		expect(hdd.report.result.warnings[0].message).toContain('Unable to write to');
		expect(hdd.report.coverage).toEqual({ bytesErased: 734003200000, bytesExpected: 2000398934016 });
		expect(hdd.report.verification.result).toBe('not_performed');
		expect([usb.report.device.type, usb.report.device.interface, usb.report.result.status]).toEqual(['USB', 'USB', 'erased_with_warnings']);
		expect(usb.report.result.warnings.map((w) => w.code)).toEqual(['hidden_area_unknown']);
		expect(new Set([ssd, hdd, usb].map((r) => r.report.reportId)).size).toBe(3);
	});

	it('nwipe 0.38 verify-only method: nothing written, and the report says so', () => {
		const [r] = reportsOf('nwipe-0.38-verify-zeros.txt');
		expect(r.report.sanitisation).toMatchObject({ passes: 0, toolMethod: 'Verify Zeros (0x00)', blankingPass: false, pattern: '0x00 (read back only)' });
		expect(r.report.sanitisation.prng).toBeUndefined();
		expect(r.report.coverage).toBeUndefined();
		expect(r.report.verification).toEqual({ method: 'full', samplePercent: 100, result: 'passed' });
		expect(r.report.result.status).toBe('erased_with_warnings');
		expect(r.report.result.warnings).toEqual([{ code: 'verification_only', message: expect.stringContaining('wrote nothing in this run') }]);
	});

	it('ShredOS (nwipe 0.40), NVMe, zero fill verified: erased, hidden areas not applicable', () => {
		const [r] = reportsOf('shredos-0.40-nvme-zeros.txt');
		expect(r.report.device).toMatchObject({ type: 'NVMe', interface: 'NVMe', manufacturer: 'Samsung', serial: 'S5GXNX0T412345K', capacityBytes: 1000204886016 });
		expect(r.report.sanitisation).toMatchObject({ passes: 1, pattern: '0x00', blankingPass: false, toolMethod: 'Fill With Zeros' });
		expect(r.report.hiddenArea).toEqual({ state: 'not_applicable' });
		expect(r.report.result).toEqual({ status: 'erased', warnings: [] });
	});

	it('ShredOS (nwipe 0.41), hidden sectors found: erased with warnings, bytes from the Erasure Summary', () => {
		const [r] = reportsOf('shredos-0.41-hpa-hidden-sectors.txt');
		expect(r.drive.erasure).toEqual({ erased: 1000203804160, expected: 1000204886016 });
		expect(r.report.device.capacityBytes).toBe(1000204886016);
		expect(r.report.result.status).toBe('erased_with_warnings');
		expect(r.report.result.warnings.map((w) => w.code)).toEqual(['hpa_detected', 'coverage_short']);
		expect(r.report.result.warnings[1].message).toBe('nwipe erased 1,000,203,804,160 of 1,000,204,886,016 bytes (99.99 %); 1,081,856 bytes were not overwritten.');
		expect(r.report.hiddenArea?.state).toBe('present');
	});

	it('nwipe 0.42 aborted by the user: failed, however much was written', () => {
		const [r] = reportsOf('nwipe-0.42-aborted-by-user.txt');
		expect(r.drive.status).toBe('aborted');
		expect(r.report.device).toMatchObject({ type: 'HDD', interface: 'SAS', manufacturer: 'Toshiba' });
		expect(r.report.result.status).toBe('failed');
		expect(r.report.result.warnings).toEqual([{ code: 'aborted', message: 'The wipe was aborted by the user before nwipe’s method finished (1 of 8 overwrite passes written).' }]);
		expect(r.report.verification).toEqual({ method: 'none', samplePercent: 0, result: 'not_performed' });
		expect(r.report.sanitisation.prng).toBe('ChaCha20 (CSPRNG)');
	});

	it('every report of every fixture passes the report schema, with the log and PDFs as attachments', () => {
		for (const name of ['nwipe-0.35-single-hdd-dodshort.txt', 'shredos-0.37-three-drives-one-failed.txt', 'nwipe-0.38-verify-zeros.txt', 'shredos-0.40-nvme-zeros.txt', 'shredos-0.41-hpa-hidden-sectors.txt', 'nwipe-0.42-aborted-by-user.txt']) {
			for (const r of reportsOf(name)) {
				expect(erasureReport.safeParse(r.report).error?.issues, `${name} ${r.drive.device}`).toBeUndefined();
				expect(r.report.attachments?.[0]).toEqual({ kind: 'erasure_log', sha256: sha(fixture(name)), name: 'nwipe_log.txt' });
			}
		}
	});

	it('times are the station’s local clock at the given UTC offset', () => {
		const [utc] = reportsOf('nwipe-0.35-single-hdd-dodshort.txt');
		const [cest] = reportsOf('nwipe-0.35-single-hdd-dodshort.txt', { utcOffset: '+02:00' });
		expect(Date.parse(utc.report.startedAt) - Date.parse(cest.report.startedAt)).toBe(2 * 3600_000);
		expect(() => reportsOf('nwipe-0.35-single-hdd-dodshort.txt', { utcOffset: 'CET' })).toThrow(/±HH:MM/);
	});

	it('a log file reused by several nwipe starts gives one run each; the same drive of the same log always has the same report id', () => {
		const text = fixture('nwipe-0.35-single-hdd-dodshort.txt') + fixture('nwipe-0.38-verify-zeros.txt');
		const reports = nwipeReports(parseNwipeLog(text), ctx(text));
		expect(reports.map((r) => [r.run.nwipeVersion, r.drive.device])).toEqual([
			['0.35', '/dev/sda'],
			['0.38', '/dev/sda']
		]);
		expect(reports[0].report.reportId).not.toBe(reports[1].report.reportId);
		expect(nwipeReports(parseNwipeLog(text), ctx(text))[1].report.reportId).toBe(reports[1].report.reportId);
	});

	it('nwipe’s PDFs go to the drive named in their file name; the system report to every drive; an unknown name is refused', () => {
		const runs = parseNwipeLog(fixture('shredos-0.37-three-drives-one-failed.txt'));
		const drives = runs[0].drives;
		const sda = { name: 'nwipe_report_2024-06-03-11-15-26_Model_Samsung_SSD_870_EVO_500GB_Serial_S6PXNM0T402871W.pdf', sha256: 'a'.repeat(64) };
		const system = { name: 'nwipe_system_report_2024-06-03-11-15-26_host-UUID-6f3c1a20_host-SN-CZC8437K2L.pdf', sha256: 'b'.repeat(64) };
		const matched = matchPdfs(drives, [sda, system]);
		expect(matched.get(drives[0])).toEqual([sda, system]);
		expect(matched.get(drives[1])).toEqual([system]);
		expect(() => matchPdfs(drives, [{ name: 'scan.pdf', sha256: 'c'.repeat(64) }])).toThrow(/cannot tell which drive the PDF “scan.pdf” belongs to/);
		// one drive in the log: any PDF is that drive's
		const single = parseNwipeLog(fixture('shredos-0.40-nvme-zeros.txt'))[0].drives;
		expect(matchPdfs(single, [{ name: 'report.pdf', sha256: 'c'.repeat(64) }]).get(single[0])).toHaveLength(1);
	});
});

describe('unknown or damaged logs are refused with the line', () => {
	const good = fixture('shredos-0.37-three-drives-one-failed.txt');
	const lines = good.split('\n');
	const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;

	it('a file that is not an nwipe log, an empty file, binary data', () => {
		expect(failure('Hello,\nthis is a letter.\n')).toMatchObject({ line: 1, message: expect.stringMatching(/^line 1: this is not an nwipe log/) });
		expect(failure('\n\n').message).toBe('the file is empty');
		expect(failure('[2024/01/01 00:00:00]    info: nwipe 0.35\n\u0000\u0001').message).toMatch(/^line 2: this is binary data/);
	});

	it('cut short: before the summary, inside the Drive Status table', () => {
		const beforeSummary = lines.slice(0, lineOf('Error Summary') - 2).join('\n');
		expect(failure(beforeSummary).message).toMatch(/ends before nwipe’s summary tables/);
		const row = lineOf('|-FAILED-|');
		expect(failure(lines.slice(0, row).join('\n')).message).toBe(`line ${row}: the log ends inside the Drive Status table`);
	});

	it('a changed row names its line', () => {
		const row = lineOf('|-FAILED-|');
		const changed = [...lines];
		changed[row - 1] = changed[row - 1].replace('ZFL4N1QX', 'ZFL4N1QY');
		expect(failure(changed.join('\n')).message).toMatch(new RegExp(`^line ${row}: the Drive Status row for /dev/sdb names “ST2000DM008-2FR10/ZFL4N1QY”, but the drive was found as “ST2000DM008-2FR102” with serial “ZFL4N1QX” \\(line \\d+\\)$`));
		changed[row - 1] = lines[row - 1].replace('-FAILED-', 'PARTIAL!');
		expect(failure(changed.join('\n')).message).toBe(`line ${row}: unknown drive status “PARTIAL!” (nwipe writes Erased, -FAILED-, UABORTED or INSANITY)`);
		const errRow = lineOf('!      sdb |           1 |');
		const broken = [...lines];
		broken[errRow - 1] = '!      sdb |   one error |';
		expect(failure(broken.join('\n')).message).toMatch(new RegExp(`^line ${errRow}: a row of the Error Summary table does not have nwipe’s layout`));
		const total = lineOf('Total Throughput');
		const otherMethod = [...lines];
		otherMethod[total - 1] = lines[total - 1].replace('PRNG Stream', 'Gutmann Wipe');
		expect(failure(otherMethod.join('\n')).message).toBe(`line ${total}: the Total Throughput line names method “Gutmann Wipe”, the options block “PRNG Stream”`);
	});

	it('a drive in the tables that the log never found; a summary from nwipe before 0.34', () => {
		const noFound = lines.filter((l) => !l.includes('Found /dev/sdc')).join('\n');
		expect(failure(noFound).message).toMatch(/drive “sdc” has no “Found \/dev\/sdc, …” line earlier in the log/);
		const old = ['[2021/05/02 10:00:00]    info: nwipe 0.30', '[2021/05/02 10:00:01]  notice: Program options are set as follows...', '[2021/05/02 10:00:01]  notice:   method   = DoD Short', '', '! Device | Status | Thru-put | HH:MM:SS | Model/Serial Number'].join('\n');
		expect(failure(old).message).toBe('line 5: this summary table is from nwipe before 0.34, which has no Error Summary; WipeCert reads logs of nwipe 0.34 and later');
	});
});
