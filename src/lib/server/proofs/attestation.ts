/**
 * Operator-attested proofs: evidence from an erasure tool that signs nothing
 * (nwipe's log, uploaded in the dashboard), vouched for by the signed-in person
 * who uploaded it instead of by an enrolled agent's key. The proof pipeline
 * opens them here instead of through the agent signature check, and their
 * certificate record says who attested them instead of naming an agent.
 */
import type { OpenedProof } from './format';
import { openNwipeAttestation, type AttestedProof } from './nwipe/attestation';
import type { ProofSource } from './schema';

export type { AttestedProof } from './nwipe/attestation';

export const OPERATOR_ATTESTED_SOURCES = ['nwipe-log'] as const satisfies readonly ProofSource[];

export const isOperatorAttested = (source: ProofSource): source is (typeof OPERATOR_ATTESTED_SOURCES)[number] => (OPERATOR_ATTESTED_SOURCES as readonly string[]).includes(source);

/** Opens an operator-attested proof object (throws ProofRejection like the agent path). */
export function openAttestedProof(source: (typeof OPERATOR_ATTESTED_SOURCES)[number], bytes: Uint8Array): AttestedProof {
	switch (source) {
		case 'nwipe-log':
			return openNwipeAttestation(bytes);
	}
}

/** Who stands behind the report, as the certificate will state it: the agent certificate that signed it, or the attesting operator. */
export function certifiedBy(opened: OpenedProof | AttestedProof): { agentCertificateSerial: string } | { attestation: AttestedProof['attestation'] } {
	return 'attestation' in opened ? { attestation: opened.attestation } : { agentCertificateSerial: opened.signerSerialHex };
}
