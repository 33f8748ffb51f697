import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAYLOAD_PREVIEW_BYTES, TraceRing, type TracedJob, type TracedMessage } from './index.js';
import { payloadPreview } from './payload.js';
import { topicMatchesFilter } from './topic-filter.js';

const T0 = Date.UTC(2020, 7, 27, 13, 47, 52);
const READING = '{"name":"soilSensor3","humidity":29,"timeStampEpoch":1598536072677}';

/** Jobs as the rules engine makes them, with the kind and target the ring is told to show. */
interface Job extends TracedJob {
  kind: string;
  target: string;
}

function newRing(capacity: number): TraceRing<Job> {
  return new TraceRing<Job>(capacity, { kind: (job) => job.kind, target: (job) => job.target });
}

const NOTHING = { matchedRules: [], failures: [] };

function message(n: number, overrides: Partial<TracedMessage> = {}): TracedMessage {
  return {
    topic: `device/soilSensor${(n % 3) + 1}/devicePayload`,
    clientId: `soilSensor${(n % 3) + 1}`,
    qos: 1,
    receivedAt: T0 + n,
    payload: Buffer.from(READING),
    ...overrides,
  };
}

/** The reference scenario's low reading: rule 1 stores it, rule 2 invokes the alert function; a third rule did not match. */
function lowReading(traces: TraceRing<Job>, n = 1) {
  return traces.record(
    `m${n}`,
    message(n),
    {
      matchedRules: ['SoilHumidityTestRule', 'SoilHumidityAlertRule'],
      failures: [],
      evaluated: ['SoilHumidityTestRule', 'SoilHumidityAlertRule', 'NotThisOne'],
      evaluationMs: [0.0123, 0.02, 0.001],
    },
    [
      { id: `m${n}:SoilHumidityTestRule:0`, ruleName: 'SoilHumidityTestRule', actionIndex: 0, kind: 's3', target: 'rule-filter-bucket' },
      { id: `m${n}:SoilHumidityAlertRule:0`, ruleName: 'SoilHumidityAlertRule', actionIndex: 0, kind: 'lambda', target: 'humidity-alert' },
    ],
    T0 + n + 1,
  );
}

test('a message with no matching rule has status no-rules, its payload as text, and no rules', () => {
  const ring = newRing(10);
  ring.record('m1', message(1), NOTHING, [], T0);
  const trace = ring.get('m1');
  assert.deepEqual(trace, {
    messageId: 'm1',
    topic: 'device/soilSensor2/devicePayload',
    clientId: 'soilSensor2',
    qos: 1,
    receivedAt: new Date(T0 + 1).toISOString(),
    payload: { text: READING, truncated: false },
    rulesMatched: [],
    status: 'no-rules',
    rules: [],
    notifications: [],
  });
});

test('actions go queued → retrying → ok, with attempts, timings and results; the status follows', () => {
  const ring = newRing(10);
  lowReading(ring);
  assert.equal(ring.get('m1')?.status, 'pending');
  assert.deepEqual(ring.get('m1')?.rulesMatched, ['SoilHumidityTestRule', 'SoilHumidityAlertRule']);

  ring.attempted('m1:SoilHumidityTestRule:0', { outcome: 'ok', attempts: 1, startedAt: T0 + 5, finishedAt: T0 + 9, result: { bucket: 'rule-filter-bucket', key: 'device/soilSensor2/devicePayload/1598536072678' } });
  ring.attempted('m1:SoilHumidityAlertRule:0', { outcome: 'retrying', attempts: 1, startedAt: T0 + 5, finishedAt: T0 + 50, error: 'Error: SMTP down' });
  const retrying = ring.get('m1');
  assert.equal(retrying?.status, 'pending');
  const [store, alert] = retrying?.rules ?? [];
  assert.deepEqual(store, {
    rule: 'SoilHumidityTestRule',
    evaluationMs: 0.012,
    actions: [
      {
        jobId: 'm1:SoilHumidityTestRule:0',
        kind: 's3',
        target: 'rule-filter-bucket',
        status: 'ok',
        attempts: 1,
        enqueuedAt: new Date(T0 + 2).toISOString(),
        completedAt: new Date(T0 + 9).toISOString(),
        durationMs: 4,
        result: { bucket: 'rule-filter-bucket', key: 'device/soilSensor2/devicePayload/1598536072678' },
      },
    ],
  });
  assert.deepEqual(alert?.actions[0] && { ...alert.actions[0] }, {
    jobId: 'm1:SoilHumidityAlertRule:0',
    kind: 'lambda',
    target: 'humidity-alert',
    status: 'retrying',
    attempts: 1,
    enqueuedAt: new Date(T0 + 2).toISOString(),
    completedAt: null,
    durationMs: 45,
    error: 'Error: SMTP down',
  });

  ring.attempted('m1:SoilHumidityAlertRule:0', { outcome: 'ok', attempts: 2, startedAt: T0 + 100, finishedAt: T0 + 130, result: { functionName: 'humidity-alert', requestId: 'm1:SoilHumidityAlertRule:0' } });
  const done = ring.get('m1');
  assert.equal(done?.status, 'ok');
  const action = done?.rules[1]?.actions[0];
  assert.equal(action?.status, 'ok');
  assert.equal(action?.attempts, 2);
  assert.equal(action?.error, undefined, 'a later success clears the error');
  assert.equal(action?.completedAt, new Date(T0 + 130).toISOString());
  assert.deepEqual(action?.result, { functionName: 'humidity-alert', requestId: 'm1:SoilHumidityAlertRule:0' });
});

