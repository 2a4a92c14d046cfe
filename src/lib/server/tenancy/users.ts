import { and, asc, eq, isNull } from 'drizzle-orm';
import type { DbOrTx, Tx } from '#lib/server/db/client';
import { memberships, tenants, users, type MembershipRole, type User } from './schema';
import { defaultOrganisation, tenantsBySlug } from './tenants';

/** What the IdP told us about a person (already verified and zod-parsed by auth). */
export type IdentityClaims = {
	issuer: string;
	subject: string;
	email: string | null;
	emailVerified: boolean;
	displayName: string | null;
	/** tenant roles from the group claim, `/tenants/<slug>/<role>` */
	tenantRoles: { slug: string; role: MembershipRole }[];
};

export type MembershipView = { tenantId: string; slug: string; name: string; role: MembershipRole };

const normaliseEmail = (email: string | null) => (email ? email.trim().toLowerCase() : null);

/**
 * Creates or updates the person on sign-in, in the caller's
 * transaction: profile from the claims, platform admin from the bootstrap
 * list (sticky; only a verified address counts), claim memberships set to
 * exactly the claim, and invitations to the verified address accepted.
 */
export async function upsertUserFromClaims(tx: Tx, claims: IdentityClaims, bootstrapEmails: readonly string[]): Promise<User> {
	const email = normaliseEmail(claims.email);
	const bootstrap = claims.emailVerified && email !== null && bootstrapEmails.includes(email);
	const [user] = await tx
		.insert(users)
		.values({
			issuer: claims.issuer,
			subject: claims.subject,
			email,
			emailVerified: claims.emailVerified,
			displayName: claims.displayName,
			platformAdmin: bootstrap,
			lastSignInAt: new Date()
		})
		.onConflictDoUpdate({
			target: [users.issuer, users.subject],
			set: {
				email,
				emailVerified: claims.emailVerified,
				displayName: claims.displayName,
				lastSignInAt: new Date(),
				...(bootstrap ? { platformAdmin: true } : {})
			}
		})
		.returning();
	await syncClaimMemberships(tx, user, claims.tenantRoles);
	if (email && claims.emailVerified) await acceptInvitations(tx, user.id, email);
	return user;
}

async function syncClaimMemberships(tx: Tx, user: User, roles: IdentityClaims['tenantRoles']): Promise<void> {
	const known = await tenantsBySlug(
		tx,
		roles.map((r) => r.slug)
	);
	// One membership per tenant: with several claimed roles the strongest wins.
	const rank: Record<MembershipRole, number> = { tenant_admin: 3, operator: 2, viewer: 1 };
	const wanted = new Map<string, MembershipRole>();
	for (const { slug, role } of roles) {
		const tenant = known.get(slug);
		if (!tenant) continue;
		const have = wanted.get(tenant.id);
		if (!have || rank[role] > rank[have]) wanted.set(tenant.id, role);
	}
	const existing = await tx.select().from(memberships).where(eq(memberships.userId, user.id));
	for (const m of existing) {
		if (m.source !== 'claim') continue;
		const role = wanted.get(m.tenantId);
		if (!role) await tx.delete(memberships).where(eq(memberships.id, m.id));
		else if (role !== m.role) await tx.update(memberships).set({ role, updatedAt: new Date() }).where(eq(memberships.id, m.id));
	}
	for (const [tenantId, role] of wanted) {
		if (existing.some((m) => m.tenantId === tenantId)) continue;
		await tx
			.insert(memberships)
			.values({ tenantId, organisationId: await defaultOrganisation(tx, tenantId), userId: user.id, email: user.email, role, source: 'claim' })
			.onConflictDoNothing();
	}
}

async function acceptInvitations(tx: Tx, userId: string, email: string): Promise<void> {
	const invites = await tx
		.select()
		.from(memberships)
		.where(and(isNull(memberships.userId), eq(memberships.email, email)));
	for (const invite of invites) {
		const [taken] = await tx
			.select({ id: memberships.id })
			.from(memberships)
			.where(and(eq(memberships.tenantId, invite.tenantId), eq(memberships.userId, userId)));
		// Already a member through the claim: the claim decides; the invitation is spent.
		if (taken) await tx.delete(memberships).where(eq(memberships.id, invite.id));
		else await tx.update(memberships).set({ userId, updatedAt: new Date() }).where(eq(memberships.id, invite.id));
	}
}

/** A person's tenants with their role, by tenant slug. */
export async function membershipsOf(db: DbOrTx, userId: string): Promise<MembershipView[]> {
	return db
		.select({ tenantId: tenants.id, slug: tenants.slug, name: tenants.name, role: memberships.role })
		.from(memberships)
		.innerJoin(tenants, eq(tenants.id, memberships.tenantId))
		.where(eq(memberships.userId, userId))
		.orderBy(asc(tenants.slug));
}

export async function getUser(db: DbOrTx, userId: string): Promise<User | null> {
	const [row] = await db.select().from(users).where(eq(users.id, userId));
	return row ?? null;
}
