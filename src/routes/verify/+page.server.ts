import { fail, redirect } from '@sveltejs/kit';
import { getPublicKeys, verifyCertificatePdf } from '#lib/api/sdk.gen';
import { failLoad, problemMessage } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import { readFormFile } from '#lib/server/http/form-file';
import type { Actions, PageServerLoad } from './$types';

/** A public ID as printed (also pasted as the whole verify URL): the ID part, or null. */
function idFrom(input: string): string | null {
	const m = /(wc_[a-z2-7]{26})\b/i.exec(input.trim());
	return m ? m[1].toLowerCase() : null;
}

/** The published keys: the page verifies dropped PDFs with them in the browser, and shows the standalone verifier's hash. */
export const load: PageServerLoad = async (event) => {
	const r = await getPublicKeys({ client: api(event) });
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { keys: r.data };
};

export const actions: Actions = {
	/** Enter or paste an ID (or the verify URL) → its verify page. */
	lookup: async (event) => {
		const form = await event.request.formData();
		const input = String(form.get('id') ?? '');
		const id = idFrom(input);
		if (!id) return fail(400, { action: 'lookup' as const, input, problem: 'invalid_id' as const });
		redirect(303, `/verify/${id}`);
	},
	/**
	 * Without JavaScript only: the PDF goes to the API's verdict (nothing is stored); the file is read
	 * as it streams, up to VERIFY_UPLOAD_MAX_BYTES. With JavaScript the page checks it in the browser.
	 */
	upload: async (event) => {
		const max = event.locals.app.config.VERIFY_UPLOAD_MAX_BYTES;
		const read = await readFormFile(event.request, 'pdf', max);
		if ('problem' in read) {
			const status = read.problem === 'too_large' ? 413 : 400;
			return fail(status, { action: 'upload' as const, problem: read.problem, maxMb: Math.floor(max / (1024 * 1024)) });
		}
		const { name, bytes } = read.file;
		// the generated validator types a binary body as a string; the API checks the bytes itself
		const r = await verifyCertificatePdf({ client: api(event), body: new Blob([bytes], { type: 'application/pdf' }), bodySerializer: () => bytes, requestValidator: undefined });
		if (!r.data) return fail(r.response?.status ?? 502, { action: 'upload' as const, problem: 'api' as const, message: problemMessage(r.error) });
		return { action: 'upload' as const, fileName: name, verdict: r.data };
	}
};
