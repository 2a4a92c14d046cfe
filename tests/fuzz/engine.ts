import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ERROR_CODES } from '../../src/lib/server/http/errors';
import { DEV_SERVICE_SCOPES } from '../../src/lib/server/idp/seed';
import { fixtures, type FixtureContext } from '../helpers/authz-fixtures';
import { clientCredentials, signInToApp, type CookieJar } from '../helpers/oidc-browser';
import { derBody, fileBody, jsonBody, multipartBody, NASTY_SEGMENTS, NASTY_STRINGS, rng, zipBody, type Rng } from './inputs';

/**
 * The fuzz suite (`npm test`: tests/fuzz.spec.ts; releases: `npm run fuzz --
 * --cases N`): every operation of openapi/openapi.yaml, called by an
 * anonymous, a wrong-tenant and a right-tenant caller with malformed paths,
 * queries, headers and bodies (JSON edge cases, truncated and mutated DER,
 * broken multipart and zip, huge fields, NUL and unpaired surrogates). A case
 * fails when the answer is 5xx, or an API error is not the one envelope with
 * a catalogue code. Seeded: the same seed gives the same cases.
 */
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

type ParamSpec = { name: string; in: string; schema?: Record<string, unknown> };
export type Operation = { method: Method; path: string; params: ParamSpec[]; contentTypes: string[]; body: unknown };

type Spec = {
	paths: Record<string, Record<string, { parameters?: ({ $ref?: string } & Partial<ParamSpec>)[]; requestBody?: { content?: Record<string, { schema?: unknown }> } }>>;
	components?: { schemas?: Record<string, unknown>; parameters?: Record<string, ParamSpec> };
};

