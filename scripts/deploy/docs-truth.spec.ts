import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobModules } from '../../src/jobs';
import { settings } from '#lib/server/config/schema';
import { PROOF_STATUSES } from '#lib/server/proofs/schema';
import { WORKER_KINDS } from '#lib/server/queue/catalogue';
import { docsTruthProblems, units, type TruthInput } from './docs-truth';

const root = join(import.meta.dirname, '../..');

/** The variables the OpenSSL recipe script reads: the handbook's recipe names them, the app does not. */
const opensslRecipeVariables = [...readFileSync(join(root, 'scripts/openssl-proof.sh'), 'utf8').matchAll(/\$\{?([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]);

/**
 * Upper-case names the docs may use that are not WipeCert settings: proof
 * states, and variables read by other programs (adapter-node's server, the
 * verify CLI, the benchmark, shell examples, the containers of compose.yaml).
 */
export const NOT_SETTINGS = new Set<string>([
	...PROOF_STATUSES,
	// adapter-node's own variables (its documentation)
	'SOCKET_PATH', 'ADDRESS_HEADER', 'XFF_DEPTH', 'LISTEN_PID', 'LISTEN_FDS', 'KEEP_ALIVE_TIMEOUT', 'HEADERS_TIMEOUT',
	// the verify CLI, the benchmark and the fuzz suite, shell variables of examples
	'WIPECERT_KEYS', 'BENCH_CPU_PROF', 'SERVICE_TOKEN', 'E2E_PORT', 'FUZZ_SEED', 'FUZZ_CASES',
	// the tests that retake the handbook's images (npm run screenshots, the PDF example)
	'UPDATE_SCREENSHOTS', 'WIPECERT_EXAMPLE_DIR', 'OTEL_BSP_SCHEDULE_DELAY', 'NODE_OPTIONS', 'MALLOC_ARENA_MAX', 'NODE_EXTRA_CA_CERTS',
	// the handbook's webhook receiver examples (the receiver's own environment)
	'WIPECERT_WEBHOOK_SECRET',
	// the image's build argument (the commit /api/v1/buildinfo reports)
	'GIT_COMMIT',
	// the compose stack's other containers (postgres, minio, keycloak, grafana images)
	'POSTGRES_PASSWORD', 'POSTGRES_USER', 'POSTGRES_DB', 'MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD',
	'KC_BOOTSTRAP_ADMIN_USERNAME', 'KC_BOOTSTRAP_ADMIN_PASSWORD', 'KC_HOSTNAME', 'KC_DB_PASSWORD',
	'GF_SECURITY_ADMIN_PASSWORD', 'WIPECERT_DOMAIN', 'WIPECERT_IMAGE', 'WIPECERT_INGEST_PASSWORD',
	// scripts/openssl-proof.sh, the proof made with the OpenSSL command line alone
	...opensslRecipeVariables
]);

function markdownFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		return statSync(path).isDirectory() ? markdownFiles(path) : name.endsWith('.md') ? [path] : [];
	});
}

const base: Omit<TruthInput, 'files'> = {
	allKinds: { proof: ['proofs.validated'], anchor: ['certificates.to_anchor'] },
	kindsInBuild: ['proof'],
	settings: { PORT: { doc: { description: 'port' } }, CHAIN: { doc: { description: 'Planned: anchors on chain.', requires: 'anchor' } } },
	vocabulary: new Set(['REJECTED'])
};
const check = (text: string, over: Partial<TruthInput> = {}) => docsTruthProblems({ ...base, ...over, files: [{ path: 'doc.md', text }] });

describe('docs truth check: what it refuses', () => {
	it('splits table rows, list items and paragraphs into units', () => {
		expect(units('| a |\n| b |\n\n- one\n  more\n- two\n\npara\ngraph').map((u) => u.text)).toEqual(['| a |', '| b |', '- one\n  more', '- two', 'para\ngraph']);
	});
	it('a kind the build does not ship, named without "planned"', () => {
		expect(check('Run `npm run worker -- anchor` to anchor.')).toEqual([expect.stringContaining('"anchor"')]);
		expect(check('| `anchor` | `certificates.to_anchor` | anchors |')).toHaveLength(1);
		expect(check('The anchor-worker service starts.')).toHaveLength(1);
		expect(check('| `anchor` | `certificates.to_anchor` | planned: anchors |')).toEqual([]);
	});
	it('a shipped kind called planned', () => {
		expect(check('`proof` (planned) certifies.')).toEqual([expect.stringContaining('ships in this build')]);
		expect(check('`proof` certifies; `anchor` (planned) anchors.')).toEqual([]);
	});
	it('a name that is no setting, and a setting only an unshipped kind acts on', () => {
		expect(check('Set `CHAIN_RPC_URL` to your node.')).toEqual([expect.stringContaining('CHAIN_RPC_URL')]);
		expect(check('Set `CHAIN=evm`.')).toEqual([expect.stringContaining('only the anchor worker')]);
		expect(check('`CHAIN=evm` (planned).')).toEqual([]);
		expect(check('`PORT` and `REJECTED` are known.')).toEqual([]);
	});
	it('the schema must say "planned" while the kind is missing, and stop once it ships', () => {
		const settingsNotPlanned = { CHAIN: { doc: { description: 'Anchors on chain.', requires: 'anchor' } } };
		expect(check('', { settings: settingsNotPlanned })).toEqual([expect.stringContaining('must say "planned"')]);
		expect(check('', { kindsInBuild: ['proof', 'anchor'] })).toEqual([expect.stringContaining('says "planned" but')]);
	});
});

describe('docs truth check: this repository', () => {
	it('README, handbook and .env.example name only worker kinds and settings this build acts on', () => {
		const paths = [join(root, 'README.md'), join(root, '.env.example'), ...markdownFiles(join(root, 'admin-docs/content'))];
		const problems = docsTruthProblems({
			allKinds: WORKER_KINDS,
			kindsInBuild: Object.keys(jobModules),
			settings,
			vocabulary: NOT_SETTINGS,
			files: paths.map((p) => ({ path: relative(root, p), text: readFileSync(p, 'utf8') }))
		});
		expect(problems).toEqual([]);
		// the check reads real files: the handbook's worker table is among them
		expect(paths.length).toBeGreaterThan(30);
	});
});
