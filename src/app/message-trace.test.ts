/**
 * Traces fed as the server feeds them: the real pipeline, rule set and
 * executor (memory queue), with an object store that fails as told.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ActionExecutor, RuleSet, createMemoryActionQueue } from '../actions/index.js';
import { Metrics, SluiceError, silentLogger } from '../core/index.js';
import type { TraceDetail } from '../trace/index.js';
import { createTraceRing, traceAttempts } from './message-trace.js';
import { createMessagePipeline } from './pipeline.js';

const TOPIC = 'device/soilSensor1/devicePayload';

async function harness(t: TestContext, failures: Error[]) {
  const stored: string[] = [];
  const traces = createTraceRing(100);
  const queue = createMemoryActionQueue();
  const metrics = new Metrics({ defaultMetrics: false });
  const executor = new ActionExecutor({
    queue,
    logger: silentLogger(),
    metrics,
    random: () => 0,
    idlePollMs: 20,
    onAttempt: traceAttempts(traces),
    ports: {
      objects: {
        async putObject(bucket, key) {
          const failure = failures.shift();
          if (failure) throw failure;
          stored.push(`${bucket}/${key}`);
        },
      },
      functions: { invokeAsync: async () => ({ ok: true }) },
      broker: { publish: async () => {} },
      notifications: { deliver: async () => ({ ok: true }) },
    },
  });
  await executor.start();
  t.after(async () => {
    await executor.stop();
    await queue.close();
  });
  const rules = new RuleSet();
  rules.put({ name: 'Store', sql: `SELECT * FROM 'device/+/devicePayload'`, enabled: true, actions: [{ kind: 's3', bucket: 'readings', key: '${topic()}/${humidity}' }] });
  const pipeline = createMessagePipeline({ rules, executor, metrics, logger: silentLogger(), invoke: async () => undefined, traces });
  const publish = async (humidity: number): Promise<string> => {
    await pipeline({ topic: TOPIC, payload: Buffer.from(JSON.stringify({ humidity })), qos: 1, retain: false, clientId: 'soilSensor1', receivedAt: Date.now() });
    const [latest] = traces.list({ limit: 1 });
    assert.ok(latest);
    return latest.messageId;
  };
  const settled = async (messageId: string): Promise<TraceDetail> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const trace = traces.get(messageId);
      assert.ok(trace);
      if (trace.status !== 'pending') return trace;
      assert.ok(Date.now() < deadline, `still pending: ${JSON.stringify(trace)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { publish, settled, stored };
}

test('a failed attempt shows as retrying, then ok after the retry, with the object written', async (t) => {
  const h = await harness(t, [new Error('disk full')]);
  const id = await h.publish(29);
  const trace = await h.settled(id);
  assert.equal(trace.status, 'ok');
  assert.deepEqual(trace.rulesMatched, ['Store']);
  const action = trace.rules[0]?.actions[0];
  assert.equal(action?.jobId, `${id}:Store:0`);
  assert.equal(action?.kind, 's3');
  assert.equal(action?.status, 'ok');
  assert.equal(action?.attempts, 2);
  assert.equal(action?.error, undefined);
  assert.deepEqual(action?.result, { bucket: 'readings', key: `${TOPIC}/29` });
  assert.deepEqual(h.stored, [`readings/${TOPIC}/29`]);
  assert.ok(typeof trace.rules[0]?.evaluationMs === 'number');
});

test('a failure no retry can mend is dead-lettered, and the trace says failed with the error', async (t) => {
  const h = await harness(t, [new SluiceError('SLUICE_ERR_BUCKET_NOT_FOUND', "no bucket named 'readings'")]);
  const trace = await h.settled(await h.publish(30));
  assert.equal(trace.status, 'failed');
  const action = trace.rules[0]?.actions[0];
  assert.equal(action?.status, 'dead-letter');
  assert.equal(action?.attempts, 1);
  assert.match(action?.error ?? '', /no bucket named 'readings'/);
  assert.ok(action?.completedAt);
  assert.equal(action?.result, undefined);
});
