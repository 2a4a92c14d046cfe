/**
 * The proofs agent-sim writes: good ones and the bad kinds below, in either
 * envelope form, encrypted to either proof-encryption certificate the
 * enrolment answer offers (RSA key transport or P-256 ECDH key agreement).
 * A module of its own so tests build exactly what agent-sim sends.
 *
 * Bad kinds and the rejection the platform gives them:
 *   garbage        DER-shaped random bytes                              proof_malformed
 *   bad_signature  report changed after signing                         proof_invalid_signature
 *   unknown_agent  signed by a key this agent never enrolled            agent_certificate_untrusted
 *   schema         a well-signed report that breaks the report schema   report_schema_invalid
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { buildProof, envelopeProof, reportBytes, sealProof, signReportContentInfo, type ProofEnvelope } from '#lib/server/proofs/format';
import { sampleReport } from '#lib/server/proofs/format/sample';
import { buildSignedData, parseContentInfo } from '#lib/server/signer/cms';
import { issueCertificate, KeyUsage, spkiDer } from '#lib/server/signer/pki';
import type { AgentIdentity } from './client';

/** Which proof-encryption certificate of the enrolment answer a proof is encrypted to. */
export type ProofEncryption = 'rsa' | 'ecdh';

/** The certificate for `encryption`; a platform that offers no ECDH certificate (enrolled before it existed) cannot take ECDH proofs. */
export function encryptionCertificate(agent: Pick<AgentIdentity, 'proofEncryptionCertificate' | 'proofEncryptionEcdhCertificate'>, encryption: ProofEncryption): string {
	if (encryption === 'rsa') return agent.proofEncryptionCertificate;
	if (!agent.proofEncryptionEcdhCertificate) throw new Error('the enrolment answer offers no ECDH proof-encryption certificate (proofEncryptionEcdhCertificate); enrol again, or use --encryption rsa');
	return agent.proofEncryptionEcdhCertificate;
}

export const BAD_KINDS = ['garbage', 'bad_signature', 'unknown_agent', 'schema'] as const;
export type Kind = 'good' | (typeof BAD_KINDS)[number];
export const EXPECTED_REJECTION: Record<(typeof BAD_KINDS)[number], string> = {
	garbage: 'proof_malformed',
	bad_signature: 'proof_invalid_signature',
	unknown_agent: 'agent_certificate_untrusted',
	schema: 'report_schema_invalid'
};

/** One proof of the given kind. */
export function makeProof(kind: Kind, agent: Pick<AgentIdentity, 'key' | 'certificate' | 'proofEncryptionCertificate' | 'proofEncryptionEcdhCertificate'>, stranger: { key: KeyObject; cert: string }, envelope: ProofEnvelope, encryption: ProofEncryption = 'rsa'): Buffer {
	const encryptionCert = encryptionCertificate(agent, encryption);
	// a ContentInfo(SignedData) in the chosen envelope (the first form holds the bare SignedData)
	const seal = (signedCi: Uint8Array) => (envelope === 'enveloped' ? envelopeProof(new Uint8Array(parseContentInfo(signedCi).content.toBER(false)), encryptionCert) : sealProof(signedCi, encryptionCert));
	switch (kind) {
		case 'good':
			return buildProof({ report: sampleReport(), agentKey: agent.key, agentCert: agent.certificate, encryptionCert, envelope });
		case 'garbage': {
			const junk = randomBytes(200 + randomInt(800));
			// one DER SEQUENCE spanning the body, so it passes the gateway's cheap check and reaches the worker
			return Buffer.concat([Buffer.from([0x30, 0x82, junk.length >> 8, junk.length & 0xff]), junk]);
		}
		case 'bad_signature': {
			const signed = reportBytes(sampleReport());
			const changed = reportBytes(sampleReport());
			return seal(buildSignedData({ content: changed, digest: createHash('sha256').update(signed).digest(), signerCertPem: agent.certificate, key: agent.key }));
		}
		case 'unknown_agent':
			return seal(signReportContentInfo(reportBytes(sampleReport()), stranger.key, stranger.cert));
		case 'schema': {
			const r = sampleReport() as Record<string, unknown>;
			const variants = [
				() => ({ ...r, device: { ...(r.device as object), type: 'Floppy' } }),
				() => ({ ...r, sanitisation: { ...(r.sanitisation as object), method: 'Wipe' } }),
				() => ({ ...r, erasureLogSha256: 'not-a-hash' }),
				() => {
					const { operator: _, ...rest } = r;
					return rest;
				}
			];
			return buildProof({ report: variants[randomInt(variants.length)](), agentKey: agent.key, agentCert: agent.certificate, encryptionCert, envelope });
		}
	}
}

/** A key and self-issued certificate no tenant's agent CA ever saw. */
export function strangerIdentity(): { key: KeyObject; cert: string } {
	const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const cert = issueCertificate({ subject: { CN: 'unenrolled agent' }, spki: spkiDer(createPublicKey(key)), issuerKey: key, notAfter: new Date(Date.now() + 86400_000), keyUsage: [KeyUsage.digitalSignature] }).pem;
	return { key, cert };
}
