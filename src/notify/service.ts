import {
  SluiceError, errorMessage, newId, systemClock, topicArn, topicNameFromArnOrName,
  type Clock, type Logger, type StateStore,
} from '../core/index.js';
import { createEmailProtocol } from './protocols/email.js';
import type { ProtocolDriver } from './protocols/protocol.js';
import { openCollections, toSubscription, type NotifyCollections, type SubscriptionRecord } from './records.js';
import { CONFIRM_TOKEN_TTL_MS, LinkTokens, tokenInvalid } from './tokens.js';
import type { MailTransport } from './transport/port.js';
import {
  PROTOCOLS, type Delivery, type Protocol, type PublishInput, type PublishResult, type SubscribeInput, type Subscription, type Topic,
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
}

/** How many deliveries of one publish run at once: bounds open SMTP conversations. */
const PUBLISH_CONCURRENCY = 8;

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
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: NotificationServiceOptions) {
    this.#records = openCollections(options.state);
    this.#clock = options.clock ?? systemClock;
    this.#tokens = new LinkTokens(this.#records.tokens, this.#clock);
    this.#drivers = { email: createEmailProtocol({ transport: options.transport, from: options.from }) };
    this.#publicUrl = normalizePublicUrl(options.publicUrl);
    this.#logger = options.logger;
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
   * subscription and sends nothing. A new email subscription is pending and is
   * sent a confirmation mail; if that mail cannot be sent, the subscription is
   * removed again and SLUICE_ERR_MAIL_SEND thrown, so a retry starts afresh.
   */
  async subscribe(topicNameOrArn: string, input: SubscribeInput): Promise<Subscription> {
    const driver = this.#driver(input.protocol);
    const endpoint = driver.normalizeEndpoint(input.endpoint);
    const created = await this.#exclusive(async () => {
      const topic = await this.getTopic(topicNameOrArn);
      const existing = (await this.#subscriptionsOf(topic.name)).find((s) => s.protocol === driver.protocol && s.endpoint === endpoint);
      if (existing) return undefined;
      const id = newId();
      const record: SubscriptionRecord = {
        id, arn: `${topic.arn}:${id}`, topicName: topic.name, protocol: driver.protocol, endpoint,
        status: 'pending', createdAt: this.#now(), tokenHashes: [],
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
   * Delivers to every confirmed subscription of the topic. One subscriber's
   * failure is recorded and logged and does not stop the others (retries and a
   * durable outbox come later).
   */
  async publish(input: PublishInput): Promise<PublishResult> {
    validateMessage(input.message);
    if (input.subject !== undefined) validateSubject(input.subject);
    const topic = await this.getTopic(input.topic);
    const targets = (await this.#subscriptionsOf(topic.name)).filter((s) => s.status === 'confirmed').sort(byCreation);
    const messageId = input.messageId ?? newId();
    const deliveries = await mapLimit(targets, PUBLISH_CONCURRENCY, async (record): Promise<Delivery> => {
      const base = { subscriptionId: record.id, endpoint: record.endpoint };
      const deliveryKey = `${messageId}:${record.id}`;
      if (input.messageId !== undefined && (await this.#records.deliveries.get(deliveryKey))) return { ...base, status: 'duplicate' };
      try {
        if (record.unsubscribeToken === undefined) throw new Error('subscription has no unsubscribe link');
        await this.#driver(record.protocol).deliver({
          topic, subscription: toSubscription(record), messageId, message: input.message,
          ...(input.subject !== undefined ? { subject: input.subject } : {}),
          unsubscribeUrl: this.#link('unsubscribe', record.unsubscribeToken),
        });
        if (input.messageId !== undefined) {
          // Recorded after the send: a crash in between can still mail twice, the one window left (docs/reliability.md).
          await this.#records.deliveries.put(deliveryKey, { messageId, subscriptionId: record.id, deliveredAt: this.#clock.now() });
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
