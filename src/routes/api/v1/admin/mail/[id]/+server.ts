import { getSinkMessage } from '#lib/server/notifications';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/mail/{id} — HTML, text, headers and raw source. */
export const GET = operation('getMail', ({ app, params }) => getSinkMessage(app.database.db, Number(params.id)), { notFound: 'No message with this id in the mail sink.' });
