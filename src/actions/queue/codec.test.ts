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

test('codec stores Buffers as base64 and an undefined value as an absent key', () => {
  const job = testJob('bin', { value: undefined, payload: Buffer.from([0x00, 0xff]) });
  const stored = JSON.parse(encodeJob(job)) as { v: number; input: Record<string, unknown>; originalPayload: string };
  assert.equal(stored.v, 1);
  assert.equal(stored.input.payload, 'AP8=');
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
