import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import { sanitize, sanitizeString } from './sanitize';

/**
 * One pino logger for the process. Every object and message goes through the
 * sanitizer in `formatters.log`/`hooks.logMethod`, so no call site can forget.
 */
const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** trace_id/span_id of the active span (OpenTelemetry log correlation); nothing when no span is active. */
function traceFields(): { trace_id?: string; span_id?: string } {
	const span = trace.getActiveSpan();
	if (!span) return {};
	const c = span.spanContext();
	return isSpanContextValid(c) ? { trace_id: c.traceId, span_id: c.spanId } : {};
}

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream) {
	return pino(
		{
			// The process logger is made at import, before the settings are checked: an invalid
			// LOG_LEVEL must not crash here, the config check reports it with every other problem.
			level: LEVELS.has(level) ? level : 'info',
			base: { pid: process.pid, service: 'wipecert' },
			timestamp: pino.stdTimeFunctions.isoTime,
			mixin: traceFields,
			formatters: {
				level: (label) => ({ level: label }),
				log: (object) => sanitize(object) as Record<string, unknown>
			},
			hooks: {
				logMethod(args, method) {
					method.apply(
						this,
						args.map((a) => (typeof a === 'string' ? sanitizeString(a) : a)) as Parameters<typeof method>
					);
				}
			}
		},
		destination
	);
}

export type Logger = pino.Logger;

export const logger: Logger = createLogger();
