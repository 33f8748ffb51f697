/**
 * Alert hygiene wired into the notification service: topic and subscription
 * `dedupe` windows at publish, digests past the gate and the filter policies,
 * and windows and digests surviving a restart. The clock is simulated and the
 * gate has no timer (`tickAlertHygiene()` does its work).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError, silentLogger, type StateStore } from '../core/index.js';
import { createMemoryStateStore } from '../state/index.js';
import type { AlertHygieneConfig } from './hygiene.js';
import type { NotificationOutbox, QueuedDelivery } from './outbox.js';
import { NotificationService } from './service.js';
import { createMemoryTransport, type MemoryTransport } from './transport/memory.js';
import type { MailboxEntry } from './transport/port.js';

const PUBLIC_URL = 'http://127.0.0.1:8080';
const SUBJECT = 'Attention:Humidity Under Threshold';
const DEDUPE: AlertHygieneConfig = { key: '${regex:device name (\\S+)}', window: '15m', digest: true };
const MINUTE = 60_000;

const alert = (device: string, humidity = 32) => ({ topic: 'alerts', subject: SUBJECT, message: `Humidity ${humidity} under threshold for device name ${device}` });

interface Clock {
  t: number;
  now(): number;
}

function service(state: StateStore, mail: MemoryTransport, clock: Clock, outbox?: NotificationOutbox): NotificationService {
  return new NotificationService({
    state, transport: mail, publicUrl: PUBLIC_URL, from: 'Sluice <no-reply@sluice.local>', logger: silentLogger(), clock,
    hygieneTimers: null,
    ...(outbox ? { outbox } : {}),
  });
}

function setup(options: { outbox?: NotificationOutbox } = {}) {
  const clock: Clock = { t: Date.parse('2020-08-27T13:47:52.677Z'), now() { return this.t; } };
  const mail = createMemoryTransport({ clock });
  const state = createMemoryStateStore();
  return { service: service(state, mail, clock, options.outbox), mail, state, clock };
}

function fakeOutbox() {
  const queued: QueuedDelivery[] = [];
  const outbox: NotificationOutbox = {
    async enqueue(deliveries) {
      for (const delivery of deliveries) if (!queued.some((q) => q.id === delivery.id)) queued.push(structuredClone(delivery));
    },
    async state() {
      return undefined;
    },
  };
  return { outbox, queued };
}

function confirmToken(entry: MailboxEntry | undefined): string {
  const match = /\/notify\/confirm\/([A-Za-z0-9_-]+)/.exec(entry?.text ?? '');
  assert.ok(match?.[1], 'a confirmation link');
  return match[1];
}

async function subscriber(ctx: ReturnType<typeof setup>, endpoint: string, extra: { dedupe?: AlertHygieneConfig; filterPolicy?: Record<string, unknown>; filterPolicyScope?: 'MessageBody' } = {}) {
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint, ...extra });
  return ctx.service.confirm(confirmToken(ctx.mail.sent.at(-1)));
}

const alertsTo = (mail: MemoryTransport, to: string) => mail.sent.filter((m) => m.subject === SUBJECT && m.to.includes(to));
const digestsTo = (mail: MemoryTransport, to: string) => mail.sent.filter((m) => m.subject.startsWith('Digest:') && m.to.includes(to));

test('topic dedupe: one alert per device per window, the rest held back for everyone, then one digest per device', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts', { dedupe: DEDUPE });
  await subscriber(ctx, 'ops@example.com');
  await subscriber(ctx, 'oncall@example.com');

  const first = await ctx.service.publish(alert('soilSensor2', 32));
  assert.equal(first.deliveries.length, 2);
  assert.equal(first.suppressed, undefined);
  ctx.clock.t += MINUTE;
  const second = await ctx.service.publish(alert('soilSensor2', 31));
  assert.deepEqual({ deliveries: second.deliveries, suppressed: second.suppressed }, { deliveries: [], suppressed: true });
  ctx.clock.t += MINUTE;
  assert.equal((await ctx.service.publish(alert('soilSensor2', 30))).suppressed, true);
  assert.equal((await ctx.service.publish(alert('soilSensor3', 20))).deliveries.length, 2, 'another device has its own window');
  assert.equal(alertsTo(ctx.mail, 'ops@example.com').length, 2);

  ctx.clock.t += 13 * MINUTE - 1;
  await ctx.service.tickAlertHygiene();
  assert.equal(digestsTo(ctx.mail, 'ops@example.com').length, 0, 'the window has not ended yet');
  ctx.clock.t += 1;
  await ctx.service.tickAlertHygiene();
  for (const to of ['ops@example.com', 'oncall@example.com']) {
    const digests = digestsTo(ctx.mail, to);
    assert.equal(digests.length, 1, `one digest to ${to} (soilSensor3 suppressed nothing)`);
    assert.match(digests[0]?.subject ?? '', /^Digest: 2 more alerts like "Attention:Humidity Under Threshold" \(key soilSensor2\) in 15 min$/);
    assert.match(digests[0]?.text ?? '', /Humidity 31 under threshold for device name soilSensor2/);
    assert.match(digests[0]?.text ?? '', /Humidity 30 under threshold for device name soilSensor2/);
  }
  await ctx.service.tickAlertHygiene();
  assert.equal(digestsTo(ctx.mail, 'ops@example.com').length, 1, 'a digest is sent once');

  // The digest did not pass through the gate: it opened no window, so the next alert goes out.
  assert.equal((await ctx.service.publish(alert('soilSensor2', 29))).deliveries.length, 2);
});

test('topic dedupe: a message that reaches nobody opens no window', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts', { dedupe: DEDUPE });
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' });
  const token = confirmToken(ctx.mail.sent.at(-1));
  const early = await ctx.service.publish(alert('soilSensor2'));
  assert.deepEqual([early.deliveries, early.suppressed], [[], undefined], 'pending: nobody to send to, nothing held back');
  await ctx.service.confirm(token);
  assert.equal((await ctx.service.publish(alert('soilSensor2'))).deliveries.length, 1, 'the first alert after confirming is sent');
});

test('subscription dedupe: only that subscription is held back, and only it gets the digest', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  const quiet = await subscriber(ctx, 'quiet@example.com', { dedupe: { key: '${regex:device name (\\S+)}', window: '10m', digest: true } });
  assert.deepEqual(quiet.dedupe, { key: '${regex:device name (\\S+)}', window: '10m', digest: true }, 'shown in the subscription');
  await subscriber(ctx, 'all@example.com');

  assert.equal((await ctx.service.publish(alert('soilSensor2'))).deliveries.length, 2);
  const again = await ctx.service.publish(alert('soilSensor2'));
  assert.deepEqual(again.deliveries.map((d) => d.endpoint), ['all@example.com']);
  assert.equal(again.suppressedSubscriptions, 1);
  assert.equal(again.suppressed, undefined);
  assert.equal(alertsTo(ctx.mail, 'all@example.com').length, 2);
  assert.equal(alertsTo(ctx.mail, 'quiet@example.com').length, 1);

  ctx.clock.t += 10 * MINUTE;
  await ctx.service.tickAlertHygiene();
  assert.equal(digestsTo(ctx.mail, 'quiet@example.com').length, 1);
  assert.equal(digestsTo(ctx.mail, 'all@example.com').length, 0);
  assert.match(digestsTo(ctx.mail, 'quiet@example.com')[0]?.subject ?? '', /^Digest: 1 more alert like/);
});

test('subscription dedupe is an attribute: replaced, cleared by null and by replaceAttributes; bad ones name the field', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  const sub = await subscriber(ctx, 'ops@example.com', { dedupe: { key: '${subject}', window: '1h' } });
  const changed = await ctx.service.setSubscriptionAttributes(sub.id, { dedupe: { key: '${subject}', window: '2h' } });
  assert.equal(changed.dedupe?.window, '2h');
  assert.equal((await ctx.service.setSubscriptionAttributes(sub.id, { dedupe: null })).dedupe, undefined);
  await ctx.service.setSubscriptionAttributes(sub.id, { dedupe: { key: '${subject}', window: '2h' } });
  await ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'ops@example.com' }, { replaceAttributes: true });
  assert.equal((await ctx.service.getSubscription(sub.id)).dedupe, undefined, 'a stack redeploy without dedupe clears it');

  await assert.rejects(
    ctx.service.setSubscriptionAttributes(sub.id, { dedupe: { key: '${subject}', window: '0s' } }),
    (error: unknown) => isSluiceError(error) && error.code === 'SLUICE_ERR_SUBSCRIPTION_INVALID' && error.place?.field === 'dedupe.window' && /too short/.test(error.message),
  );
  await assert.rejects(
    ctx.service.subscribe('alerts', { protocol: 'email', endpoint: 'x@example.com', dedupe: { key: '${nope}', window: '1m' } }),
    (error: unknown) => isSluiceError(error) && error.code === 'SLUICE_ERR_SUBSCRIPTION_INVALID' && error.place?.field === 'dedupe.key',
  );
});

test('topic dedupe through createTopic: shown on the topic, replaced, cleared by null, kept when left out; bad ones name the field', async () => {
  const ctx = setup();
  assert.deepEqual((await ctx.service.createTopic('alerts', { dedupe: DEDUPE })).dedupe, DEDUPE);
  assert.deepEqual((await ctx.service.createTopic('alerts', { displayName: 'Alerts' })).dedupe, DEDUPE, 'left out: kept');
  const replaced = await ctx.service.createTopic('alerts', { dedupe: { key: '${subject}', window: '1h' } });
  assert.deepEqual([replaced.dedupe, replaced.displayName], [{ key: '${subject}', window: '1h' }, 'Alerts']);
  assert.equal((await ctx.service.createTopic('alerts', { dedupe: null })).dedupe, undefined);
  assert.equal((await ctx.service.getTopic('alerts')).dedupe, undefined);
  await assert.rejects(
    ctx.service.createTopic('alerts', { dedupe: { key: '${subject}', window: '15 minutes' } as AlertHygieneConfig }),
    (error: unknown) => isSluiceError(error) && error.code === 'SLUICE_ERR_REQUEST_INVALID' && error.place?.field === 'dedupe.window',
  );
});

test('with an outbox: a held-back message queues nothing; the digest is queued for every confirmed subscription, past filter policies', async () => {
  const { outbox, queued } = fakeOutbox();
  const ctx = setup({ outbox });
  await ctx.service.createTopic('alerts', { dedupe: DEDUPE });
  // This one's filter policy matches the alerts; the other's matches none of them.
  await subscriber(ctx, 'ops@example.com');
  await subscriber(ctx, 'filtered@example.com', { filterPolicy: { severity: ['critical'] } });

  const first = await ctx.service.publish(alert('soilSensor2'));
  assert.deepEqual([first.deliveries.map((d) => d.status), first.filtered], [['queued'], 1]);
  const second = await ctx.service.publish(alert('soilSensor2', 31));
  assert.deepEqual([second.deliveries, second.suppressed], [[], true]);
  assert.equal(queued.length, 1, 'nothing queued for the held-back message');
  await assert.rejects(ctx.service.messageStatus(second.messageId), /no notification/);

  ctx.clock.t += 15 * MINUTE;
  await ctx.service.tickAlertHygiene();
  const digests = queued.filter((q) => q.notification.subject?.startsWith('Digest:'));
  assert.equal(digests.length, 2, 'digests bypass filter policies');
  assert.equal(new Set(digests.map((d) => d.notification.messageId)).size, 1);
  assert.match(digests[0]?.notification.message ?? '', /Humidity 31 under threshold for device name soilSensor2/);
  const status = await ctx.service.messageStatus(digests[0]?.notification.messageId ?? '');
  assert.equal(status.deliveries.length, 2);
});

test('a retried publish (same message id) is not held back by the window it opened itself', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts', { dedupe: DEDUPE });
  await subscriber(ctx, 'ops@example.com');
  const first = await ctx.service.publish({ ...alert('soilSensor2'), messageId: 'invocation-1' });
  assert.deepEqual(first.deliveries.map((d) => d.status), ['sent']);
  const retry = await ctx.service.publish({ ...alert('soilSensor2'), messageId: 'invocation-1' });
  assert.deepEqual([retry.deliveries.map((d) => d.status), retry.suppressed], [['duplicate'], undefined]);
  assert.equal((await ctx.service.publish({ ...alert('soilSensor2'), messageId: 'invocation-2' })).suppressed, true);
});

test('a restart keeps windows closed and sends the digests of windows that ended while it was down', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts', { dedupe: DEDUPE });
  await subscriber(ctx, 'ops@example.com');
  await ctx.service.publish(alert('soilSensor2', 32));
  await ctx.service.publish(alert('soilSensor2', 31));
  ctx.service.closeAlertHygiene();

  // Restarted 5 minutes later: the window is still open.
  ctx.clock.t += 5 * MINUTE;
  const second = service(ctx.state, ctx.mail, ctx.clock);
  await second.resumeAlertHygiene();
  assert.equal((await second.publish(alert('soilSensor2', 30))).suppressed, true, 'the window stayed closed across the restart');
  second.closeAlertHygiene();

  // Down past the window's end: the digest is sent at resume.
  ctx.clock.t += 30 * MINUTE;
  const third = service(ctx.state, ctx.mail, ctx.clock);
  assert.equal(digestsTo(ctx.mail, 'ops@example.com').length, 0);
  await third.resumeAlertHygiene();
  const digests = digestsTo(ctx.mail, 'ops@example.com');
  assert.equal(digests.length, 1);
  assert.match(digests[0]?.subject ?? '', /^Digest: 2 more alerts/);
  assert.equal(alertsTo(ctx.mail, 'ops@example.com').length, 1);
  assert.equal((await third.publish(alert('soilSensor2', 29))).deliveries.length, 1, 'a new window');
});

test('a digest for a subscription deleted meanwhile is dropped, not retried forever', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts');
  const sub = await subscriber(ctx, 'ops@example.com', { dedupe: DEDUPE });
  await ctx.service.publish(alert('soilSensor2'));
  await ctx.service.publish(alert('soilSensor2'));
  await ctx.service.unsubscribeById(sub.id);
  ctx.clock.t += 15 * MINUTE;
  await ctx.service.tickAlertHygiene();
  assert.equal(digestsTo(ctx.mail, 'ops@example.com').length, 0);
  assert.deepEqual(await ctx.state.collection('notify.hygiene').list(), [], 'nothing left pending');
});

test('deleting a topic drops its windows and pending digest: the same name created again starts afresh', async () => {
  const ctx = setup();
  await ctx.service.createTopic('alerts', { dedupe: DEDUPE });
  await subscriber(ctx, 'ops@example.com');
  await ctx.service.publish(alert('soilSensor2'));
  assert.equal((await ctx.service.publish(alert('soilSensor2'))).suppressed, true);
  assert.equal(await ctx.service.deleteTopic('alerts'), true);
  assert.deepEqual(await ctx.state.collection('notify.hygiene').list(), [], 'the window went with its topic');

  await ctx.service.createTopic('alerts', { dedupe: DEDUPE });
  await subscriber(ctx, 'new-team@example.com');
  const first = await ctx.service.publish(alert('soilSensor2'));
  assert.equal(first.deliveries.length, 1, 'not held back by the old topic\'s window');
  ctx.clock.t += 15 * MINUTE;
  await ctx.service.tickAlertHygiene();
  assert.equal(digestsTo(ctx.mail, 'new-team@example.com').length, 0, 'no digest of what the old topic held back');
});
