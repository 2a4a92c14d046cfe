/**
 * Key files under DATA_DIR/keys: directory 0700, files 0600, written to a
 * temporary name and renamed (a reader never sees half a key). Private keys are
 * PKCS#8 PEM, encrypted (PBES2, AES-256-CBC, as node writes it) when
 * SIGNER_KEY_PASSPHRASE is set; the HMAC secret is then AES-256-GCM under an
 * scrypt key of the same passphrase. Several processes may share the directory
 * (app and workers on one volume): generation happens under a lock directory,
 * so two first starts never create two different roots.
 */
import { createCipheriv, createDecipheriv, createPrivateKey, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { z } from 'zod';

const sealedSecret = z.object({ v: z.literal(1), salt: z.string(), iv: z.string(), tag: z.string(), data: z.string() });

export class KeyStore {
	constructor(
		readonly dir: string,
		private readonly passphrase?: string
	) {}

	path(name: string): string {
		return join(this.dir, name);
	}

	ensureDir(sub = ''): void {
		const d = join(this.dir, sub);
		mkdirSync(d, { recursive: true, mode: 0o700 });
		chmodSync(d, 0o700);
	}

	exists(name: string): boolean {
		return existsSync(this.path(name));
	}

	/** Atomic write with mode 0600. */
	write(name: string, data: string | Buffer): void {
		const file = this.path(name);
		mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
		const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
		writeFileSync(tmp, data, { mode: 0o600 });
		chmodSync(tmp, 0o600);
		renameSync(tmp, file);
	}

	readText(name: string): string | null {
		return this.exists(name) ? readFileSync(this.path(name), 'utf8') : null;
	}

	writePrivateKey(name: string, key: KeyObject): void {
		const pem = this.passphrase
			? key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: this.passphrase })
			: key.export({ type: 'pkcs8', format: 'pem' });
		this.write(name, pem);
	}

	readPrivateKey(name: string): KeyObject | null {
		const pem = this.readText(name);
		if (pem === null) return null;
		if (pem.includes('ENCRYPTED PRIVATE KEY') && !this.passphrase) throw new Error(`${name} is encrypted: set SIGNER_KEY_PASSPHRASE`);
		return createPrivateKey(this.passphrase && pem.includes('ENCRYPTED') ? { key: pem, passphrase: this.passphrase } : pem);
	}

	writeSecret(name: string, secret: Buffer): void {
		if (!this.passphrase) return this.write(name, secret.toString('base64') + '\n');
		const salt = randomBytes(16);
		const iv = randomBytes(12);
		const c = createCipheriv('aes-256-gcm', scryptSync(this.passphrase, salt, 32), iv);
		const data = Buffer.concat([c.update(secret), c.final()]);
		this.write(name, JSON.stringify({ v: 1, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), data: data.toString('base64') }));
	}

	readSecret(name: string): Buffer | null {
		const text = this.readText(name);
		if (text === null) return null;
		if (!text.trimStart().startsWith('{')) {
			if (this.passphrase) throw new Error(`${name} is stored unencrypted but SIGNER_KEY_PASSPHRASE is set`);
			return Buffer.from(text.trim(), 'base64');
		}
		if (!this.passphrase) throw new Error(`${name} is encrypted: set SIGNER_KEY_PASSPHRASE`);
		const s = sealedSecret.parse(JSON.parse(text));
		const d = createDecipheriv('aes-256-gcm', scryptSync(this.passphrase, Buffer.from(s.salt, 'base64'), 32), Buffer.from(s.iv, 'base64'));
		d.setAuthTag(Buffer.from(s.tag, 'base64'));
		return Buffer.concat([d.update(Buffer.from(s.data, 'base64')), d.final()]);
	}

	/**
	 * Runs `fn` holding `DATA_DIR/keys/.lock` (mkdir is atomic). A lock older
	 * than `staleMs` belongs to a process that died while generating: taken over.
	 */
	async withLock<T>(fn: () => Promise<T> | T, staleMs = 120_000): Promise<T> {
		this.ensureDir();
		const lock = this.path('.lock');
		const deadline = Date.now() + staleMs * 2;
		for (;;) {
			try {
				mkdirSync(lock, { mode: 0o700 });
				break;
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
				try {
					if (Date.now() - statSync(lock).mtimeMs > staleMs) rmSync(lock, { recursive: true, force: true });
				} catch {
					// gone already
				}
				if (Date.now() > deadline) throw new Error(`could not lock ${lock}`);
				await new Promise((r) => setTimeout(r, 25 + Math.random() * 50));
			}
		}
		try {
			return await fn();
		} finally {
			rmSync(lock, { recursive: true, force: true });
		}
	}
}
