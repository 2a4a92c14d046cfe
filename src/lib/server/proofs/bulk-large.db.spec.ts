import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { ensureDevTenants } from '#lib/server/tenancy';
import { submitBulk, type BulkSubmission } from './bulk';
import { submitContext } from './submit';

/**
 * A bulk upload of 10,000 files in one request still answers one result per
 * file, in upload order, with one row and one job per file. Its memory is
 * measured by the benchmark (`bulk.web_rss_max`), not here.
 */
const COUNT = 10_000;
let env: Awaited<ReturnType<typeof startTestContainer>>;
let acme: string;

beforeAll(async () => {
	env = await startTestContainer();
	({ acme } = await ensureDevTenants(env.app.database.db));
}, 120_000);
afterAll(async () => env?.stop());

/** A DER SEQUENCE of random bytes: the upload checks the DER shape only (the worker opens the CMS). */
const derLike = () => {
	const content = randomBytes(200);
	return Buffer.concat([Buffer.from([0x30, 0x81, content.length]), content]);
};

describe('a large bulk upload', () => {
	it('10,000 files in one multipart request: every file has its result, row and job', async () => {
		const form = new FormData();
		for (let i = 0; i < COUNT; i++) form.append('file', new Blob([new Uint8Array(derLike())]), `large-${String(i).padStart(5, '0')}.der`);
		const request = new Request('http://localhost/api/v1/proofs/bulk', { method: 'POST', body: form });
		const by = { tenantId: acme, submitter: { kind: 'user' as const, id: 'u-large' }, source: 'bulk' as const, scope: `${acme}/user/u-large` };
		const limits = { proofMaxBytes: 1024 * 1024, bulkMaxBytes: 64 * 1024 * 1024, concurrency: 4, tmpDir: join(env.dataDir, 'tmp') };
		const outcome = await submitBulk(submitContext(env.app, env.app.database.db), { request, url: new URL(request.url) }, by, limits);
		expect(outcome.status).toBe(202);
		const body = JSON.parse(JSON.stringify(outcome.body)) as BulkSubmission;
		expect(body).toMatchObject({ accepted: COUNT, failed: 0 });
		expect(body.items.map((i) => i.name)).toEqual(Array.from({ length: COUNT }, (_, i) => `large-${String(i).padStart(5, '0')}.der`));
		const sql = env.app.database.sql;
		const [{ rows }] = await sql<{ rows: number }[]>`select count(*)::int as rows from proofs where tenant_id = ${acme} and filename like 'large-%'`;
		expect(rows).toBe(COUNT);
		const [{ jobs }] = await sql<{ jobs: number }[]>`select count(distinct data->>'proofId')::int as jobs from pgboss.job
			where name = 'proofs.validated' and data->>'proofId' in (select id::text from proofs where tenant_id = ${acme} and filename like 'large-%')`;
		expect(jobs).toBe(COUNT);
	}, 300_000);
});
