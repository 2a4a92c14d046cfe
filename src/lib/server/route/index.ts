/**
 * The one way a REST route is written: `operation(operationId, handler)`.
 * Everything the contract says about an operation (openapi/openapi.yaml, read
 * through the generated table src/lib/api/operations.gen.ts) is applied here,
 * before the handler runs: the caller's permission (`x-wipecert-action`), the
 * rate limit (`x-wipecert-rate-limit`), path, query and JSON body validated
 * against the generated zod schemas, and for operations that take an
 * `Idempotency-Key` the transaction the handler runs in, which stores its
 * answer for replays. The handler then calls one domain function and maps its
 * result; it never repeats what the contract already says.
 */
import { json, type RequestEvent, type RequestHandler } from '@sveltejs/kit';
import type { z } from 'zod';
import { OPERATIONS, type OperationId } from '#lib/api/operations.gen';
import { auditContext, requireActor, requireAuthenticated, requireTenant, requireUser, type Action, type Actor } from '#lib/server/auth';
import type { Container } from '#lib/server/container';
import { assertSigned, authenticateAgent, type Agent } from '#lib/server/agents';
import { recordAudit } from '#lib/server/audit';
import type { Db, Tx } from '#lib/server/db/client';
import { parseJsonBody, readBodyLimited } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { apiLocale } from '#lib/server/http/localize';
import { parseQuery } from '#lib/server/http/query';
import { hashRequest, idempotencyScope, idempotencySettings, idempotentResponse, runIdempotent, type IdempotentResult } from '#lib/server/idempotency';
import { checkProofContentType } from '#lib/server/proofs';
import { enforceRateLimit } from '#lib/server/ratelimit';
import { canonicalJson } from '#lib/server/records';

type Op<Id extends OperationId> = (typeof OPERATIONS)[Id];
type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler gets: the request, the container, the checked caller and the validated input. */
export type OperationInput<Id extends OperationId> = {
	event: RequestEvent;
	app: Container;
	/** the caller, checked against the operation's action; null only for public operations */
	actor: Op<Id>['action'] extends null ? null : Actor;
	params: Parsed<Op<Id>['params']>;
	query: Parsed<Op<Id>['query']>;
	body: Parsed<Op<Id>['body']>;
	/** the caller's tenant (403 `forbidden` when the caller has none) */
	readonly tenantId: string;
	/** actor, role, correlation id and source IP for the audit row of this request */
	readonly audit: ReturnType<typeof auditContext>;
	/** the caller's Idempotency-Key space */
	readonly scope: string;
};

/** Operations with an Idempotency-Key and a JSON body or none: the handler runs inside the stored transaction. */
type Transactional<Id extends OperationId> = Op<Id>['idempotent'] extends true ? (Op<Id>['bodyType'] extends 'raw' ? false : true) : false;

/** A transactional handler's answer; `afterCommit` runs once the change committed (not on a replay). */
export type TransactionalResult = IdempotentResult & { afterCommit?: () => Promise<void> };

export type OperationHandler<Id extends OperationId> =
	Transactional<Id> extends true
		? (input: OperationInput<Id> & { tx: Tx }) => Promise<TransactionalResult>
		: (input: OperationInput<Id>) => Promise<Response | object>;

export type OperationOptions = {
	/** the 404 message when a path parameter cannot name anything (a malformed id is "not found", like another tenant's) */
	notFound?: string;
	/** headers on the stored answer of a transactional operation (e.g. `cache-control: no-store` for a secret shown once) */
	headers?: Record<string, string>;
};

function checkCaller(event: RequestEvent, op: Op<OperationId>): Actor | null {
	const { action } = op;
	if (op.security.some((scheme) => scheme === 'agentSignature' || scheme === 'enrolmentToken')) {
		throw new Error(`${op.path} is an agent gateway operation: write it with agentOperation`);
	}
	if (action === null) return null;
	if (action === 'authenticated') return requireAuthenticated(event);
	if (action === 'self') return requireUser(event);
	return requireActor(event, action as Action);
}

/**
 * A signed-in caller refused for their role (or their tenant's suspension)
 * leaves an audit row (`access.denied`, result failure) on their tenant's
 * chain, or the platform chain without one: who tried which operation.
 * Only the method and path are kept, never a query or a body. A failure to
 * write it is logged; the caller still gets the 403.
 */
async function recordRefusal(event: RequestEvent, app: Container, op: Op<OperationId>, id: OperationId, error: ApiError): Promise<void> {
	const actor = event.locals.actor;
	if (!actor) return;
	try {
		await app.database.db.transaction((tx) =>
			recordAudit(tx, {
				...auditContext(event, actor),
				tenantId: actor.tenantId,
				action: 'access.denied',
				target: `operation:${id}`,
				result: 'failure',
				details: { code: error.code, needs: op.action, method: event.request.method, path: event.url.pathname }
			})
		);
	} catch (failure) {
		event.locals.log.error({ err: failure, operation: id }, 'the refused request could not be audited');
	}
}

/**
 * The route handler of one operation. Order, as a client sees it: 401/403
 * (caller), 429 (rate limit), 404 (a path parameter that names nothing),
 * 422 (query), 415/413/400/422 (JSON body), then the handler. JSON bodies are
 * limited to JSON_BODY_MAX_BYTES; other bodies (proof files, images, PDFs) are
 * the handler's to read, with their own limits.
 */
