import { sql } from 'drizzle-orm';
import { check, customType, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants, users } from '../tenancy/schema';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * Browser sessions (Lucia-style, https://lucia-auth.com/sessions/basic):
 * the cookie holds a random token; only its SHA-256 is stored here, so a
 * database leak does not hand out sessions.
 */
export const sessions = pgTable(
	'sessions',
	{
		/** hex SHA-256 of the session token */
		id: text('id').primaryKey(),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		/** the tenant this session acts in (one of the user's memberships) */
		tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'set null' }),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
		/** absolute end (SESSION_ABSOLUTE_TIMEOUT after sign-in) */
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
		userAgent: text('user_agent'),
		sourceIp: text('source_ip')
	},
	(t) => [
		index('sessions_user_idx').on(t.userId),
		index('sessions_expires_idx').on(t.expiresAt),
		check('sessions_id_is_sha256', sql`${t.id} ~ '^[0-9a-f]{64}$'`)
	]
);

/**
 * The IdP's tokens of a session, AES-256-GCM encrypted under a key id from
 * TOKEN_ENCRYPTION_KEYS (auth/token-crypto.ts); never sent to the browser.
 */
export const oidcTokens = pgTable('oidc_tokens', {
	sessionId: text('session_id')
		.primaryKey()
		.references(() => sessions.id, { onDelete: 'cascade' }),
	keyId: text('key_id').notNull(),
	accessToken: bytea('access_token').notNull(),
	refreshToken: bytea('refresh_token'),
	/** kept for RP-initiated logout (`id_token_hint`) */
	idToken: bytea('id_token'),
	accessTokenExpiresAt: timestamp('access_token_expires_at', { withTimezone: true }).notNull(),
	refreshedAt: timestamp('refreshed_at', { withTimezone: true })
});

/**
 * OIDC clients allowed to call the API with client-credentials bearer JWTs,
 * each acting for one tenant with a fixed set of scopes (action strings).
 */
export const serviceAccounts = pgTable(
	'service_accounts',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		/** `client_id` / `azp` of the tokens */
		clientId: text('client_id').notNull(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		scopes: text('scopes').array().notNull(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		disabledAt: timestamp('disabled_at', { withTimezone: true })
	},
	(t) => [uniqueIndex('service_accounts_client_id_key').on(t.clientId)]
);

export type Session = typeof sessions.$inferSelect;
export type OidcTokens = typeof oidcTokens.$inferSelect;
export type ServiceAccount = typeof serviceAccounts.$inferSelect;
