import { operation } from '#lib/server/route';
import { listPlatformUsers } from '#lib/server/tenancy';

/** GET /api/v1/admin/users — everyone who signed in, with their roles. */
export const GET = operation('listPlatformUsers', ({ app, query }) => listPlatformUsers(app.database.db, query));
