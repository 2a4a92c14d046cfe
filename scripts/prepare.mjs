// Generated sources the type checker and the tests import before any Vite build has run:
// the paraglide message modules (src/lib/paraglide) and SvelteKit's ./$types (.svelte-kit).
// Runs on `npm install` (prepare) and before svelte-check; all steps are local, no network.
import { compile } from '@inlang/paraglide-js';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

await compile({
	project: './project.inlang',
	outdir: './src/lib/paraglide',
	strategy: ['cookie', 'preferredLanguage', 'baseLocale']
});
try {
	execFileSync('svelte-kit', ['sync'], { stdio: 'inherit' });
} catch (error) {
	// Kit's sync needs node_modules/.bin on PATH; npm scripts provide it. Say so rather than hide it.
	console.error('svelte-kit sync failed:', error instanceof Error ? error.message : error);
	process.exitCode = 1;
}
// The standalone verifier the app embeds (src/lib/server/verification/verifier-file.ts): built once here so that
// `vite dev` finds it; `npm run build` always rebuilds it.
if (!existsSync('.generated/wipecert-verify.mjs')) {
	try {
		execFileSync('vite', ['build', '--config', 'vite.verifier.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
	} catch (error) {
		console.error('building the standalone verifier failed:', error instanceof Error ? error.message : error);
		process.exitCode = 1;
	}
}
