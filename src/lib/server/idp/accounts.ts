import { createHash, scryptSync, timingSafeEqual, randomBytes } from 'node:crypto';
import { DEV_PASSWORD, DEV_USERS } from './seed';

export type DevAccount = { sub: string; email: string; name: string; groups: readonly string[] };

/** Stable subject per address (a UUID-shaped SHA-256 prefix), so a re-seed keeps the same people. */
function subjectFor(email: string): string {
	const h = createHash('sha256').update(`wipecert-dev-realm:${email}`).digest('hex');
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The realm's users, with a scrypt hash of the seed password computed at
 * start-up so the check below is the same work for every input.
 */
export class DevAccounts {
	private readonly salt = randomBytes(16);
	private readonly hash: Buffer;
	readonly accounts: DevAccount[] = DEV_USERS.map((u) => ({ sub: subjectFor(u.email), email: u.email, name: u.name, groups: u.groups }));

	constructor() {
		this.hash = scryptSync(DEV_PASSWORD, this.salt, 32);
	}

	bySubject(sub: string): DevAccount | undefined {
		return this.accounts.find((a) => a.sub === sub);
	}

	/** The account when the address and password match; the password is always hashed (no timing hint). */
	verify(email: string, password: string): DevAccount | undefined {
		const candidate = scryptSync(password, this.salt, 32);
		const ok = timingSafeEqual(candidate, this.hash);
		const account = this.accounts.find((a) => a.email === email.trim().toLowerCase());
		return ok && account ? account : undefined;
	}
}
