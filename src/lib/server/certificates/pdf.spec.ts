import { execFile } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, type CertificateRecord, type ErasureReport } from '#lib/server/records';
import { createKeyringSigner, type KeyringSigner } from '../signer';
import { OID } from '../signer/pki';
import { BUNDLE_FORMAT, type VerificationBundle } from './bundle';
import { signPdf } from './pades';
import { buildCertificatePdf } from './pdf';
import { PDF_LABELS, type PdfLocale } from './pdf-labels';
import { certificateTemplate } from './pdf-template';
import { sampleRecord } from './sample';

/**
 * The certificate PDF written from its cached template, read back by poppler
 * (pdftotext, pdfinfo, pdfsig) and by a CMS parser: what a reader sees, and
 * what the signature covers. No database: the bundle is synthetic (the
 * integration file pdf.db.spec.ts checks bundles against a real log).
 */
const run = promisify(execFile);
const hash = Buffer.alloc(32, 7).toString('base64');
let dir: string;
let signer: KeyringSigner;

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'wipecert-pdf-template-'));
	signer = await createKeyringSigner(join(dir, 'keys'), { keys: 1, batchSize: 10, noteKeyName: 'wipecert.test/log' });
});
afterAll(async () => {
	await signer?.close();
	rmSync(dir, { recursive: true, force: true });
});

function bundleOf(record: CertificateRecord): VerificationBundle {
	const publicId = record.certificateId;
	return { format: BUNDLE_FORMAT, publicId, record: canonicalJson(record), leafIndex: 41, inclusion: { treeSize: 42, hashes: [hash, hash] }, checkpoint: `wipecert.test/log\n42\n${hash}\n`, verifyUrl: `https://wipecert.test/verify/${publicId}` };
}

type Logo = { bytes: Uint8Array; contentType: string };

async function render(record: CertificateRecord, locale: PdfLocale, o: { date?: Date; logo?: Logo } = {}) {
	const date = o.date ?? new Date('2026-12-03T12:00:00Z');
	const doc = await buildCertificatePdf({ publicId: record.certificateId, locale, issuerName: record.issuer.name, logo: o.logo, record, issuedAt: new Date(record.issuedAt), bundle: bundleOf(record), checkpoint: { treeSize: 42, rootHash: hash }, operator: 'full' });
	return (await signPdf(doc, { sign: (d) => signer.signPdfDigest(d), reason: 'test', name: 'WipeCert', location: 'wipecert.test', date })).pdf;
}

async function popplerBytes(tool: 'pdftotext' | 'pdfinfo' | 'pdfsig' | 'pdfimages' | 'pdftoppm', pdf: Uint8Array, ...args: string[]): Promise<Buffer> {
	const file = join(dir, `${Math.random().toString(36).slice(2)}.pdf`);
	writeFileSync(file, pdf);
	// pdfsig exits non-zero for an untrusted issuer; its report is what we check
	const out = await run(tool, [...args, file, ...(tool === 'pdftotext' ? ['-'] : [])], { encoding: 'buffer', maxBuffer: 64 << 20 }).catch((e: { stdout?: Buffer; stderr?: Buffer }) => ({
		stdout: e.stdout ?? Buffer.alloc(0),
		stderr: e.stderr ?? Buffer.alloc(0)
	}));
	return Buffer.concat([out.stdout, out.stderr]);
}

const poppler = async (...a: Parameters<typeof popplerBytes>) => (await popplerBytes(...a)).toString('utf8');

