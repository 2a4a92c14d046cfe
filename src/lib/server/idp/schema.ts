import { index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Artifacts of the dev identity provider (oidc-provider models: sessions,
 * grants, codes, refresh tokens, interactions), so a restart of `npm start`
 * does not end everyone's IdP session. Dev/embedded mode only.
 */
export const devIdpArtifacts = pgTable(
	'dev_idp_artifacts',
	{
		model: text('model').notNull(),
		id: text('id').notNull(),
		payload: jsonb('payload').notNull(),
		grantId: text('grant_id'),
		userCode: text('user_code'),
		uid: text('uid'),
		expiresAt: timestamp('expires_at', { withTimezone: true }),
		consumedAt: timestamp('consumed_at', { withTimezone: true })
	},
	(t) => [
		primaryKey({ columns: [t.model, t.id] }),
		index('dev_idp_artifacts_grant_idx').on(t.grantId),
		index('dev_idp_artifacts_uid_idx').on(t.uid),
		index('dev_idp_artifacts_expires_idx').on(t.expiresAt)
	]
);
