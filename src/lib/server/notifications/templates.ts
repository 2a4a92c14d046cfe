import { z } from 'zod';
import { CATALOGUE, isEventType, TEST_EVENT, type EventType } from './catalogue';
import { MAIL_TEXTS, type Lang } from './texts';

/**
 * Mail templates: one per catalogue event (and the certificate digest), in
 * the tenant's language (en, de), rendered when the mail is sent as an HTML
 * and a plain-text body with the same content. Everything from an event is
 * escaped in the HTML.
 */
export type MailContext = { origin: string; lang: Lang; tenantName: string | null };
export type RenderedMail = { subject: string; text: string; html: string };

type Block = { subject: string; heading: string; paragraphs: string[]; facts: [string, string][]; action?: { label: string; url: string } };

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export const digestData = z.object({
	count: z.number().int().positive(),
	from: z.string(),
	to: z.string(),
	certificates: z.array(
		z.looseObject({ certificateId: z.string(), issuedAt: z.string(), assetTag: z.string().optional(), device: z.looseObject({ manufacturer: z.string().optional(), model: z.string().optional() }).optional() })
	)
});
export type DigestData = z.infer<typeof digestData>;

function dateTime(iso: string, ctx: MailContext): string {
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return iso;
	return new Intl.DateTimeFormat(ctx.lang === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(d) + ' UTC';
}

function block(type: EventType | typeof TEST_EVENT | 'certificate.issued.digest', data: Record<string, unknown>, ctx: MailContext): Block {
	const t = MAIL_TEXTS[ctx.lang];
	const tenant = ctx.tenantName ?? 'WipeCert';
	const url = (path: string) => `${ctx.origin}${path}`;
	if (type === 'certificate.issued.digest') {
		const d = digestData.parse(data);
		const shown = d.certificates.map((c) => [c.certificateId, [c.device?.manufacturer, c.device?.model, c.assetTag].filter(Boolean).join(' · ') || dateTime(c.issuedAt, ctx)] as [string, string]);
		return {
			subject: t.digestSubject(d.count, tenant),
			heading: t.digestHeading(d.count),
			paragraphs: [t.digestIntro(dateTime(d.from, ctx), dateTime(d.to, ctx)), ...(d.count > shown.length ? [t.digestMore(d.count - shown.length)] : [])],
			facts: shown,
			action: { label: t.openCertificates, url: url('/certificates') }
		};
	}
	if (type === TEST_EVENT) return { subject: t.testSubject, heading: t.testSubject, paragraphs: [t.testBody], facts: [] };
	switch (type) {
		case 'certificate.issued': {
			const d = CATALOGUE[type].data.parse(data);
			const device = [d.device?.manufacturer, d.device?.model].filter(Boolean).join(' ');
			return {
				subject: t.issuedSubject(d.certificateId),
				heading: t.issuedHeading,
				paragraphs: [t.issuedBody(tenant)],
				facts: [[t.certificate, d.certificateId], [t.proof, d.proofId], ...(device ? [[t.device, device] as [string, string]] : []), ...(d.assetTag ? [[t.assetTag, d.assetTag] as [string, string]] : []), [t.issuedAt, dateTime(d.issuedAt, ctx)]],
				action: { label: t.verify, url: url(`/verify/${d.certificateId}`) }
			};
		}
		case 'certificate.anchored': {
			const d = CATALOGUE[type].data.parse(data);
			return {
				subject: t.anchoredSubject(d.certificateId),
				heading: t.anchoredHeading,
				paragraphs: [t.anchoredBody],
				facts: [[t.certificate, d.certificateId], [t.chain, String(d.chainId)], [t.transaction, d.txHash], [t.block, String(d.blockNumber)], [t.anchoredAt, dateTime(d.anchoredAt, ctx)]],
				action: { label: t.verify, url: url(`/verify/${d.certificateId}`) }
			};
		}
		case 'certificate.revoked': {
			const d = CATALOGUE[type].data.parse(data);
			return {
				subject: t.revokedSubject(d.certificateId),
				heading: t.revokedHeading,
				paragraphs: [t.revokedBody],
				facts: [[t.certificate, d.certificateId], [t.reason, d.reason], [t.revokedAt, dateTime(d.revokedAt, ctx)]],
				action: { label: t.verify, url: url(`/verify/${d.certificateId}`) }
			};
		}
		case 'proof.rejected': {
			const d = CATALOGUE[type].data.parse(data);
			return {
				subject: t.rejectedSubject(d.proofId),
				heading: t.rejectedHeading,
				paragraphs: [t.rejectedBody],
				facts: [[t.proof, d.proofId], [t.code, d.code], ...(d.detail ? [[t.detail, d.detail] as [string, string]] : []), [t.receivedAt, dateTime(d.receivedAt, ctx)]],
				action: { label: t.openProof, url: url(`/proofs/${d.proofId}`) }
			};
		}
		case 'licences.low': {
			const d = CATALOGUE[type].data.parse(data);
			return {
				subject: t.lowSubject(d.balance, tenant),
				heading: t.lowHeading,
				paragraphs: [t.lowBody(d.balance, d.threshold)],
				facts: [[t.balance, String(d.balance)], [t.threshold, String(d.threshold)]],
				action: { label: t.openLicences, url: url('/licences') }
			};
		}
		case 'licences.exhausted': {
			CATALOGUE[type].data.parse(data);
			return { subject: t.exhaustedSubject(tenant), heading: t.exhaustedHeading, paragraphs: [t.exhaustedBody], facts: [[t.balance, '0']], action: { label: t.openLicences, url: url('/licences') } };
		}
		case 'member.invited': {
			const d = CATALOGUE[type].data.parse(data);
			return {
				subject: t.invitedSubject(tenant),
				heading: t.invitedHeading(tenant),
				paragraphs: [t.invitedBody(tenant, t.roles[d.role]), t.invitedHow(d.email)],
				facts: [[t.role, t.roles[d.role]]],
				action: { label: t.signIn, url: url('/auth/login') }
			};
		}
		case 'report.ready': {
			const d = CATALOGUE[type].data.parse(data);
			return { subject: t.reportSubject(d.month), heading: t.reportHeading(d.month), paragraphs: [t.reportBody], facts: [[t.month, d.month]], action: { label: t.openReports, url: url('/reports') } };
		}
		case 'system.chain_failed': {
			const d = CATALOGUE[type].data.parse(data);
			return {
				subject: t.chainSubject,
				heading: t.chainSubject,
				paragraphs: [t.chainBody],
				facts: [...(d.chainId !== null ? [[t.chain, String(d.chainId)] as [string, string]] : []), [t.error, d.error], ...(d.pendingCertificates !== undefined ? [[t.pending, String(d.pendingCertificates)] as [string, string]] : [])],
				action: { label: t.openConsole, url: url('/admin/system') }
			};
		}
		case 'system.audit_chain_broken': {
			const d = CATALOGUE[type].data.parse(data);
			return { subject: t.auditSubject, heading: t.auditSubject, paragraphs: [t.auditBody], facts: [[t.auditChain, d.chain], [t.auditRow, String(d.seq)], [t.detail, d.detail]], action: { label: t.openConsole, url: url('/admin/audit') } };
		}
	}
}

/** Renders the mail of a delivery: `template` is `certificate.issued.digest` for a digest, else the event type. */
export function renderMail(template: string, data: Record<string, unknown>, ctx: MailContext): RenderedMail {
	if (!(isEventType(template) || template === TEST_EVENT || template === 'certificate.issued.digest')) throw new Error(`no mail template ${template}`);
	const t = MAIL_TEXTS[ctx.lang];
	const b = block(template, data, ctx);
	const footer = t.footer(ctx.tenantName ?? 'WipeCert', `${ctx.origin}/notifications`);
	const text = [
		b.heading,
		'',
		...b.paragraphs.flatMap((p) => [p, '']),
		...b.facts.map(([k, v]) => `${k}: ${v}`),
		...(b.action ? ['', `${b.action.label}: ${b.action.url}`] : []),
		'',
		'-- ',
		footer
	].join('\n');
	const e = escapeHtml;
	const html = `<!doctype html>
<html lang="${ctx.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${e(b.subject)}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2433">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;margin:0 auto;background:#ffffff;border-radius:8px;border:1px solid #d9dde5">
<tr><td style="padding:24px 28px">
<p style="margin:0 0 8px;font-size:13px;color:#5b6475">${e(ctx.tenantName ?? 'WipeCert')}</p>
<h1 style="margin:0 0 16px;font-size:20px">${e(b.heading)}</h1>
${b.paragraphs.map((p) => `<p style="margin:0 0 12px;line-height:1.5">${e(p)}</p>`).join('\n')}
${b.facts.length ? `<table role="presentation" cellpadding="0" cellspacing="0" style="margin:8px 0 16px;border-collapse:collapse">${b.facts.map(([k, v]) => `<tr><th scope="row" style="text-align:left;padding:4px 16px 4px 0;font-weight:600;vertical-align:top">${e(k)}</th><td style="padding:4px 0;font-family:ui-monospace,monospace;word-break:break-all">${e(v)}</td></tr>`).join('')}</table>` : ''}
${b.action ? `<p style="margin:20px 0"><a href="${e(b.action.url)}" style="display:inline-block;background:#1f5fbf;color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:6px">${e(b.action.label)}</a></p>` : ''}
</td></tr>
<tr><td style="padding:16px 28px;border-top:1px solid #d9dde5;font-size:12px;color:#5b6475">${e(footer)}</td></tr>
</table>
</body></html>
`;
	return { subject: b.subject, text, html };
}
