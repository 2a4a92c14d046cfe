import type { ResolvedConfig } from '#lib/server/config';
import { logger } from './logger';

let started = false;

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
	logger.info({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }, 'OpenTelemetry tracing enabled');
	process.once('beforeExit', () => void sdk.shutdown());
}
