import type { AlertHygieneConfig } from './hygiene.js';
import type { DeliveryPolicy } from './outbox-policy.js';

/**
 * The records of the notification service, named and shaped after SNS
 * (Topic, Subscription, TopicArn, SubscriptionArn) so that an SNS-compatible
 * API can expose them later without renaming.
 */

/**
 * Delivery protocols, as SNS names them, plus `function` (SNS's `lambda`: a
 * Sluice function) and `mqtt` (a republish onto the broker).
 */
export const PROTOCOLS = ['email', 'email-json', 'http', 'https', 'function', 'mqtt'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface Topic {
  name: string;
  arn: string;
  /** SNS's DisplayName; also the default subject of its email notifications. */
  displayName?: string;
  /**
   * Alert hygiene (not in SNS): a de-duplication window over every message
   * published to the topic, checked once per publish (`hygiene.ts`).
   */
  dedupe?: AlertHygieneConfig;
  /** ISO 8601. */
  createdAt: string;
}

/** `createTopic`'s options: a value replaces the stored one; `dedupe: null` clears it; left out keeps it. */
export interface CreateTopicOptions {
  displayName?: string;
  /** Alert hygiene: `{ key, window, digest? }` (checked: SLUICE_ERR_REQUEST_INVALID naming `dedupe.<field>`). */
  dedupe?: AlertHygieneConfig | null;
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
  /** SNS's FilterPolicy, as stored (a JSON object): only messages it matches are delivered. */
  filterPolicy?: Record<string, unknown>;
  /** What the filter policy looks at; shown only with a filter policy. */
  filterPolicyScope?: FilterPolicyScope;
  /** http/https: the message is POSTed as it is, not in the JSON envelope. */
  rawMessageDelivery?: boolean;
  /** http/https: the subscription has an HMAC secret, so every POST carries `X-Sluice-Signature`. The secret is never shown. */
  hmacSecretSet?: boolean;
  /**
   * SNS's `ConfirmationWasAuthenticated`: it was confirmed with
   * `AuthenticateOnUnsubscribe`, so the unsubscribe link in its notifications
   * does not remove it; only an authenticated API call (an admin token) does.
   */
  authenticateOnUnsubscribe?: boolean;
  /** Pending http/https subscriptions: why the last confirmation POST failed (`resendConfirmation` tries again). */
  confirmationError?: string;
  /** Alert hygiene (not in SNS): a de-duplication window over the messages delivered to this subscription. */
  dedupe?: AlertHygieneConfig;
}

export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';

export interface SubscribeInput {
  protocol: Protocol;
  endpoint: string;
  /**
   * SNS's DeliveryPolicy (an object, or its JSON text): `{ healthyRetryPolicy:
   * { numRetries, minDelayTarget, maxDelayTarget, backoffFunction } }`.
   * SNS applies it to HTTP/S subscriptions; Sluice to any protocol.
   */
  deliveryPolicy?: DeliveryPolicy | string;
  /** SNS's FilterPolicy (an object, or its JSON text): only messages it matches are delivered. */
  filterPolicy?: Record<string, unknown> | string;
  /** SNS's FilterPolicyScope: what the filter policy looks at. Default `MessageAttributes`. */
  filterPolicyScope?: FilterPolicyScope;
  /** SNS's RawMessageDelivery (http/https only): the message as it is, not in the JSON envelope. */
  rawMessageDelivery?: boolean;
  /**
   * http/https only: a secret (16 to 1024 characters) the subscriber chose;
   * every POST then carries `X-Sluice-Signature: sha256=<hex HMAC-SHA256 of
   * the body>`. Stored, never shown.
   */
  hmacSecret?: string;
  /**
   * Alert hygiene (not in SNS): `{ key, window, digest? }`, a de-duplication
   * window over the messages this subscription is sent (after its filter policy).
   */
  dedupe?: AlertHygieneConfig;
}

/** How `subscribe` treats an existing subscription (same topic, protocol and endpoint). */
export interface SubscribeOptions {
  /**
   * Without it (SNS-like), attributes the input gives replace the stored ones
   * and the others stay. With it, the subscription's attributes become
   * exactly the input's: those left out are cleared (a stack redeploy).
   */
  replaceAttributes?: boolean;
}

/**
 * SNS's SetSubscriptionAttributes, several at once: a value replaces the
 * stored one, `null` clears it, a field left out stays as it is.
 */
export interface SubscriptionAttributesInput {
  deliveryPolicy?: SubscribeInput['deliveryPolicy'] | null;
  filterPolicy?: SubscribeInput['filterPolicy'] | null;
  filterPolicyScope?: FilterPolicyScope | null;
  rawMessageDelivery?: boolean | null;
  hmacSecret?: string | null;
  dedupe?: AlertHygieneConfig | null;
}

/** `confirm(token, options)`: SNS's ConfirmSubscription parameters. */
export interface ConfirmOptions {
  /** SNS's AuthenticateOnUnsubscribe: from then on only an authenticated call can unsubscribe it, not the link in its notifications. */
  authenticateOnUnsubscribe?: boolean;
}

/** SNS's message attribute data types. `Binary` values are base64. */
export const MESSAGE_ATTRIBUTE_DATA_TYPES = ['String', 'String.Array', 'Number', 'Binary'] as const;
export type MessageAttributeDataType = (typeof MESSAGE_ATTRIBUTE_DATA_TYPES)[number];

/**
 * Message attributes as SNS's Publish takes them: `{ Name: { DataType,
 * StringValue | BinaryValue } }`; a BinaryValue is base64 text (or bytes).
 */
export type PublishMessageAttributes = Record<string, { DataType: string; StringValue?: string; BinaryValue?: string | Uint8Array }>;

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
  /**
   * SNS's MessageAttributes, as Publish takes them (at most 10; names of
   * `[A-Za-z0-9_.-]`, at most 256 characters; types String, String.Array,
   * Number, Binary). Filter policies look at them; the protocols with an
   * envelope (email-json, http, https, function) carry them as `{ Name: { Type, Value } }`.
   */
  messageAttributes?: PublishMessageAttributes;
  /**
   * SNS's MessageStructure: with `json`, `message` is a JSON object of
   * per-protocol messages (`default` required), e.g. `{"default": "...", "email": "...", "http": "..."}`.
   * Each protocol takes its own key (`function` also `lambda`), else `default`.
   */
  messageStructure?: 'json';
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
  /** One per confirmed subscription whose filter policy (if any) matched. */
  deliveries: Delivery[];
  /**
   * Confirmed subscriptions whose filter policy did not match: they get no
   * delivery and, as in SNS, are not in `deliveries`; only counted here.
   */
  filtered: number;
  /**
   * Alert hygiene: `true` when the topic's `dedupe` window held the message
   * back; then nothing was queued for anyone and `deliveries` is empty.
   */
  suppressed?: true;
  /**
   * Alert hygiene: confirmed subscriptions (whose filter policy matched) that
   * their own `dedupe` window held the message back from; not in `deliveries`.
   * Present only when more than 0.
   */
  suppressedSubscriptions?: number;
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
