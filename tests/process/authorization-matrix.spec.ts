import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { can, isAction, PLATFORM_ACTIONS, type Role } from '../../src/lib/server/auth/policy';
import { DEV_SERVICE_SCOPES } from '../../src/lib/server/idp/seed';
import { startApp, type AppProcess } from '../helpers/app-process';
import { fixtures, type Fixture, type FixtureContext } from '../helpers/authz-fixtures';
import { clientCredentials, CookieJar, signInToApp } from '../helpers/oidc-browser';

/**
 * The authorization matrix, generated from openapi/openapi.yaml:
 * every operation × caller (anonymous, each seeded role, a service account) ×
 * case (own tenant / another tenant's object). The expected status comes
 * from the operation's `security` and its `x-wipecert-action` through the one
 * policy (`can`): no acceptable credentials → 401, role or scope missing →
 * 403, another tenant's object → 404, otherwise the operation runs. New
 * operations join automatically.
 */
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const operationSchema = z.looseObject({
	operationId: z.string(),
	requestBody: z.looseObject({ content: z.record(z.string(), z.looseObject({ schema: z.unknown().optional() })).optional() }).optional(),
	security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
	'x-wipecert-action': z.string().optional(),
	parameters: z.array(z.looseObject({ $ref: z.string().optional(), name: z.string().optional(), in: z.string().optional() })).optional()
});
const specSchema = z.looseObject({
	security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
	paths: z.record(z.string(), z.record(z.string(), z.unknown())),
	components: z.looseObject({ schemas: z.record(z.string(), z.unknown()).optional(), parameters: z.record(z.string(), z.looseObject({ name: z.string(), in: z.string(), schema: z.looseObject({ pattern: z.string().optional() }).optional() })).optional() }).optional()
});

const spec = specSchema.parse(parse(readFileSync('openapi/openapi.yaml', 'utf8')));

type Operation = {
	method: (typeof METHODS)[number];
	path: string;
	id: string;
	schemes: Set<string>;
	action: string | null;
	pathParams: { name: string; hex64: boolean }[];
	/** a minimal valid JSON body, so an allowed call reaches the object lookup (404) rather than stopping at validation */
	body: unknown;
};

const schemaNode = z.looseObject({
	$ref: z.string().optional(),
	example: z.unknown().optional(),
	const: z.unknown().optional(),
	enum: z.array(z.unknown()).optional(),
	type: z.union([z.string(), z.array(z.string())]).optional(),
	format: z.string().optional(),
	minimum: z.number().optional(),
	minLength: z.number().optional(),
	required: z.array(z.string()).optional(),
	properties: z.record(z.string(), z.unknown()).optional(),
	oneOf: z.array(z.unknown()).optional(),
	allOf: z.array(z.unknown()).optional()
});

/** The smallest value a schema accepts (examples and enums first); depth-limited. */
function sample(node: unknown, depth = 0): unknown {
	const s = schemaNode.safeParse(node);
	if (!s.success || depth > 6) return undefined;
	const n = s.data;
	if (n.$ref) return sample(spec.components?.schemas?.[n.$ref.split('/').pop()!], depth + 1);
	if (n.example !== undefined) return n.example;
	if (n.const !== undefined) return n.const;
	if (n.enum?.length) return n.enum[0];
	if (n.oneOf?.length) return sample(n.oneOf[0], depth + 1);
	if (n.allOf?.length) return Object.assign({}, ...n.allOf.map((x) => sample(x, depth + 1)));
	const type = Array.isArray(n.type) ? n.type.find((t) => t !== 'null') : n.type;
	if (type === 'object' || n.properties) {
		const out: Record<string, unknown> = {};
		for (const key of n.required ?? []) out[key] = sample(n.properties?.[key], depth + 1);
		return out;
	}
	if (type === 'array') return [];
	if (type === 'integer' || type === 'number') return n.minimum ?? 1;
	if (type === 'boolean') return false;
	if (n.format === 'email') return 'matrix@example.test';
	if (n.format === 'uuid') return randomUUID();
	if (n.format === 'date-time') return new Date().toISOString();
	return 'matrix'.padEnd(n.minLength ?? 0, 'x');
}

