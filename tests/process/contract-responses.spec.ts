import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import * as generated from '../../src/lib/api/zod.gen';
import { startServer, type Server } from '../helpers/process';

/**
 * Every GET of the spec without path parameters, asked of the running build
 * (anonymously and as a service account of the dev realm): the status must be
 * documented and the body must validate against the spec's schema, strictly
 * (additionalProperties: false holds), and 2xx bodies also against the
 * generated zod schema the client uses.
 */
type Schema = Record<string, unknown>;
type ResponseObject = { $ref?: string; content?: Record<string, { schema?: Schema }> };
type Operation = { operationId: string; responses: Record<string, ResponseObject> };
const spec = parse(readFileSync('openapi/openapi.yaml', 'utf8')) as {
	paths: Record<string, { get?: Operation }>;
	components: { schemas: Record<string, Schema>; responses: Record<string, ResponseObject> };
};
// OpenAPI 3.1 schemas are JSON Schema 2020-12; components become $defs of one root.
const defs = JSON.parse(JSON.stringify(spec.components.schemas).replaceAll('#/components/schemas/', '#/$defs/')) as Record<string, Schema>;
const specSchema = (schema: Schema) =>
	z.fromJSONSchema({ ...(JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/')) as Schema), $defs: defs });

const resolveResponse = (r: ResponseObject): ResponseObject =>
	r.$ref ? spec.components.responses[r.$ref.replace('#/components/responses/', '')] : r;

const gets = Object.entries(spec.paths)
	.filter(([path, item]) => !path.includes('{') && item.get)
	.map(([path, item]) => ({ path, op: item.get! }));

let server: Server;
let bearer = '';
beforeAll(async () => {
	server = await startServer();
	const token = await fetch(`${server.origin}/realms/dev/protocol/openid-connect/token`, {
		method: 'POST',
		headers: {
			authorization: `Basic ${Buffer.from('acme-automation:dev-acme-secret').toString('base64')}`,
			'content-type': 'application/x-www-form-urlencoded'
		},
		body: 'grant_type=client_credentials'
	});
	expect(token.status, await token.clone().text()).toBe(200);
	bearer = ((await token.json()) as { access_token: string }).access_token;
});
afterAll(async () => {
	await server?.stop();
});

describe('GET responses of the running server validate against openapi/openapi.yaml', () => {
	it('covers the foundation routes', () => {
		expect(gets.map((g) => g.path)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics', '/api/v1/buildinfo', '/api/v1/health']));
	});

	const seen: string[] = [];
	for (const { path, op } of gets) {
		it(`${path} (${op.operationId})`, async () => {
			for (const [who, headers] of [
				['anonymous', {}],
				['service account', { authorization: `Bearer ${bearer}` }]
			] as const) {
				const r = await fetch(`${server.origin}${path}`, { headers });
				const where = `${who} GET ${path} → ${r.status}`;
				const documented = op.responses[String(r.status)] ?? op.responses.default;
				expect(documented, `${where} is not documented`).toBeDefined();
				const response = resolveResponse(documented);
				const type = (r.headers.get('content-type') ?? '').split(';')[0].trim();
				// No content (204): nothing to validate but that there is none.
				if (r.status === 204) {
					expect(response.content, `${where}: a 204 documents no content`).toBeUndefined();
					expect(await r.text()).toBe('');
					seen.push(`${who} ${r.status} ${path}`);
					continue;
				}
				// A live event stream (GET /api/v1/events) stays open: check its type, then stop reading.
				if (type === 'text/event-stream') {
					expect(response.content?.[type], `${where}: content type ${type} is not documented`).toBeDefined();
					await r.body?.cancel();
					seen.push(`${who} ${r.status} ${path}`);
					continue;
				}
				const content = response.content?.[type];
				expect(content, `${where}: content type ${type} is not documented`).toBeDefined();
				const body = type === 'application/json' ? await r.json() : await r.text();
				if (content!.schema) {
					const result = specSchema(content!.schema).safeParse(body);
					expect(result.success, `${where}: ${JSON.stringify(result.error?.issues)}\n${JSON.stringify(body)}`).toBe(true);
				}
				if (r.status >= 200 && r.status < 300) {
					const name = `z${op.operationId[0].toUpperCase()}${op.operationId.slice(1)}Response` as keyof typeof generated;
					const zodSchema = generated[name] as z.ZodType | undefined;
					expect(zodSchema, `${name} missing from src/lib/api/zod.gen.ts`).toBeDefined();
					const result = zodSchema!.safeParse(body);
					expect(result.success, `${where} (generated ${name}): ${JSON.stringify(result.error?.issues)}`).toBe(true);
				}
				seen.push(`${who} ${r.status} ${path}`);
			}
		});
	}

	it('exercised successful answers, not only errors', () => {
		expect(seen).toEqual(expect.arrayContaining(['anonymous 200 /healthz', 'anonymous 200 /api/v1/buildinfo', 'service account 200 /api/v1/me']));
	});
});
