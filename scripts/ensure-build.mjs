#!/usr/bin/env node
// Builds when build/ is missing or older than the sources (used by npm start, worker, migrate).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'build/.stamp';
const SOURCES = ['src', 'openapi', 'drizzle', 'messages', 'static', 'project.inlang/settings.json', 'package.json', 'package-lock.json', 'vite.config.ts', 'vite.entries.config.ts', 'vite.verifier.config.ts'];

function newest(path) {
	if (!existsSync(path)) return 0;
	const s = statSync(path);
	if (!s.isDirectory()) return s.mtimeMs;
	let max = s.mtimeMs;
	for (const entry of readdirSync(path)) {
		if (entry === 'paraglide' || entry === 'node_modules') continue;
		max = Math.max(max, newest(join(path, entry)));
	}
	return max;
}

const stale = !existsSync(STAMP) || Math.max(...SOURCES.map(newest)) > statSync(STAMP).mtimeMs;
if (stale) {
	console.log('[wipecert] build missing or stale: building…');
	const r = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
	if (r.status !== 0) process.exit(r.status ?? 1);
}
