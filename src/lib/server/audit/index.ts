/**
 * The audit trail: hash-chained, append-only rows written in the same
 * transaction as every privileged mutation. See schema.ts for
 * the chain layout (one chain per tenant plus a platform chain) and why.
 */
export { recordAudit, type AuditEntry } from './record';
export { verifyAuditChain, auditChainHeadList, type AuditVerification, type AuditVerificationProblem } from './verify';
export { listAudit, listTenantAudit, type AuditFilter, type AuditPage, type AuditRecord } from './list';
export { canonicalRow, rowHash, GENESIS_HASH, PLATFORM_CHAIN } from './chain';
export { exportAudit, refuseChainFilters, type AuditExportQuery } from './export';
export type { AuditEventRow, AuditChainHead } from './schema';
