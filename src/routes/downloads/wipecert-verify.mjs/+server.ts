import { operation } from '#lib/server/route';
import { verifierFile } from '#lib/server/verification/verifier-file';

/** GET /downloads/wipecert-verify.mjs — the standalone verifier (one file, any Node.js ≥ 20, nothing to install). */
export const GET = operation('getStandaloneVerifier', async ({ event }) => {
	const { bytes, sha256 } = verifierFile();
	const headers = { etag: `"${sha256}"`, 'cache-control': 'public, max-age=300' };
	if (event.request.headers.get('if-none-match') === headers.etag) return new Response(null, { status: 304, headers });
	return new Response(bytes.slice(), {
		headers: { ...headers, 'content-type': 'text/javascript; charset=utf-8', 'content-disposition': 'attachment; filename="wipecert-verify.mjs"' }
	});
});
