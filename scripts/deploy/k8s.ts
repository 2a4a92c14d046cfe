import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { productionProblems } from './common';
import { SERVICE_OF_KIND } from './docs-truth';

/**
 * The kustomize base checked the way compose.yaml is: every resource parses
 * as its kind requires (the fields this base uses, with the API versions the
 * cluster serves), every container command is an entry of the image, every
 * variable and ConfigMap key a setting, the settings start in production,
 * every reference (HPA target, PDB and Service selectors, ConfigMaps,
 * Secrets, PVCs) resolves, and the worker Deployments are exactly the kinds
 * this build ships (the rest wait in ../planned/).
 */

const API_VERSIONS: Record<string, string> = {
	ConfigMap: 'v1',
	Secret: 'v1',
	Service: 'v1',
	PersistentVolumeClaim: 'v1',
	Deployment: 'apps/v1',
	Job: 'batch/v1',
	HorizontalPodAutoscaler: 'autoscaling/v2',
	PodDisruptionBudget: 'policy/v1'
};

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label');
const labels = z.record(z.string(), z.string());
const meta = z.object({ name, labels: labels.optional(), annotations: labels.optional() });
const envVar = z.object({
	name: z.string(),
	value: z.string().optional(),
	valueFrom: z.object({ secretKeyRef: z.object({ name, key: z.string() }) }).optional()
});
const probe = z.object({ httpGet: z.object({ path: z.string(), port: z.union([z.string(), z.number()]) }).optional(), tcpSocket: z.object({ port: z.union([z.string(), z.number()]) }).optional() }).loose();
const container = z
	.object({
		name,
		image: z.string(),
		command: z.array(z.string()).optional(),
		args: z.array(z.string()).optional(),
		env: z.array(envVar).optional(),
		envFrom: z.array(z.object({ configMapRef: z.object({ name }).optional(), secretRef: z.object({ name }).optional() })).optional(),
		ports: z.array(z.object({ name: z.string().optional(), containerPort: z.number().int() })).optional(),
		readinessProbe: probe.optional(),
		livenessProbe: probe.optional(),
		securityContext: z.object({ readOnlyRootFilesystem: z.literal(true), allowPrivilegeEscalation: z.literal(false) }).loose(),
		volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string() }).loose()).optional()
	})
	.loose();
const podSpec = z
	.object({
		securityContext: z.object({ runAsNonRoot: z.literal(true) }).loose(),
		containers: z.array(container).min(1),
		volumes: z.array(z.object({ name: z.string(), secret: z.object({ secretName: name }).optional(), persistentVolumeClaim: z.object({ claimName: name }).optional() }).loose()).optional()
	})
	.loose();
const template = z.object({ metadata: z.object({ labels }).loose(), spec: podSpec });
const kinds = {
	ConfigMap: z.object({ metadata: meta, data: z.record(z.string(), z.string()) }),
	Secret: z.object({ metadata: meta, stringData: z.record(z.string(), z.string()) }).loose(),
	Service: z.object({ metadata: meta, spec: z.object({ selector: labels, ports: z.array(z.object({ port: z.number(), targetPort: z.union([z.string(), z.number()]) }).loose()).min(1) }).loose() }),
	PersistentVolumeClaim: z.object({ metadata: meta, spec: z.object({ accessModes: z.array(z.string()).min(1) }).loose() }),
	Deployment: z.object({ metadata: meta, spec: z.object({ replicas: z.number().int().min(1), selector: z.object({ matchLabels: labels }), template }).loose() }),
	Job: z.object({ metadata: meta, spec: z.object({ template: template.extend({ spec: podSpec.extend({ restartPolicy: z.enum(['OnFailure', 'Never']) }) }) }).loose() }),
	HorizontalPodAutoscaler: z.object({
		metadata: meta,
		spec: z.object({ scaleTargetRef: z.object({ apiVersion: z.literal('apps/v1'), kind: z.literal('Deployment'), name }), minReplicas: z.number().int().min(1), maxReplicas: z.number().int().min(1), metrics: z.array(z.object({ type: z.string() }).loose()).min(1) }).refine((s) => s.maxReplicas >= s.minReplicas, 'maxReplicas < minReplicas')
	}),
	PodDisruptionBudget: z.object({ metadata: meta, spec: z.object({ selector: z.object({ matchLabels: labels }) }).loose() })
} as const;

