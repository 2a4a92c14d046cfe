import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * DejaVu Sans (Bitstream Vera licence, static/fonts/DejaVu-LICENSE.txt), embedded
 * subset into every PDF: it covers German umlauts and ß, and a PDF viewer
 * needs no font of its own. Looked up in the source tree (dev, tests) and in
 * the build (static/ is copied to build/client/).
 */
const FILES = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf', mono: 'DejaVuSansMono.ttf' } as const;
let cache: Record<keyof typeof FILES, Uint8Array> | undefined;

function fontDir(): string {
	const here = dirname(fileURLToPath(import.meta.url));
	const candidates = [join(process.cwd(), 'static/fonts'), join(process.cwd(), 'build/client/fonts')];
	for (let up = 0, d = here; up < 5; up++, d = resolve(d, '..')) candidates.push(join(d, 'static/fonts'), join(d, 'client/fonts'));
	for (const c of candidates) {
		try {
			readFileSync(join(c, FILES.regular), { flag: 'r' }).subarray(0, 1);
			return c;
		} catch {
			// next candidate
		}
	}
	throw new Error(`certificate fonts not found (looked in ${candidates.join(', ')})`);
}

export function certificateFonts(): Record<keyof typeof FILES, Uint8Array> {
	if (cache) return cache;
	const dir = fontDir();
	cache = {
		regular: new Uint8Array(readFileSync(join(dir, FILES.regular))),
		bold: new Uint8Array(readFileSync(join(dir, FILES.bold))),
		mono: new Uint8Array(readFileSync(join(dir, FILES.mono)))
	};
	return cache;
}
