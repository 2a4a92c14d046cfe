/**
 * Who is acting, for the audit rows a mutation writes in its own transaction
 * (the `recordAudit` entry minus what the mutation itself knows).
 */
export type AuditContext = {
	actor: { kind: string; id: string; role: string } | null;
	correlationId: string;
	sourceIp: string | null;
};
