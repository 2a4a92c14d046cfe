/**
 * `node build/ingest.js`: the agent gateway alone (docs/architecture.md, "One build, several processes"). The
 * same SvelteKit build as the web server, limited to /ingest/v1 and the
 * health routes, with no workers and no dev identity provider; agent
 * requests run on the least-privilege `wipecert_ingest` database role
 * (agents/gateway.ts). Anything else answers 404 in the error envelope.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { answerClientErrors } from '#lib/server/http/client-error';
import { prepareRequestOrigin } from '#lib/server/http/request-origin';

process.env.WIPECERT_ENTRY = 'ingest';
process.env.WORKERS = 'none';
// Same defaults as the web entry (src/entries/web.ts): an outer body cap of BULK_MAX_BYTES, each
// route's own limit before its body is read, and ORIGIN / PROTOCOL_HEADER / HOST_HEADER decide
// event.url as adapter-node documents.
process.env.BODY_SIZE_LIMIT ||= process.env.BULK_MAX_BYTES || String(2 * 1024 ** 3);
const fixOrigin = prepareRequestOrigin();

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

// adapter-node's request handler, next to this file in build/; importing it runs the app's init hook.
const mod: unknown = await import(new URL('./handler.js', import.meta.url).href);
const handler = typeof mod === 'object' && mod !== null && 'handler' in mod && typeof mod.handler === 'function' ? (mod.handler as Middleware) : null;
if (!handler) throw new Error('build/handler.js has no request handler: run `npm run build`');

const ALLOWED = ['/healthz', '/readyz', '/metrics'];
const allowed = (url: string | undefined) => {
	const path = (url ?? '/').split('?')[0];
	return path.startsWith('/ingest/v1/') || ALLOWED.includes(path);
};

function notHere(res: ServerResponse) {
	const correlationId = randomUUID();
	res.writeHead(404, { 'content-type': 'application/json', 'x-request-id': correlationId });
	res.end(JSON.stringify({ error: { code: 'not_found', message: 'This is the agent gateway: only /ingest/v1 and health routes are served here.', correlationId } }));
}

const server = createServer((req, res) => {
	if (!allowed(req.url)) return notHere(res);
	fixOrigin(req);
	handler(req, res, () => notHere(res));
});
answerClientErrors(server);
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
server.listen(port, host, () => console.log(`Agent gateway listening on http://${host}:${port}`));

/** Like adapter-node: stop accepting, drain, then the app's shutdown (workers, queue, pool). */
let stopping = false;
function shutdown(reason: string) {
	if (stopping) return;
	stopping = true;
	server.closeIdleConnections();
	server.close(() => process.emit('sveltekit:shutdown' as 'beforeExit', reason as unknown as number));
	setTimeout(() => server.closeAllConnections(), Number(process.env.SHUTDOWN_TIMEOUT ?? 30) * 1000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
