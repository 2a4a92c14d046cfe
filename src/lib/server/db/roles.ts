import type { Database } from './client';

export const INGEST_ROLE = 'wipecert_ingest';

/**
 * What the `ingest` entry may touch (ARCHITECTURE: least-privilege `ingest`
 * role). Modules that serve `/ingest/v1` add their tables here; nothing else is
 * granted, so the ingest process cannot read tenants, users or audit rows.
 */
export const INGEST_GRANTS: { table: string; privileges: ('SELECT' | 'INSERT' | 'UPDATE')[] }[] = [];

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
	const { sql } = database;
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
	for (const grant of INGEST_GRANTS) {
		await sql.unsafe(`grant ${grant.privileges.join(', ')} on ${ident(grant.table)} to ${INGEST_ROLE}`);
	}
}
