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
}

export interface SubscribeInput {
  protocol: Protocol;
  endpoint: string;
}

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
}

export interface Delivery {
  subscriptionId: string;
  endpoint: string;
  /** `duplicate`: this message id was already delivered to this subscription, so it was not sent again. */
  status: 'sent' | 'failed' | 'duplicate';
  /** Why it failed, for the API and logs. */
  error?: string;
}

export interface PublishResult {
  messageId: string;
  deliveries: Delivery[];
}