const operations: Operation[] = [];
for (const [path, item] of Object.entries(spec.paths)) {
	for (const method of METHODS) {
		if (!(method in item)) continue;
		const op = operationSchema.parse(item[method]);
		const security = op.security ?? spec.security ?? [];
		const pathParams = (op.parameters ?? [])
			.map((p) => (p.$ref ? spec.components?.parameters?.[p.$ref.split('/').pop()!] : p))
			.filter((p): p is { name: string; in: string; schema?: { pattern?: string } } => !!p && p.in === 'path' && typeof p.name === 'string')
			.map((p) => ({ name: p.name, hex64: (p.schema?.pattern ?? '').includes('{64}') }));
		operations.push({
			method,
			path,
			id: op.operationId,
			schemes: new Set(security.flatMap((r) => Object.keys(r))),
			action: op['x-wipecert-action'] ?? null,
			pathParams,
			body: sample(op.requestBody?.content?.['application/json']?.schema)
		});
	}
}

type Caller = { name: string; scheme: 'sessionCookie' | 'bearerAuth' | null; kind: 'user' | 'service'; roles: Role[]; tenant: 'acme' | null; scopes: string[] };
const CALLERS: Caller[] = [
	{ name: 'anonymous', scheme: null, kind: 'user', roles: [], tenant: null, scopes: [] },
	{ name: 'viewer', scheme: 'sessionCookie', kind: 'user', roles: ['viewer'], tenant: 'acme', scopes: [] },
	{ name: 'operator', scheme: 'sessionCookie', kind: 'user', roles: ['operator'], tenant: 'acme', scopes: [] },
	{ name: 'tenant_admin', scheme: 'sessionCookie', kind: 'user', roles: ['tenant_admin'], tenant: 'acme', scopes: [] },
	{ name: 'platform_admin', scheme: 'sessionCookie', kind: 'user', roles: ['platform_admin'], tenant: null, scopes: [] },
	{ name: 'service', scheme: 'bearerAuth', kind: 'service', roles: [], tenant: 'acme', scopes: DEV_SERVICE_SCOPES }
];
const SIGN_IN: Record<string, string> = {
	viewer: 'viewer@acme.test',
	operator: 'operator@acme.test',
	tenant_admin: 'admin@acme.test',
	platform_admin: 'admin@wipecert.test',
	globex_admin: 'admin@globex.test'
};

type Expectation = { kind: 'status'; status: 401 | 403 | 404 } | { kind: 'runs'; success: boolean };

/** The expected answer, from the spec and the policy only. */
function expected(op: Operation, caller: Caller, other: boolean, hasObject: boolean): Expectation {
	const secured = op.schemes.size > 0;
	if (!secured) return { kind: 'runs', success: false };
	if (!caller.scheme || !op.schemes.has(caller.scheme)) return { kind: 'status', status: 401 };
	const action = op.action!;
	const allowed =
		action === 'authenticated' ||
		(action === 'self' && caller.kind === 'user') ||
		(isAction(action) && can({ kind: caller.kind, tenantId: caller.tenant, roles: caller.roles, scopes: caller.scopes }, action));
	if (!allowed) return { kind: 'status', status: action === 'self' ? 401 : 403 };
	const tenantScoped = !(isAction(action) && PLATFORM_ACTIONS.includes(action));
	if (op.pathParams.length && other && tenantScoped) return { kind: 'status', status: 404 };
	if (op.pathParams.length && !hasObject) return { kind: 'status', status: 404 };
	return { kind: 'runs', success: op.method === 'get' };
}

let app: AppProcess;
const jars: Record<string, CookieJar> = {};
let bearer = '';
const fixtureValues = new Map<string, Fixture>();

beforeAll(async () => {
	app = await startApp();
	for (const [name, email] of Object.entries(SIGN_IN)) jars[name] = await signInToApp(app.origin, email);
	const token = await clientCredentials(`${app.origin}/realms/dev/protocol/openid-connect/token`, 'acme-automation', 'dev-acme-secret');
	bearer = (await token.json()).access_token;
	const rows = await app.database.sql<{ slug: string; id: string }[]>`select slug, id from tenants where slug in ('acme', 'globex')`;
	const tenants = Object.fromEntries(rows.map((r) => [r.slug, r.id])) as FixtureContext['tenants'];
	const ctx: FixtureContext = { origin: app.origin, jars, tenants };
	for (const op of operations) {
		const make = fixtures[op.path];
		if (make && !fixtureValues.has(op.path)) fixtureValues.set(op.path, await make(ctx));
	}
}, 120_000);

