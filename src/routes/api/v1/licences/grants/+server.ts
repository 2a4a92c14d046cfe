import { grantLicences } from '#lib/server/licences';
import { operation } from '#lib/server/route';

/** POST /api/v1/licences/grants — grant, top-up or correction with a reason (platform admins; audited). */
export const POST = operation('grantLicences', async ({ app, tx, body, audit }) => ({ status: 201, body: await grantLicences(tx, app.queue, body, audit) }));
