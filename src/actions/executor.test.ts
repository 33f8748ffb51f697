import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Metrics, silentLogger } from '../core/index.js';
import { ActionError } from './action-error.js';
import { ActionExecutor, type ExecutorOptions } from './executor.js';
import type { ActionJob, ActionTarget } from './model.js';
import { notificationJob } from './notifications.js';
import type { ActionPorts } from './ports.js';
import { createMemoryActionQueue, openSqliteActionQueue, type ActionQueue } from './queue/index.js';
import { ALL_BYTES, manualClock, testJob } from './queue/fixtures.js';
import { actionStatus } from './status.js';

// ---- recording fakes for the ports: every call is recorded; `behave` decides
// whether a call succeeds, fails with an error, or is held until `release`.

type PortCall =
  | { port: 'objects'; bucket: string; key: string; body: Buffer }
  | { port: 'functions'; functionName: string; event: unknown; requestId: string }
  | { port: 'broker'; topic: string; payload: Buffer; qos: 0 | 1 }
  | { port: 'notifications'; subscriptionId: string; messageId: string; jobId: string; attempt: number };

function resourceOf(call: PortCall): string {
  if (call.port === 'notifications') return call.subscriptionId;
  return call.port === 'objects' ? call.bucket : call.port === 'functions' ? call.functionName : call.topic;
}

/** A delivery failure the protocol calls final (an SMTP 550): the fake deliverer reports it as not retryable. */
class PermanentDeliveryError extends Error {}

interface FakePorts extends ActionPorts {
  readonly calls: PortCall[];
  /** Each call's fate: an error to fail with (a plain Error reaches `functions` as `{ ok: false }`), 'hold', or undefined for success. */
  behave: (call: PortCall, nth: number) => Error | 'hold' | undefined;
  /** Calls unfinished now / at most at once, for one resource or all. */
  active(resource?: string): number;
  maxActive(resource?: string): number;
  /** Finishes the oldest held call (on this resource); all of them with `releaseAll`. */
  release(resource?: string): void;
  releaseAll(): void;
  /** Resolves once at least `count` calls (on this resource) have started. */
  started(count: number, resource?: string): Promise<void>;
}

function fakePorts(): FakePorts {
  const calls: PortCall[] = [];
  const held: Array<{ resource: string; go: () => void }> = [];
  const running: string[] = [];
  const peaks = new Map<string, number>();
  const waiters: Array<() => void> = [];
  const count = (resource?: string): number => (resource === undefined ? running.length : running.filter((r) => r === resource).length);

  async function record(call: PortCall): Promise<void> {
    const resource = resourceOf(call);
    calls.push(call);
    running.push(resource);
    for (const key of [resource, '*']) peaks.set(key, Math.max(peaks.get(key) ?? 0, count(key === '*' ? undefined : key)));
    for (const wake of waiters.splice(0)) wake();
    try {
      const fate = ports.behave(call, calls.filter((c) => resourceOf(c) === resource).length);
      if (fate === 'hold') await new Promise<void>((go) => held.push({ resource, go }));
      else if (fate) throw fate;
    } finally {
      running.splice(running.indexOf(resource), 1);
    }
  }

  const ports: FakePorts = {
    calls,
    behave: () => undefined,
    active: count,
    maxActive: (resource) => peaks.get(resource ?? '*') ?? 0,
    release(resource) {
      const index = held.findIndex((h) => resource === undefined || h.resource === resource);
      if (index < 0) throw new Error(`no call is held${resource ? ` on ${resource}` : ''}`);
      held.splice(index, 1)[0]?.go();
    },
    releaseAll() {
      ports.behave = () => undefined;
      for (const h of held.splice(0)) h.go();
    },
    async started(n, resource) {
      while (calls.filter((c) => resource === undefined || resourceOf(c) === resource).length < n) await new Promise<void>((wake) => waiters.push(wake));
    },
    objects: {
      async putObject(bucket, key, body) {
        await record({ port: 'objects', bucket, key, body });
      },
    },
    functions: {
      async invokeAsync(functionName, event, requestId) {
        try {
          await record({ port: 'functions', functionName, event, requestId });
          return { ok: true };
        } catch (error) {
          if (error instanceof ActionError) throw error;
          const { name, message } = error as Error;
          return { ok: false, errorMessage: message, ...(name === 'TooManyRequestsException' ? { throttled: true } : {}) };
        }
      },
    },
    broker: {
      async publish(topic, payload, qos) {
        await record({ port: 'broker', topic, payload, qos });
      },
    },
    notifications: {
      async deliver(target, notification, jobId, attempt) {
        try {
          await record({ port: 'notifications', subscriptionId: target.subscriptionId, messageId: notification.messageId, jobId, attempt });
          return { ok: true };
        } catch (error) {
          return { ok: false, retryable: !(error instanceof PermanentDeliveryError), errorMessage: (error as Error).message };
        }
      },
    },
  };
  return ports;
}

// ---- the harness: one executor over a queue driver, a hand-moved clock, and
// an idle poll so long that a lost wake-up fails the test instead of hiding.

