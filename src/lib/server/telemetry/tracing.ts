import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { Handle } from '@sveltejs/kit/hooks';
import type { ResolvedConfig } from '#lib/server/config';
import { logger } from './logger';

let started = false;
let shutdown: (() => Promise<void>) | undefined;

/**
 * OpenTelemetry traces, exported over OTLP/HTTP only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise nothing is loaded.
 */
export async function startTracing(config: ResolvedConfig): Promise<void> {
	if (started || !config.OTEL_EXPORTER_OTLP_ENDPOINT) return;
	started = true;
	const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
		import('@opentelemetry/sdk-node'),
		import('@opentelemetry/exporter-trace-otlp-http')
	]);
	const sdk = new NodeSDK({
		serviceName: `wipecert-${process.env.WIPECERT_ENTRY ?? 'app'}`,
		traceExporter: new OTLPTraceExporter({ url: `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` })
	});
	sdk.start();
	shutdown = () => sdk.shutdown();
	logger.info({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }, 'OpenTelemetry tracing enabled');
	process.once('beforeExit', () => void sdk.shutdown());
}

/** Whether this process exports traces (instrumentation wraps objects only then). */
export function tracingStarted(): boolean {
	return started;
}

/** Flushes buffered spans; shutdown paths call it before process.exit (which skips `beforeExit`). */
export async function stopTracing(): Promise<void> {
	const s = shutdown;
	shutdown = undefined;
	await s?.().catch((error: unknown) => logger.warn({ err: error }, 'OpenTelemetry shutdown failed'));
}

/**
 * One SERVER span per request (OpenTelemetry HTTP semantic conventions). The
 * app bundles no auto-instrumentation, so without this handle the SDK would
 * export nothing; without a started SDK the API is a no-op. The span names the
 * route id, never the raw URL (its query may carry secrets).
 */
export const traceRequests: Handle = ({ event, resolve }) => {
	const route = event.route.id ?? 'unmatched';
	return trace.getTracer('wipecert').startActiveSpan(
		`${event.request.method} ${route}`,
		{
			kind: SpanKind.SERVER,
			attributes: {
				'http.request.method': event.request.method,
				'http.route': route,
				'wipecert.correlation_id': event.locals.correlationId
			}
		},
		async (span) => {
			try {
				const response = await resolve(event);
				span.setAttribute('http.response.status_code', response.status);
				if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
				return response;
			} catch (error) {
				span.recordException(error as Error);
				span.setStatus({ code: SpanStatusCode.ERROR });
				throw error;
			} finally {
				span.end();
			}
		}
	);
};

const tracer = () => trace.getTracer('wipecert');

/**
 * Runs `fn` in a child span of the active one (none without a started SDK:
 * the API is then a no-op and costs a function call). Errors are recorded on
 * the span and thrown on.
 */
export function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, opts: { kind?: SpanKind; parent?: Context } = {}): Promise<T> {
	const run = (span: Span) =>
		fn(span).then(
			(value) => {
				span.end();
				return value;
			},
			(error: unknown) => {
				span.recordException(error as Error);
				span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
				span.end();
				throw error;
			}
		);
	return opts.parent
		? tracer().startActiveSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes }, opts.parent, run)
		: tracer().startActiveSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes }, run);
}

/** W3C trace context (`traceparent`, `tracestate`) of the active span, for job data and outgoing requests; empty without one. */
export function traceCarrier(): Record<string, string> {
	const carrier: Record<string, string> = {};
	propagation.inject(context.active(), carrier);
	return carrier;
}

/** The context a carrier (job data, request headers) names, to parent a span on. */
export function contextFrom(carrier: Record<string, string | string[] | undefined> | undefined): Context {
	return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

