import { sequence, type Handle, type HandleServerError, type ServerInit } from '@sveltejs/kit/hooks';
import { isHttpError, isRedirect } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import { build, jobModules } from './jobs';
import { loadConfigOrExit } from '#lib/server/config';
import { startContainer, stopContainer, type Container } from '#lib/server/container';
import { databaseFailure } from '#lib/server/db/errors';
import { ApiError, errorResponse, isApiPath, type ErrorCode } from '#lib/server/http/errors';
import { bodyLimits } from '#lib/server/http/limits';
import { localizeApiErrors } from '#lib/server/http/localize';
import { authenticate } from '#lib/server/auth/hooks';
import { devRealm, startIdentity } from '#lib/server/idp/hooks';
import { installProcessGuard, requestContext } from '#lib/server/telemetry/guard';
import { logger } from '#lib/server/telemetry/logger';
import { startWorkers } from '#lib/server/workers/runner';
import { httpDuration } from '#lib/server/telemetry/metrics';
import { startTracing, stopTracing, traceRequests } from '#lib/server/telemetry/tracing';
import { paraglideMiddleware } from '#lib/paraglide/server';

/**
 * The process's container, built by `init`: the composition root of the web
 * and ingest entries. Requests reach it through `event.locals.app` only.
 */
let app: Container | undefined;

/**
 * Runs once at start-up (Kit's `init` hook): settings, embedded PostgreSQL,
 * migrations, queue, storage, signer; in the web entry the dev identity
 * provider; with WORKERS=embedded every worker kind of the build.
 */
export const init: ServerInit = async () => {
	process.env.WIPECERT_ENTRY ??= 'web';
	const entry = process.env.WIPECERT_ENTRY === 'ingest' ? 'ingest' : 'web';
	const config = loadConfigOrExit();
	await startTracing(config);
	const started = performance.now();
	try {
		app = await startContainer({ config, log: logger, entry });
		if (entry === 'web') await startIdentity(app);
		if (config.WORKERS === 'embedded') await startWorkers(app, Object.values(jobModules), build);
	} catch (error) {
		logger.fatal({ err: error }, (error as Error).message);
		process.exit(1);
	}
	installProcessGuard(logger);
	logger.info({ ms: Math.round(performance.now() - started), origin: config.origin, workers: config.WORKERS }, 'WipeCert ready');
	// SHUTDOWN_TIMEOUT bounds the whole shutdown: adapter-node's HTTP drain (it reads the same
	// variable) and then ours, so the platform gets what the drain left over.
	let shutdownStarted = 0;
	for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => (shutdownStarted ||= Date.now()));
	// adapter-node emits this after it stopped accepting and drained HTTP requests.
	process.once('sveltekit:shutdown' as 'beforeExit', async () => {
		try {
			const elapsed = shutdownStarted ? Date.now() - shutdownStarted : 0;
			if (app) await stopContainer(app, Math.max(0, config.SHUTDOWN_TIMEOUT * 1000 - elapsed));
			await stopTracing();
			process.exit(0);
		} catch (error) {
			logger.error({ err: error }, 'shutdown failed');
			process.exit(1);
		}
	});
};

/** Hands the container to the request (`event.locals.app`); Kit runs no request before `init` resolved. */
const provide: Handle = ({ event, resolve }) => {
	if (!app) return errorResponse('service_unavailable', randomUUID(), { message: 'WipeCert is starting; retry in a moment.', headers: { 'retry-after': '1' } });
	event.locals.app = app;
	return resolve(event);
};

/** Correlation id from X-Request-Id (generated when absent or unusable), echoed back. */
const correlate: Handle = async ({ event, resolve }) => {
	const given = event.request.headers.get('x-request-id');
	event.locals.correlationId = given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
	event.locals.log = logger.child({ correlationId: event.locals.correlationId });
	const response = await requestContext.run({ correlationId: event.locals.correlationId }, () => resolve(event));
	response.headers.set('x-request-id', event.locals.correlationId);
	return response;
};

