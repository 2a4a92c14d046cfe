/**
 * The agent's side of the agent gateway (handbook agents/enrolment.md): enrol
 * with a token and a CSR, keep the credentials in `agent.json` (the format
 * agent-sim writes with --out), and call /ingest/v1 with RFC 9421 request
 * signatures. Used by the `agent` CLI and agent-sim.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { signRequest } from '#lib/server/agents/http-signature';
import { createCsr } from '#lib/server/signer/pki';

// proofEncryptionEcdhCertificate: absent from the answers (and agent.json files) of platforms before ECDH proofs
const enrolment = z.object({ agentId: z.uuid(), certificate: z.string(), caCertificates: z.array(z.string()), proofEncryptionCertificate: z.string(), proofEncryptionEcdhCertificate: z.string().optional() });
const stored = enrolment.extend({ url: z.url(), privateKeyPem: z.string() });

export type AgentIdentity = z.infer<typeof enrolment> & { url: string; key: KeyObject };

/** Retrying a platform that cannot take a request now (503, 429, no connection), as a real agent keeps its proofs until they are taken. */
export type RetryOptions = { retryForSeconds?: number };

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Generates a P-256 key, sends its CSR with the enrolment token (POST /ingest/v1/enrolments); waits out 503/429 for `retryForSeconds` (default 120). */
export async function enrol(url: string, token: string, name = `agent ${randomBytes(3).toString('hex')}`, options: RetryOptions = {}): Promise<AgentIdentity> {
	const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const csr = createCsr({ CN: name }, key);
	const deadline = Date.now() + (options.retryForSeconds ?? 120) * 1000;
	for (let attempt = 1; ; attempt++) {
		const res = await fetch(`${url}/ingest/v1/enrolments`, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify({ csr })
		});
		if ((res.status === 503 || res.status === 429) && Date.now() < deadline) {
			await res.arrayBuffer();
			const after = Number(res.headers.get('retry-after'));
			await pause(Math.min(Number.isFinite(after) && after > 0 ? after * 1000 : 1000 * attempt, 5000, Math.max(0, deadline - Date.now())));
			continue;
		}
		const body: unknown = await res.json().catch(() => null);
		if (res.status !== 201) throw new Error(`enrolment failed: HTTP ${res.status} ${JSON.stringify(body)}`);
		return { ...enrolment.parse(body), url, key };
	}
}

/** Writes DIR/agent.json (0600): the private key stays on the station. */
export function saveAgent(dir: string, agent: AgentIdentity): void {
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	const { key, ...rest } = agent;
	writeFileSync(join(dir, 'agent.json'), JSON.stringify({ ...rest, privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }) }, null, 2), { mode: 0o600 });
}

export function loadAgent(dir: string): AgentIdentity {
	const file = join(dir, 'agent.json');
	let raw: unknown;
	try {
		raw = JSON.parse(readFileSync(file, 'utf8'));
	} catch (error) {
		throw new Error(`cannot read ${file}: ${(error as Error).message}`);
	}
	const parsed = stored.safeParse(raw);
	if (!parsed.success) throw new Error(`${file} is not an agent.json written at enrolment: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
	const { privateKeyPem, ...rest } = parsed.data;
	return { ...rest, url: rest.url.replace(/\/$/, ''), key: createPrivateKey(privateKeyPem) };
}

export type Submitted = { status: number; publicId?: string; error?: string; message?: string; attempts?: number };

const submittedBody = z.object({ publicId: z.string().optional(), error: z.object({ code: z.string(), message: z.string() }).optional() });

/** The agent's clock: a skew in seconds (agent-sim --clock-skew), corrected once the gateway says the time. */
export type AgentClock = { offsetSeconds: number };

/**
 * POST /ingest/v1/proofs, signed. 429/503 and network errors are retried for
 * `retryForSeconds` (default 120), waiting what Retry-After says, with a fresh
 * signature each time (nonces are single-use, RFC 9421 §7.2.2). A signature
 * refused as expired corrects `clock` from the answer's Date header
 * (RFC 9110 §6.6.1) and is signed again.
 */
export async function submitProof(agent: AgentIdentity, der: Uint8Array, options: RetryOptions & { url?: string; clock?: AgentClock } = {}): Promise<Submitted> {
	const target = `${options.url ?? agent.url}/ingest/v1/proofs`;
	const clock = options.clock ?? { offsetSeconds: 0 };
	const deadline = Date.now() + (options.retryForSeconds ?? 120) * 1000;
	const wait = (seconds: number) => pause(Math.min(seconds * 1000, Math.max(0, deadline - Date.now())));
	for (let attempt = 1; ; attempt++) {
		const created = Math.floor(Date.now() / 1000) + clock.offsetSeconds;
		const headers = signRequest({ method: 'POST', url: target, body: der, keyId: agent.agentId, privateKey: agent.key, created });
		try {
			const res = await fetch(target, { method: 'POST', body: new Uint8Array(der), headers: { 'content-type': 'application/pkcs7-mime', ...headers } });
			const body = submittedBody.safeParse(await res.json().catch(() => ({})));
			const code = body.data?.error?.code;
			const serverTime = Date.parse(res.headers.get('date') ?? '');
			if (res.status === 401 && code === 'agent_signature_expired' && Number.isFinite(serverTime) && attempt < 3) {
				clock.offsetSeconds = Math.round((serverTime - Date.now()) / 1000);
				continue;
			}
			if ((res.status === 429 || res.status === 503) && Date.now() < deadline) {
				const after = Number(res.headers.get('retry-after'));
				await wait(Number.isFinite(after) && after > 0 ? after : Math.min(5, 0.2 * 2 ** attempt));
				continue;
			}
			return { status: res.status, publicId: body.data?.publicId, error: code, message: body.data?.error?.message, attempts: attempt };
		} catch (error) {
			if (Date.now() < deadline) {
				await wait(Math.min(5, 0.2 * 2 ** attempt));
				continue;
			}
			return { status: 0, error: 'network', message: (error as Error).message, attempts: attempt };
		}
	}
}

const statusView = z.object({ publicId: z.string(), status: z.string(), rejectionCode: z.string().nullable(), rejectionExplanation: z.string().nullable(), certificateId: z.string().nullable() });
export type ProofStatusView = z.infer<typeof statusView>;

/** GET /ingest/v1/proofs/{id}, signed. */
export async function proofStatus(agent: AgentIdentity, publicId: string, url = agent.url): Promise<ProofStatusView> {
	const target = `${url}/ingest/v1/proofs/${encodeURIComponent(publicId)}`;
	const headers = signRequest({ method: 'GET', url: target, body: new Uint8Array(), keyId: agent.agentId, privateKey: agent.key });
	const res = await fetch(target, { headers });
	const body: unknown = await res.json().catch(() => null);
	if (!res.ok) throw new Error(`status of ${publicId}: HTTP ${res.status} ${JSON.stringify(body)}`);
	return statusView.parse(body);
}

const FINAL = new Set(['CERTIFIED', 'CERTIFIED_NO_ANCHOR', 'CERTIFIED_PENDING_ANCHOR', 'REJECTED']);

/** Polls until the proof is certified or rejected, or `timeoutMs` passes (then the last status). */
export async function waitForDecision(agent: AgentIdentity, publicId: string, timeoutMs: number, url = agent.url): Promise<ProofStatusView> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const s = await proofStatus(agent, publicId, url);
		if (FINAL.has(s.status) || Date.now() > deadline) return s;
		await new Promise((r) => setTimeout(r, 500));
	}
}
