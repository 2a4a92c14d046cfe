/**
 * `node build/index.js` (what `npm start` runs): adapter-node's web server with
 * the defaults WipeCert documents, whichever way it is started (npm start,
 * Playwright, tests, an operator's unit file):
 *   - HOST defaults to 127.0.0.1, not adapter-node's 0.0.0.0: a laptop start is
 *     not reachable from the network unless HOST says so;
 *   - BODY_SIZE_LIMIT (adapter-node's outer cap on every body) defaults to
 *     BULK_MAX_BYTES, the largest route limit, where adapter-node's 512K would
 *     refuse proofs and bulk uploads; each route's own, smaller limit is
 *     enforced before its body is read (http/limits.ts), with a 413;
 *   - ORIGIN is honoured at run time (see request-origin.ts).
 * scripts/build.mjs points build/index.js at this file.
 */
import type { Server } from 'node:http';
import { answerClientErrors } from '#lib/server/http/client-error';
import { prepareRequestOrigin } from '#lib/server/http/request-origin';

process.env.HOST ??= '127.0.0.1';
process.env.BODY_SIZE_LIMIT ||= process.env.BULK_MAX_BYTES || String(2 * 1024 ** 3);
const fixOrigin = prepareRequestOrigin();

type AdapterIndex = { server: Server; host: string; port: string | false; path: string | false };
// adapter-node's server, next to this file in build/; importing it runs the app's init hook and listens.
const adapter = (await import(new URL('./server/adapter-index.js', import.meta.url).href)) as AdapterIndex;
// Runs before adapter-node's own 'request' listener reads the origin headers. The import settles
// in a microtask after the module ran, before any connection can be read, so no request is missed.
adapter.server.prependListener('request', fixOrigin);
answerClientErrors(adapter.server);

export const { server, host, port, path } = adapter;
