import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
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
