import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { paraglideVitePlugin } from '@inlang/paraglide-js';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

function commit(): string {
	if (process.env.GIT_COMMIT) return process.env.GIT_COMMIT;
	try {
		return execSync('git rev-parse HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
	} catch {
		return 'unknown';
	}
}

const build = {
	version: JSON.parse(readFileSync('package.json', 'utf8')).version as string,
	commit: commit(),
	builtAt: new Date().toISOString()
};

// SvelteKit 3: the Kit options live here, not in svelte.config.js.
export default defineConfig({
	plugins: [
		paraglideVitePlugin({
			project: './project.inlang',
			outdir: './src/lib/paraglide',
			strategy: ['cookie', 'preferredLanguage', 'baseLocale']
		}),
		sveltekit({
			adapter: adapter({ precompress: false }),
			// Our own origin check (hooks.server.ts) covers JSON and forms alike and answers in the error envelope.
			csrf: { trustedOrigins: ['*'] },
			csp: {
				mode: 'nonce',
				directives: {
					'default-src': ['self'],
					'script-src': ['self'],
					'style-src': ['self', 'unsafe-inline'],
					'img-src': ['self', 'data:', 'blob:'],
					'frame-src': ['self'],
					'object-src': ['none'],
					'base-uri': ['self'],
					'form-action': ['self'],
					'frame-ancestors': ['none']
				}
			},
			version: { name: build.commit }
		})
	],
	define: { __WIPECERT_BUILD__: JSON.stringify(build) },
	server: { host: '127.0.0.1' },
	// Three tiers (docs/architecture.md, "Tests"): `unit` needs nothing running (a unit run takes
	// seconds: `npx vitest run --project unit`), `integration` gets a real embedded PostgreSQL (one
	// database per file), `process` starts the built app or several processes (`npm run build` first).
	test: {
		testTimeout: 60_000,
		hookTimeout: 120_000,
		pool: 'forks',
		fileParallelism: true,
		maxWorkers: 2,
		projects: [
			{
				extends: true,
				test: { name: 'unit', include: ['src/**/*.spec.ts', 'scripts/**/*.spec.ts', 'tests/unit/**/*.spec.ts'], exclude: ['**/*.db.spec.ts', '**/node_modules/**'] }
			},
			{
				extends: true,
				test: { name: 'integration', include: ['src/**/*.db.spec.ts', 'tests/integration/**/*.spec.ts'], globalSetup: ['./tests/helpers/global-setup.ts'] }
			},
			{ extends: true, test: { name: 'process', include: ['tests/process/**/*.spec.ts'], globalSetup: ['./tests/helpers/global-setup.ts'] } }
		]
	}
});
