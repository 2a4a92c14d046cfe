/**
 * Erasure report, schema version 1: what an agent states about one
 * sanitisation, in the vocabulary of NIST SP 800-88 Rev. 2 (Clear / Purge /
 * Destroy, verification) and IEEE 2883-2022 (media types, techniques).
 * `static/schemas/erasure-report-v1.json` is generated from this schema
 * (`reportJsonSchema()`; a test keeps the two equal). Cross-field rules (end
 * after start, warnings exactly when erased_with_warnings) are checked here and
 * not expressible in the JSON Schema file.
 */
import { z } from 'zod';

/** A URN, not a URL: the schema is served by every instance at ORIGIN/schemas/erasure-report-v1.json. */
export const REPORT_SCHEMA_ID = 'urn:wipecert:erasure-report:v1';

const text = (max = 200) => z.string().min(1).max(max);
const datetime = z.iso.datetime({ offset: true });

export const DEVICE_TYPES = ['HDD', 'SSD', 'NVMe', 'USB', 'SD', 'eMMC', 'Hybrid', 'Tape', 'Optical', 'Mobile', 'Other'] as const;
export const INTERFACES = ['SATA', 'SAS', 'NVMe', 'PCIe', 'USB', 'SCSI', 'IDE', 'eMMC', 'SD', 'Other'] as const;
export const METHODS = ['Clear', 'Purge', 'Destroy'] as const;
export const TECHNIQUES = [
	'overwrite',
	'block_erase',
	'crypto_erase',
	'ata_secure_erase',
	'ata_enhanced_secure_erase',
	'nvme_format',
	'nvme_sanitize_block',
	'nvme_sanitize_crypto',
	'nvme_sanitize_overwrite',
	'scsi_sanitize',
	'degauss',
	'shred',
	'disintegrate',
	'pulverize',
	'incinerate'
] as const;
export const STANDARDS = ['NIST SP 800-88 Rev. 2', 'NIST SP 800-88 Rev. 1', 'IEEE 2883-2022', 'DIN 66399', 'HMG IS5', 'BSI-2011-VS', 'Other'] as const;
export const WARNING_CODES = [
	'hpa_detected',
	'dco_detected',
	'hidden_area_unknown',
	'coverage_short',
	'remapped_sectors',
	'pending_sectors',
	'smart_degraded',
	'verification_partial',
	'verification_only',
	'write_errors',
	'verification_errors',
	'aborted',
	'unsupported_command_fallback',
	'other'
] as const;
/** Hidden areas (ATA Host Protected Area / Device Configuration Overlay) as the erasure tool found them. */
export const HIDDEN_AREA_STATES = ['none', 'present', 'unknown', 'not_applicable'] as const;
export const ATTACHMENT_KINDS = ['erasure_log', 'tool_report_pdf'] as const;
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

export const deviceSchema = z
	.strictObject({
		type: z.enum(DEVICE_TYPES),
		manufacturer: text(),
		model: text(),
		serial: text(100),
		capacityBytes: z.number().int().positive(),
		interface: z.enum(INTERFACES),
		firmware: text(64).optional()
	})
	.meta({ description: 'The sanitised storage device.' });

