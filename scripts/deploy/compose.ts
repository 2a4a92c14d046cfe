import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { interpolate, productionProblems, root } from './common';
import { SERVICE_OF_KIND } from './docs-truth';

/** Service names of the platform's runtime design. */
export const REQUIRED_SERVICES = [
	'api', 'ingest', 'proof-worker', 'anchor-worker', 'notification-worker', 'report-worker', 'retry-worker', 'maintenance-worker',
	'db-migrate', 'admin-docs', 'caddy', 'postgres', 'minio', 'minio-bucket-init', 'keycloak', 'mailpit',
	'otel-collector', 'prometheus', 'grafana', 'tempo'
] as const;

/** the profile that keeps a service of a not-yet-shipped worker kind from starting */
export const PLANNED_PROFILE = 'planned';

export type ComposeContext = {
	/** every worker kind of the catalogue */
	allKinds: readonly string[];
	/** kinds this build ships */
	kindsInBuild: readonly string[];
	/** the image's entries (build/*.js) */
	entries: ReadonlySet<string>;
	settings: Record<string, { doc: { description: string; requires?: string } }>;
	/** compose's interpolation variables, from deploy/compose.env.example */
	vars: Record<string, string>;
	realmPlaceholders: readonly string[];
};

type Service = {
	image?: string;
	build?: unknown;
	command?: string[] | string;
	profiles?: string[];
	environment?: Record<string, string | number | boolean | null> | string[];
	volumes?: (string | { type: string; source?: string })[];
	depends_on?: string[] | Record<string, unknown>;
	networks?: string[] | Record<string, unknown>;
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown>; networks?: Record<string, unknown> };

export const loadCompose = (text: string) => parse(text, { merge: true }) as Compose;

/** The schema validator of the vendored Compose Specification (draft-07). */
export function composeSchemaValidator() {
	// `$schema` names draft-07 by its https URL, which ajv does not register; draft-07 is ajv's own default
	const { $schema: _draft, ...schema } = JSON.parse(readFileSync(join(root, 'deploy/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
	const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
	return ajv.compile(schema);
}

const envOf = (s: Service): Record<string, string> =>
	Array.isArray(s.environment)
		? Object.fromEntries(s.environment.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]))
		: Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));

const commandOf = (s: Service): string[] => (Array.isArray(s.command) ? s.command : s.command ? s.command.split(/\s+/) : []);

/** WipeCert's own containers: built from this repository's Dockerfile. */
const isApp = (s: Service) => s.build !== undefined && (typeof s.build !== 'object' || s.build === null || !('dockerfile' in s.build));

