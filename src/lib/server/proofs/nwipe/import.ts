/**
 * `POST /api/v1/proofs/nwipe-logs`: nwipe logs uploaded by a signed-in
 * operator become one operator-attested proof per drive (source `nwipe-log`).
 * Each log is read here to answer at once which drives it holds and what the
 * log supports for each; a log that cannot be read is refused on its own with
 * the line. The attestation documents are stored first, then every proof is
 * registered and queued in one transaction (Idempotency-Key: the whole answer).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import { z } from 'zod';
import { canonicalJson } from '#lib/server/records';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, runIdempotent, type IdempotentOutcome } from '#lib/server/idempotency';
import type { ObjectStore } from '#lib/server/storage';
import { registerProofs, sha256Hex, type StoredProof } from '../submission';
import type { SubmitContext } from '../submit';
import { attestationsOf, type NwipeAttestation } from './attestation';
import { NwipeLogError } from './parse';
import type { ProofStatus } from '../schema';

export type NwipeUpload = { logs: { name: string; bytes: Buffer }[]; pdfs: { name: string; bytes: Buffer }[]; fields: Record<string, string> };

export type UploadLimits = { fileMaxBytes: number; totalMaxBytes: number; maxFiles: number };

/** Reads the multipart body: parts `log` and `pdf` (files), and the form fields. Bounded: each file, the whole body and the file count. */
export async function readNwipeUpload(request: Request, limits: UploadLimits): Promise<NwipeUpload> {
	const type = request.headers.get('content-type') ?? '';
	if (!type.toLowerCase().startsWith('multipart/form-data')) throw new ApiError('unsupported_media_type', 'Send multipart/form-data: parts `log` (nwipe logs), `pdf` (optional) and `attest=true`.');
	const declared = Number(request.headers.get('content-length') ?? NaN);
	if (Number.isFinite(declared) && declared > limits.totalMaxBytes) throw new ApiError('payload_too_large', `The upload is larger than ${limits.totalMaxBytes} bytes.`);
	if (!request.body) throw new ApiError('bad_request', 'The upload is empty.');
	let bb: busboy.Busboy;
	try {
		bb = busboy({ headers: { 'content-type': type }, limits: { fileSize: limits.fileMaxBytes, files: limits.maxFiles, fieldSize: 1024, fields: 20 } });
	} catch {
		throw new ApiError('bad_request', 'The multipart body has no boundary.');
	}
	const upload: NwipeUpload = { logs: [], pdfs: [], fields: {} };
	let failure: ApiError | null = null;
	let total = 0;
	bb.on('file', (field, stream, info) => {
		const chunks: Buffer[] = [];
		stream.on('data', (c: Buffer) => {
			total += c.length;
			if (total > limits.totalMaxBytes) failure ??= new ApiError('payload_too_large', `The upload is larger than ${limits.totalMaxBytes} bytes.`);
			else chunks.push(c);
		});
		stream.on('limit', () => (failure ??= new ApiError('payload_too_large', `“${info.filename}” is larger than ${limits.fileMaxBytes} bytes (PROOF_MAX_BYTES).`)));
		stream.on('end', () => {
			const file = { name: (info.filename || `${field}-${upload.logs.length + upload.pdfs.length + 1}`).split(/[\\/]/).pop()!.slice(0, 255), bytes: Buffer.concat(chunks) };
			if (field === 'log') upload.logs.push(file);
			else if (field === 'pdf') upload.pdfs.push(file);
			else failure ??= new ApiError('bad_request', `Unknown file part “${field}”: send logs as \`log\` and nwipe's PDFs as \`pdf\`.`);
		});
	});
	bb.on('field', (name, value) => (upload.fields[name] = value));
	bb.on('filesLimit', () => (failure ??= new ApiError('payload_too_large', `At most ${limits.maxFiles} files per upload.`)));
	// busboy's 'close' (every part parsed) comes after the body ends; pipeline rejects when either side fails
	const parsed = new Promise<void>((resolve, reject) => {
		bb.once('close', resolve);
		bb.once('error', reject);
	});
	try {
		await pipeline(Readable.fromWeb(request.body as NodeReadableStream), bb);
		await parsed;
	} catch (error) {
		throw new ApiError('bad_request', `The multipart body is malformed: ${(error as Error).message}.`);
	}
	if (failure) throw failure;
	return upload;
}

const fields = z.object({
	attest: z.literal('true', { error: 'confirm that you attest these logs (attest=true)' }),
	site: z.string().trim().min(1).max(200).optional(),
	country: z
		.string()
		.regex(/^[A-Z]{2}$/, 'two capital letters (ISO 3166 alpha-2)')
		.optional(),
	hostname: z.string().trim().min(1).max(253).optional(),
	utcOffset: z
		.string()
		.regex(/^[+-](0\d|1[0-4]):[0-5]\d$/, '±HH:MM')
		.default('+00:00')
});

export type ImportedDrive = { device: string; model: string; serial: string; result: 'erased' | 'erased_with_warnings' | 'failed'; warnings: string[]; publicId?: string; status?: ProofStatus; duplicate?: boolean };
export type ImportedLog = { name: string; sha256?: string; nwipeVersion?: string | null; drives: ImportedDrive[]; error?: { code: 'nwipe_log_invalid'; message: string } };

