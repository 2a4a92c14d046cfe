import type { PageServerLoad } from './$types';

const KNOWN = ['bad_request', 'unauthenticated', 'service_unavailable', 'rate_limited'] as const;
type Known = (typeof KNOWN)[number];

export const load: PageServerLoad = ({ url }) => {
	const code = url.searchParams.get('code');
	return { code: (KNOWN as readonly string[]).includes(code ?? '') ? (code as Known) : 'unauthenticated' };
};