test('a dead-lettered action, a rule that failed to evaluate, or an enqueue that failed make the trace failed', () => {
  const ring = newRing(10);
  lowReading(ring, 1);
  ring.attempted('m1:SoilHumidityTestRule:0', { outcome: 'ok', attempts: 1, startedAt: T0, finishedAt: T0 });
  ring.attempted('m1:SoilHumidityAlertRule:0', { outcome: 'dead-letter', attempts: 3, startedAt: T0, finishedAt: T0 + 1, error: 'TypeError: boom' });
  assert.equal(ring.get('m1')?.status, 'failed');

  ring.record('m2', message(2), { matchedRules: [], failures: [{ ruleName: 'Divide', error: new Error('division by zero') }], evaluated: ['Divide'], evaluationMs: [0.1] }, [], T0);
  assert.equal(ring.get('m2')?.status, 'failed');
  assert.deepEqual(ring.get('m2')?.rulesMatched, [], 'a rule that failed did not match');
  assert.deepEqual(ring.get('m2')?.rules, [{ rule: 'Divide', evaluationMs: 0.1, error: 'division by zero', actions: [] }]);

  const dropped = lowReading(ring, 3);
  ring.enqueueFailed(dropped, 'dropped: the action backlog is full (QoS 0)', T0 + 10);
  const trace = ring.get('m3');
  assert.equal(trace?.status, 'failed');
  assert.deepEqual(trace?.rules.flatMap((r) => r.actions.map((a) => [a.status, a.error])), [
    ['failed', 'dropped: the action backlog is full (QoS 0)'],
    ['failed', 'dropped: the action backlog is full (QoS 0)'],
  ]);
});

test('notifications published by a traced invocation are attributed to it, once per message id', () => {
  const ring = newRing(10);
  lowReading(ring);
  const alert = { messageId: 'n-1', topic: 'humidity-alerts', subject: 'Attention:Humidity Under Threshold' };
  ring.notificationPublished('m1:SoilHumidityAlertRule:0', alert);
  // A retried invocation (same request id) publishes the same message id again.
  ring.notificationPublished('m1:SoilHumidityAlertRule:0', alert);
  ring.notificationPublished('some-other-invocation', { messageId: 'n-2', topic: 'humidity-alerts' });
  ring.attempted('m1:SoilHumidityAlertRule:0', { outcome: 'ok', attempts: 1, startedAt: T0, finishedAt: T0 + 1, result: { functionName: 'humidity-alert', requestId: 'm1:SoilHumidityAlertRule:0' } });
  const trace = ring.get('m1');
  assert.deepEqual(trace?.notifications, [{ ...alert, publishedBy: 'function:humidity-alert', deliveries: [] }]);
  assert.deepEqual(trace?.rules[1]?.actions[0]?.result, {
    functionName: 'humidity-alert',
    requestId: 'm1:SoilHumidityAlertRule:0',
    notificationMessageIds: ['n-1'],
  });
});

test('the ring keeps the last N messages: the oldest go, with their jobs, and a 404-able id', () => {
  const ring = newRing(3);
  for (let n = 1; n <= 5; n++) lowReading(ring, n);
  assert.equal(ring.size, 3);
  assert.equal(ring.get('m1'), undefined);
  assert.equal(ring.get('m2'), undefined);
  assert.deepEqual(ring.list({ limit: 50 }).map((t) => t.messageId), ['m5', 'm4', 'm3'], 'newest first');
  // An attempt of an evicted message's job changes nothing and does not throw.
  ring.attempted('m1:SoilHumidityTestRule:0', { outcome: 'ok', attempts: 1, startedAt: T0, finishedAt: T0 });
  ring.notificationPublished('m2:SoilHumidityAlertRule:0', { messageId: 'n', topic: 't' });
  assert.equal(ring.list({ limit: 50 }).length, 3);
  // A message whose rules were still evaluating when it was evicted is not resurrected by their result.
  // Many more messages come and go: the index keeps finding exactly the ring's.
  for (let n = 6; n <= 1_000; n++) lowReading(ring, n);
  for (let n = 1; n <= 997; n++) assert.equal(ring.get(`m${n}`), undefined, `m${n} aged out`);
  for (let n = 998; n <= 1_000; n++) assert.equal(ring.get(`m${n}`)?.messageId, `m${n}`);
  ring.attempted('m999:SoilHumidityTestRule:0', { outcome: 'ok', attempts: 1, startedAt: T0, finishedAt: T0 });
  assert.equal(ring.get('m999')?.rules[0]?.actions[0]?.status, 'ok');
});

