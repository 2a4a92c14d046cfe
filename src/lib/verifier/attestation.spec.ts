import { describe, expect, it } from 'vitest';
import { recordAttestation } from './attestation';

describe('recordAttestation', () => {
	it('names the agent certificate of an agent-signed record, and the operator of an attested one', () => {
		expect(recordAttestation(JSON.stringify({ agent: { certificateSerial: '675fc5bb' }, report: {} }))).toEqual({ kind: 'agent', agentCertificateSerial: '675fc5bb' });
		const attested = { attestation: { kind: 'operator', source: 'nwipe-log', operator: { name: 'Otto Acme' }, logSha256: 'a'.repeat(64) }, report: {} };
		expect(recordAttestation(JSON.stringify(attested))).toEqual({ kind: 'operator', source: 'nwipe-log', operatorName: 'Otto Acme' });
	});

	it('says nothing for a record that states neither, or no record at all', () => {
		expect(recordAttestation(JSON.stringify({ report: {} }))).toBeNull();
		expect(recordAttestation('not json')).toBeNull();
		expect(recordAttestation(null)).toBeNull();
		expect(recordAttestation(JSON.stringify({ attestation: { kind: 'operator' } }))).toBeNull();
	});
});
