import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freePort } from '../helpers/app-process';
import { signInToApp } from '../helpers/oidc-browser';
import { startStack, type Proc, type Stack } from '../helpers/pipeline-stack';

/**
 * One proof, one trace across three processes: the web server (the agent's
 * upload), the proof worker (the job, the pipeline, queries, storage) and the
 * remote signer service reached over mutual TLS. The receiver is an HTTP
 * server in this test that decodes OTLP/HTTP (JSON encoding, the
 * exporter-trace-otlp-http default) as a collector would.
 */
const otlpValue = z.object({ stringValue: z.string().optional(), intValue: z.union([z.string(), z.number()]).optional() }).loose();
const otlp = z.object({
	resourceSpans: z.array(
		z.object({
			resource: z.object({ attributes: z.array(z.object({ key: z.string(), value: otlpValue })) }),
			scopeSpans: z.array(
				z.object({
					spans: z.array(
						z.object({
							traceId: z.string(),
							spanId: z.string(),
							parentSpanId: z.string().optional(),
							name: z.string(),
							kind: z.number(),
							startTimeUnixNano: z.union([z.string(), z.number()]),
							endTimeUnixNano: z.union([z.string(), z.number()]),
							attributes: z.array(z.object({ key: z.string(), value: otlpValue })).optional()
						})
					)
				})
			)
		})
	)
});
type Span = { service: string; traceId: string; spanId: string; parent: string; name: string; kind: number; ms: number; start: bigint; attributes: Record<string, string> };

const spans: Span[] = [];
let receiver: HttpServer;
let stack: Stack;
let signer: ChildProcess;
let signerOut = '';
let worker: Proc;
const certs = mkdtempSync(join(tmpdir(), 'wipecert-trace-certs-'));

const readBody = (req: IncomingMessage) =>
	new Promise<string>((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
/** OTLP/JSON ids are hex; some encoders send base64 */
const hex = (id: string) => (/^[0-9a-f]*$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex'));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (out += d));
		child.once('exit', (code) => resolve({ code, out }));
	});
}

beforeAll(async () => {
	receiver = createServer(async (req, res) => {
		const body = await readBody(req);
		if (req.url !== '/v1/traces' || req.method !== 'POST') return res.writeHead(404).end();
		const decoded = otlp.safeParse(JSON.parse(body));
		if (!decoded.success) return res.writeHead(400, { 'content-type': 'application/json' }).end('{}');
		for (const rs of decoded.data.resourceSpans) {
			const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
			for (const ss of rs.scopeSpans)
				for (const s of ss.spans) {
					const start = BigInt(s.startTimeUnixNano);
					spans.push({
						service,
						traceId: hex(s.traceId),
						spanId: hex(s.spanId),
						parent: s.parentSpanId ? hex(s.parentSpanId) : '',
						name: s.name,
						kind: s.kind,
						start,
						ms: Number(BigInt(s.endTimeUnixNano) - start) / 1e6,
						attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, String(a.value.stringValue ?? a.value.intValue ?? '')]))
					});
				}
		}
		res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
	});
	await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
	const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, OTEL_BSP_SCHEDULE_DELAY: '200' };
	stack = await startStack({ env: { ...otel, SIGNER_KEYS: '2', SIGNER_BATCH_SIZE: '10' } });

	const made = await run(['build/signer.js', 'dev-certs', certs]);
	expect(made.code, made.out).toBe(0);
	const port = await freePort();
	signer = spawn(process.execPath, ['build/signer.js'], {
		env: { PATH: process.env.PATH ?? '', ...stack.env, LOG_LEVEL: 'info', SIGNER_PORT: String(port), SIGNER_HOST: '127.0.0.1', SIGNER_TLS_CERT: join(certs, 'server.crt'), SIGNER_TLS_KEY: join(certs, 'server.key'), SIGNER_TLS_CA: join(certs, 'ca.crt') },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	signer.stdout?.on('data', (d) => (signerOut += d));
	signer.stderr?.on('data', (d) => (signerOut += d));
	const deadline = Date.now() + 60_000;
	while (!signerOut.includes('signer listening')) {
		if (signer.exitCode !== null || Date.now() > deadline) throw new Error(`signer did not start:\n${signerOut}`);
		await new Promise((r) => setTimeout(r, 100));
	}
	worker = await stack.worker('proof', { SIGNER_URL: `https://localhost:${port}`, SIGNER_TLS_CERT: join(certs, 'client.crt'), SIGNER_TLS_KEY: join(certs, 'client.key'), SIGNER_TLS_CA: join(certs, 'ca.crt'), LOG_LEVEL: 'info' });
}, 240_000);
afterAll(async () => {
	await stack?.stop();
	if (signer && signer.exitCode === null) {
		signer.kill('SIGTERM');
		await new Promise((r) => signer.once('exit', r));
	}
	await new Promise((r) => receiver?.close(r));
	rmSync(certs, { recursive: true, force: true });
});

