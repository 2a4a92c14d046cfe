/**
 * An operator-attested proof from an nwipe log (dashboard upload): no agent
 * signed it, so the proof object carries the evidence itself — the original
 * log (byte for byte, its SHA-256), which drive of it this proof is about,
 * the SHA-256 of nwipe's PDFs, and who attested it. The proof worker re-reads
 * the log to make the report, so what is certified is what the log says, not
 * what the upload claimed. The document is canonical JSON without a time: the
 * same upload by the same person is the same object (a `duplicate` at the door).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, erasureReport, type ErasureReport, type OperatorAttestation } from '#lib/server/records';
import { ProofRejection } from '../rejections';
import { NwipeLogError, parseNwipeLog } from './parse';
import { nwipeReports, type DriveReport } from './reports';

export const ATTESTATION_TYPE = 'wipecert.operator-attestation';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const text = (max: number) => z.string().min(1).max(max);

export const nwipeAttestation = z.strictObject({
	type: z.literal(ATTESTATION_TYPE),
	version: z.literal(1),
	source: z.literal('nwipe-log'),
	attestedBy: z.strictObject({ name: text(200) }),
	log: z.strictObject({ name: text(255), sha256: sha256Hex, base64: z.string().min(1) }),
	pdfs: z.array(z.strictObject({ name: text(255), sha256: sha256Hex })).max(50),
	/** the drive of the log: its run (line of the run's banner), device and serial */
	drive: z.strictObject({ run: z.number().int().positive(), device: text(100), serial: z.string().max(100) }),
	context: z.strictObject({
		site: text(200),
		country: z.string().regex(/^[A-Z]{2}$/).optional(),
		hostname: text(253).optional(),
		utcOffset: z.string().regex(/^[+-]\d{2}:\d{2}$/),
		software: z.strictObject({ name: text(100), version: text(50) })
	})
});
export type NwipeAttestation = z.infer<typeof nwipeAttestation>;

export type AttestationInput = {
	operatorName: string;
	log: { name: string; bytes: Uint8Array };
	pdfs: { name: string; sha256: string }[];
	context: NwipeAttestation['context'];
};

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function reportsFor(doc: Pick<NwipeAttestation, 'attestedBy' | 'log' | 'pdfs' | 'context'>, logBytes: Uint8Array): DriveReport[] {
	const runs = parseNwipeLog(new TextDecoder('utf-8').decode(logBytes));
	return nwipeReports(runs, {
		logSha256: doc.log.sha256,
		logName: doc.log.name,
		pdfs: doc.pdfs,
		operator: { name: doc.attestedBy.name },
		location: { site: doc.context.site, ...(doc.context.country ? { country: doc.context.country } : {}) },
		hostname: doc.context.hostname,
		utcOffset: doc.context.utcOffset,
		agent: { software: doc.context.software.name, version: doc.context.software.version }
	});
}

/**
 * One attestation document per drive of the log, with the report it makes
 * (for the upload's answer). Throws NwipeLogError for a log that cannot be read.
 */
export function attestationsOf(input: AttestationInput): { doc: NwipeAttestation; bytes: Buffer; report: ErasureReport; device: string }[] {
	const base = {
		type: ATTESTATION_TYPE,
		version: 1,
		source: 'nwipe-log',
		attestedBy: { name: input.operatorName },
		log: { name: input.log.name, sha256: sha256(input.log.bytes), base64: Buffer.from(input.log.bytes).toString('base64') },
		pdfs: input.pdfs,
		context: input.context
	} as const;
	return reportsFor(base, input.log.bytes).map(({ run, drive, report }) => {
		const doc: NwipeAttestation = { ...base, pdfs: [...base.pdfs], drive: { run: run.lines.first, device: drive.device, serial: drive.serial } };
		return { doc, bytes: Buffer.from(canonicalJson(doc), 'utf8'), report, device: drive.device };
	});
}

/** What the proof worker gets from an attested proof: the report, its duplicate key, and who attested it. */
export type AttestedProof = { report: ErasureReport; canonicalReport: Uint8Array; attestation: OperatorAttestation };

/**
 * The proof worker's opening of an nwipe attestation: the document, the
 * embedded log against its SHA-256, the log re-read, the drive's report
 * against the report schema. The duplicate key is the report id, which names
 * the drive of the log: the same erasure uploaded again, by anyone, with other
 * site or clock settings, is still the same erasure (`proof_duplicate`).
 */
export function openNwipeAttestation(bytes: Uint8Array): AttestedProof {
	let doc: NwipeAttestation;
	try {
		const parsed = nwipeAttestation.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
		if (!parsed.success) throw new Error(`${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
		doc = parsed.data;
	} catch (error) {
		throw new ProofRejection('proof_malformed', `not an nwipe attestation document: ${(error as Error).message}`);
	}
	const log = Buffer.from(doc.log.base64, 'base64');
	if (sha256(log) !== doc.log.sha256) throw new ProofRejection('proof_malformed', 'the embedded nwipe log does not match its SHA-256');
	let reports: DriveReport[];
	try {
		reports = reportsFor(doc, log);
	} catch (error) {
		if (error instanceof NwipeLogError) throw new ProofRejection('report_schema_invalid', `the nwipe log cannot be read: ${error.message}`);
		throw error;
	}
	const mine = reports.find((r) => r.run.lines.first === doc.drive.run && r.drive.device === doc.drive.device && r.drive.serial === doc.drive.serial);
	if (!mine) throw new ProofRejection('report_schema_invalid', `the nwipe log has no drive ${doc.drive.device} (${doc.drive.serial}) in the run at line ${doc.drive.run}`);
	const parsed = erasureReport.safeParse(mine.report);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new ProofRejection('report_schema_invalid', `${issue.path.join('.') || '(report)'}: ${issue.message}`);
	}
	return {
		report: parsed.data,
		canonicalReport: Buffer.from(canonicalJson({ source: 'nwipe-log', reportId: parsed.data.reportId }), 'utf8'),
		attestation: { kind: 'operator', source: 'nwipe-log', operator: { name: doc.attestedBy.name }, logSha256: doc.log.sha256 }
	};
}
