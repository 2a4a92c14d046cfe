import { sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { memberships, users } from './schema';

/**
 * Clears the e-mail address and display name of people who are no longer a
 * member of any tenant (removed members, or never invited past sign-in) and
 * have not signed in since `before`. Platform admins keep theirs. The user row
 * stays (audit rows name it by id); a later sign-in fills both again from the
 * identity provider's claims. Returns how many people were anonymised.
 */
export async function anonymiseFormerMembers(db: DbOrTx, before: Date): Promise<number> {
	const rows = await db.execute<{ id: string }>(sql`
		update ${users} u set email = null, display_name = null, email_verified = false
		where u.platform_admin = false
			and (u.email is not null or u.display_name is not null)
			and coalesce(u.last_sign_in_at, u.created_at) < ${before.toISOString()}::timestamptz
			and not exists (select 1 from ${memberships} m where m.user_id = u.id)
		returning u.id`);
	return rows.length;
}
