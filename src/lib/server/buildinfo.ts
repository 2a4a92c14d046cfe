declare const __WIPECERT_BUILD__: { version: string; commit: string; builtAt: string };

/** Filled in at build time by vite.config.ts (`define`). */
export const buildInfo = {
	version: __WIPECERT_BUILD__.version,
	commit: __WIPECERT_BUILD__.commit,
	builtAt: __WIPECERT_BUILD__.builtAt,
	node: process.version
};
