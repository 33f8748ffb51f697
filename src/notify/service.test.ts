import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError, hashToken, isSluiceError, silentLogger, type ErrorCode } from '../core/index.js';
import { NotificationService } from './service.js';
import type { StateStore } from '../core/index.js';
import { createMemoryStateStore } from '../state/index.js';

/** A collection's documents by id, to check what is stored (never a plain token). */
async function dump(state: StateStore, name: string): Promise<Record<string, unknown>> {
  return Object.fromEntries((await state.collection(name).list()).map((entry) => [entry.id, entry.doc]));
}
import { createMemoryTransport } from './transport/memory.js';
import type { MailMessage, MailTransport, MailboxEntry } from './transport/port.js';
import type { NotificationOutbox, OutboxEntryState, QueuedDelivery } from './outbox.js';
import { CONFIRM_TOKEN_TTL_MS } from './tokens.js';

const PUBLIC_URL = 'http://127.0.0.1:8080';
const FROM = 'Sluice <no-reply@sluice.local>';
const ALERT = { subject: 'Attention:Humidity Under Threshold', message: 'Humidity 29 under threshold for device name soilSensor3' };

function setup(options: { transport?: MailTransport; wrapTransport?: (mail: MailTransport) => MailTransport; publicUrl?: string; outbox?: NotificationOutbox } = {}) {
  const clock = { t: Date.parse('2020-08-27T13:47:52.677Z'), now() { return this.t; } };
  const mail = createMemoryTransport({ clock });
  const state = createMemoryStateStore();
  const service = new NotificationService({
    state, transport: options.transport ?? options.wrapTransport?.(mail) ?? mail, publicUrl: options.publicUrl ?? `${PUBLIC_URL}/`, from: FROM, logger: silentLogger(), clock,
    ...(options.outbox ? { outbox: options.outbox } : {}),
  });
  return { service, mail, state, clock };
}

/** An outbox that keeps what it is given; `states` is what it reports per delivery id. */
function fakeOutbox() {
  const queued: QueuedDelivery[] = [];
  const states = new Map<string, OutboxEntryState>();
  const outbox: NotificationOutbox = {
    async enqueue(deliveries) {
      for (const delivery of deliveries) {
        if (queued.some((q) => q.id === delivery.id)) continue;
        queued.push(structuredClone(delivery));
        states.set(delivery.id, { state: 'ready', attempts: 0, notBefore: 0 });
      }
    },
    async state(id) {
      return states.get(id);
    },
  };
  return { outbox, queued, states };
}

function linkToken(entry: MailboxEntry | undefined, kind: 'confirm' | 'unsubscribe'): string {
  assert.ok(entry, 'expected a mail');
  const match = new RegExp(`${PUBLIC_URL.replaceAll('.', '\\.')}/notify/${kind}/([A-Za-z0-9_-]+)`).exec(entry.text);
  assert.ok(match?.[1], `no ${kind} link in:\n${entry.text}`);
  return match[1];
}

function isCode(code: ErrorCode) {
  return (error: unknown) => isSluiceError(error) && error.code === code;
}

/** Topic `alerts` with one confirmed email subscriber; returns the confirmed subscription. */
async function confirmedSubscriber(ctx: ReturnType<typeof setup>, endpoint = 'ops@example.com') {
  await ctx.service.createTopic('alerts');
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint });
  return ctx.service.confirm(linkToken(ctx.mail.sent.at(-1), 'confirm'));
}

