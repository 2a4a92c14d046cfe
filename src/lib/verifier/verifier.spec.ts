import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './bytes';
import { DerError, parse, readElement } from './der';
import { certificateEntry, parseCertificateEntry } from './entry';
import { CompactRange, leafHash } from './merkle';
import { parseCheckpointBody, parseVerifierKey, splitNote } from './note';
import { latin1, PdfDocument, PdfError } from './pdf';
import { parseEntryBundle, tileIndexPath, tilePath } from './tiles';

/** The verification core's pieces against the specs' own examples and hostile input. */
describe('verification core', () => {
	it('reads the C2SP signed-note example key and note', async () => {
		// https://c2sp.org/signed-note, "Example"
		const key = await parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
		expect(key?.name).toBe('example.com/foo');
		expect(await parseVerifierKey('example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k')).toBeNull();
		const note = splitNote('This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n');
		expect(note?.body).toBe('This is an example message.\n');
		const sig = note!.signatures[0];
		const pub = await crypto.subtle.importKey('raw', key!.publicKey.slice(), { name: 'Ed25519' }, false, ['verify']);
		expect(await crypto.subtle.verify({ name: 'Ed25519' }, pub, sig.signature.slice(), new TextEncoder().encode(note!.body))).toBe(true);
		expect(splitNote('no blank line\n\u2014 a b\n')).toBeNull();
		expect(splitNote('text\n\n\u2014 example.com/foo AAAA\n')).toBeNull(); // a signature shorter than its key ID
		expect(parseCheckpointBody('example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n')).toMatchObject({ treeSize: 20852163 });
		expect(parseCheckpointBody('o\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n')).toBeNull();
	});

	it('spells tile paths as tlog-tiles does', () => {
		expect(tileIndexPath(1234067)).toBe('x001/x234/067');
		expect(tileIndexPath(0)).toBe('000');
		expect(tilePath(0, 273, 112)).toBe('tile/0/273.p/112');
		expect(tilePath('entries', 1000, 256)).toBe('tile/entries/x001/000');
		expect(parseEntryBundle(Uint8Array.of(0, 1, 65, 0, 2, 66, 67))?.map((e) => latin1(e))).toEqual(['A', 'BC']);
		expect(parseEntryBundle(Uint8Array.of(0, 3, 65))).toBeNull();
	});

	it('extends a compact range to the RFC 6962 root of every size', async () => {
		const sha = (...p: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(p)).digest());
		const mth = (l: Uint8Array[]): Uint8Array => {
			if (l.length === 1) return l[0];
			let k = 1;
			while (k * 2 < l.length) k *= 2;
			return sha(Uint8Array.of(1), mth(l.slice(0, k)), mth(l.slice(k)));
		};
		const range = new CompactRange();
		const leaves: Uint8Array[] = [];
		for (let i = 0; i < 70; i++) {
			leaves.push(await leafHash(Uint8Array.of(i)));
			await range.append(leaves[i]);
			expect(toBase64(await range.root())).toBe(toBase64(mth(leaves)));
		}
		expect(() => new CompactRange(5, [])).toThrow();
	});

	it('writes and reads the log entry of a certificate', () => {
		const e = certificateEntry('wc_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'ab'.repeat(32));
		expect(latin1(e)).toBe(`wipecert/certificate/v1\nwc_aaaaaaaaaaaaaaaaaaaaaaaaaa\n${'ab'.repeat(32)}\n`);
		expect(parseCertificateEntry(e)).toEqual({ publicId: 'wc_aaaaaaaaaaaaaaaaaaaaaaaaaa', recordSha256: 'ab'.repeat(32) });
		expect(parseCertificateEntry(new TextEncoder().encode('{"certificateId":"wc_…"}'))).toBeNull();
		expect(() => certificateEntry('wc_1', 'ab'.repeat(32))).toThrow();
	});

	it('refuses non-DER and malformed PDFs with an error, never a hang', () => {
		expect(() => parse(Uint8Array.of(0x30, 0x80, 0, 0))).toThrow(DerError); // indefinite length
		expect(() => parse(Uint8Array.of(0x04, 0x81, 0x01, 0))).toThrow(DerError); // long form for a short length
		expect(() => parse(Uint8Array.of(0x04, 0x05, 0))).toThrow(DerError); // truncated
		expect(() => parse(Uint8Array.of(0x04, 0x01, 0, 0))).toThrow(DerError); // trailing bytes
		expect(readElement(Uint8Array.of(0x04, 0x01, 7)).el.value).toEqual(Uint8Array.of(7));
		expect(fromBase64('AQ==')).toEqual(Uint8Array.of(1));
		expect(fromBase64('AR==')).toBeNull(); // non-canonical padding bits
		const text = (s: string) => new TextEncoder().encode(s);
		expect(() => new PdfDocument(text('not a pdf'))).toThrow(PdfError);
		expect(() => new PdfDocument(text('%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Prev 9 >>\nstartxref\n9\n%%EOF\n'))).toThrow(PdfError);
		// an xref whose /Prev points at itself is refused after a bounded number of sections
		const self = '%PDF-1.4\n';
		const at = self.length;
		expect(() => new PdfDocument(text(`${self}xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Prev ${at} >>\nstartxref\n${at}\n%%EOF\n`))).toThrow(/too many cross-reference sections/);
	});
});
