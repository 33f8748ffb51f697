import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, silentLogger } from '../core/index.js';
import { ActionDispatcher, type DispatcherOptions } from './dispatcher.js';
import type { ActionPorts } from './ports.js';
import type { ActionInput, ActionJob, ActionTarget } from './model.js';

// ---- recording fakes for the ports: every call is recorded; a call can be held
// open (`hold`) so the test decides when it finishes, or made to fail (`failWith`).

type PortCall =
  | { port: 'objects'; bucket: string; key: string; body: Buffer; options: { contentType?: string; metadata?: Record<string, string> } | undefined }
  | { port: 'functions'; functionName: string; event: unknown; requestId: string }
  | { port: 'broker'; topic: string; payload: Buffer; qos: 0 | 1 };

interface RecordingPorts extends ActionPorts {
  readonly calls: PortCall[];
  /** Calls not finished yet. */
  readonly active: number;
  /** The most calls that were unfinished at once. */
  readonly maxActive: number;
  /** While true, each call waits for `release()`. */
  hold: boolean;
  /** Finishes the oldest held call. */
  release(): void;
  /** Makes calls to this port fail with this message (functions report `{ ok: false }`). */
  failWith(port: PortCall['port'], message: string): void;
  /** Resolves once at least `count` calls have started. */
  started(count: number): Promise<void>;
}

function recordingPorts(): RecordingPorts {
  const calls: PortCall[] = [];
  const held: Array<() => void> = [];
  const failures = new Map<PortCall['port'], string>();
  const startWaiters: Array<{ count: number; wake: () => void }> = [];
  let active = 0;
  let maxActive = 0;

  async function record(call: PortCall): Promise<string | undefined> {
    calls.push(call);
    active += 1;
    maxActive = Math.max(maxActive, active);
    for (const waiter of startWaiters.filter((w) => calls.length >= w.count)) {
      startWaiters.splice(startWaiters.indexOf(waiter), 1);
      waiter.wake();
    }
    try {
      if (ports.hold) await new Promise<void>((resolve) => held.push(resolve));
      return failures.get(call.port);
    } finally {
      active -= 1;
    }
  }

  const ports: RecordingPorts = {
    calls,
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
    hold: false,
    release() {
      const next = held.shift();
      if (!next) throw new Error('no call is held');
      next();
    },
    failWith(port, message) {
      failures.set(port, message);
    },
    started(count) {
      if (calls.length >= count) return Promise.resolve();
      return new Promise((wake) => startWaiters.push({ count, wake }));
    },
    objects: {
      async putObject(bucket, key, body, options) {
        const failure = await record({ port: 'objects', bucket, key, body, options });
        if (failure !== undefined) throw new Error(failure);
      },
    },
    functions: {
      async invokeAsync(functionName, event, requestId) {
        const failure = await record({ port: 'functions', functionName, event, requestId });
        return failure === undefined ? { ok: true } : { ok: false, errorMessage: failure };
      },
    },
    broker: {
      async publish(topic, payload, qos) {
        const failure = await record({ port: 'broker', topic, payload, qos });
        if (failure !== undefined) throw new Error(failure);
      },
    },
  };
  return ports;
}

const SAMPLE_PAYLOAD = Buffer.from('{"name":"soilSensor3","humidity":29,"timeStampEpoch":1598536072677,"timeStampIso":"2020-08-27T13:47:52.677721"}');

function sampleInput(overrides: Partial<ActionInput> = {}): ActionInput {
  return {
    topic: 'device/soilSensor3/devicePayload',
    clientId: 'soilSensor3',
    timestamp: 1598536072677,
    payload: SAMPLE_PAYLOAD,
    value: JSON.parse(SAMPLE_PAYLOAD.toString('utf8')) as unknown,
    ...overrides,
  };
}

function sampleJob(n: number, target: ActionTarget = { kind: 's3', bucket: 'RuleFilterBucket', key: `k/${n}` }, extra: Partial<ActionJob> = {}): ActionJob {
  return {
    id: `msg-${n}:SoilHumidityTestRule:0`,
    ruleName: 'SoilHumidityTestRule',
    actionIndex: 0,
    target,
    input: sampleInput(),
    originalPayload: SAMPLE_PAYLOAD,
    ...extra,
  };
}

