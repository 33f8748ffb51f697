import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import {
  SluiceError, errorMessage, newId, systemClock, topicArn, topicNameFromArnOrName,
  type Clock, type Logger, type StateStore,
} from '../core/index.js';
import type { FilterPolicy, FilterableMessage } from './filter-policy.js';
import {
  AlertGate, formatDigest, parseAlertHygieneConfig, type Digest, type HygieneNotification, type HygieneTimers,
} from './hygiene.js';
import { checkTotalSize, filterableAttributes, parseMessageAttributes } from './message-attributes.js';
import { messageSelector } from './message-structure.js';
import {
  deliveryId, isRetryableDeliveryError,
  type NotificationOutbox, type QueuedDelivery, type QueuedDeliveryOutcome, type QueuedNotification,
} from './outbox.js';
import { deliveryRetryFor } from './outbox-policy.js';
import { createEmailProtocol } from './protocols/email.js';
import { createEmailJsonProtocol } from './protocols/email-json.js';
import { createFunctionProtocol, type NotificationFunctionInvoker } from './protocols/function.js';
import { createHttpProtocol } from './protocols/http.js';
import { createMqttProtocol, type NotificationMqttPublisher } from './protocols/mqtt.js';
import type { Notification, ProtocolDriver } from './protocols/protocol.js';
import {
  openCollections, toSubscription, type DeliveryRecord, type MessageRecord, type NotifyCollections, type SubscriptionRecord,
  type TokenRecord,
} from './records.js';
import type { EnvelopeSigner, SignatureVersion } from './sns-envelope.js';
import {
  applyAttributes, attributesOf, checkProtocol, compileFilterPolicy, pickAttributes, sameAttributes,
} from './subscription-attributes.js';
import { CONFIRM_TOKEN_TTL_MS, LinkTokens, tokenInvalid, type ResolvedToken } from './tokens.js';
import type { MailTransport } from './transport/port.js';
import {
  PROTOCOLS, type ConfirmOptions, type CreateTopicOptions, type Delivery, type DeliveryState, type MessageAttributes, type MessageStatus, type Protocol,
  type PublishInput, type PublishResult, type SubscribeInput, type SubscribeOptions, type Subscription,
  type SubscriptionAttributesInput, type Topic,
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
  /**
   * Signs the SNS envelopes of email-json, http, https and function
   * notifications (`NotificationSigner`); without one, those protocols are
   * refused at subscribe.
   */
  signer?: EnvelopeSigner;
  /** SNS's SignatureVersion of every envelope: "2" (SHA256withRSA, the default) or "1". */
  signatureVersion?: SignatureVersion;
  /** The `function` protocol's port onto the function runtime; without it, `function` subscriptions are refused. */
  functions?: NotificationFunctionInvoker;
  /** The `mqtt` protocol's port onto the broker; without it, `mqtt` subscriptions are refused. */
  mqtt?: NotificationMqttPublisher;
  /** http/https: per-attempt timeout (default 15 s) and the agent requests go through (e.g. trusting a private CA). */
  http?: { timeoutMs?: number; agent?: Agent };
  /**
   * Alert hygiene's timer (ends windows, sends digests): default an unref'd
   * setTimeout; `null` for none (tests call `tickAlertHygiene()`).
   */
  hygieneTimers?: HygieneTimers | null;
}

/** What a protocol needs that the options did not give, for the error when it is missing. */
const MISSING_PORT: Partial<Record<Protocol, string>> = {
  'email-json': 'a notification signer',
  http: 'a notification signer',
  https: 'a notification signer',
  function: 'a notification signer and a function invoker',
  mqtt: 'an MQTT publisher',
};

/** Protocols whose subscription stays pending when its confirmation cannot be sent (SNS: the endpoint may be down for now). */
const PENDING_ON_CONFIRMATION_FAILURE: ReadonlySet<Protocol> = new Set(['http', 'https']);

