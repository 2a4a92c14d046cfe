import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jobModules } from '../../src/jobs';
import { settings } from '#lib/server/config/schema';
import { WORKER_KINDS } from '#lib/server/queue/catalogue';
import { registry } from '#lib/server/telemetry/metrics';
import { buildEntries, interpolate, productionProblems, readEnvFile, root } from './common';
import { caddyProblems, composeProblems, composeSchemaValidator, loadCompose, type ComposeContext } from './compose';
import { k8sProblems, kustomizationResources, readResources, yamlFiles, type K8sContext } from './k8s';
import { SERVICE_OF_KIND } from './docs-truth';
import { REALM_PLACEHOLDERS, buildRealm, realmJson } from './realm';

/**
 * The deployment files, checked without Docker or a cluster (none runs
 * here): compose.yaml against the Compose Specification's JSON schema and
 * against the app (entries, settings, a production start, worker kinds of
 * this build), the kustomize base likewise, the Keycloak realm export against
 * a fresh generation from the dev realm, the Grafana dashboard against the
 * metrics the app registers. Each check is also shown to fail on a broken copy.
 */
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const composeText = read('compose.yaml');
const entries = buildEntries();
const kindsInBuild = Object.keys(jobModules);
const allKinds = Object.keys(WORKER_KINDS);
const ctx: ComposeContext = { allKinds, kindsInBuild, entries, settings, vars: readEnvFile(join(root, 'deploy/compose.env.example')), realmPlaceholders: REALM_PLACEHOLDERS };
/** every worker kind ships: this build without the notifications kind stands in for one that is planned */
const withoutNotifications: ComposeContext = { ...ctx, kindsInBuild: kindsInBuild.filter((k) => k !== 'notifications') };
const clone = <T>(v: T): T => structuredClone(v);

describe('helpers', () => {
	it('the image has the entries of vite.entries.config.ts and the web entry', () => {
		expect([...entries]).toEqual(expect.arrayContaining(['build/index.js', 'build/web.js', 'build/worker.js', 'build/ingest.js', 'build/migrate.js', 'build/signer.js', 'build/verify.js']));
		expect(entries).not.toContain('build/server.js');
	});
	it('interpolates as Compose does', () => {
		const missing: string[] = [];
		expect(interpolate('a${X}b${Y:-d}${Z:?no}$$', { X: '1' }, (n) => missing.push(n))).toBe('a1bd$');
		expect(missing).toEqual(['Z']);
	});
	it('a production environment without secrets fails as the app would', () => {
		expect(productionProblems({ NODE_ENV: 'production' }).join('\n')).toMatch(/SESSION_SECRET/);
	});
});

