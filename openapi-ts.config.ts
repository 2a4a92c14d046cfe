import { defineConfig } from '@hey-api/openapi-ts';

// The typed client every page uses; regenerate with `npm run gen:api` after changing the spec.
export default defineConfig({
	input: './openapi/openapi.yaml',
	output: { path: './src/lib/api', postProcess: [] },
	plugins: ['@hey-api/client-fetch', '@hey-api/typescript', 'zod', { name: '@hey-api/sdk', validator: true }]
});
