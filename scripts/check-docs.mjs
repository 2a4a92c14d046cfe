#!/usr/bin/env node
/**
 * The handbook step of `npm test`:
 *   1. builds admin-docs/ with Hugo into a temporary directory (--panicOnWarning);
 *   2. fails on a broken internal link or image in the built HTML (a missing
 *      page or file, or a #fragment with no such id on the target page);
 *   3. checks that every setting of src/lib/server/config/schema.ts is in
 *      `.env.example` (with its default, under a comment) and in the
 *      handbook's configuration page (with its default), and that neither
 *      lists a setting that no longer exists — so the three cannot drift.
 * Prints every problem found, then exits 1 if there was any.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const problems = [];
const problem = (where, what) => problems.push(`${where}: ${what}`);

// 1. Hugo build
const out = mkdtempSync(join(tmpdir(), 'wipecert-docs-'));
try {
	const hugo = spawnSync('hugo', ['--source', join(root, 'admin-docs'), '--destination', out, '--panicOnWarning', '--quiet'], { encoding: 'utf8' });
	if (hugo.error) {
		problem('hugo', `cannot run hugo (${hugo.error.message}); install it with: apt-get install hugo`);
	} else if (hugo.status !== 0 || /\bWARN\b|\bERROR\b/.test(hugo.stderr)) {
		problem('hugo', `the build failed (exit ${hugo.status}):\n${hugo.stdout}${hugo.stderr}`);
	} else {
		checkLinks(out);
	}
} finally {
	rmSync(out, { recursive: true, force: true });
}

// 2. internal links and images
function htmlFiles(dir) {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) return htmlFiles(path);
		return name.endsWith('.html') ? [path] : [];
	});
}

function checkLinks(site) {
	const files = htmlFiles(site);
	if (!files.some((f) => relative(site, f) === 'index.html')) problem('handbook', 'the build has no index.html');
	const idsCache = new Map();
	const idsOf = (file) => {
		if (!idsCache.has(file)) {
			const html = readFileSync(file, 'utf8');
			idsCache.set(file, new Set([...html.matchAll(/\s(?:id|name)="([^"]+)"/g)].map((m) => m[1])));
		}
		return idsCache.get(file);
	};
	/** The file a site path names: the file itself, or its index.html. */
	const target = (pathname) => {
		const path = join(site, decodeURIComponent(pathname));
		if (!path.startsWith(site)) return null;
		if (existsSync(path) && statSync(path).isFile()) return path;
		const index = join(path, 'index.html');
		return existsSync(index) ? index : null;
	};
	for (const file of files) {
		const html = readFileSync(file, 'utf8');
		const page = '/' + relative(site, file).split(sep).join('/');
		const base = new URL(page, 'http://handbook.invalid');
		for (const [, attr, raw] of html.matchAll(/\s(href|src)="([^"]*)"/g)) {
			const link = raw.replaceAll('&amp;', '&');
			if (link === '' || /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(link)) continue; // external, mailto:, data:
			const url = new URL(link, base);
			const where = `${page} (${attr}="${raw}")`;
			const file2 = link.startsWith('#') ? file : target(url.pathname);
			if (!file2) {
				problem(where, `broken ${attr === 'src' ? 'image or file' : 'link'}: nothing at ${url.pathname}`);
				continue;
			}
			const fragment = decodeURIComponent(url.hash.slice(1));
			if (fragment && file2.endsWith('.html') && !idsOf(file2).has(fragment)) {
				problem(where, `no id "${fragment}" on ${url.pathname}`);
			}
		}
	}
}

// 3. settings ↔ .env.example ↔ configuration.md
const { settings } = await import(join(root, 'src/lib/server/config/schema.ts'));
const names = Object.keys(settings);

const envFile = join(root, '.env.example');
if (!existsSync(envFile)) problem('.env.example', 'missing');
else {
	const lines = readFileSync(envFile, 'utf8').split('\n');
	const listed = new Map();
	lines.forEach((line, i) => {
		const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
		if (m) listed.set(m[1], { value: unquote(m[2].trim()), commented: /^#\s*\S/.test(lines[i - 1] ?? '') });
	});
	for (const name of names) {
		const entry = listed.get(name);
		const def = settings[name].doc.default;
		if (!entry) problem('.env.example', `${name} is missing (add: # <what it does>\\n${name}=${quoteIfNeeded(def)})`);
		else {
			if (entry.value !== def) problem('.env.example', `${name}=${entry.value} but its default is "${def}"`);
			if (!entry.commented) problem('.env.example', `${name} has no one-line comment above it`);
		}
	}
	for (const name of listed.keys()) if (!names.includes(name)) problem('.env.example', `${name} is not a setting (src/lib/server/config/schema.ts)`);
}

const configPage = join(root, 'admin-docs/content/operations/configuration.md');
if (!existsSync(configPage)) problem('configuration.md', 'missing');
else {
	const rows = new Map();
	for (const m of readFileSync(configPage, 'utf8').matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`[^|]*\|\s*([^|]*?)\s*\|/gm)) rows.set(m[1], m[2]);
	for (const name of names) {
		const def = settings[name].doc.default;
		const expected = def === '' ? '*(unset)*' : '`' + def + '`';
		if (!rows.has(name)) problem('admin-docs/content/operations/configuration.md', `${name} has no row (| \`${name}\` | ${expected} | example | what it does |)`);
		else if (rows.get(name) !== expected) problem('admin-docs/content/operations/configuration.md', `${name}: default column says ${rows.get(name)}, the setting's default is ${expected}`);
	}
	for (const name of rows.keys()) if (!names.includes(name)) problem('admin-docs/content/operations/configuration.md', `${name} is not a setting (src/lib/server/config/schema.ts)`);
}

function unquote(v) {
	return /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
}
function quoteIfNeeded(v) {
	return /\s/.test(v) ? `"${v}"` : v;
}

if (problems.length) {
	console.error(`[check-docs] ${problems.length} problem(s):\n` + problems.map((p) => `  - ${p}`).join('\n'));
	process.exit(1);
}
console.log(`[check-docs] handbook built, internal links and images resolve, ${names.length} settings documented in .env.example and configuration.md`);