describe('compose.yaml', () => {
	const compose = loadCompose(composeText);

	it('is valid against the Compose Specification schema (vendored, draft-07)', () => {
		const validate = composeSchemaValidator();
		expect(validate(compose), JSON.stringify(validate.errors, null, 1)).toBe(true);
		const broken = clone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
		broken.services.api.restart = 42;
		broken.services.api.heathcheck = {};
		expect(validate(broken)).toBe(false);
	});

	it('runs real entries with settings only, starts in production, and presents no refused worker kind as working', () => {
		expect(composeProblems(compose, ctx, composeText)).toEqual([]);
		const apps = Object.entries(compose.services).filter(([, s]) => s.build && !(typeof s.build === 'object' && 'dockerfile' in (s.build as object)));
		expect(apps.map(([n]) => n).sort()).toEqual(['anchor-worker', 'api', 'db-migrate', 'ingest', 'maintenance-worker', 'notification-worker', 'proof-worker', 'report-worker', 'retry-worker']);
	});

	it('fails on a bad entry, a non-setting, a missing secret, a refused kind outside "planned" and a shipped kind inside it', () => {
		const bad = clone(compose);
		bad.services.api.command = ['build/server.js'];
		(bad.services['proof-worker'].environment as Record<string, string>).PROOF_WORKERS = '2';
		delete (bad.services['retry-worker'].environment as Record<string, string>).SESSION_SECRET;
		bad.services['maintenance-worker'].profiles = ['planned'];
		(bad.services['proof-worker'].environment as Record<string, string>).SMTP_URL = 'smtp://mailpit:1025';
		const problems = composeProblems(bad, ctx, composeText).join('\n');
		expect(problems).toContain('api: command ["build/server.js"] is not an entry');
		expect(problems).toContain('proof-worker: environment PROOF_WORKERS is not a setting');
		expect(problems).toContain('retry-worker: a production start fails: SESSION_SECRET');
		expect(problems).toContain('maintenance-worker: worker kind maintenance ships in this build');
		expect(problems).not.toContain('sets SMTP_URL');
		// every kind ships in this build: a build without the notifications kind stands in for a planned one
		const unbuilt = composeProblems(bad, withoutNotifications, composeText).join('\n');
		expect(unbuilt).toContain('notification-worker: runs worker kind notifications, which this build refuses');
		expect(unbuilt).toContain('proof-worker: sets SMTP_URL, which only the planned notifications worker acts on');
	});

	it('adding a kind later is one line: a shipped kind asks only to drop the planned profile', () => {
		const planned = clone(compose);
		planned.services['notification-worker'].profiles = ['planned'];
		expect(composeProblems(planned, withoutNotifications, composeText)).toEqual([]);
		expect(composeProblems(planned, ctx, composeText)).toEqual(['notification-worker: worker kind notifications ships in this build: remove the "planned" profile']);
	});

	it('every variable has a value in deploy/compose.env.example, and every mounted file exists', () => {
		const problems = composeProblems(compose, { ...ctx, vars: { ...ctx.vars, UNUSED_VAR: 'x' } }, composeText + '\n# ${NOT_DEFINED}\n');
		expect(problems).toContain('${NOT_DEFINED} has no value in deploy/compose.env.example');
		expect(problems).toContain('deploy/compose.env.example defines UNUSED_VAR, which compose.yaml never uses');
		const moved = clone(compose);
		moved.services.caddy.volumes = ['./deploy/caddy/Nofile:/etc/caddy/Caddyfile:ro'];
		expect(composeProblems(moved, ctx, composeText)).toContain('caddy: mounts ./deploy/caddy/Nofile, which does not exist');
	});

	it('Caddy terminates TLS and routes /, /api, /ingest, /docs and the Keycloak host', () => {
		const caddyfile = read('deploy/caddy/Caddyfile');
		expect(caddyProblems(caddyfile)).toEqual([]);
		expect(caddyProblems(caddyfile.replace('admin-docs:8080', 'docs:80'))).toEqual(['Caddyfile does not route /docs to admin-docs']);
	});

	it('Prometheus scrapes services of the stack on the ports they serve /metrics on', () => {
		const prom = z.object({ scrape_configs: z.array(z.object({ static_configs: z.array(z.object({ targets: z.array(z.string()) })) })) }).parse(parseYaml(read('deploy/prometheus/prometheus.yml')));
		const targets = prom.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets));
		for (const t of targets) {
			const [host, port] = t.split(':');
			const svc = compose.services[host];
			expect(svc, t).toBeDefined();
			expect(svc.profiles?.includes('planned') ?? false, t).toBe(false);
			const env = svc.environment as Record<string, string>;
			expect(port, t).toBe(host === 'api' ? env.PORT : env.WORKER_METRICS_PORT);
		}
		expect(targets).toEqual(expect.arrayContaining(kindsInBuild.map((k) => `${SERVICE_OF_KIND[k]}:9464`)));
	});
});

describe('Keycloak realm export', () => {
	const file = read('deploy/keycloak/wipecert-realm.json');
	it('is what the generator makes from the dev realm today (npm run gen:realm)', () => {
		expect(file).toBe(realmJson());
	});
	it('parses and holds the clients, mapper, groups and people the app expects', () => {
		const realm = z
			.object({
				realm: z.string(),
				clients: z.array(z.object({ clientId: z.string(), redirectUris: z.array(z.string()).optional(), attributes: z.record(z.string(), z.string()).optional(), standardFlowEnabled: z.boolean(), serviceAccountsEnabled: z.boolean(), protocolMappers: z.array(z.object({ protocolMapper: z.string(), config: z.record(z.string(), z.string()) })) }).loose()),
				groups: z.array(z.object({ path: z.string(), subGroups: z.array(z.object({ path: z.string(), subGroups: z.array(z.object({ path: z.string() }).loose()) }).loose()) }).loose()),
				users: z.array(z.object({ email: z.string(), groups: z.array(z.string()), credentials: z.never().optional() }).loose())
			})
			.parse(JSON.parse(file));
		const web = realm.clients.find((c) => c.clientId === settings.OIDC_CLIENT_ID.doc.default)!;
		expect(web.standardFlowEnabled).toBe(true);
		expect(web.redirectUris).toEqual(['${WIPECERT_ORIGIN}/auth/callback']);
		expect(web.attributes?.['pkce.code.challenge.method']).toBe('S256');
		expect(web.protocolMappers).toContainEqual(expect.objectContaining({ protocolMapper: 'oidc-group-membership-mapper', config: expect.objectContaining({ 'claim.name': settings.OIDC_TENANT_CLAIM.doc.default, 'full.path': 'true' }) }));
		for (const id of ['acme-automation', 'globex-automation']) {
			const c = realm.clients.find((x) => x.clientId === id)!;
			expect(c.serviceAccountsEnabled).toBe(true);
			expect(c.protocolMappers).toContainEqual(expect.objectContaining({ protocolMapper: 'oidc-audience-mapper', config: expect.objectContaining({ 'included.custom.audience': settings.OIDC_API_AUDIENCE.doc.default }) }));
		}
		const paths = realm.groups.flatMap((g) => g.subGroups.flatMap((t) => t.subGroups.map((r) => r.path)));
		for (const u of realm.users) for (const g of u.groups) expect(paths).toContain(g);
		expect(realm.users.map((u) => u.email)).toContain('admin@acme.test');
		// placeholders are exactly the variables compose gives Keycloak
		expect([...new Set([...file.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]))].sort()).toEqual([...REALM_PLACEHOLDERS].sort());
	});
	it('a change to the dev realm shows as drift', () => {
		const changed = buildRealm();
		changed.users[0].groups = ['/tenants/acme/viewer'];
		expect(JSON.stringify(changed, null, '\t') + '\n').not.toBe(file);
	});
});