test('subscribe: the subscription is pending and a confirmation mail with the link is sent', async () => {
  const ctx = setup();
  const topic = await ctx.service.createTopic('alerts', { displayName: 'Soil alerts' });
  const sub = await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' });

  assert.equal(sub.status, 'pending');
  assert.equal(sub.arn, `${topic.arn}:${sub.id}`);
  assert.equal(sub.confirmedAt, undefined);
  assert.equal(ctx.mail.sent.length, 1);
  const mail = ctx.mail.sent[0];
  assert.ok(mail);
  assert.equal(mail.to, 'ops@example.com');
  assert.equal(mail.from, FROM);
  assert.equal(mail.subject, 'Sluice Notification - Subscription Confirmation');
  assert.ok(mail.text.includes(topic.arn));
  const token = linkToken(mail, 'confirm');
  assert.equal(token.length, 43, '256 bits in base64url');
  assert.ok(mail.html?.includes(`href="${PUBLIC_URL}/notify/confirm/${token}"`));

  // Stored only hashed: the secret appears nowhere in the state.
  const tokens = (await dump(ctx.state, 'notify.tokens'));
  assert.deepEqual(tokens[hashToken(token)], { purpose: 'confirm', subscriptionId: sub.id, expiresAt: ctx.clock.t + CONFIRM_TOKEN_TTL_MS });
  for (const name of ['notify.tokens', 'notify.subscriptions', 'notify.topics']) {
    assert.ok(!JSON.stringify((await dump(ctx.state, name))).includes(token), `${name} holds the token in clear`);
  }
});

test('publish: a pending subscription receives nothing', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' });
  const result = await ctx.service.publish({ topic: 'alerts', ...ALERT });
  assert.deepEqual(result.deliveries, []);
  assert.equal(ctx.mail.sent.length, 1, 'only the confirmation');
});

test('confirm: the token from the mail confirms; a second use returns the same subscription', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  const pending = await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' });
  const token = linkToken(ctx.mail.sent[0], 'confirm');

  const confirmed = await ctx.service.confirm(token);
  assert.equal(confirmed.id, pending.id);
  assert.equal(confirmed.status, 'confirmed');
  assert.equal(confirmed.confirmedAt, new Date(ctx.clock.t).toISOString());
  assert.deepEqual(await ctx.service.confirm(token), confirmed);
  assert.deepEqual(await ctx.service.getSubscription(pending.id), confirmed);
  assert.equal(ctx.mail.sent.length, 1);
});

test('publish: confirmed subscribers get the exact subject and message, then the unsubscribe footer', async () => {
  const ctx = setup();
  const sub = await confirmedSubscriber(ctx);
  const result = await ctx.service.publish({ topic: 'alerts', ...ALERT });

  assert.deepEqual(result.deliveries, [{ subscriptionId: sub.id, endpoint: 'ops@example.com', status: 'sent' }]);
  const mail = ctx.mail.sent.at(-1);
  assert.ok(mail);
  assert.equal(mail.to, 'ops@example.com');
  assert.equal(mail.subject, ALERT.subject);
  assert.ok(mail.text.startsWith(`${ALERT.message}\n\n--\n`));
  const token = linkToken(mail, 'unsubscribe');
  assert.equal(mail.headers['List-Unsubscribe'], `<${PUBLIC_URL}/notify/unsubscribe/${token}>`);
  assert.equal(mail.headers['X-Sluice-Message-Id'], result.messageId);

  // The same unsubscribe link in every notification.
  await ctx.service.publish({ topic: 'alerts', message: 'second' });
  assert.equal(linkToken(ctx.mail.sent.at(-1), 'unsubscribe'), token);
});

test('publish: a repeated message id is not delivered twice to the same subscriber, but reaches new ones', async () => {
  const ctx = setup();
  const first = await confirmedSubscriber(ctx);
  const messageId = '6f1c1e0e-8f3a-4b51-9d7e-1b2c3d4e5f60';
  const sent = await ctx.service.publish({ topic: 'alerts', ...ALERT, messageId });
  assert.equal(sent.messageId, messageId);
  assert.deepEqual(sent.deliveries.map((d) => d.status), ['sent']);
  const mails = ctx.mail.sent.length;

  const again = await ctx.service.publish({ topic: 'alerts', ...ALERT, messageId });
  assert.deepEqual(again.deliveries, [{ subscriptionId: first.id, endpoint: 'ops@example.com', status: 'duplicate' }]);
  assert.equal(ctx.mail.sent.length, mails, 'no second mail');

  const second = await confirmedSubscriber(ctx, 'night@example.com');
  const third = await ctx.service.publish({ topic: 'alerts', ...ALERT, messageId });
  const statusOf = new Map(third.deliveries.map((d) => [d.subscriptionId, d.status]));
  assert.deepEqual(Object.fromEntries(statusOf), { [first.id]: 'duplicate', [second.id]: 'sent' });
  // Without an id, every publish is a new message.
  await ctx.service.publish({ topic: 'alerts', ...ALERT });
  await ctx.service.publish({ topic: 'alerts', ...ALERT });
  assert.equal(ctx.mail.sent.filter((m) => m.to === 'night@example.com' && m.subject === ALERT.subject).length, 3);
});

