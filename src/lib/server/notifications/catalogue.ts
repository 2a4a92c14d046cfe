import { z } from 'zod';

/**
 * The one catalogue of notification events. Each entry says whose event it is
 * (a tenant's, or the platform's `system.*`), what its data looks like (the
 * `data` of the webhook payload and the input of the mail templates), the key
 * that identifies one occurrence (so an emitter that runs twice notifies once),
 * the dashboard links the payload carries, and — for the invitation — who the
 * mail goes to regardless of the settings. The OpenAPI file documents the same
 * payloads under `webhooks:`.
 */
const iso = z.iso.datetime({ offset: true });
const publicCertificateId = z.string().min(1).max(64);
const device = z
	.object({
		type: z.string().max(100).optional(),
		manufacturer: z.string().max(200).optional(),
		model: z.string().max(200).optional(),
		serial: z.string().max(200).optional(),
		capacityBytes: z.number().int().nonnegative().optional()
	})
	.strict();

type Audience = 'tenant' | 'platform';
type Entry<S extends z.ZodType, A extends Audience = Audience> = {
	audience: A;
	data: S;
	key: (data: z.output<S>) => string;
	/** paths on ORIGIN added to the payload as absolute URLs when it is sent */
	links: (data: z.output<S>) => Record<string, string>;
	/** fixed mail recipients (the invitation goes to the invited address, whatever the settings say) */
	recipients?: (data: z.output<S>) => string[];
};
const entry = <S extends z.ZodType, A extends Audience>(e: Entry<S, A>) => e;

export const CATALOGUE = {
	'certificate.issued': entry({
		audience: 'tenant',
		data: z
			.object({
				certificateId: publicCertificateId,
				proofId: z.string().min(1).max(64),
				issuedAt: iso,
				device: device.optional(),
				assetTag: z.string().max(200).optional(),
				result: z.string().max(100).optional()
			})
			.strict(),
		key: (d) => `certificate:${d.certificateId}:issued`,
		links: (d) => ({ verifyUrl: `/verify/${d.certificateId}`, certificateUrl: `/certificates/${d.certificateId}` })
	}),
	'certificate.anchored': entry({
		audience: 'tenant',
		data: z
			.object({
				certificateId: publicCertificateId,
				chainId: z.number().int().positive(),
				txHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
				blockNumber: z.number().int().nonnegative(),
				anchoredAt: iso
			})
			.strict(),
		key: (d) => `certificate:${d.certificateId}:anchored`,
		links: (d) => ({ verifyUrl: `/verify/${d.certificateId}`, certificateUrl: `/certificates/${d.certificateId}` })
	}),
	'certificate.revoked': entry({
		audience: 'tenant',
		data: z.object({ certificateId: publicCertificateId, revokedAt: iso, reason: z.string().min(1).max(1000) }).strict(),
		key: (d) => `certificate:${d.certificateId}:revoked`,
		links: (d) => ({ verifyUrl: `/verify/${d.certificateId}`, certificateUrl: `/certificates/${d.certificateId}` })
	}),
	'proof.rejected': entry({
		audience: 'tenant',
		data: z
			.object({
				proofId: z.string().min(1).max(64),
				code: z.string().regex(/^[a-z_]{1,64}$/),
				detail: z.string().max(1000).nullable(),
				receivedAt: iso
			})
			.strict(),
		key: (d) => `proof:${d.proofId}:rejected:${d.code}`,
		links: (d) => ({ proofUrl: `/proofs/${d.proofId}` })
	}),
	'licences.low': entry({
		audience: 'tenant',
		data: z.object({ balance: z.number().int().nonnegative(), threshold: z.number().int().positive(), ledgerEntryId: z.number().int().positive() }).strict(),
		key: (d) => `licences:${d.ledgerEntryId}:low`,
		links: () => ({ licencesUrl: '/licences' })
	}),
	'licences.exhausted': entry({
		audience: 'tenant',
		data: z.object({ balance: z.literal(0), ledgerEntryId: z.number().int().positive() }).strict(),
		key: (d) => `licences:${d.ledgerEntryId}:exhausted`,
		links: () => ({ licencesUrl: '/licences' })
	}),
	'member.invited': entry({
		audience: 'tenant',
		data: z
			.object({
				membershipId: z.uuid(),
				email: z.email(),
				role: z.enum(['tenant_admin', 'operator', 'viewer'])
			})
			.strict(),
		key: (d) => `membership:${d.membershipId}:invited`,
		links: () => ({ signInUrl: '/auth/login' }),
		recipients: (d) => [d.email]
	}),
	'report.ready': entry({
		audience: 'tenant',
		data: z.object({ reportId: z.string().min(1).max(64), month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/) }).strict(),
		key: (d) => `report:${d.reportId}:ready`,
		links: () => ({ reportsUrl: '/reports' })
	}),
	'system.chain_failed': entry({
		audience: 'platform',
		data: z
			.object({
				/** the emitter's id of this failure (a batch and its attempt), so it notifies once */
				failureId: z.string().min(1).max(200),
				chainId: z.number().int().positive().nullable(),
				error: z.string().min(1).max(2000),
				pendingCertificates: z.number().int().nonnegative().optional()
			})
			.strict(),
		key: (d) => `chain-failure:${d.failureId}`,
		links: () => ({ consoleUrl: '/admin/system' })
	}),
	'system.audit_chain_broken': entry({
		audience: 'platform',
		data: z.object({ chain: z.string().min(1).max(200), seq: z.number().int().nonnegative(), detail: z.string().min(1).max(2000) }).strict(),
		key: (d) => `audit-chain:${d.chain}:${d.seq}`,
		links: () => ({ consoleUrl: '/admin/audit' })
	})
} as const;

