import { createHash } from 'node:crypto';
// built by scripts/build.mjs (vite.verifier.config.ts) before the app, from src/entries/wipecert-verify.ts
import source from '../../../../.generated/wipecert-verify.mjs?raw';

/**
 * The standalone verifier (GET /downloads/wipecert-verify.mjs): its bytes
 * and SHA-256, which /api/v1/public/keys and the verify page publish so a
 * downloaded copy can be checked before it is run.
 */
const bytes = new TextEncoder().encode(source);
const sha256 = createHash('sha256').update(bytes).digest('hex');

export const VERIFIER_PATH = '/downloads/wipecert-verify.mjs';

export function verifierFile(): { bytes: Uint8Array; sha256: string } {
	return { bytes, sha256 };
}
