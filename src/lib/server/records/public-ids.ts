import { randomBytes } from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

/**
 * Public IDs: 128 random bits in lower-case base32 (RFC 4648 alphabet, no
 * padding: 26 characters of a–z and 2–7) after a prefix that says what it
 * names. URL-safe, unguessable, easy to read out, and unrelated to any
 * database id.
 */
export const PUBLIC_ID_PREFIX = { proof: 'prf_', certificate: 'wc_' } as const;

export function newPublicId(kind: keyof typeof PUBLIC_ID_PREFIX): string {
	return PUBLIC_ID_PREFIX[kind] + encodeBase32LowerCaseNoPadding(randomBytes(16));
}

const FORMAT = { proof: /^prf_[a-z2-7]{26}$/, certificate: /^wc_[a-z2-7]{26}$/ } as const;

export function isPublicId(kind: keyof typeof PUBLIC_ID_PREFIX, value: string): boolean {
	return FORMAT[kind].test(value);
}
