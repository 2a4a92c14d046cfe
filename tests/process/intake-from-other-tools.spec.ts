import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentials, signInToApp } from '../helpers/oidc-browser';
import { startStack, type Proc, type Stack } from '../helpers/pipeline-stack';

/**
 * Intake from tools nobody at WipeCert wrote, on the built app with a proof
 * worker process and the in-process keyring:
 * - the OpenSSL recipe (scripts/openssl-proof.sh) run with the system openssl,
 *   curl and sh: enrol with a CSR from `openssl req`, sign with
 *   `openssl cms -sign`, encrypt with `openssl cms -encrypt -aes-256-gcm`,
 *   submit with a service-account token → certified; its output tampered
 *   with → rejected with the right code;
 * - the ECDH variant of the handbook's encrypt step, to the `?algorithm=ecdh`
 *   PEM (RFC 5753, SHA-256 KDF) → certified; OpenSSL's default SHA-1 KDF →
 *   rejected, the detail naming the option to add;
 * - GET /api/v1/public/keys/proof-encryption: RSA by default, P-256 with
 *   `algorithm=ecdh`, another value → 422 in the error envelope;
 * - the nwipe intake (`agent nwipe`) → one signed proof per drive, certified;
 * - the dashboard's nwipe upload route: a person may attest, a service token may not.
 */
let stack: Stack;
let worker: Proc;
let operator: Awaited<ReturnType<typeof signInToApp>>;

type Run = { code: number | null; stdout: string; stderr: string };

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
	return new Promise((resolve) => {
		const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '', HOME: stack.dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.once('exit', (code) => resolve({ code, stdout, stderr }));
	});
}

async function enrolmentToken(name: string): Promise<string> {
	const res = await fetch(`${stack.origin}/api/v1/agents/enrolments`, {
		method: 'POST',
		headers: { cookie: operator.header(), origin: stack.origin, 'content-type': 'application/json' },
		body: JSON.stringify({ name })
	});
	expect(res.status).toBe(201);
	return ((await res.json()) as { token: string }).token;
}

const proof = async (publicId: string) =>
	(await stack.database.sql<{ status: string; rejection_code: string | null; rejection_detail: string | null; agent_id: string | null }[]>`
		select status, rejection_code, rejection_detail, agent_id from proofs where public_id = ${publicId}`)[0];

beforeAll(async () => {
	stack = await startStack();
	worker = await stack.worker('proof');
	operator = await signInToApp(stack.origin, 'operator@acme.test');
}, 180_000);
afterAll(async () => stack?.stop());

