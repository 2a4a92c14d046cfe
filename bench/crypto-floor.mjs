/**
 * The crypto floor of one certificate: the bare `node:crypto` primitives the
 * platform cannot skip, on inputs of the sizes the certify benchmark measured,
 * with no parsing, no ASN.1, no PDF layout and no I/O. What the pipeline
 * spends above it is work that could, in principle, be engineered away.
 *
 * Per certificate:
 * - ingest: SHA-256 of the proof (content_sha256) and its de-duplication HMAC;
 * - opening: the RSA-3072 OAEP-SHA256 unwrap of the content-encryption key, the
 *   AES-256-GCM decryption of the signed content, SHA-256 of the report (the
 *   CMS message digest), two ECDSA P-256 verifications (the proof's signed
 *   attributes; the agent certificate by the tenant's agent CA);
 * - issuing: SHA-256 of the canonical record (record_sha256), its ECDSA P-256
 *   receipt signature, the log leaf hash and one interior node hash (a leaf
 *   adds one node on average), a batch's Ed25519 checkpoint signature shared
 *   by the batch;
 * - the PDF: SHA-256 of the signed byte range, SHA-256 of the CMS signed
 *   attributes and their ECDSA P-256 signature.
 *
 * Beside it, timed alone and not part of the certificate total: the same unwrap
 * for a proof encrypted to the P-256 certificate (RFC 5753 ephemeral-static
 * ECDH): the originator's point read as a key, the ECDH derivation, the X9.63
 * KDF with SHA-256 (SEC 1 §3.6.1) and the AES-256 key unwrap (RFC 3394), as
 * src/lib/server/signer/cms-ecdh.ts does it. `msPerCertificateEcdh` is the
 * certificate total with this unwrap in place of the RSA one.
 *
 * Measured as this thread's CPU time (process.threadCpuUsage), so other jobs
 * on a shared machine slow the wall clock but hardly the figure.
 */
import { constants, createCipheriv, createDecipheriv, createHash, createHmac, createPublicKey, diffieHellman, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify } from 'node:crypto';

const sha256 = (b) => createHash('sha256').update(b).digest();
/** RFC 3394 §2.2.3.1 default initial value */
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
/** SubjectPublicKeyInfo of a P-256 point (RFC 5480 §2): the DER before the 65-byte uncompressed point */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
/** ECC-CMS-SharedInfo (RFC 5753 §7.2) with keyInfo id-aes256-wrap, no ukm, suppPubInfo 256 */
const SHARED_INFO = Buffer.from('3015300b060960864801650304012da206040400000100', 'hex');
/** X9.63 KDF (SEC 1 §3.6.1), one SHA-256 block: the 256-bit key-encryption key */
const x963Kek = (z) => createHash('sha256').update(z).update(Buffer.from([0, 0, 0, 1])).update(SHARED_INFO).digest();
/** this thread's CPU time so far, ms */
const cpuNow = () => {
	const { user, system } = process.threadCpuUsage();
	return (user + system) / 1000;
};

/**
 * @param {{ iterations: number, batch: number, sizes: { proof: number, report: number, record: number, logEntry: number, pdf: number } }} o
 * @returns {{ msPerCertificate: number, certificatesPerCoreSecond: number, msPerStep: Record<string, number>, msUnwrapEcdh: number, msPerCertificateEcdh: number, certificatesPerCoreSecondEcdh: number, sizes: object, iterations: number }}
 */
