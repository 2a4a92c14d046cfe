/**
 * One process of tests/keyring-leases.spec.ts: its own in-process keyring over
 * the shared DATA_DIR/keys with PostgreSQL leases, signing every record of
 * the run (in its own order, BATCH records a batch, 4 batches at once) through
 * signReceiptsOnce. Logs each lease (database clock) into test_lease_log and
 * prints how many records it signed itself.
 *
 *   DATABASE_URL=… DATA_DIR=… tsx tests/helpers/keyring-lease-worker.ts NAME COUNT BATCH ORDER(asc|desc|shuffle)
 */
import { join } from 'node:path';
import { parseConfig, resolveConfig } from '../../src/lib/server/config';
import { startContainer, stopContainer } from '../../src/lib/server/container';
import { createKeyringSigner } from '../../src/lib/server/signer/keyring';
import { postgresLeaseStore, signReceiptsOnce } from '../../src/lib/server/signer/leases';
import type { Signer } from '../../src/lib/server/signer/types';
import { createLogger } from '../../src/lib/server/telemetry/logger';

const [name, countArg, batchArg, order] = process.argv.slice(2);
const count = Number(countArg);
const batchSize = Number(batchArg);
const config = resolveConfig(parseConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn' }));
const p = await startContainer({ config, log: createLogger('warn'), entry: 'test' });
const leases: { keyId: string; batch: number; acquired?: Date; released?: Date }[] = [];
const keyring = await createKeyringSigner(join(config.dataDir, 'keys'), {
	keys: config.SIGNER_KEYS,
	batchSize,
	leases: postgresLeaseStore(p.database.db),
	onLease: (e) => {
		if (e.type === 'acquire') leases.push({ keyId: e.keyId, batch: e.batch, acquired: e.at });
		else leases.find((l) => l.batch === e.batch)!.released = e.at;
	}
});
let signed = 0;
const counting: Signer = Object.assign(Object.create(keyring) as Signer, {
	signBatch: async (records: { id: string; bytes: Uint8Array }[]) => {
		signed += records.length;
		return keyring.signBatch(records);
	}
});
const ids = Array.from({ length: count }, (_, i) => `rec-${String(i).padStart(6, '0')}`);
if (order === 'desc') ids.reverse();
if (order === 'shuffle') {
	// other batch compositions than the other process: records reserved by both, partial batches
	for (let i = ids.length - 1; i > 0; i--) {
		const j = Math.floor(Math.random() * (i + 1));
		[ids[i], ids[j]] = [ids[j], ids[i]];
	}
}
const batches: string[][] = [];
for (let i = 0; i < ids.length; i += batchSize) batches.push(ids.slice(i, i + batchSize));
let next = 0;
await Promise.all(
	Array.from({ length: 4 }, async () => {
		while (next < batches.length) {
			const b = batches[next++];
			await signReceiptsOnce(p.database.db, counting, b.map((id) => ({ id, bytes: Buffer.from(id) })), { holder: `${name}:${next}` });
		}
	})
);
for (const l of leases) {
	await p.database.sql`insert into test_lease_log (key_id, holder, acquired_at, released_at) values (${l.keyId}, ${`${name}:${l.batch}`}, ${l.acquired!.toISOString()}, ${l.released!.toISOString()})`;
}
process.stdout.write(JSON.stringify({ name, signed, leases: leases.length }) + '\n');
await keyring.close();
await stopContainer(p);
process.exit(0);