describe('one trace from the upload to the certificate', () => {
	it('web upload → proof job → pipeline, queries, storage and remote signer calls share one trace id; worker log lines carry it', async () => {
		const operator = await signInToApp(stack.origin, 'operator@acme.test');
		const res = await fetch(`${stack.origin}/api/v1/agents/enrolments`, { method: 'POST', headers: { cookie: operator.header(), origin: stack.origin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'trace' }) });
		const { token } = (await res.json()) as { token: string };
		const sim = await run(['build/agent-sim.js', '--url', stack.origin, '--enrol-token', token, '--count', '1', '--bad-ratio', '0']);
		expect(sim.code, sim.out).toBe(0);
		const sql = stack.database.sql;
		const deadline = Date.now() + 120_000;
		while ((await sql`select count(*)::int as n from proofs where status = 'CERTIFIED_NO_ANCHOR'`)[0].n < 1) {
			if (Date.now() > deadline) throw new Error(`not certified in time\n${worker.output().slice(-4000)}`);
			await new Promise((r) => setTimeout(r, 200));
		}

		const job = await waitFor(() => spans.find((s) => s.name === 'process proofs.validated' && s.service === 'wipecert-worker' && s.parent !== ''));
		await waitFor(() => spans.some((s) => s.traceId === job.traceId && s.service === 'wipecert-signer') && spans.some((s) => s.traceId === job.traceId && s.name === 'proof.issue'));
		await new Promise((r) => setTimeout(r, 1000));
		const trace = spans.filter((s) => s.traceId === job.traceId).sort((a, b) => (a.start < b.start ? -1 : 1));
		const byId = new Map(trace.map((s) => [s.spanId, s]));

		// the job's parent is the web server's span of the upload request
		const upload = byId.get(job.parent)!;
		expect(upload).toMatchObject({ service: 'wipecert-web', name: 'POST /ingest/v1/proofs', kind: 2 });
		expect(upload.parent).toBe('');
		// the pipeline ran inside the job
		const ancestors = (s: Span): string[] => (s.parent && byId.get(s.parent) ? [s.parent, ...ancestors(byId.get(s.parent)!)] : []);
		for (const step of ['proof.claim', 'proof.validate', 'proof.decide', 'proof.issue']) {
			const span = trace.find((s) => s.name === step);
			expect(span, step).toBeDefined();
			expect(ancestors(span!)).toContain(job.spanId);
		}
		const names = new Set(trace.map((s) => `${s.service} ${s.name}`));
		for (const expected of [
			'wipecert-web db.query',
			'wipecert-web storage.put',
			'wipecert-worker db.query',
			'wipecert-worker storage.getBytes',
			'wipecert-worker storage.put',
			'wipecert-worker signer.decryptEnvelope',
			'wipecert-worker signer.signBatch',
			'wipecert-worker signer.signPdfDigest',
			'wipecert-worker signer.signNote',
			'wipecert-signer signer POST /v1/sign-batch'
		])
			expect(names, expected).toContain(expected);
		// the signer service's span is a child of the worker's remote call (traceparent over mTLS)
		const served = trace.find((s) => s.service === 'wipecert-signer' && s.name === 'signer POST /v1/sign-batch')!;
		expect(byId.get(served.parent)).toMatchObject({ service: 'wipecert-worker', name: 'signer.signBatch', kind: 3 });
		expect(trace.find((s) => s.service === 'wipecert-signer' && s.name === 'signer.signBatch')?.parent).toBe(served.spanId);

		// worker log lines within the job carry its trace id
		const lines = worker.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
		const done = lines.find((l) => l.msg === 'job completed' && l.queue === 'proofs.validated' && l.trace_id === job.traceId);
		expect(done, worker.output().slice(-3000)).toBeDefined();
		expect(done!.span_id).toMatch(/^[0-9a-f]{16}$/);

		// the trace of one proof, for the record: service, span, duration
		const depth = (s: Span) => ancestors(s).length;
		console.log(
			`trace ${job.traceId} (${trace.length} spans)\n` +
				trace
					.filter((s) => !s.name.startsWith('db.query') || depth(s) <= 3)
					.map((s) => `${'  '.repeat(depth(s))}${s.service.replace('wipecert-', '')}: ${s.name} ${s.ms.toFixed(1)} ms`)
					.join('\n') +
				`\n(db.query spans: ${trace.filter((s) => s.name === 'db.query').length}, ${trace.filter((s) => s.name === 'db.query').reduce((a, s) => a + s.ms, 0).toFixed(1)} ms in all)`
		);
	}, 240_000);
});

async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = check();
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`spans not received in time; have: ${[...new Set(spans.map((s) => `${s.service} ${s.name}`))].join(', ')}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}