function dispatcher(ports: RecordingPorts, options: Partial<DispatcherOptions> = {}): { dispatcher: ActionDispatcher; metrics: Metrics; settled: Array<[string, boolean]> } {
  const metrics = new Metrics({ defaultMetrics: false });
  const settled: Array<[string, boolean]> = [];
  const d = new ActionDispatcher({
    ports,
    logger: silentLogger(),
    metrics,
    onSettled: (job, outcome) => settled.push([job.id, outcome.ok]),
    ...options,
  });
  return { dispatcher: d, metrics, settled };
}

/** Lets already-queued callbacks run; used only to show that something did NOT happen. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

type Labels = Partial<Record<string, string | number>>;
/** A counter's or gauge's value for the series with these labels (0 if it has none yet). */
async function counterValue(metric: { get(): Promise<{ values: ReadonlyArray<{ labels: Labels; value: number }> }> }, labels: Labels): Promise<number> {
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return hit?.value ?? 0;
}

test('runs every job through its port and drains', async () => {
  const ports = recordingPorts();
  const { dispatcher: d, settled } = dispatcher(ports);
  await d.enqueue([
    sampleJob(1),
    sampleJob(2, { kind: 'function', functionName: 'IoTFunction' }),
    sampleJob(3, { kind: 'republish', topic: 'alerts/soilSensor3', qos: 1 }),
  ]);
  await d.drain();
  assert.equal(d.pending, 0);
  assert.deepEqual(
    ports.calls.map((c) => c.port),
    ['objects', 'functions', 'broker'],
  );
  assert.deepEqual(settled, [
    ['msg-1:SoilHumidityTestRule:0', true],
    ['msg-2:SoilHumidityTestRule:0', true],
    ['msg-3:SoilHumidityTestRule:0', true],
  ]);
});

for (const concurrency of [1, 3, 8]) {
  test(`never runs more than concurrency=${concurrency} jobs at once`, async () => {
    const ports = recordingPorts();
    ports.hold = true;
    const { dispatcher: d } = dispatcher(ports, { concurrency });
    const total = 20;
    await d.enqueue(Array.from({ length: total }, (_, i) => sampleJob(i)));
    await ports.started(Math.min(concurrency, total));
    assert.equal(ports.active, concurrency, 'fills every slot');
    assert.equal(d.pending, total);
    // Finish one job at a time; each finish lets exactly one more start.
    for (let finished = 0; finished < total; finished++) {
      ports.release();
      if (finished + concurrency < total) await ports.started(finished + concurrency + 1);
    }
    await d.drain();
    assert.equal(ports.calls.length, total);
    assert.equal(ports.maxActive, concurrency);
  });
}

test('enqueue makes its caller wait while maxQueued jobs are waiting (back-pressure)', async () => {
  const ports = recordingPorts();
  ports.hold = true;
  const { dispatcher: d } = dispatcher(ports, { concurrency: 1, maxQueued: 2 });
  await d.enqueue([sampleJob(1)]); // starts at once
  await ports.started(1);
  await d.enqueue([sampleJob(2)]);
  await d.enqueue([sampleJob(3)]); // the queue is now full
  let fourthAccepted = false;
  const fourth = d.enqueue([sampleJob(4)]).then(() => {
    fourthAccepted = true;
  });
  await turn();
  assert.equal(fourthAccepted, false, 'the caller waits while the queue is full');
  assert.equal(d.pending, 3);

  ports.release(); // job 1 finishes, job 2 leaves the queue, job 4 gets its place
  await fourth;
  assert.equal(d.pending, 3);
  await ports.started(2);
  for (let i = 0; i < 3; i++) {
    ports.release();
    await ports.started(Math.min(i + 3, 4));
  }
  await d.drain();
  assert.deepEqual(
    ports.calls.map((c) => (c.port === 'objects' ? c.key : c.port)),
    ['k/1', 'k/2', 'k/3', 'k/4'],
  );
});

