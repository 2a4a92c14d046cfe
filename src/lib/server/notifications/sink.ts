import type { AddressInfo } from 'node:net';
import { desc, eq, lt, sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { z } from 'zod';
import type { Db, DbOrTx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import type { Logger } from '#lib/server/telemetry/logger';
import { decodeIntegerCursor, encodeCursor } from '#lib/server/http/cursor';
import { mailSinkMessages } from './schema';

/** Largest message the sink accepts (SMTP SIZE, RFC 1870); notifications are a few KiB. */
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export type MailSink = { url: string; stop(): Promise<void> };

/**
 * The embedded mail sink (SMTP_URL unset): a real SMTP server
 * (`smtp-server`) on a loopback port inside the notifications worker. Mail
 * goes through nodemailer and an SMTP session to it like to any relay; each
 * message is stored in `mail_sink_messages` (the newest `keep`) for the
 * console's Mail sink page, which any process can read. A message that
 * cannot be stored is refused with a temporary error (451), so the sender
 * retries it.
 */
export async function startMailSink(deps: { db: Db; log: Logger; keep: number }): Promise<MailSink> {
	const server = new SMTPServer({
		name: 'wipecert-mail-sink',
		banner: 'WipeCert local mail sink: messages are kept for the console, never delivered',
		authOptional: true,
		disabledCommands: ['AUTH', 'STARTTLS'],
		size: MAX_MESSAGE_BYTES,
		logger: false,
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (c: Buffer) => chunks.push(c));
			stream.on('end', () => {
				if (stream.sizeExceeded) return callback(Object.assign(new Error('Message exceeds the fixed maximum message size'), { responseCode: 552 }));
				const raw = Buffer.concat(chunks);
				storeMessage(deps.db, deps.keep, raw, {
					from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
					to: session.envelope.rcptTo.map((r) => r.address),
					secure: session.secure
				}).then(
					() => callback(),
					(error: unknown) => {
						deps.log.error({ err: error }, 'mail sink could not store a message');
						callback(Object.assign(new Error('The sink cannot store the message now; try again later'), { responseCode: 451 }));
					}
				);
			});
		}
	});
	server.on('error', (error) => deps.log.error({ err: error }, 'mail sink error'));
	await new Promise<void>((resolve, reject) => {
		server.server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.server.address() as AddressInfo;
	deps.log.info({ port }, 'mail sink listening (SMTP_URL unset: mail is kept for the console, not delivered)');
	return { url: `smtp://127.0.0.1:${port}`, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Parses and stores one message, and drops all but the newest `keep`. */
export async function storeMessage(db: Db, keep: number, raw: Buffer, envelope: { from: string | null; to: string[]; secure: boolean }): Promise<void> {
	const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true });
	await db.transaction(async (tx) => {
		await tx.insert(mailSinkMessages).values({
			envelopeFrom: envelope.from,
			envelopeTo: envelope.to,
			subject: parsed.subject ?? null,
			messageId: parsed.messageId ?? null,
			html: typeof parsed.html === 'string' ? parsed.html : null,
			text: parsed.text ?? null,
			headers: parsed.headerLines.map((h) => ({ name: h.key, line: h.line })),
			raw,
			secure: envelope.secure
		});
		// one trim at a time, each seeing the others' rows (READ COMMITTED: a new snapshot per statement)
		await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('wipecert:mail-sink', 0))`);
		await tx.execute(sql`delete from ${mailSinkMessages} where id <= (select id from ${mailSinkMessages} order by id desc offset ${keep} limit 1)`);
	});
}

export type SinkMessageSummary = { id: number; receivedAt: string; from: string | null; to: string[]; subject: string | null; size: number };
export type SinkMessage = SinkMessageSummary & { messageId: string | null; html: string | null; text: string | null; headers: { name: string; value: string }[]; raw: string; secure: boolean };

const summaryColumns = {
	id: mailSinkMessages.id,
	receivedAt: mailSinkMessages.receivedAt,
	from: mailSinkMessages.envelopeFrom,
	to: mailSinkMessages.envelopeTo,
	subject: mailSinkMessages.subject,
	size: sql<number>`octet_length(${mailSinkMessages.raw})::int`
};

/** Messages of the sink, newest first (console). */
export async function listSinkMessages(db: DbOrTx, page: { cursor?: string; limit: number }): Promise<{ items: SinkMessageSummary[]; nextCursor: string | null }> {
	const before = page.cursor ? decodeIntegerCursor(page.cursor) : null;
	const rows = await db
		.select(summaryColumns)
		.from(mailSinkMessages)
		.where(before !== null ? lt(mailSinkMessages.id, before) : undefined)
		.orderBy(desc(mailSinkMessages.id))
		.limit(page.limit + 1);
	const items = rows.slice(0, page.limit).map((r) => ({ ...r, receivedAt: r.receivedAt.toISOString() }));
	return { items, nextCursor: rows.length > page.limit ? encodeCursor(String(rows[page.limit - 1].id)) : null };
}

const storedHeaders = z.array(z.object({ name: z.string(), line: z.string() }));
const headerLine = (line: string) => line.slice(line.indexOf(':') + 1).trim().replace(/\r?\n[ \t]+/g, ' ');

/** One message with its HTML, text, headers and raw source; unknown id → 404. */
export async function getSinkMessage(db: DbOrTx, id: number): Promise<SinkMessage> {
	const [row] = await db.select().from(mailSinkMessages).where(eq(mailSinkMessages.id, id));
	if (!row) throw new ApiError('not_found', 'No message with this id in the mail sink.');
	const headers = storedHeaders.safeParse(row.headers);
	return {
		id: row.id,
		receivedAt: row.receivedAt.toISOString(),
		from: row.envelopeFrom,
		to: row.envelopeTo,
		subject: row.subject,
		size: row.raw.length,
		messageId: row.messageId,
		html: row.html,
		text: row.text,
		headers: (headers.success ? headers.data : []).map((h) => ({ name: h.name, value: headerLine(h.line) })),
		raw: row.raw.toString('utf8'),
		secure: row.secure
	};
}
