import { sql } from 'drizzle-orm';
import { boolean, check, customType, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * Platform → tenant → organisation.
 * A tenant is the unit of isolation: every query of tenant data is scoped by
 * `tenant_id`. Organisations structure a tenant (each tenant has a default one).
 */
export const tenants = pgTable(
	'tenants',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		/** stable short name, used in group paths `/tenants/<slug>/<role>` */
		slug: text('slug').notNull(),
		name: text('name').notNull(),
		/** a suspended tenant submits nothing; its data stays readable and verifiable */
		status: text('status', { enum: ['active', 'suspended'] }).notNull().default('active'),
		/** language of the tenant's certificates and mails (tenant settings) */
		language: text('language', { enum: ['en', 'de'] }).notNull().default('en'),
		/** IANA time zone the dashboard shows the tenant's dates in and its monthly reports count months and days in (tenant settings) */
		timeZone: text('time_zone').notNull().default('UTC'),
		/**
		 * What a certificate PDF shows of the operator: anyone with a public ID can download the
		 * PDF, so the default names nobody (GDPR Art. 5(1)(c), data minimisation)
		 */
		certificateOperator: text('certificate_operator', { enum: ['full', 'initials', 'none'] }).notNull().default('none'),
		/** `licences.low` is raised when the balance falls below it; 0: never (tenant settings) */
		lowBalanceThreshold: integer('low_balance_threshold').notNull().default(50),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('tenants_slug_key').on(t.slug),
		check('tenants_slug_format', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]{1,62}$'`),
		check('tenants_status_check', sql`${t.status} in ('active', 'suspended')`),
		check('tenants_language_check', sql`${t.language} in ('en', 'de')`),
		check('tenants_certificate_operator_check', sql`${t.certificateOperator} in ('full', 'initials', 'none')`),
		check('tenants_low_balance_threshold_check', sql`${t.lowBalanceThreshold} >= 0`)
	]
);

/**
 * A tenant's logo (tenant settings), small enough (≤ 256 KiB, checked on
 * upload) to live in the database next to the tenant rather than in object
 * storage: one row, replaced on upload.
 */
export const tenantLogos = pgTable('tenant_logos', {
	tenantId: uuid('tenant_id')
		.primaryKey()
		.references(() => tenants.id, { onDelete: 'cascade' }),
	contentType: text('content_type').notNull(),
	bytes: bytea('bytes').notNull(),
	updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
});

export const organisations = pgTable(
	'organisations',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'restrict' }),
		name: text('name').notNull(),
		isDefault: boolean('is_default').notNull().default(false),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		index('organisations_tenant_idx').on(t.tenantId),
		uniqueIndex('organisations_one_default').on(t.tenantId).where(sql`${t.isDefault}`)
	]
);

/**
 * People, created on first sign-in from the ID token's claims.
 * Identified by (issuer, subject): an e-mail address can change at the IdP.
 */
export const users = pgTable(
	'users',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		issuer: text('issuer').notNull(),
		subject: text('subject').notNull(),
		email: text('email'),
		emailVerified: boolean('email_verified').notNull().default(false),
		displayName: text('display_name'),
		/** platform admin (console); set by ADMIN_BOOTSTRAP_EMAILS or by another platform admin */
		platformAdmin: boolean('platform_admin').notNull().default(false),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		lastSignInAt: timestamp('last_sign_in_at', { withTimezone: true })
	},
	(t) => [uniqueIndex('users_issuer_subject_key').on(t.issuer, t.subject), index('users_email_idx').on(sql`lower(${t.email})`)]
);

export const MEMBERSHIP_ROLES = ['tenant_admin', 'operator', 'viewer'] as const;
export type MembershipRole = (typeof MEMBERSHIP_ROLES)[number];

/**
 * A person's role in one tenant (one membership per tenant and person).
 * `source = 'claim'` rows follow the IdP's group claim at every sign-in;
 * `source = 'invite'` rows are managed in the app by a tenant admin. An
 * invitation waits with `user_id` null until someone signs in with that
 * verified e-mail address.
 */
export const memberships = pgTable(
	'memberships',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		organisationId: uuid('organisation_id')
			.notNull()
			.references(() => organisations.id, { onDelete: 'restrict' }),
		userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
		/** lower-cased invitation address (also kept for claim rows, for display) */
		email: text('email'),
		role: text('role', { enum: MEMBERSHIP_ROLES }).notNull(),
		source: text('source', { enum: ['claim', 'invite'] }).notNull(),
		invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('memberships_tenant_user_key').on(t.tenantId, t.userId),
		uniqueIndex('memberships_tenant_invite_key').on(t.tenantId, t.email).where(sql`${t.userId} is null`),
		index('memberships_user_idx').on(t.userId),
		check('memberships_role_check', sql`${t.role} in ('tenant_admin', 'operator', 'viewer')`),
		check('memberships_user_or_email', sql`${t.userId} is not null or ${t.email} is not null`)
	]
);

export type Tenant = typeof tenants.$inferSelect;
export type Organisation = typeof organisations.$inferSelect;
export type User = typeof users.$inferSelect;
export type Membership = typeof memberships.$inferSelect;
