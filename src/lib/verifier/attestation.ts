/**
 * Who stands behind a certificate's report, read from its embedded canonical
 * record (browser-safe, like the rest of the core): the enrolled agent whose
 * key signed it, or the operator who attested evidence no agent signed (an
 * uploaded nwipe log). Read only after the record check passed; null when the
 * record says neither.
 */
export type RecordAttestation = { kind: 'agent'; agentCertificateSerial: string } | { kind: 'operator'; source?: 'nwipe-log'; operatorName: string };

export function recordAttestation(record: string | null): RecordAttestation | null {
	if (record === null) return null;
	let r: { attestation?: { kind?: unknown; source?: unknown; operator?: { name?: unknown } }; agent?: { certificateSerial?: unknown } };
	try {
		r = JSON.parse(record);
	} catch (error) {
		// the record check judges an unreadable record; there is nothing to say here
		if (error instanceof SyntaxError) return null;
		throw error;
	}
	if (r.attestation?.kind === 'operator' && typeof r.attestation.operator?.name === 'string') {
		return { kind: 'operator', ...(r.attestation.source === 'nwipe-log' ? { source: 'nwipe-log' as const } : {}), operatorName: r.attestation.operator.name };
	}
	if (typeof r.agent?.certificateSerial === 'string') return { kind: 'agent', agentCertificateSerial: r.agent.certificateSerial };
	return null;
}
