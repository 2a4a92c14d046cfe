import { listActivity } from '#lib/server/activity';
import { operation } from '#lib/server/route';

/** GET /api/v1/audit — the audit trail of the caller's tenant (the tenant comes from the caller, never from input), with names. */
export const GET = operation('listAuditEvents', ({ app, tenantId, query: { from, to, ...query } }) =>
	listActivity(app.database.db, { ...query, tenantId, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined })
);