test('drain resolves at once when idle, and only after every queued and running job otherwise', async () => {
  const ports = recordingPorts();
  const { dispatcher: d } = dispatcher(ports, { concurrency: 2 });
  await d.drain();

  ports.hold = true;
  await d.enqueue(Array.from({ length: 5 }, (_, i) => sampleJob(i)));
  let drained = false;
  const draining = d.drain().then(() => {
    drained = true;
  });
  for (let i = 0; i < 5; i++) {
    await ports.started(Math.min(i + 2, 5));
    await turn();
    assert.equal(drained, false, `not drained with ${5 - i} job(s) left`);
    ports.release();
  }
  await draining;
  assert.equal(d.pending, 0);
  assert.equal(ports.calls.length, 5);
});

// [action that fails, how its port fails, AWS failedAction, failedResource]
const FAILING_ACTIONS: Array<[ActionTarget, PortCall['port'], string, string]> = [
  [{ kind: 's3', bucket: 'RuleFilterBucket', key: 'device/soilSensor3/devicePayload/1598536072677' }, 'objects', 'S3Action', 'RuleFilterBucket'],
  [{ kind: 'function', functionName: 'IoTFunction' }, 'functions', 'LambdaAction', 'IoTFunction'],
  [{ kind: 'republish', topic: 'alerts/soilSensor3', qos: 0 }, 'broker', 'RepublishAction', 'alerts/soilSensor3'],
];

for (const [target, port, failedAction, failedResource] of FAILING_ACTIONS) {
  test(`a failing ${target.kind} action runs the error action with AWS's message shape (${failedAction})`, async () => {
    const ports = recordingPorts();
    ports.failWith(port, 'target unavailable');
    const errorTarget: ActionTarget = { kind: 's3', bucket: 'errors', key: 'failures/msg-1' };
    // An s3 error action cannot share the failing objects port, so use a function error action there.
    const errorAction: ActionTarget = port === 'objects' ? { kind: 'function', functionName: 'ErrorHandler' } : errorTarget;
    const { dispatcher: d, settled } = dispatcher(ports);
    await d.enqueue([sampleJob(1, target, { errorTarget: errorAction })]);
    await d.drain();

    assert.deepEqual(settled, [['msg-1:SoilHumidityTestRule:0', false]]);
    assert.equal(ports.calls.length, 2, 'the action, then its error action');
    const errorCall = ports.calls[1];
    assert.ok(errorCall);
    let report: unknown;
    if (errorCall.port === 'functions') {
      assert.equal(errorCall.functionName, 'ErrorHandler');
      assert.equal(errorCall.requestId, 'msg-1:SoilHumidityTestRule:0:error');
      report = errorCall.event;
    } else {
      assert.equal(errorCall.port, 'objects');
      assert.equal(errorCall.bucket, 'errors');
      assert.equal(errorCall.key, 'failures/msg-1');
      report = JSON.parse(errorCall.body.toString('utf8'));
    }
    assert.deepEqual(report, {
      ruleName: 'SoilHumidityTestRule',
      topic: 'device/soilSensor3/devicePayload',
      cloudwatchTraceId: 'msg-1:SoilHumidityTestRule:0',
      clientId: 'soilSensor3',
      base64OriginalPayload: SAMPLE_PAYLOAD.toString('base64'),
      failures: [{ failedAction, failedResource, errorMessage: 'target unavailable' }],
    });
  });
}

test('base64OriginalPayload is the device payload, not the SELECT output', async () => {
  const ports = recordingPorts();
  ports.failWith('functions', 'boom');
  const { dispatcher: d } = dispatcher(ports);
  const projected = Buffer.from('{"h":29}');
  await d.enqueue([
    sampleJob(1, { kind: 'function', functionName: 'IoTFunction' }, {
      input: sampleInput({ payload: projected, value: { h: 29 } }),
      errorTarget: { kind: 'republish', topic: 'errors', qos: 1 },
    }),
  ]);
  await d.drain();
  const errorCall = ports.calls[1];
  assert.ok(errorCall && errorCall.port === 'broker');
  assert.equal(errorCall.qos, 1);
  const report = JSON.parse(errorCall.payload.toString('utf8')) as { base64OriginalPayload: string };
  assert.equal(Buffer.from(report.base64OriginalPayload, 'base64').toString('utf8'), SAMPLE_PAYLOAD.toString('utf8'));
});