describe('a proof from the OpenSSL command line alone', () => {
	const recipe = 'scripts/openssl-proof.sh';
	let dir: string;
	let env: Record<string, string>;

	beforeAll(async () => {
		dir = join(stack.dataDir, 'station');
		const log = join(stack.dataDir, 'erasure.log');
		writeFileSync(log, 'wipe /dev/sda: 3 passes, verified\n');
		env = {
			WIPECERT_URL: stack.origin,
			WIPECERT_ENROL_TOKEN: await enrolmentToken('openssl station'),
			WIPECERT_CLIENT_ID: 'acme-automation',
			WIPECERT_CLIENT_SECRET: 'dev-acme-secret',
			STATION_NAME: 'bench 7 (openssl)',
			DEVICE_TYPE: 'HDD',
			DEVICE_MANUFACTURER: 'Seagate',
			DEVICE_MODEL: 'ST2000DM008-2FR102',
			DEVICE_SERIAL: 'ZFL4N1QX',
			DEVICE_CAPACITY_BYTES: '2000398934016',
			DEVICE_INTERFACE: 'SATA',
			PASSES: '3',
			PATTERN: '0x00, 0xFF, random',
			TOOL_NAME: 'in-house wipe script',
			TOOL_VERSION: '2.1',
			STARTED_AT: '2026-05-28T07:55:45Z',
			ENDED_AT: '2026-05-28T12:13:22Z',
			OPERATOR_NAME: 'J. "Jay" Novak',
			SITE: 'Hamburg bay 3',
			COUNTRY: 'DE',
			HOST_NAME: 'wipe-de-07',
			ERASURE_LOG: log
		};
	}, 60_000);

	it('enrols with a CSR from openssl req, signs, encrypts, submits with a service-account token: certified', async () => {
		const steps: string[] = [];
		for (const step of ['enrol', 'report', 'sign', 'encrypt', 'submit']) {
			const r = await run('sh', [recipe, step, dir], env);
			expect(r.code, `${step}: ${r.stderr}${r.stdout}`).toBe(0);
			steps.push(`$ openssl-proof.sh ${step}\n${r.stdout}${r.stderr}`);
		}
		const status = await run('sh', [recipe, 'status', dir, '', '120'], env);
		steps.push(`$ openssl-proof.sh status\n${status.stdout}${status.stderr}`);
		console.info(`[openssl recipe] ${steps.join('')}`);
		expect(status.code, status.stderr).toBe(0);
		const publicId = readFileSync(join(dir, 'proof.id'), 'utf8').trim();
		expect(status.stdout).toMatch(new RegExp(`^${publicId} CERTIFIED_NO_ANCHOR certificate wc_\\w+\\n$`));
		const row = await proof(publicId);
		expect(row).toMatchObject({ status: 'CERTIFIED_NO_ANCHOR', rejection_code: null });
		// the proof is the standard RFC 5083 envelope, and the signer is the enrolled station
		const der = readFileSync(join(dir, 'proof.der'));
		expect(der.subarray(4, 17).toString('hex')).toBe('060b2a864886f70d0109100117');
		expect(row.agent_id).not.toBeNull();
		const [agent] = await stack.database.sql<{ name: string }[]>`select name from agents where id = ${row.agent_id}`;
		expect(agent.name).toBe('openssl station');
		const [cert] = await stack.database.sql<{ record: { report: { operator: { name: string } }; agent: { certificateSerial: string } } }[]>`
			select c.record from certificates c join proofs p on p.id = c.proof_id where p.public_id = ${publicId}`;
		expect(cert.record.report.operator.name).toBe('J. "Jay" Novak');
		expect(cert.record.agent.certificateSerial).toMatch(/^[0-9a-f]+$/);
	}, 240_000);

	it('tampered output: a changed ciphertext → proof_decryption_failed; a report changed after signing → proof_invalid_signature', async () => {
		// 1. one bit of the AES-GCM ciphertext
		const damaged = join(dir, 'damaged.der');
		const der = readFileSync(join(dir, 'proof.der'));
		der[der.length - 60] ^= 0x04;
		writeFileSync(damaged, der);
		const sent = await run('sh', [recipe, 'submit', dir, damaged], env);
		expect(sent.code, sent.stderr).toBe(0);
		const first = await run('sh', [recipe, 'status', dir, sent.stdout.trim(), '120'], env);
		expect(first.code).toBe(3);
		expect(first.stdout).toMatch(/ REJECTED proof_decryption_failed\n$/);
		// 2. the signed report edited in place ("erased" → "failed", same length), then encrypted by the recipe
		const edited = join(stack.dataDir, 'edited');
		mkdirSync(edited);
		for (const f of ['station.crt', 'station.key', 'proof-encryption.crt']) copyFileSync(join(dir, f), join(edited, f));
		const signed = readFileSync(join(dir, 'signed.der'));
		const at = signed.indexOf('"status":"erased"');
		expect(at).toBeGreaterThan(0);
		signed.write('"status":"failed"', at);
		writeFileSync(join(edited, 'signed.der'), signed);
		expect((await run('sh', [recipe, 'encrypt', edited], env)).code).toBe(0);
		const resent = await run('sh', [recipe, 'submit', edited], env);
		const second = await run('sh', [recipe, 'status', edited, resent.stdout.trim(), '120'], env);
		expect(second.stdout).toMatch(/ REJECTED proof_invalid_signature\n$/);
		expect((await proof(resent.stdout.trim())).rejection_detail).toMatch(/digest/);
		console.info(`[openssl recipe] tampered: ${first.stdout.trim()}; ${second.stdout.trim()}`);
	}, 240_000);

	describe('encrypted to the P-256 certificate (ECDH, RFC 5753) with the handbook’s commands', () => {
		let ecdh: string;
		const encrypt = (out: string, keyopts: string[]) =>
			run('openssl', ['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', join(ecdh, 'signed.der'), '-recip', join(ecdh, 'proof-encryption-ecdh.crt'), ...keyopts, '-outform', 'DER', '-out', join(ecdh, out)]);

		beforeAll(async () => {
			// a fresh report (a second copy of the first would be a duplicate), signed by the same station
			ecdh = join(stack.dataDir, 'ecdh');
			mkdirSync(ecdh);
			for (const f of ['station.crt', 'station.key']) copyFileSync(join(dir, f), join(ecdh, f));
			for (const step of ['report', 'sign']) expect((await run('sh', [recipe, step, ecdh], env)).code).toBe(0);
			const pem = await run('curl', ['-sS', '--fail-with-body', '-o', join(ecdh, 'proof-encryption-ecdh.crt'), `${stack.origin}/api/v1/public/keys/proof-encryption?algorithm=ecdh`]);
			expect(pem.code, pem.stderr).toBe(0);
		}, 60_000);

		it('-keyopt ecdh_kdf_md:sha256 -aes256-wrap: a KeyAgreeRecipientInfo the platform opens, certified', async () => {
			const r = await encrypt('proof.der', ['-keyopt', 'ecdh_kdf_md:sha256', '-aes256-wrap']);
			expect(r.code, r.stderr).toBe(0);
			const asn1 = await run('openssl', ['asn1parse', '-inform', 'DER', '-in', join(ecdh, 'proof.der')]);
			// keyEncryptionAlgorithm dhSinglePass-stdDH-sha256kdf-scheme { id-aes256-wrap } (RFC 5753 §7.1.4, RFC 3565)
			expect(asn1.stdout).toMatch(/:dhSinglePass-stdDH-sha256kdf-scheme\n.*SEQUENCE *\n.*:id-aes256-wrap\n/);
			const sent = await run('sh', [recipe, 'submit', ecdh], env);
			expect(sent.code, sent.stderr).toBe(0);
			const status = await run('sh', [recipe, 'status', ecdh, sent.stdout.trim(), '120'], env);
			expect(status.stdout).toMatch(new RegExp(`^${sent.stdout.trim()} CERTIFIED_NO_ANCHOR certificate wc_\\w+\\n$`));
			expect(await proof(sent.stdout.trim())).toMatchObject({ status: 'CERTIFIED_NO_ANCHOR', rejection_code: null });
			console.info(`[openssl ecdh] ${status.stdout.trim()}`);
		}, 240_000);

		it('without -keyopt ecdh_kdf_md:sha256 (OpenSSL’s SHA-1 KDF) → proof_decryption_failed, the detail names the option', async () => {
			const r = await encrypt('sha1-kdf.der', []);
			expect(r.code, r.stderr).toBe(0);
			expect((await run('openssl', ['asn1parse', '-inform', 'DER', '-in', join(ecdh, 'sha1-kdf.der')])).stdout).toContain(':dhSinglePass-stdDH-sha1kdf-scheme');
			const sent = await run('sh', [recipe, 'submit', ecdh, join(ecdh, 'sha1-kdf.der')], env);
			expect(sent.code, sent.stderr).toBe(0);
			const status = await run('sh', [recipe, 'status', ecdh, sent.stdout.trim(), '120'], env);
			expect(status.code).toBe(3);
			expect(status.stdout).toMatch(/ REJECTED proof_decryption_failed\n$/);
			const row = await proof(sent.stdout.trim());
			expect(row.rejection_detail).toMatch(/SHA-1 KDF/);
			expect(row.rejection_detail).toContain('-keyopt ecdh_kdf_md:sha256');
			console.info(`[openssl ecdh] SHA-1 KDF: ${status.stdout.trim()}: ${row.rejection_detail}`);
		}, 240_000);
	});
});

