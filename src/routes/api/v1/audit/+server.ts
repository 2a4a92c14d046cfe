import { listTenantAudit } from '#lib/server/audit';
import { operation } from '#lib/server/route';

/** GET /api/v1/audit — the audit trail of the caller's tenant (the tenant comes from the caller, never from input). */
export const GET = operation('listAuditEvents', ({ app, tenantId, query: { from, to, ...query } }) =>
	listTenantAudit(app.database.db, tenantId, { ...query, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined })
);
