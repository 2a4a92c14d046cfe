import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type CaughtMail = { from: string | null; to: string[]; secure: boolean; raw: string; parsed: ParsedMail };

/**
 * A real SMTP server on a loopback port for tests: plain (`tls` unset), or
 * offering STARTTLS with the given certificate. Records every message with
 * its envelope and whether the session was encrypted.
 */
export async function startSmtpReceiver(opts: { tls?: { key: string; cert: string } } = {}) {
	const messages: CaughtMail[] = [];
	const server = new SMTPServer({
		authOptional: true,
		logger: false,
		disabledCommands: opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
		...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (c: Buffer) => chunks.push(c));
			stream.on('end', async () => {
				const raw = Buffer.concat(chunks);
				messages.push({
					from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
					to: session.envelope.rcptTo.map((r) => r.address),
					secure: session.secure,
					raw: raw.toString('utf8'),
					parsed: await simpleParser(raw)
				});
				callback();
			});
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	const port = (server.server.address() as AddressInfo).port;
	return {
		port,
		url: `smtp://127.0.0.1:${port}`,
		messages,
		async waitFor(n: number, timeoutMs = 20_000) {
			const deadline = Date.now() + timeoutMs;
			while (messages.length < n) {
				if (Date.now() > deadline) throw new Error(`SMTP server got ${messages.length} of ${n} messages`);
				await new Promise((r) => setTimeout(r, 25));
			}
		},
		stop: () => new Promise<void>((resolve) => server.close(() => resolve()))
	};
}
