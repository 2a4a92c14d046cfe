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

const refusal = z.object({ code: z.string(), message: z.string() });

/** The nwipe import answer (NwipeImport) or an error envelope. */
export const nwipeAnswer = z.union([
	z.object({
		logs: z.array(
			z.object({
				name: z.string(),
				nwipeVersion: z.string().nullable().optional(),
				drives: z.array(
					z.object({
						device: z.string(),
						model: z.string(),
						serial: z.string(),
						result: z.string(),
						warnings: z.array(z.string()),
						publicId: z.string().optional(),
						status: z.string().optional(),
						duplicate: z.boolean().optional()
					})
				),
				error: refusal.optional()
			})
		),
		accepted: z.number(),
		failed: z.number()
	}),
	z.object({ error: refusal.extend({ details: z.array(z.object({ field: z.string().optional(), problem: z.string() })).optional() }) })
]);
export type NwipeAnswer = z.infer<typeof nwipeAnswer>;

/**
 * Sends one request body with XMLHttpRequest (fetch has no upload progress)
 * to the same-origin relay, reporting bytes sent. Resolves with the parsed
 * answer; a network failure or unparseable answer rejects.
 */
export function sendWithProgress(body: FormData | Blob, contentType: string | null, onProgress: (loaded: number, total: number) => void): Promise<BulkAnswer> {
	return postWithProgress('/proofs/upload/relay', body, contentType, bulkAnswer, onProgress);
}

/** POST with upload progress to a same-origin relay; the answer parsed with `schema`. */
export function postWithProgress<T>(url: string, body: FormData | Blob, contentType: string | null, schema: z.ZodType<T>, onProgress: (loaded: number, total: number) => void): Promise<T> {
	return new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		xhr.open('POST', url);
		if (contentType) xhr.setRequestHeader('content-type', contentType);
		xhr.setRequestHeader('idempotency-key', crypto.randomUUID());
		xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
		xhr.onload = () => {
			try {
				const parsed = schema.safeParse(JSON.parse(xhr.responseText));
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
/** nwipe writes nwipe_log_YYYYMMDD-hhmmss.txt (ShredOS) or whatever --logfile names; its reports are PDFs. */
export const isNwipeLog = (f: File) => /\.(txt|log)$/i.test(f.name) || f.type === 'text/plain';
export const isPdf = (f: File) => /\.pdf$/i.test(f.name) || f.type === 'application/pdf';
