/**
 * X.509 for the platform's own PKI (RFC 5280): the platform root, the keyring's
 * signing certificates, the proof-encryption certificate, per-tenant agent CAs,
 * agent certificates from PKCS#10 requests (RFC 2986) and the mTLS certificates
 * of the remote signer. Structures come from pkijs/asn1js; signatures from
 * node:crypto (a certificate signature is over the DER TBSCertificate, an ECDSA
 * signature value is the DER Ecdsa-Sig-Value node's `sign` returns).
 */
import { createHash, createPublicKey, randomBytes, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export const OID = {
	ecdsaWithSha256: '1.2.840.10045.4.3.2',
	ecPublicKey: '1.2.840.10045.2.1',
	p256: '1.2.840.10045.3.1.7',
	ed25519: '1.3.101.112',
	rsaEncryption: '1.2.840.113549.1.1.1',
	rsaesOaep: '1.2.840.113549.1.1.7',
	mgf1: '1.2.840.113549.1.1.8',
	sha256: '2.16.840.1.101.3.4.2.1',
	aes256Gcm: '2.16.840.1.101.3.4.1.46',
	/** RFC 3565 §2.3.2 AES key wrap (RFC 3394) with a 256-bit key encryption key */
	aes256Wrap: '2.16.840.1.101.3.4.1.45',
	/** RFC 5753 §7.1.4 ephemeral-static ECDH, X9.63 KDF with SHA-256 (SEC 1 secg-scheme) */
	ecdhStdSha256Kdf: '1.3.132.1.11.1',
	/** the same with SHA-1, what `openssl cms -encrypt` writes to an EC recipient unless told otherwise */
	ecdhStdSha1Kdf: '1.3.133.16.840.63.0.2',
	data: '1.2.840.113549.1.7.1',
	signedData: '1.2.840.113549.1.7.2',
	envelopedData: '1.2.840.113549.1.7.3',
	/** RFC 5083 id-ct-authEnvelopedData */
	authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
	contentType: '1.2.840.113549.1.9.3',
	messageDigest: '1.2.840.113549.1.9.4',
	signingTime: '1.2.840.113549.1.9.5',
	signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
	commonName: '2.5.4.3',
	organization: '2.5.4.10',
	organizationalUnit: '2.5.4.11',
	basicConstraints: '2.5.29.19',
	keyUsage: '2.5.29.15',
	extKeyUsage: '2.5.29.37',
	subjectKeyIdentifier: '2.5.29.14',
	authorityKeyIdentifier: '2.5.29.35',
	subjectAltName: '2.5.29.17',
	serverAuth: '1.3.6.1.5.5.7.3.1',
	clientAuth: '1.3.6.1.5.5.7.3.2'
} as const;

/** RFC 5280 §4.2.1.3 bit positions (bit 0 is the most significant bit of the first byte). */
export const KeyUsage = {
	digitalSignature: 0,
	nonRepudiation: 1,
	keyEncipherment: 2,
	keyAgreement: 4,
	keyCertSign: 5,
	cRLSign: 6
} as const;

export type NameParts = { CN: string; O?: string; OU?: string };

export function buildName(parts: NameParts): pkijs.RelativeDistinguishedNames {
	const rdn = new pkijs.RelativeDistinguishedNames();
	const add = (type: string, value: string | undefined) => {
		if (value) rdn.typesAndValues.push(new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }));
	};
	add(OID.organization, parts.O);
	add(OID.organizationalUnit, parts.OU);
	add(OID.commonName, parts.CN);
	return rdn;
}

/** A positive 127-bit serial whose hex form is stable (first byte 0x01..0x7f: no sign byte, no leading zero). */
export function newSerial(): Buffer {
	const b = randomBytes(16);
	b[0] = (b[0] & 0x7f) || 0x01;
	return b;
}

