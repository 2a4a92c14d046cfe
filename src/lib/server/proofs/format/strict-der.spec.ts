import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyringSigner, type KeyringSigner } from '#lib/server/signer/keyring';
import { DerError, oid, parseDer, raw, smallInt, TAG, integerBytes } from '#lib/server/signer/der';
import { seq, tlv, oid as oidDer } from '#lib/server/signer/der-write';
import { createCsr } from '#lib/server/signer/pki';
import { ProofRejection, type RejectionCode } from '../rejections';
import { buildProof, openProof, reportBytes, sealProof, signReportContentInfo } from './proof';
import { sampleReport } from './sample';

/**
 * The strict DER reader (signer/der.ts) under the inputs X.690 §10 and
 * RFC 5652 rule out: every one ends in a ProofRejection with a catalogue code,
 * never in another exception, a crash of the stack or a hang.
 */
let dir: string;
let signer: KeyringSigner;
let agentKey: KeyObject;
let agentCert: string;
let agentCaPem: string;
let encryptionCert: string;
let good: Buffer;

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'wipecert-strict-der-'));
	signer = await createKeyringSigner(join(dir, 'keys'), { keys: 1, batchSize: 10 });
	agentKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const issued = await signer.issueAgentCertificate({ tenantId: 'strict', agentId: 'agent-1', name: 'station', csrPem: createCsr({ CN: 'station' }, agentKey) });
	agentCert = issued.certificatePem;
	agentCaPem = issued.caCertificatePem;
	encryptionCert = (await signer.publicKeys()).proofEncryptionCertificatePem;
	good = buildProof({ report: sampleReport(), agentKey, agentCert, encryptionCert });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function outcome(der: Uint8Array): Promise<{ code: RejectionCode | 'accepted'; detail?: string }> {
	try {
		await openProof(der, { signer, agentCaPem, receivedAt: new Date() });
		return { code: 'accepted' };
	} catch (error) {
		if (error instanceof ProofRejection) return { code: error.code, detail: error.detail };
		throw error;
	}
}

/** The same value with another length encoding: `lenBytes` octets, long form. */
function withLongLength(der: Buffer, lenBytes: number): Buffer {
	const top = parseDer(der);
	const len = top.end - top.valueStart;
	const octets = Buffer.alloc(lenBytes);
	octets.writeUIntBE(len, lenBytes - Math.ceil(Math.log2(len + 1) / 8), Math.ceil(Math.log2(len + 1) / 8));
	return Buffer.concat([Buffer.from([der[0], 0x80 | lenBytes]), octets, der.subarray(top.valueStart)]);
}

/** An inner SignedData sealed to the platform, so its faults reach the signature check. */
const sealed = (inner: Uint8Array) => sealProof(inner, encryptionCert);
const signedCi = () => signReportContentInfo(reportBytes(sampleReport()), agentKey, agentCert);

describe('X.690 §10 on the envelope → proof_malformed', () => {
	it('the proof as agents write it opens (the reference for the cases below)', async () => {
		expect((await outcome(good)).code).toBe('accepted');
	});

	it('indefinite length (§10.1)', async () => {
		const top = parseDer(good);
		const indefinite = Buffer.concat([Buffer.from([0x30, 0x80]), good.subarray(top.valueStart), Buffer.from([0, 0])]);
		expect(await outcome(indefinite)).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/indefinite length/) });
	});

	it('lengths not in the fewest octets: a leading zero octet, the long form below 128 (§10.1, §8.1.3.5)', async () => {
		expect(await outcome(withLongLength(good, 4))).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/leading zero/) });
		const tiny = Buffer.from('3081050603550403', 'hex'); // SEQUENCE of 5 octets, length in the long form
		expect(await outcome(tiny)).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/below 128/) });
	});

	it('truncated anywhere', async () => {
		for (const n of [0, 1, 2, 3, 4, 20, 300, good.length - 17, good.length - 1]) {
			expect((await outcome(good.subarray(0, n))).code, `first ${n} bytes`).toBe('proof_malformed');
		}
	});

	it('trailing bytes after the ContentInfo', async () => {
		expect(await outcome(Buffer.concat([good, Buffer.from([0])]))).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/1 bytes after/) });
		expect((await outcome(Buffer.concat([good, good]))).code).toBe('proof_malformed');
	});

	it('wrong tags: SET for SEQUENCE, [1] for [0], a constructed OCTET STRING for the mac', async () => {
		const asSet = Buffer.from(good);
		asSet[0] = 0x31;
		expect(await outcome(asSet)).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/ContentInfo: expected tag 0x30, found 0x31/) });
		const top = parseDer(good);
		const explicit = Buffer.from(good);
		explicit[top.children[1].start] = 0xa1;
		expect((await outcome(explicit)).code).toBe('proof_malformed');
		const mac = top.children[1].children[0].children.at(-1)!;
		expect(mac.id).toBe(TAG.OCTET_STRING);
		const constructedMac = Buffer.from(good);
		constructedMac[mac.start] = 0x24;
		expect((await outcome(constructedMac)).code).toBe('proof_malformed');
	});

	it('deep nesting stops at the depth limit, without exhausting the stack', async () => {
		let nested: Buffer = Buffer.alloc(0);
		for (let i = 0; i < 3000; i++) nested = seq(nested);
		const t0 = performance.now();
		expect(await outcome(nested)).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/nested deeper than 32/) });
		expect(performance.now() - t0).toBeLessThan(1000);
	});

	it('huge declared lengths: past the end, more than four length octets', async () => {
		expect(await outcome(Buffer.from('30847fffffff3000', 'hex'))).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/runs past the end/) });
		expect(await outcome(Buffer.from('3084ffffffff3000', 'hex'))).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/runs past the end/) });
		expect(await outcome(Buffer.from('30890100000000000000003000', 'hex'))).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/9 octets/) });
		// an inner element claiming more than its parent holds
		expect(await outcome(Buffer.from('300606092a864886', 'hex'))).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/runs past the end/) });
	});

	it('an enveloped-data ContentInfo whose RecipientInfos are missing, or whose mac is gone', async () => {
		const oidBytes = oidDer('1.2.840.113549.1.9.16.1.23');
		expect(await outcome(seq(oidBytes, tlv(0xa0, seq(tlv(0x02, Buffer.from([0])), tlv(0x31)))))).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/recipientInfos are missing/) });
		const top = parseDer(good);
		const aed = top.children[1].children[0];
		const noMac = seq(raw(top.children[0]), tlv(0xa0, seq(...aed.children.slice(0, -1).map(raw))));
		expect(await outcome(noMac)).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/mac is missing/) });
	});
});