describe('kustomize base (deploy/k8s/base)', () => {
	const dir = join(root, 'deploy/k8s/base');
	const listed = kustomizationResources(dir);
	const secretDocs = parseAllDocuments(read('deploy/k8s/base/secret.example.yaml')).map((d) => z.object({ metadata: z.object({ name: z.string() }), stringData: z.record(z.string(), z.string()) }).loose().parse(d.toJS()));
	const kctx: K8sContext = { allKinds, kindsInBuild, entries, settings, secrets: Object.fromEntries(secretDocs.map((s) => [s.metadata.name, s.stringData])) };

	it('lists every file of the base but the secret example, and each parses as its kind requires', () => {
		expect([...listed, 'kustomization.yaml', 'secret.example.yaml'].sort()).toEqual(yamlFiles(dir));
		const { resources, problems } = readResources(dir, listed);
		expect(problems).toEqual([]);
		const kinds = resources.map((r) => `${r.kind}/${r.metadata.name}`);
		for (const d of ['Deployment/api', 'Deployment/ingest', 'Deployment/signer', 'Deployment/proof-worker', 'Deployment/retry-worker', 'Deployment/maintenance-worker', 'Job/db-migrate', 'HorizontalPodAutoscaler/api', 'HorizontalPodAutoscaler/proof-worker', 'PodDisruptionBudget/api', 'PodDisruptionBudget/proof-worker'])
			expect(kinds).toContain(d);
	});

	it('runs real entries with settings only, starts in production, and runs exactly the shipped worker kinds', () => {
		const { resources } = readResources(dir, listed);
		expect(k8sProblems(resources, kctx)).toEqual([]);
	});

	it('fails on a planned kind in the base, a wrong HPA target, a non-setting and a missing secret', () => {
		const { resources } = readResources(dir, listed);
		// every kind ships in this build: a build without the notifications kind stands in for a planned one
		expect(k8sProblems(resources, { ...kctx, kindsInBuild: withoutNotifications.kindsInBuild })).toContain('Deployment notification-worker: runs worker kind notifications, which this build refuses: keep it in deploy/k8s/planned/');
		expect(k8sProblems(resources, kctx)).toEqual([]);
		const broken = clone(resources) as unknown as { kind: string; metadata: { name: string }; spec: { scaleTargetRef: { name: string }; template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } }; data?: Record<string, string> }[];
		broken.find((r) => r.kind === 'HorizontalPodAutoscaler')!.spec.scaleTargetRef.name = 'web';
		broken.find((r) => r.metadata.name === 'retry-worker')!.spec.template.spec.containers[0].env!.push({ name: 'RETRY_THREADS', value: '4' });
		delete broken.find((r) => r.kind === 'ConfigMap')!.data!.ORIGIN;
		const problems = k8sProblems(broken as never, kctx).join('\n');
		expect(problems).toContain('HPA api: no Deployment web');
		expect(problems).toContain('Deployment retry-worker: env RETRY_THREADS is not a setting');
		expect(problems).toContain('Deployment api: a production start fails: ORIGIN');
	});

	it('keeps each planned worker kind out of the base until it ships', () => {
		const planned = join(root, 'deploy/k8s/planned');
		for (const file of existsSync(planned) ? yamlFiles(planned) : []) {
			const { resources, problems } = readResources(join(root, 'deploy/k8s/planned'), [file]);
			expect(problems).toEqual([]);
			const kind = (resources[0] as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0].args[1];
			expect(kindsInBuild, file).not.toContain(kind);
			expect(listed).not.toContain(file);
		}
	});
});

describe('Grafana dashboard (deploy/grafana/dashboards/wipecert.json)', () => {
	it('queries only metrics the app registers', async () => {
		const dash = z.object({ panels: z.array(z.object({ title: z.string(), targets: z.array(z.object({ expr: z.string() })) })) }).parse(JSON.parse(read('deploy/grafana/dashboards/wipecert.json')));
		const known = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
		const used = dash.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\bwipecert_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''))));
		expect(used.length).toBeGreaterThan(10);
		for (const name of used) expect(known, name).toContain(name);
	});
});