export const reportSchema = z
	.strictObject({
		schemaVersion: z.literal(1),
		/** unique per erasure, chosen by the agent */
		reportId: z.uuid(),
		device: deviceSchema,
		sanitisation: z.strictObject({
			method: z.enum(METHODS).meta({ description: 'NIST SP 800-88 sanitisation category.' }),
			technique: z.enum(TECHNIQUES),
			passes: z.number().int().min(0).max(4096).meta({ description: 'Overwrite passes (0 for block, crypto or physical techniques).' }),
			pattern: text(100).optional(),
			standard: z.enum(STANDARDS),
			tool: z.strictObject({ name: text(100), version: text(50) }),
			toolMethod: text(100).optional().meta({ description: "The erasure tool's own name for its method, e.g. nwipe's `DoD Short`." }),
			rounds: z.number().int().min(1).max(100).optional().meta({ description: 'Times the tool repeated its method.' }),
			prng: text(100).optional().meta({ description: 'Pseudo-random generator of random passes.' }),
			blankingPass: z.boolean().optional().meta({ description: 'Whether a final zero (blanking) pass was written.' })
		}),
		verification: z.strictObject({
			method: z.enum(['full', 'sample', 'none']),
			samplePercent: z.number().min(0).max(100),
			result: z.enum(['passed', 'failed', 'not_performed'])
		}),
		result: z.strictObject({
			status: z.enum(['erased', 'erased_with_warnings', 'failed']),
			warnings: z.array(z.strictObject({ code: z.enum(WARNING_CODES), message: text(500) })).max(50)
		}),
		startedAt: datetime,
		endedAt: datetime,
		operator: z.strictObject({ name: text(), id: text(100).optional() }),
		location: z.strictObject({ site: text(), country: z.string().regex(/^[A-Z]{2}$/).optional() }),
		assetTag: text(100).optional(),
		host: z.strictObject({ hostname: text(253), manufacturer: text().optional(), model: text().optional(), serial: text(100).optional() }),
		agent: z.strictObject({ software: text(100), version: text(50) }),
		smart: z
			.strictObject({
				overallHealth: z.enum(['passed', 'failed', 'unknown']),
				powerOnHours: z.number().int().min(0).optional(),
				reallocatedSectors: z.number().int().min(0).optional(),
				pendingSectors: z.number().int().min(0).optional(),
				temperatureCelsius: z.number().int().min(-40).max(150).optional(),
				percentageUsed: z.number().int().min(0).max(255).optional()
			})
			.optional(),
		coverage: z
			.strictObject({ bytesErased: z.number().int().min(0), bytesExpected: z.number().int().positive() })
			.optional()
			.meta({ description: 'How much of the device the tool erased, against what it should have (including hidden areas it found).' }),
		throughputBytesPerSecond: z.number().min(0).optional(),
		durationSeconds: z.number().int().min(0).optional(),
		hiddenArea: z
			.strictObject({ state: z.enum(HIDDEN_AREA_STATES), detail: text(300).optional() })
			.optional()
			.meta({ description: 'HPA/DCO hidden sectors as the tool found them.' }),
		attachments: z
			.array(z.strictObject({ kind: z.enum(ATTACHMENT_KINDS), sha256: sha256Hex, name: text(255).optional() }))
			.max(20)
			.optional()
			.meta({ description: "SHA-256 of files kept beside the proof, e.g. the tool's own PDF report." }),
		erasureLogSha256: sha256Hex
	})
	.meta({ title: 'WipeCert erasure report v1', description: 'One device sanitisation, signed by an enrolled agent (NIST SP 800-88 Rev. 2, IEEE 2883).' });

export type ErasureReport = z.infer<typeof reportSchema>;

/** The schema with the rules JSON Schema cannot state. */
export const erasureReport = reportSchema.superRefine((r, ctx) => {
	if (Date.parse(r.endedAt) < Date.parse(r.startedAt)) ctx.addIssue({ code: 'custom', path: ['endedAt'], message: 'must not be before startedAt' });
	if (r.result.status === 'erased_with_warnings' && !r.result.warnings.length) {
		ctx.addIssue({ code: 'custom', path: ['result', 'warnings'], message: 'erased_with_warnings needs at least one warning' });
	}
	if (r.result.status === 'erased' && r.result.warnings.length) ctx.addIssue({ code: 'custom', path: ['result', 'warnings'], message: 'an erased result has no warnings (use erased_with_warnings)' });
	if (r.verification.method === 'sample' && r.verification.samplePercent <= 0) {
		ctx.addIssue({ code: 'custom', path: ['verification', 'samplePercent'], message: 'a sample verification reads more than 0 %' });
	}
});

/** JSON Schema (draft 2020-12) of the report, as published at REPORT_SCHEMA_ID. */
export function reportJsonSchema(): Record<string, unknown> {
	const { $schema, ...rest } = z.toJSONSchema(reportSchema) as Record<string, unknown>;
	return { $schema, $id: REPORT_SCHEMA_ID, ...rest };
}