describe('X.690 §10 inside the encrypted SignedData → proof_invalid_signature', () => {
	it('indefinite length, trailing bytes, deep nesting, a truncated SignedData', async () => {
		const ci = signedCi();
		const top = parseDer(ci);
		const cases = [
			Buffer.concat([Buffer.from([0x30, 0x80]), ci.subarray(top.valueStart), Buffer.from([0, 0])]),
			Buffer.concat([ci, Buffer.from([0x05, 0x00])]),
			ci.subarray(0, ci.length - 5)
		];
		let nested: Buffer = Buffer.alloc(0);
		for (let i = 0; i < 100; i++) nested = seq(nested);
		cases.push(nested);
		for (const inner of cases) expect((await outcome(sealed(inner))).code).toBe('proof_invalid_signature');
	});

	it('the constructed eContent earlier WipeCert agents wrote (pkijs, BER segments) still opens; a nested one does not', async () => {
		const ci = signedCi();
		const top = parseDer(ci);
		const sd = top.children[1].children[0];
		const encap = sd.children[2];
		const eContent = encap.children[1].children[0];
		const rebuild = (e: Buffer) => seq(raw(top.children[0]), tlv(0xa0, seq(...sd.children.map((c, i) => (i === 2 ? seq(raw(encap.children[0]), tlv(0xa0, e)) : raw(c))))));
		const segments = tlv(0x24, tlv(0x04, raw(eContent).subarray(eContent.valueStart - eContent.start, 40)), tlv(0x04, raw(eContent).subarray(40)));
		expect((await outcome(sealed(rebuild(segments)))).code).toBe('accepted');
		expect((await outcome(sealed(rebuild(tlv(0x24, segments))))).code).toBe('proof_invalid_signature');
	});
});

describe('random damage', () => {
	it('300 proofs with bytes flipped, cut or inserted: each a rejection with a catalogue code', async () => {
		const seen = new Set<string>();
		for (let i = 0; i < 300; i++) {
			const der = Buffer.from(good);
			const at = randomBytes(4).readUInt32BE() % der.length;
			let mutated: Buffer;
			if (i % 3 === 0) {
				der[at] ^= 1 + (i % 255);
				mutated = der;
			} else if (i % 3 === 1) mutated = Buffer.concat([der.subarray(0, at), der.subarray(at + 1)]);
			else mutated = Buffer.concat([der.subarray(0, at), randomBytes(1), der.subarray(at)]);
			const { code } = await outcome(mutated);
			seen.add(code);
			expect(['proof_malformed', 'proof_decryption_failed', 'proof_invalid_signature', 'accepted']).toContain(code);
		}
		expect(seen.has('proof_malformed')).toBe(true);
	});
});

describe('the reader itself', () => {
	it('reads OBJECT IDENTIFIERs and INTEGERs only in their DER form', () => {
		expect(oid(parseDer(oidDer('1.2.840.113549.1.9.16.1.23')), 'x')).toBe('1.2.840.113549.1.9.16.1.23');
		expect(oid(parseDer(oidDer('2.999.3')), 'x')).toBe('2.999.3');
		expect(() => oid(parseDer(Buffer.from('0603808001', 'hex')), 'x')).toThrow(/leading zero/);
		expect(() => oid(parseDer(Buffer.from('060188', 'hex')), 'x')).toThrow(/truncated/);
		expect(smallInt(parseDer(Buffer.from('020100', 'hex')), 'v')).toBe(0);
		expect(() => integerBytes(parseDer(Buffer.from('02020001', 'hex')), 'v')).toThrow(/fewest octets/);
		expect(() => integerBytes(parseDer(Buffer.from('0202ff80', 'hex')), 'v')).toThrow(/fewest octets/);
	});

	it('tag numbers of 31 and more only in the high tag number form, in the fewest octets', () => {
		expect(parseDer(Buffer.from('9f1f00', 'hex')).id).toBe(2 * 64 + 31);
		expect(() => parseDer(Buffer.from('9f1e00', 'hex'))).toThrow(/below 31/);
		expect(() => parseDer(Buffer.from('9f801f00', 'hex'))).toThrow(/leading zero/);
	});

	it('counts elements, so a flat flood of them is refused too', () => {
		const flood = seq(...Array.from({ length: 30_000 }, () => Buffer.from([0x05, 0x00])));
		expect(() => parseDer(flood)).toThrow(DerError);
		expect(() => parseDer(flood)).toThrow(/more than 20000 elements/);
	});
});