export function loadOperations(file = 'openapi/openapi.yaml'): Operation[] {
	const spec = parse(readFileSync(file, 'utf8')) as Spec;
	const resolveParam = (p: { $ref?: string } & Partial<ParamSpec>): ParamSpec | null =>
		p.$ref ? (spec.components?.parameters?.[p.$ref.split('/').pop()!] ?? null) : p.name && p.in ? (p as ParamSpec) : null;
	const sample = (node: unknown, depth = 0): unknown => {
		if (!node || typeof node !== 'object' || depth > 6) return undefined;
		const n = node as Record<string, unknown>;
		if (typeof n.$ref === 'string') return sample(spec.components?.schemas?.[n.$ref.split('/').pop()!], depth + 1);
		if (n.example !== undefined) return n.example;
		if (Array.isArray(n.enum) && n.enum.length) return n.enum[0];
		if (Array.isArray(n.oneOf) && n.oneOf.length) return sample(n.oneOf[0], depth + 1);
		if (Array.isArray(n.allOf)) return Object.assign({}, ...n.allOf.map((x) => sample(x, depth + 1)));
		const type = Array.isArray(n.type) ? n.type.find((t) => t !== 'null') : n.type;
		if (type === 'object' || n.properties) {
			const props = (n.properties ?? {}) as Record<string, unknown>;
			return Object.fromEntries(Object.keys(props).map((k) => [k, sample(props[k], depth + 1)]));
		}
		if (type === 'array') return [sample(n.items, depth + 1)];
		if (type === 'integer' || type === 'number') return typeof n.minimum === 'number' ? n.minimum : 1;
		if (type === 'boolean') return true;
		if (n.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
		if (n.format === 'email') return 'fuzz@acme.test';
		if (n.format === 'date-time') return '2026-01-01T00:00:00Z';
		return 'x';
	};
	const out: Operation[] = [];
	for (const [path, ops] of Object.entries(spec.paths)) {
		for (const method of METHODS) {
			const op = ops[method];
			if (!op) continue;
			const content = op.requestBody?.content ?? {};
			const json = content['application/json']?.schema;
			out.push({ method, path, params: (op.parameters ?? []).map(resolveParam).filter((p): p is ParamSpec => p !== null), contentTypes: Object.keys(content), body: json ? sample(json) : undefined });
		}
	}
	return out;
}

export type Caller = { name: 'anonymous' | 'right-tenant' | 'wrong-tenant'; headers: Record<string, string> };

export type Context = {
	origin: string;
	callers: { anonymous: Caller[]; right: Caller[]; wrong: Caller[] };
	/** path template → ids of the right tenant's objects (`own`) and another tenant's (`other`) */
	ids: Record<string, { own?: string; other?: string }>;
	proofSample: Uint8Array;
};

/** Signs in the seeded people, gets a service token, makes one object of each tenant per path with an id. */
export async function prepare(origin: string): Promise<Context> {
	const who = { viewer: 'viewer@acme.test', operator: 'operator@acme.test', tenant_admin: 'admin@acme.test', platform_admin: 'admin@wipecert.test', globex_admin: 'admin@globex.test' };
	const jars: Record<string, CookieJar> = {};
	for (const [k, email] of Object.entries(who)) jars[k] = await signInToApp(origin, email);
	const tokenOf = async (client: string, secret: string) => {
		const r = await clientCredentials(`${origin}/realms/dev/protocol/openid-connect/token`, client, secret, { scope: DEV_SERVICE_SCOPES.join(' ') });
		const body = (await r.json()) as { access_token?: string };
		if (!body.access_token) throw new Error(`no token for ${client}: ${JSON.stringify(body)}`);
		return body.access_token;
	};
	const acmeToken = await tokenOf('acme-automation', 'dev-acme-secret');
	const globexToken = await tokenOf('globex-automation', 'dev-globex-secret');
	const tenants = (await (await fetch(`${origin}/api/v1/admin/tenants?limit=100`, { headers: { cookie: jars.platform_admin.header() } })).json()) as { items: { id: string; slug: string }[] };
	const tenantId = (slug: string) => tenants.items.find((t) => t.slug === slug)!.id;
	const ctx: FixtureContext = { origin, jars, tenants: { acme: tenantId('acme'), globex: tenantId('globex') } };
	const ids: Context['ids'] = {};
	for (const [path, make] of Object.entries(fixtures)) ids[path] = await make(ctx);
	const cookie = (jar: CookieJar): Caller['headers'] => ({ cookie: jar.header(), origin });
	const proofSample = Uint8Array.from([0x30, 0x82, 0x01, 0x00, ...Array.from({ length: 256 }, (_, i) => (i * 37) & 0xff)]);
	return {
		origin,
		callers: {
			anonymous: [{ name: 'anonymous', headers: {} }],
			right: [jars.operator, jars.tenant_admin, jars.platform_admin, jars.viewer].map((j) => ({ name: 'right-tenant' as const, headers: cookie(j) })).concat([{ name: 'right-tenant', headers: { authorization: `Bearer ${acmeToken}` } }]),
			wrong: [{ name: 'wrong-tenant', headers: cookie(jars.globex_admin) }, { name: 'wrong-tenant', headers: { authorization: `Bearer ${globexToken}` } }]
		},
		ids,
		proofSample
	};
}

export type Case = { index: number; method: string; url: string; caller: Caller['name']; headers: Record<string, string>; body?: Uint8Array | string };

/** A v4-shaped UUID from the seeded generator (cases must replay). */
const uuid = (r: Rng) => {
	const h = Buffer.from(r.bytes(16)).toString('hex');
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

function pathFor(r: Rng, op: Operation, ctx: Context, caller: Caller['name']): string {
	const fixture = ctx.ids[op.path];
	return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
		const roll = r.next();
		// the wrong tenant mostly gets the right tenant's object: the cross-tenant case
		if (roll < 0.5 && fixture?.own) return encodeURIComponent(caller === 'wrong-tenant' ? fixture.own : r.chance(0.7) ? fixture.own : (fixture.other ?? fixture.own));
		if (roll < 0.8) return r.pick(NASTY_SEGMENTS);
		const param = op.params.find((p) => p.name === name);
		return encodeURIComponent(param?.schema?.format === 'uuid' ? uuid(r) : r.pick(NASTY_STRINGS).toWellFormed());
	});
}

function queryFor(r: Rng, op: Operation): string {
	const q = new URLSearchParams();
	for (const p of op.params.filter((x) => x.in === 'query')) {
		if (!r.chance(0.5)) continue;
		const enumValues = Array.isArray(p.schema?.enum) ? (p.schema!.enum as string[]) : [];
		const good = enumValues.length ? r.pick(enumValues) : p.schema?.type === 'integer' ? String(1 + r.int(100)) : 'x';
		q.append(p.name, r.chance(0.4) ? good : r.pick([...NASTY_STRINGS, Buffer.from(r.pick(NASTY_STRINGS)).toString('base64url'), Buffer.from(`2026-01-01T00:00:00.000Z|${r.pick(NASTY_STRINGS)}`).toString('base64url')]));
		if (r.chance(0.05)) q.append(p.name, good);
	}
	if (r.chance(0.1)) q.append(r.pick(['cursor', 'limit', '__proto__', 'x'.repeat(300)]), r.pick(NASTY_STRINGS));
	const s = q.toString();
	return s ? `?${s}` : '';
}

