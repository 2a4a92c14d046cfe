/**
 * Why a proof is REJECTED (permanent), each with the explanation shown on the
 * proof's page (every rejection has a catalogue code and a human
 * explanation). The same list is the `RejectionCode` enum of the OpenAPI file
 * and the handbook's rejection codes page; a test keeps the three equal.
 */
export const REJECTIONS = {
	proof_malformed: {
		explanation:
			'The file is not a CMS proof envelope (AuthEnvelopedData, RFC 5083, or EnvelopedData): its DER structure could not be read. Submit the .der file the agent wrote, unmodified.',
		reprocessable: false
	},
	proof_decryption_failed: {
		explanation:
			'The proof is not encrypted to this platform’s proof-encryption certificate with RSAES-OAEP SHA-256 (or its ciphertext is damaged). Re-enrol the agent so it receives the current certificate, then submit a fresh proof.',
		reprocessable: false
	},
	proof_invalid_signature: {
		explanation: 'The agent signature inside the proof does not verify: the report was changed after signing, or signed with another key.',
		reprocessable: false
	},
	agent_unknown: {
		explanation: 'The proof is signed by a certificate that belongs to no agent enrolled in your tenant. Enrol the agent, then reprocess the proof.',
		reprocessable: true
	},
	agent_certificate_untrusted: {
		explanation: 'The signing certificate does not chain to your tenant’s agent CA, or was not valid when the proof was received.',
		reprocessable: false
	},
	agent_revoked: {
		explanation: 'The signing agent had been revoked before this proof was received; proofs it signs after its revocation are not certified.',
		reprocessable: false
	},
	report_schema_invalid: {
		explanation: 'The erasure report inside the proof does not match the report schema (see the details); fix the agent or its configuration and submit a new proof.',
		reprocessable: false
	},
	proof_duplicate: {
		explanation: 'This erasure report was certified already (the same report, possibly in another proof file or from another agent); see the existing certificate.',
		reprocessable: false
	},
	licence_exhausted: {
		explanation: 'Your tenant had no licence left when the proof was validated. After a top-up, reprocess it.',
		reprocessable: true
	}
} as const satisfies Record<string, { explanation: string; reprocessable: boolean }>;

export type RejectionCode = keyof typeof REJECTIONS;
export const REJECTION_CODES = Object.keys(REJECTIONS) as RejectionCode[];

export const isRejectionCode = (v: unknown): v is RejectionCode => typeof v === 'string' && v in REJECTIONS;

/** The detail of an `agent_unknown` rejection: the signing certificate's serial, which an enrolment is matched by. */
export const agentUnknownDetail = (serialHex: string) => `certificate serial ${serialHex.toLowerCase()}`;

/** A permanent failure of one proof, thrown by validation steps and turned into REJECTED. */
export class ProofRejection extends Error {
	constructor(
		readonly code: RejectionCode,
		readonly detail?: string
	) {
		super(detail ? `${REJECTIONS[code].explanation} (${detail})` : REJECTIONS[code].explanation);
		this.name = 'ProofRejection';
	}
}

/** A transient failure (signer or storage down): the proof becomes FAILED_RETRYABLE and is retried with backoff. */
export class RetryableFailure extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'RetryableFailure';
	}
}
