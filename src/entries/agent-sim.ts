/**
 * `npm run agent-sim -- --url URL --enrol-token T --count N [--concurrency C] [--bad-ratio R] [--out DIR] [--results FILE] [--retry-for S] [--clock-skew S] [--envelope auth-enveloped|enveloped] [--encryption rsa|ecdh]`
 *
 * A realistic erasure agent: generates a P-256
 * key and a CSR, enrols with the token (POST /ingest/v1/enrolments), builds N
 * real proofs of varied reports (proofs/format) and submits them to
 * POST /ingest/v1/proofs signed with RFC 9421, C at a time. `--bad-ratio R` mixes
 * in bad proofs, evenly over the kinds below; `--out DIR` writes the proofs as
 * .der files (and the enrolment credentials, agent.json) instead of submitting.
 * `--envelope enveloped` writes the proof format's first envelope (EnvelopedData
 * with AES-GCM) instead of RFC 5083 AuthEnvelopedData, as older agents do.
 * `--encryption ecdh` encrypts to the enrolment answer's P-256 certificate
 * (ephemeral-static ECDH, RFC 5753) instead of the RSA one (RSAES-OAEP); the
 * ECDH form is AuthEnvelopedData only. RSA stays the default: it is what the
 * OpenSSL recipe and most agents write, so agent-sim's proofs (and the certify
 * benchmark built on them) keep standing for the common case; ECDH saves the
 * platform about 0.7 ms CPU of a certificate's ~20.
 * The last stdout line is a JSON summary. Usage errors exit 2.
 *
 * Like a real agent that keeps its proofs until they are taken, it retries a
 * submission the platform could not take now (503, 429, no connection) for up
 * to `--retry-for` seconds (default 120), waiting what Retry-After says.
 * `--clock-skew S` runs its clock S seconds off; when the gateway refuses a
 * signature as expired it corrects its offset from the answer's Date header
 * (RFC 9110 §6.6.1) and signs again.
 *
 * Bad kinds and the rejection the platform gives them:
 *   garbage        DER-shaped random bytes                              proof_malformed
 *   bad_signature  report changed after signing                         proof_invalid_signature
 *   unknown_agent  signed by a key this agent never enrolled            agent_certificate_untrusted
 *   schema         a well-signed report that breaks the report schema   report_schema_invalid
 */
