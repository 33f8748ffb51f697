import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActionJob } from '../model.js';
import { notificationJob } from '../notifications.js';
import { decodeJob, encodeJob } from './codec.js';
import { ALL_BYTES, testJob } from './fixtures.js';

// [case, job]: each must come back deep-equal, Buffers byte for byte.
const ROUND_TRIPS: Array<[string, ActionJob]> = [
  ['a JSON object value', testJob('json')],
  ['a binary payload passed through (value undefined)', testJob('bin', { value: undefined, payload: ALL_BYTES })],
  ['an empty payload', testJob('empty', { value: undefined, payload: Buffer.alloc(0) })],
  ['invalid UTF-8 that a utf8 codec would mangle', testJob('utf8', { value: undefined, payload: Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80]) })],
  ['a null value', testJob('null', { value: null })],
  ['falsy scalar values', testJob('zero', { value: 0 })],
  ['an empty string value', testJob('str', { value: '' })],
  ['false', testJob('false', { value: false })],
  ['an array value with unicode', testJob('arr', { value: ['💧', { nested: [1.5, -0.25] }] })],
  ['a content type on the target', testJob('ct', { target: { kind: 's3', bucket: 'b', key: 'k/${topic()}', contentType: 'application/json' } })],
  ['an error target', { ...testJob('err', { target: { kind: 'function', functionName: 'f' } }), errorTarget: { kind: 'republish', topic: 'errors', qos: 1 } }],
  ['a rule\'s retry limits', { ...testJob('limits'), retry: { maxAttempts: 2, maxAgeMs: 60_000 } }],
  [
    'a notification delivery with its SNS schedule',
    notificationJob({
      id: 'm1:s1',
      topicName: 'alerts',
      subscriptionId: 's1',
      protocol: 'email',
      notification: { messageId: 'm1', message: 'Humidity 29 💧', subject: 'Alert', messageAttributes: { site: { Type: 'String', Value: 'north' } }, timestamp: 1598536072677 },
      retry: { maxAttempts: 4, maxAgeMs: 86_400_000, baseDelayMs: 20_000, maxDelayMs: 20_000, backoff: 'linear' },
    }),
  ],
];

for (const [name, job] of ROUND_TRIPS) {
  test(`codec round-trips ${name}`, () => {
    const decoded = decodeJob(encodeJob(job));
    assert.deepEqual(decoded, job);
    assert.ok(Buffer.isBuffer(decoded.input.payload) && decoded.input.payload.equals(job.input.payload));
    assert.ok(Buffer.isBuffer(decoded.originalPayload) && decoded.originalPayload.equals(job.originalPayload));
  });
}

test('codec stores binary Buffers as base64 and an undefined value as an absent key', () => {
  const job = testJob('bin', { value: undefined, payload: Buffer.from([0x00, 0xff]) });
  const stored = JSON.parse(encodeJob(job)) as { v: number; input: Record<string, unknown>; originalPayload: string };
  assert.equal(stored.v, 1);
  assert.equal(stored.input.payload, 'AP8=');
  assert.equal('payloadText' in stored.input, false);
  assert.equal('value' in stored.input, false);
  assert.equal(stored.originalPayload, ALL_BYTES.toString('base64'));
  assert.equal('errorTarget' in stored, false);
  assert.ok('value' in decodeJob(encodeJob(job)).input, 'decoded jobs carry the value key, as the model declares');
});

test('codec refuses text that is not a job it knows', () => {
  for (const text of ['null', '{}', '{"v":2,"input":{},"originalPayload":""}', '[1]']) {
    assert.throws(() => decodeJob(text), /not in a known encoding/, text);
  }
  assert.throws(() => decodeJob('not json'), SyntaxError);
});

test('codec keeps every retry field, and only those', () => {
  const retry = { maxAttempts: 50, maxAgeMs: 86_400_000, baseDelayMs: 10_000, maxDelayMs: 900_000, backoff: 'geometric' as const };
  const job = { ...testJob('r'), retry: { ...retry, stray: 'not persisted' } as typeof retry };
  const stored = JSON.parse(encodeJob(job)) as { retry: unknown };
  assert.deepEqual(stored.retry, retry);
  assert.deepEqual(decodeJob(encodeJob(job)).retry, retry);
});

test('codec stores a message once: UTF-8 as text, a value that is its parse and an identical original left out', () => {
  const text = '{"name":"soilSensor2","humidity":32,"timeStampIso":"2020-08-27T13:47:52Z"}';
  const payload = Buffer.from(text);
  const job: ActionJob = { ...testJob('same', { value: JSON.parse(text), payload }), originalPayload: Buffer.from(payload) };
  const encoded = encodeJob(job);
  const stored = JSON.parse(encoded) as { input: Record<string, unknown> } & Record<string, unknown>;
  assert.equal(stored.input.payloadText, text);
  assert.equal(stored.input.valueIsPayload, true);
  assert.equal(stored.originalIsPayload, true);
  assert.deepEqual(['payload', 'value'].filter((key) => key in stored.input), []);
  assert.equal('originalPayload' in stored, false);
  assert.equal(encoded.split('soilSensor2').length - 1, 1, 'the message appears once');
  const decoded = decodeJob(encoded);
  assert.deepEqual(decoded, job);
  assert.notEqual(decoded.originalPayload, decoded.input.payload, 'two Buffers, as the model has');

  // Pretty-printed original, SELECT * output re-serialized by a function: nothing is left out that differs.
  const reformatted: ActionJob = { ...testJob('diff', { value: { a: 1 }, payload: Buffer.from('{"a": 1}') }), originalPayload: Buffer.from('{ "a": 1 }') };
  const storedDiff = JSON.parse(encodeJob(reformatted)) as { input: Record<string, unknown> } & Record<string, unknown>;
  assert.deepEqual(storedDiff.input.value, { a: 1 });
  assert.equal(typeof storedDiff.originalPayload, 'string');
  assert.deepEqual(decodeJob(encodeJob(reformatted)), reformatted);
});

test('codec reads jobs stored before text payloads (base64 payload and original, value inline)', () => {
  const job = testJob('old', { value: { humidity: 22 } });
  const legacy = JSON.stringify({
    v: 1,
    id: job.id,
    ruleName: job.ruleName,
    actionIndex: job.actionIndex,
    target: job.target,
    input: { topic: job.input.topic, clientId: job.input.clientId, timestamp: job.input.timestamp, payload: job.input.payload.toString('base64'), value: job.input.value },
    originalPayload: job.originalPayload.toString('base64'),
  });
  assert.deepEqual(decodeJob(legacy), job);
});
