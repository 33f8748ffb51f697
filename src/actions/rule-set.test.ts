import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError } from '../core/index.js';
import { decodeMessage, type DecodedMessage } from '../rules/index.js';
import { RuleSet } from './rule-set.js';
import type { RuleDefinition } from './model.js';

// The reference scenario's two rules (aws-samples/lambda-refarch-iotbackend, iot-backend.yaml).
const ARCHIVE: RuleDefinition = {
  name: 'SoilHumidityTestRule',
  sql: "SELECT * FROM 'device/+/devicePayload'",
  enabled: true,
  actions: [{ kind: 's3', bucket: 'RuleFilterBucket', key: '${topic()}/${timestamp()}' }],
};
const ALERT: RuleDefinition = {
  name: 'SoilHumidityAlertRule',
  sql: "SELECT * FROM 'device/+/devicePayload' WHERE humidity < 35",
  enabled: true,
  actions: [{ kind: 'function', functionName: 'IoTFunction' }],
  errorAction: { kind: 'republish', topic: 'errors/${topic(2)}', qos: 1 },
};

const TOPIC = 'device/soilSensor2/devicePayload';
const RECEIVED_AT = 1598536072677;
const SAMPLE = { name: 'soilSensor2', humidity: 29, timeStampEpoch: 1598536072677, timeStampIso: '2020-08-27T13:47:52.677721' };

function message(payload: unknown, topic = TOPIC): DecodedMessage {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return decodeMessage({ topic, payload: bytes, clientId: 'soilSensor2', timestamp: RECEIVED_AT });
}

function soilRules(): RuleSet {
  const rules = new RuleSet();
  rules.put(ARCHIVE);
  rules.put(ALERT);
  return rules;
}

// [case, topic, payload, rules expected to match]
const ROUTE_CASES: Array<[string, string, unknown, string[]]> = [
  ['dry sensor matches both rules', TOPIC, SAMPLE, [ALERT.name, ARCHIVE.name]],
  ['wet sensor matches only the archive rule', TOPIC, { ...SAMPLE, humidity: 40 }, [ARCHIVE.name]],
  ['humidity at the threshold is not under it', TOPIC, { ...SAMPLE, humidity: 35 }, [ARCHIVE.name]],
  ['another sensor name still matches the + level', 'device/soilSensor1/devicePayload', SAMPLE, [ALERT.name, ARCHIVE.name]],
  ['a different last level is outside the FROM filter', 'device/soilSensor2/status', SAMPLE, []],
  ['an extra level is outside the FROM filter', 'device/a/b/devicePayload', SAMPLE, []],
  ['topics are case-sensitive', 'Device/soilSensor2/devicePayload', SAMPLE, []],
];

for (const [name, topic, payload, expected] of ROUTE_CASES) {
  test(`route: ${name}`, () => {
    const routed = soilRules().route(message(payload, topic), 'm1');
    assert.deepEqual([...routed.matchedRules].sort(), expected);
    assert.deepEqual([...new Set(routed.jobs.map((job) => job.ruleName))].sort(), expected);
    assert.deepEqual(routed.failures, []);
  });
}

test('the S3 key template renders topic()/timestamp() of the incoming message', () => {
  const routed = soilRules().route(message(SAMPLE), 'm1');
  const job = routed.jobs.find((j) => j.ruleName === ARCHIVE.name);
  assert.ok(job);
  assert.deepEqual(job.target, { kind: 's3', bucket: 'RuleFilterBucket', key: `device/soilSensor2/devicePayload/${RECEIVED_AT}` });
  assert.equal(job.input.topic, TOPIC);
  assert.equal(job.input.clientId, 'soilSensor2');
  assert.equal(job.input.timestamp, RECEIVED_AT);
});