import { randomBytes, randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { enrol, saveAgent, submitProof, type AgentClock } from '#lib/agent/client';
import { BAD_KINDS, EXPECTED_REJECTION, encryptionCertificate, makeProof, strangerIdentity, type Kind, type ProofEncryption } from '#lib/agent/sim-proofs';
import type { ProofEnvelope } from '#lib/server/proofs/format';

export { BAD_KINDS, EXPECTED_REJECTION };

const USAGE = 'usage: agent-sim --url URL --enrol-token T --count N [--concurrency C] [--bad-ratio R] [--out DIR] [--results FILE] [--retry-for S] [--clock-skew S] [--envelope auth-enveloped|enveloped] [--encryption rsa|ecdh]';

function usage(problem: string): never {
	process.stderr.write(`agent-sim: ${problem}\n${USAGE}\n`);
	process.exit(2);
}

function parseCli() {
	let values;
	try {
		({ values } = parseArgs({
			options: {
				url: { type: 'string' },
				'enrol-token': { type: 'string' },
				count: { type: 'string' },
				concurrency: { type: 'string', default: '8' },
				'bad-ratio': { type: 'string', default: '0' },
				out: { type: 'string' },
				results: { type: 'string' },
				'retry-for': { type: 'string', default: '120' },
				'clock-skew': { type: 'string', default: '0' },
				envelope: { type: 'string', default: 'auth-enveloped' },
				encryption: { type: 'string', default: 'rsa' },
				help: { type: 'boolean', short: 'h' }
			},
			strict: true,
			allowPositionals: false
		}));
	} catch (error) {
		usage((error as Error).message);
	}
	if (values.help) {
		process.stdout.write(USAGE + '\n');
		process.exit(0);
	}
	if (!values.url || !/^https?:\/\//.test(values.url)) usage('--url must be an http(s) URL');
	if (!values['enrol-token']) usage('--enrol-token is required');
	const count = Number(values.count);
	const concurrency = Number(values.concurrency);
	const badRatio = Number(values['bad-ratio']);
	if (!Number.isInteger(count) || count < 1) usage('--count must be a whole number of at least 1');
	if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) usage('--concurrency must be 1..256');
	if (!Number.isFinite(badRatio) || badRatio < 0 || badRatio > 1) usage('--bad-ratio must be between 0 and 1');
	const retryFor = Number(values['retry-for']);
	const clockSkew = Number(values['clock-skew']);
	if (!Number.isFinite(retryFor) || retryFor < 0) usage('--retry-for must be a number of seconds');
	if (!Number.isInteger(clockSkew)) usage('--clock-skew must be a whole number of seconds');
	const envelope = values.envelope;
	if (envelope !== 'auth-enveloped' && envelope !== 'enveloped') usage('--envelope must be auth-enveloped or enveloped');
	const encryption = values.encryption;
	if (encryption !== 'rsa' && encryption !== 'ecdh') usage('--encryption must be rsa or ecdh');
	if (encryption === 'ecdh' && envelope === 'enveloped') usage('--envelope enveloped (the first form) takes --encryption rsa only');
	return { url: values.url.replace(/\/$/, ''), token: values['enrol-token'], count, concurrency, badRatio, out: values.out, results: values.results, retryFor, clockSkew, envelope: envelope as ProofEnvelope, encryption: encryption as ProofEncryption };
}


/** Which proof is which kind: round(N·R) bad ones at random positions, evenly over the kinds. */
function plan(count: number, badRatio: number): Kind[] {
	const bad = Math.round(count * badRatio);
	const kinds: Kind[] = Array.from({ length: count }, (_, i) => (i < bad ? BAD_KINDS[i % BAD_KINDS.length] : 'good'));
	for (let i = kinds.length - 1; i > 0; i--) {
		const j = randomInt(i + 1);
		[kinds[i], kinds[j]] = [kinds[j], kinds[i]];
	}
	return kinds;
}

type Result = { index: number; kind: Kind; status: number; publicId?: string; error?: string; attempts?: number };

async function main(): Promise<void> {
	const cli = parseCli();
	const clock: AgentClock = { offsetSeconds: cli.clockSkew };
	const started = performance.now();
	const agent = await enrol(cli.url, cli.token, `agent-sim ${randomBytes(3).toString('hex')}`, { retryForSeconds: cli.retryFor });
	encryptionCertificate(agent, cli.encryption); // fails before any proof when the platform offers no ECDH certificate
	const stranger = strangerIdentity();
	const kinds = plan(cli.count, cli.badRatio);
	const bad = Object.fromEntries(BAD_KINDS.map((k) => [k, kinds.filter((x) => x === k).length]));
	const results: Result[] = [];

	if (cli.out) {
		saveAgent(cli.out, agent);
		const manifest = kinds.map((kind, i) => {
			const file = `proof-${String(i + 1).padStart(String(cli.count).length, '0')}.der`;
			writeFileSync(join(cli.out!, file), makeProof(kind, agent, stranger, cli.envelope, cli.encryption));
			return { file, kind, expected: kind === 'good' ? 'CERTIFIED' : EXPECTED_REJECTION[kind] };
		});
		writeFileSync(join(cli.out, 'manifest.json'), JSON.stringify(manifest, null, 2));
		const seconds = Number(((performance.now() - started) / 1000).toFixed(3));
		process.stdout.write(JSON.stringify({ submitted: 0, accepted: 0, rejected: 0, seconds, written: cli.count, agentId: agent.agentId, good: cli.count - Object.values(bad).reduce((a, b) => a + b, 0), bad, out: cli.out }) + '\n');
		return;
	}

	let next = 0;
	const buildMs: number[] = [];
	await Promise.all(
		Array.from({ length: Math.min(cli.concurrency, cli.count) }, async () => {
			while (next < kinds.length) {
				const index = next++;
				const t = performance.now();
				const der = makeProof(kinds[index], agent, stranger, cli.envelope, cli.encryption);
				buildMs.push(performance.now() - t);
				const sent = await submitProof(agent, der, { retryForSeconds: cli.retryFor, clock });
				results.push({ index, kind: kinds[index], status: sent.status, publicId: sent.publicId, error: sent.status === 0 ? sent.message : sent.error, attempts: sent.attempts });
			}
		})
	);
	const accepted = results.filter((r) => r.status === 202).length;
	const seconds = Number(((performance.now() - started) / 1000).toFixed(3));
	if (cli.results) writeFileSync(cli.results, JSON.stringify(results.sort((a, b) => a.index - b.index), null, 2));
	const errors: Record<string, number> = {};
	for (const r of results) if (r.status !== 202) errors[`${r.status} ${r.error ?? ''}`.trim()] = (errors[`${r.status} ${r.error ?? ''}`.trim()] ?? 0) + 1;
	const summary = {
		submitted: results.length,
		accepted,
		rejected: results.length - accepted,
		seconds,
		agentId: agent.agentId,
		good: kinds.filter((k) => k === 'good').length,
		bad,
		buildMsPerProof: Number((buildMs.reduce((a, b) => a + b, 0) / Math.max(1, buildMs.length)).toFixed(2)),
		retried: results.filter((r) => (r.attempts ?? 1) > 1).length,
		clockOffsetSeconds: clock.offsetSeconds,
		...(Object.keys(errors).length ? { errors } : {})
	};
	process.stdout.write(JSON.stringify(summary) + '\n');
	if (accepted === 0) process.exitCode = 1;
}

main().catch((error) => {
	process.stderr.write(`agent-sim: ${(error as Error).message}\n`);
	process.exit(1);
});