/** Compiled filter policies kept, by scope and document; cleared when full. */
const FILTER_CACHE_SIZE = 1_000;

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
  readonly #drivers: Partial<Record<Protocol, ProtocolDriver>>;
  readonly #publicUrl: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #outbox: NotificationOutbox | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #filters = new Map<string, FilterPolicy>();
  /** UnsubscribeConfirmations in flight (best effort, not awaited by unsubscribe). */
  readonly #background = new Set<Promise<void>>();
  /** Alert hygiene: the `dedupe` windows of topics (scope `topic:<name>`) and subscriptions (`subscription:<id>`). */
  readonly #gate: AlertGate;

  constructor(options: NotificationServiceOptions) {
    this.#records = openCollections(options.state);
    this.#clock = options.clock ?? systemClock;
    this.#tokens = new LinkTokens(this.#records.tokens, this.#clock);
    this.#drivers = createDrivers(options, this.#clock);
    this.#publicUrl = normalizePublicUrl(options.publicUrl);
    this.#logger = options.logger;
    this.#outbox = options.outbox;
    this.#gate = new AlertGate({
      state: options.state,
      clock: this.#clock,
      logger: options.logger,
      onDigest: (digest) => this.#sendDigest(digest),
      ...(options.hygieneTimers !== undefined ? { timers: options.hygieneTimers } : {}),
    });
  }

  /**
   * Alert hygiene after a (re)start: schedules the `dedupe` windows still
   * open and sends the digests of those that ended while the server was down.
   * Call once the outbox is plugged in (digests are queued there).
   */
  async resumeAlertHygiene(): Promise<void> {
    await this.#gate.resume();
  }

  /** Ends the `dedupe` windows due by now and sends their digests (what the timer does; tests call it). */
  async tickAlertHygiene(): Promise<void> {
    await this.#gate.tick();
  }

  /** Stops alert hygiene's timer; open windows and pending digests stay stored for the next `resumeAlertHygiene()`. */
  closeAlertHygiene(): void {
    this.#gate.close();
  }

  /** Plugs in the durable outbox; from then on `publish` queues instead of delivering inline. */
  setOutbox(outbox: NotificationOutbox): void {
    this.#outbox = outbox;
  }

  // ---- topics ----

  /**
   * Idempotent (SNS CreateTopic); a given displayName replaces the stored
   * one, and so does a given `dedupe` (alert hygiene; `null` clears it).
   */
  async createTopic(name: string, options: CreateTopicOptions = {}): Promise<Topic> {
    validateTopicName(name);
    if (options.displayName !== undefined) validateDisplayName(options.displayName);
    const dedupe = options.dedupe === undefined || options.dedupe === null ? options.dedupe : parseAlertHygieneConfig(options.dedupe, 'dedupe').config;
    return this.#exclusive(async () => {
      const existing = await this.#records.topics.get(name);
      const sameDedupe = dedupe === undefined || JSON.stringify(dedupe ?? undefined) === JSON.stringify(existing?.dedupe);
      if (existing && (options.displayName === undefined || options.displayName === existing.displayName) && sameDedupe) return existing;
      const topic: Topic = existing
        ? { ...existing, ...(options.displayName !== undefined ? { displayName: options.displayName } : {}) }
        : { name, arn: topicArn(name), ...(options.displayName !== undefined ? { displayName: options.displayName } : {}), createdAt: this.#now() };
      if (dedupe === null) delete topic.dedupe;
      else if (dedupe !== undefined) topic.dedupe = dedupe;
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
      await this.#gate.forget(`topic:${name}`);
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
   * subscription and sends nothing; the attributes it gives (delivery and
   * filter policies, raw delivery, HMAC secret) replace the stored ones, for
   * messages published from then on (with `replaceAttributes`, those it
   * leaves out are cleared). A new email, email-json or http(s) subscription
   * is pending and is sent a confirmation; function and mqtt ones are
   * confirmed at once. If an email confirmation cannot be sent, the
   * subscription is removed again and SLUICE_ERR_MAIL_SEND thrown, so a retry
   * starts afresh; an http(s) one stays pending with `confirmationError` (the
   * endpoint may come up later). Bad endpoints and attributes are
   * SLUICE_ERR_SUBSCRIPTION_INVALID naming the field, before anything is made.
   */
  async subscribe(topicNameOrArn: string, input: SubscribeInput, options: SubscribeOptions = {}): Promise<Subscription> {
    const driver = this.#driver(input.protocol);
    if (typeof input.endpoint !== 'string') {
      throw new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', 'endpoint: is required: a string', { place: { field: 'endpoint' } });
    }
    const endpoint = driver.normalizeEndpoint(input.endpoint);
    const change = attributesOf(input);
    const replace = options.replaceAttributes === true;
    // Checked before the topic is looked at; a scope given alone is checked against the stored policy below.
    applyAttributes(driver.protocol, {}, replace || change.filterPolicy !== undefined ? change : { ...change, filterPolicyScope: undefined }, replace);
    const created = await this.#exclusive(async () => {
      const topic = await this.getTopic(topicNameOrArn);
      const existing = (await this.#subscriptionsOf(topic.name)).find((s) => s.protocol === driver.protocol && s.endpoint === endpoint);
      if (existing) {
        const next = applyAttributes(driver.protocol, existing, change, replace);
        if (!sameAttributes(existing, next)) {
          await this.#records.subscriptions.put(existing.id, { ...withoutAttributes(existing), ...next });
          this.#logger.info({ topic: topic.name, subscription: existing.id }, 'subscription attributes updated');
        }
        return undefined;
      }
      const attributes = applyAttributes(driver.protocol, {}, change, replace);
      const id = newId();
      const record: SubscriptionRecord = {
        id, arn: `${topic.arn}:${id}`, topicName: topic.name, protocol: driver.protocol, endpoint,
        status: 'pending', createdAt: this.#now(), tokenHashes: [],
        ...attributes,
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
        if (PENDING_ON_CONFIRMATION_FAILURE.has(driver.protocol)) return this.getSubscription(created.record.id);
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

  /**
   * Sends a fresh confirmation link to a pending subscription; earlier links
   * keep working until they expire. For http/https, a POST that fails does not
   * throw: the subscription comes back with `confirmationError`.
   */
  async resendConfirmation(subscriptionId: string): Promise<Subscription> {
    const sub = await this.getSubscription(subscriptionId);
    if (sub.status !== 'pending') {
      throw new SluiceError('SLUICE_ERR_SUBSCRIPTION_INVALID', `subscription ${sub.id} is already confirmed`, { details: { subscriptionId: sub.id } });
    }
    try {
      await this.#sendConfirmation(await this.getTopic(sub.topicName), sub.id);
    } catch (error) {
      if (!PENDING_ON_CONFIRMATION_FAILURE.has(sub.protocol)) throw error;
    }
    return this.getSubscription(sub.id);
  }

  /**
   * SNS's SetSubscriptionAttributes, several at once: a value replaces the
   * stored one, `null` clears it, a field left out stays. Applies to messages
   * published from then on. Throws SLUICE_ERR_SUBSCRIPTION_INVALID naming the field.
   */
  async setSubscriptionAttributes(idOrArn: string, change: SubscriptionAttributesInput): Promise<Subscription> {
    return this.#exclusive(async () => {
      const record = await this.#records.subscriptions.get(subscriptionIdOf(idOrArn));
      if (!record) throw notFound(subscriptionIdOf(idOrArn));
      const next = applyAttributes(record.protocol, record, change);
      if (sameAttributes(record, next)) return toSubscription(record);
      const updated: SubscriptionRecord = { ...withoutAttributes(record), ...next };
      await this.#records.subscriptions.put(record.id, updated);
      this.#logger.info({ topic: record.topicName, subscription: record.id }, 'subscription attributes updated');
      return toSubscription(updated);
    });
  }

  /** The endpoint in the form a subscription of `protocol` stores it (SLUICE_ERR_SUBSCRIPTION_INVALID if it is not one). */
  normalizeEndpoint(protocol: Protocol, endpoint: string): string {
    return this.#driver(protocol).normalizeEndpoint(endpoint);
  }

  /**
   * Confirms the subscription a confirmation link names. The link keeps working
   * until it expires and a second use returns the same confirmed subscription,
   * because mail scanners often open links before the person does.
   */
  async confirm(token: string, options: ConfirmOptions = {}): Promise<Subscription> {
    return this.#exclusive(async () => {
      const link = await this.#tokens.resolve(token, ['confirm', 'restore']);
      if (link.purpose === 'restore') return this.#restore(link);
      const record = await this.#records.subscriptions.get(link.subscriptionId);
      if (!record) throw tokenInvalid('confirm', 'unknown or already used');
      const authenticate = options.authenticateOnUnsubscribe === true && record.authenticateOnUnsubscribe !== true;
      if (authenticate) record.authenticateOnUnsubscribe = true;
      if (record.status !== 'confirmed') {
        await this.#markConfirmed(record);
        this.#logger.info({ topic: record.topicName, subscription: record.id, authenticateOnUnsubscribe: record.authenticateOnUnsubscribe === true }, 'subscription confirmed');
      } else if (authenticate) {
        await this.#records.subscriptions.put(record.id, record);
        this.#logger.info({ topic: record.topicName, subscription: record.id }, 'subscription now needs authentication to unsubscribe');
      }
      return toSubscription(record);
    });
  }

  /**
   * Deletes the subscription an unsubscribe link names and returns it; the
   * link is then used up. A subscription confirmed with
   * AuthenticateOnUnsubscribe is not deleted: SLUICE_ERR_FORBIDDEN (only
   * `unsubscribeById`, behind an admin token, removes it).
   */
  async unsubscribe(token: string): Promise<Subscription> {
    const removed = await this.#exclusive(async () => {
      const link = await this.#tokens.resolve(token, 'unsubscribe');
      const record = await this.#records.subscriptions.get(link.subscriptionId);
      if (!record) throw tokenInvalid('unsubscribe', 'unknown or already used');
      if (record.authenticateOnUnsubscribe === true) {
        throw new SluiceError(
          'SLUICE_ERR_FORBIDDEN',
          `this subscription of ${record.endpoint} to the topic ${record.topicName} was confirmed with AuthenticateOnUnsubscribe, so this link does not remove it; the topic's owner can, with an admin API token (DELETE /api/v1/subscriptions/${record.id})`,
          { details: { reason: 'authenticate-on-unsubscribe', subscriptionArn: record.arn } },
        );
      }
      await this.#remove(record);
      return record;
    });
    await this.#afterRemoval(removed);
    return toSubscription(removed);
  }

  /** By id or subscription ARN; returns whether a subscription was deleted. */
  async unsubscribeById(idOrArn: string): Promise<boolean> {
    const removed = await this.#exclusive(async () => {
      const record = await this.#records.subscriptions.get(subscriptionIdOf(idOrArn));
      if (!record) return undefined;
      await this.#remove(record);
      return record;
    });
    if (!removed) return false;
    await this.#afterRemoval(removed);
    return true;
  }

  /** Resolves once the UnsubscribeConfirmations in flight are sent (or failed): for tests and shutdown. */
  async idle(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  /** By id or subscription ARN; throws SLUICE_ERR_NOT_FOUND. */
  async getSubscription(idOrArn: string): Promise<Subscription> {
    const id = subscriptionIdOf(idOrArn);
    const record = await this.#records.subscriptions.get(id);
    if (!record) throw notFound(id);
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
   * To every confirmed subscription of the topic whose filter policy (if it
   * has one) matches the message; the others are counted in `filtered` and,
   * as in SNS, get nothing. Message attributes are checked (SNS's rules) and
   * go with the notification; with MessageStructure json each subscription
   * gets its protocol's message (a MessageBody filter policy looks at that one).
   *
   * With an outbox: records the message, queues one delivery per subscription
   * (durably: resolves after the commit) and returns them as `queued`; the
   * outbox delivers and retries them on their protocol's schedule. A message
   * id already delivered to a subscription is `duplicate` and not queued.
   *
   * Without one: delivers inline, once. One subscriber's failure is recorded
   * and logged and does not stop the others.
   *
   * Alert hygiene (`dedupe`, not in SNS): a topic's window is checked once,
   * after the filter policies and only if some confirmed subscription would
   * get the message; when it holds the message back nothing is queued
   * (`suppressed: true`, no deliveries, no message record). Then each
   * subscription with its own window; those it holds back are counted in
   * `suppressedSubscriptions`. Digests of what was held back are sent by
   * `#sendDigest`, past the filter policies and the windows.
   */
  async publish(input: PublishInput): Promise<PublishResult> {
    validateMessage(input.message);
    if (input.subject !== undefined) validateSubject(input.subject);
    const { attributes, bytes } = parseMessageAttributes(input.messageAttributes);
    checkTotalSize(Buffer.byteLength(input.message, 'utf8'), bytes);
    const select = messageSelector(input.message, input.messageStructure);
    const topic = await this.getTopic(input.topic);
    const messageId = input.messageId ?? newId();
    const timestamp = this.#clock.now();
    const hygiene = (message: string): HygieneNotification => ({
      message,
      // Only a caller's id is stable: a retried publish with it is not held back as a repeat of itself.
      ...(input.messageId !== undefined ? { id: input.messageId } : {}),
      ...(input.subject !== undefined ? { subject: input.subject } : {}),
      ...(input.messageAttributes !== undefined ? { messageAttributes: input.messageAttributes } : {}),
    });
    const confirmed = (await this.#subscriptionsOf(topic.name)).filter((s) => s.status === 'confirmed').sort(byCreation);
    const hasAttributes = Object.keys(attributes).length > 0;
    // One FilterableMessage per distinct body: the filter code caches its parse per object.
    const filterable = new Map<string, FilterableMessage>();
    const filterAttributes = filterableAttributes(attributes);
    const matching: Array<{ record: SubscriptionRecord; message: string }> = [];
    let filtered = 0;
    for (const record of confirmed) {
      const message = select(record.protocol);
      if (record.filterPolicy !== undefined) {
        let candidate = filterable.get(message);
        if (!candidate) filterable.set(message, (candidate = { attributes: filterAttributes, body: message }));
        if (!this.#matches(record, candidate)) {
          filtered += 1;
          continue;
        }
      }
      matching.push({ record, message });
    }
    // The topic's window is consulted only for a message someone would get: one that reaches nobody
    // (no confirmed subscriber yet, or all filtered out) does not open a window that would hold back the first real alert.
    if (topic.dedupe !== undefined && matching.length > 0) {
      // With MessageStructure json, the key looks at the default message.
      const verdict = await this.#admit(`topic:${topic.name}`, topic.dedupe, hygiene(input.messageStructure === 'json' ? defaultMessage(input.message) : input.message));
      if (verdict === 'suppressed') {
        this.#logger.info({ topic: topic.name, messageId }, 'message held back by the topic\'s dedupe window');
        return { messageId, deliveries: [], filtered, suppressed: true };
      }
    }
    const targets: PublishTarget[] = [];
    let suppressed = 0;
    for (const { record, message } of matching) {
      if (record.dedupe !== undefined && (await this.#admit(`subscription:${record.id}`, record.dedupe, hygiene(message))) === 'suppressed') {
        suppressed += 1;
        continue;
      }
      targets.push({
        record,
        notification: {
          messageId, message, timestamp,
          ...(input.subject !== undefined ? { subject: input.subject } : {}),
          ...(hasAttributes ? { messageAttributes: attributes } : {}),
        },
      });
    }
    const held = suppressed > 0 ? { suppressedSubscriptions: suppressed } : {};
    if (this.#outbox) return { ...(await this.#publishToOutbox(this.#outbox, topic, targets, { messageId, timestamp, filtered }, input)), ...held };
    const deliveries = await mapLimit(targets, PUBLISH_CONCURRENCY, async ({ record, notification }): Promise<Delivery> => {
      const base = { subscriptionId: record.id, endpoint: record.endpoint };
      const deliveryKey = deliveryId(messageId, record.id);
      if (input.messageId !== undefined && isDelivered(await this.#records.deliveries.get(deliveryKey))) return { ...base, status: 'duplicate' };
      try {
        await this.#driver(record.protocol).deliver(this.#notificationFor(topic, record, notification));
        if (input.messageId !== undefined) {
          // Recorded after the send: a crash in between can still mail twice, the one window left (docs/reliability.md).
          await this.#records.deliveries.put(deliveryKey, { messageId, subscriptionId: record.id, deliveredAt: this.#clock.now(), status: 'delivered' });
        }
        return { ...base, status: 'sent' };
      } catch (error) {
        this.#logger.warn({ topic: topic.name, subscription: record.id, messageId, err: errorMessage(error) }, 'notification delivery failed');
        return { ...base, status: 'failed', error: errorMessage(error) };
      }
    });
    const failed = deliveries.filter((d) => d.status === 'failed').length;
    this.#logger.info({ topic: topic.name, messageId, sent: deliveries.length - failed, failed, filtered, ...held }, 'message published');
    return { messageId, deliveries, filtered, ...held };
  }

  /** The gate's verdict; a stored `dedupe` that no longer compiles lets everything through (logged). */
  async #admit(scope: string, config: NonNullable<Topic['dedupe']>, notification: HygieneNotification): Promise<'send' | 'suppressed'> {
    try {
      return await this.#gate.admit(scope, config, notification);
    } catch (error) {
      this.#logger.error({ scope, err: errorMessage(error) }, 'alert hygiene: the dedupe check failed; the message is sent');
      return 'send';
    }
  }

  /**
   * The AlertGate's `onDigest`: the digest (`formatDigest`) as a notification
   * to the scope's targets, not through the gate again and past filter
   * policies: a topic's digest to every confirmed subscription of the topic,
   * a subscription's to that subscription. Its message id is derived from the
   * window, so a digest sent again (at least once) is a `duplicate` where it
   * was delivered. A topic or subscription deleted meanwhile gets nothing.
   */
  async #sendDigest(digest: Digest): Promise<void> {
    const { subject, message } = formatDigest(digest);
    let topicName: string;
    let records: SubscriptionRecord[];
    if (digest.scope.startsWith('topic:')) {
      topicName = digest.scope.slice('topic:'.length);
      records = (await this.#subscriptionsOf(topicName)).filter((s) => s.status === 'confirmed').sort(byCreation);
    } else if (digest.scope.startsWith('subscription:')) {
      const record = await this.#records.subscriptions.get(digest.scope.slice('subscription:'.length));
      if (!record || record.status !== 'confirmed') {
        this.#logger.info({ scope: digest.scope }, 'alert hygiene: digest dropped, the subscription is gone');
        return;
      }
      topicName = record.topicName;
      records = [record];
    } else {
      this.#logger.warn({ scope: digest.scope }, 'alert hygiene: digest of an unknown scope dropped');
      return;
    }
    const topic = await this.#records.topics.get(topicName);
    if (!topic) {
      this.#logger.info({ scope: digest.scope }, 'alert hygiene: digest dropped, the topic is gone');
      return;
    }
    const messageId = digestMessageId(digest);
    const timestamp = this.#clock.now();
    const targets: PublishTarget[] = records.map((record) => ({ record, notification: { messageId, message, subject, timestamp } }));
    if (this.#outbox) {
      await this.#publishToOutbox(this.#outbox, topic, targets, { messageId, timestamp, filtered: 0 }, { topic: topic.name, message, subject, messageId });
      return;
    }
    const failures: string[] = [];
    for (const { record, notification } of targets) {
      const key = deliveryId(messageId, record.id);
      if (isDelivered(await this.#records.deliveries.get(key))) continue;
      try {
        await this.#driver(record.protocol).deliver(this.#notificationFor(topic, record, notification));
        await this.#records.deliveries.put(key, { messageId, subscriptionId: record.id, deliveredAt: this.#clock.now(), status: 'delivered' });
      } catch (error) {
        failures.push(`${record.id}: ${errorMessage(error)}`);
      }
    }
    // The gate tries again later; the deliveries recorded above are not repeated.
    if (failures.length > 0) throw new Error(`digest not delivered to ${failures.join('; ')}`);
    this.#logger.info({ topic: topic.name, scope: digest.scope, messageId, sent: targets.length }, 'alert hygiene: digest sent');
  }

  async #publishToOutbox(
    outbox: NotificationOutbox, topic: Topic, targets: PublishTarget[], published: { messageId: string; timestamp: number; filtered: number }, input: PublishInput,
  ): Promise<PublishResult> {
    const { messageId, timestamp, filtered } = published;
    const deliveries: Delivery[] = [];
    const queued: QueuedDelivery[] = [];
    for (const { record, notification } of targets) {
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
      messageId, topicName: topic.name, publishedAt: timestamp,
      ...(input.subject !== undefined ? { subject: input.subject } : {}),
      subscriptionIds: queued.map((d) => d.subscriptionId),
    });
    if (queued.length > 0) await outbox.enqueue(queued);
    this.#logger.info({ topic: topic.name, messageId, queued: queued.length, duplicate: deliveries.length - queued.length, filtered }, 'message published');
    return { messageId, deliveries, filtered };
  }

  /** Whether the subscription's filter policy matches; a stored policy that no longer compiles matches nothing (logged). */
  #matches(record: SubscriptionRecord, message: FilterableMessage): boolean {
    const scope = record.filterPolicyScope ?? 'MessageAttributes';
    const key = `${scope}\n${JSON.stringify(record.filterPolicy)}`;
    let policy = this.#filters.get(key);
    if (!policy) {
      try {
        policy = compileFilterPolicy(record.filterPolicy, scope);
      } catch (error) {
        this.#logger.error({ topic: record.topicName, subscription: record.id, err: errorMessage(error) }, 'stored filter policy does not compile; nothing is delivered to the subscription');
        return false;
      }
      if (this.#filters.size >= FILTER_CACHE_SIZE) this.#filters.clear();
      this.#filters.set(key, policy);
    }
    return policy.matches(message);
  }

  /** What a driver gets for one queued (or inline) notification to one subscription. */
  #notificationFor(topic: Topic, record: SubscriptionRecord, notification: QueuedNotification): Notification {
    if (record.unsubscribeToken === undefined) throw new Error('subscription has no unsubscribe link');
    return {
      topic,
      subscription: toSubscription(record),
      messageId: notification.messageId,
      message: notification.message,
      ...(notification.subject !== undefined ? { subject: notification.subject } : {}),
      unsubscribeUrl: this.#link('unsubscribe', record.unsubscribeToken),
      timestamp: notification.timestamp,
      ...(notification.messageAttributes !== undefined ? { messageAttributes: notification.messageAttributes as MessageAttributes } : {}),
      ...(record.hmacSecret !== undefined ? { hmacSecret: record.hmacSecret } : {}),
    };
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
      await this.#driver(record.protocol).deliver(this.#notificationFor(topic, record, notification));
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
  async pruneRecords(retentionMs = DELIVERY_RECORD_RETENTION_MS): Promise<{ deliveries: number; messages: number; tokens: number }> {
    const cutoff = this.#clock.now() - retentionMs;
    // Expired links: confirmation links of subscriptions never confirmed, restore links never used.
    const tokens = await this.#tokens.pruneExpired(this.#clock.now());
    let deliveries = 0;
    let messages = 0;
    for (const { id, doc } of await this.#records.deliveries.list()) {
      if (doc.deliveredAt < cutoff && (await this.#records.deliveries.delete(id))) deliveries += 1;
    }
    for (const { id, doc } of await this.#records.messages.list()) {
      if (doc.publishedAt < cutoff && (await this.#records.messages.delete(id))) messages += 1;
    }
    if (deliveries + messages + tokens > 0) this.#logger.info({ deliveries, messages, tokens, retentionMs }, 'old notification records pruned');
    return { deliveries, messages, tokens };
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
    const checked = checkProtocol(protocol);
    const driver = this.#drivers[checked];
    if (!driver) {
      const offered = PROTOCOLS.filter((p) => this.#drivers[p] !== undefined).join(', ');
      throw new SluiceError(
        'SLUICE_ERR_SUBSCRIPTION_INVALID',
        `protocol ${checked} is not available here: it needs ${MISSING_PORT[checked] ?? 'a driver'}, which this notification service was built without (available: ${offered})`,
        { place: { field: 'protocol' } },
      );
    }
    return driver;
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
    const { record, token } = issued;
    try {
      await this.#driver(record.protocol).sendConfirmation({
        topic,
        subscription: toSubscription(record),
        confirmUrl: this.#link('confirm', token.token),
        token: token.token,
        expiresAt: token.expiresAt ?? Infinity,
        ...(record.hmacSecret !== undefined ? { hmacSecret: record.hmacSecret } : {}),
      });
    } catch (error) {
      if (PENDING_ON_CONFIRMATION_FAILURE.has(record.protocol)) {
        this.#logger.warn({ topic: topic.name, subscription: record.id, err: errorMessage(error) }, 'subscription confirmation could not be sent; the subscription stays pending');
        await this.#setConfirmationError(record.id, errorMessage(error));
      }
      throw error;
    }
    if (record.confirmationError !== undefined) await this.#setConfirmationError(record.id, undefined);
  }

  /** Re-read under the lock: the endpoint may have confirmed meanwhile (it GETs the link while answering the POST). */
  async #setConfirmationError(subscriptionId: string, error: string | undefined): Promise<void> {
    await this.#exclusive(async () => {
      const record = await this.#records.subscriptions.get(subscriptionId);
      if (!record || record.confirmationError === error) return;
      if (error === undefined || record.status !== 'pending') delete record.confirmationError;
      else record.confirmationError = error;
      await this.#records.subscriptions.put(record.id, record);
    });
  }

  /** Confirms in place and stores; the unsubscribe link is made once here and reused by every notification. */
  async #markConfirmed(record: SubscriptionRecord): Promise<void> {
    const unsubscribe = await this.#tokens.issue('unsubscribe', record.id);
    record.status = 'confirmed';
    record.confirmedAt = this.#now();
    delete record.confirmationError;
    record.unsubscribeToken = unsubscribe.token;
    record.tokenHashes.push(unsubscribe.hash);
    await this.#records.subscriptions.put(record.id, record);
  }

  /**
   * A restore link (the SubscribeURL of an UnsubscribeConfirmation): brings
   * the removed subscription back, confirmed, with its id and attributes. A
   * second use, or a subscription made again meanwhile, returns the one there is.
   */
  async #restore(link: ResolvedToken): Promise<Subscription> {
    const saved = link.restore;
    if (!saved) throw tokenInvalid('restore', 'unknown or already used');
    const again = await this.#records.subscriptions.get(saved.id);
    if (again) return toSubscription(again);
    const topic = await this.#records.topics.get(saved.topicName);
    if (!topic) throw tokenInvalid('restore', `no longer usable: the topic ${saved.topicName} was deleted`);
    const same = (await this.#subscriptionsOf(topic.name)).find((s) => s.protocol === saved.protocol && s.endpoint === saved.endpoint);
    if (same) return toSubscription(same);
    const record: SubscriptionRecord = { ...saved, status: 'pending', tokenHashes: [link.hash] };
    delete record.confirmedAt;
    await this.#markConfirmed(record);
    this.#logger.info({ topic: record.topicName, subscription: record.id }, 'subscription restored');
    return toSubscription(record);
  }

  /**
   * http/https: SNS's UnsubscribeConfirmation to the endpoint, with a restore
   * link as its SubscribeURL (valid 3 days). Best effort and not awaited: a
   * slow or dead endpoint does not hold up the unsubscribe; failures are logged.
   */
  async #afterRemoval(record: SubscriptionRecord): Promise<void> {
    const driver = this.#drivers[record.protocol];
    if (!driver?.sendUnsubscribeConfirmation || record.status !== 'confirmed') return;
    const send = driver.sendUnsubscribeConfirmation.bind(driver);
    const context = { topic: record.topicName, subscription: record.id };
    const task = (async () => {
      const topic = await this.#records.topics.get(record.topicName);
      if (!topic) return;
      const { tokenHashes: _hashes, unsubscribeToken: _token, ...saved } = record;
      const restore = await this.#tokens.issue('restore', record.id, CONFIRM_TOKEN_TTL_MS, { restore: saved as TokenRecord['restore'] });
      await send({
        topic,
        subscription: toSubscription(record),
        subscribeUrl: this.#link('confirm', restore.token),
        token: restore.token,
        ...(record.hmacSecret !== undefined ? { hmacSecret: record.hmacSecret } : {}),
      });
      this.#logger.info(context, 'unsubscribe confirmation sent');
    })().catch((error: unknown) => this.#logger.warn({ ...context, err: errorMessage(error) }, 'unsubscribe confirmation could not be sent'));
    this.#background.add(task);
    void task.finally(() => this.#background.delete(task));
  }

  async #remove(record: SubscriptionRecord): Promise<void> {
    await this.#tokens.revoke(record.tokenHashes);
    await this.#records.subscriptions.delete(record.id);
    await this.#gate.forget(`subscription:${record.id}`);
    this.#logger.info({ topic: record.topicName, subscription: record.id }, 'subscription deleted');
  }

  #link(kind: 'confirm' | 'unsubscribe', token: string): string {
    return `${this.#publicUrl}/notify/${kind}/${token}`;
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

interface PublishTarget {
  record: SubscriptionRecord;
  notification: QueuedNotification;
}

function createDrivers(options: NotificationServiceOptions, clock: Clock): Partial<Record<Protocol, ProtocolDriver>> {
  const { signer, signatureVersion } = options;
  const signing = { ...(signatureVersion !== undefined ? { signatureVersion } : {}), clock };
  const drivers: Partial<Record<Protocol, ProtocolDriver>> = {
    email: createEmailProtocol({ transport: options.transport, from: options.from }),
  };
  if (signer) {
    drivers['email-json'] = createEmailJsonProtocol({ transport: options.transport, from: options.from, signer, ...signing });
    for (const protocol of ['http', 'https'] as const) {
      drivers[protocol] = createHttpProtocol({
        protocol, signer, ...signing,
        ...(options.http?.timeoutMs !== undefined ? { timeoutMs: options.http.timeoutMs } : {}),
        ...(options.http?.agent !== undefined ? { agent: options.http.agent } : {}),
      });
    }
    if (options.functions) drivers.function = createFunctionProtocol({ invoker: options.functions, signer, ...signing });
  }
  if (options.mqtt) drivers.mqtt = createMqttProtocol({ publisher: options.mqtt });
  return drivers;
}

/** The record without its attribute fields, so the ones applied replace them exactly. */
function withoutAttributes(record: SubscriptionRecord): SubscriptionRecord {
  const copy = { ...record };
  for (const key of Object.keys(pickAttributes(record)) as Array<keyof SubscriptionRecord>) delete copy[key];
  return copy;
}

function notFound(id: string): SluiceError {
  return new SluiceError('SLUICE_ERR_NOT_FOUND', `no subscription with id ${JSON.stringify(id)}`, { details: { subscriptionId: id } });
}

/** A delivery record of a sent delivery (records from before the outbox have no status: sent). */
function isDelivered(record: DeliveryRecord | undefined): boolean {
  return record !== undefined && record.status !== 'skipped';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** With MessageStructure json, the `default` message (already checked by `messageSelector`). */
function defaultMessage(message: string): string {
  const parsed = JSON.parse(message) as { default?: unknown };
  return typeof parsed.default === 'string' ? parsed.default : message;
}

/** A UUID-shaped message id derived from the digest's window: the same digest sent twice has the same id. */
function digestMessageId(digest: Digest): string {
  const hex = createHash('sha256').update(JSON.stringify(['digest', digest.scope, digest.key, digest.windowStart, digest.windowEnd])).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
