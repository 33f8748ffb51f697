import type { DeliveryPolicy } from './outbox-policy.js';

/**
 * The records of the notification service, named and shaped after SNS
 * (Topic, Subscription, TopicArn, SubscriptionArn) so that an SNS-compatible
 * API can expose them later without renaming.
 */

/** Delivery protocols. Later: 'email-json', 'http', 'https', 'function', 'mqtt'. */
export const PROTOCOLS = ['email'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface Topic {
  name: string;
  arn: string;
  /** SNS's DisplayName; also the default subject of its email notifications. */
  displayName?: string;
  /** ISO 8601. */
  createdAt: string;
}

export type SubscriptionStatus = 'pending' | 'confirmed';

export interface Subscription {
  id: string;
  /** `<topicArn>:<id>`, as SNS's SubscriptionArn. */
  arn: string;
  topicName: string;
  protocol: Protocol;
  /** For email: the normalized address (domain lower-cased). */
  endpoint: string;
  status: SubscriptionStatus;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601; set once the subscriber confirmed. */
  confirmedAt?: string;
  /** SNS's DeliveryPolicy, as given: how failed deliveries to it are retried. Absent: the protocol's default. */
  deliveryPolicy?: DeliveryPolicy;
}

export interface SubscribeInput {
  protocol: Protocol;
  endpoint: string;
  /**
   * SNS's DeliveryPolicy (an object, or its JSON text): `{ healthyRetryPolicy:
   * { numRetries, minDelayTarget, maxDelayTarget, backoffFunction } }`.
   * SNS applies it to HTTP/S subscriptions; Sluice to any protocol.
   */
  deliveryPolicy?: DeliveryPolicy | string;
}

/** SNS message attributes as they travel with a notification: `{ Name: { Type, Value } }`. */
export type MessageAttributes = Record<string, { Type: string; Value: string }>;

export interface PublishInput {
  /** Topic name or ARN. */
  topic: string;
  message: string;
  subject?: string;
  /**
   * A stable id chosen by the caller (a retried function invocation derives
   * the same one). Publishing again with an id already used delivers only to
   * subscriptions that have no recorded delivery of it, so a retry after a
   * crash does not mail anyone twice. Without it, a fresh id is made.
   */
  messageId?: string;
  /** Passed on to the protocols that carry them (not email). */
  messageAttributes?: MessageAttributes;
}

export interface Delivery {
  subscriptionId: string;
  endpoint: string;
  /**
   * `queued`: in the durable outbox, to be delivered (and retried) from there.
   * `sent`, `failed`: delivered inline (no outbox: unit tests and tools).
   * `duplicate`: this message id was already delivered to this subscription, so it was not sent again.
   */
  status: 'queued' | 'sent' | 'failed' | 'duplicate';
  /** Why it failed, for the API and logs. */
  error?: string;
}

export interface PublishResult {
  messageId: string;
  deliveries: Delivery[];
}

/**
 * Where one delivery (a message to a subscription) stands:
 * - `queued`: waiting for its first attempt, or in it;
 * - `retrying`: at least one attempt failed; another comes at `nextAttemptAt`;
 * - `delivered`: handed over (to the SMTP server, ...) at `deliveredAt`;
 * - `skipped`: not sent, because the subscription was deleted (or is no
 *   longer confirmed) before its turn came;
 * - `dead_letter`: given up (retries exhausted, or refused for good, such as
 *   an SMTP 550) and kept in the dead-letter store, where `sluice dlq replay`
 *   can send it again;
 * - `failed`: not delivered and no longer anywhere: its dead letter was
 *   purged, or the server stopped between recording the message and queueing
 *   its deliveries.
 */
export type DeliveryStatus = 'queued' | 'retrying' | 'delivered' | 'skipped' | 'dead_letter' | 'failed';

export interface DeliveryState {
  messageId: string;
  subscriptionId: string;
  status: DeliveryStatus;
  /** Attempts made so far (for `delivered`: the attempt that succeeded). */
  attempts: number;
  /** ISO 8601. */
  publishedAt: string;
  /** The last failed attempt's error, or why it was skipped. */
  lastError?: string;
  /** ISO 8601. */
  deliveredAt?: string;
  /** ISO 8601; for `retrying`. */
  nextAttemptAt?: string;
  /** ISO 8601; for `dead_letter`. */
  deadAt?: string;
}

/** `GET /api/v1/notifications/messages/:messageId`. */
export interface MessageStatus {
  messageId: string;
  topicName: string;
  topicArn: string;
  /** ISO 8601. */
  publishedAt: string;
  subject?: string;
  /** One per subscription it was queued for; `endpoint` and `protocol` while that subscription exists. */
  deliveries: Array<DeliveryState & { endpoint?: string; protocol?: Protocol }>;
}
