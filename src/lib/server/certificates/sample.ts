import type { ErasureReport } from '#lib/server/records';
import type { CertificateRecord } from '#lib/server/records';

/**
 * A realistic certificate record (tests, the handbook's example rendering):
 * an NVMe drive purged with warnings, operator and site with umlauts.
 */
export function sampleRecord(publicId: string, over: Partial<{ status: ErasureReport['result']['status']; issuer: string }> = {}): CertificateRecord {
	const status = over.status ?? 'erased_with_warnings';
	const report: ErasureReport = {
		schemaVersion: 1,
		reportId: '8d6f1c2e-4b3a-4f5e-9a7b-1c2d3e4f5a6b',
		device: { type: 'NVMe', manufacturer: 'Samsung', model: 'MZ-V8V500 (970 EVO Plus)', serial: 'S4EVNF0M123456X', capacityBytes: 500107862016, interface: 'NVMe', firmware: '2B2QEXM7' },
		sanitisation: { method: 'Purge', technique: 'nvme_sanitize_crypto', passes: 0, standard: 'NIST SP 800-88 Rev. 2', tool: { name: 'nvme-cli', version: '2.8' } },
		verification: { method: 'full', samplePercent: 100, result: 'passed' },
		result: {
			status,
			warnings:
				status === 'erased_with_warnings'
					? [
							{ code: 'remapped_sectors', message: 'SMART: 12 reallocated sectors reported before erasure' },
							{ code: 'hpa_detected', message: 'A host protected area was present and removed before sanitisation' }
						]
					: []
		},
		startedAt: '2025-11-25T09:58:03.000Z',
		endedAt: '2025-11-25T10:39:41.000Z',
		operator: { name: 'Jürgen Weiß', id: 'op-0042' },
		location: { site: 'Düsseldorf, Halle 3', country: 'DE' },
		assetTag: 'ACME-LT-004217',
		host: { hostname: 'wipe-station-03' },
		agent: { software: 'WipeCert Agent', version: '2.4.1' },
		erasureLogSha256: '3b7e1f0c9d8a2b6e5f4c3d2a1b0c9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a'
	};
	return {
		version: 1,
		certificateId: publicId,
		issuer: { tenant: 'acme', name: over.issuer ?? 'ACME Recycling GmbH' },
		issuedAt: '2025-11-25T10:42:17.000Z',
		proof: { id: 'prf_k2x7q4m5n6p7r2s3t4u5v6w7xa', sha256: '9f2c4b1e8a7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615e4d3', receivedAt: '2025-11-25T10:41:58.000Z' },
		agent: { certificateSerial: '5a1f03c2e9b8d7a6' },
		report
	};
}
