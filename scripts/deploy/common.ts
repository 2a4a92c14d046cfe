import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '#lib/server/config';

export const root = join(import.meta.dirname, '../..');

/**
 * The processes the image can run: `build/index.js` (written by
 * scripts/build.mjs over adapter-node's server) and every input of
 * vite.entries.config.ts whose source file exists.
 */
export function buildEntries(): Set<string> {
	const config = readFileSync(join(root, 'vite.entries.config.ts'), 'utf8');
	const inputs = [...config.matchAll(/^\s*'?([a-z][a-z-]*)'?: '(src\/entries\/[a-z-]+\.ts)'/gm)].filter((m) => existsSync(join(root, m[2])));
	const build = readFileSync(join(root, 'scripts/build.mjs'), 'utf8');
	const index = build.includes("writeFileSync('build/index.js'") ? ['build/index.js'] : [];
	return new Set([...index, ...inputs.map((m) => `build/${m[1]}.js`)]);
}

/** What a settings environment lacks for a production start: the config parser's own problems, or none. */
export function productionProblems(env: Record<string, string>): string[] {
	try {
		parseConfig(env);
		return [];
	} catch (error) {
		if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.problem}`);
		throw error;
	}
}

/** `${VAR}`, `${VAR:-default}`, `${VAR:?message}` of Compose interpolation, resolved from `vars` (`$$` is a literal `$`). */
export function interpolate(value: string, vars: Record<string, string>, missing: (name: string) => void): string {
	return value.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (m, name: string | undefined, op: string | undefined, arg: string | undefined) => {
		if (!name) return '$';
		const v = vars[name];
		if (v !== undefined && (v !== '' || !op?.startsWith(':'))) return v;
		if (op?.endsWith('-')) return arg ?? '';
		missing(name);
		return '';
	});
}

/** KEY=value lines of an env file (comments and blank lines skipped). */
export function readEnvFile(path: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const line of readFileSync(path, 'utf8').split('\n')) {
		const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
		if (m) out[m[1]] = m[2];
	}
	return out;
}
