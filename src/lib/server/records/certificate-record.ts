import { createHash } from 'node:crypto';
import { canonicalBytes } from './canonical';

/**
 * Version 1 of the certificate record: the platform's facts around the
 * agent's report. Its canonical bytes (RFC 8785) are what the receipt signs,
 * what the transparency log's leaf hashes and what a certificate PDF embeds,
 * so anyone holding the record can recompute all three (docs/architecture.md,
 * "Records").
 */
export type CertificateRecord = {
	version: 1;
	certificateId: string;
	issuer: { tenant: string; name: string };
	issuedAt: string;
	proof: { id: string; sha256: string; receivedAt: string };
	/** the agent by its certificate serial: public, unlike the agent's database id (no internal ids in public answers) */
	agent?: { certificateSerial: string };
	/**
	 * instead of `agent`: evidence no agent signed (an nwipe log uploaded in the
	 * dashboard), attested by the signed-in operator who uploaded it, by name
	 */
	attestation?: OperatorAttestation;
	/** the validated erasure report, as the agent signed it or as the attested log states it */
	report: unknown;
};

export type OperatorAttestation = { kind: 'operator'; source: 'nwipe-log'; operator: { name: string }; logSha256: string };

export const canonicalRecordBytes = (record: CertificateRecord | unknown): Buffer => canonicalBytes(record);
export const recordSha256 = (record: CertificateRecord | unknown): string => createHash('sha256').update(canonicalRecordBytes(record)).digest('hex');
