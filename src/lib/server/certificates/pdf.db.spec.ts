import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { startLocalTsa, type LocalTsa } from '../../../../tests/helpers/tsa';
import type { Database } from '../db/client';
import { appendLeaves } from '../log';
import { createKeyringSigner, type KeyringSigner } from '../signer';
import { verificationBundle } from './issue-pdf';
import { OID_SIGNATURE_TIMESTAMP, signPdf } from './pades';
import { buildCertificatePdf } from './pdf';
import { certificateEntry } from '#lib/verifier/entry';
import { canonicalRecordBytes, recordSha256, type CertificateRecord } from '#lib/server/records';
import { sampleRecord } from './sample';
import { runVerify } from '#lib/verifier/cli';
import { verifyCertificatePdf, type VerificationKeys } from '#lib/verifier';

const run = promisify(execFile);
const ORIGIN = 'https://wipecert.test';
let dir: string;
let signer: KeyringSigner;
let t: { database: Database; drop(): Promise<void> };
let tsa: LocalTsa;
let keys: VerificationKeys;
const records: CertificateRecord[] = [];

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'wipecert-pdf-'));
	signer = await createKeyringSigner(join(dir, 'keys'), { keys: 2, batchSize: 10, noteKeyName: 'wipecert.test/log' });
	keys = await signer.publicKeys();
	t = await createTestDatabase();
	tsa = await startLocalTsa();
	for (const id of ['wc_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'wc_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'wc_cccccccccccccccccccccccccc']) records.push(sampleRecord(id));
	records[2] = sampleRecord(records[2].certificateId, { status: 'erased' });
	// Greek is outside the per-process font subset: this certificate takes the full-font path
	records.push(sampleRecord('wc_dddddddddddddddddddddddddd', { issuer: 'Ανακύκλωση Αθηνών Α.Ε.' }));
	await appendLeaves({ db: t.database.db, origin: 'wipecert.test/log', signNote: (b) => signer.signNote(b) }, records.map((r) => certificateEntry(r.certificateId, recordSha256(r))));
	// a certificate logged before the entry encoding: its leaf is the record itself (bundle format 1)
	records.push(sampleRecord('wc_eeeeeeeeeeeeeeeeeeeeeeeeee'));
	await appendLeaves({ db: t.database.db, origin: 'wipecert.test/log', signNote: (b) => signer.signNote(b) }, [canonicalRecordBytes(records[4])]);
});
afterAll(async () => {
	await tsa?.close();
	await signer?.close();
	await t?.drop();
	rmSync(dir, { recursive: true, force: true });
});

async function render(record: CertificateRecord, o: { locale?: 'en' | 'de'; tsaUrl?: string; operator?: 'full' | 'initials' | 'none' } = {}) {
	const { bundle, checkpoint } = await verificationBundle(t.database.db, { publicId: record.certificateId, record }, ORIGIN);
	const doc = await buildCertificatePdf({ publicId: record.certificateId, locale: o.locale ?? 'en', issuerName: record.issuer.name, record, issuedAt: new Date(record.issuedAt), bundle, checkpoint, operator: o.operator });
	return signPdf(doc, { sign: (d) => signer.signPdfDigest(d), tsaUrl: o.tsaUrl, reason: 'test', name: 'WipeCert', date: new Date() });
}

async function pdfsig(pdf: Uint8Array): Promise<string> {
	const file = join(dir, `sig-${Math.random().toString(36).slice(2)}.pdf`);
	writeFileSync(file, pdf);
	// pdfsig exits non-zero for an untrusted issuer; its report is what we check
	const out = await run('pdfsig', [file]).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
	return out.stdout + out.stderr;
}

