import { randomBytes } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { node, tracing } from '@opentelemetry/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { ApiError } from '#lib/server/http/errors';
import { ensureDevTenants } from '#lib/server/tenancy';
import type { ProofAccepted } from './submission';
import { submitContext, submitProof } from './submit';

/**
 * Proof submissions without an Idempotency-Key are committed by group commit
 * (submission.ts `registerProofGrouped`): concurrent ones share one
 * transaction. Each caller is answered only after its row and job committed;
 * a shared transaction that fails mid-way commits nothing, and every caller
 * then gets the answer it would have had alone: nothing lost, nothing doubled.
 */
let env: Awaited<ReturnType<typeof startTestContainer>>;
let acme: string;
let globex: string;

beforeAll(async () => {
	env = await startTestContainer();
	({ acme, globex } = await ensureDevTenants(env.app.database.db));
}, 120_000);
afterAll(async () => env?.stop());

/** A DER SEQUENCE of random content: all the gateway checks before storing (the worker parses the CMS). */
function derLike(): Buffer {
	const content = randomBytes(40);
	return Buffer.concat([Buffer.from([0x30, content.length]), content]);
}

function submit(tenantId: string, der: Buffer, filename: string): Promise<ProofAccepted> {
	const request = new Request('http://localhost/api/v1/proofs', { method: 'POST', body: new Uint8Array(der), headers: { 'content-type': 'application/pkcs7-mime' } });
	const by = { tenantId, submitter: { kind: 'user' as const, id: 'u-group' }, source: 'api' as const, scope: `${tenantId}/user/u-group` };
	return submitProof(submitContext(env.app, env.app.database.db), { request, url: new URL(request.url) }, by, der, filename).then((outcome) => {
		expect(outcome.status).toBe(202);
		return outcome.body as ProofAccepted;
	});
}

/** Rows, jobs and transactions behind a set of public IDs. */
async function committed(publicIds: string[]) {
	const sql = env.app.database.sql;
	const rows = await sql<{ id: string; public_id: string; xid: string }[]>`select id, public_id, xmin::text as xid from proofs where public_id = any(${publicIds})`;
	const jobs = await sql<{ proof_id: string; n: number }[]>`select data->>'proofId' as proof_id, count(*)::int as n from pgboss.job
		where name = 'proofs.validated' and data->>'proofId' = any(${rows.map((r) => r.id)}) group by 1`;
	const events = await sql<{ n: number }[]>`select count(*)::int as n from proof_events where proof_id = any(${rows.map((r) => r.id)}::uuid[]) and to_status = 'RECEIVED'`;
	return { rows, jobs, events: events[0].n, transactions: new Set(rows.map((r) => r.xid)).size };
}

