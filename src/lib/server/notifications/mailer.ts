import { existsSync, readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';

export type SmtpTlsMode = 'none' | 'starttls' | 'tls';

export type MailerOptions = {
	/** smtp:// or smtps:// with optional user:password */
	url: string;
	/** unset: `tls` for smtps://, `starttls` for smtp:// */
	tls?: SmtpTlsMode;
	/** PEM (or a file with it) the relay's certificate must chain to */
	ca?: string;
	connectTimeoutMs: number;
	totalTimeoutMs: number;
	maxConnections: number;
};

export type OutgoingMail = {
	from: { name: string; address: string };
	to: string;
	subject: string;
	text: string;
	html: string;
	/** stable per delivery, so a message sent twice after a crash is one message to mail clients */
	messageId: string;
	headers: Record<string, string>;
};

export type MailResult = { ok: true; response: string } | { ok: false; error: string; responseCode: number | null; permanent: boolean };

export type Mailer = { send(mail: OutgoingMail): Promise<MailResult>; close(): void };

/** The TLS mode of an SMTP_URL (SMTP_TLS, else from the scheme). */
export function smtpTlsMode(url: string, tls?: SmtpTlsMode): SmtpTlsMode {
	return tls ?? (new URL(url).protocol === 'smtps:' ? 'tls' : 'starttls');
}

const pem = (value: string) => (value.includes('-----BEGIN') ? value : existsSync(value) ? readFileSync(value, 'utf8') : value);

/**
 * Mail through an SMTP relay with nodemailer (pooled connections). TLS modes:
 * `tls` opens TLS at once (RFC 8314 implicit TLS), `starttls` requires the
 * upgrade (RFC 3207) and fails when the server does not offer it, `none`
 * never upgrades. A 5xx answer to the envelope or the message is permanent
 * (RFC 5321 §4.2.1): no retry.
 */
export function createMailer(o: MailerOptions): Mailer {
	const u = new URL(o.url);
	const mode = smtpTlsMode(o.url, o.tls);
	const transport = nodemailer.createTransport({
		pool: true,
		maxConnections: o.maxConnections,
		host: u.hostname.replace(/^\[|\]$/g, ''),
		port: Number(u.port || (mode === 'tls' ? 465 : 587)),
		secure: mode === 'tls',
		requireTLS: mode === 'starttls',
		ignoreTLS: mode === 'none',
		auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
		tls: { minVersion: 'TLSv1.2', ...(o.ca ? { ca: pem(o.ca) } : {}) },
		connectionTimeout: o.connectTimeoutMs,
		greetingTimeout: o.connectTimeoutMs,
		socketTimeout: o.totalTimeoutMs
	});
	return {
		close: () => transport.close(),
		async send(mail) {
			let timer: NodeJS.Timeout | undefined;
			try {
				const info = await Promise.race([
					transport.sendMail({
						from: mail.from,
						to: mail.to,
						subject: mail.subject,
						text: mail.text,
						html: mail.html,
						messageId: mail.messageId,
						headers: mail.headers
					}),
					new Promise<never>((_, reject) => {
						timer = setTimeout(() => reject(new Error(`the SMTP session took longer than ${o.totalTimeoutMs} ms`)), o.totalTimeoutMs);
					})
				]);
				if (info.rejected.length) return { ok: false, error: `rejected: ${String(info.response ?? '')}`.slice(0, 1000), responseCode: null, permanent: true };
				return { ok: true, response: String(info.response ?? '') };
			} catch (error) {
				const e = error as Error & { responseCode?: number; code?: string };
				const code = typeof e.responseCode === 'number' ? e.responseCode : null;
				// Only a refused envelope or message is final; a 5xx to STARTTLS or AUTH is a relay set-up to fix, and worth retrying.
				const permanent = code !== null && code >= 500 && code < 600 && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE');
				return { ok: false, error: `${e.code ? `${e.code}: ` : ''}${e.message}`.slice(0, 1000), responseCode: code, permanent };
			} finally {
				clearTimeout(timer);
			}
		}
	};
}