test('list filters by exact topic, MQTT filter and client id, and stops at the limit', () => {
  const ring = newRing(100);
  for (let n = 1; n <= 9; n++) ring.record(`m${n}`, message(n), NOTHING, [], T0);
  ring.record('m10', message(10, { topic: '$aws/rules/SoilHumidityTestRule/device/soilSensor1/devicePayload', clientId: 'soilSensor1' }), NOTHING, [], T0);
  const ids = (query: Parameters<TraceRing['list']>[0]) => ring.list(query).map((t) => t.messageId);
  assert.deepEqual(ids({ topic: 'device/soilSensor1/devicePayload', limit: 50 }), ['m9', 'm6', 'm3']);
  assert.deepEqual(ids({ topic: 'device/+/devicePayload', limit: 2 }), ['m9', 'm8']);
  assert.deepEqual(ids({ topic: '#', limit: 50 }).length, 9, "'#' does not match $ topics [MQTT-4.7.2-1]");
  assert.deepEqual(ids({ clientId: 'soilSensor1', limit: 50 }), ['m10', 'm9', 'm6', 'm3']);
  assert.deepEqual(ids({ clientId: 'soilSensor1', topic: 'device/#', limit: 50 }), ['m9', 'm6', 'm3']);
  assert.deepEqual(ids({ clientId: 'nobody', limit: 50 }), []);
});

test('payload previews: at most 4 KB (a copy), text or base64, truncated flagged, never cut inside a character', () => {
  const ring = newRing(10);
  const big = Buffer.alloc(PAYLOAD_PREVIEW_BYTES * 4, 'a');
  ring.record('m1', message(1, { payload: big }), NOTHING, [], T0);
  big.fill('b');
  const preview = ring.get('m1')?.payload;
  assert.equal(preview?.truncated, true);
  assert.equal(preview?.text, 'a'.repeat(PAYLOAD_PREVIEW_BYTES), 'the preview is a copy, not a view of the broker buffer');

  ring.record('m2', message(2, { payload: Buffer.from([0x00, 0x01, 0xff, 0x7f]) }), NOTHING, [], T0);
  assert.deepEqual(ring.get('m2')?.payload, { base64: 'AAH/fw==', truncated: false });

  // 'é' is two bytes: a preview ending in its first byte drops it rather than fall back to base64.
  const accented = Buffer.concat([Buffer.alloc(PAYLOAD_PREVIEW_BYTES - 1, 'x'), Buffer.from('é…')]);
  assert.deepEqual(payloadPreview(accented.subarray(0, PAYLOAD_PREVIEW_BYTES), true), { text: 'x'.repeat(PAYLOAD_PREVIEW_BYTES - 1), truncated: true });
  assert.deepEqual(payloadPreview(Buffer.from('tab\tand\nnewline'), false), { text: 'tab\tand\nnewline', truncated: false });
  assert.deepEqual(payloadPreview(Buffer.alloc(0), false), { text: '', truncated: false });
});

test('long errors are clipped, so one trace stays small', () => {
  const ring = newRing(1);
  lowReading(ring);
  ring.attempted('m1:SoilHumidityAlertRule:0', { outcome: 'retrying', attempts: 1, startedAt: T0, finishedAt: T0, error: 'x'.repeat(100_000) });
  const error = ring.get('m1')?.rules[1]?.actions[0]?.error ?? '';
  assert.ok(error.length <= 1_001, `error kept ${error.length} characters`);
});

test('the capacity must be a positive integer', () => {
  assert.throws(() => newRing(0), /positive integer/);
  assert.throws(() => newRing(1.5), /positive integer/);
});

test('topic filters: + one level, # the rest (the parent too), plain topics match exactly', () => {
  const cases: Array<[string, string, boolean]> = [
    ['device/+/devicePayload', 'device/soilSensor1/devicePayload', true],
    ['device/+/devicePayload', 'device/soilSensor1/other', false],
    ['device/+', 'device/a/b', false],
    ['device/#', 'device', true],
    ['device/#', 'device/a/b/c', true],
    ['+/+', '/x', true],
    ['device/a', 'device/a', true],
    ['device/a', 'device/a/b', false],
    ['+/rules/#', '$aws/rules/x', false],
    ['$aws/rules/#', '$aws/rules/x', true],
  ];
  for (const [filter, topic, expected] of cases) assert.equal(topicMatchesFilter(filter, topic), expected, `${filter} vs ${topic}`);
});