describe('group commit of proof submissions', () => {
	it('concurrent submissions share transactions; each has one row, one timeline entry and one job', async () => {
		const N = 60;
		const answers = await Promise.all(Array.from({ length: N }, (_, i) => submit(acme, derLike(), `group-${i}.der`)));
		expect(new Set(answers.map((a) => a.publicId)).size).toBe(N);
		expect(answers.filter((a) => a.duplicate || a.status !== 'RECEIVED')).toEqual([]);
		const c = await committed(answers.map((a) => a.publicId));
		expect(c.rows).toHaveLength(N);
		expect(c.jobs).toHaveLength(N);
		expect(c.jobs.filter((j) => j.n !== 1)).toEqual([]);
		expect(c.events).toBe(N);
		// grouped: fewer transactions than submissions
		expect(c.transactions).toBeLessThan(N);
	});

	it('the same content twice at once: one proof, the other caller told it is a duplicate of it, one job', async () => {
		const der = derLike();
		const answers = await Promise.all([submit(acme, der, 'same-a.der'), submit(acme, der, 'same-b.der'), ...Array.from({ length: 10 }, (_, i) => submit(acme, derLike(), `other-${i}.der`))]);
		const [a, b] = answers;
		expect(a.publicId).toBe(b.publicId);
		expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
		const c = await committed([a.publicId]);
		expect(c.rows).toHaveLength(1);
		expect(c.jobs).toEqual([{ proof_id: c.rows[0].id, n: 1 }]);
	});

	it('one suspended tenant in a shared batch: its callers get tenant_suspended, the others are accepted as alone', async () => {
		const sql = env.app.database.sql;
		await sql`update tenants set status = 'suspended' where id = ${globex}`;
		try {
			const calls = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? submit(globex, derLike(), `suspended-${i}.der`) : submit(acme, derLike(), `active-${i}.der`)));
			const settled = await Promise.allSettled(calls);
			const refused = settled.filter((s, i) => i % 4 === 0);
			const accepted = settled.filter((s, i) => i % 4 !== 0);
			expect(refused.map((s) => (s.status === 'rejected' && s.reason instanceof ApiError ? s.reason.code : s.status))).toEqual(Array(10).fill('tenant_suspended'));
			expect(accepted.filter((s) => s.status !== 'fulfilled')).toEqual([]);
			const ids = accepted.map((s) => (s as PromiseFulfilledResult<ProofAccepted>).value.publicId);
			const c = await committed(ids);
			expect(c.rows).toHaveLength(30);
			expect(c.jobs.filter((j) => j.n !== 1)).toHaveLength(0);
			expect(c.jobs).toHaveLength(30);
			const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from proofs where tenant_id = ${globex} and filename like 'suspended-%'`;
			expect(n).toBe(0);
		} finally {
			await sql`update tenants set status = 'active' where id = ${globex}`;
		}
	});

	it('a shared transaction that fails mid-way (one row refused by the database) loses and doubles nothing', async () => {
		const sql = env.app.database.sql;
		// a failure after some of the batch's rows were inserted: the whole transaction rolls back
		await sql.unsafe(`create function refuse_poison() returns trigger language plpgsql as $$
			begin if new.filename = 'poison.der' then raise exception 'refused by test trigger'; end if; return new; end $$;
			create trigger refuse_poison before insert on proofs for each row execute function refuse_poison();`);
		try {
			const ders = Array.from({ length: 50 }, () => derLike());
			const settled = await Promise.allSettled(ders.map((der, i) => submit(acme, der, i === 25 ? 'poison.der' : `crash-${i}.der`)));
			const poison = settled[25];
			expect(poison.status).toBe('rejected');
			expect(String((poison as PromiseRejectedResult).reason?.message ?? '') + String((poison as PromiseRejectedResult).reason?.cause?.message ?? '')).toContain('refused by test trigger');
			const others = settled.filter((_, i) => i !== 25);
			expect(others.filter((s) => s.status !== 'fulfilled')).toEqual([]);
			const answers = others.map((s) => (s as PromiseFulfilledResult<ProofAccepted>).value);
			expect(answers.filter((a) => a.duplicate)).toEqual([]);
			const c = await committed(answers.map((a) => a.publicId));
			expect(c.rows).toHaveLength(49);
			expect(c.jobs).toHaveLength(49);
			expect(c.jobs.filter((j) => j.n !== 1)).toEqual([]);
			expect(c.events).toBe(49);
			const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from proofs where filename = 'poison.der' or (tenant_id = ${acme} and filename like 'crash-%')`;
			expect(n).toBe(49);
		} finally {
			await sql.unsafe('drop trigger refuse_poison on proofs; drop function refuse_poison();');
		}
	});

	it('with an Idempotency-Key a submission keeps its own transaction and replays its first answer', async () => {
		const der = derLike();
		const key = randomBytes(8).toString('hex');
		const make = () => new Request('http://localhost/api/v1/proofs', { method: 'POST', body: new Uint8Array(der), headers: { 'content-type': 'application/pkcs7-mime', 'idempotency-key': key } });
		const by = { tenantId: acme, submitter: { kind: 'user' as const, id: 'u-group' }, source: 'api' as const, scope: `${acme}/user/u-group` };
		const ctx = submitContext(env.app, env.app.database.db);
		const [one, two] = await Promise.all([make(), make()].map((request) => submitProof(ctx, { request, url: new URL(request.url) }, by, der)));
		expect(one.body).toEqual(two.body);
		expect([one.replayed, two.replayed].sort()).toEqual([false, true]);
	});

	it('each job continues the trace of the request that sent its proof, also when the batch was started by another', async () => {
		// a tracer provider with an in-memory exporter, registered with the W3C propagator and the async context: nothing leaves the process
		const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(new tracing.InMemorySpanExporter())] });
		provider.register();
		try {
			const N = 20;
			const tracer = trace.getTracer('group-commit-test');
			const sent = await Promise.all(
				Array.from({ length: N }, (_, i) =>
					tracer.startActiveSpan(`request ${i}`, async (span) => {
						try {
							return { traceId: span.spanContext().traceId, answer: await submit(acme, derLike(), `traced-${i}.der`) };
						} finally {
							span.end();
						}
					})
				)
			);
			const c = await committed(sent.map((s) => s.answer.publicId));
			expect(c.transactions).toBeLessThan(N);
			const jobs = await env.app.database.sql<{ public_id: string; traceparent: string | null }[]>`
				select p.public_id, j.data->'_trace'->>'traceparent' as traceparent
				from pgboss.job j join proofs p on p.id::text = j.data->>'proofId'
				where j.name = 'proofs.validated' and p.public_id = any(${sent.map((s) => s.answer.publicId)})`;
			const traceOf = new Map(jobs.map((j) => [j.public_id, j.traceparent?.split('-')[1]]));
			expect(sent.map((s) => traceOf.get(s.answer.publicId))).toEqual(sent.map((s) => s.traceId));
		} finally {
			await provider.shutdown();
			trace.disable();
			propagation.disable();
			context.disable();
		}
	});
});
