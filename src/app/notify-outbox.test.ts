/**
 * The notification outbox as the server wires it: a NotificationService whose
 * outbox is the action queue (memory driver) run by a real ActionExecutor,
 * mail through the in-memory transport behind a switch that takes it "down".
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ActionExecutor, DeadLetters, createMemoryActionQueue, notificationJob, notificationTargetKey, type ActionJob } from '../actions/index.js';
import { Metrics, SluiceError, silentLogger } from '../core/index.js';
import { NotificationService, createMemoryTransport, type MailTransport, type MessageStatus } from '../notify/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { notificationDeliverer, notificationOutbox } from './notify-outbox.js';

const PUBLIC_URL = 'http://127.0.0.1:8080';
const ALERT = { subject: 'Attention:Humidity Under Threshold', message: 'Humidity 29 under threshold for device name soilSensor3' };

type MailFault = 'down' | 'reject' | undefined;

/** Backoff delays are 0 (random() = 0 in the full jitter) unless `random` or a delivery policy says otherwise. */
async function harness(t: TestContext, endpoints: string[] = ['a@example.com', 'b@example.com'], random = () => 0) {
  const metrics = new Metrics({ defaultMetrics: false });
  const mail = createMemoryTransport();
  const faults = new Map<string, MailFault>();
  const attempts: string[] = [];
  const attemptTimes: number[] = [];
  const transport: MailTransport = {
    async send(message) {
      if (message.subject !== 'Sluice Notification - Subscription Confirmation') {
        attempts.push(message.to);
        attemptTimes.push(Date.now());
      }
      const fault = faults.get(message.to) ?? faults.get('*');
      if (fault === 'down') throw new SluiceError('SLUICE_ERR_MAIL_SEND', `mail to ${message.to} could not be sent: connect ECONNREFUSED 127.0.0.1:2525`, { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' }) });
      if (fault === 'reject') {
        const cause = Object.assign(new Error("Can't send mail - all recipients were rejected: 550 5.1.1 mailbox unavailable"), { code: 'EENVELOPE', responseCode: 550 });
        throw new SluiceError('SLUICE_ERR_MAIL_SEND', `mail to ${message.to} could not be sent: ${cause.message}`, { cause });
      }
      return mail.send(message);
    },
    close: () => mail.close(),
  };
  const notify = new NotificationService({ state: createMemoryStateStore(), transport, publicUrl: PUBLIC_URL, from: 'Sluice <no-reply@sluice.local>', logger: silentLogger() });
  const queue = createMemoryActionQueue();
  const settled: Array<{ job: ActionJob; ok: boolean; deadLettered?: boolean }> = [];
  const executor = new ActionExecutor({
    queue,
    logger: silentLogger(),
    metrics,
    random,
    idlePollMs: 20,
    ports: {
      objects: { putObject: async () => {} },
      functions: { invokeAsync: async () => ({ ok: true }) },
      broker: { publish: async () => {} },
      notifications: notificationDeliverer(notify, metrics),
    },
    onSettled: (job, outcome) => settled.push(outcome.ok ? { job, ok: true } : { job, ok: false, deadLettered: outcome.deadLettered }),
  });
  notify.setOutbox(notificationOutbox(executor, queue));
  await executor.start();
  t.after(async () => {
    await executor.stop();
    await queue.close();
  });

  await notify.createTopic('alerts');
  const subs = [];
  for (const endpoint of endpoints) {
    await new Promise((r) => setTimeout(r, 2)); // distinct creation times: deliveries are listed oldest subscription first
    await notify.subscribe('alerts', { protocol: 'email', endpoint });
    const link = /\/notify\/confirm\/([A-Za-z0-9_-]+)/.exec(mail.sent.at(-1)?.text ?? '');
    assert.ok(link?.[1]);
    subs.push(await notify.confirm(link[1]));
  }
  const alerts = (to?: string) => mail.sent.filter((m) => m.subject === ALERT.subject && (to === undefined || m.to === to));
  const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const sentCount = async (outcome: string): Promise<number> =>
    (await metrics.notificationsSent.get()).values.filter((v) => v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0);
  return { notify, queue, executor, mail, faults, attempts, attemptTimes, subs, settled, alerts, until, sentCount, deadLetters: new DeadLetters(queue, executor, { now: () => Date.now() }) };
}

test('outbox: publish returns once queued; the executor delivers each subscriber one mail; status says delivered', async (t) => {
  const h = await harness(t);
  const result = await h.notify.publish({ topic: 'alerts', ...ALERT });
  assert.deepEqual(result.deliveries.map((d) => d.status), ['queued', 'queued']);
  await h.until('both settled', () => h.settled.length === 2);
  assert.deepEqual(h.alerts().map((m) => m.to).sort(), ['a@example.com', 'b@example.com']);
  assert.deepEqual(h.settled.map((s) => [s.job.ruleName, s.job.target.kind, s.ok]), [['$notify/alerts', 'notification', true], ['$notify/alerts', 'notification', true]]);
  const status: MessageStatus = await h.notify.messageStatus(result.messageId);
  assert.deepEqual(status.deliveries.map((d) => [d.endpoint, d.status, d.attempts]), [['a@example.com', 'delivered', 1], ['b@example.com', 'delivered', 1]]);
  assert.equal(await h.sentCount('sent'), 2);
  assert.equal((await h.queue.stats(Date.now())).depth, 0);
});

test('outbox: while the mail server is down deliveries retry and wait; when it is back each is sent once', async (t) => {
  // 1% of email's backoff bounds: 100 ms, 200 ms, 400 ms, ... so retries come quickly but never run out here.
  const h = await harness(t, undefined, () => 0.01);
  h.faults.set('*', 'down');
  const published = [];
  for (let i = 0; i < 5; i++) published.push(await h.notify.publish({ topic: 'alerts', message: `reading ${i}`, subject: ALERT.subject }));
  await h.until('every delivery failed at least twice', () => h.attempts.length >= 20);
  const [first] = published;
  assert.ok(first);
  const during = await h.notify.messageStatus(first.messageId);
  assert.ok(during.deliveries.every((d) => ['retrying', 'queued'].includes(d.status)), JSON.stringify(during.deliveries));
  assert.ok(during.deliveries.some((d) => d.status === 'retrying' && d.lastError?.includes('ECONNREFUSED')), JSON.stringify(during.deliveries));
  assert.equal(h.alerts().length, 0);
  assert.equal(h.settled.length, 0, 'nothing given up');

  h.faults.clear();
  await h.until('all settled', () => h.settled.length === 10);
  assert.ok(h.settled.every((s) => s.ok));
  const perMessage = new Map<string, number>();
  for (const mail of h.alerts()) perMessage.set(`${mail.headers['X-Sluice-Message-Id']}:${mail.to}`, (perMessage.get(`${mail.headers['X-Sluice-Message-Id']}:${mail.to}`) ?? 0) + 1);
  assert.equal(perMessage.size, 10);
  assert.ok([...perMessage.values()].every((n) => n === 1), 'each (message, subscriber) mailed once');
  const after = await h.notify.messageStatus(first.messageId);
  assert.ok(after.deliveries.every((d) => d.status === 'delivered' && d.attempts > 1), JSON.stringify(after.deliveries));
  assert.ok((await h.sentCount('failed')) >= 10);
});

test('outbox: an address the server refuses (550) is dead-lettered at once for that subscription only, and replays', async (t) => {
  const h = await harness(t);
  const [a, b] = h.subs;
  assert.ok(a && b);
  h.faults.set('b@example.com', 'reject');
  const { messageId } = await h.notify.publish({ topic: 'alerts', ...ALERT });
  await h.until('both settled', () => h.settled.length === 2);
  assert.deepEqual(h.attempts.filter((to) => to === 'b@example.com').length, 1, 'not retried');
  assert.deepEqual(h.alerts().map((m) => m.to), ['a@example.com']);

  const letters = await h.deadLetters.list({ ruleName: '$notify/alerts', target: notificationTargetKey(b.id) });
  assert.equal(letters.length, 1);
  const [letter] = letters;
  assert.equal(letter?.id, `${messageId}:${b.id}`);
  assert.deepEqual(letter?.target, { kind: 'notification', topic: 'alerts', subscriptionId: b.id, protocol: 'email' });
  assert.equal(letter?.failures[0]?.failedAction, 'SnsAction');
  assert.equal(letter?.failures[0]?.failedResource, b.arn);
  assert.match(letter?.failures[0]?.errorMessage ?? '', /550 5\.1\.1 mailbox unavailable/);
  assert.deepEqual(await h.deadLetters.list({ target: notificationTargetKey(a.id) }), []);
  const status = await h.notify.messageStatus(messageId);
  assert.deepEqual(status.deliveries.map((d) => [d.endpoint, d.status]), [['a@example.com', 'delivered'], ['b@example.com', 'dead_letter']]);
  assert.deepEqual((await h.notify.subscriptionDeliveries(b.id)).map((d) => [d.messageId, d.status, d.attempts]), [[messageId, 'dead_letter', 1]]);

  // The mailbox is fixed: replaying the subscription's dead letters sends the mail, once.
  h.faults.clear();
  assert.deepEqual(await h.deadLetters.replay({ target: notificationTargetKey(b.id) }), [`${messageId}:${b.id}`]);
  await h.until('replayed and settled', () => h.settled.length === 3);
  assert.deepEqual(h.alerts('b@example.com').length, 1);
  assert.equal((await h.notify.messageStatus(messageId)).deliveries[1]?.status, 'delivered');
});

test('outbox: a repeated publish of a delivered message id (a retried invocation) mails no one twice', async (t) => {
  const h = await harness(t, ['a@example.com']);
  const messageId = '0b4c1a7e-5e2f-4d7a-9c61-3f2e1d0c9b8a';
  await h.notify.publish({ topic: 'alerts', ...ALERT, messageId });
  await h.until('delivered', () => h.settled.length === 1);
  // The first publish is done and its job gone; a second one with the same id is not even queued.
  const again = await h.notify.publish({ topic: 'alerts', ...ALERT, messageId });
  assert.deepEqual(again.deliveries.map((d) => d.status), ['duplicate']);
  // And a job that is queued again anyway (the crash window between enqueue and the invocation's completion) sends nothing.
  const [sub] = h.subs;
  assert.ok(sub);
  const repeat = notificationJob({
    id: `${messageId}:${sub.id}`, topicName: 'alerts', subscriptionId: sub.id, protocol: 'email', notification: { messageId, message: ALERT.message, timestamp: Date.now() }, retry: {},
  });
  await h.executor.enqueue([repeat], 1);
  await h.until('the repeat settled', () => h.settled.length === 2);
  assert.equal(h.alerts().length, 1);
  assert.equal(await h.sentCount('duplicate'), 1);
});

test('outbox: a delivery policy bounds the attempts and spaces them as asked (numRetries 2, 1 s apart)', async (t) => {
  const h = await harness(t, ['a@example.com']);
  await h.notify.subscribe('alerts', { protocol: 'email', endpoint: 'a@example.com', deliveryPolicy: { healthyRetryPolicy: { numRetries: 2, minDelayTarget: 1, maxDelayTarget: 1 } } });
  h.faults.set('*', 'down');
  const { messageId } = await h.notify.publish({ topic: 'alerts', ...ALERT });
  await h.until('dead-lettered', () => h.settled.length === 1);
  assert.deepEqual(h.settled.map((s) => s.deadLettered), [true]);
  assert.equal(h.attempts.length, 3, 'numRetries 2: three attempts');
  const [t1 = 0, t2 = 0, t3 = 0] = h.attemptTimes;
  assert.ok(t2 - t1 >= 1_000 && t3 - t2 >= 1_000 && t3 - t1 < 4_000, `1 s apart: ${t2 - t1}, ${t3 - t2} ms`);
  const [state] = (await h.notify.messageStatus(messageId)).deliveries;
  assert.equal(state?.status, 'dead_letter');
  assert.equal(state?.attempts, 3);
});

test('outbox: unsubscribing while a delivery waits skips it', async (t) => {
  const h = await harness(t, ['a@example.com']);
  // 1 s between attempts, time enough to unsubscribe after the first.
  await h.notify.subscribe('alerts', { protocol: 'email', endpoint: 'a@example.com', deliveryPolicy: { healthyRetryPolicy: { numRetries: 5, minDelayTarget: 1 } } });
  h.faults.set('*', 'down');
  const { messageId } = await h.notify.publish({ topic: 'alerts', ...ALERT });
  await h.until('failed once', () => h.attempts.length >= 1);
  const [sub] = h.subs;
  assert.ok(sub);
  await h.notify.unsubscribeById(sub.id);
  h.faults.clear();
  await h.until('settled', () => h.settled.length === 1);
  assert.equal(h.alerts().length, 0);
  assert.equal((await h.notify.messageStatus(messageId)).deliveries[0]?.status, 'skipped');
  assert.equal(await h.sentCount('skipped'), 1);
});
