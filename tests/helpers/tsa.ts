import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { issueCertificate, parseCertificatePem, spkiDer } from '../../src/lib/server/signer/pki';

/**
 * A real RFC 3161 timestamp authority on loopback for tests:: answers
 * TimeStampReq with a granted TimeStampResp whose token is a CMS SignedData
 * over a TSTInfo, signed by its own ECDSA P-256 key whose certificate carries
 * the id-kp-timeStamping extended key usage.
 */
const OID = {
	tstInfo: '1.2.840.113549.1.9.16.1.4',
	signedData: '1.2.840.113549.1.7.2',
	contentType: '1.2.840.113549.1.9.3',
	messageDigest: '1.2.840.113549.1.9.4',
	sha256: '2.16.840.1.101.3.4.2.1',
	ecdsaWithSha256: '1.2.840.10045.4.3.2',
	timeStamping: '1.3.6.1.5.5.7.3.8',
	policy: '1.3.6.1.4.1.99999.1.1'
};
const ab = (u: Uint8Array): ArrayBuffer => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;

export type LocalTsa = { url: string; certificatePem: string; requests: number; close(): Promise<void> };

export async function startLocalTsa(): Promise<LocalTsa> {
	const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const { pem } = issueCertificate({
		subject: { CN: 'WipeCert test TSA', O: 'WipeCert tests' },
		spki: spkiDer(publicKey),
		issuerKey: privateKey,
		notAfter: new Date(Date.now() + 86_400_000),
		keyUsage: [0, 1],
		extKeyUsage: [OID.timeStamping]
	});
	const cert = parseCertificatePem(pem);
	let serial = 1;

	const respond = (body: Uint8Array): Buffer => {
		const req = pkijs.TimeStampReq.fromBER(ab(body));
		const tst = new pkijs.TSTInfo({
			version: 1,
			policy: req.reqPolicy ?? OID.policy,
			messageImprint: req.messageImprint,
			serialNumber: new asn1js.Integer({ value: serial++ }),
			genTime: new Date(),
			...(req.nonce ? { nonce: req.nonce } : {})
		});
		const tstDer = new Uint8Array(tst.toSchema().toBER(false));
		const attrs = [
			new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.tstInfo })] }),
			new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: ab(createHash('sha256').update(tstDer).digest()) })] })
		];
		const signedAttrs = Buffer.from(new asn1js.Set({ value: attrs.map((a) => a.toSchema()) }).toBER(false));
		const signerInfo = new pkijs.SignerInfo({
			version: 1,
			sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
			digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
			signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attrs }),
			signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 }),
			signature: new asn1js.OctetString({ valueHex: ab(sign('sha256', signedAttrs, privateKey)) })
		});
		const sd = new pkijs.SignedData({
			version: 3,
			digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
			encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.tstInfo, eContent: new asn1js.OctetString({ valueHex: ab(tstDer) }) }),
			certificates: req.certReq ? [cert] : undefined,
			signerInfos: [signerInfo]
		});
		const resp = new pkijs.TimeStampResp({
			status: new pkijs.PKIStatusInfo({ status: 0 }),
			timeStampToken: new pkijs.ContentInfo({ contentType: OID.signedData, content: sd.toSchema(true) })
		});
		return Buffer.from(resp.toSchema().toBER(false));
	};

	const state = { requests: 0 };
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			state.requests++;
			try {
				if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') throw new Error('not a timestamp query');
				const out = respond(Buffer.concat(chunks));
				res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(out);
			} catch {
				res.writeHead(400).end();
			}
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/tsr`,
		certificatePem: pem,
		get requests() {
			return state.requests;
		},
		close: () => new Promise((r) => server.close(() => r()))
	};
}
