/**
 * http subscriptions through the outbox as the server wires it (the action
 * queue run by a real ActionExecutor) against real node:http endpoints: SNS's
 * retry rule decides what is retried and what is dead-lettered at once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ActionExecutor, DeadLetters, createMemoryActionQueue, notificationTargetKey, type ActionJob } from '../actions/index.js';
import { Metrics, silentLogger } from '../core/index.js';
import { NotificationService, NotificationSigner, createMemoryTransport } from '../notify/index.js';
import { createMemoryStateStore } from '../state/index.js';
import { notificationDeliverer, notificationOutbox } from './notify-outbox.js';

/** SNS's backoff with 1 s between attempts (the least a delivery policy allows), so a retry comes quickly. */
const FAST_RETRIES = { healthyRetryPolicy: { numRetries: 3, minDelayTarget: 1, maxDelayTarget: 1 } };

async function harness(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-notify-protocols-'));
  // "Sluice": serves the confirm links the endpoints GET.
  let notify: NotificationService | undefined;
  const sluice = http.createServer((request, response) => {
    const token = /^\/notify\/confirm\/([A-Za-z0-9_-]+)$/.exec(request.url ?? '')?.[1];
    if (!token || !notify) return void response.writeHead(404).end();
    notify.confirm(token).then(() => response.end('confirmed'), (error: unknown) => response.writeHead(404).end(String(error)));
  });
  await new Promise<void>((resolve) => sluice.listen(0, '127.0.0.1', resolve));
  const publicUrl = `http://127.0.0.1:${(sluice.address() as AddressInfo).port}`;
  const signer = await NotificationSigner.open({ directory: dir, publicUrl });
  const metrics = new Metrics({ defaultMetrics: false });
  notify = new NotificationService({
    state: createMemoryStateStore(), transport: createMemoryTransport(), publicUrl, from: 'Sluice <no-reply@sluice.local>', logger: silentLogger(), signer,
  });
  const queue = createMemoryActionQueue();
  const settled: Array<{ job: ActionJob; ok: boolean; deadLettered?: boolean }> = [];
  const executor = new ActionExecutor({
    queue,
    logger: silentLogger(),
    metrics,
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
    sluice.closeAllConnections();
    await new Promise<void>((resolve) => sluice.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  await notify.createTopic('alerts');
  const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { notify, settled, until, deadLetters: new DeadLetters(queue, executor, { now: () => Date.now() }) };
}

/** A subscriber that confirms, then answers notifications with `statuses` in turn (then 200). */
async function endpoint(t: TestContext, statuses: number[]) {
  const notifications: Array<Record<string, unknown>> = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', async () => {
      const message = JSON.parse(body) as Record<string, unknown>;
      if (message.Type === 'SubscriptionConfirmation') {
        const answer = await fetch(String(message.SubscribeURL));
        assert.equal(answer.status, 200);
        return void response.end();
      }
      notifications.push(message);
      response.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, notifications };
}

test('http through the outbox: 500 then 200 is retried and delivered once; 404 is dead-lettered after one attempt', async (t) => {
  const h = await harness(t);
  const flaky = await endpoint(t, [500]);
  const missing = await endpoint(t, [404]);
  const flakySub = await h.notify.subscribe('alerts', { protocol: 'http', endpoint: flaky.url, deliveryPolicy: FAST_RETRIES });
  const missingSub = await h.notify.subscribe('alerts', { protocol: 'http', endpoint: missing.url, deliveryPolicy: FAST_RETRIES });
  assert.deepEqual([flakySub.status, missingSub.status], ['confirmed', 'confirmed']);

  const { messageId, deliveries } = await h.notify.publish({ topic: 'alerts', message: 'Humidity 29' });
  assert.deepEqual(deliveries.map((d) => d.status), ['queued', 'queued']);
  await h.until('both settled', () => h.settled.length === 2);

  assert.equal(flaky.notifications.length, 2, 'the 500 was retried');
  assert.deepEqual(flaky.notifications.map((n) => n.MessageId), [messageId, messageId], 'the same notification both times');
  assert.equal(missing.notifications.length, 1, 'the 404 was not');
  const status = await h.notify.messageStatus(messageId);
  const bySubscription = Object.fromEntries(status.deliveries.map((d) => [d.subscriptionId, d]));
  assert.deepEqual([bySubscription[flakySub.id]?.status, bySubscription[flakySub.id]?.attempts], ['delivered', 2]);
  assert.deepEqual([bySubscription[missingSub.id]?.status, bySubscription[missingSub.id]?.attempts], ['dead_letter', 1]);

  const letters = await h.deadLetters.list({ ruleName: '$notify/alerts', target: notificationTargetKey(missingSub.id) });
  assert.equal(letters.length, 1);
  assert.match(JSON.stringify(letters[0]?.failures), /answered HTTP 404/);
  assert.equal(h.settled.find((s) => s.job.target.kind === 'notification' && s.job.target.subscriptionId === missingSub.id)?.deadLettered, true);
});
