import type postgres from 'postgres';
import { sampleReport } from '../../src/lib/server/proofs/format/sample';

/**
 * Volume for the read paths (exports, monthly reports) in seconds rather than
 * hours: `count` certified proofs of one tenant, each with its certificate
 * row (a record shaped like an issued one, around a realistic erasure report)
 * and its licence consumption, issued evenly over [from, to), plus the grant
 * that paid for them the day before `from`. Written by PostgreSQL itself
 * (generate_series over a few report templates), so 100,000 take a few
 * seconds. The rows carry no receipt, log leaf or PDF: they are for tests and
 * benchmarks of what reads certificates and the ledger, not for verification.
 */
export async function seedCertifiedMonth(
	sql: postgres.Sql,
	o: { tenantId: string; tenantSlug: string; count: number; from: Date; to: Date; tag?: string }
): Promise<void> {
	const tag = o.tag ?? Math.random().toString(36).slice(2, 8);
	const templates = Array.from({ length: 16 }, (_, i) => sampleReport({ warningRatio: i % 4 === 0 ? 1 : 0 }));
	const span = o.to.getTime() - o.from.getTime();
	await sql.begin(async (tx) => {
		const [{ before }] = await tx<{ before: number }[]>`select coalesce((select balance_after from licence_ledger where tenant_id = ${o.tenantId} order by id desc limit 1), 0) as before`;
		await tx`insert into licence_ledger (tenant_id, kind, amount, balance_after, reason, created_at)
			values (${o.tenantId}, 'grant', ${o.count}, ${before + o.count}, ${`volume seed ${tag}`}, ${new Date(o.from.getTime() - 86_400_000).toISOString()}::timestamptz)`;
		await tx`
			with t as (select e.report, e.n - 1 as n from jsonb_array_elements(${JSON.stringify(templates)}::text::jsonb) with ordinality as e(report, n)),
			s as (
				select i,
					'prf_' || substr(translate(md5(${tag} || 'p' || i), '0189', 'abij'), 1, 26) as proof_public,
					'wc_' || substr(translate(md5(${tag} || 'c' || i), '0189', 'abij'), 1, 26) as cert_public,
					${o.from.toISOString()}::timestamptz + (${span}::bigint * i / ${o.count}) * interval '1 millisecond' as issued_at,
					encode(sha256((${tag} || 'proof' || i)::bytea), 'hex') as content_sha256,
					jsonb_set((select report from t where n = i % 16), '{device,serial}', to_jsonb('SN' || upper(substr(md5(${tag} || 's' || i), 1, 12)))) as report
				from generate_series(0, ${o.count - 1}) as i
			),
			p as (
				insert into proofs (public_id, tenant_id, source, submitter_kind, submitter_id, size_bytes, content_sha256, object_key, status, received_at, updated_at, completed_at)
				select proof_public, ${o.tenantId}, 'api', 'user', 'seed', 4096, content_sha256, 'proofs/seed/' || proof_public || '.der', 'CERTIFIED_NO_ANCHOR',
					issued_at - interval '2 seconds', issued_at, issued_at
				from s
				returning id, public_id
			),
			c as (
				insert into certificates (public_id, tenant_id, proof_id, status, record, record_sha256, log_index, created_at, issued_at)
				select s.cert_public, ${o.tenantId}, p.id, 'valid', r.record, encode(sha256(r.record::text::bytea), 'hex'), s.i, s.issued_at, s.issued_at
				from s join p on p.public_id = s.proof_public,
				lateral (select jsonb_build_object(
					'version', 1, 'certificateId', s.cert_public,
					'issuer', jsonb_build_object('tenant', ${o.tenantSlug}::text, 'name', ${o.tenantSlug}::text),
					'issuedAt', to_char(s.issued_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
					'proof', jsonb_build_object('id', s.proof_public, 'sha256', s.content_sha256, 'receivedAt', to_char((s.issued_at - interval '2 seconds') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
					'agent', jsonb_build_object('certificateSerial', lpad(to_hex(1 + s.i % 3), 16, '0')),
					'report', s.report) as record) r
				returning proof_id
			)
			insert into licence_ledger (tenant_id, kind, amount, balance_after, proof_id, proof_public_id, created_at)
			select ${o.tenantId}, 'consumption', -1, ${before + o.count} - 1 - s.i, p.id, p.public_id, s.issued_at
			from s join p on p.public_id = s.proof_public
			order by s.i`;
	});
}
