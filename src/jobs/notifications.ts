import { secretBox } from '#lib/server/auth';
import { NOTIFICATION_SCHEDULES, notifyConfig, runNotificationTask, startNotificationRuntime } from '#lib/server/notifications';
import { getTenantSettings } from '#lib/server/tenancy';
import type { JobModule } from '#lib/server/workers/runner';

/**
 * The notifications worker: sends the outbox's deliveries (mail, webhooks)
 * as they commit, retries them, dead-letters the hopeless; its queue carries
 * the hourly digest and the daily purge. With WORKER_ONCE it sends what is
 * due once and stops.
 */
export const notifications: JobModule = {
	kind: 'notifications',
	async bind(app) {
		const { config, database, queue, log } = app;
		const runtime = await startNotificationRuntime({
			db: database.db,
			listen: (channel, onNotify) => database.sql.listen(channel, onNotify),
			log: log.child({ worker: 'notifications', queue: 'notifications.to_send' }),
			config: notifyConfig(config),
			secrets: secretBox(config.tokenEncryptionKeys),
			tenantProfile: async (tenantId) => {
				const t = await getTenantSettings(database.db, tenantId);
				return { name: t.name, language: t.language };
			}
		});
		// pg-boss upserts a schedule by queue and key: every worker start keeps one of each
		for (const s of NOTIFICATION_SCHEDULES) await queue.boss.schedule('notifications.to_send', s.cron, { task: s.task }, { key: s.task, tz: 'UTC', missed: 'once' });
		if (config.WORKER_ONCE) {
			await runtime.dispatcher.drainOnce();
			await runtime.stop();
		} else {
			await runtime.dispatcher.start();
			// stopped before the queue and the pool: the attempts in flight finish and are recorded
			app.onStop(() => runtime.stop());
		}
		return {
			'notifications.to_send': (job) => runNotificationTask(database.db, job.data, { digestHour: config.NOTIFY_DIGEST_HOUR, retentionDays: config.NOTIFY_RETENTION_DAYS })
		};
	}
};
