/**
 * Realistic erasure reports for agent-sim, demos, benchmarks and tests: real
 * vendor/model lines and their serial formats, media types with the techniques
 * that fit them (NIST SP 800-88 Rev. 2 Table A / IEEE 2883), and now and then a
 * result with warnings (HPA/DCO found and removed, remapped sectors).
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { ErasureReport } from '#lib/server/records';

type Model = { type: ErasureReport['device']['type']; iface: ErasureReport['device']['interface']; manufacturer: string; model: string; capacities: number[]; serial: () => string; firmware: string[] };

const GB = 1_000_000_000;
const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)];
const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');
const UP = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIG = '0123456789';
const ALNUM = UP + DIG;

const MODELS: Model[] = [
	{ type: 'HDD', iface: 'SATA', manufacturer: 'Seagate', model: 'ST2000DM008', capacities: [2000 * GB], serial: () => `ZFL${chars(ALNUM, 5)}`, firmware: ['0001', 'DB01'] },
	{ type: 'HDD', iface: 'SATA', manufacturer: 'Western Digital', model: 'WD10EZEX-08WN4A0', capacities: [1000 * GB], serial: () => `WD-WCC${chars(ALNUM, 9)}`, firmware: ['01.01A01'] },
	{ type: 'HDD', iface: 'SAS', manufacturer: 'HGST', model: 'HUH721212AL5200', capacities: [12000 * GB], serial: () => `8D${chars(ALNUM, 6)}`, firmware: ['A3Z4', 'A925'] },
	{ type: 'HDD', iface: 'SATA', manufacturer: 'Toshiba', model: 'MG08ACA16TE', capacities: [16000 * GB], serial: () => `${chars(DIG, 2)}${chars(ALNUM, 2)}A0${chars(ALNUM, 4)}VGG`, firmware: ['0102'] },
	{ type: 'SSD', iface: 'SATA', manufacturer: 'Samsung', model: 'MZ-77E500 (870 EVO)', capacities: [500 * GB, 1000 * GB], serial: () => `S6P${chars(ALNUM, 2)}NX0${chars(ALNUM, 6)}`, firmware: ['SVT01B6Q', 'SVT02B6Q'] },
	{ type: 'SSD', iface: 'SATA', manufacturer: 'Crucial', model: 'CT1000MX500SSD1', capacities: [1000 * GB], serial: () => `${chars(DIG, 4)}E${chars(DIG, 7)}`, firmware: ['M3CR045', 'M3CR046'] },
	{ type: 'SSD', iface: 'SATA', manufacturer: 'Intel', model: 'SSDSC2KB480G8', capacities: [480 * GB], serial: () => `PHYF${chars(DIG, 6)}${chars(ALNUM, 8)}`, firmware: ['XCV10132'] },
	{ type: 'NVMe', iface: 'NVMe', manufacturer: 'Samsung', model: 'MZVL2512HCJQ (PM9A1)', capacities: [512 * GB], serial: () => `S64K${chars(ALNUM, 2)}0R${chars(DIG, 6)}`, firmware: ['GXA7801Q'] },
	{ type: 'NVMe', iface: 'NVMe', manufacturer: 'SK hynix', model: 'HFS001TDE9X081N', capacities: [1024 * GB], serial: () => `CY0${chars(ALNUM, 2)}${chars(DIG, 9)}`, firmware: ['41002131'] },
	{ type: 'NVMe', iface: 'NVMe', manufacturer: 'Western Digital', model: 'WDS100T3X0C (SN750)', capacities: [1000 * GB], serial: () => `${chars(DIG, 6)}${chars(DIG, 6)}`, firmware: ['111110WD'] },
	{ type: 'NVMe', iface: 'NVMe', manufacturer: 'Micron', model: 'MTFDKBA512TFH', capacities: [512 * GB], serial: () => `${chars(DIG, 4)}${chars(ALNUM, 8)}`, firmware: ['P7MA002'] },
	{ type: 'USB', iface: 'USB', manufacturer: 'SanDisk', model: 'Ultra Flair SDCZ73-064G', capacities: [64 * GB], serial: () => chars(DIG, 20), firmware: ['1.00'] },
	{ type: 'USB', iface: 'USB', manufacturer: 'Kingston', model: 'DataTraveler Exodia DTX/128GB', capacities: [128 * GB], serial: () => `E0D55E${chars('0123456789ABCDEF', 18)}`, firmware: ['PMAP'] },
	{ type: 'SD', iface: 'SD', manufacturer: 'SanDisk', model: 'Extreme microSDXC SDSQXAV-128G', capacities: [128 * GB], serial: () => `0x${chars('0123456789abcdef', 8)}`, firmware: ['8.0'] },
	{ type: 'eMMC', iface: 'eMMC', manufacturer: 'Kingston', model: 'EMMC32G-TB29', capacities: [32 * GB], serial: () => `0x${chars('0123456789abcdef', 8)}`, firmware: ['0x0800000000000000'] }
];

const SITES = [
	{ site: 'Hamburg ITAD centre, bay 3', country: 'DE' },
	{ site: 'Rotterdam refurbishment line 2', country: 'NL' },
	{ site: 'Leeds asset recovery', country: 'GB' },
	{ site: 'Lyon data centre decommissioning', country: 'FR' },
	{ site: 'Austin reverse logistics', country: 'US' }
];
const OPERATORS = ['J. Novak', 'A. Okafor', 'M. Schneider', 'L. Dubois', 'S. Patel', 'K. Jansen', 'R. García'];
const HOSTS = [
	{ manufacturer: 'Dell', model: 'OptiPlex 7090' },
	{ manufacturer: 'HP', model: 'EliteBook 840 G8' },
	{ manufacturer: 'Lenovo', model: 'ThinkPad T14 Gen 2' },
	{ manufacturer: 'Supermicro', model: 'SYS-2029P-C1R' },
	{ manufacturer: 'Dell', model: 'PowerEdge R740' }
];

/** The sanitisation a device of this type gets (Purge where the device supports it, Clear otherwise). */
function sanitisation(type: Model['type']): ErasureReport['sanitisation'] {
	const tool = { name: 'WipeCert Agent', version: '2.4.1' };
	switch (type) {
		case 'HDD':
			return randomInt(4) === 0
				? { method: 'Purge', technique: 'ata_secure_erase', passes: 1, standard: 'NIST SP 800-88 Rev. 2', tool }
				: { method: 'Clear', technique: 'overwrite', passes: pick([1, 1, 3]), pattern: pick(['0x00', 'random', '0x00,0xFF,random']), standard: pick(['NIST SP 800-88 Rev. 2', 'IEEE 2883-2022']), tool };
		case 'SSD':
			return { method: 'Purge', technique: pick(['ata_enhanced_secure_erase', 'block_erase', 'crypto_erase'] as const), passes: 0, standard: pick(['NIST SP 800-88 Rev. 2', 'IEEE 2883-2022']), tool };
		case 'NVMe':
			return { method: 'Purge', technique: pick(['nvme_sanitize_block', 'nvme_sanitize_crypto', 'nvme_format'] as const), passes: 0, standard: 'IEEE 2883-2022', tool };
		default:
			// flash media without a sanitize command: overwrite is Clear only (SP 800-88 Table A-8)
			return { method: 'Clear', technique: 'overwrite', passes: 1, pattern: '0x00', standard: 'NIST SP 800-88 Rev. 2', tool };
	}
}