type Settlement = { id: string; ok: boolean; deadLettered?: boolean; error?: string };

interface Driver {
  name: string;
  open(clock: { now(): number }): Promise<{ queue: ActionQueue; reopen(): ActionQueue; cleanup(): Promise<void> }>;
}

const MEMORY: Driver = {
  name: 'memory',
  async open(clock) {
    const queue = createMemoryActionQueue({ clock });
    return { queue, reopen: () => queue, cleanup: async () => {} };
  },
};
const SQLITE: Driver = {
  name: 'sqlite',
  async open(clock) {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-executor-'));
    const file = join(dir, 'queue.db');
    return { queue: openSqliteActionQueue(file, { clock }), reopen: () => openSqliteActionQueue(file, { clock }), cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
};
const DRIVERS = [MEMORY, SQLITE];

const HOUR = 3_600_000;

async function harness(t: TestContext, driver: Driver, options: Partial<ExecutorOptions> = {}) {
  const clock = manualClock();
  const t0 = clock.t;
  const opened = await driver.open(clock);
  const queue = options.queue ?? opened.queue;
  const ports = fakePorts();
  const metrics = new Metrics({ defaultMetrics: false });
  const settled: Settlement[] = [];
  const settleWaiters: Array<() => void> = [];
  const executor = new ActionExecutor({
    queue,
    ports,
    logger: silentLogger(),
    metrics,
    clock,
    random: () => 0.5,
    idlePollMs: HOUR,
    onSettled: (job, outcome) => {
      settled.push(outcome.ok ? { id: job.id, ok: true } : { id: job.id, ok: false, deadLettered: outcome.deadLettered, error: outcome.error });
      for (const wake of settleWaiters.splice(0)) wake();
    },
    ...options,
  });
  t.after(async () => {
    ports.releaseAll();
    await executor.stop();
    await queue.close();
    await opened.cleanup();
  });
  /** Resolves once `count` jobs have settled for good. */
  const settledCount = async (count: number): Promise<void> => {
    while (settled.length < count) await new Promise<void>((wake) => settleWaiters.push(wake));
  };
  /** Waits for the n-th retry to be recorded, then moves the clock past any backoff and wakes the executor. */
  const afterRetry = async (n: number): Promise<void> => {
    await until(`retry ${n} recorded`, async () => (await counter(metrics.actions, { outcome: 'retry' })) >= n);
    clock.t += 60_000;
    executor.wake();
  };
  return { clock, t0, queue, reopen: opened.reopen, ports, metrics, executor, settled, settledCount, afterRetry };
}

/** Polls a condition once per event-loop turn, a bounded number of times: for state no event announces. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    await turn();
  }
  assert.fail(`never happened: ${what}`);
}

/** Lets already-queued callbacks run; used only to show that something did NOT happen. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

type Labels = Partial<Record<string, string | number>>;
/** The sum of a counter's or gauge's series matching these labels. */
async function counter(metric: { get(): Promise<{ values: ReadonlyArray<{ labels: Labels; value: number }> }> }, labels: Labels): Promise<number> {
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((n, v) => n + v.value, 0);
}

const S3_KEY = 'device/soilSensor1/1598536072677';
const S3: ActionTarget = { kind: 's3', bucket: 'RuleFilterBucket', key: S3_KEY };
const LAMBDA: ActionTarget = { kind: 'function', functionName: 'IoTFunction' };
const REPUBLISH: ActionTarget = { kind: 'republish', topic: 'alerts/soilSensor1', qos: 1 };

function job(id: string, target: ActionTarget, extra: Partial<ActionJob> = {}): ActionJob {
  return { ...testJob(id, { target }), ...extra };
}

function notifyJob(messageId: string, subscriptionId: string, retry: ActionJob['retry'] = {}): ActionJob {
  return notificationJob({
    id: `${messageId}:${subscriptionId}`,
    topicName: 'alerts',
    subscriptionId,
    protocol: 'email',
    notification: { messageId, message: 'Humidity 29', timestamp: 1598536072677 },
    retry: retry ?? {},
  });
}

for (const driver of DRIVERS) {
  const d = `[${driver.name}]`;

  test(`${d} runs enqueued jobs through their ports and completes them`, async (t) => {
    const h = await harness(t, driver);
    await h.executor.start();
    assert.equal(await h.executor.enqueue([job('a', S3), job('b', LAMBDA), job('c', REPUBLISH)], 1), 'enqueued');
    await h.settledCount(3);

    assert.deepEqual(h.settled.map((s) => [s.id, s.ok]).sort(), [['a', true], ['b', true], ['c', true]]);
    const s3 = h.ports.calls.find((c) => c.port === 'objects');
    assert.ok(s3?.port === 'objects');
    assert.deepEqual([s3.bucket, s3.key, s3.body.toString()], ['RuleFilterBucket', S3_KEY, JSON.stringify({ id: 'a', humidity: 22 })]);
    const fn = h.ports.calls.find((c) => c.port === 'functions');
    assert.ok(fn?.port === 'functions');
    assert.deepEqual([fn.functionName, fn.requestId, fn.event], ['IoTFunction', 'b', { id: 'b', humidity: 22 }]);
    const stats = await h.queue.stats(h.clock.now());
    assert.equal(stats.depth, 0);
    assert.equal((await h.queue.lease(10, h.clock.now() + HOUR)).length, 0, 'nothing left to lease');
    assert.equal(h.executor.backlog, 0);
    for (const kind of ['s3', 'function', 'republish']) assert.equal(await counter(h.metrics.actions, { rule: 'SoilRule', kind, outcome: 'success' }), 1, kind);
    assert.equal(await counter(h.metrics.actions, { outcome: 'retry' }), 0);
    assert.equal(await counter(h.metrics.actionsInFlight, {}), 0);
    const text = await h.metrics.registry.getSingleMetricAsString('sluice_action_duration_seconds');
    assert.match(text, /sluice_action_duration_seconds_count\{kind="s3"\} 1/);
  });

  for (const [name, error] of [
    ['a plain Error', new Error('503 Slow Down')],
    ['a retryable ActionError', new ActionError('503 Slow Down', { retryable: true })],
  ] as const) {
    test(`${d} ${name} sends the job back with one more attempt, not before now + backoff`, async (t) => {
      const h = await harness(t, driver);
      h.ports.behave = () => error;
      await h.executor.enqueue([job('a', S3)], 1);
      h.clock.t += 7; // the backoff counts from the failure, not from the enqueue
      await h.executor.start();
      await until('retry recorded', async () => (await counter(h.metrics.actions, { rule: 'SoilRule', kind: 's3', outcome: 'retry' })) === 1);
      await h.executor.stop();

      // s3: base 200 ms, attempt 1, random 0.5 → 100 ms
      assert.equal(await h.queue.nextReadyAt(), h.clock.t + 100);
      assert.deepEqual(await h.queue.lease(10, h.clock.t + 99), []);
      const [again] = await h.queue.lease(10, h.clock.t + 100);
      assert.deepEqual(again && { id: again.job.id, attempts: again.attempts, notBefore: again.notBefore, lastError: again.lastError }, {
        id: 'a',
        attempts: 1,
        notBefore: h.clock.t + 100,
        lastError: '503 Slow Down',
      });
      assert.equal(h.ports.calls.length, 1);
      assert.deepEqual(h.settled, [], 'a retry is not a settlement');
      assert.equal(await counter(h.metrics.actions, { outcome: 'failure' }), 0);
    });
  }

  test(`${d} a retried job runs again once the clock passes its backoff, and succeeds`, async (t) => {
    const h = await harness(t, driver);
    h.ports.behave = (_call, nth) => (nth === 1 ? new Error('handler threw') : undefined);
    await h.executor.start();
    await h.executor.enqueue([job('a', LAMBDA)], 1);
    await until('retry recorded', async () => (await counter(h.metrics.actions, { outcome: 'retry' })) === 1);
    assert.equal(h.ports.calls.length, 1, 'not run again before its time');
    h.clock.t += 500; // function: base 1000 ms, random 0.5
    h.executor.wake();
    await h.settledCount(1);

    assert.deepEqual(h.settled, [{ id: 'a', ok: true }]);
    assert.deepEqual(h.ports.calls.map((c) => c.port === 'functions' && c.requestId), ['a', 'a'], 'a retry reuses the invocation id');
    assert.equal(await counter(h.metrics.actions, { rule: 'SoilRule', kind: 'function', outcome: 'retry' }), 1);
    assert.equal(await counter(h.metrics.actions, { rule: 'SoilRule', kind: 'function', outcome: 'success' }), 1);
    assert.equal((await h.queue.stats(h.clock.t)).depth, 0);
  });

  test(`${d} exhausted retries run the error action, and the job is completed, not dead-lettered`, async (t) => {
    const h = await harness(t, driver);
    h.ports.behave = (call) => (call.port === 'functions' ? new Error('handler threw') : undefined);
    await h.executor.start();
    await h.executor.enqueue([job('a', LAMBDA, { errorTarget: { kind: 'republish', topic: 'errors', qos: 1 } })], 1);
    await h.afterRetry(1);
    await h.afterRetry(2);
    await h.settledCount(1);

    // function: maxAttempts 3, i.e. two retries, as asynchronous Lambda invokes.
    assert.equal(h.ports.calls.filter((c) => c.port === 'functions').length, 3);
    const report = h.ports.calls.find((c) => c.port === 'broker');
    assert.ok(report?.port === 'broker' && report.topic === 'errors');
    assert.deepEqual((JSON.parse(report.payload.toString()) as { failures: unknown }).failures, [
      { failedAction: 'LambdaAction', failedResource: 'IoTFunction', errorMessage: 'handler threw' },
    ]);
    assert.deepEqual(h.settled, [{ id: 'a', ok: false, deadLettered: false, error: 'handler threw' }]);
    const stats = await h.queue.stats(h.clock.t);
    assert.deepEqual([stats.depth, stats.deadLetters], [0, 0]);
    const rule = 'SoilRule';
    assert.equal(await counter(h.metrics.actions, { rule, kind: 'function', outcome: 'retry' }), 2);
    assert.equal(await counter(h.metrics.actions, { rule, kind: 'function', outcome: 'failure' }), 1);
    assert.equal(await counter(h.metrics.actions, { rule, kind: 'function', outcome: 'dead_letter' }), 0);
    assert.equal(await counter(h.metrics.actions, { rule, kind: 'error:republish', outcome: 'success' }), 1);
  });

  test(`${d} exhausted retries without an error action dead-letter the job with its failures`, async (t) => {
    const h = await harness(t, driver);
    h.ports.behave = () => new Error('handler threw');
    await h.executor.start();
    await h.executor.enqueue([job('a', LAMBDA)], 1);
    await h.afterRetry(1);
    await h.afterRetry(2);
    await h.settledCount(1);

    assert.equal(h.ports.calls.length, 3);
    assert.deepEqual(h.settled, [{ id: 'a', ok: false, deadLettered: true, error: 'handler threw' }]);
    assert.deepEqual(await h.queue.listDeadLetters({}, h.clock.t), [
      {
        job: job('a', LAMBDA),
        attempts: 3,
        enqueuedAt: h.t0,
        deadAt: h.clock.t,
        failures: [{ failedAction: 'LambdaAction', failedResource: 'IoTFunction', errorMessage: 'handler threw' }],
      },
    ]);
    assert.equal((await h.queue.stats(h.clock.t)).depth, 0);
    assert.equal(await counter(h.metrics.actions, { rule: 'SoilRule', kind: 'function', outcome: 'dead_letter' }), 1);
  });

  test(`${d} an error action that fails too dead-letters the job`, async (t) => {
    const h = await harness(t, driver);
    h.ports.behave = (call) => (call.port === 'objects' ? new ActionError('NoSuchBucket', { retryable: false }) : new Error('broker closed'));
    await h.executor.start();
    await h.executor.enqueue([job('a', S3, { errorTarget: { kind: 'republish', topic: 'errors', qos: 0 } })], 1);
    await h.settledCount(1);

    assert.deepEqual(h.ports.calls.map((c) => c.port), ['objects', 'broker'], 'the action once (not retryable), then its error action once');
    assert.deepEqual(h.settled, [{ id: 'a', ok: false, deadLettered: true, error: 'NoSuchBucket' }]);
    const [letter] = await h.queue.listDeadLetters({}, h.clock.t);
    assert.deepEqual(letter?.failures, [{ failedAction: 'S3Action', failedResource: 'RuleFilterBucket', errorMessage: 'NoSuchBucket' }]);
    assert.equal(letter?.job.errorTarget?.kind, 'republish', 'the dead letter keeps the job as it was');
    assert.equal(await counter(h.metrics.actions, { kind: 'error:republish', outcome: 'failure' }), 1);
  });

  test(`${d} a function job just under the default maxAgeMs (6 h) runs, and is retried when it fails`, async (t) => {
    const h = await harness(t, driver);
    h.ports.behave = () => new Error('handler threw');
    await h.executor.enqueue([job('a', LAMBDA)], 1);
    h.clock.t += 6 * HOUR - 1;
    await h.executor.start();
    await until('retry recorded', async () => (await counter(h.metrics.actions, { outcome: 'retry' })) === 1);
    assert.equal((await h.queue.stats(h.clock.t)).deadLetters, 0);
    assert.equal(h.ports.calls.length, 1);
  });

  test(`${d} a function job as old as its maxAgeMs is not run at all (Lambda discards the event)`, async (t) => {
    const h = await harness(t, driver);
    await h.executor.enqueue([job('a', LAMBDA)], 1);
    h.clock.t += 6 * HOUR;
    await h.executor.start();
    await h.settledCount(1);
    assert.equal(h.ports.calls.length, 0, 'the function never ran');
    assert.deepEqual(h.settled, [{ id: 'a', ok: false, deadLettered: true, error: 'the event expired before its first attempt' }]);
  });

  test(`${d} a failed function job that waited past its maxAgeMs is not run again`, async (t) => {
    const h = await harness(t, driver);
    h.ports.behave = () => new Error('handler threw');
    await h.executor.enqueue([job('a', LAMBDA, { retry: { maxAgeMs: 120_000 } })], 1);
    await h.executor.start();
    await until('retry recorded', async () => (await counter(h.metrics.actions, { outcome: 'retry' })) === 1);
    h.clock.t += 120_000;
    h.executor.wake();
    await h.settledCount(1);
    assert.equal(h.ports.calls.length, 1, 'one attempt; the retry came too late');
    assert.deepEqual(h.settled, [{ id: 'a', ok: false, deadLettered: true, error: 'handler threw' }]);
    const [letter] = await h.queue.listDeadLetters({}, h.clock.t);
    assert.equal(letter?.attempts, 1);
  });

  test(`${d} a throttled function is retried without using up an attempt`, async (t) => {
    const h = await harness(t, driver);
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
    h.ports.behave = (_call, nth) => (nth <= 5 ? throttle : nth === 6 ? new Error('handler threw') : undefined);
    await h.executor.enqueue([job('a', LAMBDA)], 1); // function default: 3 attempts
    await h.executor.start();
    for (let n = 1; n <= 5; n++) {
      await until(`throttle ${n} recorded`, async () => (await counter(h.metrics.actions, { outcome: 'throttled' })) >= n);
      h.clock.t += 10 * 60_000;
      h.executor.wake();
    }
    await h.afterRetry(1);
    await h.settledCount(1);
    assert.equal(h.ports.calls.length, 7, 'five throttles, a failure, then a success');
    assert.deepEqual(h.settled, [{ id: 'a', ok: true }]);
  });

  // Rule limits travel in `job.retry`, stored by the queue codec with the job.

  test(`${d} the rule's maxAttempts (job.retry) bounds the attempts`, async (t) => {
    const h = await harness(t, driver);
    h.ports.behave = () => new Error('503 Slow Down');
    await h.executor.start();
    await h.executor.enqueue([job('a', S3, { retry: { maxAttempts: 2 } })], 1); // s3 default: 8
    await h.afterRetry(1);
    // Either it settles after the 2nd attempt, or (the bug) it is retried again: wait for whichever comes.
    await until('settled or retried again', async () => h.settled.length > 0 || (await counter(h.metrics.actions, { outcome: 'retry' })) > 1);
    assert.equal(h.ports.calls.length, 2);
    assert.deepEqual(h.settled, [{ id: 'a', ok: false, deadLettered: true, error: '503 Slow Down' }]);
  });

  test(`${d} past the rule's maxAgeMs (job.retry) a failed job is not retried`, async (t) => {
    const h = await harness(t, driver);
    h.ports.behave = () => new Error('503 Slow Down');
    await h.executor.enqueue([job('a', S3, { retry: { maxAgeMs: 60_000 } })], 1); // s3 default: 24 h
    h.clock.t += 60_000;
    await h.executor.start();
    await until('settled or retried', async () => h.settled.length > 0 || (await counter(h.metrics.actions, { outcome: 'retry' })) > 0);
    assert.equal(h.ports.calls.length, 1);
    assert.deepEqual(h.settled, [{ id: 'a', ok: false, deadLettered: true, error: '503 Slow Down' }]);
  });

  test(`${d} stop() lets running jobs finish and leaves the rest queued for the next executor`, async (t) => {
    const h = await harness(t, driver, { concurrency: 2, perTargetConcurrency: 2 });
    h.ports.behave = () => 'hold';
    await h.executor.enqueue(['a', 'b', 'c', 'd', 'e'].map((id) => job(id, S3)), 1);
    await h.executor.start();
    await h.ports.started(2);
    let stopped = false;
    const stopping = h.executor.stop().then(() => (stopped = true));
    for (let i = 0; i < 5; i++) await turn();
    assert.equal(stopped, false, 'stop waits for the running jobs');
    h.ports.release();
    h.ports.release();
    await stopping;

    assert.equal(h.ports.calls.length, 2, 'nothing new starts once stopping');
    assert.deepEqual(h.settled.map((s) => [s.id, s.ok]), [['a', true], ['b', true]]);
    assert.equal((await h.queue.stats(h.clock.t)).depth, 3);

    const next = await harness(t, MEMORY, { queue: h.queue });
    await next.executor.start();
    await next.settledCount(3);
    assert.deepEqual(next.settled.map((s) => [s.id, s.ok]), [['c', true], ['d', true], ['e', true]]);
    assert.equal(next.ports.calls.length, 3, 'a and b are not run again');
    assert.equal((await h.queue.stats(h.clock.t)).depth, 0);
  });

  // Notification deliveries: the schedule travels in job.retry, made by the notification service at publish.

  test(`${d} a notification delivery follows its SNS schedule exactly (4 attempts, 20 s apart, no jitter), then is dead-lettered`, async (t) => {
    const h = await harness(t, driver, { random: () => 0.999 });
    h.ports.behave = () => new Error('connect ECONNREFUSED 127.0.0.1:25');
    const delivery = notifyJob('m1', 's1', { maxAttempts: 4, maxAgeMs: 24 * HOUR, baseDelayMs: 20_000, maxDelayMs: 20_000, backoff: 'linear' });
    await h.executor.start();
    await h.executor.enqueue([delivery], 1);
    for (let retry = 1; retry <= 3; retry++) {
      await until(`retry ${retry}`, async () => (await counter(h.metrics.actions, { rule: '$notify/alerts', kind: 'notification', outcome: 'retry' })) === retry);
      const waiting = await h.queue.get('m1:s1');
      assert.deepEqual([waiting?.state, waiting?.attempts, waiting && waiting.notBefore - h.clock.t], ['ready', retry, 20_000], `retry ${retry}`);
      h.clock.t += 20_000;
      h.executor.wake();
    }
    await h.settledCount(1);
    assert.deepEqual(h.ports.calls.map((c) => c.port === 'notifications' && c.attempt), [1, 2, 3, 4]);
    assert.deepEqual(h.settled, [{ id: 'm1:s1', ok: false, deadLettered: true, error: 'connect ECONNREFUSED 127.0.0.1:25' }]);
    const [letter] = await h.queue.listDeadLetters({ ruleName: '$notify/alerts', target: 'notify:s1' }, h.clock.t);
    assert.deepEqual(letter?.failures, [
      { failedAction: 'SnsAction', failedResource: 'arn:sluice:sns:local:000000000000:alerts:s1', errorMessage: 'connect ECONNREFUSED 127.0.0.1:25' },
    ]);
    assert.equal(letter?.attempts, 4);
  });

  test(`${d} a notification the protocol rejects for good (SMTP 550) is dead-lettered after one attempt`, async (t) => {
    const h = await harness(t, driver);
    h.ports.behave = () => new PermanentDeliveryError('550 5.1.1 mailbox unavailable');
    await h.executor.start();
    await h.executor.enqueue([notifyJob('m1', 's1', { maxAttempts: 50, maxAgeMs: 24 * HOUR, baseDelayMs: 10_000, maxDelayMs: 900_000 })], 1);
    await h.settledCount(1);
    assert.equal(h.ports.calls.length, 1);
    assert.deepEqual(h.settled, [{ id: 'm1:s1', ok: false, deadLettered: true, error: '550 5.1.1 mailbox unavailable' }]);
    assert.equal(await counter(h.metrics.actions, { outcome: 'retry' }), 0);
  });

  test(`${d} one subscription's failing endpoint does not hold back another's deliveries`, async (t) => {
    const h = await harness(t, driver, { perTargetConcurrency: 1 });
    h.ports.behave = (call) => (call.port === 'notifications' && call.subscriptionId === 'down' ? 'hold' : undefined);
    await h.executor.start();
    await h.executor.enqueue([notifyJob('m1', 'down'), notifyJob('m2', 'down'), notifyJob('m1', 'up'), notifyJob('m2', 'up')], 1);
    await h.settledCount(2);
    assert.deepEqual(h.settled.map((s) => s.id).sort(), ['m1:up', 'm2:up']);
    assert.equal(h.ports.maxActive('down'), 1, 'per-target bound: one delivery at a time to the stuck endpoint');
  });

  test(`${d} derived jobs (a function's notifications) are taken over maxBacklog without waiting`, async (t) => {
    const h = await harness(t, driver, { concurrency: 1, maxBacklog: 1 });
    h.ports.behave = () => 'hold';
    await h.executor.start();
    await h.executor.enqueue([job('a', S3)], 1);
    await h.ports.started(1);
    assert.equal(await h.executor.enqueue([notifyJob('m1', 's1'), notifyJob('m1', 's2')], 1, { derived: true }), 'enqueued');
    assert.equal((await h.queue.stats(h.clock.t)).depth, 3);
    h.ports.releaseAll();
    await h.settledCount(3);
  });

  test(`${d} back-pressure: beyond maxBacklog QoS 0 is dropped and counted, QoS 1 waits for room`, async (t) => {
    const h = await harness(t, driver, { concurrency: 1, maxBacklog: 3 });
    h.ports.behave = () => 'hold';
    await h.executor.start();
    for (const id of ['a', 'b', 'c']) assert.equal(await h.executor.enqueue([job(id, S3)], 1), 'enqueued');
    await h.ports.started(1);

    assert.equal(await h.executor.enqueue([job('dropped', S3)], 0), 'dropped');
    assert.equal(await counter(h.metrics.messagesDropped, { reason: 'backlog_full' }), 1);
    let outcome: string | undefined;
    const waiting = h.executor.enqueue([job('d', S3)], 1).then((o) => (outcome = o));
    for (let i = 0; i < 5; i++) await turn();
    assert.equal(outcome, undefined, 'the QoS 1 caller waits while the backlog is full');
    assert.equal((await h.queue.stats(h.clock.t)).depth, 3);

    h.ports.release(); // a finishes: room for one
    await waiting;
    assert.equal(outcome, 'enqueued');
    h.ports.behave = () => undefined;
    h.ports.releaseAll();
    await h.settledCount(4);
    assert.deepEqual(h.settled.map((s) => s.id), ['a', 'b', 'c', 'd'], 'the dropped message never ran');
    assert.equal(await counter(h.metrics.messagesDropped, { reason: 'backlog_full' }), 1);
  });
}

// [action that fails, how it fails, AWS failedAction, failedResource]
const NOT_RETRYABLE: Array<[ActionTarget, string, string]> = [
  [S3, 'S3Action', 'RuleFilterBucket'],
  [LAMBDA, 'LambdaAction', 'IoTFunction'],
  [REPUBLISH, 'RepublishAction', 'alerts/soilSensor1'],
];

for (const [target, failedAction, failedResource] of NOT_RETRYABLE) {
  test(`a non-retryable ${target.kind} failure runs the error action at once with AWS's message (${failedAction})`, async (t) => {
    const h = await harness(t, MEMORY);
    // The error action goes to another port than the one failing: a function for s3, s3 otherwise.
    const errorTarget: ActionTarget = target.kind === 's3' ? { kind: 'function', functionName: 'ErrorHandler' } : { kind: 's3', bucket: 'errors', key: 'failures/a' };
    const failing = target.kind === 's3' ? 'objects' : target.kind === 'function' ? 'functions' : 'broker';
    h.ports.behave = (call) => (call.port === failing ? new ActionError('target unavailable', { retryable: false }) : undefined);
    await h.executor.start();
    // The action got the SELECT output; the error action must get the device's bytes.
    await h.executor.enqueue([{ ...job('a', target, { errorTarget }), originalPayload: Buffer.from(ALL_BYTES) }], 1);
    await h.settledCount(1);

    assert.equal(h.ports.calls.length, 2, 'the action once, then its error action');
    const errorCall = h.ports.calls[1];
    let report: unknown;
    if (errorCall?.port === 'functions') {
      assert.deepEqual([errorCall.functionName, errorCall.requestId], ['ErrorHandler', 'a:error']);
      report = errorCall.event;
    } else {
      assert.ok(errorCall?.port === 'objects');
      assert.deepEqual([errorCall.bucket, errorCall.key], ['errors', 'failures/a']);
      report = JSON.parse(errorCall.body.toString('utf8'));
    }
    assert.deepEqual(report, {
      ruleName: 'SoilRule',
      topic: 'device/soilSensor1/devicePayload',
      cloudwatchTraceId: 'a',
      clientId: 'soilSensor1',
      base64OriginalPayload: ALL_BYTES.toString('base64'),
      failures: [{ failedAction, failedResource, errorMessage: 'target unavailable' }],
    });
    assert.deepEqual(h.settled, [{ id: 'a', ok: false, deadLettered: false, error: 'target unavailable' }]);
    const stats = await h.queue.stats(h.clock.t);
    assert.deepEqual([stats.depth, stats.deadLetters], [0, 0], 'completed, not dead-lettered');
    assert.equal(await counter(h.metrics.actions, { outcome: 'retry' }), 0);
    assert.equal(await counter(h.metrics.actions, { rule: 'SoilRule', kind: target.kind, outcome: 'failure' }), 1);
    assert.equal(await counter(h.metrics.actions, { rule: 'SoilRule', kind: `error:${errorTarget.kind}`, outcome: 'success' }), 1);
  });
}

for (const concurrency of [1, 3, 8]) {
  test(`never runs more than concurrency=${concurrency} jobs at once`, async (t) => {
    const h = await harness(t, MEMORY, { concurrency, perTargetConcurrency: 100 });
    h.ports.behave = () => 'hold';
    const total = 20;
    await h.executor.enqueue(Array.from({ length: total }, (_, i) => job(`j${i}`, S3)), 1);
    await h.executor.start();
    await h.ports.started(concurrency);
    assert.equal(h.ports.active(), concurrency, 'fills every slot');
    assert.equal(h.executor.running, concurrency);
    assert.equal(await counter(h.metrics.actionsInFlight, {}), concurrency);
    // Finish one job at a time; each finish lets exactly one more start.
    for (let finished = 1; finished <= total; finished++) {
      h.ports.release();
      if (finished + concurrency <= total) await h.ports.started(finished + concurrency);
    }
    await h.settledCount(total);
    assert.equal(h.ports.calls.length, total);
    assert.equal(h.ports.maxActive(), concurrency);
    assert.equal(await counter(h.metrics.actionsInFlight, {}), 0);
  });
}

test('per-target concurrency: a slow bucket holds at most its share while another target progresses', async (t) => {
  const h = await harness(t, MEMORY, { concurrency: 4, perTargetConcurrency: 2 });
  h.ports.behave = (call) => (resourceOf(call) === 'slow' ? 'hold' : undefined);
  const slow = Array.from({ length: 10 }, (_, i) => job(`slow-${i}`, { kind: 's3', bucket: 'slow', key: `${i}` }));
  const fast = Array.from({ length: 6 }, (_, i) => job(`fast-${i}`, { kind: 's3', bucket: 'fast', key: `${i}` }));
  await h.executor.enqueue(slow, 1); // older than every fast job, so leased first when allowed
  await h.executor.enqueue(fast, 1);
  await h.executor.start();
  await h.settledCount(6);

  assert.deepEqual(h.settled.map((s) => s.id).sort(), fast.map((j) => j.id), 'every fast job finished while the slow ones were held');
  assert.equal(h.ports.active('slow'), 2);
  assert.equal(h.ports.maxActive('slow'), 2);
  // Let the slow bucket drain, one at a time: it never exceeds its share, though slots are free.
  for (let done = 1; done <= 10; done++) {
    await h.ports.started(done, 'slow');
    h.ports.release('slow');
    await h.settledCount(6 + done);
  }
  assert.equal(h.ports.calls.filter((c) => resourceOf(c) === 'slow').length, 10);
  assert.equal(h.ports.maxActive('slow'), 2);
  assert.ok(h.ports.maxActive() <= 4, `global bound: ${h.ports.maxActive()}`);
});

test('sqlite: a job leased by an executor that crashed runs again in the next one (at-least-once)', async (t) => {
  const h = await harness(t, SQLITE);
  await h.queue.enqueue([job('a', LAMBDA)]);
  const [leased] = await h.queue.lease(1, h.clock.t); // the crashed process held this lease...
  assert.equal(leased?.job.id, 'a');
  assert.deepEqual(await h.queue.lease(1, h.clock.t), [], 'a leased job is not handed out twice');
  await h.queue.close(); // ...and died without completing it

  const next = await harness(t, MEMORY, { queue: h.reopen() });
  await next.executor.start();
  await next.settledCount(1);
  assert.deepEqual(next.settled, [{ id: 'a', ok: true }]);
  assert.deepEqual(next.ports.calls.map((c) => c.port === 'functions' && c.requestId), ['a']);
  assert.equal((await next.queue.stats(next.clock.t)).depth, 0);
});

test('a queue read that fails does not end the executor: it runs the job on the next wake', async (t) => {
  const inner = createMemoryActionQueue({ clock: manualClock() });
  let failures = 1;
  const flaky: ActionQueue = {
    ...inner,
    async lease(limit, now, options) {
      if (failures-- > 0) throw new Error('SQLITE_BUSY: database is locked');
      return inner.lease(limit, now, options);
    },
  };
  const h = await harness(t, MEMORY, { queue: flaky });
  await h.executor.start();
  await h.executor.enqueue([job('a', S3)], 1);
  // The enqueue's wake meets the failing read; wake again once it has failed.
  await until('the failing read happened', () => failures <= 0);
  h.executor.wake();
  await h.settledCount(1);
  assert.deepEqual(h.settled, [{ id: 'a', ok: true }]);
});

test('actionStatus: per-rule counts from the metrics, queue depth and dead letters', async (t) => {
  const h = await harness(t, MEMORY);
  h.ports.behave = (call, nth) => {
    const resource = resourceOf(call);
    if (resource === 'AlertFn') return new ActionError('function not found', { retryable: false });
    if (resource === 'flaky') return nth === 1 ? new Error('503') : undefined;
    if (resource === 'slow') return 'hold';
    return undefined;
  };
  const rule = (ruleName: string, id: string, target: ActionTarget, extra: Partial<ActionJob> = {}): ActionJob => ({ ...job(id, target, extra), ruleName });
  await h.executor.enqueue(
    [
      rule('SoilRule', 's1', S3),
      rule('SoilRule', 's2', S3),
      rule('AlertRule', 'a1', { kind: 'function', functionName: 'AlertFn' }, { errorTarget: { kind: 's3', bucket: 'errors', key: 'a1' } }),
      rule('AlertRule', 'a2', { kind: 'function', functionName: 'AlertFn' }),
      rule('FlakyRule', 'f1', { kind: 's3', bucket: 'flaky', key: 'f1' }),
      rule('SlowRule', 'w1', { kind: 'republish', topic: 'slow', qos: 0 }),
    ],
    1,
  );
  // SlowRule has no matches counted (its job was queued before a restart): the queue alone lists it.
  for (const [name, n] of [['SoilRule', 2], ['AlertRule', 2], ['FlakyRule', 1], ['QuietRule', 3]] as const) h.metrics.ruleMatches.inc({ rule: name }, n);
  await h.executor.start();
  await h.settledCount(4);
  await until('the flaky job is retried', async () => (await counter(h.metrics.actions, { outcome: 'retry' })) === 1);
  await h.ports.started(1, 'slow');
  // The flaky job's retry is recorded just before its run ends: wait for the end too.
  await until('only the slow job runs', async () => h.executor.running === 1);
  h.clock.t += 5_000;

  const status = await actionStatus(h.queue, h.executor, h.metrics, h.clock);
  const zero = { matched: 0, succeeded: 0, retried: 0, failed: 0, deadLettered: 0, queued: 0 };
  assert.deepEqual(status, {
    backlog: 2,
    running: 1,
    deadLetters: 1,
    oldestJobAgeMs: 5_000,
    rules: [
      // The error action's own success (error:s3) is not counted as the rule's.
      { ...zero, rule: 'AlertRule', matched: 2, failed: 2, deadLettered: 1 },
      { ...zero, rule: 'FlakyRule', matched: 1, retried: 1, queued: 1 },
      { ...zero, rule: 'QuietRule', matched: 3 },
      { ...zero, rule: 'SlowRule', queued: 1 },
      { ...zero, rule: 'SoilRule', matched: 2, succeeded: 2 },
    ],
  });
});
