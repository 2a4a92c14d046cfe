import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, ERROR_CATALOGUE } from './errors';

/**
 * Requests Node's HTTP parser refuses before the app sees them (a request
 * line or headers past 16 KiB, malformed framing) get the error envelope
 * too, instead of Node's bare `431` / `400` without a body.
 */
export function answerClientErrors(server: Server): void {
	server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
		if (error.code === 'ECONNRESET' || !socket.writable) {
			socket.destroy();
			return;
		}
		const code = error.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : 'bad_request';
		const correlationId = randomUUID();
		const body = JSON.stringify(errorBody(code, ERROR_CATALOGUE[code].message, correlationId));
		const status = ERROR_CATALOGUE[code].status;
		socket.end(
			`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
				`content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${correlationId}\r\nconnection: close\r\n\r\n${body}`
		);
	});
}
