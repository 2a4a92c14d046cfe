import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type postgres from 'postgres';
import { tracingStarted, withSpan } from './tracing';

/**
 * Spans around the outside systems a process talks to: PostgreSQL queries
 * (through drizzle), the signer (in-process keyring or remote over mTLS) and
 * object storage. Applied only when tracing is on, so a process without an
 * OTLP endpoint runs the objects unwrapped.
 */

const QUERY_TEXT_MAX = 2000;

function endSpan(span: Span, error?: unknown) {
	if (error !== undefined) {
		span.recordException(error as Error);
		span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
	}
	span.end();
}

/**
 * A postgres.js query runs when first awaited (its `then`): the CLIENT span
 * starts there, in the caller's context, and ends when the query settles. The
 * text is drizzle's parameterised SQL; values are never recorded.
 */
function tracedQuery<T extends PromiseLike<unknown>>(query: T, text: string): T {
	const then = query.then;
	let span: Span | undefined;
	let ended = false;
	const settle = (error?: unknown) => {
		if (span && !ended) {
			ended = true;
			endSpan(span, error);
		}
	};
	Object.defineProperty(query, 'then', {
		configurable: true,
		value(this: T, onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) {
			span ??= trace.getTracer('wipecert').startSpan('db.query', {
				kind: SpanKind.CLIENT,
				attributes: { 'db.system.name': 'postgresql', 'db.query.text': text.slice(0, QUERY_TEXT_MAX), 'db.operation.name': text.trimStart().split(/\s/, 1)[0].toUpperCase() }
			});
			return then.call(
				this,
				(value: unknown) => {
					settle();
					return onFulfilled ? onFulfilled(value) : value;
				},
				(error: unknown) => {
					settle(error);
					if (onRejected) return onRejected(error);
					throw error;
				}
			);
		}
	});
	return query;
}

/** The postgres.js client drizzle uses, with a span per query, inside transactions and savepoints too. */
export function traceSql(sql: postgres.Sql): postgres.Sql {
	if (!tracingStarted()) return sql;
	const wrap = <S extends object>(target: S): S =>
		new Proxy(target, {
			get(t, prop) {
				const value = Reflect.get(t, prop, t) as unknown;
				if (typeof value !== 'function') return value;
				if (prop === 'unsafe')
					return (text: string, ...rest: unknown[]) => tracedQuery((value as (...a: unknown[]) => PromiseLike<unknown>).call(t, text, ...rest), text);
				if (prop === 'begin' || prop === 'savepoint')
					return (...args: unknown[]) => {
						const fn = args.pop() as (tx: object) => unknown;
						return (value as (...a: unknown[]) => unknown).call(t, ...args, (tx: object) => fn(wrap(tx)));
					};
				return (value as (...a: unknown[]) => unknown).bind(t);
			}
		});
	return wrap(sql);
}

/**
 * An object whose async methods each run in a span `<prefix>.<method>`
 * (the signer, the object store): the method list is explicit so nothing
 * private or synchronous is wrapped by accident.
 */
export function traceMethods<T extends object>(target: T, prefix: string, methods: readonly (keyof T & string)[], attributes: Record<string, string>, kind = SpanKind.CLIENT): T {
	if (!tracingStarted()) return target;
	const traced = new Set<string>(methods);
	return new Proxy(target, {
		get(t, prop) {
			const value = Reflect.get(t, prop, t) as unknown;
			if (typeof value !== 'function') return value;
			if (typeof prop !== 'string' || !traced.has(prop)) return (value as (...a: unknown[]) => unknown).bind(t);
			return (...args: unknown[]) => withSpan(`${prefix}.${prop}`, attributes, () => Promise.resolve((value as (...a: unknown[]) => unknown).apply(t, args)), { kind });
		}
	});
}
