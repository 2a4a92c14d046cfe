import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../../tests/helpers/container';
import { ANONYMISED, anonymiseCertificateRecords, exportCertificates, listCertificates } from '#lib/server/certificates';
import type { Container } from '#lib/server/container';
import { runVerify } from '#lib/verifier/cli';
import { ApiError } from '#lib/server/http/errors';
import { grantLicences } from '#lib/server/licences';
import { logOrigin } from '#lib/server/log';
import type { CertificateRecord } from '#lib/server/records';
import { publicCertificate } from '#lib/server/verification';
import { ensureDevTenants } from '#lib/server/tenancy';
import { createLogger } from '#lib/server/telemetry/logger';
import { createPipeline, processBatch, type PipelineContext } from '../pipeline';
import { listProofs } from '../queries';
import { registerProof } from '../submission';
import { submitContext } from '../submit';
import { attestationObjectKey, importNwipeLogs, readNwipeUpload, type NwipeUpload } from './import';

/**
 * nwipe logs uploaded by an operator, through the real proof pipeline: the
 * real database, pg-boss, object storage and in-process keyring (HMAC, receipts,
 * transparency log, PAdES PDF). The certificate says the report was attested
 * by that operator and signed by no agent, in the record, the API, the export
 * and the public answer.
 */
let env: Awaited<ReturnType<typeof startTestContainer>>;
let p: Container;
let acme: string;
let ctx: PipelineContext;
const fixture = (name: string) => readFileSync(`tests/fixtures/nwipe/${name}`);
const http = () => ({ request: new Request('http://localhost/api/v1/proofs/nwipe-logs', { method: 'POST' }), url: new URL('http://localhost/api/v1/proofs/nwipe-logs') });
const software = { name: 'WipeCert nwipe log import', version: 'test' };
const otto = { id: '00000000-0000-4000-8000-0000000000a1', name: 'Otto Acme' };
const importAs = (user: { id: string; name: string }, upload: NwipeUpload) => importNwipeLogs(submitContext(p, p.database.db), http(), { tenantId: acme, user, scope: `t:${acme}:user:${user.id}`, software }, upload);
const drain = async () => {
	for (let r = await processBatch(ctx, 'w1'); r.claimed; r = await processBatch(ctx, 'w1'));
};
const proofRow = async (publicId: string) => (await p.database.sql<{ status: string; rejection_code: string | null; agent_id: string | null; source: string }[]>`select status, rejection_code, agent_id, source from proofs where public_id = ${publicId}`)[0];

type Imported = { logs: { name: string; error?: { code: string; message: string }; drives: { device: string; result: string; warnings: string[]; publicId?: string; duplicate?: boolean }[] }[]; accepted: number; failed: number };

beforeAll(async () => {
	env = await startTestContainer();
	p = env.app;
	acme = (await ensureDevTenants(p.database.db)).acme;
	const admin = { actor: { kind: 'user', id: 'admin', role: 'platform_admin' }, correlationId: 't', sourceIp: null };
	await p.database.db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: acme, kind: 'grant', amount: 20, reason: 'test' }, admin));
	ctx = createPipeline({
		db: p.database.db,
		queue: p.queue,
		storage: p.storage,
		log: createLogger('silent'),
		signer: () => p.signer(),
		issuance: { origin: p.config.origin, logOrigin: logOrigin(p.config) },
		settings: { batchSize: 10, claimTimeoutSeconds: 60, retryBaseDelay: 30, retryMaxDelay: 600, retryLimit: 3, anchor: false, notify: false }
	});
}, 120_000);
afterAll(async () => env?.stop());

