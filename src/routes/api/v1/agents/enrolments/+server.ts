import { createEnrolmentToken } from '#lib/server/agents';
import { operation } from '#lib/server/route';

/** POST /api/v1/agents/enrolments — a single-use enrolment token, shown once (audited). */
export const POST = operation(
	'createEnrolmentToken',
	async ({ app, tx, tenantId, body, audit, actor }) => {
		const t = await createEnrolmentToken(tx, tenantId, body, { ...audit, createdBy: { kind: actor.kind, id: actor.id } }, app.config.ENROLMENT_TOKEN_TTL);
		return {
			status: 201,
			body: {
				id: t.id,
				token: t.token,
				name: t.name,
				expiresAt: t.expiresAt.toISOString(),
				command: `npm run agent-sim -- --url ${app.config.origin} --enrol-token ${t.token} --count 10`
			}
		};
	},
	{ headers: { 'cache-control': 'no-store' } }
);
