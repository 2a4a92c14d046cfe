import type { Database } from './client';

export const INGEST_ROLE = 'wipecert_ingest';

/**
 * What the `ingest` entry may touch (least-privilege `ingest`
 * role). Modules that serve `/ingest/v1` add their tables here; nothing else is
 * granted, so the ingest process cannot read tenants, users or audit rows.
 */
export const INGEST_GRANTS: { table: string; privileges: ('SELECT' | 'INSERT' | 'UPDATE')[]; selectColumns?: string[] }[] = [
	// rate limits on /ingest/v1 (UPSERT reads the count it increments; purging is the maintenance worker's)
	{ table: 'rate_limit_counters', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
	// Idempotency-Key on POST /ingest/v1/… (stored answer read back on replay)
	{ table: 'idempotency_keys', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
	// agent gateway: request signatures (key lookup, nonces, last seen) and enrolment
	{ table: 'agents', privileges: ['SELECT', 'INSERT'] },
	{ table: 'agent_enrolment_tokens', privileges: ['SELECT', 'UPDATE'] },
	{ table: 'agent_activity', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
	{ table: 'agent_request_nonces', privileges: ['SELECT', 'INSERT'] },
	// proof submission: row, timeline and live event commit with the job
	{ table: 'proofs', privileges: ['SELECT', 'INSERT'] },
	{ table: 'proof_events', privileges: ['INSERT'] },
	{ table: 'tenant_events', privileges: ['SELECT', 'INSERT'] },
	// a proof's status view names its certificate
	{ table: 'certificates', privileges: ['SELECT'] },
	// enrolment is audited (the append-only trigger still refuses UPDATE/DELETE); the append's
	// RETURNING needs SELECT on the two columns it returns, and only those (audit rows stay unreadable)
	{ table: 'audit_events', privileges: ['INSERT'], selectColumns: ['seq', 'hash'] },
	{ table: 'audit_chain_heads', privileges: ['SELECT', 'INSERT', 'UPDATE'] }
];

/**
 * Functions the ingest role may call. A suspended tenant's agents are refused at submission
 * (tenantIsActive): `tenant_is_active` (SECURITY DEFINER, drizzle/0013) answers that one question
 * about a tenant the caller names, so the role needs no access to `tenants` at all.
 */
export const INGEST_FUNCTIONS: string[] = ['tenant_is_active(uuid)'];

/** Sequences of the granted tables' serial ids: inserting takes nextval, which needs USAGE. */
export const INGEST_SEQUENCES: string[] = ['proof_events_id_seq', 'tenant_events_id_seq', 'audit_events_id_seq'];

const ident = (name: string) => {
	if (!/^[a-z_][a-z0-9_.]*$/.test(name)) throw new Error(`bad identifier ${name}`);
	return name
		.split('.')
		.map((p) => `"${p}"`)
		.join('.');
};

/**
 * Creates the ingest role when missing and (re)applies its grants; idempotent,
 * run after migrations. `password` makes it a login role (embedded mode); in
 * production the DBA sets the password and this only grants.
 */
export async function ensureIngestRole(database: Database, password: string | null): Promise<void> {
	// One process at a time: a web server and a worker starting together would otherwise race
	// (CREATE ROLE → duplicate_object, concurrent GRANTs → "tuple concurrently updated").
	await database.sql.begin(async (sql) => {
		await sql`select pg_advisory_xact_lock(hashtext('wipecert:ingest-role'))`;
		const [exists] = await sql`select 1 from pg_roles where rolname = ${INGEST_ROLE}`;
		if (!exists) await sql.unsafe(`create role ${INGEST_ROLE} nologin`);
		if (password !== null) {
			// Role passwords cannot be bound parameters; the value is generated (base64url), and quoted.
			if (!/^[A-Za-z0-9_-]+$/.test(password)) throw new Error('ingest password must be base64url');
			await sql.unsafe(`alter role ${INGEST_ROLE} login password '${password}'`);
		}
		const [{ db }] = await sql`select current_database() as db`;
		await sql.unsafe(`grant connect on database "${db}" to ${INGEST_ROLE}`);
		await sql.unsafe(`grant usage on schema public to ${INGEST_ROLE}`);
		// pg-boss: an ingest request sends `proofs.validated` in its transaction; it may read queue
		// metadata and insert jobs, never update or delete them.
		await sql.unsafe(`grant usage on schema pgboss to ${INGEST_ROLE}`);
		await sql.unsafe(`grant select, insert on all tables in schema pgboss to ${INGEST_ROLE}`);
		await sql.unsafe(`grant usage on all sequences in schema pgboss to ${INGEST_ROLE}`);
		// Grants are exactly what is declared here: whatever an earlier version granted is taken back first.
		await sql.unsafe(`revoke all on all tables in schema public from ${INGEST_ROLE}`);
		for (const fn of INGEST_FUNCTIONS) {
			if (!/^[a-z_]+\([a-z, ]*\)$/.test(fn)) throw new Error(`bad function signature ${fn}`);
			await sql.unsafe(`grant execute on function ${fn} to ${INGEST_ROLE}`);
		}
		for (const grant of INGEST_GRANTS) {
			if (grant.privileges.length) await sql.unsafe(`grant ${grant.privileges.join(', ')} on ${ident(grant.table)} to ${INGEST_ROLE}`);
			if (grant.selectColumns) {
				const columns = grant.selectColumns.map(ident).join(', ');
				await sql.unsafe(`grant select (${columns}) on ${ident(grant.table)} to ${INGEST_ROLE}`);
			}
		}
		for (const sequence of INGEST_SEQUENCES) await sql.unsafe(`grant usage on sequence ${ident(sequence)} to ${INGEST_ROLE}`);
	});
}
