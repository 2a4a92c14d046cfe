/**
 * Notifications: mail and Standard Webhooks through a transactional outbox.
 * Emitters call `enqueueNotification(tx, event)` in the transaction of their
 * change (builders in events.ts); the notifications worker (runtime.ts,
 * dispatcher.ts) claims the deliveries, sends them and records each attempt.
 * The module owns its tables (schema.ts) and reaches tenancy only through
 * the `tenantProfile` function its worker entry passes in.
 */
export { enqueueNotification } from './outbox';
export { certificateIssued, certificateAnchored, certificateRevoked, proofRejected, memberInvited, chainFailed, licenceAlert, reportReadyEvent } from './events';
export { CATALOGUE, EVENT_TYPES, TENANT_EVENT_TYPES, SYSTEM_EVENT_TYPES, TEST_EVENT, type EventType, type NotificationEvent } from './catalogue';
export { listEndpoints, getEndpoint, createEndpoint, updateEndpoint, deleteEndpoint, rotateSecret, sendTestEvent, type WebhookEndpointView, type EndpointDeps, type Actor } from './endpoints';
export { listDeliveries, getDelivery, resendDelivery, deliveryCounts, type DeliveryView, type DeliveryDetail, type DeliveryFilter } from './deliveries';
export { getNotificationSettings, updateNotificationSettings, getPlatformNotificationSettings, updatePlatformNotificationSettings } from './settings';
export { listSinkMessages, getSinkMessage } from './sink';
export { notifyConfig, endpointDeps, startNotificationRuntime, type NotifyConfig, type NotificationRuntime } from './runtime';
export type { SecretBox } from './signing';
export { NOTIFICATION_SCHEDULES, runNotificationTask } from './tasks';
export { DELIVERY_STATUSES, type DeliveryStatus } from './schema';
