import { getMe, listProofs } from '#lib/api/sdk.gen';
import { zAttestationKind, zProofStatus } from '#lib/api/zod.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	event.depends('app:proofs');
	const client = api(event);
	const params = event.url.searchParams;
	const status = zProofStatus.safeParse(params.get('status'));
	const q = params.get('q')?.trim() || undefined;
	const attestation = zAttestationKind.safeParse(params.get('attestation'));
	const cursor = params.get('cursor') ?? undefined;
	const [me, proofs] = await Promise.all([
		getMe({ client }),
		listProofs({ client, query: { cursor, limit: 25, status: status.success ? status.data : undefined, q, attestation: attestation.success ? attestation.data : undefined } })
	]);
	if (!me.data) failLoad(event, me.response?.status, me.error);
	if (!proofs.data) failLoad(event, proofs.response?.status, proofs.error);
	return {
		proofs: proofs.data,
		filters: { status: status.success ? status.data : '', q: q ?? '', attestation: attestation.success ? attestation.data : '' },
		paged: Boolean(cursor),
		canWrite: me.data.actions.includes('proofs:write')
	};
};
