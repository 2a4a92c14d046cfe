import { and, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { z } from 'zod';
import type { Db } from '#lib/server/db/client';
import { devIdpArtifacts } from './schema';

/** Models that belong to a grant and go when it is revoked (as in oidc-provider's memory adapter). */
const GRANTABLE = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'ClientCredentials'];

const payloadSchema = z.looseObject({}).transform((v) => v as AdapterPayload);

/**
 * oidc-provider storage adapter on PostgreSQL (the interface of
 * oidc-provider's own memory adapter: upsert/find/findByUid/findByUserCode/
 * consume/destroy/revokeByGrantId). Expired rows are invisible and purged.
 */
export function postgresAdapterFactory(db: Db) {
	return class PostgresAdapter implements Adapter {
		constructor(private readonly model: string) {}

		private live() {
			return and(eq(devIdpArtifacts.model, this.model), or(isNull(devIdpArtifacts.expiresAt), gt(devIdpArtifacts.expiresAt, sql`now()`)));
		}

		async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
			const row = {
				model: this.model,
				id,
				payload,
				grantId: payload.grantId ?? null,
				userCode: payload.userCode ?? null,
				uid: payload.uid ?? null,
				expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
				consumedAt: null
			};
			await db
				.insert(devIdpArtifacts)
				.values(row)
				.onConflictDoUpdate({ target: [devIdpArtifacts.model, devIdpArtifacts.id], set: row });
		}

		private async one(where: ReturnType<typeof eq>): Promise<AdapterPayload | undefined> {
			const [row] = await db.select().from(devIdpArtifacts).where(and(this.live(), where)).limit(1);
			if (!row) return undefined;
			const payload = payloadSchema.parse(row.payload);
			return row.consumedAt ? { ...payload, consumed: Math.floor(row.consumedAt.getTime() / 1000) } : payload;
		}

		find(id: string) {
			return this.one(eq(devIdpArtifacts.id, id));
		}

		findByUid(uid: string) {
			return this.one(eq(devIdpArtifacts.uid, uid));
		}

		findByUserCode(userCode: string) {
			return this.one(eq(devIdpArtifacts.userCode, userCode));
		}

		async consume(id: string): Promise<void> {
			await db
				.update(devIdpArtifacts)
				.set({ consumedAt: sql`now()` })
				.where(and(eq(devIdpArtifacts.model, this.model), eq(devIdpArtifacts.id, id)));
		}

		async destroy(id: string): Promise<void> {
			await db.delete(devIdpArtifacts).where(and(eq(devIdpArtifacts.model, this.model), eq(devIdpArtifacts.id, id)));
		}

		async revokeByGrantId(grantId: string): Promise<void> {
			await db.delete(devIdpArtifacts).where(and(eq(devIdpArtifacts.grantId, grantId), inArray(devIdpArtifacts.model, GRANTABLE)));
		}
	};
}

export async function purgeExpiredArtifacts(db: Db): Promise<number> {
	const rows = await db.delete(devIdpArtifacts).where(lt(devIdpArtifacts.expiresAt, sql`now()`)).returning({ id: devIdpArtifacts.id });
	return rows.length;
}