/** A 40 × 20 RGBA PNG (ISO/IEC 15948): the left half navy and opaque, the right half transparent. */
function logoPng(): Logo {
	const crc = (b: Buffer) => {
		let c = ~0;
		for (const x of b) {
			c ^= x;
			for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
		}
		return ~c >>> 0;
	};
	const chunk = (type: string, data: Buffer) => {
		const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
		const out = Buffer.alloc(body.length + 8);
		out.writeUInt32BE(data.length, 0);
		body.copy(out, 4);
		out.writeUInt32BE(crc(body), body.length + 4);
		return out;
	};
	const [w, h] = [40, 20];
	const header = Buffer.alloc(13);
	header.writeUInt32BE(w, 0);
	header.writeUInt32BE(h, 4);
	header.set([8, 6, 0, 0, 0], 8);
	const rows = Buffer.concat(Array.from({ length: h }, () => Buffer.concat([Buffer.from([0]), ...Array.from({ length: w }, (_, x) => Buffer.from(x < w / 2 ? [23, 41, 79, 255] : [255, 0, 0, 0]))])));
	const bytes = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
	return { bytes, contentType: 'image/png' };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('certificate PDF from its template', () => {
	for (const locale of ['en', 'de'] as const) {
		it(`shows, in ${locale}, the template's fixed text and every field of the certificate as pdftotext reads it`, async () => {
			const L = PDF_LABELS[locale];
			const record = sampleRecord(`wc_${locale}aaaaaaaaaaaaaaaaaaaaaaaa`);
			const text = await poppler('pdftotext', await render(record, locale), '-layout');
			const line = (label: string, value: string) => expect(text).toMatch(new RegExp(`^\\s*${escape(label)}\\s+${escape(value)}\\s*$`, 'm'));
			// fixed: from the template
			for (const s of [L.title, L.certificateId, L.verify, L.device.toUpperCase(), L.sanitisation.toUpperCase(), L.integrity.toUpperCase()]) expect(text).toContain(s);
			expect(text.replace(/\s+/g, ' ')).toContain(L.subtitle);
			expect(text.replace(/\s+/g, ' ')).toContain(L.footer);
			// the certificate's own
			expect(text).toContain(record.issuer.name);
			expect(text).toContain(record.certificateId);
			expect(text).toContain(`https://wipecert.test/verify/${record.certificateId}`);
			expect(text).toContain(`${L.page} · ${record.certificateId} · 1`);
			expect(text).toContain('SMART: 12 reallocated sectors reported before erasure');
			line(L.serial, 'S4EVNF0M123456X');
			line(L.model, 'MZ-V8V500 (970 EVO Plus)');
			line(L.operator, 'Jürgen Weiß (op-0042)');
			line(L.location, 'Düsseldorf, Halle 3, DE');
			line(L.logIndex, '41');
			line(L.proofSha256, record.proof.sha256);
			line(L.checkpoint, L.checkpointValue(42, hash));
			expect(text).toContain(locale === 'de' ? '500,1 GB' : '500.1 GB');
			const info = await poppler('pdfinfo', await render(record, locale));
			expect(info).toMatch(new RegExp(`Title:\\s+${escape(`${L.title} ${record.certificateId}`)}`));
			// German is longer: its integrity section goes on to page 2
			expect(info).toMatch(locale === 'de' ? /Pages:\s+2\n/ : /Pages:\s+1\n/);
			expect(info).toMatch(/Form:\s+AcroForm/);
		});
	}

	it('signs PAdES: /ByteRange covers every byte but the /Contents string, whose CMS message-digest is SHA-256 of that range', async () => {
		const pdf = await render(sampleRecord('wc_sigaaaaaaaaaaaaaaaaaaaaaaa'), 'en');
		const text = Buffer.from(pdf).toString('latin1');
		const [a, b, c, d] = /\/ByteRange \[(\d+) (\d+) (\d+) (\d+)\s*\]/.exec(text)!.slice(1).map(Number);
		expect(a).toBe(0);
		expect(text[b]).toBe('<');
		expect(text[c - 1]).toBe('>');
		expect(text.slice(b - '/Contents '.length, b)).toBe('/Contents ');
		expect(c + d).toBe(pdf.length);
		expect(/^<[0-9a-f]+>$/.test(text.slice(b, c))).toBe(true);
		const digest = createHash('sha256').update(pdf.subarray(0, b)).update(pdf.subarray(c)).digest();
		const hex = text.slice(b + 1, c - 1);
		const parsed = asn1js.fromBER(Uint8Array.from(Buffer.from(hex, 'hex')).buffer);
		const sd = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: parsed.result }).content });
		const si = sd.signerInfos[0];
		const md = si.signedAttrs!.attributes.find((x) => x.type === OID.messageDigest)!;
		expect(Buffer.from((md.values[0] as asn1js.OctetString).valueBlock.valueHexView)).toEqual(digest);
		const spki = (sd.certificates![0] as pkijs.Certificate).subjectPublicKeyInfo.toSchema().toBER(false);
		const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
		expect(verify('sha256', Buffer.from(si.signedAttrs!.encodedValue), key, Buffer.from(si.signature.valueBlock.valueHexView))).toBe(true);
		const report = await poppler('pdfsig', pdf);
		expect(report).toMatch(/Signature Type: ETSI\.CAdES\.detached/);
		expect(report).toMatch(/Signature Validation: Signature is Valid\./);
		expect(report).toMatch(/Total document signed/);
	});

	it('two certificates of one template share its bytes and differ, as text, only in their own fields', async () => {
		const template = await certificateTemplate('en', null);
		const one = sampleRecord('wc_oneaaaaaaaaaaaaaaaaaaaaaaa');
		const two = sampleRecord('wc_twoaaaaaaaaaaaaaaaaaaaaaaa');
		(two.report as ErasureReport).device.serial = 'ZZ9PLURALZALPHA';
		two.issuedAt = '2026-01-02T03:04:05.000Z';
		const [a, b] = [await render(one, 'en'), await render(two, 'en')];
		const head = template.head.bytes.length;
		expect(Buffer.from(a.subarray(0, head)).equals(Buffer.from(template.head.bytes))).toBe(true);
		expect(Buffer.from(b.subarray(0, head)).equals(Buffer.from(template.head.bytes))).toBe(true);
		// reading order, not -layout: a longer date must not count as moving the columns of its line
		const [ta, tb] = [(await poppler('pdftotext', a)).split('\n'), (await poppler('pdftotext', b)).split('\n')];
		expect(ta).toHaveLength(tb.length);
		const changed = ta.map((l, i) => [l, tb[i]]).filter(([x, y]) => x !== y);
		expect(changed.length).toBeGreaterThan(0);
		for (const [x, y] of changed) {
			expect(x).toMatch(/wc_one|S4EVNF0M123456X|25 November 2025 at 10:42:17/);
			expect(y).toMatch(/wc_two|ZZ9PLURALZALPHA|2 January 2026 at 03:04:05/);
		}
	});

	it('flows onto a second page with the chrome and its own footer when the content does not fit page 1', async () => {
		const record = sampleRecord('wc_longaaaaaaaaaaaaaaaaaaaaaa');
		(record.report as ErasureReport).result.warnings = Array.from({ length: 40 }, (_, i) => ({ code: 'remapped_sectors', message: `SMART warning number ${i + 1}` }));
		const pdf = await render(record, 'en');
		expect(await poppler('pdfinfo', pdf)).toMatch(/Pages:\s+2\n/);
		const text = await poppler('pdftotext', pdf, '-layout');
		expect(text).toContain(`${PDF_LABELS.en.page} · ${record.certificateId} · 2`);
		expect(text).toContain('SMART warning number 40');
		expect(text.split(PDF_LABELS.en.footer.split(' ').slice(0, 4).join(' '))).toHaveLength(3);
		expect(await poppler('pdfsig', pdf)).toMatch(/Signature Validation: Signature is Valid\./);
	});

	it('draws the tenant logo from the template, with its transparency, above the issuer name', async () => {
		const logo = logoPng();
		expect(await certificateTemplate('en', logo)).toBe(await certificateTemplate('en', { ...logo }));
		const record = sampleRecord('wc_logoaaaaaaaaaaaaaaaaaaaaaa');
		const pdf = await render(record, 'en', { logo });
		const images = (await poppler('pdfimages', pdf, '-list')).split('\n').slice(2).filter(Boolean);
		// the image and its soft mask (ISO 32000-1 §11.6.5.3)
		expect(images.map((l) => l.trim().split(/\s+/).slice(2, 6).join(' '))).toEqual(['image 40 20 rgb', 'smask 40 20 gray']);
		expect(await poppler('pdftotext', pdf)).toContain(record.issuer.name);
		expect(await poppler('pdfsig', pdf)).toMatch(/Signature Validation: Signature is Valid\./);
		// at 72 dpi a point is a pixel: the logo's opaque half is dark, its transparent half shows the white page
		const pgm = await popplerBytes('pdftoppm', pdf, '-gray', '-r', '72', '-f', '1', '-l', '1');
		const [, width, height] = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.toString('latin1', 0, 40))!;
		const start = pgm.length - Number(width) * Number(height);
		const at = (x: number, y: number) => pgm[start + y * Number(width) + x];
		expect(at(55, 60)).toBeLessThan(80);
		expect(at(85, 60)).toBeGreaterThan(240);
	});
});
