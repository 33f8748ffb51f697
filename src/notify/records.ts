import type { DocumentCollection, StateStore } from '../core/index.js';
import type { Subscription, Topic } from './types.js';

/** Collection names in the state store; part of the stored format, so do not rename. */
export const COLLECTIONS = {
  topics: 'notify.topics',
  subscriptions: 'notify.subscriptions',
  tokens: 'notify.tokens',
  deliveries: 'notify.deliveries',
  messages: 'notify.messages',
} as const;

export type TopicRecord = Topic;

/**
 * What is stored per subscription: the public shape plus the hashes of every
 * token that points at it (so deleting the subscription deletes its links) and
 * the unsubscribe token itself.
 *
 * Why the unsubscribe token is kept in clear: every alert mail must carry the
 * same working link, so it has to be recoverable; a copy of the database can
 * at worst unsubscribe people. Confirmation tokens, which would let someone
 * sign an address up, are only ever stored hashed.
 */
export interface SubscriptionRecord extends Omit<Subscription, 'hmacSecretSet'> {
  tokenHashes: string[];
  unsubscribeToken?: string;
  /**
   * http/https: the subscriber's HMAC secret, kept in clear because every
   * POST is signed with it; never in API output (`toSubscription` drops it).
   */
  hmacSecret?: string;
}

/**
 * `restore` tokens are the `SubscribeURL` of an http/https subscription's
 * UnsubscribeConfirmation (SNS: "visit the SubscribeURL to restore the
 * subscription"); the confirm link route accepts them.
 */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'restore';

/** Keyed by `hashToken(token)`. */
export interface TokenRecord {
  purpose: TokenPurpose;
  subscriptionId: string;
  /** Milliseconds since the epoch; absent means it never expires (unsubscribe tokens). */
  expiresAt?: number;
  /** `restore` tokens: the removed subscription, as it was stored (without its links). */
  restore?: Omit<SubscriptionRecord, 'tokenHashes' | 'unsubscribeToken'>;
}

/**
 * Keyed by `<messageId>:<subscriptionId>`: a delivery that is finished. With
 * an outbox, written for every queued delivery once it was sent (or found
 * needless); without one, only for publishes that name their message id.
 * A record of a sent delivery is what stops a second one (a retried function
 * invocation, a replayed dead letter). Pruned after `DELIVERY_RECORD_RETENTION_MS`.
 */
export interface DeliveryRecord {
  messageId: string;
  subscriptionId: string;
  /** Milliseconds since the epoch: when it was sent (or skipped). */
  deliveredAt: number;
  /** Absent in records written before the outbox: `delivered`. */
  status?: 'delivered' | 'skipped';
  /** The attempt that sent it (1 for the first); absent for inline deliveries. */
  attempts?: number;
  /** Why a `skipped` delivery was not sent. */
  reason?: string;
}

/**
 * Keyed by message id: one per message published through the outbox, written
 * before its deliveries are queued, naming the subscriptions it was queued
 * for. Delivery status is derived from it, the delivery records and the
 * outbox. Pruned with the delivery records.
 */
export interface MessageRecord {
  messageId: string;
  topicName: string;
  /** Milliseconds since the epoch. */
  publishedAt: number;
  subject?: string;
  /** Oldest subscription first, as they were queued. */
  subscriptionIds: string[];
}

export interface NotifyCollections {
  topics: DocumentCollection<TopicRecord>;
  subscriptions: DocumentCollection<SubscriptionRecord>;
  tokens: DocumentCollection<TokenRecord>;
  deliveries: DocumentCollection<DeliveryRecord>;
  messages: DocumentCollection<MessageRecord>;
}

export function openCollections(state: StateStore): NotifyCollections {
  return {
    topics: state.collection<TopicRecord>(COLLECTIONS.topics),
    subscriptions: state.collection<SubscriptionRecord>(COLLECTIONS.subscriptions),
    tokens: state.collection<TokenRecord>(COLLECTIONS.tokens),
    deliveries: state.collection<DeliveryRecord>(COLLECTIONS.deliveries),
    messages: state.collection<MessageRecord>(COLLECTIONS.messages),
  };
}

/** The public shape: strips token material and the HMAC secret so they can never reach an API response. */
export function toSubscription(record: SubscriptionRecord): Subscription {
  return {
    id: record.id,
    arn: record.arn,
    topicName: record.topicName,
    protocol: record.protocol,
    endpoint: record.endpoint,
    status: record.status,
    createdAt: record.createdAt,
    ...(record.confirmedAt !== undefined ? { confirmedAt: record.confirmedAt } : {}),
    ...(record.deliveryPolicy !== undefined ? { deliveryPolicy: record.deliveryPolicy } : {}),
    ...(record.filterPolicy !== undefined ? { filterPolicy: record.filterPolicy, filterPolicyScope: record.filterPolicyScope ?? 'MessageAttributes' } : {}),
    ...(record.rawMessageDelivery !== undefined ? { rawMessageDelivery: record.rawMessageDelivery } : {}),
    ...(record.hmacSecret !== undefined ? { hmacSecretSet: true } : {}),
    ...(record.dedupe !== undefined ? { dedupe: record.dedupe } : {}),
    ...(record.authenticateOnUnsubscribe === true ? { authenticateOnUnsubscribe: true } : {}),
    ...(record.confirmationError !== undefined && record.status === 'pending' ? { confirmationError: record.confirmationError } : {}),
  };
}