test('the http url and header value templates render against the incoming message; header keys stay literal', () => {
  const rules = new RuleSet();
  rules.put({
    ...ARCHIVE,
    actions: [
      {
        kind: 'http',
        url: 'https://example.org/ingest/${topic(2)}?at=${timestamp()}',
        headers: [{ key: 'x-${name}', value: '${name}/${humidity}' }],
        timeoutMs: 10_000,
      },
    ],
  });
  const [job] = rules.route(message(SAMPLE), 'm1').jobs;
  assert.ok(job);
  assert.deepEqual(job.target, {
    kind: 'http',
    url: `https://example.org/ingest/soilSensor2?at=${RECEIVED_AT}`,
    headers: [{ key: 'x-${name}', value: 'soilSensor2/29' }],
    timeoutMs: 10_000,
  });
});

test('the error action is rendered against the message and carried by each job', () => {
  const routed = soilRules().route(message(SAMPLE), 'm1');
  const job = routed.jobs.find((j) => j.ruleName === ALERT.name);
  assert.ok(job);
  assert.deepEqual(job.target, { kind: 'function', functionName: 'IoTFunction' });
  assert.deepEqual(job.errorTarget, { kind: 'republish', topic: 'errors/soilSensor2', qos: 1 });
  const archive = routed.jobs.find((j) => j.ruleName === ARCHIVE.name);
  assert.ok(archive);
  assert.equal('errorTarget' in archive, false);
});

test('plain SELECT * hands actions the byte-identical original buffer', () => {
  // Key order and spacing a re-serialisation would not keep.
  const original = Buffer.from('{ "humidity" : 29,   "name":"soilSensor2" }');
  const routed = soilRules().route(message(original), 'm1');
  assert.equal(routed.jobs.length, 2);
  for (const job of routed.jobs) {
    assert.equal(job.input.payload, original, `${job.ruleName} payload is the same Buffer`);
    assert.equal(job.originalPayload, original);
  }
});

test('a projection hands actions the JSON of the SELECT output, and the original payload separately', () => {
  const rules = new RuleSet();
  rules.put({ ...ARCHIVE, name: 'Projection', sql: "SELECT humidity AS h, topic(2) AS device FROM 'device/+/devicePayload'" });
  const original = Buffer.from(JSON.stringify(SAMPLE));
  const [job] = rules.route(message(original), 'm1').jobs;
  assert.ok(job);
  assert.deepEqual(job.input.value, { h: 29, device: 'soilSensor2' });
  assert.deepEqual(JSON.parse(job.input.payload.toString('utf8')), { h: 29, device: 'soilSensor2' });
  assert.equal(job.originalPayload, original);
});

test('disabled rules are skipped', () => {
  const rules = soilRules();
  rules.put({ ...ALERT, enabled: false });
  const routed = rules.route(message(SAMPLE), 'm1');
  assert.deepEqual(routed.matchedRules, [ARCHIVE.name]);
  assert.deepEqual(
    routed.jobs.map((job) => job.ruleName),
    [ARCHIVE.name],
  );
});

test('a binary payload: SELECT * passes it through; a rule reading its fields sees Undefined and does not match', () => {
  const binary = Buffer.from([0xff, 0xfe, 0x00, 0x01]);
  const routed = soilRules().route(message(binary), 'm1');
  assert.deepEqual(routed.matchedRules, [ARCHIVE.name]);
  assert.equal(routed.jobs.length, 1);
  const [job] = routed.jobs;
  assert.ok(job);
  assert.equal(job.ruleName, ARCHIVE.name);
  assert.equal(job.input.payload, binary);
  assert.equal(job.input.value, undefined, 'a binary payload passed through has no value');
  assert.deepEqual(routed.failures, []);
  assert.deepEqual(routed.unreadable, [ALERT.name], 'the rule that reads fields is reported, for the metric');
});

