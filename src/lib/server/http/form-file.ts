import { once } from 'node:events';
import { isHttpError } from '@sveltejs/kit';
import busboy from 'busboy';

export type FormFile = { name: string; bytes: Uint8Array<ArrayBuffer> };
export type FormFileResult = { file: FormFile } | { problem: 'no_file' | 'too_large' | 'malformed' };

/**
 * Reads one file field of a multipart form as it streams, keeping at most
 * `maxBytes` of it: past that, reading stops and the answer is `too_large`
 * (a page form's `request.formData()` would have buffered the whole body
 * first — a 300 MB upload took the server from 255 MB to 2 GB RSS).
 * Other fields and files are skipped; a body that is not multipart, or ends
 * mid-part, is `malformed`.
 */
export async function readFormFile(request: Request, field: string, maxBytes: number): Promise<FormFileResult> {
	const type = request.headers.get('content-type') ?? '';
	const declared = Number(request.headers.get('content-length') ?? NaN);
	if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) return { problem: 'too_large' };
	if (!request.body || !type.toLowerCase().startsWith('multipart/form-data')) return { problem: 'malformed' };
	let parser: busboy.Busboy;
	try {
		parser = busboy({ headers: { 'content-type': type }, limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 4096 } });
	} catch {
		return { problem: 'malformed' };
	}
	const reader = request.body.getReader();
	let result: FormFileResult = { problem: 'no_file' };
	let outcome: FormFileResult | null = null;
	const settle = (r: FormFileResult) => (outcome ??= r);
	parser.on('file', (name, stream, info) => {
		if (name !== field) return stream.resume();
		const chunks: Buffer[] = [];
		stream.on('error', () => settle({ problem: 'malformed' }));
		stream.on('data', (c: Buffer) => chunks.push(c));
		stream.on('limit', () => settle({ problem: 'too_large' }));
		stream.on('end', () => {
			const bytes = Buffer.concat(chunks);
			result = bytes.length ? { file: { name: info.filename || 'upload', bytes: new Uint8Array(bytes) } } : { problem: 'no_file' };
		});
	});
	parser.on('error', () => settle({ problem: 'malformed' }));
	const closed = new Promise<void>((resolve) => parser.once('close', resolve));
	try {
		while (!outcome) {
			const { done, value } = await reader.read();
			if (done) {
				parser.end();
				await Promise.race([closed, once(parser, 'error')]);
				break;
			}
			if (!parser.write(value)) await Promise.race([once(parser, 'drain'), closed]);
		}
	} catch (error) {
		settle(isHttpError(error) && error.status === 413 ? { problem: 'too_large' } : { problem: 'malformed' });
	}
	// Stop reading without cancelling: a cancelled body destroys the socket before the answer is
	// written (see body.ts); the rest is discarded after the answer.
	reader.releaseLock();
	return outcome ?? result;
}
