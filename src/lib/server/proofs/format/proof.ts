/**
 * Proof format v1 (handbook agents/proof-format.md). Two envelopes around the
 * same signed report, both accepted:
 *
 *   ContentInfo(AuthEnvelopedData, RFC 5083)        the standard form; what `openssl cms -encrypt -aes-256-gcm` writes
 *     KeyTransRecipientInfo RSAES-OAEP-SHA256         to the platform's proof-encryption certificate
 *     AES-256-GCM (RFC 5084), tag in `mac`
 *     encrypted content (id-data): ContentInfo(SignedData), as `openssl cms -sign -outform DER` writes it
 *
 *   ContentInfo(EnvelopedData)                      the first form, kept for agents that write it:
 *     same recipient, AES-256-GCM with the tag appended to the ciphertext,
 *     encrypted content (id-signedData): the bare SignedData
 *
 *   SignedData: signed by the enrolled agent's P-256 key, agent certificate embedded,
 *     signed attrs content-type, message-digest (signing-time), eContent (id-data):
 *     the erasure report, UTF-8 JSON (schema v1)
 *
 * `buildProof` is the agent side (agent-sim, the nwipe intake, tests); `openProof` the platform
 * side (proof worker), which throws ProofRejection with the catalogue's codes
 * and RetryableFailure when the signer cannot be reached.
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { canonicalJson, erasureReport } from '#lib/server/records';
import { buildEnvelopedData, buildSignedData, CmsError, parseContentInfo } from '#lib/server/signer/cms';
import { buildAuthEnvelopedData } from '#lib/server/signer/cms-auth-enveloped';
import { readProofEnvelope } from '#lib/server/signer/cms-envelope';
import { verifySignedData } from '#lib/server/signer/cms-signed';
import { OID } from '#lib/server/signer/pki';
import { SignerUnavailable, type Signer } from '#lib/server/signer/types';
import { ProofRejection, RetryableFailure } from '../rejections';

/** What opening a proof hands back: a proof the platform could decrypt and verify. */
export type OpenedProof = {
	/** the erasure report, validated against the report schema */
	report: unknown;
	/** the canonical bytes of the report, HMACed for duplicate detection */
	canonicalReport: Uint8Array;
	/** lower-case hex serial of the agent certificate that signed it (chained to the tenant's agent CA) */
	signerSerialHex: string;
};

/** The report bytes an agent signs: canonical JSON (RFC 8785 style), UTF-8. */
export const reportBytes = (report: unknown): Buffer => Buffer.from(canonicalJson(report), 'utf8');

/** ContentInfo(SignedData) over `content`, as `openssl cms -sign -nodetach -outform DER` writes it. */
export function signReportContentInfo(content: Uint8Array, agentKey: KeyObject, agentCertPem: string, signingTime?: Date): Buffer {
	return buildSignedData({ content, digest: createHash('sha256').update(content).digest(), signerCertPem: agentCertPem, key: agentKey, signingTime });
}

/** SignedData (bare, as an EnvelopedData of type id-signedData holds it) over `content`. */
export function signReport(content: Uint8Array, agentKey: KeyObject, agentCertPem: string, signingTime?: Date): Buffer {
	return Buffer.from(parseContentInfo(signReportContentInfo(content, agentKey, agentCertPem, signingTime)).content.toBER(false));
}

/** The first form: a bare SignedData in an EnvelopedData (AES-GCM, tag appended). */
export const envelopeProof = (signedData: Uint8Array, encryptionCertPem: string): Buffer => buildEnvelopedData(signedData, OID.signedData, encryptionCertPem);

/** The standard form: ContentInfo(SignedData) in an RFC 5083 AuthEnvelopedData. */
export const sealProof = (signedContentInfo: Uint8Array, encryptionCertPem: string): Buffer => buildAuthEnvelopedData(signedContentInfo, encryptionCertPem);

export type ProofEnvelope = 'auth-enveloped' | 'enveloped';

export function buildProof(input: { report: unknown; agentKey: KeyObject; agentCert: string; encryptionCert: string; signingTime?: Date; envelope?: ProofEnvelope }): Buffer {
	const content = reportBytes(input.report);
	if (input.envelope === 'enveloped') return envelopeProof(signReport(content, input.agentKey, input.agentCert, input.signingTime), input.encryptionCert);
	return sealProof(signReportContentInfo(content, input.agentKey, input.agentCert, input.signingTime), input.encryptionCert);
}

/** Tenants' agent CA certificates, parsed once per process (bounded; a CA is replaced only by a new PEM). */
const agentCas = new Map<string, X509Certificate>();
function agentCa(pem: string): X509Certificate {
	let ca = agentCas.get(pem);
	if (!ca) {
		if (agentCas.size >= 1024) agentCas.clear();
		ca = new X509Certificate(pem);
		agentCas.set(pem, ca);
	}
	return ca;
}

/**
 * Decrypts (through the signer), verifies and validates one proof. The agent
 * certificate must chain to the tenant's agent CA and be valid at `receivedAt`
 * (the moment the platform took the proof in, not when a retry runs).
 */
export async function openProof(der: Uint8Array, ctx: { signer: Signer; agentCaPem: string; receivedAt: Date }): Promise<OpenedProof> {
	// The whole envelope is read here, strictly (DER only), before the signer is asked: a malformed file is
	// told from a key that does not fit without a second parse, and never reaches the (maybe remote) signer.
	try {
		readProofEnvelope(der);
	} catch (error) {
		throw new ProofRejection('proof_malformed', error instanceof Error ? error.message : String(error));
	}
	let inner: Uint8Array;
	try {
		inner = await ctx.signer.decryptEnvelope(der);
	} catch (error) {
		if (error instanceof SignerUnavailable) throw new RetryableFailure(error.message, { cause: error });
		throw new ProofRejection('proof_decryption_failed', error instanceof Error ? error.message : String(error));
	}
	let verified: ReturnType<typeof verifySignedData>;
	try {
		verified = verifySignedData(inner);
	} catch (error) {
		if (error instanceof CmsError) throw new ProofRejection('proof_invalid_signature', error.message);
		throw error;
	}
	const signer = verified.certificate;
	const ca = agentCa(ctx.agentCaPem);
	if (!signer.checkIssued(ca) || !signer.verify(ca.publicKey)) {
		throw new ProofRejection('agent_certificate_untrusted', `issued by “${signer.issuer.replace(/\n/g, ', ')}”, not by this tenant’s agent CA`);
	}
	if (ctx.receivedAt < signer.validFromDate || ctx.receivedAt > signer.validToDate) {
		throw new ProofRejection('agent_certificate_untrusted', `certificate valid ${signer.validFromDate.toISOString()} to ${signer.validToDate.toISOString()}, proof received ${ctx.receivedAt.toISOString()}`);
	}
	let report: unknown;
	try {
		report = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(verified.content));
	} catch {
		throw new ProofRejection('report_schema_invalid', 'the signed content is not UTF-8 JSON');
	}
	const parsed = erasureReport.safeParse(report);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new ProofRejection('report_schema_invalid', `${issue.path.join('.') || '(report)'}: ${issue.message}`);
	}
	return { report, canonicalReport: reportBytes(report), signerSerialHex: signer.serialNumber.toLowerCase() };
}

