import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../tests/helpers/db';
import type { Database } from '../db/client';
import { appendLeaves } from '../log';
import { createKeyringSigner, type KeyringSigner } from '../signer';
import { createFsStore } from '../storage/fs';
import { ensureDevTenants } from '../tenancy';
import { certificateEntry } from '#lib/verifier/entry';
import { verifyCertificatePdf, type VerificationKeys } from '#lib/verifier';
import { recordSha256 } from '#lib/server/records';
import { renderCertificatePdfs, type PdfDeps } from './issue-pdf';
import { sampleRecord } from './sample';
import type { Certificate } from './schema';

/**
 * A batch's PDFs: laid out first, their digests signed under one key lease,
 * then stored; each one a valid certificate. Real keyring, log, storage and
 * PostgreSQL; the certificates are the fields issuance hands over.
 */
const run = promisify(execFile);
let dir: string;
let t: { database: Database; drop(): Promise<void> };
let signer: KeyringSigner;
let keys: VerificationKeys;
const leases: string[] = [];
let certs: Certificate[];

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'wipecert-issue-pdf-'));
	signer = await createKeyringSigner(join(dir, 'keys'), { keys: 3, batchSize: 10, noteKeyName: 'wipecert.test/log', onLease: (e) => leases.push(`${e.type}:${e.keyId}`) });
	keys = await signer.publicKeys();
	t = await createTestDatabase();
	const { acme } = await ensureDevTenants(t.database.db);
	const records = ['wc_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'wc_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'wc_cccccccccccccccccccccccccc'].map((id) => sampleRecord(id));
	await appendLeaves({ db: t.database.db, origin: 'wipecert.test/log', signNote: (b) => signer.signNote(b) }, records.map((r) => certificateEntry(r.certificateId, recordSha256(r))));
	certs = records.map((record, i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, publicId: record.certificateId, tenantId: acme, record, logIndex: i, recordSha256: recordSha256(record) }) as unknown as Certificate);
});
afterAll(async () => {
	await signer?.close();
	await t?.drop();
	rmSync(dir, { recursive: true, force: true });
});

const deps = (signerFor: PdfDeps['signer'], root: string): PdfDeps => ({ db: t.database.db, storage: createFsStore(root), signer: signerFor, origin: 'https://wipecert.test' });

describe('rendering the PDFs of a batch', () => {
	it('signs them all under one key lease, and each is a valid certificate', async () => {
		const store = join(dir, 'one-lease');
		leases.length = 0;
		const stored = await renderCertificatePdfs(deps(signer, store), certs);
		expect(leases).toHaveLength(2);
		expect(leases[0]).toMatch(/^acquire:rk-00\d$/);
		expect(leases[1]).toBe(leases[0].replace('acquire', 'release'));
		for (const c of certs) {
			const pdf = (await createFsStore(store).getBytes(stored.get(c.id)!))!;
			const v = await verifyCertificatePdf(pdf, keys);
			expect(v, c.publicId).toMatchObject({ valid: true, publicId: c.publicId });
			const file = join(dir, `${c.publicId}.pdf`);
			writeFileSync(file, pdf);
			const report = await run('pdfsig', [file]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
			expect(report.stdout).toMatch(/Signature Validation: Signature is Valid\./);
		}
	});

	it('asks a signer without the batch call once per PDF, with the same result', async () => {
		const store = join(dir, 'per-pdf');
		leases.length = 0;
		const stored = await renderCertificatePdfs(deps({ signPdfDigest: (d) => signer.signPdfDigest(d) }, store), certs);
		expect(leases.filter((l) => l.startsWith('acquire'))).toHaveLength(certs.length);
		for (const c of certs) expect((await verifyCertificatePdf((await createFsStore(store).getBytes(stored.get(c.id)!))!, keys)).valid).toBe(true);
	});
});