test('publish: multi-line messages are kept exactly; default subjects follow SNS', async () => {
  const ctx = setup();
  await confirmedSubscriber(ctx);
  const message = '{"humidity":29}\n  second line\n\nthird\n';
  await ctx.service.publish({ topic: 'alerts', message });
  const mail = ctx.mail.sent.at(-1);
  assert.equal(mail?.subject, 'Sluice Notification');
  assert.ok(mail?.text.startsWith(`${message}\n\n--\n`));

  await ctx.service.createTopic('alerts', { displayName: 'Soil alerts' });
  await ctx.service.publish({ topic: topicArnOf('alerts'), message: 'by ARN' });
  assert.equal(ctx.mail.sent.at(-1)?.subject, 'Soil alerts');
});

function topicArnOf(name: string): string {
  return `arn:sluice:sns:local:000000000000:${name}`;
}

test('unsubscribe: the link from a notification removes the subscription; no more mail; link used up', async () => {
  const ctx = setup();
  const sub = await confirmedSubscriber(ctx);
  await ctx.service.publish({ topic: 'alerts', ...ALERT });
  const token = linkToken(ctx.mail.sent.at(-1), 'unsubscribe');

  const removed = await ctx.service.unsubscribe(token);
  assert.equal(removed.id, sub.id);
  const sent = ctx.mail.sent.length;
  assert.deepEqual((await ctx.service.publish({ topic: 'alerts', ...ALERT })).deliveries, []);
  assert.equal(ctx.mail.sent.length, sent);
  assert.deepEqual(await ctx.service.listSubscriptions('alerts'), []);
  assert.deepEqual((await dump(ctx.state, 'notify.tokens')), {}, 'all its links are gone');
  await assert.rejects(ctx.service.unsubscribe(token), isCode('SLUICE_ERR_TOKEN_INVALID'));
});

test('tokens: a confirmation link expires after 3 days', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'a@example.com' });
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'b@example.com' });
  const [first, second] = ctx.mail.sent.map((m) => linkToken(m, 'confirm'));
  assert.ok(first && second);

  ctx.clock.t += CONFIRM_TOKEN_TTL_MS - 1;
  assert.equal((await ctx.service.confirm(first)).status, 'confirmed');
  ctx.clock.t += 1;
  await assert.rejects(ctx.service.confirm(second), (error) =>
    isCode('SLUICE_ERR_TOKEN_INVALID')(error) && /expired/.test((error as Error).message));
  // Still pending; a fresh link works.
  const pending = (await ctx.service.listSubscriptions()).find((s) => s.endpoint === 'b@example.com');
  assert.equal(pending?.status, 'pending');
  await ctx.service.resendConfirmation(pending?.id ?? '');
  assert.equal((await ctx.service.confirm(linkToken(ctx.mail.sent.at(-1), 'confirm'))).status, 'confirmed');
});

test('tokens: unknown, malformed and wrong-purpose tokens are SLUICE_ERR_TOKEN_INVALID', async () => {
  const ctx = setup();
  await confirmedSubscriber(ctx);
  const confirmToken = linkToken(ctx.mail.sent[0], 'confirm');
  await ctx.service.publish({ topic: 'alerts', ...ALERT });
  const unsubscribeToken = linkToken(ctx.mail.sent.at(-1), 'unsubscribe');

  for (const token of ['', 'nope', 'A'.repeat(43), '../../etc/passwd']) {
    await assert.rejects(ctx.service.confirm(token), isCode('SLUICE_ERR_TOKEN_INVALID'));
    await assert.rejects(ctx.service.unsubscribe(token), isCode('SLUICE_ERR_TOKEN_INVALID'));
  }
  await assert.rejects(ctx.service.confirm(unsubscribeToken), isCode('SLUICE_ERR_TOKEN_INVALID'));
  await assert.rejects(ctx.service.unsubscribe(confirmToken), isCode('SLUICE_ERR_TOKEN_INVALID'));
  assert.equal((await ctx.service.listSubscriptions())[0]?.status, 'confirmed', 'nothing changed');
});

