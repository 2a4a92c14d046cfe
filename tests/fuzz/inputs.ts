import yazl from 'yazl';

/** A small seeded generator (mulberry32): the same seed gives the same cases, so a failure can be replayed. */
export function rng(seed: number) {
	let a = seed >>> 0;
	const next = () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const int = (n: number) => Math.floor(next() * n);
	return {
		next,
		int,
		pick: <T>(list: readonly T[]): T => list[int(list.length)],
		chance: (p: number) => next() < p,
		bytes: (n: number) => Uint8Array.from({ length: n }, () => int(256))
	};
}
export type Rng = ReturnType<typeof rng>;

/** Strings a careless or hostile client sends where an id, a filter or a field goes. */
export const NASTY_STRINGS = [
	'',
	' ',
	'\0',
	'a\0b',
	'\ud800',
	'x\udfffy',
	'\u202e\u0000',
	'..',
	'../../etc/passwd',
	'%',
	'%zz',
	'%00',
	'%ED%A0%80',
	'null',
	'undefined',
	'-1',
	'0',
	'1e309',
	'9'.repeat(40),
	'00000000-0000-0000-0000-000000000000',
	'00000000-0000-0000-0000-00000000000g',
	'wc_' + 'a'.repeat(26),
	'prf_' + 'z'.repeat(26),
	'<script>alert(1)</script>',
	"' or 1=1 --",
	'\t\r\n',
	'é',
	'😀'.repeat(50),
	'x'.repeat(10_000)
];

/** Path segments: raw (sent as typed, percent-escapes included). */
export const NASTY_SEGMENTS = ['%00', '%ff', '%ED%A0%80', '%2e%2e', '%2F', '..', '.', 'x'.repeat(10_000), '%20', '-1', '9'.repeat(40), '%0d%0a', 'a%00b', '%u0000', "'"];

const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);

/** A JSON body: the valid sample, mutated in one of the ways clients get it wrong. */
export function jsonBody(r: Rng, valid: unknown): string | Uint8Array {
	const text = JSON.stringify(valid ?? {});
	const mutateObject = (): unknown => {
		const base: Record<string, unknown> = typeof valid === 'object' && valid !== null && !Array.isArray(valid) ? { ...(valid as Record<string, unknown>) } : {};
		const keys = Object.keys(base);
		const key = keys.length && r.chance(0.7) ? r.pick(keys) : r.pick(['__proto__', 'constructor', 'x', '', '\0', 'id']);
		base[key] = r.pick<unknown>([null, true, -1, 0, 1e308, -0, 2 ** 63, 'x'.repeat(100_000), r.pick(NASTY_STRINGS), [], {}, [1, 2], { $ref: '#' }, '\ud800', 'a\u0000b']);
		return base;
	};
	switch (r.int(12)) {
		case 0:
			return text;
		case 1:
			return text.slice(0, r.int(text.length));
		case 2:
			return deep(r.pick([100, 5000, 20_000]));
		case 3:
			return '\ufeff' + text;
		case 4:
			return Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]); // invalid UTF-8
		case 5:
			return r.pick(['', 'null', '[]', '"x"', '1', 'true', '{', '}', '{"a":1,"a":2}', '{"__proto__":{"isAdmin":true}}', '1e999', '-']);
		case 6:
			return JSON.stringify({ ...(typeof valid === 'object' && valid ? valid : {}), extra: 'x'.repeat(r.pick([10, 70_000, 2_000_000])) });
		case 7:
			return text.replace(/"[^"]*"/, '"\\ud800"');
		case 8:
			return JSON.stringify([valid, valid]);
		default:
			return JSON.stringify(mutateObject());
	}
}

/** DER a proof route sees: truncated, mutated, with wrong or impossible lengths. */
export function derBody(r: Rng, sample: Uint8Array): Uint8Array {
	const copy = Uint8Array.from(sample);
	switch (r.int(9)) {
		case 0:
			return copy;
		case 1:
			return copy.subarray(0, r.int(copy.length));
		case 2:
			for (let i = 0; i < 1 + r.int(8); i++) copy[r.int(copy.length)] = r.int(256);
			return copy;
		case 3:
			return Uint8Array.from([0x30, 0x80, ...r.bytes(50), 0, 0]); // BER indefinite length
		case 4:
			return Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, ...r.bytes(20)]);
		case 5:
			return Uint8Array.from([0x30, 0x85, 1, 2, 3, 4, 5]);
		case 6:
			return r.bytes(r.int(3000));
		case 7:
			return new Uint8Array(0);
		default: {
			const inner = r.bytes(r.int(2000));
			return Uint8Array.from([0x30, 0x82, inner.length >> 8, inner.length & 0xff, ...inner]);
		}
	}
}

