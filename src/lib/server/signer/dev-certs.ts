/**
 * Development mTLS material for the remote signer ("a script makes
 * dev certificates"): one CA, a server certificate for localhost/127.0.0.1 and
 * a client certificate, all ECDSA P-256. `node build/signer.js dev-certs DIR`
 * writes them; tests use them in memory. Production uses its own PKI.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate, KeyUsage, OID, spkiDer } from './pki';

export type TlsMaterial = { caCert: string; caKey: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };

export function createDevTlsMaterial(opts: { hosts?: string[]; days?: number } = {}): TlsMaterial {
	const notAfter = new Date(Date.now() + (opts.days ?? 365) * 86400_000);
	const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const caCert = issueCertificate({ subject: { CN: 'WipeCert signer dev CA', O: 'WipeCert' }, spki: spkiDer(createPublicKey(ca)), issuerKey: ca, notAfter, ca: { pathLen: 0 }, keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign] }).pem;
	const leaf = (cn: string, eku: string, altNames?: { dns: string[]; ip: string[] }) => {
		const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
		const cert = issueCertificate({ subject: { CN: cn, O: 'WipeCert' }, spki: spkiDer(createPublicKey(key)), issuerPem: caCert, issuerKey: ca, notAfter, keyUsage: [KeyUsage.digitalSignature], extKeyUsage: [eku], altNames }).pem;
		return { cert, key: key.export({ type: 'pkcs8', format: 'pem' }) as string };
	};
	const hosts = opts.hosts ?? ['localhost', '127.0.0.1'];
	const server = leaf('wipecert-signer', OID.serverAuth, { dns: hosts.filter((h) => !/^\d+\.\d+\.\d+\.\d+$/.test(h)), ip: hosts.filter((h) => /^\d+\.\d+\.\d+\.\d+$/.test(h)) });
	const client = leaf('wipecert-app', OID.clientAuth);
	return { caCert, caKey: ca.export({ type: 'pkcs8', format: 'pem' }) as string, serverCert: server.cert, serverKey: server.key, clientCert: client.cert, clientKey: client.key };
}

/** Writes the material as PEM files (keys 0600) into `dir`. */
export function writeDevTlsMaterial(dir: string, m: TlsMaterial): Record<string, string> {
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	const files: Record<string, [string, number]> = {
		'ca.crt': [m.caCert, 0o644],
		'ca.key': [m.caKey, 0o600],
		'server.crt': [m.serverCert, 0o644],
		'server.key': [m.serverKey, 0o600],
		'client.crt': [m.clientCert, 0o644],
		'client.key': [m.clientKey, 0o600]
	};
	const out: Record<string, string> = {};
	for (const [name, [pem, mode]] of Object.entries(files)) writeFileSync((out[name] = join(dir, name)), pem, { mode });
	return out;
}