export type EventType = keyof typeof CATALOGUE;
export const EVENT_TYPES = Object.keys(CATALOGUE) as EventType[];
export const TENANT_EVENT_TYPES = EVENT_TYPES.filter((t) => CATALOGUE[t].audience === 'tenant');
export const SYSTEM_EVENT_TYPES = EVENT_TYPES.filter((t) => CATALOGUE[t].audience === 'platform');
export const isEventType = (v: string): v is EventType => v in CATALOGUE;

/** The message a "send test event" button sends: not a catalogue event, never subscribed to. */
export const TEST_EVENT = 'webhook.test';

export type EventData<K extends EventType> = z.input<(typeof CATALOGUE)[K]['data']>;

/** What an emitter hands to `enqueueNotification`. */
export type NotificationEvent = {
	[K in EventType]: (typeof CATALOGUE)[K]['audience'] extends 'platform'
		? { type: K; tenantId?: null; data: EventData<K>; occurredAt?: Date }
		: { type: K; tenantId: string; data: EventData<K>; occurredAt?: Date };
}[EventType];

/** The stored payload of a delivery (kept for retries and resends). */
export const storedPayload = z.object({ occurredAt: iso, data: z.record(z.string(), z.unknown()) });
export type StoredPayload = z.infer<typeof storedPayload>;

/** An event checked against its catalogue entry, with its key. */
export function checkEvent(e: NotificationEvent): { type: EventType; tenantId: string | null; key: string; payload: StoredPayload; recipients: string[] | null } {
	const def = CATALOGUE[e.type] as Entry<z.ZodType<Record<string, unknown>>>;
	const data = def.data.parse(e.data);
	const tenantId = e.tenantId ?? null;
	if ((def.audience === 'tenant') !== (tenantId !== null)) throw new Error(`notification ${e.type}: ${def.audience} event with tenantId ${tenantId}`);
	return {
		type: e.type,
		tenantId,
		key: def.key(data),
		payload: { occurredAt: (e.occurredAt ?? new Date()).toISOString(), data },
		recipients: def.recipients ? def.recipients(data) : null
	};
}

/** The payload's data with the catalogue's links made absolute on `origin` (what a webhook receives). */
export function publicData(type: string, data: Record<string, unknown>, origin: string): Record<string, unknown> {
	if (!isEventType(type)) return data;
	const def = CATALOGUE[type] as Entry<z.ZodType<Record<string, unknown>>>;
	const parsed = def.data.safeParse(data);
	if (!parsed.success) return data;
	const links = Object.fromEntries(Object.entries(def.links(parsed.data)).map(([k, path]) => [k, `${origin}${path}`]));
	return { ...data, ...links };
}
