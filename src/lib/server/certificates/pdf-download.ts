import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import type { ObjectStore } from '#lib/server/storage';
import { certificates } from './schema';

/** The stored signed PDF of a certificate of the tenant; 404 for another tenant's, one still issuing, or one without a PDF. */
export async function tenantCertificatePdf(db: DbOrTx, storage: ObjectStore, tenantId: string, publicId: string): Promise<Uint8Array> {
	const [c] = await db
		.select({ key: certificates.pdfObjectKey, status: certificates.status })
		.from(certificates)
		.where(and(eq(certificates.tenantId, tenantId), eq(certificates.publicId, publicId)));
	if (!c) throw new ApiError('not_found', 'No certificate with this id in your tenant.');
	const pdf = c.key && c.status !== 'issuing' ? await storage.getBytes(c.key) : null;
	if (!pdf) throw new ApiError('not_found', 'This certificate has no PDF yet.');
	return pdf;
}