test('subscribe: idempotent on (topic, protocol, endpoint), without a second mail', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  const [a, b] = await Promise.all([
    ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' }),
    ctx.service.subscribe(topicArnOf('alerts'), { protocol: 'email', endpoint: '  ops@EXAMPLE.com ' }),
  ]);
  assert.equal(a.id, b.id);
  assert.equal(ctx.mail.sent.length, 1);
  assert.equal((await ctx.service.listSubscriptions('alerts')).length, 1);

  // Also once confirmed; a different address or topic is a new subscription.
  await ctx.service.confirm(linkToken(ctx.mail.sent[0], 'confirm'));
  assert.equal((await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' })).status, 'confirmed');
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'Ops@example.com' });
  await ctx.service.createTopic('other');
  await ctx.service.subscribe('other', { protocol: 'email', endpoint: 'ops@example.com' });
  assert.equal((await ctx.service.listSubscriptions()).length, 3);
  assert.equal(ctx.mail.sent.length, 3);
});

test('resendConfirmation: a new link for a pending subscription; refused once confirmed', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  const sub = await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' });
  await ctx.service.resendConfirmation(sub.arn);
  const [first, second] = ctx.mail.sent.map((m) => linkToken(m, 'confirm'));
  assert.ok(first && second && first !== second);
  await ctx.service.confirm(second);
  await ctx.service.confirm(first); // the earlier link still works until it expires
  await assert.rejects(ctx.service.resendConfirmation(sub.id), isCode('SLUICE_ERR_SUBSCRIPTION_INVALID'));
  await assert.rejects(ctx.service.resendConfirmation('missing'), isCode('SLUICE_ERR_NOT_FOUND'));
});

test('subscribe: invalid email addresses are SLUICE_ERR_SUBSCRIPTION_INVALID naming the endpoint', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  for (const endpoint of ['', 'ops', 'ops@', '@example.com', 'a b@example.com', 'ops@example.com, evil@example.com', 'Ops <ops@example.com>', 'ops@exa_mple.com', 'ops@example.com\r\nBcc: x@y.z']) {
    await assert.rejects(ctx.service.subscribe('alerts', { protocol: 'email', endpoint }), (error) =>
      isCode('SLUICE_ERR_SUBSCRIPTION_INVALID')(error) && (error as Error).message.includes(JSON.stringify(endpoint)), endpoint);
  }
  await assert.rejects(
    // Simulates an unchecked API body.
    ctx.service.subscribe('alerts', { protocol: 'sms' as 'email', endpoint: '+15555550100' }),
    isCode('SLUICE_ERR_SUBSCRIPTION_INVALID'),
  );
  assert.equal(ctx.mail.sent.length, 0);
  assert.deepEqual(await ctx.service.listSubscriptions(), []);
});

test('unknown topics are SLUICE_ERR_TOPIC_NOT_FOUND', async () => {
  const ctx = setup();
  await assert.rejects(ctx.service.publish({ topic: 'nope', message: 'x' }), isCode('SLUICE_ERR_TOPIC_NOT_FOUND'));
  await assert.rejects(ctx.service.subscribe(topicArnOf('nope'), { protocol: 'email', endpoint: 'a@b.co' }), isCode('SLUICE_ERR_TOPIC_NOT_FOUND'));
  await assert.rejects(ctx.service.getTopic('nope'), isCode('SLUICE_ERR_TOPIC_NOT_FOUND'));
  await assert.rejects(ctx.service.listSubscriptions('nope'), isCode('SLUICE_ERR_TOPIC_NOT_FOUND'));
});