const HEADER_SAFE = (v: string) => v.replace(/[^\x20-\x7e]/g, '?').slice(0, 8000);

async function bodyFor(r: Rng, op: Operation, ctx: Context): Promise<{ type?: string; body?: Uint8Array | string }> {
	const types = op.contentTypes;
	// fetch sends no body with GET (nor does a browser)
	if (op.method === 'get') return {};
	const type = types.length && r.chance(0.9) ? r.pick(types) : r.pick(['text/plain', 'application/json', 'application/x-www-form-urlencoded', '', 'multipart/form-data', 'application/json; charset=utf-16', 'Application/JSON']);
	if (type === 'application/json') return { type, body: jsonBody(r, op.body) };
	if (type === 'application/pkcs7-mime' || type === 'application/octet-stream') return { type, body: r.chance(0.02) ? new Uint8Array(1024 * 1024 + 1) : derBody(r, ctx.proofSample) };
	if (type === 'multipart/form-data') {
		const m = multipartBody(r, ctx.proofSample);
		return { type: m.type, body: m.body };
	}
	if (type === 'application/zip') return { type, body: await zipBody(r, ctx.proofSample) };
	if (type.startsWith('image/') || type === 'application/pdf') return { type, body: fileBody(r, type) };
	return { type, body: r.chance(0.5) ? r.pick(NASTY_STRINGS) : r.bytes(r.int(200)) };
}

function headersFor(r: Rng, op: Operation, caller: Caller): Record<string, string> {
	const h: Record<string, string> = { ...caller.headers };
	// cookie callers without Origin: the CSRF check must refuse with 403, not fail
	if (h.origin && r.chance(0.05)) delete h.origin;
	if (r.chance(0.3) && op.method !== 'get') h['idempotency-key'] = HEADER_SAFE(r.pick([uuid(r), '', 'x'.repeat(300), r.pick(NASTY_STRINGS)]));
	if (op.path.startsWith('/ingest/') || r.chance(0.05)) {
		h['signature-input'] = HEADER_SAFE(r.pick(['sig1=("@method" "@target-uri" "content-digest");created=1;keyid="x";alg="ecdsa-p256-sha256";nonce="n"', 'sig1=(', '', 'sig1=("@method");created=99999999999999999999', r.pick(NASTY_STRINGS)]));
		h.signature = HEADER_SAFE(r.pick(['sig1=:AAAA:', 'sig1=:', ':::', r.pick(NASTY_STRINGS)]));
		h['content-digest'] = HEADER_SAFE(r.pick(['sha-256=:AAAA:', 'sha-512=:x:', 'sha-256=', r.pick(NASTY_STRINGS)]));
	}
	if (op.path.includes('enrolments') && r.chance(0.5)) h.authorization = HEADER_SAFE(`Bearer ${r.pick(NASTY_STRINGS)}`);
	if (r.chance(0.1)) h['x-filename'] = HEADER_SAFE(r.pick(NASTY_STRINGS));
	if (r.chance(0.05)) h['last-event-id'] = HEADER_SAFE(r.pick(NASTY_STRINGS));
	if (r.chance(0.05)) h['if-none-match'] = HEADER_SAFE(r.pick(['*', 'W/"x"', '"', r.pick(NASTY_STRINGS)]));
	if (r.chance(0.03)) h.authorization = HEADER_SAFE(r.pick(['Bearer ', 'Bearer x.y.z', 'Basic ::', `Bearer ${'a'.repeat(5000)}`]));
	return h;
}

/** The `index`-th case of a run with `seed`. */
export async function makeCase(seed: number, index: number, ops: Operation[], ctx: Context): Promise<Case> {
	const r = rng(seed * 1_000_003 + index);
	const op = ops[index % ops.length];
	const group = r.pick(['anonymous', 'right', 'right', 'wrong'] as const);
	const caller = r.pick(ctx.callers[group]);
	const path = pathFor(r, op, ctx, caller.name);
	const headers = headersFor(r, op, caller);
	const { type, body } = await bodyFor(r, op, ctx);
	if (type !== undefined) headers['content-type'] = type;
	return { index, method: op.method.toUpperCase(), url: `${ctx.origin}${path}${queryFor(r, op)}`, caller: caller.name, headers, body };
}