test('a failing action without an error action only reports the failure', async () => {
  const ports = recordingPorts();
  ports.failWith('objects', 'disk full');
  const { dispatcher: d, settled } = dispatcher(ports);
  await d.enqueue([sampleJob(1), sampleJob(2, { kind: 'function', functionName: 'IoTFunction' })]);
  await d.drain();
  assert.equal(ports.calls.length, 2);
  assert.deepEqual([...settled].sort(), [
    ['msg-1:SoilHumidityTestRule:0', false],
    ['msg-2:SoilHumidityTestRule:0', true],
  ]);
});

test('metrics count outcomes by rule and kind, error actions included, and the in-flight gauge returns to 0', async () => {
  const ports = recordingPorts();
  ports.failWith('functions', 'handler threw');
  const { dispatcher: d, metrics } = dispatcher(ports);
  const rule = 'SoilHumidityTestRule';
  await d.enqueue([
    sampleJob(1),
    sampleJob(2),
    sampleJob(3, { kind: 'function', functionName: 'IoTFunction' }, { errorTarget: { kind: 'republish', topic: 'errors', qos: 0 } }),
  ]);
  await d.drain();

  assert.equal(await counterValue(metrics.actions, { rule, kind: 's3', outcome: 'success' }), 2);
  assert.equal(await counterValue(metrics.actions, { rule, kind: 'function', outcome: 'failure' }), 1);
  assert.equal(await counterValue(metrics.actions, { rule, kind: 'error:republish', outcome: 'success' }), 1);
  assert.equal(await counterValue(metrics.actionsInFlight, {}), 0);
  const text = await metrics.registry.getSingleMetricAsString('sluice_action_duration_seconds');
  assert.match(text, /sluice_action_duration_seconds_count\{kind="s3"\} 2/);
  assert.match(text, /sluice_action_duration_seconds_count\{kind="function"\} 1/);
});

test('a failing error action is counted, not thrown', async () => {
  const ports = recordingPorts();
  ports.failWith('objects', 'disk full');
  ports.failWith('broker', 'broker closed');
  const { dispatcher: d, metrics, settled } = dispatcher(ports);
  await d.enqueue([sampleJob(1, undefined, { errorTarget: { kind: 'republish', topic: 'errors', qos: 1 } })]);
  await d.drain();
  assert.deepEqual(settled, [['msg-1:SoilHumidityTestRule:0', false]]);
  assert.equal(await counterValue(metrics.actions, { rule: 'SoilHumidityTestRule', kind: 'error:republish', outcome: 'failure' }), 1);
});

test('the in-flight gauge counts queued and running jobs', async () => {
  const ports = recordingPorts();
  ports.hold = true;
  const { dispatcher: d, metrics } = dispatcher(ports, { concurrency: 2 });
  await d.enqueue([sampleJob(1), sampleJob(2), sampleJob(3)]);
  assert.equal(await counterValue(metrics.actionsInFlight, {}), 3);
  await ports.started(2);
  ports.release();
  await ports.started(3);
  assert.equal(await counterValue(metrics.actionsInFlight, {}), 2);
  ports.release();
  ports.release();
  await d.drain();
  assert.equal(await counterValue(metrics.actionsInFlight, {}), 0);
});

// Known bug (see the report): `enqueue` only calls #pump after the whole batch is
// queued, so on an idle dispatcher a batch larger than maxQueued waits for space
// that no running job will ever free. Runs last: when it stalls, the event loop
// empties and the runner cancels what is still pending.
test('a batch larger than maxQueued on an idle dispatcher still runs', async () => {
  const ports = recordingPorts();
  const { dispatcher: d } = dispatcher(ports, { concurrency: 1, maxQueued: 2 });
  await d.enqueue(Array.from({ length: 5 }, (_, i) => sampleJob(i)));
  await d.drain();
  assert.equal(ports.calls.length, 5);
});
