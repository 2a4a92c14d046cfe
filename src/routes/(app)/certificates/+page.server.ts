import { listCertificates } from '#lib/api/sdk.gen';
import { zAttestationKind, zCertificateStatus } from '#lib/api/zod.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	event.depends('app:proofs');
	const status = zCertificateStatus.safeParse(event.url.searchParams.get('status'));
	const attestation = zAttestationKind.safeParse(event.url.searchParams.get('attestation'));
	const cursor = event.url.searchParams.get('cursor') ?? undefined;
	const list = await listCertificates({
		client: api(event),
		query: { cursor, limit: 25, status: status.success ? status.data : undefined, attestation: attestation.success ? attestation.data : undefined }
	});
	if (!list.data) failLoad(event, list.response?.status, list.error);
	return { certificates: list.data, status: status.success ? status.data : '', attestation: attestation.success ? attestation.data : '', paged: Boolean(cursor) };
};