afterAll(async () => {
	await app?.stop();
});

function urlFor(op: Operation, id: string | undefined): string {
	let path = op.path;
	for (const p of op.pathParams) path = path.replace(`{${p.name}}`, encodeURIComponent(id ?? (p.hex64 ? randomBytes(32).toString('hex') : randomUUID())));
	return `${app.origin}${path}`;
}

async function call(op: Operation, caller: Caller, id: string | undefined): Promise<Response> {
	const headers: Record<string, string> = { accept: 'application/json' };
	if (caller.scheme === 'sessionCookie') headers.cookie = jars[caller.name].header();
	if (caller.scheme === 'bearerAuth') headers.authorization = `Bearer ${bearer}`;
	let body: string | undefined;
	if (op.method !== 'get' && op.method !== 'delete') {
		headers['content-type'] = 'application/json';
		body = JSON.stringify(op.body ?? {});
	}
	if (op.method !== 'get') headers.origin = app.origin;
	return fetch(urlFor(op, id), { method: op.method.toUpperCase(), headers, body, redirect: 'manual' });
}

describe('authorization matrix (from openapi/openapi.yaml)', () => {
	it('every secured operation declares a known x-wipecert-action', () => {
		const bad = operations.filter((o) => o.schemes.size > 0 && !(o.action === 'authenticated' || o.action === 'self' || (o.action !== null && isAction(o.action))));
		expect(bad.map((o) => `${o.method.toUpperCase()} ${o.path}: ${o.action ?? 'missing'}`)).toEqual([]);
	});

	const cases = operations.flatMap((op) =>
		CALLERS.flatMap((caller) => {
			const list = [{ op, caller, other: false }];
			if (caller.scheme && op.pathParams.length) list.push({ op, caller, other: true });
			return list;
		})
	);

	it(`answers as the spec says: ${operations.length} operations × ${CALLERS.length} callers × own/other tenant`, async () => {
		const failures: string[] = [];
		let checked = 0;
		for (const { op, caller, other } of cases) {
			const fixture = fixtureValues.get(op.path);
			// A mutation never gets a real object of the caller's own tenant: the matrix must not change state.
			const ownId = op.method === 'get' ? fixture?.own : undefined;
			const id = op.pathParams.length ? (other ? fixture?.other : ownId) : undefined;
			const want = expected(op, caller, other, id !== undefined);
			const r = await call(op, caller, id);
			// A live event stream (GET /api/v1/events) stays open: its status is the answer; stop reading.
			const streaming = r.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
			const text = streaming ? (await r.body?.cancel(), '') : await r.text();
			checked++;
			// A mutation may end the caller's own sessions (sign out everywhere): sign in again.
			if (caller.scheme === 'sessionCookie' && op.method !== 'get' && (await fetch(`${app.origin}/api/v1/me`, { headers: { cookie: jars[caller.name].header() } })).status === 401) {
				jars[caller.name] = await signInToApp(app.origin, SIGN_IN[caller.name]);
			}
			const label = `${op.method.toUpperCase()} ${op.path} as ${caller.name}${other ? ' (other tenant)' : ''}`;
			if (want.kind === 'status') {
				if (r.status !== want.status) failures.push(`${label}: expected ${want.status}, got ${r.status} ${text.slice(0, 160)}`);
				else if (op.path.startsWith('/api/') && !text.includes('"error"')) failures.push(`${label}: ${r.status} not in the error envelope`);
			} else {
				const ok = r.status !== 401 && r.status !== 403 && r.status < 500 && (!want.success || (r.status >= 200 && r.status < 300));
				if (!ok) failures.push(`${label}: expected it to run${want.success ? ' (2xx)' : ''}, got ${r.status} ${text.slice(0, 160)}`);
			}
		}
		expect(failures).toEqual([]);
		expect(checked).toBe(cases.length);
		console.info(`[authz-matrix] ${operations.length} operations × ${CALLERS.length} callers → ${cases.length} requests checked`);
	}, 300_000);
});