export function sampleReport(opts: { agentVersion?: string; warningRatio?: number } = {}): ErasureReport {
	const m = pick(MODELS);
	const s = sanitisation(m.type);
	const capacityBytes = pick(m.capacities);
	const hours = m.type === 'HDD' ? (capacityBytes / GB) * 0.0025 * Math.max(1, s.passes) : 0.05 + Math.random() * 0.2;
	const ended = new Date(Date.now() - randomInt(60_000, 3_600_000));
	const started = new Date(ended.getTime() - Math.round(hours * 3_600_000) - randomInt(30_000, 300_000));
	const warnings: ErasureReport['result']['warnings'] = [];
	if (Math.random() < (opts.warningRatio ?? 0.12)) {
		if (m.iface === 'SATA' && randomInt(2) === 0) warnings.push({ code: pick(['hpa_detected', 'dco_detected'] as const), message: 'Host protected area found (LBA 1953525168 of 1953525168+2048); removed before erasure and included in it.' });
		else warnings.push({ code: 'remapped_sectors', message: `${randomInt(1, 40)} reallocated sectors: remapped sectors cannot be overwritten by the host.` });
	}
	const site = pick(SITES);
	const host = pick(HOSTS);
	const sample = s.technique === 'overwrite' ? pick([10, 10, 100]) : 10;
	const report: ErasureReport = {
		schemaVersion: 1,
		reportId: randomUUID(),
		device: { type: m.type, manufacturer: m.manufacturer, model: m.model, serial: m.serial(), capacityBytes, interface: m.iface, firmware: pick(m.firmware) },
		sanitisation: s,
		verification: { method: sample === 100 ? 'full' : 'sample', samplePercent: sample, result: 'passed' },
		result: { status: warnings.length ? 'erased_with_warnings' : 'erased', warnings },
		startedAt: started.toISOString(),
		endedAt: ended.toISOString(),
		operator: { name: pick(OPERATORS), id: `op-${randomInt(100, 999)}` },
		location: site,
		assetTag: `AT-${randomInt(100000, 999999)}`,
		host: { hostname: `wipe-${site.country.toLowerCase()}-${randomInt(1, 40).toString().padStart(2, '0')}`, ...host, serial: chars(ALNUM, 7) },
		agent: { software: 'WipeCert Agent', version: opts.agentVersion ?? '2.4.1' },
		erasureLogSha256: createHash('sha256').update(randomBytes(64)).digest('hex')
	};
	if (m.type === 'HDD' || m.type === 'SSD' || m.type === 'NVMe') {
		report.smart = {
			overallHealth: 'passed',
			powerOnHours: randomInt(100, 45_000),
			reallocatedSectors: warnings.some((w) => w.code === 'remapped_sectors') ? randomInt(1, 40) : 0,
			temperatureCelsius: randomInt(25, 48),
			...(m.type !== 'HDD' ? { percentageUsed: randomInt(0, 60) } : {})
		};
	}
	return report;
}