function zipOf(entries: { name: string; data: Uint8Array }[]): Promise<Uint8Array> {
	return new Promise((resolve, reject) => {
		const zip = new yazl.ZipFile();
		for (const e of entries) zip.addBuffer(Buffer.from(e.data), e.name);
		zip.end();
		const chunks: Buffer[] = [];
		zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
		zip.outputStream.on('error', reject);
		zip.outputStream.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
	});
}

const HOSTILE_PLACEHOLDER = 'HOSTILEPLACE.der';
const HOSTILE_NAMES = ['../../../evi.der', '/absolute/ev.der', 'C:\\windows\\e.der', 'a\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000.der'.slice(0, 16)];

function replaceAll(bytes: Uint8Array, from: string, to: string): Uint8Array {
	const a = Buffer.from(from, 'latin1');
	const b = Buffer.from(to, 'latin1');
	const out = Buffer.from(bytes);
	for (let i = out.indexOf(a); i !== -1; i = out.indexOf(a, i + a.length)) b.copy(out, i);
	return new Uint8Array(out);
}

/** A zip upload: real archives of mutated proofs, truncated or damaged ones, hostile entry names. */
export async function zipBody(r: Rng, sample: Uint8Array): Promise<Uint8Array> {
	const names = ['a.der', 'dir/b.der', 'é.der', 'a'.repeat(300) + '.der', HOSTILE_PLACEHOLDER, HOSTILE_PLACEHOLDER];
	const built = await zipOf(Array.from({ length: 1 + r.int(4) }, () => ({ name: r.pick(names), data: derBody(r, sample) })));
	// yazl refuses to write such names: they are put in afterwards, at the same length
	const real = replaceAll(built, HOSTILE_PLACEHOLDER, r.pick(HOSTILE_NAMES));
	switch (r.int(5)) {
		case 0:
			return real;
		case 1:
			return real.subarray(0, r.int(real.length));
		case 2: {
			const copy = Uint8Array.from(real);
			for (let i = 0; i < 1 + r.int(6); i++) copy[r.int(copy.length)] = r.int(256);
			return copy;
		}
		case 3:
			return Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...r.bytes(r.int(500))]);
		default:
			return r.bytes(r.int(1000));
	}
}

/** A multipart body and its content type: well-formed, truncated, without boundary, with hostile parts. */
export function multipartBody(r: Rng, sample: Uint8Array): { type: string; body: Uint8Array } {
	const boundary = r.pick(['XB', '----WebKitFormBoundaryAbC', 'x'.repeat(70), '"quoted"']);
	const enc = new TextEncoder();
	const part = (name: string, filename: string | null, data: Uint8Array, headers = '') =>
		Buffer.concat([
			enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename === null ? '' : `; filename="${filename}"`}\r\n${headers}Content-Type: application/octet-stream\r\n\r\n`),
			data,
			enc.encode('\r\n')
		]);
	const parts = Array.from({ length: 1 + r.int(4) }, () =>
		part(r.pick(['file', 'pdf', 'logo', '', 'x'.repeat(2000)]), r.pick([`p${r.int(9)}.der`, '', '../x.der', 'a\u0000b.der', null]), derBody(r, sample), r.chance(0.1) ? `X-Long: ${'h'.repeat(90_000)}\r\n` : '')
	);
	const full = Buffer.concat([...parts, enc.encode(`--${boundary}--\r\n`)]);
	const type = r.pick([`multipart/form-data; boundary=${boundary}`, 'multipart/form-data', `multipart/form-data; boundary=${boundary}x`, `multipart/mixed; boundary=${boundary}`]);
	switch (r.int(4)) {
		case 0:
			return { type, body: full.subarray(0, r.int(full.length)) };
		case 1:
			return { type, body: Buffer.concat([full.subarray(0, 40), r.bytes(200)]) };
		default:
			return { type, body: full };
	}
}

/** Bytes for image and PDF uploads: a real-looking header, then damage. */
export function fileBody(r: Rng, contentType: string): Uint8Array {
	const magic: Record<string, number[]> = {
		'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
		'image/jpeg': [0xff, 0xd8, 0xff, 0xe0],
		'image/webp': [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],
		'application/pdf': [...new TextEncoder().encode('%PDF-1.7\n')]
	};
	const head = magic[contentType] ?? [];
	return Uint8Array.from([...(r.chance(0.8) ? head : []), ...r.bytes(r.pick([0, 10, 500, 5000, 300_000]))]);
}
