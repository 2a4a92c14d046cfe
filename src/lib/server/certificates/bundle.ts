import { z } from 'zod';

/**
 * The verification bundle every certificate PDF carries as an embedded file,
 * inside the signed byte range: the canonical record the log
 * leaf hashes, its leaf index, the inclusion proof and the signed checkpoint
 * it leads to. With the published keys, nothing else is needed to verify the
 * certificate offline. Pure: the CLI imports it.
 */
export const BUNDLE_FILE_NAME = 'wipecert-verification.json';
export const BUNDLE_FORMAT = 'wipecert-certificate-bundle/1';

export const bundleSchema = z.object({
	format: z.literal(BUNDLE_FORMAT),
	publicId: z.string().min(1),
	/** the canonical JSON of the certificate record, exactly the bytes of the log leaf */
	record: z.string().min(2),
	leafIndex: z.number().int().min(0),
	inclusion: z.object({ treeSize: z.number().int().min(1), hashes: z.array(z.string()) }),
	/** C2SP signed note of the checkpoint of `inclusion.treeSize` */
	checkpoint: z.string().min(1),
	verifyUrl: z.string()
});
export type VerificationBundle = z.infer<typeof bundleSchema>;
