import { z } from 'zod';
import type { Db } from '#lib/server/db/client';
import { purgeDeliveries } from './deliveries';
import { runDigests } from './digest';

/** The scheduled work of the `notifications.to_send` queue (pg-boss schedules, created when the worker starts). */
export const notificationTask = z.object({ task: z.enum(['digest', 'purge']) });

export const NOTIFICATION_SCHEDULES = [
	// every hour: hourly digests, and the daily ones at NOTIFY_DIGEST_HOUR
	{ task: 'digest', cron: '0 * * * *' },
	{ task: 'purge', cron: '17 3 * * *' }
] as const;

export async function runNotificationTask(db: Db, data: unknown, opts: { digestHour: number; retentionDays: number; now?: Date }) {
	const { task } = notificationTask.parse(data);
	if (task === 'digest') return runDigests(db, { now: opts.now, digestHour: opts.digestHour });
	return { purged: await purgeDeliveries(db, opts.retentionDays) };
}
