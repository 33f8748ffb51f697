import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ActionExecutor, createMemoryActionQueue, type ActionJob, type ActionTarget } from '../actions/index.js';
import { testJob } from '../actions/queue/fixtures.js';
import { Metrics, silentLogger } from '../core/index.js';
import type { DestinationRecord, FunctionDefinition } from '../functions/index.js';
import { fixture, setup } from '../functions/test-helpers.js';
import { functionActionPort } from './function-actions.js';

type Settled = { id: string; ok: boolean; deadLettered?: boolean };

/** A real runtime (real workers) behind a real executor on the memory queue; backoff delays are 0 (random() = 0). */
async function harness(t: TestContext, def: FunctionDefinition) {
  const metrics = new Metrics({ defaultMetrics: false });
  const { runtime, recorded, objects } = await setup(t, { metrics });
  await runtime.deploy(def);
  const queue = createMemoryActionQueue();
  const settled: Settled[] = [];
  const executor = new ActionExecutor({
    queue,
    logger: silentLogger(),
    metrics,
    random: () => 0,
    idlePollMs: 20,
    ports: {
      objects,
      functions: functionActionPort(runtime),
      broker: { publish: async () => {} },
      notifications: { deliver: async () => ({ ok: true }) },
    },
    onSettled: (job, outcome) => settled.push(outcome.ok ? { id: job.id, ok: true } : { id: job.id, ok: false, deadLettered: outcome.deadLettered }),
  });
  await executor.start();
  t.after(async () => {
    await executor.stop();
    await queue.close();
  });
  const until = async (what: string, check: () => boolean): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while (!check()) {
      if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { runtime, recorded, metrics, queue, executor, settled, until };
}

const FAULTY: ActionTarget = { kind: 'function', functionName: 'faulty' };
const job = (id: string, mode: string, extra: Partial<ActionJob> = {}): ActionJob => ({ ...testJob(id, { target: FAULTY, value: { mode } }), ...extra });
async function throttledAttempts(metrics: Metrics): Promise<number> {
  const { values } = await metrics.actions.get();
  return values.filter((v) => v.labels.outcome === 'throttled').reduce((n, v) => n + v.value, 0);
}
const starts = (runtime: { logs: { query(n: string, q: { requestId: string }): Array<{ level: string }> } }, id: string) =>
  runtime.logs.query('faulty', { requestId: id }).filter((l) => l.level === 'START').length;

test('a rule function action takes the function retryAttempts, then its onFailure destination instead of the error action', async (t) => {
  const h = await harness(t, await fixture('faulty.ts', { retryAttempts: 1, destinations: { onFailure: { mqtt: 'fn/faulty/failed' } } }));
  await h.executor.enqueue([job('j1', 'throw', { errorTarget: { kind: 'republish', topic: 'errors', qos: 1 } })], 1);
  await h.until('settled', () => h.settled.length === 1);
  assert.deepEqual(h.settled, [{ id: 'j1', ok: false, deadLettered: false }]);
  assert.equal(starts(h.runtime, 'j1'), 2, 'retryAttempts 1: two attempts in all');
  assert.equal(h.recorded.mqtt.length, 1);
  const record = JSON.parse(h.recorded.mqtt[0]?.payload.toString() ?? '') as DestinationRecord;
  assert.equal(record.requestContext.condition, 'RetriesExhausted');
  assert.equal(record.requestContext.requestId, 'j1');
  assert.equal(record.requestContext.approximateInvokeCount, 2);
  assert.deepEqual(record.requestPayload, { mode: 'throw' });
  assert.deepEqual(record.responsePayload, { errorType: 'ValidationError', errorMessage: 'humidity is not a number' });
  assert.equal(record.responseContext.functionError, 'Unhandled');
  assert.equal((await h.queue.listDeadLetters({}, Date.now())).length, 0, 'not dead-lettered');
});

test('without a destination, the default three attempts end in the dead-letter queue', async (t) => {
  const h = await harness(t, await fixture('faulty.ts'));
  await h.executor.enqueue([job('j2', 'throw')], 1);
  await h.until('settled', () => h.settled.length === 1);
  assert.deepEqual(h.settled, [{ id: 'j2', ok: false, deadLettered: true }]);
  assert.equal(starts(h.runtime, 'j2'), 3);
});

test('a rule retry limit wins over the function retryAttempts', async (t) => {
  const h = await harness(t, await fixture('faulty.ts', { retryAttempts: 2 }));
  await h.executor.enqueue([job('j3', 'throw', { retry: { maxAttempts: 1 } })], 1);
  await h.until('settled', () => h.settled.length === 1);
  assert.equal(starts(h.runtime, 'j3'), 1);
});

test('a rule function action that succeeds sends the Success record to onSuccess', async (t) => {
  const h = await harness(t, await fixture('faulty.ts', { destinations: { onSuccess: { topic: 'done' } } }));
  await h.executor.enqueue([job('j4', 'ok')], 1);
  await h.until('settled', () => h.settled.length === 1);
  assert.deepEqual(h.settled, [{ id: 'j4', ok: true }]);
  const record = JSON.parse(h.recorded.notifications[0]?.message ?? '') as DestinationRecord;
  assert.equal(h.recorded.notifications[0]?.topicArn, 'done');
  assert.equal(record.requestContext.condition, 'Success');
  assert.equal(record.requestContext.approximateInvokeCount, 1);
  assert.equal(record.responsePayload, 'fine');
});

test('a job past the function maxEventAge goes to onFailure with EventAgeExceeded', async (t) => {
  const h = await harness(t, await fixture('faulty.ts', { maxEventAgeMs: 1, destinations: { onFailure: { mqtt: 'old' } } }));
  await h.executor.enqueue([job('j5', 'throw')], 1);
  await h.until('settled', () => h.settled.length === 1);
  // 1 ms: the event may expire before its first attempt (then it never runs) or after it; never a second one.
  const attempts = starts(h.runtime, 'j5');
  assert.ok(attempts <= 1, `${attempts} attempts`);
  const record = JSON.parse(h.recorded.mqtt[0]?.payload.toString() ?? '') as DestinationRecord;
  assert.equal(record.requestContext.condition, 'EventAgeExceeded');
  assert.equal(record.requestContext.approximateInvokeCount, attempts);
});

test('a throttled rule function action is retried without using an attempt (reservedConcurrency 0 throttles every call)', async (t) => {
  const h = await harness(t, await fixture('faulty.ts', { reservedConcurrency: 0, retryAttempts: 0 }));
  await h.executor.enqueue([job('j6', 'ok')], 1);
  const deadline = Date.now() + 15_000;
  while ((await throttledAttempts(h.metrics)) < 2) {
    if (Date.now() > deadline) assert.fail('never throttled twice');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.deepEqual(h.settled, [], 'still waiting for its turn, not failed');
  assert.equal(starts(h.runtime, 'j6'), 0);
  const [queued] = await h.queue.lease(1, Date.now() + 3_600_000);
  assert.equal(queued?.attempts, 0, 'a throttle is not an attempt, so retryAttempts 0 does not end the event');
});

test('a rule action invocation is recorded with its rule as trigger; a job id of another shape has none', async (t) => {
  const h = await harness(t, await fixture('faulty.ts'));
  await h.executor.enqueue([job('01a21b28-1776-76e2-93d4-d7b78eb8cfc5:SoilHumidityAlertRule:0', 'ok'), job('j5', 'ok')], 1);
  await h.until('settled', () => h.settled.length === 2);
  const triggers = Object.fromEntries(h.runtime.invocations('faulty').map((record) => [record.requestId, record.trigger]));
  assert.deepEqual(triggers, { '01a21b28-1776-76e2-93d4-d7b78eb8cfc5:SoilHumidityAlertRule:0': 'rule:SoilHumidityAlertRule', j5: undefined });
});
