import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { z } from 'zod';

const jwksFile = z.object({
	keys: z
		.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') }))
		.min(1)
});

export type DevRealmJwks = { keys: { kty: string; kid: string; alg: string; use: 'sig'; [k: string]: unknown }[] };

/**
 * The dev realm's signing key (RS256, as Keycloak's default), generated once
 * into DATA_DIR/idp/jwks.json (0600) so tokens survive a restart.
 */
export async function loadOrCreateRealmKeys(dataDir: string): Promise<DevRealmJwks> {
	const dir = join(dataDir, 'idp');
	const file = join(dir, 'jwks.json');
	if (existsSync(file)) return jwksFile.parse(JSON.parse(readFileSync(file, 'utf8')));
	const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
	const jwk = await exportJWK(privateKey);
	const kid = `dev-${Date.now().toString(36)}`;
	const jwks = { keys: [{ ...jwk, kty: jwk.kty ?? 'RSA', kid, alg: 'RS256', use: 'sig' as const }] };
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	writeFileSync(file, JSON.stringify(jwks), { mode: 0o600, flag: 'wx' });
	return jwks;
}
