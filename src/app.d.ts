import type { ApiError } from '#lib/server/http/errors';
import type { Logger } from '#lib/server/telemetry/logger';

declare global {
	namespace App {
		interface Error {
			code: string;
			message: string;
			correlationId: string;
		}
		interface Locals {
			correlationId: string;
			log: Logger;
			/** set by handleError when a handler threw an ApiError */
			apiError?: ApiError;
		}
	}
}

export {};
