import type { IncomingMessage } from 'node:http';

/**
 * The origin adapter-node gives `event.url`, fixed at run time.
 *
 * adapter-node documents `ORIGIN` (else `PROTOCOL_HEADER` / `HOST_HEADER` /
 * `PORT_HEADER`) as the way to tell the app its public URL. The adapter of
 * this Kit 3 build (6.x) no longer reads `ORIGIN` at run time (it takes
 * `paths.origin` from the build config) and, without `PROTOCOL_HEADER`,
 * assumes `https` even on the plain-HTTP socket it serves — so `event.url`
 * said `https://localhost:3000` behind `http://localhost:3000`.
 *
 * The entries (build/index.js through src/entries/web.ts, and the ingest
 * entry) call `prepareRequestOrigin` before importing adapter-node's handler:
 * it points the adapter's PROTOCOL_HEADER/HOST_HEADER at two private header
 * names and returns a function that fills them on every request (overwriting
 * anything a client sent under those names), which restores the documented
 * behaviour:
 *   - ORIGIN set: every request's origin is ORIGIN (headers ignored);
 *   - else PROTOCOL_HEADER set by the operator: the adapter reads it as usual;
 *   - else: the socket's own protocol (`http`, or `https` on a TLS socket).
 */
export const ORIGIN_PROTOCOL_HEADER = 'x-wipecert-origin-protocol';
export const ORIGIN_HOST_HEADER = 'x-wipecert-origin-host';

export type OriginFixer = (req: IncomingMessage) => void;

export function prepareRequestOrigin(env: NodeJS.ProcessEnv = process.env): OriginFixer {
	const origin = env.ORIGIN ? parseOrigin(env.ORIGIN) : null;
	if (origin) {
		env.PROTOCOL_HEADER = ORIGIN_PROTOCOL_HEADER;
		env.HOST_HEADER = ORIGIN_HOST_HEADER;
		// the host of ORIGIN carries its port
		delete env.PORT_HEADER;
		return (req) => {
			req.headers[ORIGIN_PROTOCOL_HEADER] = origin.protocol;
			req.headers[ORIGIN_HOST_HEADER] = origin.host;
		};
	}
	if (env.PROTOCOL_HEADER) return (req) => void delete req.headers[ORIGIN_PROTOCOL_HEADER];
	env.PROTOCOL_HEADER = ORIGIN_PROTOCOL_HEADER;
	return (req) => {
		req.headers[ORIGIN_PROTOCOL_HEADER] = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
	};
}

function parseOrigin(value: string): { protocol: string; host: string } {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new Error(`ORIGIN must be a URL such as https://wipecert.example.com (got "${value}")`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`ORIGIN must use http or https (got "${value}")`);
	return { protocol: url.protocol.slice(0, -1), host: url.host };
}
