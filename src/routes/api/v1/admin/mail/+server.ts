import { listSinkMessages } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/mail — the local mail sink's messages, newest first. */
export const GET = operation('listMail', ({ app, query }) => listSinkMessages(app.database.db, { cursor: query.cursor, limit: query.limit ?? 50 }));