const toAb = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function keyUsageBits(bits: number[]): asn1js.BitString {
	const bytes = new Uint8Array(2);
	for (const bit of bits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
	const used = bytes[1] ? 2 : 1;
	const last = bytes[used - 1];
	let unused = 0;
	while (unused < 8 && !(last & (1 << unused))) unused++;
	return new asn1js.BitString({ valueHex: toAb(bytes.subarray(0, used)), unusedBits: unused });
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: pkijs.PublicKeyInfo): Buffer {
	return createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest();
}

export const spkiDer = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });

export type IssueOptions = {
	subject: NameParts;
	/** DER SubjectPublicKeyInfo of the certified key */
	spki: Uint8Array;
	/** issuer certificate (PEM); absent: self-signed */
	issuerPem?: string;
	/** the issuer's (or, self-signed, the subject's) P-256 private key */
	issuerKey: KeyObject;
	serial?: Buffer;
	notBefore?: Date;
	notAfter: Date;
	ca?: { pathLen?: number };
	keyUsage: number[];
	extKeyUsage?: string[];
	/** subjectAltName: DNS names and IP addresses (TLS) */
	altNames?: { dns?: string[]; ip?: string[] };
};

/** Issues an X.509 v3 certificate signed with ECDSA P-256 / SHA-256; returns PEM. */
export function issueCertificate(o: IssueOptions): { pem: string; serialHex: string; der: Buffer } {
	const cert = new pkijs.Certificate();
	const serial = o.serial ?? newSerial();
	cert.version = 2;
	cert.serialNumber = new asn1js.Integer({ valueHex: toAb(serial) });
	cert.subject = buildName(o.subject);
	const spki = pkijs.PublicKeyInfo.fromBER(toAb(o.spki));
	cert.subjectPublicKeyInfo = spki;
	let authorityKeyId: Buffer;
	if (o.issuerPem) {
		const issuer = parseCertificatePem(o.issuerPem);
		cert.issuer = issuer.subject;
		authorityKeyId = keyIdentifier(issuer.subjectPublicKeyInfo);
	} else {
		cert.issuer = buildName(o.subject);
		authorityKeyId = keyIdentifier(spki);
	}
	// one minute back-dated: a verifier whose clock runs a little behind still accepts a fresh certificate
	cert.notBefore.value = o.notBefore ?? new Date(Date.now() - 60_000);
	cert.notAfter.value = o.notAfter;
	const ext: pkijs.Extension[] = [];
	ext.push(
		new pkijs.Extension({
			extnID: OID.basicConstraints,
			critical: true,
			extnValue: new pkijs.BasicConstraints(o.ca ? { cA: true, ...(o.ca.pathLen !== undefined ? { pathLenConstraint: o.ca.pathLen } : {}) } : {}).toSchema().toBER(false)
		}),
		new pkijs.Extension({ extnID: OID.keyUsage, critical: true, extnValue: keyUsageBits(o.keyUsage).toBER(false) }),
		new pkijs.Extension({ extnID: OID.subjectKeyIdentifier, extnValue: new asn1js.OctetString({ valueHex: toAb(keyIdentifier(spki)) }).toBER(false) }),
		new pkijs.Extension({
			extnID: OID.authorityKeyIdentifier,
			extnValue: new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: toAb(authorityKeyId) }) }).toSchema().toBER(false)
		})
	);
	if (o.extKeyUsage?.length) {
		ext.push(new pkijs.Extension({ extnID: OID.extKeyUsage, extnValue: new pkijs.ExtKeyUsage({ keyPurposes: o.extKeyUsage }).toSchema().toBER(false) }));
	}
	if (o.altNames) {
		const names: pkijs.GeneralName[] = [];
		for (const d of o.altNames.dns ?? []) names.push(new pkijs.GeneralName({ type: 2, value: d }));
		for (const ip of o.altNames.ip ?? []) {
			const bytes = Buffer.from(ip.split('.').map(Number));
			names.push(new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: toAb(bytes) }) }));
		}
		ext.push(new pkijs.Extension({ extnID: OID.subjectAltName, extnValue: new pkijs.GeneralNames({ names }).toSchema().toBER(false) }));
	}
	cert.extensions = ext;
	const alg = new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 });
	cert.signature = alg;
	cert.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 });
	const tbs = new Uint8Array(cert.encodeTBS().toBER(false));
	cert.tbsView = tbs;
	cert.signatureValue = new asn1js.BitString({ valueHex: toAb(sign('sha256', tbs, o.issuerKey)) });
	const der = Buffer.from(cert.toSchema(true).toBER(false));
	return { pem: derToPem(der, 'CERTIFICATE'), serialHex: serial.toString('hex'), der };
}