export function operation<Id extends OperationId>(id: Id, handler: OperationHandler<Id>, options: OperationOptions = {}): RequestHandler {
	const op: Op<OperationId> = OPERATIONS[id];
	return async (event) => {
		const app = event.locals.app;
		let actor: Actor | null;
		try {
			actor = checkCaller(event, op);
		} catch (error) {
			if (error instanceof ApiError && (error.code === 'forbidden' || error.code === 'tenant_suspended')) await recordRefusal(event, app, op, id, error);
			throw error;
		}
		if (op.rateLimit) await enforceRateLimit(event, op.rateLimit);
		let params: unknown;
		if (op.params) {
			const parsed = op.params.safeParse(event.params);
			if (!parsed.success) throw new ApiError('not_found', options.notFound);
			params = parsed.data;
		}
		const query = op.query ? parseQuery(event.url, op.query, op.numericQuery, apiLocale(event.request.headers.get('accept-language'))) : undefined;
		const body = op.body ? await parseJsonBody(event.request, op.body, app.config.JSON_BODY_MAX_BYTES) : undefined;
		const input = {
			event,
			app,
			actor,
			params,
			query,
			body,
			get tenantId() {
				if (!actor) throw new ApiError('unauthenticated');
				return requireTenant(actor);
			},
			get audit() {
				if (!actor) throw new ApiError('unauthenticated');
				return auditContext(event, actor);
			},
			get scope() {
				if (!actor) throw new ApiError('unauthenticated');
				return idempotencyScope(actor);
			}
		} as OperationInput<Id>;
		if (op.idempotent && op.bodyType !== 'raw') {
			const transactional = handler as (input: OperationInput<Id> & { tx: Tx }) => Promise<TransactionalResult>;
			let afterCommit: TransactionalResult['afterCommit'];
			// what makes two requests to this operation different: its path parameters and its body
			const requestHash = hashRequest(canonicalJson({ params: params ?? null, body: body ?? null }));
			const outcome = await runIdempotent(
				app.database.db,
				event,
				{ scope: input.scope, requestHash, settings: idempotencySettings(app.config) },
				async (tx) => {
					// assigned, not spread: a spread would evaluate the getters (a platform admin has no tenant)
					const result = await transactional(Object.assign(input, { tx }));
					afterCommit = result.afterCommit;
					return { status: result.status, body: result.body };
				}
			);
			if (!outcome.replayed) await afterCommit?.();
			return idempotentResponse(outcome, options.headers);
		}
		const result = await (handler as (input: OperationInput<Id>) => Promise<Response | object>)(input);
		return result instanceof Response ? result : json(result);
	};
}

/** Agent gateway operations: the caller is an enrolled agent (RFC 9421 signature) or holds an enrolment token. */
type AgentOperationId = { [K in OperationId]: (typeof OPERATIONS)[K]['security'] extends readonly ('agentSignature' | 'enrolmentToken')[] ? ((typeof OPERATIONS)[K]['security'] extends readonly [] ? never : K) : never }[OperationId];

export type AgentOperationInput<Id extends AgentOperationId> = {
	event: RequestEvent;
	app: Container;
	/** the ingest role's pool: everything an agent request does runs on it */
	db: Db;
	params: Parsed<Op<Id>['params']>;
	body: Parsed<Op<Id>['body']>;
} & ('agentSignature' extends Op<Id>['security'][number]
	? {
			/** the agent whose signature over method, URI and Content-Digest checked out */
			agent: Agent;
			/** the request body the signature covers */
			raw: Uint8Array;
		}
	: { /** the bearer enrolment token */ enrolmentToken: string });

/**
 * The route handler of an agent gateway operation (`/ingest/v1`), on the
 * least-privilege ingest pool. After the rate limit: a signed operation reads
 * its body with `maxBytes` (0 for reads), checks the RFC 9421 signature and
 * RFC 9530 digest over it (401) and hands the agent and the bytes over; an
 * enrolment operation takes the bearer token and its JSON body.
 */
export function agentOperation<Id extends AgentOperationId>(
	id: Id,
	handler: (input: AgentOperationInput<Id>) => Promise<Response | object>,
	options: OperationOptions & { maxBytes?: (config: Container['config']) => number } = {}
): RequestHandler {
	const op: Op<OperationId> = OPERATIONS[id];
	const signed = op.security.some((scheme) => scheme === 'agentSignature');
	return async (event) => {
		const app = event.locals.app;
		if (op.rateLimit) await enforceRateLimit(event, op.rateLimit);
		const db = app.ingestDatabase.db;
		let who: { agent: Agent; raw: Uint8Array } | { enrolmentToken: string };
		let body: unknown;
		if (signed) {
			assertSigned(event.request.headers);
			if (op.bodyType === 'raw') checkProofContentType(event.request.headers.get('content-type'));
			const raw = await readBodyLimited(event.request, options.maxBytes?.(app.config) ?? 0);
			const agent = await authenticateAgent(db, { method: event.request.method, headers: event.request.headers, url: event.url }, raw, {
				origin: app.config.origin,
				windowSeconds: app.config.AGENT_SIGNATURE_WINDOW
			});
			who = { agent, raw };
		} else {
			const bearer = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(event.request.headers.get('authorization') ?? '');
			if (!bearer) throw new ApiError('unauthenticated', 'Present the enrolment token as `Authorization: Bearer <token>`.', undefined, { 'www-authenticate': 'Bearer' });
			who = { enrolmentToken: bearer[1] };
			if (op.body) body = await parseJsonBody(event.request, op.body, app.config.JSON_BODY_MAX_BYTES);
		}
		let params: unknown;
		if (op.params) {
			const parsed = op.params.safeParse(event.params);
			if (!parsed.success) throw new ApiError('not_found', options.notFound);
			params = parsed.data;
		}
		const result = await handler({ event, app, db, params, body, ...who } as unknown as AgentOperationInput<Id>);
		return result instanceof Response ? result : json(result);
	};
}