export function composeProblems(compose: Compose, ctx: ComposeContext, text: string): string[] {
	const problems: string[] = [];
	const services = compose.services ?? {};
	for (const name of REQUIRED_SERVICES) if (!services[name]) problems.push(`service ${name} is missing`);

	// every ${VAR} of the file is defined in the env example (or has a default)
	const used = new Set<string>();
	for (const m of text.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(:?[-?][^}]*)?\}/g)) {
		used.add(m[1]);
		if (!(m[1] in ctx.vars) && !(m[2] ?? '').includes('-')) problems.push(`\${${m[1]}} has no value in deploy/compose.env.example`);
	}
	for (const v of Object.keys(ctx.vars)) if (!used.has(v)) problems.push(`deploy/compose.env.example defines ${v}, which compose.yaml never uses`);

	for (const [name, s] of Object.entries(services)) {
		const planned = s.profiles?.includes(PLANNED_PROFILE) ?? false;
		// references
		const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
		for (const d of deps) if (!services[d]) problems.push(`${name}: depends on unknown service ${d}`);
		const nets = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {});
		for (const n of nets) if (!compose.networks?.[n]) problems.push(`${name}: network ${n} is not declared`);
		for (const v of s.volumes ?? []) {
			const source = typeof v === 'string' ? v.split(':')[0] : v.source;
			if (!source) continue;
			if (source.startsWith('./')) {
				if (!existsSync(join(root, source))) problems.push(`${name}: mounts ${source}, which does not exist`);
			} else if (!source.startsWith('/') && !compose.volumes?.[source]) problems.push(`${name}: volume ${source} is not declared`);
		}
		if (!isApp(s)) continue;

		// the command is a real entry of the image (after node's own flags: the image's entrypoint is node);
		// a worker's kind is one the build runs, or the service is planned
		const argv = commandOf(s);
		const [entry, ...args] = argv.slice(argv.findIndex((a) => !a.startsWith('--')));
		if (!entry || !ctx.entries.has(entry)) problems.push(`${name}: command ${JSON.stringify(s.command)} is not an entry of the image (${[...ctx.entries].join(', ')})`);
		if (entry === 'build/worker.js') {
			const kind = args[0];
			if (!kind || !ctx.allKinds.includes(kind)) problems.push(`${name}: worker kind ${kind} is not a kind of the catalogue`);
			else {
				if (SERVICE_OF_KIND[kind] !== name) problems.push(`${name}: runs the ${kind} worker, whose service is named ${SERVICE_OF_KIND[kind]}`);
				const shipped = ctx.kindsInBuild.includes(kind);
				if (!shipped && !planned) problems.push(`${name}: runs worker kind ${kind}, which this build refuses (exit 2): put it in the "${PLANNED_PROFILE}" profile`);
				if (shipped && planned) problems.push(`${name}: worker kind ${kind} ships in this build: remove the "${PLANNED_PROFILE}" profile`);
			}
		}
		for (const kind of ctx.kindsInBuild) {
			const svc = SERVICE_OF_KIND[kind];
			if (!services[svc]) problems.push(`the build ships worker kind ${kind}, but no ${svc} service runs it`);
		}

		// every variable is a setting; the resolved environment starts in production
		const env = envOf(s);
		for (const key of Object.keys(env)) {
			if (!(key in ctx.settings)) problems.push(`${name}: environment ${key} is not a setting (src/lib/server/config/schema.ts)`);
			const req = ctx.settings[key]?.doc.requires;
			if (req && !ctx.kindsInBuild.includes(req) && !planned && env[key] !== '') problems.push(`${name}: sets ${key}, which only the planned ${req} worker acts on`);
		}
		const resolved = Object.fromEntries(
			Object.entries(env).map(([k, v]) => [k, interpolate(v, ctx.vars, (missing) => problems.push(`${name}: ${k} needs \${${missing}}`))])
		);
		for (const p of productionProblems(resolved)) problems.push(`${name}: a production start fails: ${p}`);
	}

	// Keycloak imports the generated realm and has every variable its placeholders name
	const kc = services.keycloak;
	if (kc) {
		if (!commandOf(kc).includes('--import-realm')) problems.push('keycloak: does not import the realm (--import-realm)');
		if (!(kc.volumes ?? []).some((v) => typeof v === 'string' && v.startsWith('./deploy/keycloak/wipecert-realm.json:/opt/keycloak/data/import/')))
			problems.push('keycloak: deploy/keycloak/wipecert-realm.json is not mounted into /opt/keycloak/data/import');
		const env = envOf(kc);
		for (const p of ctx.realmPlaceholders) if (!(p in env)) problems.push(`keycloak: the realm's placeholder \${${p}} has no variable`);
	}
	return problems;
}

/** What the Caddyfile must route: `/`, `/api` (through `/`), `/ingest`, `/docs`, and the Keycloak host. */
export function caddyProblems(caddyfile: string): string[] {
	const problems: string[] = [];
	const need: [RegExp, string][] = [
		[/handle \/ingest\/\* \{[^}]*reverse_proxy ingest:3000 api:3000/s, '/ingest/* to ingest (or api)'],
		[/handle \/docs\* \{[^}]*reverse_proxy admin-docs:8080/s, '/docs to admin-docs'],
		[/handle \{[^}]*reverse_proxy api:3000/s, '/ and /api to api'],
		[/^auth\.\{\$WIPECERT_DOMAIN\} \{[^}]*reverse_proxy keycloak:8080/ms, 'auth.<domain> to keycloak']
	];
	for (const [re, what] of need) if (!re.test(caddyfile)) problems.push(`Caddyfile does not route ${what}`);
	return problems;
}
