import { error } from '@sveltejs/kit';
import { getPublicCertificate } from '#lib/api/sdk.gen';
import { failLoad } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import { isPublicId } from '#lib/server/records/public-ids';
import type { PageServerLoad } from './$types';

const notFound = (correlationId: string) => error(404, { code: 'not_found', message: 'No certificate with this ID.', correlationId });

/** /verify/{publicId}: the certificate's public record; an unknown ID is the 404 page. */
export const load: PageServerLoad = async (event) => {
	// not an ID at all (a NUL byte, 10,000 characters): the same 404, without asking the API
	if (!isPublicId('certificate', event.params.publicId)) notFound(event.locals.correlationId);
	const r = await getPublicCertificate({ client: api(event), path: { publicId: event.params.publicId } });
	if (r.response?.status === 404) notFound(event.locals.correlationId);
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { certificate: r.data };
};