test('job ids are stable for a message and distinct per rule and action', () => {
  const rules = soilRules();
  rules.put({
    ...ARCHIVE,
    actions: [
      { kind: 's3', bucket: 'RuleFilterBucket', key: '${topic()}/${timestamp()}' },
      { kind: 'republish', topic: 'archive/${topic(2)}', qos: 0 },
    ],
  });
  const first = rules.route(message(SAMPLE), 'msg-1').jobs;
  const again = rules.route(message(SAMPLE), 'msg-1').jobs;
  const other = rules.route(message(SAMPLE), 'msg-2').jobs;
  assert.equal(first.length, 3);
  assert.deepEqual(
    first.map((job) => job.id),
    again.map((job) => job.id),
    'same message id, same job ids (a retry reuses the object key and invocation id)',
  );
  assert.equal(new Set(first.map((job) => job.id)).size, first.length, 'distinct per rule and action');
  for (const job of other) assert.ok(!first.some((f) => f.id === job.id), `${job.id} differs across messages`);
  assert.deepEqual(
    first.filter((job) => job.ruleName === ARCHIVE.name).map((job) => [job.actionIndex, job.target.kind]),
    [
      [0, 's3'],
      [1, 'republish'],
    ],
  );
});

// [case, replacement that must be refused]
const BAD_PUTS: Array<[string, RuleDefinition]> = [
  ['SQL that does not parse', { ...ALERT, sql: "SELECT * FROM 'device/+/devicePayload' WHERE humidity <" }],
  ['an invalid FROM filter', { ...ALERT, sql: "SELECT * FROM 'device/#/devicePayload'" }],
  ['an unknown function', { ...ALERT, sql: "SELECT nosuch(humidity) FROM 'other/topic'" }],
  ['a template that does not parse', { ...ALERT, sql: "SELECT * FROM 'other/topic'", actions: [{ kind: 's3', bucket: 'b', key: '${topic(' }] }],
  [
    'an http header template that does not parse',
    { ...ALERT, sql: "SELECT * FROM 'other/topic'", actions: [{ kind: 'http', url: 'https://example.org/', headers: [{ key: 'x-device', value: '${clientid(' }], timeoutMs: 1_000 }] },
  ],
  [
    'an http url template that does not parse',
    { ...ALERT, sql: "SELECT * FROM 'other/topic'", actions: [{ kind: 'http', url: 'https://example.org/${topic(2', headers: [], timeoutMs: 1_000 }] },
  ],
];

for (const [name, replacement] of BAD_PUTS) {
  test(`put with ${name} throws and leaves the deployed rule in place`, () => {
    const rules = soilRules();
    assert.throws(() => rules.put(replacement), (error: unknown) => isSluiceError(error));
    assert.equal(rules.get(ALERT.name), ALERT);
    const routed = rules.route(message(SAMPLE), 'm1');
    assert.deepEqual([...routed.matchedRules].sort(), [ALERT.name, ARCHIVE.name]);
    assert.deepEqual(rules.route(message(SAMPLE, 'other/topic'), 'm2').jobs, []);
  });
}

test('put replaces a rule, including its FROM filter', () => {
  const rules = soilRules();
  rules.put({ ...ALERT, sql: "SELECT * FROM 'greenhouse/+' WHERE humidity < 35" });
  assert.deepEqual(rules.route(message(SAMPLE), 'm1').matchedRules, [ARCHIVE.name]);
  assert.deepEqual(rules.route(message(SAMPLE, 'greenhouse/g1'), 'm2').matchedRules, [ALERT.name]);
  assert.deepEqual(
    rules.list().map((rule) => [rule.name, rule.topicFilter]),
    [
      [ALERT.name, 'greenhouse/+'],
      [ARCHIVE.name, 'device/+/devicePayload'],
    ],
  );
});

test('delete removes a rule from routing; deleting it again reports false', () => {
  const rules = soilRules();
  assert.equal(rules.delete(ALERT.name), true);
  assert.equal(rules.get(ALERT.name), undefined);
  assert.deepEqual(rules.route(message(SAMPLE), 'm1').matchedRules, [ARCHIVE.name]);
  assert.equal(rules.delete(ALERT.name), false);
  assert.equal(rules.delete(ARCHIVE.name), true);
  assert.deepEqual(rules.route(message(SAMPLE), 'm1'), { jobs: [], matchedRules: [], failures: [], unreadable: [] });
  assert.deepEqual(rules.list(), []);
});