export function derToPem(der: Uint8Array, label: string): string {
	const b64 = Buffer.from(der).toString('base64');
	return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

export function pemToDer(pem: string, label?: string): Buffer {
	const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
	if (!m || (label && m[1] !== label)) throw new Error(`not a PEM ${label ?? 'block'}`);
	return Buffer.from(m[2].replace(/\s+/g, ''), 'base64');
}

export function parseCertificatePem(pem: string): pkijs.Certificate {
	return pkijs.Certificate.fromBER(toAb(pemToDer(pem, 'CERTIFICATE')));
}

/** Lower-case hex serial of a pkijs certificate (as node's X509Certificate prints it, lower-cased). */
export const certificateSerialHex = (cert: pkijs.Certificate | X509Certificate): string =>
	cert instanceof X509Certificate ? cert.serialNumber.toLowerCase() : Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex').replace(/^00(?=[89a-f])/, '');

/**
 * Reads a PKCS#10 request (PEM) and checks its self-signature (proof of
 * possession) and key type; agent keys are ECDSA P-256 (the RFC 9421
 * `ecdsa-p256-sha256` the gateway verifies). Throws a plain Error (bad input).
 */
export function parseCsr(csrPem: string): { spki: Buffer; publicKey: KeyObject } {
	let csr: pkijs.CertificationRequest;
	try {
		csr = pkijs.CertificationRequest.fromBER(toAb(pemToDer(csrPem, 'CERTIFICATE REQUEST')));
	} catch {
		throw new Error('the CSR is not a PEM PKCS#10 certificate request');
	}
	const spki = Buffer.from(csr.subjectPublicKeyInfo.toSchema().toBER(false));
	const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
	if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
		throw new Error('the CSR key must be ECDSA P-256');
	}
	if (csr.signatureAlgorithm.algorithmId !== OID.ecdsaWithSha256) throw new Error('the CSR must be signed with ecdsa-with-SHA256');
	const tbs = Buffer.from(csr.tbsView);
	const sig = Buffer.from(csr.signatureValue.valueBlock.valueHexView);
	// a CSR signed by another key proves nothing about who holds this one
	let ok = false;
	try {
		ok = verify('sha256', tbs, publicKey, sig);
	} catch {
		ok = false;
	}
	if (!ok) throw new Error('the CSR signature does not verify with its own key');
	return { spki, publicKey };
}

/** Builds and self-signs a PKCS#10 request for a P-256 key (agents, agent-sim, tests). */
export function createCsr(subject: NameParts, privateKey: KeyObject): string {
	const csr = new pkijs.CertificationRequest();
	csr.version = 0;
	csr.subject = buildName(subject);
	const publicKey = createPublicKey(privateKey);
	csr.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(toAb(spkiDer(publicKey)));
	csr.attributes = [];
	csr.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 });
	const tbs = Buffer.from((csr as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER(false));
	csr.tbsView = new Uint8Array(tbs);
	csr.signatureValue = new asn1js.BitString({ valueHex: toAb(sign('sha256', tbs, privateKey)) });
	return derToPem(Buffer.from(csr.toSchema().toBER(false)), 'CERTIFICATE REQUEST');
}