export type Resource = { file: string; apiVersion: string; kind: keyof typeof kinds; metadata: { name: string; labels?: Record<string, string> }; [k: string]: unknown };

export function readResources(dir: string, files: string[]): { resources: Resource[]; problems: string[] } {
	const problems: string[] = [];
	const resources: Resource[] = [];
	for (const file of files) {
		if (!existsSync(join(dir, file))) {
			problems.push(`${file}: listed but missing`);
			continue;
		}
		for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
			if (doc.errors.length) problems.push(`${file}: ${doc.errors[0].message}`);
			const r = doc.toJS() as { apiVersion?: string; kind?: string } | null;
			if (!r) continue;
			const kind = r.kind as keyof typeof kinds;
			if (!kind || !(kind in kinds)) {
				problems.push(`${file}: kind ${r.kind} is not one this base may use`);
				continue;
			}
			if (r.apiVersion !== API_VERSIONS[kind]) problems.push(`${file}: ${kind} must be apiVersion ${API_VERSIONS[kind]}, not ${r.apiVersion}`);
			const parsed = kinds[kind].safeParse(r);
			if (!parsed.success) problems.push(`${file}: ${kind} ${JSON.stringify((r as { metadata?: { name?: string } }).metadata?.name)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
			resources.push({ ...(r as Resource), file });
		}
	}
	return { resources, problems };
}

const matches = (selector: Record<string, string>, podLabels: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);

type PodOwner = Resource & { spec: { template: { metadata: { labels: Record<string, string> }; spec: z.infer<typeof podSpec> }; selector?: { matchLabels: Record<string, string> } } };

export type K8sContext = {
	allKinds: readonly string[];
	kindsInBuild: readonly string[];
	entries: ReadonlySet<string>;
	settings: Record<string, unknown>;
	/** Secrets the operator creates (secret.example.yaml): name → keys with example values */
	secrets: Record<string, Record<string, string>>;
};

export function k8sProblems(resources: Resource[], ctx: K8sContext): string[] {
	const problems: string[] = [];
	const byKind = (k: Resource['kind']) => resources.filter((r) => r.kind === k);
	const configMaps = new Map(byKind('ConfigMap').map((c) => [c.metadata.name, (c as unknown as { data: Record<string, string> }).data]));
	const pvcs = new Set(byKind('PersistentVolumeClaim').map((p) => p.metadata.name));
	const owners = [...byKind('Deployment'), ...byKind('Job')] as PodOwner[];
	const deployments = byKind('Deployment') as PodOwner[];
	const seen = new Set<string>();
	for (const r of resources) {
		const key = `${r.kind}/${r.metadata.name}`;
		if (seen.has(key)) problems.push(`${r.file}: ${key} is defined twice`);
		seen.add(key);
	}
	for (const [cm, data] of configMaps) for (const k of Object.keys(data)) if (!(k in ctx.settings)) problems.push(`ConfigMap ${cm}: ${k} is not a setting`);

	const workerKinds: string[] = [];
	for (const o of owners) {
		const where = `${o.kind} ${o.metadata.name}`;
		if (o.kind === 'Deployment' && !matches(o.spec.selector!.matchLabels, o.spec.template.metadata.labels)) problems.push(`${where}: selector does not match its pod labels`);
		const pod = o.spec.template.spec;
		for (const v of pod.volumes ?? []) {
			if (v.secret && !(v.secret.secretName in ctx.secrets)) problems.push(`${where}: volume ${v.name} uses Secret ${v.secret.secretName}, which secret.example.yaml does not describe`);
			if (v.persistentVolumeClaim && !pvcs.has(v.persistentVolumeClaim.claimName)) problems.push(`${where}: PVC ${v.persistentVolumeClaim.claimName} is not in the base`);
		}
		for (const c of pod.containers) {
			const argv = [...(c.command ?? []), ...(c.args ?? [])];
			// the image's entrypoint is node: its own flags (V8 heap sizes) may come before the entry
			const afterNode = argv[0] === 'node' ? argv.slice(1) : argv;
			const [entry, ...args] = afterNode.slice(Math.max(0, afterNode.findIndex((a) => !a.startsWith('--'))));
			if (c.image !== 'wipecert') problems.push(`${where}: image ${c.image} is not the wipecert image (kustomization images: pins it)`);
			if (!entry || !ctx.entries.has(entry)) problems.push(`${where}: ${JSON.stringify(argv)} is not an entry of the image`);
			if (entry === 'build/worker.js') {
				const kind = args[0];
				workerKinds.push(kind);
				if (!ctx.allKinds.includes(kind)) problems.push(`${where}: worker kind ${kind} is not a kind of the catalogue`);
				else if (!ctx.kindsInBuild.includes(kind)) problems.push(`${where}: runs worker kind ${kind}, which this build refuses: keep it in deploy/k8s/planned/`);
				else if (o.metadata.name !== SERVICE_OF_KIND[kind]) problems.push(`${where}: the ${kind} worker's Deployment is named ${SERVICE_OF_KIND[kind]}`);
			}
			// the environment the container starts with: ConfigMaps, Secrets (example values), then env
			const env: Record<string, string> = {};
			for (const from of c.envFrom ?? []) {
				if (from.configMapRef) {
					const data = configMaps.get(from.configMapRef.name);
					if (!data) problems.push(`${where}: ConfigMap ${from.configMapRef.name} is not in the base`);
					Object.assign(env, data ?? {});
				}
				if (from.secretRef) {
					const data = ctx.secrets[from.secretRef.name];
					if (!data) problems.push(`${where}: Secret ${from.secretRef.name} is not described in secret.example.yaml`);
					for (const k of Object.keys(data ?? {})) if (!(k in ctx.settings)) problems.push(`Secret ${from.secretRef.name}: ${k} is not a setting`);
					Object.assign(env, data ?? {});
				}
			}
			for (const e of c.env ?? []) {
				if (!(e.name in ctx.settings)) problems.push(`${where}: env ${e.name} is not a setting`);
				const ref = e.valueFrom?.secretKeyRef;
				env[e.name] = ref ? (ctx.secrets[ref.name]?.[ref.key] ?? '') : (e.value ?? '');
				if (ref && ctx.secrets[ref.name]?.[ref.key] === undefined) problems.push(`${where}: env ${e.name} names Secret key ${ref.name}/${ref.key}, which is not described`);
			}
			for (const p of productionProblems(env)) problems.push(`${where}: a production start fails: ${p}`);
		}
	}
	for (const kind of ctx.kindsInBuild) if (!workerKinds.includes(kind)) problems.push(`the build ships worker kind ${kind}, but no Deployment ${SERVICE_OF_KIND[kind]} runs it`);

	for (const h of byKind('HorizontalPodAutoscaler') as (Resource & { spec: { scaleTargetRef: { name: string } } })[])
		if (!deployments.some((d) => d.metadata.name === h.spec.scaleTargetRef.name)) problems.push(`HPA ${h.metadata.name}: no Deployment ${h.spec.scaleTargetRef.name}`);
	for (const p of byKind('PodDisruptionBudget') as (Resource & { spec: { selector: { matchLabels: Record<string, string> } } })[])
		if (!deployments.some((d) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels))) problems.push(`PDB ${p.metadata.name}: selects no Deployment's pods`);
	for (const s of byKind('Service') as (Resource & { spec: { selector: Record<string, string> } })[])
		if (!deployments.some((d) => matches(s.spec.selector, d.spec.template.metadata.labels))) problems.push(`Service ${s.metadata.name}: selects no Deployment's pods`);
	return problems;
}

/** The kustomization's `resources:` list. */
export function kustomizationResources(dir: string): string[] {
	const k = z.object({ resources: z.array(z.string()) }).loose().parse(parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0].toJS());
	return k.resources;
}

export const yamlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
