import { defineConfig } from 'vite';

/**
 * The standalone verifier, wipecert-verify.mjs: src/entries/wipecert-verify.ts
 * and the verification core with every dependency inlined (zod/mini), one ES
 * module for Node.js ≥ 20, not minified so that whoever runs it can read it.
 * Built before the app (scripts/build.mjs): the app serves it and publishes
 * its SHA-256 (src/lib/server/verification/verifier-file.ts).
 */
export default defineConfig({
	ssr: { noExternal: true, target: 'node' },
	build: {
		ssr: 'src/entries/wipecert-verify.ts',
		outDir: '.generated',
		emptyOutDir: false,
		target: 'node20',
		minify: false,
		sourcemap: false,
		copyPublicDir: false,
		rollupOptions: {
			output: {
				format: 'esm',
				entryFileNames: 'wipecert-verify.mjs',
				codeSplitting: false,
				banner: '#!/usr/bin/env node\n// WipeCert standalone certificate verifier: node wipecert-verify.mjs CERTIFICATE.pdf --keys keys.json'
			}
		}
	}
});