test('publish: one failing subscriber does not stop the others', async () => {
  const memory = createMemoryTransport();
  const flaky: MailTransport = {
    async send(mail: MailMessage) {
      if (mail.to === 'broken@example.com' && mail.subject === ALERT.subject) throw new Error('mailbox full');
      return memory.send(mail);
    },
    close: () => memory.close(),
  };
  const ctx = setup({ transport: flaky });
  await ctx.service.createTopic('alerts');
  for (const endpoint of ['a@example.com', 'broken@example.com', 'c@example.com']) {
    ctx.clock.t += 1000; // deliveries are listed oldest subscription first
    await ctx.service.subscribe('alerts', { protocol: 'email', endpoint });
    await ctx.service.confirm(linkToken(memory.sent.at(-1), 'confirm'));
  }
  const result = await ctx.service.publish({ topic: 'alerts', ...ALERT });
  assert.deepEqual(result.deliveries.map((d) => [d.endpoint, d.status, d.error]), [
    ['a@example.com', 'sent', undefined],
    ['broken@example.com', 'failed', 'mailbox full'],
    ['c@example.com', 'sent', undefined],
  ]);
  assert.deepEqual(memory.sent.slice(-2).map((m) => m.to), ['a@example.com', 'c@example.com']);
});

test('subscribe: when the confirmation cannot be sent, nothing is kept and a retry works', async () => {
  const memory = createMemoryTransport();
  let down = true;
  const ctx = setup({
    transport: { send: (mail) => (down ? Promise.reject(new Error('relay down')) : memory.send(mail)), close: () => memory.close() },
  });
  await ctx.service.createTopic('alerts');
  await assert.rejects(ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' }), /relay down/);
  assert.deepEqual(await ctx.service.listSubscriptions(), []);
  assert.deepEqual((await dump(ctx.state, 'notify.tokens')), {});
  down = false;
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' });
  assert.equal(memory.sent.length, 1);
});

test('topics: create is idempotent, get by name or ARN, delete removes subscriptions and links', async () => {
  const ctx = setup();
  const topic = await ctx.service.createTopic('alerts');
  assert.deepEqual(topic, { name: 'alerts', arn: topicArnOf('alerts'), createdAt: '2020-08-27T13:47:52.677Z' });
  ctx.clock.t += 1000;
  assert.deepEqual(await ctx.service.createTopic('alerts'), topic);
  assert.deepEqual(await ctx.service.getTopic(topic.arn), topic);
  assert.deepEqual(await ctx.service.createTopic('alerts', { displayName: 'Alerts' }), { ...topic, displayName: 'Alerts' });
  await ctx.service.createTopic('b-topic');
  assert.deepEqual((await ctx.service.listTopics()).map((t) => t.name), ['alerts', 'b-topic']);
  await assert.rejects(ctx.service.createTopic('no spaces'), isCode('SLUICE_ERR_REQUEST_INVALID'));

  await confirmedSubscriber(ctx);
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'pending@example.com' });
  assert.equal(await ctx.service.deleteTopic(topic.arn), true);
  assert.equal(await ctx.service.deleteTopic('alerts'), false);
  assert.deepEqual(await ctx.service.listSubscriptions(), []);
  assert.deepEqual((await dump(ctx.state, 'notify.tokens')), {});
  assert.deepEqual((await ctx.service.listTopics()).map((t) => t.name), ['b-topic']);
});

test('unsubscribeById: by id or ARN; false when there is none', async () => {
  const ctx = setup();
  const sub = await confirmedSubscriber(ctx);
  assert.equal(await ctx.service.unsubscribeById(sub.arn), true);
  assert.equal(await ctx.service.unsubscribeById(sub.id), false);
  assert.deepEqual((await dump(ctx.state, 'notify.tokens')), {});
});

test('publish: the message and subject are checked', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  for (const input of [{ message: '' }, { message: 'x'.repeat(256 * 1024 + 1) }, { message: 'x', subject: 'a\r\nBcc: x@y.z' }, { message: 'x', subject: 's'.repeat(101) }]) {
    await assert.rejects(ctx.service.publish({ topic: 'alerts', ...input }), isCode('SLUICE_ERR_REQUEST_INVALID'));
  }
});

test('the public URL must be http(s)', () => {
  assert.throws(() => setup({ publicUrl: 'localhost:8080' }), isCode('SLUICE_ERR_CONFIG_INVALID'));
});

// ---- with the durable outbox ----