/** Object key of an attestation document: by tenant and content hash, like a .der proof. */
export const attestationObjectKey = (tenantId: string, sha256: string) => `proofs/${tenantId}/${sha256.slice(0, 2)}/${sha256}.json`;

async function storeAttestation(storage: ObjectStore, tenantId: string, bytes: Buffer): Promise<StoredProof> {
	const sha256 = sha256Hex(bytes);
	const key = attestationObjectKey(tenantId, sha256);
	try {
		await storage.put(key, bytes, { contentType: 'application/json' });
	} catch {
		throw new ApiError('service_unavailable', 'Proof storage is unavailable; retry later.', undefined, { 'retry-after': '5' });
	}
	return { tenantId, sha256, key, size: bytes.byteLength };
}

/** The name an attestation shows publicly: a person's name, never their e-mail address. */
export function attestingName(displayName: string | undefined, fallback: string): string {
	const name = (displayName ?? '').trim();
	if (!name) return fallback;
	return name.includes('@') ? name.slice(0, name.indexOf('@')) : name.slice(0, 200);
}

export type ImportedBy = {
	tenantId: string;
	/** the signed-in person who attests */
	user: { id: string; name: string };
	scope: string;
	software: { name: string; version: string };
};

export async function importNwipeLogs(ctx: SubmitContext, http: { request: Request; url: URL }, by: ImportedBy, upload: NwipeUpload): Promise<IdempotentOutcome> {
	const parsed = fields.safeParse(upload.fields);
	if (!parsed.success) throw new ApiError('validation_failed', undefined, parsed.error.issues.map((i) => ({ field: i.path.join('.'), problem: i.message })));
	if (!upload.logs.length) throw new ApiError('bad_request', 'Attach at least one nwipe log as a `log` part.');
	const f = parsed.data;
	const context: NwipeAttestation['context'] = {
		site: f.site ?? 'not stated',
		...(f.country ? { country: f.country } : {}),
		...(f.hostname ? { hostname: f.hostname } : {}),
		utcOffset: f.utcOffset,
		software: by.software
	};
	const pdfs = upload.pdfs.map((p) => ({ name: p.name, sha256: sha256Hex(p.bytes) }));
	const logs: ImportedLog[] = [];
	const docs: { log: number; drive: number; bytes: Buffer }[] = [];
	const usedPdfs = new Set<string>();
	for (const log of upload.logs) {
		const entry: ImportedLog = { name: log.name, sha256: sha256Hex(log.bytes), drives: [] };
		logs.push(entry);
		try {
			const bare = attestationsOf({ operatorName: by.user.name, log, pdfs: [], context });
			// with several logs, a PDF belongs to the log whose drive it names (nwipe's per-drive file names)
			const serials = bare.map((a) => `_Serial_${a.doc.drive.serial.replace(/[^0-9A-Za-z]/g, '_')}`);
			const mine = upload.logs.length === 1 ? pdfs : pdfs.filter((p) => serials.some((s) => p.name.includes(s)));
			const made = mine.length ? attestationsOf({ operatorName: by.user.name, log, pdfs: mine, context }) : bare;
			for (const p of mine) usedPdfs.add(p.name);
			entry.nwipeVersion = made[0]?.report.sanitisation.tool.version ?? null;
			for (const m of made) {
				entry.drives.push({ device: m.device, model: m.report.device.model, serial: m.report.device.serial, result: m.report.result.status, warnings: m.report.result.warnings.map((w) => w.code) });
				docs.push({ log: logs.length - 1, drive: entry.drives.length - 1, bytes: m.bytes });
			}
		} catch (error) {
			if (!(error instanceof NwipeLogError)) throw error;
			entry.error = { code: 'nwipe_log_invalid', message: error.message };
		}
	}
	const unused = pdfs.filter((p) => !usedPdfs.has(p.name));
	if (unused.length && logs.some((l) => !l.error)) {
		throw new ApiError('validation_failed', undefined, unused.map((p) => ({ field: 'pdf', problem: `“${p.name}” names no drive of these logs (nwipe names each drive's PDF …_Serial_<serial>….pdf)` })));
	}
	const stored = await Promise.all(docs.map((d) => storeAttestation(ctx.storage, by.tenantId, d.bytes)));
	const requestHash = hashRequest(canonicalJson({ logs: upload.logs.map((l) => sha256Hex(l.bytes)), pdfs, fields: f }));
	return runIdempotent(ctx.db, http, { scope: by.scope, requestHash, settings: ctx.idempotency }, async (tx) => {
		const accepted = await registerProofs(
			tx,
			ctx.queue,
			docs.map((d, k) => ({
				stored: stored[k],
				meta: { source: 'nwipe-log' as const, submitter: { kind: 'user' as const, id: by.user.id }, filename: `${logs[d.log].name} ${logs[d.log].drives[d.drive].device}` }
			}))
		);
		docs.forEach((d, k) => Object.assign(logs[d.log].drives[d.drive], { publicId: accepted[k].publicId, status: accepted[k].status, duplicate: accepted[k].duplicate }));
		const refused = logs.filter((l) => l.error).length;
		return { status: 202, body: { logs, accepted: accepted.length, failed: refused } };
	});
}
