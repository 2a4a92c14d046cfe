import { defineConfig } from 'drizzle-kit';

// Each module owns its tables in src/lib/server/<module>/schema.ts; migrations are generated into drizzle/ and committed.
export default defineConfig({
	dialect: 'postgresql',
	schema: './src/lib/server/*/schema.ts',
	out: './drizzle',
	casing: 'snake_case'
});