describe('GET /api/v1/public/keys/proof-encryption', () => {
	const pem = (query = '') => fetch(`${stack.origin}/api/v1/public/keys/proof-encryption${query}`);

	it('RSA by default and with algorithm=rsa, P-256 with algorithm=ecdh: the certificates of GET /api/v1/public/keys', async () => {
		const keys = (await (await fetch(`${stack.origin}/api/v1/public/keys`)).json()) as { proofEncryptionCertificatePem: string; proofEncryptionEcdhCertificatePem: string };
		const answers = await Promise.all(['', '?algorithm=rsa', '?algorithm=ecdh'].map(pem));
		for (const res of answers) {
			expect(res.status).toBe(200);
			expect(res.headers.get('content-type')).toBe('application/pem-certificate-chain');
		}
		const [plain, rsa, ecdh] = await Promise.all(answers.map((r) => r.text()));
		expect(plain).toBe(keys.proofEncryptionCertificatePem);
		expect(rsa).toBe(plain);
		expect(ecdh).toBe(keys.proofEncryptionEcdhCertificatePem);
		expect(new X509Certificate(rsa).publicKey.asymmetricKeyType).toBe('rsa');
		expect(new X509Certificate(ecdh).publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
	});

	it('algorithm=bogus → 422 validation_failed in the error envelope, naming the parameter', async () => {
		const res = await pem('?algorithm=bogus');
		expect(res.status).toBe(422);
		expect(res.headers.get('content-type')).toMatch(/^application\/json/);
		const body = (await res.json()) as { error: { code: string; message: string; details: { field?: string }[] } };
		expect(body.error).toMatchObject({ code: 'validation_failed', details: [{ field: 'algorithm' }] });
	});
});

describe('agent nwipe: nwipe logs → signed proofs', () => {
	it('one proof per drive, nwipe’s PDF attached by SHA-256, each certified; the same log again is refused as a duplicate', async () => {
		const agentDir = join(stack.dataDir, 'nwipe-agent');
		const pdf = join(stack.dataDir, 'nwipe_report_2024-06-03-11-15-26_Model_Samsung_SSD_870_EVO_500GB_Serial_S6PXNM0T402871W.pdf');
		writeFileSync(pdf, '%PDF-1.4 nwipe report');
		const log = 'tests/fixtures/nwipe/shredos-0.37-three-drives-one-failed.txt';
		const args = ['build/agent.js', 'nwipe', '--log', log, '--pdf', pdf, '--url', stack.origin, '--operator', 'A. Okafor', '--site', 'Rotterdam line 2', '--country', 'NL', '--wait', '120'];
		const r = await run(process.execPath, [...args, '--enrol-token', await enrolmentToken('shredos collector'), '--agent-dir', agentDir]);
		console.info(`[agent nwipe] ${r.stdout}`);
		expect(r.code, r.stderr + r.stdout).toBe(0);
		const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { drives: number; accepted: number; certified: number; results: { device: string; result: string; publicId: string; status: string }[] };
		expect(summary).toMatchObject({ drives: 3, accepted: 3, certified: 3 });
		expect(summary.results.map((x) => [x.device, x.result, x.status])).toEqual([
			['/dev/sda', 'erased', 'CERTIFIED_NO_ANCHOR'],
			['/dev/sdb', 'failed', 'CERTIFIED_NO_ANCHOR'],
			['/dev/sdc', 'erased_with_warnings', 'CERTIFIED_NO_ANCHOR']
		]);
		const [cert] = await stack.database.sql<{ record: { agent?: object; attestation?: object; report: { attachments: { kind: string; name?: string }[] } } }[]>`
			select c.record from certificates c join proofs p on p.id = c.proof_id where p.public_id = ${summary.results[0].publicId}`;
		expect(cert.record.agent).toBeDefined();
		expect(cert.record.attestation).toBeUndefined();
		expect(cert.record.report.attachments.map((a) => a.kind)).toEqual(['erasure_log', 'tool_report_pdf']);
		// the saved agent.json is reused: the same log again is the same reports, refused as duplicates
		const again = await run(process.execPath, [...args, '--agent-dir', agentDir]);
		expect(again.code).toBe(1);
		const second = JSON.parse(again.stdout.trim().split('\n').at(-1)!) as { results: { status: string; error: string }[] };
		expect(second.results.map((x) => [x.status, x.error])).toEqual(Array(3).fill(['REJECTED', 'proof_duplicate']));
	}, 300_000);
});

describe('POST /api/v1/proofs/nwipe-logs on the built app', () => {
	const form = () => {
		const f = new FormData();
		f.append('log', new Blob([readFileSync('tests/fixtures/nwipe/shredos-0.40-nvme-zeros.txt')]), 'nwipe_log_20260120-100344.txt');
		f.append('attest', 'true');
		return f;
	};

	it('a service token cannot attest (401); the signed-in operator can, and the proof is certified as operator-attested', async () => {
		const token = ((await (await clientCredentials(`${stack.origin}/realms/dev/protocol/openid-connect/token`, 'acme-automation', 'dev-acme-secret')).json()) as { access_token: string }).access_token;
		const refused = await fetch(`${stack.origin}/api/v1/proofs/nwipe-logs`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form() });
		expect(refused.status).toBe(401);
		expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/attested by a signed-in person/);
		const res = await fetch(`${stack.origin}/api/v1/proofs/nwipe-logs`, { method: 'POST', headers: { cookie: operator.header(), origin: stack.origin }, body: form() });
		expect(res.status).toBe(202);
		const body = (await res.json()) as { logs: { drives: { publicId: string }[] }[] };
		const publicId = body.logs[0].drives[0].publicId;
		const deadline = Date.now() + 120_000;
		while ((await proof(publicId)).status !== 'CERTIFIED_NO_ANCHOR' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
		expect(await proof(publicId)).toMatchObject({ status: 'CERTIFIED_NO_ANCHOR', agent_id: null });
		const certificateId = (await (await fetch(`${stack.origin}/api/v1/proofs/${publicId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { certificateId: string; attestation: string };
		expect(certificateId.attestation).toBe('operator');
		const pub = (await (await fetch(`${stack.origin}/api/v1/public/certificates/${certificateId.certificateId}`)).json()) as { attestation: unknown };
		expect(pub.attestation).toEqual({ kind: 'operator', source: 'nwipe-log', operatorName: 'Otto Acme' });
		console.info(`[nwipe upload] ${publicId} → ${certificateId.certificateId}`);
	}, 180_000);
});
