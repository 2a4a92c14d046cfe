import { defineConfig } from 'vite';
import base from './vite.config.ts';

/**
 * The CLI and worker entries, bundled next to the adapter-node output in
 * build/ (`node build/worker.js KIND`). Dependencies stay external.
 */
export default defineConfig({
	define: base.define,
	build: {
		ssr: true,
		outDir: 'build',
		emptyOutDir: false,
		target: 'node24',
		sourcemap: true,
		rollupOptions: {
			input: {
				web: 'src/entries/web.ts',
				worker: 'src/entries/worker.ts',
				migrate: 'src/entries/migrate.ts',
				ingest: 'src/entries/ingest.ts',
				signer: 'src/entries/signer.ts',
				'agent-sim': 'src/entries/agent-sim.ts',
				agent: 'src/entries/agent.ts',
				verify: 'src/entries/verify.ts',
				monitor: 'src/entries/monitor.ts',
				witness: 'src/entries/witness.ts',
				chain: 'src/entries/chain.ts'
			},
			output: {
				// the CLIs are also package `bin` entries
				banner: (chunk) => (chunk.isEntry && ['signer', 'agent-sim', 'agent', 'verify', 'monitor'].includes(chunk.name) ? '#!/usr/bin/env node' : ''),
				entryFileNames: '[name].js',
				chunkFileNames: 'entries/[name]-[hash].js',
				format: 'esm'
			}
		}
	}
});
