#!/usr/bin/env node
/**
 * The verify benchmark's second baseline: a bare `node:http` server that
 * answers GET /api/v1/public/certificates/{publicId} with the same public JSON
 * as the app — the same domain function (publicCertificateAnswer: the same
 * prepared statement, checkpoint cache, inclusion query, answer cache and ETag)
 * over a postgres.js pool of the same size, the same Cache-Control, 304 on
 * If-None-Match — but
 * without SvelteKit, hooks, routing tables or the operation wrapper. What the
 * app spends above it is the web framework and the platform's request
 * plumbing. Run by bench/verify.mjs as its own process (its CPU is read by pid).
 *
 * Environment: SUPPORT (path of bench/out/support.js), DATABASE_URL, POOL,
 * ORIGIN (for the answer's links). Prints `listening PORT` once ready.
 */
import { createServer } from 'node:http';

const support = await import(process.env.SUPPORT);
const database = support.openDatabase(process.env.DATABASE_URL, Number(process.env.POOL ?? 10));
const links = { origin: process.env.ORIGIN };
const PREFIX = '/api/v1/public/certificates/';
// the app's header (src/routes/api/v1/public/certificates/[publicId]/+server.ts)
const CACHE_CONTROL = 'public, max-age=10, must-revalidate';

function ifNoneMatch(header, etag) {
	if (!header) return false;
	if (header.trim() === '*') return true;
	return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

const server = createServer(async (req, res) => {
	const path = (req.url ?? '').split('?')[0];
	if (req.method !== 'GET' || !path.startsWith(PREFIX) || path.indexOf('/', PREFIX.length) !== -1) {
		res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"Not found.","correlationId":""}}');
		return;
	}
	try {
		const { body, etag } = await support.publicCertificateAnswer(database, path.slice(PREFIX.length), links);
		if (ifNoneMatch(req.headers['if-none-match'], etag)) {
			res.writeHead(304, { etag, 'cache-control': CACHE_CONTROL }).end();
			return;
		}
		res.writeHead(200, { etag, 'cache-control': CACHE_CONTROL, 'content-type': 'application/json' }).end(body);
	} catch (error) {
		const notFound = error?.code === 'not_found';
		res.writeHead(notFound ? 404 : 500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: notFound ? 'not_found' : 'internal', message: String(error?.message ?? error), correlationId: '' } }));
	}
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
const stop = () => server.close(() => database.close(2).then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
