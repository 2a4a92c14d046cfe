import { z } from 'zod';

/** The bulk answer (BulkSubmission) or an error envelope, parsed: the browser trusts no JSON. */
export const bulkAnswer = z.union([
	z.object({
		items: z.array(
			z.object({
				name: z.string(),
				publicId: z.string().optional(),
				status: z.string().optional(),
				duplicate: z.boolean().optional(),
				error: z.object({ code: z.string(), message: z.string() }).optional()
			})
		),
		accepted: z.number(),
		failed: z.number()
	}),
	z.object({ error: z.object({ code: z.string(), message: z.string() }) })
]);
export type BulkAnswer = z.infer<typeof bulkAnswer>;

/**
 * Sends one request body with XMLHttpRequest (fetch has no upload progress)
 * to the same-origin relay, reporting bytes sent. Resolves with the parsed
 * answer; a network failure or unparseable answer rejects.
 */
export function sendWithProgress(body: FormData | Blob, contentType: string | null, onProgress: (loaded: number, total: number) => void): Promise<BulkAnswer> {
	return new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		xhr.open('POST', '/proofs/upload/relay');
		if (contentType) xhr.setRequestHeader('content-type', contentType);
		xhr.setRequestHeader('idempotency-key', crypto.randomUUID());
		xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
		xhr.onload = () => {
			try {
				const parsed = bulkAnswer.safeParse(JSON.parse(xhr.responseText));
				if (parsed.success) resolve(parsed.data);
				else reject(new Error(`HTTP ${xhr.status}`));
			} catch {
				reject(new Error(`HTTP ${xhr.status}`));
			}
		};
		xhr.onerror = () => reject(new Error('network'));
		xhr.send(body);
	});
}

export const isZip = (f: File) => /\.zip$/i.test(f.name) || f.type === 'application/zip' || f.type === 'application/x-zip-compressed';
export const isProofFile = (f: File) => /\.(der|p7m|p7)$/i.test(f.name) || isZip(f);
