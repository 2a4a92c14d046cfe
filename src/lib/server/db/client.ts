import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { traceSql } from '#lib/server/telemetry/instrument';

export type Db = PostgresJsDatabase;
/** A drizzle transaction: what domain functions take so a change and its job commit together. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export type Database = {
	url: string;
	sql: postgres.Sql;
	db: Db;
	close(timeoutSeconds?: number): Promise<void>;
};

export function openDatabase(url: string, max = 10): Database {
	const sql = postgres(url, {
		max,
		onnotice: () => {},
		connection: { application_name: `wipecert:${process.env.WIPECERT_ENTRY ?? 'app'}` }
	});
	// drizzle's queries get a span each when tracing is on (telemetry/instrument.ts)
	const db = drizzle({ client: traceSql(sql) });
	return { url, sql, db, close: (timeout = 5) => sql.end({ timeout }) };
}

/** Turns "connection refused" into one sentence an operator can act on. */
export async function checkReachable(database: Database): Promise<void> {
	try {
		await database.sql`select 1`;
	} catch (error) {
		const where = new URL(database.url);
		throw new Error(
			`PostgreSQL at ${where.hostname}:${where.port || 5432} (database ${where.pathname.slice(1)}) is unreachable: ${(error as Error).message}. Check DATABASE_URL, or unset it to use the embedded database.`,
			{ cause: error }
		);
	}
}