/** Topic `alerts` with confirmed subscribers (oldest first) and a fake outbox. */
async function outboxSetup(endpoints = ['ops@example.com'], options: { wrapTransport?: (mail: MailTransport) => MailTransport } = {}) {
  const fake = fakeOutbox();
  const ctx = setup({ ...options, outbox: fake.outbox });
  await ctx.service.createTopic('alerts', { displayName: 'Soil alerts' });
  const subs = [];
  for (const endpoint of endpoints) {
    ctx.clock.t += 1000;
    await ctx.service.subscribe('alerts', { protocol: 'email', endpoint });
    subs.push(await ctx.service.confirm(linkToken(ctx.mail.sent.at(-1), 'confirm')));
  }
  return { ...ctx, ...fake, subs };
}

test('outbox publish: one queued delivery per confirmed subscription, with its schedule; nothing is sent yet', async () => {
  const ctx = await outboxSetup(['a@example.com', 'b@example.com']);
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'pending@example.com' });
  const mails = ctx.mail.sent.length;
  const result = await ctx.service.publish({ topic: 'alerts', ...ALERT, messageAttributes: { site: { DataType: 'String', StringValue: 'north' } } });

  const [a, b] = ctx.subs;
  assert.ok(a && b);
  assert.deepEqual(result.deliveries, [
    { subscriptionId: a.id, endpoint: 'a@example.com', status: 'queued' },
    { subscriptionId: b.id, endpoint: 'b@example.com', status: 'queued' },
  ]);
  assert.equal(ctx.mail.sent.length, mails, 'delivered later, by the outbox');
  const notification = { messageId: result.messageId, message: ALERT.message, subject: ALERT.subject, messageAttributes: { site: { Type: 'String', Value: 'north' } }, timestamp: ctx.clock.t };
  const retry = { maxAttempts: 50, maxAgeMs: 86_400_000, baseDelayMs: 10_000, maxDelayMs: 900_000 };
  assert.deepEqual(ctx.queued, [
    { id: `${result.messageId}:${a.id}`, topicName: 'alerts', subscriptionId: a.id, protocol: 'email', notification, retry },
    { id: `${result.messageId}:${b.id}`, topicName: 'alerts', subscriptionId: b.id, protocol: 'email', notification, retry },
  ]);
  const status = await ctx.service.messageStatus(result.messageId);
  assert.deepEqual(status.deliveries.map((d) => [d.endpoint, d.status, d.attempts]), [['a@example.com', 'queued', 0], ['b@example.com', 'queued', 0]]);
  assert.equal(status.topicArn, (await ctx.service.getTopic('alerts')).arn);
  assert.equal(status.subject, ALERT.subject);
});

test('outbox deliverQueued: sends the same mail an inline publish sends, once; the delivery record stops a repeat', async () => {
  const ctx = await outboxSetup();
  const [sub] = ctx.subs;
  assert.ok(sub);
  const { messageId } = await ctx.service.publish({ topic: 'alerts', ...ALERT });
  const [delivery] = ctx.queued;
  assert.ok(delivery);
  const target = { topic: 'alerts', subscriptionId: sub.id, protocol: 'email' };
  const before = ctx.mail.sent.length;

  assert.deepEqual(await ctx.service.deliverQueued(target, delivery.notification, delivery.id, 2), { status: 'delivered' });
  assert.equal(ctx.mail.sent.length, before + 1);
  const mail = ctx.mail.sent.at(-1);
  assert.ok(mail);
  assert.equal(mail.to, 'ops@example.com');
  assert.equal(mail.subject, ALERT.subject);
  assert.ok(mail.text.startsWith(`${ALERT.message}\n\n--\n`));
  assert.equal(mail.headers['X-Sluice-Message-Id'], messageId);
  assert.equal(mail.headers['List-Unsubscribe'], `<${PUBLIC_URL}/notify/unsubscribe/${linkToken(mail, 'unsubscribe')}>`);

  assert.deepEqual(await ctx.service.deliverQueued(target, delivery.notification, delivery.id, 1), { status: 'duplicate' });
  assert.equal(ctx.mail.sent.length, before + 1, 'no second mail');
  // The job left the outbox: the status comes from the delivery record.
  ctx.states.delete(delivery.id);
  const [state] = (await ctx.service.messageStatus(messageId)).deliveries;
  assert.deepEqual(state, {
    messageId, subscriptionId: sub.id, status: 'delivered', attempts: 2, publishedAt: new Date(ctx.clock.t).toISOString(),
    deliveredAt: new Date(ctx.clock.t).toISOString(), endpoint: 'ops@example.com', protocol: 'email',
  });

  // A retried function invocation publishes the same message id again: nothing is queued for whom it was delivered to.
  const again = await ctx.service.publish({ topic: 'alerts', ...ALERT, messageId });
  assert.deepEqual(again.deliveries.map((d) => d.status), ['duplicate']);
  assert.equal(ctx.queued.length, 1);
});

