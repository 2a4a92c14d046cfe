// Generated sources the type checker and the tests import before any Vite build has run:
// the paraglide message modules (src/lib/paraglide) and SvelteKit's ./$types (.svelte-kit).
// Runs on `npm install` (prepare) and before svelte-check; both steps are local, no network.
import { compile } from '@inlang/paraglide-js';
import { execFileSync } from 'node:child_process';

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