describe('certificate PDF', () => {
	it('is signed PAdES-B-B: pdfsig reports the signature valid, and the offline check agrees', async () => {
		const { pdf } = await render(records[0]);
		const report = await pdfsig(pdf);
		expect(report).toMatch(/Signature #1:/);
		expect(report).toMatch(/Signature Validation: Signature is Valid\./);
		expect(report).toMatch(/Signature Type: ETSI\.CAdES\.detached/);
		expect(report).toMatch(/Signed Ranges: \[0 - \d+\], \[\d+ - \d+\]/);
		expect(report).toMatch(/Total document signed/);
		const v = await verifyCertificatePdf(pdf, keys);
		expect(v).toMatchObject({ valid: true, failed: null, publicId: records[0].certificateId, leafIndex: 0, treeSize: 5, timestamped: false });
		expect(v.checks.map((c) => c.check)).toEqual(['signature', 'record', 'checkpoint', 'inclusion']);
	});

	it('a certificate whose leaf is its record (logged before the entry encoding) still renders and verifies, as bundle format 1', async () => {
		const { bundle } = await verificationBundle(t.database.db, { publicId: records[4].certificateId, record: records[4] }, ORIGIN);
		expect(bundle.format).toBe('wipecert-certificate-bundle/1');
		const v = await verifyCertificatePdf((await render(records[4])).pdf, keys);
		expect(v).toMatchObject({ valid: true, leafIndex: 4, treeSize: 5 });
		expect((await verificationBundle(t.database.db, { publicId: records[0].certificateId, record: records[0] }, ORIGIN)).bundle.format).toBe('wipecert-certificate-bundle/2');
	});

	it('renders in German with umlauts, the warnings and the full serial; the text is extractable', async () => {
		const { pdf } = await render(records[1], { locale: 'de', operator: 'full' });
		const file = join(dir, 'de.pdf');
		writeFileSync(file, pdf);
		const { stdout } = await run('pdftotext', ['-layout', file, '-']);
		expect(stdout).toContain('Zertifikat über die Datenlöschung');
		expect(stdout).toContain('GELÖSCHT MIT WARNUNGEN');
		expect(stdout).toContain('SMART: 12 reallocated sectors');
		expect(stdout).toContain('Düsseldorf, Halle 3');
		expect(stdout).toContain('NVMe Sanitize (Kryptolöschung)');
		expect(stdout).toContain('Jürgen Weiß');
		expect(stdout).toContain('S4EVNF0M123456X');
		expect(stdout).toContain('500,1 GB');
		expect(stdout).toContain(`${ORIGIN}/verify/${records[1].certificateId}`);
		await run('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', file, join(dir, 'page')]);
		expect(statSync(join(dir, 'page-1.png')).size).toBeGreaterThan(10_000);
		// the handbook's example rendering: WIPECERT_EXAMPLE_DIR=admin-docs/static/images npx vitest run this file
		if (process.env.WIPECERT_EXAMPLE_DIR) {
			const { pdf: en } = await render(records[1], { locale: 'en' });
			writeFileSync(join(dir, 'en.pdf'), en);
			await run('pdftoppm', ['-png', '-r', '110', '-f', '1', '-l', '1', '-singlefile', join(dir, 'en.pdf'), join(process.env.WIPECERT_EXAMPLE_DIR, 'certificate-example')]);
			await run('pdftoppm', ['-png', '-r', '110', '-f', '1', '-l', '1', '-singlefile', file, join(process.env.WIPECERT_EXAMPLE_DIR, 'certificate-example-de')]);
		}
	});

	it('shows of the operator what the tenant chose: nothing by default, the initials, or the full name', async () => {
		const text = async (operator?: 'full' | 'initials' | 'none') => {
			const file = join(dir, `operator-${operator ?? 'default'}.pdf`);
			writeFileSync(file, (await render(records[1], { operator })).pdf);
			return (await run('pdftotext', ['-layout', file, '-'])).stdout;
		};
		for (const hidden of [await text(), await text('none')]) {
			expect(hidden).not.toMatch(/Jürgen|Weiß|op-0042/);
			expect(hidden).not.toMatch(/^\s*Operator\b/m);
		}
		const initials = await text('initials');
		expect(initials).toMatch(/Operator\s+J\. W\./);
		expect(initials).not.toMatch(/Jürgen|Weiß|op-0042/);
		expect(await text('full')).toMatch(/Operator\s+Jürgen Weiß \(op-0042\)/);
	});

	it('embeds every font (subset); text outside the cached subset (Greek) falls back to per-document subsets and still signs and extracts', async () => {
		const fonts = async (pdf: Uint8Array, subsetTag: boolean) => {
			const file = join(dir, `fonts-${Math.random().toString(36).slice(2)}.pdf`);
			writeFileSync(file, pdf);
			const { stdout } = await run('pdffonts', [file]);
			// name type encoding emb sub uni object-id: three faces, each embedded with a ToUnicode map; "sub" reads the
			// ISO 32000 subset tag, which pdf-lib's own per-document subsets do not carry
			const rows = stdout.split('\n').slice(2).filter(Boolean);
			expect(rows).toHaveLength(3);
			for (const r of rows) expect(r).toMatch(subsetTag ? /CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/ : /CID TrueType\s+Identity-H\s+yes\s+no\s+yes/);
			return { file, rows };
		};
		const cached = await fonts((await render(records[0])).pdf, true);
		expect(cached.rows.join('\n')).toMatch(/WCLATA\+DejaVuSans\b/);
		const { pdf } = await render(records[3], { operator: 'full' });
		const fallback = await fonts(pdf, false);
		expect(fallback.rows.join('\n')).not.toMatch(/WCLAT/);
		expect(await pdfsig(pdf)).toMatch(/Signature Validation: Signature is Valid\./);
		expect((await verifyCertificatePdf(pdf, keys)).valid).toBe(true);
		const { stdout } = await run('pdftotext', [fallback.file, '-']);
		expect(stdout).toContain('Ανακύκλωση Αθηνών Α.Ε.');
		expect(stdout).toContain('Jürgen Weiß');
	});

	it('is PAdES-B-T with TSA_URL: the token over the signature value is an unsigned attribute, and pdfsig still validates', async () => {
		const before = tsa.requests;
		const { pdf, timestamped } = await render(records[2], { tsaUrl: tsa.url });
		expect(timestamped).toBe(true);
		expect(tsa.requests).toBe(before + 1);
		expect(await pdfsig(pdf)).toMatch(/Signature Validation: Signature is Valid\./);
		const text = Buffer.from(pdf).toString('latin1');
		const [, b, c] = /\/ByteRange \[0 (\d+) (\d+) \d+\]/.exec(text)!.map(Number);
		const hex = text.slice(b + 1, c - 1).replace(/(00)+$/, '');
		const der = Buffer.from(hex.length % 2 ? hex + '0' : hex, 'hex');
		const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(asn1js.fromBER(der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength)).result.toBER(false)).content });
		const si = sd.signerInfos[0];
		const attr = si.unsignedAttrs!.attributes.find((a) => a.type === OID_SIGNATURE_TIMESTAMP)!;
		const token = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: attr.values[0] }).content });
		const tst = pkijs.TSTInfo.fromBER(token.encapContentInfo.eContent!.getValue());
		const { createHash } = await import('node:crypto');
		expect(Buffer.from(tst.messageImprint.hashedMessage.getValue())).toEqual(createHash('sha256').update(Buffer.from(si.signature.valueBlock.valueHexView)).digest());
		const tv = await verifyCertificatePdf(pdf, keys);
		expect(tv.reason).toBeNull();
		expect(tv.timestamped).toBe(true);
	});

	it('refuses every altered copy: bytes flipped across the file and inside the signed range', async () => {
		const { pdf } = await render(records[0]);
		expect((await verifyCertificatePdf(pdf, keys)).valid).toBe(true);
		const positions = new Set<number>();
		for (let i = 0; i < 60; i++) positions.add(Math.floor((i / 60) * pdf.length));
		const text = Buffer.from(pdf).toString('latin1');
		const [, b, c] = /\/ByteRange \[0 (\d+) (\d+) \d+\]/.exec(text)!.map(Number);
		for (const p of [0, b - 1, b, b + 1, b + 200, c - 2, c - 1, c, pdf.length - 1, text.indexOf('wipecert-verification'), text.indexOf('/ByteRange') + 12]) positions.add(p);
		// and through the signature value itself (hex of the CMS, before its zero padding)
		const cmsHexEnd = b + 1 + text.slice(b + 1, c - 1).replace(/0+$/, '').length;
		for (let p = b + 1; p < cmsHexEnd; p += 9) positions.add(p);
		for (const p of positions) {
			const copy = new Uint8Array(pdf);
			copy[p] ^= 0x01;
			const v = await verifyCertificatePdf(copy, keys);
			expect(v.valid, `flip at ${p} accepted`).toBe(false);
			expect(v.reason).toBeTruthy();
		}
		const appended = new Uint8Array([...pdf, ...Buffer.from('\n% appended\n')]);
		expect((await verifyCertificatePdf(appended, keys)).failed).toBe('signature');
		const otherKeys = await (await createKeyringSigner(join(dir, 'other-keys'), { keys: 1, batchSize: 1, noteKeyName: 'wipecert.test/log' })).publicKeys();
		expect((await verifyCertificatePdf(pdf, otherKeys)).reason).toMatch(/not one of the published keys/);
		expect((await verifyCertificatePdf(pdf, { ...keys, logVerifierKey: otherKeys.logVerifierKey })).failed).toBe('checkpoint');
	});

	it('the offline CLI: exit 0 valid, 1 for an altered copy with the reason, 2 for usage errors', async () => {
		const { pdf } = await render(records[0]);
		const good = join(dir, 'cli-good.pdf');
		const bad = join(dir, 'cli-bad.pdf');
		const keysFile = join(dir, 'keys.json');
		writeFileSync(good, pdf);
		const altered = new Uint8Array(pdf);
		altered[Math.floor(pdf.length / 3)] ^= 0x20;
		writeFileSync(bad, altered);
		writeFileSync(keysFile, JSON.stringify(keys));
		const cli = async (...args: string[]) => {
			const io = { text: '', out: (s: string) => (io.text += s + '\n'), err: (s: string) => (io.text += s + '\n'), env: {}, readFile: async (f: string) => new Uint8Array(readFileSync(f)), exists: existsSync };
			return { code: await runVerify(args, io), text: io.text };
		};
		const ok = await cli(good, '--keys', keysFile);
		expect(ok.code).toBe(0);
		expect(ok.text).toContain(`VALID: ${good} is certificate ${records[0].certificateId}`);
		const json = await cli(good, '--keys', keysFile, '--json');
		expect(JSON.parse(json.text)).toMatchObject({ valid: true, leafIndex: 0 });
		const no = await cli(bad, `--keys=${keysFile}`);
		expect(no.code).toBe(1);
		expect(no.text).toMatch(/INVALID: .*: signature check failed: /);
		expect((await cli()).code).toBe(2);
		expect((await cli(good)).code).toBe(2);
		expect((await cli(good, '--keys', join(dir, 'missing.json'))).code).toBe(2);
		expect((await cli(good, '--keys', good)).code).toBe(2);
		expect((await cli(good, '--keys', keysFile, '--frobnicate')).code).toBe(2);
	});
});