test('outbox deliverQueued: a subscription deleted meanwhile is skipped, not mailed', async () => {
  const ctx = await outboxSetup(['a@example.com', 'b@example.com']);
  const [a, b] = ctx.subs;
  assert.ok(a && b);
  const { messageId } = await ctx.service.publish({ topic: 'alerts', ...ALERT });
  assert.equal(await ctx.service.unsubscribeById(a.id), true);
  const before = ctx.mail.sent.length;
  for (const delivery of ctx.queued) {
    const outcome = await ctx.service.deliverQueued({ topic: 'alerts', subscriptionId: delivery.subscriptionId, protocol: 'email' }, delivery.notification, delivery.id, 1);
    ctx.states.delete(delivery.id);
    assert.equal(outcome.status, delivery.subscriptionId === a.id ? 'skipped' : 'delivered');
  }
  assert.deepEqual(ctx.mail.sent.slice(before).map((m) => m.to), ['b@example.com']);
  const status = await ctx.service.messageStatus(messageId);
  assert.deepEqual(status.deliveries.map((d) => [d.subscriptionId, d.status, d.endpoint, d.lastError]), [
    [a.id, 'skipped', undefined, 'the subscription was deleted before delivery'],
    [b.id, 'delivered', 'b@example.com', undefined],
  ]);
});

test('outbox deliverQueued: failures say whether to retry (SMTP 550 is final, a dead relay is not) and record nothing', async () => {
  let failure: Error = new Error('connect ECONNREFUSED 127.0.0.1:2525');
  const flaky = (memory: MailTransport): MailTransport => ({
    async send(mail) {
      if (mail.subject === ALERT.subject) throw new SluiceError('SLUICE_ERR_MAIL_SEND', `mail to ${mail.to} could not be sent: ${failure.message}`, { cause: failure });
      return memory.send(mail);
    },
    close: () => memory.close(),
  });
  const ctx = await outboxSetup(['ops@example.com'], { wrapTransport: flaky });
  const [sub] = ctx.subs;
  assert.ok(sub);
  await ctx.service.publish({ topic: 'alerts', ...ALERT });
  const [delivery] = ctx.queued;
  assert.ok(delivery);
  const target = { topic: 'alerts', subscriptionId: sub.id, protocol: 'email' };

  const down = await ctx.service.deliverQueued(target, delivery.notification, delivery.id, 1);
  assert.deepEqual(down, { status: 'failed', retryable: true, error: 'mail to ops@example.com could not be sent: connect ECONNREFUSED 127.0.0.1:2525' });
  failure = Object.assign(new Error('550 5.1.1 mailbox unavailable'), { code: 'EENVELOPE', responseCode: 550 });
  const rejected = await ctx.service.deliverQueued(target, delivery.notification, delivery.id, 2);
  assert.equal(rejected.status === 'failed' && rejected.retryable, false);
  assert.deepEqual(await dump(ctx.state, 'notify.deliveries'), {}, 'nothing recorded: a later attempt may still send it');
});

test('outbox publish: subscriptions with a delivery policy get its schedule', async () => {
  const ctx = await outboxSetup(['a@example.com']);
  const policy = { healthyRetryPolicy: { numRetries: 5, minDelayTarget: 10, maxDelayTarget: 80, backoffFunction: 'geometric' as const } };
  const sub = await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'a@example.com', deliveryPolicy: JSON.stringify(policy) });
  assert.deepEqual(sub.deliveryPolicy, policy, 'a repeat subscribe replaces the policy, and the policy is shown');
  await ctx.service.publish({ topic: 'alerts', ...ALERT });
  assert.deepEqual(ctx.queued[0]?.retry, { maxAttempts: 6, maxAgeMs: 86_400_000, baseDelayMs: 10_000, maxDelayMs: 80_000, backoff: 'geometric' });
});

