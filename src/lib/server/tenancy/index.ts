/**
 * Tenancy: tenants → organisations → memberships, and the people in them.
 * Every function touching tenant data takes the tenant id from the caller
 * (always the actor's, via `requireTenant`), never from request input.
 */
export { createTenant, ensureTenant, getTenant, listTenants, tenantRefs, defaultOrganisation, TENANT_SLUG, type TenantSummary } from './tenants';
export { upsertUserFromClaims, membershipsOf, getUser, type IdentityClaims, type MembershipView } from './users';
export { listMembers, inviteMember, changeMemberRole, removeMember, type Member } from './members';
export { inviteToTenant, createTenantWithFirstAdmin } from './onboarding';
export { ensureDevTenants, DEV_TENANTS } from './seed';
export type { AuditContext } from './audit-context';
export { peopleByIds, membershipLabels, tenantNames } from './labels';
export { MEMBERSHIP_ROLES, type MembershipRole, type Tenant, type User } from './schema';
export {
	getTenantSettings,
	updateTenantSettings,
	type TenantSettingsChange,
	putTenantLogo,
	getTenantLogo,
	tenantIsActive,
	changeTenantStatus,
	listPlatformUsers,
	setPlatformAdmin,
	LOGO_MAX_BYTES,
	type TenantSettingsView,
	type TenantLanguage,
	type TenantStatus,
	type PlatformUserView
} from './settings';
export { anonymiseFormerMembers } from './anonymise';
