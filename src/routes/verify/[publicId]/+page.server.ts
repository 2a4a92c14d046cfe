import { error } from '@sveltejs/kit';
import { getPublicCertificate } from '#lib/api/sdk.gen';
import { failLoad } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

/** /verify/{publicId}: the certificate's public record; an unknown ID is the 404 page. */
export const load: PageServerLoad = async (event) => {
	const r = await getPublicCertificate({ client: api(event), path: { publicId: event.params.publicId } });
	if (r.response?.status === 404) error(404, { code: 'not_found', message: 'No certificate with this ID.', correlationId: event.locals.correlationId });
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { certificate: r.data };
};
