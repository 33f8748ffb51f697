import {
  SluiceError, errorMessage, newId, systemClock, topicArn, topicNameFromArnOrName,
  type Clock, type Logger, type StateStore,
} from '../core/index.js';
import {
  deliveryId, isRetryableDeliveryError,
  type NotificationOutbox, type QueuedDelivery, type QueuedDeliveryOutcome, type QueuedNotification,
} from './outbox.js';
import { deliveryRetryFor, parseDeliveryPolicy, type DeliveryPolicy } from './outbox-policy.js';
import { createEmailProtocol } from './protocols/email.js';
import type { ProtocolDriver } from './protocols/protocol.js';
import {
  openCollections, toSubscription, type DeliveryRecord, type MessageRecord, type NotifyCollections, type SubscriptionRecord,
} from './records.js';
import { CONFIRM_TOKEN_TTL_MS, LinkTokens, tokenInvalid } from './tokens.js';
import type { MailTransport } from './transport/port.js';
import {
  PROTOCOLS, type Delivery, type DeliveryState, type MessageStatus, type Protocol, type PublishInput, type PublishResult,
  type SubscribeInput, type Subscription, type Topic,
} from './types.js';
import { byCreation, mapLimit, normalizePublicUrl, subscriptionIdOf } from './util.js';
import { validateDisplayName, validateMessage, validateSubject, validateTopicName } from './validate.js';

export interface NotificationServiceOptions {
  state: StateStore;
  transport: MailTransport;
  /** Base of the links in mails, e.g. `http://127.0.0.1:8080`; a trailing slash is dropped. */
  publicUrl: string;
  /** Sender of every mail, e.g. `Sluice <no-reply@sluice.local>`. */
  from: string;
  logger: Logger;
  clock?: Clock;
  /**
   * The durable outbox. With one, `publish` queues the deliveries and returns
   * (`deliverQueued` sends them later, retried by the outbox); without one
   * (unit tests, tools) it delivers inline. Also settable later (`setOutbox`),
   * as the action queue that serves as the outbox is built after this service.
   */
  outbox?: NotificationOutbox;
}

/** How many deliveries of one publish run at once (inline, without an outbox): bounds open SMTP conversations. */
const PUBLISH_CONCURRENCY = 8;

/**
 * Delivery and message records older than this are pruned (`pruneRecords`).
 * Longer than any delivery is retried (24 h) or a function invocation that
 * publishes (6 h by default), so a repeat of a delivered message still finds
 * its record; a dead letter replayed later than this after it was delivered
 * — it cannot have been, except in the crash window — could be sent again.
 */
export const DELIVERY_RECORD_RETENTION_MS = 7 * 24 * 3_600_000;

/**
 * Topics and subscriptions with SNS semantics. State lives in the state store
 * (collections in `records.ts`); delivery goes through one driver per protocol.
 *
 * Mutations are serialized within this process so that, e.g., two concurrent
 * identical subscribes create one subscription. Several nodes sharing one store
 * would need the store to enforce that (a transaction or unique key); see README.
 */