describe('nwipe logs uploaded by an operator → operator-attested certificates', () => {
	let first: Imported;

	it('one proof per drive, read at once; a log that is not nwipe’s is refused on its own with the line', async () => {
		const outcome = await importAs(otto, {
			logs: [
				{ name: 'nwipe_log_20240603-091452.txt', bytes: fixture('shredos-0.37-three-drives-one-failed.txt') },
				{ name: 'notes.txt', bytes: Buffer.from('Bay 3, Monday: three drives\n') }
			],
			pdfs: [{ name: 'nwipe_report_2024-06-03-11-15-26_Model_Samsung_SSD_870_EVO_500GB_Serial_S6PXNM0T402871W.pdf', bytes: Buffer.from('%PDF-1.4 nwipe') }],
			fields: { attest: 'true', site: 'Hamburg bay 3', country: 'DE', utcOffset: '+02:00' }
		});
		expect(outcome.status).toBe(202);
		first = outcome.body as Imported;
		expect(first.accepted).toBe(3);
		expect(first.failed).toBe(1);
		expect(first.logs[0].drives.map((d) => [d.device, d.result, d.warnings])).toEqual([
			['/dev/sda', 'erased', []],
			['/dev/sdb', 'failed', ['write_errors', 'coverage_short']],
			['/dev/sdc', 'erased_with_warnings', ['hidden_area_unknown']]
		]);
		expect(first.logs[1]).toMatchObject({ name: 'notes.txt', drives: [], error: { code: 'nwipe_log_invalid', message: expect.stringMatching(/^line 1: this is not an nwipe log/) } });
		for (const d of first.logs[0].drives) expect(await proofRow(d.publicId!)).toMatchObject({ status: 'RECEIVED', source: 'nwipe-log', agent_id: null });
	});

	it('the worker certifies them: the record names the attesting operator and no agent; the PDF carries the log’s and nwipe’s PDF hashes', async () => {
		await drain();
		const [sda] = first.logs[0].drives;
		expect(await proofRow(sda.publicId!)).toMatchObject({ status: 'CERTIFIED_NO_ANCHOR', agent_id: null });
		const [cert] = await p.database.sql<{ public_id: string; record: CertificateRecord; pdf_object_key: string }[]>`
			select c.public_id, c.record, c.pdf_object_key from certificates c join proofs pr on pr.id = c.proof_id where pr.public_id = ${sda.publicId!}`;
		expect(cert.record.agent).toBeUndefined();
		expect(cert.record.attestation).toEqual({ kind: 'operator', source: 'nwipe-log', operator: { name: 'Otto Acme' }, logSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
		const report = cert.record.report as { operator: { name: string }; location: { site: string }; startedAt: string; attachments: { kind: string; name?: string }[] };
		expect(report.operator.name).toBe('Otto Acme');
		expect(report.location.site).toBe('Hamburg bay 3');
		// the station's clock was UTC+2: nwipe's 09:16:26 is 07:16:26Z
		expect(report.startedAt).toBe('2024-06-03T07:16:26.000Z');
		expect(report.attachments.map((a) => a.kind)).toEqual(['erasure_log', 'tool_report_pdf']);
		const pdf = await p.storage.getBytes(cert.pdf_object_key);
		const file = join(env.dataDir, 'cert.pdf');
		writeFileSync(file, pdf!);
		const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
		expect(text).toContain('Imported from an nwipe log; attested by operator Otto Acme; not signed by an enrolled agent.');
		expect(text).toContain('PRNG Stream, 1 round, PRNG: Mersenne Twister, final blanking pass');
		expect(text).toContain(`SHA-256 of the tool’s PDF ${createHash('sha256').update('%PDF-1.4 nwipe').digest('hex')} nwipe_report_2024-06-03-11-15-26_Model_Samsung_SSD_870_EVO_500GB`);
		// offline, the verify CLI says it too
		const keys = join(env.dataDir, 'keys.json');
		writeFileSync(keys, JSON.stringify(await (await p.signer()).publicKeys()));
		let out = '';
		const io = { out: (x: string) => (out += x), err: (x: string) => (out += x), env: {}, readFile: async (f: string) => new Uint8Array(readFileSync(f)), exists: () => false };
		expect(await runVerify([file, '--keys', keys], io)).toBe(0);
		expect(out).toContain('attested   Imported from an nwipe log; attested by operator Otto Acme; not signed by an enrolled agent.');
		const pub = await publicCertificate(p.database, cert.public_id, { origin: 'http://localhost' });
		expect(pub.attestation).toEqual({ kind: 'operator', source: 'nwipe-log', operatorName: 'Otto Acme' });
	});

	it('lists, filters and exports tell operator-attested certificates from agent-signed ones', async () => {
		const operator = await listCertificates(p.database.db, acme, { attestation: 'operator' }, 'http://localhost');
		expect(operator.items).toHaveLength(3);
		expect(operator.items.every((c) => c.attestation.kind === 'operator' && c.attestation.operatorName === 'Otto Acme')).toBe(true);
		expect((await listCertificates(p.database.db, acme, { attestation: 'agent' }, 'http://localhost')).items).toHaveLength(0);
		expect((await listProofs(p.database.db, acme, { attestation: 'operator' })).items.every((x) => x.attestation === 'operator' && x.source === 'nwipe-log')).toBe(true);
		expect((await listProofs(p.database.db, acme, { attestation: 'agent' })).items).toHaveLength(0);
		const csv = await new Response(exportCertificates(p.database.db, acme, { format: 'csv', attestation: 'operator' }, 'http://localhost')).text();
		const [header, ...rows] = csv.trim().split('\r\n');
		expect(header.split(',')).toContain('attestation');
		expect(rows).toHaveLength(3);
		for (const row of rows) expect(row).toContain(',operator,Otto Acme,');
	});

	it('the same upload again answers the same proofs; the same log from another person is a duplicate erasure', async () => {
		const again = (await importAs(otto, { logs: [{ name: 'nwipe_log_20240603-091452.txt', bytes: fixture('shredos-0.37-three-drives-one-failed.txt') }], pdfs: [{ name: 'nwipe_report_2024-06-03-11-15-26_Model_Samsung_SSD_870_EVO_500GB_Serial_S6PXNM0T402871W.pdf', bytes: Buffer.from('%PDF-1.4 nwipe') }], fields: { attest: 'true', site: 'Hamburg bay 3', country: 'DE', utcOffset: '+02:00' } })).body as Imported;
		expect(again.logs[0].drives.map((d) => [d.publicId, d.duplicate])).toEqual(first.logs[0].drives.map((d) => [d.publicId, true]));
		const vera = (await importAs({ id: '00000000-0000-4000-8000-0000000000b2', name: 'Vera Acme' }, { logs: [{ name: 'copy.txt', bytes: fixture('shredos-0.37-three-drives-one-failed.txt') }], pdfs: [], fields: { attest: 'true' } })).body as Imported;
		expect(vera.logs[0].drives.every((d) => d.duplicate === false)).toBe(true);
		await drain();
		for (const d of vera.logs[0].drives) expect(await proofRow(d.publicId!)).toMatchObject({ status: 'REJECTED', rejection_code: 'proof_duplicate' });
	});

	it('an attestation document changed in storage is refused by the worker, not certified', async () => {
		const [sda] = first.logs[0].drives;
		const key = (await p.database.sql<{ object_key: string }[]>`select object_key from proofs where public_id = ${sda.publicId!}`)[0].object_key;
		const stored = JSON.parse(Buffer.from((await p.storage.getBytes(key))!).toString('utf8')) as { log: { base64: string } };
		const log = Buffer.from(stored.log.base64, 'base64').toString('utf8').replace(' Erased ', '-FAILED-');
		const forged = Buffer.from(JSON.stringify({ ...stored, log: { ...stored.log, base64: Buffer.from(log).toString('base64') } }));
		const sha = createHash('sha256').update(forged).digest('hex');
		const forgedKey = attestationObjectKey(acme, sha);
		await p.storage.put(forgedKey, forged, { contentType: 'application/json' });
		const accepted = await p.database.db.transaction((tx) =>
			registerProof(tx, p.queue, { tenantId: acme, sha256: sha, key: forgedKey, size: forged.length }, { source: 'nwipe-log', submitter: { kind: 'user', id: otto.id } })
		);
		await drain();
		expect(await proofRow(accepted.publicId)).toMatchObject({ status: 'REJECTED', rejection_code: 'proof_malformed' });
	});

	it('anonymisation replaces the attesting operator’s name with the report’s operator and site', async () => {
		await anonymiseCertificateRecords(p.database.db, new Date(Date.now() + 60_000));
		const certs = await listCertificates(p.database.db, acme, { attestation: 'operator' }, 'http://localhost');
		expect(certs.items.length).toBeGreaterThan(0);
		for (const c of certs.items) expect(c.attestation).toEqual({ kind: 'operator', source: 'nwipe-log', operatorName: ANONYMISED });
		const [row] = await p.database.sql<{ record: CertificateRecord }[]>`select record from certificates where public_id = ${certs.items[0].publicId}`;
		expect(row.record.report).toMatchObject({ operator: { name: ANONYMISED }, location: { site: ANONYMISED } });
	});

	it('without the attestation, or with a bad offset: 422 naming the field', async () => {
		const upload = { logs: [{ name: 'a.txt', bytes: fixture('nwipe-0.35-single-hdd-dodshort.txt') }], pdfs: [] };
		const refused = async (fields: Record<string, string>) => {
			try {
				await importAs(otto, { ...upload, fields });
			} catch (error) {
				if (error instanceof ApiError) return { code: error.code, fields: error.details?.map((d) => d.field) };
				throw error;
			}
			throw new Error('accepted');
		};
		expect(await refused({})).toEqual({ code: 'validation_failed', fields: ['attest'] });
		expect(await refused({ attest: 'true', utcOffset: 'CET' })).toEqual({ code: 'validation_failed', fields: ['utcOffset'] });
	});

	it('reads the multipart form the dashboard sends, within its limits', async () => {
		const form = new FormData();
		form.append('log', new Blob([fixture('nwipe-0.35-single-hdd-dodshort.txt')]), 'nwipe_log.txt');
		form.append('pdf', new Blob([Buffer.from('%PDF')]), 'nwipe_report.pdf');
		form.append('attest', 'true');
		form.append('site', 'Leeds');
		const request = new Request('http://localhost/x', { method: 'POST', body: form });
		const upload = await readNwipeUpload(request, { fileMaxBytes: 1 << 20, totalMaxBytes: 1 << 22, maxFiles: 10 });
		expect(upload.logs.map((l) => [l.name, l.bytes.length])).toEqual([['nwipe_log.txt', fixture('nwipe-0.35-single-hdd-dodshort.txt').length]]);
		expect(upload.pdfs.map((f) => f.name)).toEqual(['nwipe_report.pdf']);
		expect(upload.fields).toEqual({ attest: 'true', site: 'Leeds' });
		const small = new Request('http://localhost/x', { method: 'POST', body: form });
		await expect(readNwipeUpload(small, { fileMaxBytes: 100, totalMaxBytes: 1 << 22, maxFiles: 10 })).rejects.toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('nwipe_log.txt') });
		const json = new Request('http://localhost/x', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
		await expect(readNwipeUpload(json, { fileMaxBytes: 100, totalMaxBytes: 100, maxFiles: 10 })).rejects.toMatchObject({ code: 'unsupported_media_type' });
	});
});