export type Outcome = { case: Case; status: number; problem: string | null };

const envelopeOk = (body: unknown): boolean => {
	if (!body || typeof body !== 'object' || !('error' in body)) return false;
	const e = (body as { error: unknown }).error;
	return !!e && typeof e === 'object' && ERROR_CODES.includes((e as { code: never }).code) && typeof (e as { message: unknown }).message === 'string' && typeof (e as { correlationId: unknown }).correlationId === 'string';
};

/** Sends one case; a problem is a 5xx, a non-envelope API error, or no answer at all. */
export async function send(c: Case): Promise<Outcome> {
	const controller = new AbortController();
	const timer = setTimeout(() => controller.abort(), 20_000);
	try {
		const res = await fetch(c.url, { method: c.method, headers: c.headers, body: c.body as BodyInit | undefined, redirect: 'manual', signal: controller.signal });
		const type = res.headers.get('content-type') ?? '';
		if (type.includes('event-stream')) {
			await res.body?.cancel();
			return { case: c, status: res.status, problem: null };
		}
		const text = await res.text();
		if (res.status >= 500) return { case: c, status: res.status, problem: `${res.status}: ${text.slice(0, 300)}` };
		const api = new URL(c.url).pathname.startsWith('/api/') || new URL(c.url).pathname.startsWith('/ingest/');
		if (api && res.status >= 400) {
			let parsed: unknown = null;
			try {
				parsed = JSON.parse(text);
			} catch {
				// not JSON: reported below
			}
			if (!envelopeOk(parsed)) return { case: c, status: res.status, problem: `not the error envelope: ${type} ${text.slice(0, 200)}` };
		}
		return { case: c, status: res.status, problem: null };
	} catch (error) {
		// a server that closes the connection on a refused body (413 + Connection: close) may do so before fetch reads the answer
		const cause = (error as { cause?: { code?: string } }).cause?.code;
		if (cause === 'UND_ERR_SOCKET' || cause === 'ECONNRESET' || cause === 'EPIPE') return { case: c, status: 0, problem: null };
		return { case: c, status: -1, problem: `no answer: ${(error as Error).message} ${cause ?? ''}` };
	} finally {
		clearTimeout(timer);
	}
}

export type Report = { cases: number; byStatus: Record<string, number>; failures: Outcome[]; seconds: number };

/** Runs `cases` cases of `seed`, `concurrency` at a time; then the server must still be healthy. */
export async function runFuzz(opts: { origin: string; seed: number; cases: number; concurrency?: number; ctx?: Context; onProgress?: (done: number) => void }): Promise<Report> {
	const started = performance.now();
	const ops = loadOperations();
	const ctx = opts.ctx ?? (await prepare(opts.origin));
	const byStatus: Record<string, number> = {};
	const failures: Outcome[] = [];
	let next = 0;
	let done = 0;
	await Promise.all(
		Array.from({ length: opts.concurrency ?? 8 }, async () => {
			while (next < opts.cases) {
				const outcome = await send(await makeCase(opts.seed, next++, ops, ctx));
				byStatus[outcome.status] = (byStatus[outcome.status] ?? 0) + 1;
				if (outcome.problem) failures.push(outcome);
				if (++done % 1000 === 0) opts.onProgress?.(done);
			}
		})
	);
	for (const path of ['/healthz', '/readyz']) {
		const r = await fetch(`${opts.origin}${path}`).catch(() => null);
		if (r?.status !== 200) failures.push({ case: { index: -1, method: 'GET', url: `${opts.origin}${path}`, caller: 'anonymous', headers: {} }, status: r?.status ?? -1, problem: `the server is not healthy after the run (${path})` });
	}
	return { cases: opts.cases, byStatus, failures, seconds: Math.round(performance.now() - started) / 1000 };
}

/** One line per failure, enough to replay it (seed and index). */
export const describeFailure = (seed: number, f: Outcome) =>
	`seed ${seed} case ${f.case.index}: ${f.case.caller} ${f.case.method} ${f.case.url.slice(0, 160)} [${f.case.headers['content-type'] ?? ''}] → ${f.problem}`;
