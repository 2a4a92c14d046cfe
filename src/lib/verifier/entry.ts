import { fromUtf8, utf8 } from './bytes';

/**
 * The transparency log's leaf encoding (handbook: "Monitoring the log").
 * Since bundle format 2 a leaf is not the certificate record itself — that
 * holds serial numbers, host names and operators, which the public log must
 * not publish — but a three-line UTF-8 text committing to it:
 *
 *   wipecert/certificate/v1\n
 *   <public certificate ID>\n
 *   <lower-case hex SHA-256 of the canonical record>\n
 *
 * The leaf hash is SHA-256(0x00 ‖ entry) (RFC 9162 §2.1.1). Whoever holds the
 * record (the PDF embeds it) recomputes the entry; everyone else sees only the
 * ID and the hash, the same facts GET /api/v1/public/certificates/{id} shows.
 */
export const ENTRY_HEADER = 'wipecert/certificate/v1';
const ID = /^wc_[a-z2-7]{26}$/;

export function certificateEntry(publicId: string, recordSha256Hex: string): Uint8Array {
	if (!ID.test(publicId)) throw new Error(`not a certificate ID: ${publicId}`);
	if (!/^[0-9a-f]{64}$/.test(recordSha256Hex)) throw new Error('the record hash is 64 lower-case hex digits');
	return utf8(`${ENTRY_HEADER}\n${publicId}\n${recordSha256Hex}\n`);
}

/** Reads an entry; null when the bytes are not a v1 certificate entry. */
export function parseCertificateEntry(bytes: Uint8Array): { publicId: string; recordSha256: string } | null {
	let text: string;
	try {
		text = fromUtf8(bytes);
	} catch {
		return null;
	}
	const m = /^wipecert\/certificate\/v1\n(wc_[a-z2-7]{26})\n([0-9a-f]{64})\n$/.exec(text);
	return m ? { publicId: m[1], recordSha256: m[2] } : null;
}
