import type { Actor } from '#lib/server/auth/guard';
import type { Container } from '#lib/server/container';
import type { ApiError } from '#lib/server/http/errors';
import type { Logger } from '#lib/server/telemetry/logger';

declare global {
	namespace App {
		interface Error {
			code: string;
			message: string;
			correlationId: string;
			/** 403: the least role that may open the page (the error page says so and whom to ask) */
			needs?: string;
		}
		interface Locals {
			/** the process's running parts (database, queue, storage, signer, events); set by the `provide` handle */
			app: Container;
			correlationId: string;
			log: Logger;
			/** set by handleError when a handler threw an ApiError */
			apiError?: ApiError;
			/** the authenticated caller (session cookie or service bearer token); set by the `authenticate` handle */
			actor: Actor | null;
		}
	}
}

export {};
