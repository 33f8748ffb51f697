import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Metrics, silentLogger } from '../core/index.js';
import { ActionError } from './action-error.js';
import { DeadLetters } from './dead-letters.js';
import { ActionExecutor } from './executor.js';
import type { ActionJob } from './model.js';
import type { ActionPorts } from './ports.js';
import { createMemoryActionQueue } from './queue/index.js';
import { ALL_BYTES, manualClock, testJob } from './queue/fixtures.js';

interface Invocation {
  functionName: string;
  event: unknown;
  requestId: string;
}

/** A function runtime that records invocations and fails (not retryably) while `failing` is true. */
function setup(t: TestContext) {
  const clock = manualClock();
  const queue = createMemoryActionQueue({ clock });
  const invocations: Invocation[] = [];
  const runtime = { failing: true };
  const ports: ActionPorts = {
    objects: { putObject: async () => {} },
    broker: { publish: async () => {} },
    notifications: { deliver: async () => ({ ok: true }) },
    functions: {
      async invokeAsync(functionName, event, requestId) {
        invocations.push({ functionName, event, requestId });
        if (runtime.failing) throw new ActionError(`Function not found: ${functionName}`, { retryable: false });
        return { ok: true };
      },
    },
  };
  const settled: Array<{ id: string; ok: boolean }> = [];
  const waiters: Array<() => void> = [];
  const executor = new ActionExecutor({
    queue,
    ports,
    logger: silentLogger(),
    metrics: new Metrics({ defaultMetrics: false }),
    clock,
    random: () => 0.5,
    // So long that only wake() can make it look at the queue again (a missed wake fails the test).
    idlePollMs: 3_600_000,
    onSettled: (job, outcome) => {
      settled.push({ id: job.id, ok: outcome.ok });
      for (const wake of waiters.splice(0)) wake();
    },
  });
  t.after(async () => {
    await executor.stop();
    await queue.close();
  });
  const settledCount = async (n: number): Promise<void> => {
    while (settled.length < n) await new Promise<void>((wake) => waiters.push(wake));
  };
  return { clock, queue, executor, runtime, invocations, settled, settledCount, deadLetters: new DeadLetters(queue, executor, clock) };
}

/** A few event-loop turns, so the executor has gone back to sleep: then only replay's wake() can make it run the job. */
async function asleep(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A binary message: the function is given it base64-encoded, so the bytes it receives can be compared. */
function binaryJob(id: string, ruleName = 'SoilRule'): ActionJob {
  return testJob(id, { ruleName, target: { kind: 'function', functionName: 'IoTFunction' }, value: undefined, payload: Buffer.from(ALL_BYTES) });
}

const FAILURE = { failedAction: 'LambdaAction', failedResource: 'IoTFunction', errorMessage: 'Function not found: IoTFunction' };

test('list and get show a dead letter with base64 payloads and ISO 8601 times', async (t) => {
  const s = setup(t);
  const t0 = s.clock.t;
  const job = { ...testJob('a', { target: { kind: 'function', functionName: 'IoTFunction' }, value: { h: 29 } }), originalPayload: Buffer.from('{"humidity":29,"name":"soilSensor1"}') };
  await s.executor.enqueue([job], 1);
  s.clock.t += 1_500;
  await s.executor.start();
  await s.settledCount(1);

  const view = {
    id: 'a',
    ruleName: 'SoilRule',
    topic: 'device/soilSensor1/devicePayload',
    clientId: 'soilSensor1',
    target: { kind: 'function', functionName: 'IoTFunction' },
    attempts: 1,
    enqueuedAt: new Date(t0).toISOString(),
    deadAt: new Date(t0 + 1_500).toISOString(),
    failures: [FAILURE],
    payloadBase64: Buffer.from('{"h":29}').toString('base64'),
    originalPayloadBase64: Buffer.from('{"humidity":29,"name":"soilSensor1"}').toString('base64'),
  };
  assert.equal(view.enqueuedAt, '2023-11-14T22:13:20.000Z');
  assert.deepEqual(await s.deadLetters.list({}), [view]);
  assert.deepEqual(await s.deadLetters.get('a'), view);
  assert.equal(await s.deadLetters.get('missing'), undefined);
  assert.deepEqual(await s.deadLetters.list({ ruleName: 'OtherRule' }), []);
});

test('replay by id puts the original job back, and the executor runs it with the original data', async (t) => {
  const s = setup(t);
  await s.executor.start();
  await s.executor.enqueue([binaryJob('a'), binaryJob('b')], 1);
  await s.settledCount(2);
  assert.equal((await s.deadLetters.list({})).length, 2);

  s.runtime.failing = false; // the function was deployed
  await asleep();
  assert.deepEqual(await s.deadLetters.replay({ jobId: 'a' }), ['a']);
  await s.settledCount(3);

  assert.deepEqual(s.settled, [
    { id: 'a', ok: false },
    { id: 'b', ok: false },
    { id: 'a', ok: true },
  ]);
  const [first, , replayed] = s.invocations;
  assert.ok(first && replayed);
  assert.equal(replayed.requestId, 'a', 'the same job id, so the function can deduplicate');
  assert.equal(replayed.requestId, first.requestId);
  assert.ok(Buffer.from(replayed.event as string, 'base64').equals(ALL_BYTES), 'the same bytes, every one of them');
  assert.deepEqual(replayed, first);
  assert.deepEqual((await s.deadLetters.list({})).map((l) => l.id), ['b'], 'only the replayed one left the dead letters');
  assert.equal((await s.queue.stats(s.clock.t)).depth, 0);
});

test('a replayed job fails into the dead letters again with its attempts counted afresh', async (t) => {
  const s = setup(t);
  await s.executor.start();
  await s.executor.enqueue([binaryJob('a')], 1);
  await s.settledCount(1);
  s.clock.t += 60_000;
  await asleep();
  await s.deadLetters.replay({ ruleName: 'SoilRule' });
  await s.settledCount(2);
  const again = await s.deadLetters.get('a');
  assert.equal(again?.attempts, 1);
  assert.equal(again?.deadAt, new Date(s.clock.t).toISOString());
  assert.deepEqual(again?.failures, [FAILURE]);
});

test('purge deletes the selected dead letters and reports how many', async (t) => {
  const s = setup(t);
  await s.executor.start();
  await s.executor.enqueue([binaryJob('a'), binaryJob('b'), binaryJob('c', 'OtherRule')], 1);
  await s.settledCount(3);

  assert.equal(await s.deadLetters.purge({ jobId: 'a' }), 1);
  assert.deepEqual((await s.deadLetters.list({})).map((l) => l.id), ['b', 'c']);
  assert.equal(await s.deadLetters.purge({ ruleName: 'SoilRule' }), 1);
  assert.deepEqual((await s.deadLetters.list({})).map((l) => l.id), ['c']);
  assert.equal(await s.deadLetters.purge({}), 1);
  assert.equal(await s.deadLetters.purge({}), 0);
  assert.equal((await s.queue.stats(s.clock.t)).deadLetters, 0);
  assert.deepEqual(await s.deadLetters.replay({}), [], 'a purged letter cannot be replayed');
});
