/**
 * `node build/worker.js KIND` (or WORKER_KIND): runs one worker kind.
 * WORKER_ONCE=true runs one claim pass and exits 0.
 */
import { loadConfigOrExit } from '#lib/server/config';
import { isWorkerKind, WORKER_KINDS } from '#lib/server/queue/catalogue';

// Only the settings and the kind catalogue load before the checks below: the
// rest of the build (every job module, pg-boss, the PDF and crypto stacks)
// costs seconds of CPU to import, and would be paid twice when the process
// replaces itself, and once for nothing when the kind is wrong.

process.env.WIPECERT_ENTRY = 'worker';
const config = loadConfigOrExit();

// V8 sizes the young generation from the host's memory (64 MB semi-spaces
// on a 24 GB host), which alone kept ~130 MB resident in an idle worker. Heap
// sizes are fixed when the isolate starts, so the process replaces itself
// (same pid, for supervisors) with the flags the settings ask for; a flag given
// on the command line or in NODE_OPTIONS wins.
const v8Flags = [
	config.WORKER_SEMI_SPACE_MB ? `--max-semi-space-size=${config.WORKER_SEMI_SPACE_MB}` : null,
	config.WORKER_MAX_OLD_SPACE_MB ? `--max-old-space-size=${config.WORKER_MAX_OLD_SPACE_MB}` : null
].filter((flag): flag is string => flag !== null);
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map((a) => a.split('=')[0].replaceAll('_', '-'));
const missing = v8Flags.filter((flag) => !given.includes(flag.split('=')[0]));
// glibc gives each libuv thread (webcrypto, fs) its own malloc arena; two keep ~50 MB less resident in the proof worker
// (docs/decisions/0005-worker-heap-limits.md).
if (missing.length)
	process.execve!(process.execPath, [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)], { MALLOC_ARENA_MAX: '2', ...process.env });

const kind = process.argv[2] ?? config.WORKER_KIND;
if (!isWorkerKind(kind)) {
	process.stderr.write(`usage: worker KIND   (KIND one of: ${Object.keys(WORKER_KINDS).join(', ')}; or set WORKER_KIND)\n`);
	process.exit(2);
}
await (await import('./worker-run')).runWorker(config, kind);
