import { topicArn } from '../core/index.js';
import { ActionError } from './action-error.js';
import type { ActionJob, RuleRetryLimits } from './model.js';
import type { NotificationPayload } from './ports.js';

/**
 * The notification outbox is the action queue: one `notification` job per
 * (message, confirmed subscription), so a delivery survives restarts and
 * outages with the queue's retries, dead letters and replay. The notification
 * service decides what to deliver and with which schedule; this file only
 * shapes its requests into jobs.
 */

/** The rule name notification jobs show in the queue, metrics, `sluice status` and the dead-letter store: `$notify/<topic>`. */
export const NOTIFY_RULE_PREFIX = '$notify/';

export function notifyRuleName(topicName: string): string {
  return `${NOTIFY_RULE_PREFIX}${topicName}`;
}

/** One delivery the notification service asks to be queued (the shape of its `QueuedDelivery`). */
export interface NotificationDelivery {
  /** `<messageId>:<subscriptionId>`: stable, so queueing it again while it waits is a no-op. */
  id: string;
  topicName: string;
  subscriptionId: string;
  protocol: string;
  notification: NotificationPayload;
  /** The protocol's schedule, or the subscription's delivery policy, as it was when the message was published. */
  retry: RuleRetryLimits;
}

export function notificationJob(delivery: NotificationDelivery): ActionJob {
  const payload = Buffer.from(JSON.stringify(delivery.notification));
  return {
    id: delivery.id,
    ruleName: notifyRuleName(delivery.topicName),
    actionIndex: 0,
    target: { kind: 'notification', topic: delivery.topicName, subscriptionId: delivery.subscriptionId, protocol: delivery.protocol },
    input: {
      topic: topicArn(delivery.topicName),
      clientId: '$notify',
      timestamp: delivery.notification.timestamp,
      payload,
      value: delivery.notification,
    },
    originalPayload: payload,
    retry: { ...delivery.retry },
  };
}

/** A job's `input.value` as a notification; a stored job that is not one cannot be mended by a retry. */
export function toNotificationPayload(value: unknown): NotificationPayload {
  const candidate = value as Partial<NotificationPayload> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.messageId !== 'string' ||
    typeof candidate.message !== 'string' ||
    (candidate.subject !== undefined && typeof candidate.subject !== 'string') ||
    typeof candidate.timestamp !== 'number'
  ) {
    throw new ActionError('the queued notification is malformed (expected messageId, message, timestamp)', { retryable: false });
  }
  return candidate as NotificationPayload;
}