/** One log line and one histogram sample per request. */
const observe: Handle = async ({ event, resolve }) => {
	const started = performance.now();
	let status = 500;
	try {
		const response = await resolve(event);
		status = response.status;
		return response;
	} finally {
		const seconds = (performance.now() - started) / 1000;
		const route = event.route.id ?? 'unmatched';
		httpDuration.observe({ route, method: event.request.method, status: String(status) }, seconds);
		if (event.url.pathname !== '/healthz' && event.url.pathname !== '/metrics') {
			event.locals.log.info(
				{ method: event.request.method, path: event.url.pathname, route, status, ms: Math.round(seconds * 1000) },
				'request'
			);
		}
	}
};

/**
 * True for an error status a handler answered on purpose: the envelope, or a
 * documented JSON body such as /readyz's 503 `{ status, failed, checks }`.
 * Kit's own answers (plain-text 405, its `{ message }` error JSON) are not.
 */
async function isDeliberate(response: Response): Promise<boolean> {
	if (!(response.headers.get('content-type') ?? '').includes('application/json')) return false;
	try {
		const body: unknown = await response.clone().json();
		return typeof body === 'object' && body !== null && ('error' in body || !('message' in body));
	} catch {
		return false;
	}
}

const KIT_STATUS_CODES: Record<number, ErrorCode> = {
	400: 'bad_request',
	404: 'not_found',
	405: 'method_not_allowed',
	413: 'payload_too_large',
	415: 'unsupported_media_type'
};

/**
 * API routes answer every error in the one envelope: ApiErrors thrown by
 * handlers, and Kit's own plain 404/405/413 answers.
 */
const apiErrors: Handle = async ({ event, resolve }) => {
	if (!isApiPath(event.url.pathname)) return resolve(event);
	let response: Response;
	try {
		response = await resolve(event);
	} catch (error) {
		// Thrown by a later handle (e.g. authenticate when the database is down), which Kit would
		// answer outside the envelope: same codes and logging as handleError.
		if (isRedirect(error)) throw error;
		if (error instanceof ApiError) {
			return errorResponse(error.code, event.locals.correlationId, { message: error.message, details: error.details, headers: error.headers });
		}
		if (isHttpError(error)) return errorResponse(KIT_STATUS_CODES[error.status] ?? (error.status >= 500 ? 'internal_error' : 'bad_request'), event.locals.correlationId);
		const known = expectedFailure(error);
		if (known) {
			event.locals.log.warn({ err: error, path: event.url.pathname, code: known.code }, 'request failed on a dependency or a value');
			return errorResponse(known.code, event.locals.correlationId, { message: known.message, headers: known.headers });
		}
		event.locals.log.error({ err: error, path: event.url.pathname }, 'unhandled error');
		return errorResponse('internal_error', event.locals.correlationId);
	}
	// An ApiError thrown by a handler reaches handleError (Kit turns it into a 500);
	// handleError parks it on locals and it is answered here with its own code.
	const thrown = event.locals.apiError;
	if (thrown) {
		const replaced = errorResponse(thrown.code, event.locals.correlationId, {
			message: thrown.message,
			details: thrown.details,
			headers: thrown.headers
		});
		// Cookies set during the request (e.g. clearing an expired session) must survive the replacement.
		for (const cookie of response.headers.getSetCookie()) replaced.headers.append('set-cookie', cookie);
		return replaced;
	}
	if (response.status < 400 || (await isDeliberate(response))) return response;
	const code = KIT_STATUS_CODES[response.status] ?? (response.status >= 500 ? 'internal_error' : 'bad_request');
	const headers: Record<string, string> = {};
	for (const name of ['allow', 'retry-after']) {
		const value = response.headers.get(name);
		if (value) headers[name] = value;
	}
	return errorResponse(code, event.locals.correlationId, { headers });
};

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF: a mutation that rides on cookies must come from our own origin
 * (Fetch Metadata / Origin check, OWASP CSRF cheat sheet). Requests without
 * cookies (service-account bearer tokens, agents) carry no ambient authority.
 */