export function cryptoFloor({ iterations, batch, sizes }) {
	// keys and inputs, not timed
	const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 });
	const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const agent = p256();
	const agentCa = p256();
	const signing = p256();
	const note = generateKeyPairSync('ed25519');
	const hmacKey = randomBytes(32);
	const proof = randomBytes(sizes.proof);
	const report = randomBytes(sizes.report);
	const cek = randomBytes(32);
	const iv = randomBytes(12);
	const wrapped = publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
	// the same key for the P-256 certificate: an ephemeral key's point and the wrapped key, as a KeyAgreeRecipientInfo carries them
	const ecdhRecipient = p256();
	const originator = p256();
	const originatorPoint = originator.publicKey.export({ format: 'der', type: 'spki' }).subarray(P256_SPKI_PREFIX.length);
	const kw = createCipheriv('id-aes256-wrap', x963Kek(diffieHellman({ privateKey: originator.privateKey, publicKey: ecdhRecipient.publicKey })), KW_IV);
	const wrappedEcdh = Buffer.concat([kw.update(cek), kw.final()]);
	const cipher = createCipheriv('aes-256-gcm', cek, iv);
	// the encrypted content is the SignedData: report, signer certificate, signature (about 1 kB more)
	const plain = randomBytes(sizes.report + 1024);
	const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
	const tag = cipher.getAuthTag();
	const signedAttrs = randomBytes(110);
	const proofSignature = sign('sha256', signedAttrs, agent.privateKey);
	const tbs = randomBytes(420);
	const certSignature = sign('sha256', tbs, agentCa.privateKey);
	const record = randomBytes(sizes.record);
	const logEntry = randomBytes(sizes.logEntry);
	const checkpoint = randomBytes(120);
	const pdf = randomBytes(sizes.pdf);
	const pdfAttrs = randomBytes(240);

	const steps = { ingestHashes: 0, unwrap: 0, decrypt: 0, verify: 0, receipt: 0, log: 0, pdf: 0 };
	const once = (n) => {
		let t = cpuNow();
		const lap = (step) => {
			const now = cpuNow();
			steps[step] += now - t;
			t = now;
		};
		sha256(proof);
		createHmac('sha256', hmacKey).update(proof).digest();
		lap('ingestHashes');
		const key = privateDecrypt({ key: rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped);
		lap('unwrap');
		const decipher = createDecipheriv('aes-256-gcm', key, iv);
		decipher.setAuthTag(tag);
		Buffer.concat([decipher.update(encrypted), decipher.final()]);
		lap('decrypt');
		sha256(report);
		if (!verify('sha256', signedAttrs, agent.publicKey, proofSignature) || !verify('sha256', tbs, agentCa.publicKey, certSignature)) throw new Error('a floor signature did not verify');
		lap('verify');
		sha256(record);
		sign('sha256', record, signing.privateKey);
		lap('receipt');
		const leaf = createHash('sha256').update(Buffer.from([0])).update(logEntry).digest();
		createHash('sha256').update(Buffer.from([1])).update(leaf).update(leaf).digest();
		if (n % batch === 0) sign(null, checkpoint, note.privateKey);
		lap('log');
		sha256(pdf);
		sign('sha256', sha256(pdfAttrs), signing.privateKey);
		lap('pdf');
	};
	for (let i = 0; i < Math.min(20, iterations); i++) once(i);
	for (const k of Object.keys(steps)) steps[k] = 0;
	const cpu0 = process.threadCpuUsage();
	for (let i = 0; i < iterations; i++) once(i);
	const cpu = process.threadCpuUsage(cpu0);
	const msPerCertificate = (cpu.user + cpu.system) / 1000 / iterations;

	// the ECDH P-256 unwrap (RFC 5753), timed on its own
	const unwrapEcdh = () => {
		const ephemeral = createPublicKey({ key: Buffer.concat([P256_SPKI_PREFIX, originatorPoint]), format: 'der', type: 'spki' });
		const z = diffieHellman({ privateKey: ecdhRecipient.privateKey, publicKey: ephemeral });
		const unwrap = createDecipheriv('id-aes256-wrap', x963Kek(z), KW_IV);
		return Buffer.concat([unwrap.update(wrappedEcdh), unwrap.final()]);
	};
	if (!unwrapEcdh().equals(cek)) throw new Error('the floor ECDH unwrap did not return the key');
	for (let i = 0; i < Math.min(20, iterations); i++) unwrapEcdh();
	const ecdh0 = process.threadCpuUsage();
	for (let i = 0; i < iterations; i++) unwrapEcdh();
	const ecdhCpu = process.threadCpuUsage(ecdh0);
	const msUnwrapEcdh = (ecdhCpu.user + ecdhCpu.system) / 1000 / iterations;
	const msPerCertificateEcdh = Math.max(msPerCertificate - steps.unwrap / iterations + msUnwrapEcdh, Number.EPSILON);
	const round = (ms) => Math.round(ms * 1000) / 1000;
	return {
		msPerCertificate: round(msPerCertificate),
		certificatesPerCoreSecond: Math.round(1000 / msPerCertificate),
		// CPU ms per step (read around each step, so they add up to a little more than the total)
		msPerStep: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, round(v / iterations)])),
		// CPU ms of the ECDH P-256 unwrap (point, derive, X9.63 SHA-256 KDF, AES-256 key unwrap), the alternative to msPerStep.unwrap
		msUnwrapEcdh: round(msUnwrapEcdh),
		// the certificate total with the ECDH unwrap in place of the RSA one
		msPerCertificateEcdh: round(msPerCertificateEcdh),
		certificatesPerCoreSecondEcdh: Math.round(1000 / msPerCertificateEcdh),
		sizes,
		iterations
	};
}