test('subscribe: a delivery policy is validated before anything is created', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  await assert.rejects(
    ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'a@example.com', deliveryPolicy: { healthyRetryPolicy: { numRetries: 1000 } } }),
    (error: unknown) => isCode('SLUICE_ERR_SUBSCRIPTION_INVALID')(error) && (error as SluiceError).place?.field === 'deliveryPolicy.healthyRetryPolicy.numRetries',
  );
  assert.deepEqual(await ctx.service.listSubscriptions('alerts'), []);
  assert.equal(ctx.mail.sent.length, 0);
  const sub = await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'a@example.com', deliveryPolicy: { healthyRetryPolicy: { numRetries: 1 } } });
  assert.deepEqual((await ctx.service.getSubscription(sub.id)).deliveryPolicy, { healthyRetryPolicy: { numRetries: 1 } });
});

test('delivery status: queued, retrying, dead letter, failed (gone from the outbox unsent); newest first per subscription', async () => {
  const ctx = await outboxSetup();
  const [sub] = ctx.subs;
  assert.ok(sub);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    ctx.clock.t += 60_000;
    ids.push((await ctx.service.publish({ topic: 'alerts', message: `m${i}` })).messageId);
  }
  const key = (i: number) => `${ids[i]}:${sub.id}`;
  const t = ctx.clock.t;
  ctx.states.set(key(1), { state: 'ready', attempts: 3, notBefore: t + 40_000, lastError: 'connect ECONNREFUSED' });
  ctx.states.set(key(2), { state: 'dead', attempts: 50, notBefore: t, lastError: 'connect ECONNREFUSED', deadAt: t + 1 });
  ctx.states.delete(key(3));

  const iso = (ms: number) => new Date(ms).toISOString();
  const recent = await ctx.service.subscriptionDeliveries(sub.arn, 10);
  assert.deepEqual(recent.map((d) => [d.messageId, d.status, d.attempts, d.lastError, d.nextAttemptAt ?? d.deadAt]), [
    [ids[3], 'failed', 0, 'not delivered, and neither queued nor dead-lettered any more (a purged dead letter)', undefined],
    [ids[2], 'dead_letter', 50, 'connect ECONNREFUSED', iso(t + 1)],
    [ids[1], 'retrying', 3, 'connect ECONNREFUSED', iso(t + 40_000)],
    [ids[0], 'queued', 0, undefined, undefined],
  ]);
  assert.deepEqual((await ctx.service.subscriptionDeliveries(sub.id, 2)).map((d) => d.messageId), [ids[3], ids[2]]);
  await assert.rejects(ctx.service.messageStatus('no-such-message'), isCode('SLUICE_ERR_NOT_FOUND'));
  await assert.rejects(ctx.service.subscriptionDeliveries('no-such-subscription'), isCode('SLUICE_ERR_NOT_FOUND'));
});

test('pruneRecords: delivery and message records older than 7 days go, newer ones stay', async () => {
  const ctx = await outboxSetup();
  const [sub] = ctx.subs;
  assert.ok(sub);
  const old = await ctx.service.publish({ topic: 'alerts', message: 'old' });
  await ctx.service.deliverQueued({ topic: 'alerts', subscriptionId: sub.id, protocol: 'email' }, ctx.queued[0]!.notification, ctx.queued[0]!.id, 1);
  ctx.clock.t += 7 * 24 * 3_600_000 - 1;
  const recent = await ctx.service.publish({ topic: 'alerts', message: 'recent' });
  const first = await ctx.service.pruneRecords();
  assert.deepEqual({ deliveries: first.deliveries, messages: first.messages }, { deliveries: 0, messages: 0 }, 'exactly 7 days old is kept');
  assert.equal(first.tokens, ctx.subs.length, 'the (used, 3-day) confirmation links have expired and go; unsubscribe links never expire');
  ctx.clock.t += 2;
  assert.deepEqual(await ctx.service.pruneRecords(), { deliveries: 1, messages: 1, tokens: 0 });
  assert.deepEqual(Object.keys(await dump(ctx.state, 'notify.messages')), [recent.messageId]);
  await assert.rejects(ctx.service.messageStatus(old.messageId), isCode('SLUICE_ERR_NOT_FOUND'));
});
