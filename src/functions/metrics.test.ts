import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../core/index.js';
import { fixture, setup } from './test-helpers.js';
import { THROTTLED_ERROR_TYPE, type InvocationResult } from './types.js';

type Labels = Partial<Record<string, string | number>>;

async function value(
  metric: { get(): Promise<{ values: ReadonlyArray<{ labels: Labels; value: number; metricName?: string }> }> },
  labels: Record<string, string>,
  metricName?: string,
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => (metricName === undefined || v.metricName === metricName) && Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((n, v) => n + v.value, 0);
}

test('invocations, errors and durations are counted per function and outcome', async (t) => {
  const metrics = new Metrics({ defaultMetrics: false });
  const { runtime } = await setup(t, { metrics });
  await runtime.deploy(await fixture('faulty.ts', { timeoutMs: 300 }));
  await runtime.invoke('faulty', { mode: 'ok' });
  await runtime.invoke('faulty', { mode: 'ok' });
  await runtime.invoke('faulty', { mode: 'throw' });
  await runtime.invoke('faulty', { mode: 'hang' });
  const invocations = (outcome: string) => value(metrics.functionInvocations, { function: 'faulty', outcome });
  assert.equal(await invocations('success'), 2);
  assert.equal(await invocations('error'), 1);
  assert.equal(await invocations('timeout'), 1);
  assert.equal(await invocations('throttled'), 0);
  assert.equal(await value(metrics.functionErrors, { function: 'faulty', type: 'ValidationError' }), 1);
  assert.equal(await value(metrics.functionErrors, { function: 'faulty', type: 'TimeoutError' }), 1, 'a timeout is an error, as in Lambda');
  assert.equal(await value(metrics.functionDuration, { function: 'faulty' }, 'sluice_function_duration_seconds_count'), 4);
  const seconds = await value(metrics.functionDuration, { function: 'faulty' }, 'sluice_function_duration_seconds_sum');
  assert.ok(seconds >= 0.3, `the timeout's 0.3 s is in the sum (${seconds})`);

  const text = await metrics.registry.metrics();
  assert.match(text, /^sluice_function_invocations_total\{function="faulty",outcome="success"\} 2$/m);
  assert.match(text, /^sluice_function_errors_total\{function="faulty",type="ValidationError"\} 1$/m);
  assert.match(text, /^sluice_function_concurrent_executions\{function="faulty"\} 0$/m);
});

test('beyond the worker cap and the wait queue an invocation is throttled at once; the gauges show running and queued', async (t) => {
  const metrics = new Metrics({ defaultMetrics: false });
  const { runtime } = await setup(t, { metrics, maxWorkersPerFunction: 1, maxQueuedPerFunction: 1 });
  await runtime.deploy(await fixture('faulty.ts'));
  await runtime.invoke('faulty', { mode: 'ok' }); // a warm worker, so the next one runs at once
  const running = runtime.invoke('faulty', { mode: 'slow' }, { requestId: 'running' });
  const queued = runtime.invoke('faulty', { mode: 'slow' }, { requestId: 'queued' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await value(metrics.functionConcurrent, { function: 'faulty' }), 1);
  assert.equal(await value(metrics.functionQueued, { function: 'faulty' }), 1);

  const throttled: InvocationResult = await runtime.invoke('faulty', { mode: 'ok' }, { requestId: 'throttled' });
  assert.ok(!throttled.ok);
  assert.equal(throttled.error.type, THROTTLED_ERROR_TYPE);
  assert.match(throttled.error.message, /Rate exceeded: function faulty has 1 invocations running and 1 waiting/);
  assert.deepEqual(runtime.logs.query('faulty', { requestId: 'throttled' }), [], 'a throttled invocation never ran, so it logs nothing');

  assert.deepEqual([(await running).ok, (await queued).ok], [true, true], 'the running and the queued invocation complete');
  assert.equal(await value(metrics.functionThrottles, { function: 'faulty' }), 1);
  assert.equal(await value(metrics.functionInvocations, { function: 'faulty', outcome: 'throttled' }), 1);
  assert.equal(await value(metrics.functionInvocations, { function: 'faulty', outcome: 'success' }), 3);
  assert.equal(await value(metrics.functionErrors, { function: 'faulty' }), 0, 'throttles are not errors');
  assert.equal(await value(metrics.functionConcurrent, { function: 'faulty' }), 0);
  assert.equal(await value(metrics.functionQueued, { function: 'faulty' }), 0);
});
