import type { Component } from 'svelte';
import Activity from '@lucide/svelte/icons/activity';
import Bell from '@lucide/svelte/icons/bell';
import Building from '@lucide/svelte/icons/building';
import Cpu from '@lucide/svelte/icons/cpu';
import FileCheck from '@lucide/svelte/icons/file-check';
import FileSpreadsheet from '@lucide/svelte/icons/file-spreadsheet';
import Inbox from '@lucide/svelte/icons/inbox';
import Layers from '@lucide/svelte/icons/layers';
import LayoutDashboard from '@lucide/svelte/icons/layout-dashboard';
import Mail from '@lucide/svelte/icons/mail';
import Receipt from '@lucide/svelte/icons/receipt';
import ScrollText from '@lucide/svelte/icons/scroll-text';
import Send from '@lucide/svelte/icons/send';
import Server from '@lucide/svelte/icons/server';
import Settings from '@lucide/svelte/icons/settings';
import SlidersHorizontal from '@lucide/svelte/icons/sliders-horizontal';
import Ticket from '@lucide/svelte/icons/ticket';
import UserCog from '@lucide/svelte/icons/user-cog';
import Users from '@lucide/svelte/icons/users';
import { m } from '#lib/paraglide/messages';

/**
 * The dashboard's navigation as data: groups by task, each entry shown when
 * the caller's actions (`GET /api/v1/me`) hold its action. A new page is one
 * entry here (its group, path, label, icon and action); the sidebar, the
 * breadcrumbs and the "who may see this" check all read this list.
 */
export type NavItem = { href: string; label: () => string; icon: Component; action: string };
export type NavGroup = { id: string; label: () => string; items: NavItem[] };

export const NAV: NavGroup[] = [
	{
		id: 'work',
		label: () => m.nav_group_work(),
		items: [
			{ href: '/overview', label: () => m.nav_overview(), icon: LayoutDashboard, action: 'proofs:read' },
			{ href: '/proofs', label: () => m.nav_proofs(), icon: Inbox, action: 'proofs:read' },
			{ href: '/certificates', label: () => m.nav_certificates(), icon: FileCheck, action: 'certificates:read' }
		]
	},
	{
		id: 'fleet',
		label: () => m.nav_group_fleet(),
		items: [{ href: '/agents', label: () => m.nav_agents(), icon: Cpu, action: 'agents:read' }]
	},
	{
		id: 'account',
		label: () => m.nav_group_account(),
		items: [
			{ href: '/licences', label: () => m.nav_licences(), icon: Ticket, action: 'licences:read' },
			{ href: '/reports', label: () => m.nav_reports(), icon: FileSpreadsheet, action: 'licences:read' },
			{ href: '/activity', label: () => m.nav_activity(), icon: Activity, action: 'audit:read' },
			{ href: '/members', label: () => m.nav_members(), icon: Users, action: 'members:read' },
			{ href: '/notifications', label: () => m.nav_notifications(), icon: Bell, action: 'notifications:read' },
			{ href: '/settings', label: () => m.nav_settings(), icon: Settings, action: 'tenant:settings' }
		]
	},
	{
		id: 'platform',
		label: () => m.nav_group_platform(),
		items: [
			{ href: '/admin/tenants', label: () => m.nav_admin_tenants(), icon: Building, action: 'admin:tenants' },
			{ href: '/admin/users', label: () => m.nav_admin_users(), icon: UserCog, action: 'admin:tenants' },
			{ href: '/admin/queues', label: () => m.nav_admin_queues(), icon: Layers, action: 'admin:queues' },
			{ href: '/admin/system', label: () => m.nav_admin_system(), icon: Server, action: 'admin:queues' },
			{ href: '/admin/policy', label: () => m.nav_admin_policy(), icon: SlidersHorizontal, action: 'admin:queues' },
			{ href: '/admin/deliveries', label: () => m.nav_admin_deliveries(), icon: Send, action: 'admin:notifications' },
			{ href: '/admin/mail', label: () => m.nav_admin_mail(), icon: Mail, action: 'admin:notifications' },
			{ href: '/admin/audit', label: () => m.nav_admin_audit(), icon: ScrollText, action: 'admin:audit' },
			{ href: '/admin/billing', label: () => m.nav_admin_billing(), icon: Receipt, action: 'licences:grant' }
		]
	}
];

/** The groups and entries the caller may see (empty groups left out). */
export function visibleNav(actions: readonly string[]): NavGroup[] {
	return NAV.map((g) => ({ ...g, items: g.items.filter((i) => actions.includes(i.action)) })).filter((g) => g.items.length > 0);
}

/** The entry a path belongs to: itself, or the section it is under (/proofs/prf_… → Proofs). */
export function navEntryOf(pathname: string): { group: NavGroup; item: NavItem } | null {
	let best: { group: NavGroup; item: NavItem } | null = null;
	for (const group of NAV) {
		for (const item of group.items) {
			if (pathname === item.href || pathname.startsWith(item.href + '/')) {
				if (!best || item.href.length > best.item.href.length) best = { group, item };
			}
		}
	}
	return best;
}

/** The action a page of the dashboard needs (its navigation entry's), for the "no access" page. */
export const actionOfPath = (pathname: string): string | null => navEntryOf(pathname)?.item.action ?? null;

