import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter } from 'prom-client';
import type { Logger } from './logger';
import { registry } from './metrics';

/** The request a piece of asynchronous work belongs to (set by the web server's `correlate` hook). */
export const requestContext = new AsyncLocalStorage<{ correlationId: string }>();

export const unexpectedErrors = new Counter({
	name: 'wipecert_unexpected_errors_total',
	help: 'Errors no caller handled (uncaught exceptions, unhandled rejections), logged and survived',
	labelNames: ['kind'] as const,
	registers: [registry]
});

let installed = false;

/**
 * Once start-up is over, one faulty request or job must not stop the process
 * (web, API, agent gateway and embedded workers share it): an error no caller
 * handled — an emitter without an 'error' listener, a throw from a timer, a
 * rejection nobody awaited — is logged with the correlation id of the request
 * it came from (AsyncLocalStorage follows timers, ticks and emitters) and
 * counted in /metrics, and the process goes on serving. Until this is
 * installed, such an error ends the process: start-up is the one place that
 * may crash.
 */
export function installProcessGuard(log: Logger): void {
	if (installed) return;
	installed = true;
	process.on('uncaughtException', (err, origin) => {
		unexpectedErrors.inc({ kind: origin === 'unhandledRejection' ? 'unhandled_rejection' : 'uncaught_exception' });
		log.error({ err, origin, correlationId: requestContext.getStore()?.correlationId }, 'unexpected error: logged, the process keeps serving');
	});
	// With this listener Node no longer turns an unhandled rejection into an uncaught exception.
	process.on('unhandledRejection', (reason) => {
		unexpectedErrors.inc({ kind: 'unhandled_rejection' });
		log.error({ err: reason, correlationId: requestContext.getStore()?.correlationId }, 'unhandled rejection: logged, the process keeps serving');
	});
}
