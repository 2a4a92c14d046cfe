/**
 * `npm run witness -- --log VKEY [--origin ORIGIN] [--name NAME] [--port N] [--data DIR]`:
 * a local C2SP tlog witness for development and tests. Prints its verifier key
 * and the LOG_WITNESSES value that points the platform at it.
 */
import { join } from 'node:path';
import { startWitness } from '#lib/server/log/witness-server';

const USAGE = `Usage: npm run witness -- --log VKEY [--origin ORIGIN] [--name NAME] [--host HOST] [--port PORT] [--data DIR]

  --log VKEY      the log's checkpoint key (logVerifierKey of GET /api/v1/public/keys)
  --origin ORIGIN the log's origin line (default: the key's name)
  --name NAME     this witness's key name (default: localhost/witness)
  --port PORT     default 7380; --host default 127.0.0.1
  --data DIR      key and state (default: $DATA_DIR/witness, else .data/witness)`;

const args = process.argv.slice(2);
const opt: Record<string, string> = {};
for (let i = 0; i < args.length; i += 2) {
	if (!/^--(log|origin|name|host|port|data)$/.test(args[i]) || args[i + 1] === undefined) {
		process.stderr.write(`${USAGE}\n`);
		process.exit(2);
	}
	opt[args[i].slice(2)] = args[i + 1];
}
if (!opt.log) {
	process.stderr.write(`witness: --log VKEY is required\n\n${USAGE}\n`);
	process.exit(2);
}
const w = await startWitness(
	{ dataDir: opt.data ?? join(process.env.DATA_DIR ?? '.data', 'witness'), name: opt.name ?? 'localhost/witness', logs: [{ vkey: opt.log, origin: opt.origin }] },
	{ host: opt.host ?? '127.0.0.1', port: Number(opt.port ?? 7380) }
);
process.stdout.write(`witness listening on ${w.url}\nvkey ${w.vkey}\nLOG_WITNESSES="${w.vkey} ${w.url}"\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void w.close().then(() => process.exit(0)));
