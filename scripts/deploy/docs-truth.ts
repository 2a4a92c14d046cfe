/**
 * Docs tell the truth: README, handbook and `.env.example` may only describe
 * worker kinds and settings this build acts on. The sources are the worker
 * catalogue (`src/jobs/index.ts`: the kinds the build ships, out of the
 * queue catalogue's `WORKER_KINDS`) and the config schema (`settings`, where
 * a setting that only a not-yet-shipped kind acts on says so with
 * `doc.requires`). Anything else must be marked "planned" where it is named,
 * and the marker must go once the kind ships, so the docs follow the build in
 * both directions.
 */

export type TruthInput = {
	/** every worker kind the catalogue knows, with its queues */
	allKinds: Record<string, readonly string[]>;
	/** kinds this build ships (`jobModules`) */
	kindsInBuild: readonly string[];
	settings: Record<string, { doc: { description: string; requires?: string } }>;
	/** upper-case names that are not settings and may appear in docs (states, other programs' variables) */
	vocabulary: ReadonlySet<string>;
	files: { path: string; text: string }[];
};

/** compose service / k8s Deployment name of a worker kind (the platform's runtime design) */
export const SERVICE_OF_KIND: Record<string, string> = {
	proof: 'proof-worker',
	anchor: 'anchor-worker',
	notifications: 'notification-worker',
	reports: 'report-worker',
	retry: 'retry-worker',
	maintenance: 'maintenance-worker'
};

const PLANNED = /\bplanned\b/i;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The units a sentence's truth is judged in: a table row, a list item, or a
 * paragraph (lines up to a blank line; in `.env.example` a comment and its
 * variable). "planned" anywhere in the unit marks
 * what the unit names as not in the build.
 */
export function units(text: string, markdown = true): { line: number; text: string }[] {
	const out: { line: number; text: string }[] = [];
	let current: { line: number; lines: string[] } | null = null;
	const flush = () => {
		if (current) out.push({ line: current.line, text: current.lines.join('\n') });
		current = null;
	};
	text.split('\n').forEach((line, i) => {
		if (!line.trim() || /^```/.test(line.trim())) return flush();
		const heading = markdown && /^#/.test(line);
		if (/^\s*\|/.test(line) || /^\s*([-*]|\d+\.)\s/.test(line) || heading) {
			flush();
			current = { line: i + 1, lines: [line] };
			if (/^\s*\|/.test(line) || heading) flush();
			return;
		}
		if (current) current.lines.push(line);
		else current = { line: i + 1, lines: [line] };
	});
	flush();
	return out;
}

/** Where a unit names a worker kind: `kind` in code, `worker(.js| --) kind`, WORKER_KIND=kind, its queues or its service. */
function kindPatterns(kind: string, queues: readonly string[]): RegExp[] {
	return [
		new RegExp('`' + escape(kind) + '`'),
		new RegExp(`worker(?:\\.js| --)\\s+${escape(kind)}\\b`),
		new RegExp(`WORKER_KIND=${escape(kind)}\\b`),
		...queues.map((q) => new RegExp('`' + escape(q) + '`')),
		new RegExp(`\\b${escape(SERVICE_OF_KIND[kind] ?? `${kind}-worker`)}\\b`)
	];
}

export function docsTruthProblems(input: TruthInput): string[] {
	const problems: string[] = [];
	const shipped = new Set(input.kindsInBuild);
	const settingNames = new Set(Object.keys(input.settings));
	for (const kind of shipped) if (!(kind in input.allKinds)) problems.push(`worker catalogue: ${kind} ships but is not a kind of WORKER_KINDS`);

	// Settings that only a kind not in this build acts on.
	const plannedSettings = new Set(
		Object.entries(input.settings)
			.filter(([, s]) => s.doc.requires && !shipped.has(s.doc.requires))
			.map(([name]) => name)
	);
	for (const [name, s] of Object.entries(input.settings)) {
		const req = s.doc.requires;
		if (!req) continue;
		if (!(req in input.allKinds)) problems.push(`config schema: ${name} requires unknown worker kind "${req}"`);
		else if (!shipped.has(req) && !PLANNED.test(s.doc.description))
			problems.push(`config schema: ${name} is acted on only by the ${req} worker, which this build does not ship: its description must say "planned"`);
		else if (shipped.has(req) && PLANNED.test(s.doc.description))
			problems.push(`config schema: ${name} says "planned" but the ${req} worker ships in this build`);
	}

	for (const file of input.files) {
		for (const unit of units(file.text, file.path.endsWith('.md'))) {
			const where = `${file.path}:${unit.line}`;
			const planned = PLANNED.test(unit.text);
			for (const [kind, queues] of Object.entries(input.allKinds)) {
				const named = kindPatterns(kind, queues).some((re) => re.test(unit.text));
				if (!named) continue;
				if (!shipped.has(kind) && !planned)
					problems.push(`${where}: names the worker kind "${kind}", which this build does not ship; mark it "planned" or remove it`);
				if (shipped.has(kind) && new RegExp('`' + escape(kind) + '`\\s*\\(planned').test(unit.text))
					problems.push(`${where}: calls the worker kind "${kind}" planned, but it ships in this build`);
			}
			for (const m of unit.text.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*\b/g)) {
				const name = m[0];
				// one-word capitals are ordinary words (PDF, JSON) unless a setting has that name
				if (input.vocabulary.has(name) || (!name.includes('_') && !settingNames.has(name))) continue;
				if (!settingNames.has(name)) {
					if (!planned) problems.push(`${where}: names ${name}, which is not a setting of this build (src/lib/server/config/schema.ts); mark it "planned" or remove it`);
				} else if (plannedSettings.has(name) && !planned) {
					problems.push(`${where}: names ${name}, which only the ${input.settings[name].doc.requires} worker acts on (not in this build); mark it "planned"`);
				}
			}
		}
	}
	return [...new Set(problems)];
}
