import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, functionArn } from '../core/index.js';
import { fixture, setup } from './test-helpers.js';
import { THROTTLED_ERROR_TYPE, type DestinationRecord } from './types.js';

/** Polls until `read` returns something, or fails after `ms`. */
async function eventually<T>(read: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function counter(metric: { get(): Promise<{ values: ReadonlyArray<{ labels: Record<string, unknown>; value: number }> }> }, labels: Record<string, string>) {
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((n, v) => n + v.value, 0);
}

test('an Event invocation that throws is retried twice, then its onFailure bucket destination gets the record', async (t) => {
  const metrics = new Metrics({ defaultMetrics: false });
  const { runtime, objects } = await setup(t, { metrics, asyncRetryDelayMs: 20 });
  await objects.createBucket('failed-events');
  await runtime.deploy(await fixture('faulty.ts', { destinations: { onFailure: { bucket: 'failed-events', prefix: 'faulty/' } } }));
  const accepted = await runtime.invoke('faulty', { mode: 'throw' }, { invocationType: 'Event', requestId: 'req-1' });
  assert.equal(accepted.ok, true, 'accepted at once, as Lambda answers 202');

  const summary = await eventually(async () => (await objects.listObjects('failed-events'))[0]);
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  assert.equal(summary.key, `faulty/${day}/req-1.json`);
  const record = JSON.parse((await objects.getObject('failed-events', summary.key)).body.toString()) as DestinationRecord;
  assert.equal(record.version, '1.0');
  assert.ok(!Number.isNaN(Date.parse(record.timestamp)));
  assert.deepEqual(record.requestContext, {
    requestId: 'req-1',
    functionArn: `${functionArn('faulty')}:$LATEST`,
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
  });
  assert.deepEqual(record.requestPayload, { mode: 'throw' });
  assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
  const response = record.responsePayload as { errorType: string; errorMessage: string };
  assert.equal(response.errorType, 'ValidationError');
  assert.equal(response.errorMessage, 'humidity is not a number');

  // Three attempts, each with its own START and REPORT under the same request id, and counted.
  const starts = runtime.logs.query('faulty', { requestId: 'req-1' }).filter((line) => line.level === 'START');
  assert.equal(starts.length, 3);
  assert.equal(await counter(metrics.functionInvocations, { function: 'faulty', outcome: 'error' }), 3);
  assert.equal(await counter(metrics.functionAsyncRetries, { function: 'faulty' }), 2);
  assert.equal(await counter(metrics.functionDestinations, { function: 'faulty', condition: 'RetriesExhausted', outcome: 'delivered' }), 1);
});

test('retryAttempts: 0 makes one attempt; a failing destination is logged and counted, not retried', async (t) => {
  const metrics = new Metrics({ defaultMetrics: false });
  const { runtime } = await setup(t, { metrics, asyncRetryDelayMs: 20 });
  // No such bucket: the delivery fails.
  await runtime.deploy(await fixture('faulty.ts', { retryAttempts: 0, destinations: { onFailure: { bucket: 'nowhere' } } }));
  await runtime.invoke('faulty', { mode: 'throw' }, { invocationType: 'Event', requestId: 'req-0' });
  await eventually(async () => ((await counter(metrics.functionDestinations, { function: 'faulty', outcome: 'failed' })) === 1 ? true : undefined));
  assert.equal(await counter(metrics.functionInvocations, { function: 'faulty', outcome: 'error' }), 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(await counter(metrics.functionDestinations, { function: 'faulty' }), 1, 'tried once');
});

test('an Event invocation that succeeds sends the Success record to its onSuccess mqtt destination', async (t) => {
  const { runtime, recorded } = await setup(t);
  await runtime.deploy(await fixture('faulty.ts', { destinations: { onSuccess: { mqtt: 'fn/faulty/ok' }, onFailure: { mqtt: 'fn/faulty/failed' } } }));
  await runtime.invoke('faulty', { mode: 'ok' }, { invocationType: 'Event', requestId: 'req-ok' });
  const message = await eventually(() => recorded.mqtt[0]);
  assert.equal(message.topic, 'fn/faulty/ok');
  assert.equal(message.qos, 1);
  const record = JSON.parse(message.payload.toString()) as DestinationRecord;
  assert.equal(record.requestContext.condition, 'Success');
  assert.equal(record.requestContext.approximateInvokeCount, 1);
  assert.equal(record.requestContext.requestId, 'req-ok');
  assert.deepEqual(record.requestPayload, { mode: 'ok' });
  assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
  assert.equal(record.responsePayload, 'fine');
  assert.equal(recorded.mqtt.length, 1);
});

test('a synchronous invocation is not retried and has no destination', async (t) => {
  const { runtime, recorded } = await setup(t, { asyncRetryDelayMs: 10 });
  await runtime.deploy(await fixture('faulty.ts', { destinations: { onSuccess: { mqtt: 'ok' }, onFailure: { mqtt: 'failed' } } }));
  const failed = await runtime.invoke('faulty', { mode: 'throw' }, { requestId: 'sync' });
  assert.equal(failed.ok, false);
  await runtime.invoke('faulty', { mode: 'ok' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(runtime.logs.query('faulty', { requestId: 'sync' }).filter((l) => l.level === 'START').length, 1);
  assert.deepEqual(recorded.mqtt, []);
});

test('an event older than maxEventAge is not run again: onFailure gets EventAgeExceeded', async (t) => {
  const { runtime, recorded } = await setup(t, { asyncRetryDelayMs: 200 });
  await runtime.deploy(await fixture('faulty.ts', { maxEventAgeMs: 100, destinations: { onFailure: { topic: 'alerts' } } }));
  await runtime.invoke('faulty', { mode: 'throw' }, { invocationType: 'Event', requestId: 'old' });
  const notification = await eventually(() => recorded.notifications[0]);
  assert.equal(notification.topicArn, 'alerts');
  const record = JSON.parse(notification.message) as DestinationRecord;
  assert.equal(record.requestContext.condition, 'EventAgeExceeded');
  assert.equal(record.requestContext.approximateInvokeCount, 1);
  assert.equal(runtime.logs.query('faulty', { requestId: 'old' }).filter((l) => l.level === 'START').length, 1);
});

test('reservedConcurrency: 1 runs one invocation at a time', async (t) => {
  const { runtime } = await setup(t);
  await runtime.deploy(await fixture('timed.ts', { reservedConcurrency: 1 }));
  const results = await Promise.all([runtime.invoke('timed', { ms: 150 }), runtime.invoke('timed', { ms: 150 }), runtime.invoke('timed', { ms: 150 })]);
  const spans = results.map((r) => {
    assert.ok(r.ok, JSON.stringify(r));
    return r.value as { start: number; end: number };
  });
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    assert.ok((spans[i] as { start: number }).start >= (spans[i - 1] as { end: number }).end, `invocation ${i} overlaps the one before: ${JSON.stringify(spans)}`);
  }
  // Without the reservation the same invocations overlap.
  await runtime.deploy(await fixture('timed.ts', { name: 'timed-free' }));
  const free = await Promise.all([runtime.invoke('timed-free', { ms: 300 }), runtime.invoke('timed-free', { ms: 300 })]);
  const [a, b] = free.map((r) => (r.ok ? (r.value as { start: number; end: number }) : assert.fail('failed')));
  assert.ok(a && b && a.start < b.end && b.start < a.end, 'unreserved invocations run at once');
});

test('reservedConcurrency: 0 throttles every invocation', async (t) => {
  const metrics = new Metrics({ defaultMetrics: false });
  const { runtime } = await setup(t, { metrics });
  await runtime.deploy(await fixture('noop.ts', { reservedConcurrency: 0 }));
  const result = await runtime.invoke('noop', {});
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.error.type, THROTTLED_ERROR_TYPE);
  assert.match(!result.ok ? result.error.message : '', /reserved concurrency of 0/);
  assert.equal(await counter(metrics.functionThrottles, { function: 'noop' }), 1);
  assert.equal(runtime.logs.query('noop').length, 0, 'it never ran');
});

test('the asynchronous settings are validated and reported', async (t) => {
  const { runtime } = await setup(t);
  await assert.rejects(runtime.deploy(await fixture('noop.ts', { retryAttempts: 3 })), /retryAttempts/);
  await assert.rejects(runtime.deploy(await fixture('noop.ts', { reservedConcurrency: -1 })), /reservedConcurrency/);
  await assert.rejects(runtime.deploy(await fixture('noop.ts', { destinations: { onFailure: { mqtt: 'a/#' } } })), /destinations.onFailure/);
  await runtime.deploy(await fixture('noop.ts'));
  assert.deepEqual(runtime.asyncConfig('noop'), { retryAttempts: 2, maxEventAgeMs: 6 * 3_600_000, hasOnFailure: false });
  await runtime.deploy(await fixture('noop.ts', { retryAttempts: 0, maxEventAgeMs: 60_000, destinations: { onFailure: { function: 'noop' } } }));
  assert.deepEqual(runtime.asyncConfig('noop'), { retryAttempts: 0, maxEventAgeMs: 60_000, hasOnFailure: true });
  assert.equal(runtime.asyncConfig('missing'), undefined);
});
