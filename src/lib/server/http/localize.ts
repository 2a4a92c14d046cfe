import type { Handle } from '@sveltejs/kit/hooks';
import { z } from 'zod';
import { CATALOGUE_DE, messageDe } from './errors-de';
import { ERROR_CATALOGUE, isApiPath, type ErrorCode } from './errors';

export type ApiLocale = 'en' | 'de';

/**
 * The language of a request's error messages: the Accept-Language entry with
 * the highest weight (RFC 9110 §12.5.4) among the ones the API speaks, en
 * when none is asked for. A tie keeps the order the client listed.
 */
export function apiLocale(acceptLanguage: string | null | undefined): ApiLocale {
	let best: { locale: ApiLocale; q: number } | null = null;
	for (const part of (acceptLanguage ?? '').split(',')) {
		const [tag, ...params] = part.trim().toLowerCase().split(';');
		const primary = tag.split('-')[0];
		if (primary !== 'en' && primary !== 'de') continue;
		const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
		const q = qParam ? Number(qParam.slice(2)) : 1;
		if (!Number.isFinite(q) || q <= 0) continue;
		if (!best || q > best.q) best = { locale: primary, q };
	}
	return best?.locale ?? 'en';
}

/** zod's error messages in the request's language (validation details). */
export const zodErrorMap = (locale: ApiLocale) => (locale === 'de' ? z.locales.de().localeError : undefined);

const envelope = z.object({
	error: z.looseObject({
		code: z.string(),
		message: z.string(),
		correlationId: z.string(),
		details: z.array(z.looseObject({ field: z.string().optional(), problem: z.string() })).optional()
	})
});

const isCode = (code: string): code is ErrorCode => code in ERROR_CATALOGUE;

/** A message in German: the catalogue's own text, a known specific text, else the code's German default. */
export function germanMessage(code: string, message: string): string {
	if (!isCode(code)) return messageDe(message) ?? message;
	if (message === ERROR_CATALOGUE[code].message) return CATALOGUE_DE[code];
	return messageDe(message) ?? CATALOGUE_DE[code];
}

/** The envelope with German texts; code, correlation id, fields and shape unchanged. */
export function localizeEnvelope(body: z.infer<typeof envelope>): z.infer<typeof envelope> {
	const e = body.error;
	return {
		error: {
			...e,
			message: germanMessage(e.code, e.message),
			...(e.details ? { details: e.details.map((d) => ({ ...d, problem: messageDe(d.problem) ?? d.problem })) } : {})
		}
	};
}

/**
 * API and platform error answers in the caller's language: for
 * `Accept-Language: de` the envelope's message and detail problems are
 * German; every other byte of the answer (status, headers, code, correlation
 * id) stays. Successful answers are not touched.
 */
export const localizeApiErrors: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	if (response.status < 400 || !isApiPath(event.url.pathname)) return response;
	if (apiLocale(event.request.headers.get('accept-language')) !== 'de') return response;
	if (!(response.headers.get('content-type') ?? '').includes('application/json')) return response;
	const parsed = envelope.safeParse(await response.clone().json().catch(() => null));
	if (!parsed.success) return response;
	const headers = new Headers(response.headers);
	headers.delete('content-length');
	headers.set('content-language', 'de');
	headers.append('vary', 'Accept-Language');
	return new Response(JSON.stringify(localizeEnvelope(parsed.data)), { status: response.status, statusText: response.statusText, headers });
};