const originCheck: Handle = async ({ event, resolve }) => {
	const { request, url } = event;
	if (!MUTATIONS.has(request.method) || !request.headers.has('cookie')) return resolve(event);
	const origin = request.headers.get('origin');
	const site = request.headers.get('sec-fetch-site');
	// adapter-node (Kit 3) takes the protocol of event.url from PROTOCOL_HEADER, else assumes https;
	// the configured ORIGIN is our own origin whatever the adapter guessed.
	const ours = origin !== null && (origin === url.origin || origin === event.locals.app.config.origin);
	const allowed = origin ? ours : site === null || site === 'same-origin' || site === 'none';
	if (allowed) return resolve(event);
	event.locals.log.warn({ origin, site, path: url.pathname }, 'cross-site mutation refused');
	return errorResponse('forbidden', event.locals.correlationId, { message: 'Cross-site request refused (origin check).' });
};

const securityHeaders: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	const h = response.headers;
	h.set('x-content-type-options', 'nosniff');
	h.set('referrer-policy', 'strict-origin-when-cross-origin');
	// DENY unless the route allowed its own page to frame it (the certificate PDF preview)
	if (h.get('x-frame-options') !== 'SAMEORIGIN') h.set('x-frame-options', 'DENY');
	h.set('permissions-policy', 'camera=(), microphone=(), geolocation=()');
	if (process.env.NODE_ENV === 'production') h.set('strict-transport-security', 'max-age=63072000; includeSubDomains');
	// What a signed-in caller sees is theirs: no browser or shared cache may keep it (RFC 9111 §5.2.2.5),
	// unless the route chose its own policy (the public certificate JSON, the logo).
	const authenticated = event.locals.actor || event.request.headers.has('authorization') || event.request.headers.has('cookie');
	if (authenticated && !h.has('cache-control') && /json|html|event-stream/.test(h.get('content-type') ?? '')) h.set('cache-control', 'no-store');
	return response;
};

/**
 * en/de through paraglide (cookie, then Accept-Language). Pages only: API
 * answers carry no translated text, and the middleware clones every request
 * and enters an async context (a measurable share of a public verify call: bench/results.md, verify).
 */
const i18n: Handle = ({ event, resolve }) =>
	isApiPath(event.url.pathname)
		? resolve(event)
		: // No URL strategy, so the request needs no delocalising; only the locale is used.
			paraglideMiddleware(event.request, ({ locale }) =>
				resolve(event, { transformPageChunk: ({ html }) => html.replace('%paraglide.lang%', locale) })
			);

export const handle = sequence(provide, correlate, traceRequests, observe, securityHeaders, localizeApiErrors, bodyLimits(() => app!.config), originCheck, devRealm, apiErrors, authenticate, i18n);

/**
 * Failures that are not bugs: the database away or restarting (503 with
 * Retry-After, the client retries; the gateway used to answer 500 and agents
 * gave up) and a value PostgreSQL refuses (400).
 */
function expectedFailure(error: unknown): ApiError | null {
	const failure = databaseFailure(error);
	if (failure === 'unavailable') return new ApiError('service_unavailable', 'The database is unavailable; retry later.', undefined, { 'retry-after': '5' });
	if (failure === 'bad_input') return new ApiError('bad_request', 'A value in the request is not valid.');
	return null;
}

/** Unexpected errors: full detail in the log, a correlation id to the client, never a stack. */
export const handleError: HandleServerError = (input) => {
	const { event } = input;
	const correlationId = event.locals.correlationId ?? randomUUID();
	if (input.kind === 'unknown' && input.error instanceof ApiError) {
		event.locals.apiError = input.error;
		return { code: input.error.code, message: input.error.message, correlationId, status: input.error.status };
	}
	const known = input.kind === 'unknown' ? expectedFailure(input.error) : null;
	if (known) {
		(event.locals.log ?? logger).warn({ err: input.error, path: event.url.pathname, code: known.code }, 'request failed on a dependency or a value');
		event.locals.apiError = known;
		return { code: known.code, message: known.message, correlationId };
	}
	if (input.kind === 'unknown') {
		(event.locals.log ?? logger).error({ err: input.error, path: event.url.pathname }, 'unhandled error');
		return { code: 'internal_error', message: 'Something went wrong on our side; quote the correlation id.', correlationId };
	}
	if (input.kind === 'app') return { ...input.error, correlationId };
	const status = input.error.status;
	return { code: status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'bad_request', message: input.error.message, correlationId };
};