export class NotificationService {
  readonly #records: NotifyCollections;
  readonly #tokens: LinkTokens;
  readonly #drivers: Record<Protocol, ProtocolDriver>;
  readonly #publicUrl: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #outbox: NotificationOutbox | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: NotificationServiceOptions) {
    this.#records = openCollections(options.state);
    this.#clock = options.clock ?? systemClock;
    this.#tokens = new LinkTokens(this.#records.tokens, this.#clock);
    this.#drivers = { email: createEmailProtocol({ transport: options.transport, from: options.from }) };
    this.#publicUrl = normalizePublicUrl(options.publicUrl);
    this.#logger = options.logger;
    this.#outbox = options.outbox;
  }

  /** Plugs in the durable outbox; from then on `publish` queues instead of delivering inline. */
  setOutbox(outbox: NotificationOutbox): void {
    this.#outbox = outbox;
  }

  // ---- topics ----

  /** Idempotent (SNS CreateTopic); a given displayName replaces the stored one. */
  async createTopic(name: string, options: { displayName?: string } = {}): Promise<Topic> {
    validateTopicName(name);
    if (options.displayName !== undefined) validateDisplayName(options.displayName);
    return this.#exclusive(async () => {
      const existing = await this.#records.topics.get(name);
      if (existing && (options.displayName === undefined || options.displayName === existing.displayName)) return existing;
      const topic: Topic = existing
        ? { ...existing, displayName: options.displayName }
        : { name, arn: topicArn(name), ...(options.displayName !== undefined ? { displayName: options.displayName } : {}), createdAt: this.#now() };
      await this.#records.topics.put(name, topic);
      this.#logger.info({ topic: name }, existing ? 'topic updated' : 'topic created');
      return topic;
    });
  }

  /** Deletes the topic, its subscriptions and their links. Idempotent, as SNS DeleteTopic: returns whether it existed. */
  async deleteTopic(nameOrArn: string): Promise<boolean> {
    const name = topicNameFromArnOrName(nameOrArn);
    return this.#exclusive(async () => {
      for (const sub of await this.#subscriptionsOf(name)) await this.#remove(sub);
      const deleted = await this.#records.topics.delete(name);
      if (deleted) this.#logger.info({ topic: name }, 'topic deleted');
      return deleted;
    });
  }

  /** Ordered by name. */
  async listTopics(): Promise<Topic[]> {
    return (await this.#records.topics.list()).map((entry) => entry.doc);
  }

  /** Throws SLUICE_ERR_TOPIC_NOT_FOUND. */
  async getTopic(nameOrArn: string): Promise<Topic> {
    const name = topicNameFromArnOrName(nameOrArn);
    const topic = await this.#records.topics.get(name);
    if (!topic) throw new SluiceError('SLUICE_ERR_TOPIC_NOT_FOUND', `no notification topic named ${JSON.stringify(name)}`, { details: { topic: name } });
    return topic;
  }

  // ---- subscriptions ----

  /**
   * Idempotent on (topic, protocol, endpoint): a repeat returns the existing
   * subscription and sends nothing; a delivery policy it gives replaces the
   * stored one (for messages published from then on). A new email
   * subscription is pending and is sent a confirmation mail; if that mail
   * cannot be sent, the subscription is removed again and SLUICE_ERR_MAIL_SEND
   * thrown, so a retry starts afresh. A bad delivery policy is
   * SLUICE_ERR_SUBSCRIPTION_INVALID naming the field.
   */
  async subscribe(topicNameOrArn: string, input: SubscribeInput): Promise<Subscription> {
    const driver = this.#driver(input.protocol);
    const endpoint = driver.normalizeEndpoint(input.endpoint);
    const deliveryPolicy: DeliveryPolicy | undefined = input.deliveryPolicy === undefined ? undefined : parseDeliveryPolicy(input.deliveryPolicy);
    const created = await this.#exclusive(async () => {
      const topic = await this.getTopic(topicNameOrArn);
      const existing = (await this.#subscriptionsOf(topic.name)).find((s) => s.protocol === driver.protocol && s.endpoint === endpoint);
      if (existing) {
        if (deliveryPolicy !== undefined && JSON.stringify(deliveryPolicy) !== JSON.stringify(existing.deliveryPolicy)) {
          await this.#records.subscriptions.put(existing.id, { ...existing, deliveryPolicy });
          this.#logger.info({ topic: topic.name, subscription: existing.id }, 'subscription delivery policy updated');
        }
        return undefined;
      }
      const id = newId();
      const record: SubscriptionRecord = {
        id, arn: `${topic.arn}:${id}`, topicName: topic.name, protocol: driver.protocol, endpoint,
        status: 'pending', createdAt: this.#now(), tokenHashes: [],
        ...(deliveryPolicy !== undefined ? { deliveryPolicy } : {}),
      };
      if (!driver.requiresConfirmation) await this.#markConfirmed(record);
      else await this.#records.subscriptions.put(id, record);
      this.#logger.info({ topic: topic.name, subscription: id, protocol: driver.protocol }, 'subscription created');
      return { topic, record };
    });
    if (!created) return this.#findExisting(topicNameOrArn, driver.protocol, endpoint);
    if (created.record.status === 'pending') {
      try {
        await this.#sendConfirmation(created.topic, created.record.id);
      } catch (error) {
        // Re-read: sending added the confirmation token's hash to the stored record.
        await this.#exclusive(async () => {
          const record = await this.#records.subscriptions.get(created.record.id);
          if (record) await this.#remove(record);
        });
        throw error;
      }
    }
    return this.getSubscription(created.record.id);
  }

  /** Sends a fresh confirmation link to a pending subscription; earlier links keep working until they expire. */
  async resendConfirmation(subscriptionId: string): Promise<Subscription> {
    const sub = await this.getSubscription(subscriptionId);
    if (sub.status !== 'pending') {
      throw new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', `subscription ${sub.id} is already confirmed`, { details: { subscriptionId: sub.id } });
    }
    await this.#sendConfirmation(await this.getTopic(sub.topicName), sub.id);
    return sub;
  }

  /**
   * Confirms the subscription a confirmation link names. The link keeps working
   * until it expires and a second use returns the same confirmed subscription,
   * because mail scanners often open links before the person does.
   */
  async confirm(token: string): Promise<Subscription> {
    return this.#exclusive(async () => {
      const link = await this.#tokens.resolve(token, 'confirm');
      const record = await this.#records.subscriptions.get(link.subscriptionId);
      if (!record) throw tokenInvalid('confirm', 'unknown or already used');
      if (record.status !== 'confirmed') {
        await this.#markConfirmed(record);
        this.#logger.info({ topic: record.topicName, subscription: record.id }, 'subscription confirmed');
      }
      return toSubscription(record);
    });
  }

  /** Deletes the subscription an unsubscribe link names and returns it; the link is then used up. */
  async unsubscribe(token: string): Promise<Subscription> {
    return this.#exclusive(async () => {
      const link = await this.#tokens.resolve(token, 'unsubscribe');
      const record = await this.#records.subscriptions.get(link.subscriptionId);
      if (!record) throw tokenInvalid('unsubscribe', 'unknown or already used');
      await this.#remove(record);
      return toSubscription(record);
    });
  }

  /** By id or subscription ARN; returns whether a subscription was deleted. */
  async unsubscribeById(idOrArn: string): Promise<boolean> {
    return this.#exclusive(async () => {
      const record = await this.#records.subscriptions.get(subscriptionIdOf(idOrArn));
      if (!record) return false;
      await this.#remove(record);
      return true;
    });
  }

  /** By id or subscription ARN; throws SLUICE_ERR_NOT_FOUND. */
  async getSubscription(idOrArn: string): Promise<Subscription> {
    const id = subscriptionIdOf(idOrArn);
    const record = await this.#records.subscriptions.get(id);
    if (!record) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no subscription with id ${JSON.stringify(id)}`, { details: { subscriptionId: id } });
    return toSubscription(record);
  }

  /** Oldest first; of one topic (SLUICE_ERR_TOPIC_NOT_FOUND if unknown) or of all. */
  async listSubscriptions(topicNameOrArn?: string): Promise<Subscription[]> {
    const records = topicNameOrArn === undefined
      ? (await this.#records.subscriptions.list()).map((e) => e.doc)
      : await this.#subscriptionsOf((await this.getTopic(topicNameOrArn)).name);
    return records.sort(byCreation).map(toSubscription);
  }

  // ---- publish ----

  /**
   * To every confirmed subscription of the topic.
   *
   * With an outbox: records the message, queues one delivery per subscription
   * (durably: resolves after the commit) and returns them as `queued`; the
   * outbox delivers and retries them on their protocol's schedule. A message
   * id already delivered to a subscription is `duplicate` and not queued.
   *
   * Without one: delivers inline, once. One subscriber's failure is recorded
   * and logged and does not stop the others.
   */
  async publish(input: PublishInput): Promise<PublishResult> {
    validateMessage(input.message);
    if (input.subject !== undefined) validateSubject(input.subject);
    const topic = await this.getTopic(input.topic);
    const targets = (await this.#subscriptionsOf(topic.name)).filter((s) => s.status === 'confirmed').sort(byCreation);
    const messageId = input.messageId ?? newId();
    if (this.#outbox) return this.#publishToOutbox(this.#outbox, topic, targets, messageId, input);
    const deliveries = await mapLimit(targets, PUBLISH_CONCURRENCY, async (record): Promise<Delivery> => {
      const base = { subscriptionId: record.id, endpoint: record.endpoint };
      const deliveryKey = `${messageId}:${record.id}`;
      if (input.messageId !== undefined && isDelivered(await this.#records.deliveries.get(deliveryKey))) return { ...base, status: 'duplicate' };
      try {
        if (record.unsubscribeToken === undefined) throw new Error('subscription has no unsubscribe link');
        await this.#driver(record.protocol).deliver({
          topic, subscription: toSubscription(record), messageId, message: input.message,
          ...(input.subject !== undefined ? { subject: input.subject } : {}),
          unsubscribeUrl: this.#link('unsubscribe', record.unsubscribeToken),
        });
        if (input.messageId !== undefined) {
          // Recorded after the send: a crash in between can still mail twice, the one window left (docs/reliability.md).
          await this.#records.deliveries.put(deliveryKey, { messageId, subscriptionId: record.id, deliveredAt: this.#clock.now(), status: 'delivered' });
        }
        return { ...base, status: 'sent' };
      } catch (error) {
        this.#logger.warn({ topic: topic.name, subscription: record.id, messageId, err: error }, 'notification delivery failed');
        return { ...base, status: 'failed', error: errorMessage(error) };
      }
    });
    const failed = deliveries.filter((d) => d.status === 'failed').length;
    this.#logger.info({ topic: topic.name, messageId, sent: deliveries.length - failed, failed }, 'message published');
    return { messageId, deliveries };
  }

  async #publishToOutbox(outbox: NotificationOutbox, topic: Topic, targets: SubscriptionRecord[], messageId: string, input: PublishInput): Promise<PublishResult> {
    const now = this.#clock.now();
    const notification: QueuedNotification = {
      messageId,
      message: input.message,
      ...(input.subject !== undefined ? { subject: input.subject } : {}),
      ...(input.messageAttributes !== undefined ? { messageAttributes: input.messageAttributes } : {}),
      timestamp: now,
    };
    const deliveries: Delivery[] = [];
    const queued: QueuedDelivery[] = [];
    for (const record of targets) {
      const base = { subscriptionId: record.id, endpoint: record.endpoint };
      const id = deliveryId(messageId, record.id);
      if (input.messageId !== undefined && isDelivered(await this.#records.deliveries.get(id))) {
        deliveries.push({ ...base, status: 'duplicate' });
        continue;
      }
      queued.push({
        id, topicName: topic.name, subscriptionId: record.id, protocol: record.protocol, notification,
        retry: deliveryRetryFor(record.protocol, record.deliveryPolicy),
      });
      deliveries.push({ ...base, status: 'queued' });
    }
    // The message record first: a delivery in the outbox always has one, so its status can be told.
    await this.#recordMessage({
      messageId, topicName: topic.name, publishedAt: now, ...(input.subject !== undefined ? { subject: input.subject } : {}),
      subscriptionIds: queued.map((d) => d.subscriptionId),
    });
    if (queued.length > 0) await outbox.enqueue(queued);
    this.#logger.info({ topic: topic.name, messageId, queued: queued.length, duplicate: deliveries.length - queued.length }, 'message published');
    return { messageId, deliveries };
  }

  /** A repeat of a message id (a retried invocation) adds the subscriptions it did not name yet and keeps the first time. */
  async #recordMessage(message: MessageRecord): Promise<void> {
    await this.#exclusive(async () => {
      const existing = await this.#records.messages.get(message.messageId);
      if (existing && message.subscriptionIds.every((id) => existing.subscriptionIds.includes(id))) return;
      const merged: MessageRecord = existing
        ? { ...existing, subscriptionIds: [...existing.subscriptionIds, ...message.subscriptionIds.filter((id) => !existing.subscriptionIds.includes(id))] }
        : message;
      await this.#records.messages.put(message.messageId, merged);
    });
  }

  /**
   * Sends one queued delivery: what the outbox calls for each, once per
   * attempt. Not sent again if its delivery record says it was sent (a
   * repeated job); not sent at all if the subscription was deleted or is not
   * confirmed (unsubscribed while the message waited). Records the delivery
   * after sending it: a crash between the two sends it once more, with the
   * same Message-ID (docs/reliability.md, G2). Never rejects.
   */
  async deliverQueued(
    target: { topic: string; subscriptionId: string; protocol: string },
    notification: QueuedNotification,
    jobId: string,
    attempt: number,
  ): Promise<QueuedDeliveryOutcome> {
    const { messageId } = notification;
    const key = deliveryId(messageId, target.subscriptionId);
    const context = { topic: target.topic, subscription: target.subscriptionId, messageId, jobId, attempt };
    try {
      if (isDelivered(await this.#records.deliveries.get(key))) {
        this.#logger.debug(context, 'notification already delivered; not sent again');
        return { status: 'duplicate' };
      }
      const record = await this.#records.subscriptions.get(target.subscriptionId);
      const topic = record ? await this.#records.topics.get(record.topicName) : undefined;
      if (!record || !topic || record.status !== 'confirmed' || record.unsubscribeToken === undefined) {
        const reason = record ? 'the subscription is no longer confirmed' : 'the subscription was deleted before delivery';
        await this.#records.deliveries.put(key, { messageId, subscriptionId: target.subscriptionId, deliveredAt: this.#clock.now(), status: 'skipped', reason });
        this.#logger.info({ ...context, reason }, 'notification not delivered: subscription gone');
        return { status: 'skipped', reason };
      }
      await this.#driver(record.protocol).deliver({
        topic, subscription: toSubscription(record), messageId, message: notification.message,
        ...(notification.subject !== undefined ? { subject: notification.subject } : {}),
        unsubscribeUrl: this.#link('unsubscribe', record.unsubscribeToken),
      });
    } catch (error) {
      return { status: 'failed', retryable: isRetryableDeliveryError(error), error: errorMessage(error) };
    }
    try {
      await this.#records.deliveries.put(key, { messageId, subscriptionId: target.subscriptionId, deliveredAt: this.#clock.now(), status: 'delivered', attempts: attempt });
    } catch (error) {
      // Sent: retrying would send it again. Only a repeat of the job (a retried invocation) could now.
      this.#logger.error({ ...context, err: errorMessage(error) }, 'notification sent but its delivery record could not be written');
    }
    return { status: 'delivered' };
  }

  // ---- delivery status ----

  /** Per subscription the message was queued for; throws SLUICE_ERR_NOT_FOUND for an unknown (or pruned) message. */
  async messageStatus(messageId: string): Promise<MessageStatus> {
    const message = await this.#records.messages.get(messageId);
    if (!message) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no notification with message id ${JSON.stringify(messageId)} (records are kept for 7 days)`, { details: { messageId } });
    }
    const deliveries = await Promise.all(
      message.subscriptionIds.map(async (subscriptionId) => {
        const state = await this.#deliveryState(message, subscriptionId);
        const sub = await this.#records.subscriptions.get(subscriptionId);
        return sub ? { ...state, endpoint: sub.endpoint, protocol: sub.protocol } : state;
      }),
    );
    return {
      messageId: message.messageId,
      topicName: message.topicName,
      topicArn: topicArn(message.topicName),
      publishedAt: iso(message.publishedAt),
      ...(message.subject !== undefined ? { subject: message.subject } : {}),
      deliveries,
    };
  }

  /** The subscription's most recent deliveries, newest first; throws SLUICE_ERR_NOT_FOUND for an unknown subscription. */
  async subscriptionDeliveries(idOrArn: string, limit = 20): Promise<DeliveryState[]> {
    const sub = await this.getSubscription(idOrArn);
    // A scan of the (pruned) message records: fine for the sizes in view; an index later.
    const messages = (await this.#records.messages.list())
      .map((entry) => entry.doc)
      .filter((m) => m.topicName === sub.topicName && m.subscriptionIds.includes(sub.id))
      .sort((a, b) => b.publishedAt - a.publishedAt || (a.messageId < b.messageId ? -1 : 1))
      .slice(0, Math.max(0, limit));
    return Promise.all(messages.map((m) => this.#deliveryState(m, sub.id)));
  }

  /**
   * The outbox is read before the delivery record: a delivery leaves the
   * outbox only after its record is written, so one found in neither was
   * never sent (a purged dead letter).
   */
  async #deliveryState(message: MessageRecord, subscriptionId: string): Promise<DeliveryState> {
    const key = deliveryId(message.messageId, subscriptionId);
    const base = { messageId: message.messageId, subscriptionId, publishedAt: iso(message.publishedAt) };
    const queued = await this.#outbox?.state(key);
    const done = await this.#records.deliveries.get(key);
    if (done && isDelivered(done)) return { ...base, status: 'delivered', attempts: done.attempts ?? 1, deliveredAt: iso(done.deliveredAt) };
    if (queued?.state === 'dead') {
      return { ...base, status: 'dead_letter', attempts: queued.attempts, ...(queued.lastError !== undefined ? { lastError: queued.lastError } : {}), ...(queued.deadAt !== undefined ? { deadAt: iso(queued.deadAt) } : {}) };
    }
    if (queued) {
      if (queued.attempts === 0) return { ...base, status: 'queued', attempts: 0 };
      return {
        ...base, status: 'retrying', attempts: queued.attempts, nextAttemptAt: iso(queued.notBefore),
        ...(queued.lastError !== undefined ? { lastError: queued.lastError } : {}),
      };
    }
    if (done) return { ...base, status: 'skipped', attempts: 0, ...(done.reason !== undefined ? { lastError: done.reason } : {}) };
    return { ...base, status: 'failed', attempts: 0, lastError: 'not delivered, and neither queued nor dead-lettered any more (a purged dead letter)' };
  }

  /**
   * Deletes delivery and message records older than `retentionMs` (7 days by
   * default), so they do not grow without bound. The composition root runs it
   * on a timer. Returns how many of each it deleted.
   */
  async pruneRecords(retentionMs = DELIVERY_RECORD_RETENTION_MS): Promise<{ deliveries: number; messages: number }> {
    const cutoff = this.#clock.now() - retentionMs;
    let deliveries = 0;
    let messages = 0;
    for (const { id, doc } of await this.#records.deliveries.list()) {
      if (doc.deliveredAt < cutoff && (await this.#records.deliveries.delete(id))) deliveries += 1;
    }
    for (const { id, doc } of await this.#records.messages.list()) {
      if (doc.publishedAt < cutoff && (await this.#records.messages.delete(id))) messages += 1;
    }
    if (deliveries + messages > 0) this.#logger.info({ deliveries, messages, retentionMs }, 'old notification records pruned');
    return { deliveries, messages };
  }

  // ---- internals ----

  /** Runs `fn` after every mutation queued before it (a promise-chain mutex). */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #driver(protocol: Protocol): ProtocolDriver {
    // Input may come straight from an API body, so the type is not proof.
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', `unsupported protocol ${JSON.stringify(protocol)}: expected one of ${PROTOCOLS.join(', ')}`, { place: { field: 'protocol' } });
    }
    return this.#drivers[protocol];
  }

  async #subscriptionsOf(topicName: string): Promise<SubscriptionRecord[]> {
    return (await this.#records.subscriptions.list()).map((e) => e.doc).filter((s) => s.topicName === topicName);
  }

  async #findExisting(topicNameOrArn: string, protocol: Protocol, endpoint: string): Promise<Subscription> {
    const subs = await this.listSubscriptions(topicNameOrArn);
    const sub = subs.find((s) => s.protocol === protocol && s.endpoint === endpoint);
    if (!sub) throw new SluiceError('SLUICE_ERR_INTERNAL', 'subscription vanished while subscribing; try again');
    return sub;
  }

  async #sendConfirmation(topic: Topic, subscriptionId: string): Promise<void> {
    const issued = await this.#exclusive(async () => {
      const record = await this.#records.subscriptions.get(subscriptionId);
      if (!record) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no subscription with id ${JSON.stringify(subscriptionId)}`);
      const token = await this.#tokens.issue('confirm', record.id, CONFIRM_TOKEN_TTL_MS);
      record.tokenHashes.push(token.hash);
      await this.#records.subscriptions.put(record.id, record);
      return { record, token };
    });
    await this.#driver(issued.record.protocol).sendConfirmation({
      topic,
      subscription: toSubscription(issued.record),
      confirmUrl: this.#link('confirm', issued.token.token),
      expiresAt: issued.token.expiresAt ?? Infinity,
    });
  }

  /** Confirms in place and stores; the unsubscribe link is made once here and reused by every notification. */
  async #markConfirmed(record: SubscriptionRecord): Promise<void> {
    const unsubscribe = await this.#tokens.issue('unsubscribe', record.id);
    record.status = 'confirmed';
    record.confirmedAt = this.#now();
    record.unsubscribeToken = unsubscribe.token;
    record.tokenHashes.push(unsubscribe.hash);
    await this.#records.subscriptions.put(record.id, record);
  }

  async #remove(record: SubscriptionRecord): Promise<void> {
    await this.#tokens.revoke(record.tokenHashes);
    await this.#records.subscriptions.delete(record.id);
    this.#logger.info({ topic: record.topicName, subscription: record.id }, 'subscription deleted');
  }

  #link(kind: 'confirm' | 'unsubscribe', token: string): string {
    return `${this.#publicUrl}/notify/${kind}/${token}`;
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

/** A delivery record of a sent delivery (records from before the outbox have no status: sent). */
function isDelivered(record: DeliveryRecord | undefined): boolean {
  return record !== undefined && record.status !== 'skipped';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
