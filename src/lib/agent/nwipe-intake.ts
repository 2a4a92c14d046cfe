/**
 * `agent nwipe`: nwipe/ShredOS logs → one signed proof per drive, submitted as
 * an enrolled agent (RFC 9421) through /ingest/v1/proofs. The reports come
 * from proofs/nwipe (the same reader the dashboard upload uses); each is
 * signed with the agent key and sealed in an RFC 5083 AuthEnvelopedData to
 * the platform's proof-encryption certificate.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { buildProof } from '#lib/server/proofs/format';
import { NwipeLogError, parseNwipeLog, type NwipeRun } from '#lib/server/proofs/nwipe/parse';
import { nwipeReports, type DriveReport, type NwipeContext } from '#lib/server/proofs/nwipe/reports';
import { submitProof, waitForDecision, type AgentIdentity } from './client';

export type NwipeIntakeOptions = {
	logs: string[];
	pdfs: string[];
	operator: { name: string; id?: string };
	location: { site: string; country?: string };
	hostname?: string;
	utcOffset: string;
	software: { name: string; version: string };
	/** wait at most this long per proof for the platform's decision (0: do not wait) */
	waitMs: number;
	dryRun: boolean;
};

export type DriveOutcome = {
	log: string;
	device: string;
	model: string;
	serial: string;
	result: string;
	warnings: string[];
	publicId?: string;
	/** HTTP status of the submission (0: network) */
	httpStatus?: number;
	proofStatus?: string;
	rejectionCode?: string | null;
	certificateId?: string | null;
	error?: string;
};

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function readFile(path: string): Buffer {
	try {
		return readFileSync(path);
	} catch (error) {
		throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
}

/**
 * Parses every log and builds its reports before anything is submitted, so a
 * damaged log stops the run with its line and nothing half-sent. With several
 * logs, each PDF must name a drive's serial (nwipe's per-drive file names).
 */
export function reportsOfLogs(opts: Pick<NwipeIntakeOptions, 'logs' | 'pdfs' | 'operator' | 'location' | 'hostname' | 'utcOffset' | 'software'>): { log: string; reports: DriveReport[] }[] {
	const pdfs = opts.pdfs.map((p) => ({ name: basename(p), sha256: sha256(readFile(p)) }));
	const parsed = opts.logs.map((path) => {
		const bytes = readFile(path);
		let runs: NwipeRun[];
		try {
			runs = parseNwipeLog(new TextDecoder('utf-8').decode(bytes));
		} catch (error) {
			if (error instanceof NwipeLogError) throw new Error(`${path}: ${error.message}`);
			throw error;
		}
		return { path, bytes, runs };
	});
	return parsed.map(({ path, bytes, runs }) => {
		const serials = new Set(runs.flatMap((r) => r.drives.map((d) => d.serial.replace(/[^0-9A-Za-z]/g, '_'))));
		const mine = parsed.length === 1 ? pdfs : pdfs.filter((p) => [...serials].some((s) => p.name.includes(`_Serial_${s}`)));
		const ctx: NwipeContext = {
			logSha256: sha256(bytes),
			logName: basename(path),
			pdfs: mine,
			operator: opts.operator,
			location: opts.location,
			hostname: opts.hostname,
			utcOffset: opts.utcOffset,
			agent: { software: opts.software.name, version: opts.software.version }
		};
		try {
			return { log: path, reports: nwipeReports(runs, ctx) };
		} catch (error) {
			if (error instanceof NwipeLogError) throw new Error(`${path}: ${error.message}`);
			throw error;
		}
	});
}

/** Builds, submits and (optionally) follows one proof per drive; `print` gets one line per drive. */
export async function nwipeIntake(agent: AgentIdentity | null, opts: NwipeIntakeOptions, print: (line: string) => void): Promise<DriveOutcome[]> {
	const logs = reportsOfLogs(opts);
	if (opts.pdfs.length > 0 && logs.length > 1) {
		const used = new Set(logs.flatMap((l) => l.reports.flatMap((r) => (r.report.attachments ?? []).filter((a) => a.kind === 'tool_report_pdf').map((a) => a.name))));
		const unused = opts.pdfs.map((p) => basename(p)).filter((n) => !used.has(n));
		if (unused.length) throw new Error(`with several logs, each --pdf must be one of nwipe's per-drive reports (…_Serial_<serial>….pdf); not matched: ${unused.join(', ')}`);
	}
	const outcomes: DriveOutcome[] = [];
	for (const { log, reports } of logs) {
		for (const { drive, report } of reports) {
			const o: DriveOutcome = { log, device: drive.device, model: report.device.model, serial: report.device.serial, result: report.result.status, warnings: report.result.warnings.map((w) => w.code) };
			outcomes.push(o);
			if (!opts.dryRun && agent) {
				const der = buildProof({ report, agentKey: agent.key, agentCert: agent.certificate, encryptionCert: agent.proofEncryptionCertificate });
				const sent = await submitProof(agent, der);
				Object.assign(o, { httpStatus: sent.status, publicId: sent.publicId, ...(sent.error ? { error: `${sent.error}: ${sent.message ?? ''}`.trim() } : {}) });
				if (sent.publicId && opts.waitMs > 0) {
					const s = await waitForDecision(agent, sent.publicId, opts.waitMs);
					Object.assign(o, { proofStatus: s.status, rejectionCode: s.rejectionCode, certificateId: s.certificateId });
				}
			}
			const where = o.publicId ? ` → ${o.publicId}${o.proofStatus ? ` ${o.proofStatus}` : ''}${o.rejectionCode ? ` (${o.rejectionCode})` : ''}${o.certificateId ? ` certificate ${o.certificateId}` : ''}` : o.error ? ` → refused: ${o.error}` : '';
			print(`${basename(log)} ${drive.device} ${report.device.model} ${report.device.serial}: ${report.result.status}${o.warnings.length ? ` [${o.warnings.join(', ')}]` : ''}${where}`);
		}
	}
	return outcomes;
}
