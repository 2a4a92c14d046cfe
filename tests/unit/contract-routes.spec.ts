import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPERATIONS } from '../../src/lib/api/operations.gen';
import { ERROR_CATALOGUE } from '../../src/lib/server/http/errors';

/**
 * Contract first: the routes under src/routes and openapi/openapi.yaml
 * describe the same API, every contract route is built from its operation
 * (src/lib/server/route), and the error catalogue is the spec's ErrorCode
 * enum. Routes added by anyone join these checks by existing.
 */
const spec = parse(readFileSync('openapi/openapi.yaml', 'utf8')) as {
	paths: Record<string, Record<string, unknown>>;
	components: { schemas: Record<string, { enum?: string[]; description?: string }> };
};

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Routes that are deliberately not part of the REST contract. Each entry says why.
 * Anything matched here may still be documented; then it is checked like any route.
 */
const NOT_IN_CONTRACT: { path: RegExp; why: string }[] = [
	// Browser steps of the OIDC authorization-code flow (RFC 6749 §4.1): 302 redirects and an
	// HTML form post, not JSON resources; the generated client never calls them.
	{ path: /^\/auth\//, why: 'OIDC sign-in/out redirects (browser only)' },
	// The built-in dev identity provider mimics Keycloak's paths; in production these are Keycloak's.
	{ path: /^\/realms\//, why: 'dev identity provider (Keycloak-shaped, development only)' },
	// The dashboard's bulk upload relay: the page's XMLHttpRequest posts here for upload
	// progress; it streams the body on to POST /api/v1/proofs/bulk, which is the documented operation.
	{ path: /^\/proofs\/upload\/relay$/, why: 'dashboard upload relay to POST /api/v1/proofs/bulk (browser only)' },
	// The same page's relay for nwipe logs, streamed on to POST /api/v1/proofs/nwipe-logs.
	{ path: /^\/proofs\/upload\/nwipe$/, why: 'dashboard upload relay to POST /api/v1/proofs/nwipe-logs (browser only)' }
];

function walk(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** `src/routes/(app)/api/v1/members/[id]/+server.ts` → `/api/v1/members/{id}`; null for rest/optional params. */
function specPathOf(file: string): string | null {
	const segments = relative('src/routes', file).split(sep).slice(0, -1);
	const out: string[] = [];
	for (const s of segments) {
		if (/^\(.+\)$/.test(s)) continue; // layout group
		if (s.startsWith('[...') || s.startsWith('[[')) return null; // catch-all fallbacks (404 envelopes)
		const param = /^\[([A-Za-z_][A-Za-z0-9_]*)(=[A-Za-z_]+)?\]$/.exec(s);
		if (s.includes('[') && !param) throw new Error(`route segment "${s}" in ${file} has no OpenAPI equivalent`);
		out.push(param ? `{${param[1]}}` : s);
	}
	return '/' + out.join('/');
}

function exportedMethods(file: string): string[] {
	const source = readFileSync(file, 'utf8');
	return METHODS.filter((m) =>
		new RegExp(`export\\s+(const|let|async\\s+function|function)\\s+${m}\\b|export\\s*\\{[^}]*\\b${m}\\b[^}]*\\}`).test(source)
	);
}

/** `export const POST = operation('grantLicences', …)`: the operation id each method is built from. */
function builtFrom(file: string): Map<string, string> {
	const source = readFileSync(file, 'utf8');
	return new Map([...source.matchAll(/export\s+const\s+(GET|POST|PUT|PATCH|DELETE)\s*=\s*(?:agentOperation|operation)\(\s*'(\w+)'/g)].map((m) => [m[1], m[2]]));
}

const routeOps = new Set<string>();
const excludedOps: string[] = [];
/** contract routes and the operation each is built from (undefined: not built with the route helper) */
const built: { op: string; operationId: string | undefined }[] = [];
for (const file of walk('src/routes').filter((f) => f.endsWith('+server.ts'))) {
	const path = specPathOf(file);
	if (path === null) continue;
	const ids = builtFrom(file);
	for (const method of exportedMethods(file)) {
		const op = `${method} ${path}`;
		if (NOT_IN_CONTRACT.some((x) => x.path.test(path)) && !spec.paths[path]?.[method.toLowerCase()]) excludedOps.push(op);
		else {
			routeOps.add(op);
			built.push({ op, operationId: ids.get(method) });
		}
	}
}
const specOps = new Set(
	Object.entries(spec.paths).flatMap(([path, item]) =>
		Object.keys(item)
			.filter((k) => (METHODS as readonly string[]).includes(k.toUpperCase()))
			.map((k) => `${k.toUpperCase()} ${path}`)
	)
);

describe('routes ↔ openapi/openapi.yaml', () => {
	it('found the routes (sanity: the walk and the export parser work)', () => {
		expect(routeOps.has('GET /healthz')).toBe(true);
		expect(routeOps.has('GET /api/v1/buildinfo')).toBe(true);
		expect(specPathOf('src/routes/(app)/api/v1/x/[id=uuid]/+server.ts')).toBe('/api/v1/x/{id}');
		expect(specPathOf('src/routes/api/[...rest]/+server.ts')).toBeNull();
	});

	it('every route method is in the spec', () => {
		const missing = [...routeOps].filter((op) => !specOps.has(op)).sort();
		expect(missing, 'routes the spec lacks: add them to openapi/openapi.yaml').toEqual([]);
	});

	it('every spec operation has a route exporting that method', () => {
		const missing = [...specOps].filter((op) => !routeOps.has(op)).sort();
		expect(missing, 'operations without a route').toEqual([]);
	});

	it('every contract route is built with the route helper from its own operation', () => {
		const wrong = built
			.filter(({ op, operationId }) => {
				const o = operationId === undefined ? undefined : OPERATIONS[operationId as keyof typeof OPERATIONS];
				return !o || `${o.method} ${o.path}` !== op;
			})
			.map(({ op, operationId }) => `${op} ← ${operationId ?? 'no operation(…)'}`);
		expect(wrong, 'routes not built from their operation (src/lib/server/route)').toEqual([]);
	});

	it('only allow-listed routes stay outside the contract', () => {
		for (const op of excludedOps) expect(NOT_IN_CONTRACT.some((x) => x.path.test(op.split(' ')[1])), op).toBe(true);
	});
});

describe('error catalogue ↔ ErrorCode', () => {
	const errorCode = spec.components.schemas.ErrorCode;

	it('ERROR_CATALOGUE has exactly the codes of the ErrorCode enum', () => {
		expect(Object.keys(ERROR_CATALOGUE).sort()).toEqual([...errorCode.enum!].sort());
	});

	it("the enum's description gives each code its catalogue status", () => {
		const described = new Map([...errorCode.description!.matchAll(/([a-z_]+) (\d{3})\b/g)].map((m) => [m[1], Number(m[2])]));
		const catalogue = new Map(Object.entries(ERROR_CATALOGUE).map(([code, e]) => [code, e.status]));
		expect(Object.fromEntries(described)).toEqual(Object.fromEntries(catalogue));
	});
});
