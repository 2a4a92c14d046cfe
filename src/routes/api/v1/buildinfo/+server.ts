import { json } from '@sveltejs/kit';
import { buildInfo } from '#lib/server/buildinfo';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = () => json(buildInfo);
