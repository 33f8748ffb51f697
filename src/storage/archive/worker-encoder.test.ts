import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeBatch, inProcessEncoder, rawBatchOf, type StreamSpec } from './batch-encoder.js';
import { testMessage } from './fixtures.js';
import { ArchiveSchema } from './schema.js';
import { workerEncoder } from './worker-encoder.js';

const hour = (h: number, minute = 0): number => Date.UTC(2020, 7, 27, h, minute);
const message = testMessage;
const STREAM: StreamSpec = { id: 'lake\0readings\0parquet', prefix: 'readings', format: 'parquet' };

// Two partitions, a binary payload, a JSON non-object, and a field that widens int64 → double.
const first = [
  message('a', { name: 'soilSensor1', humidity: 32 }, hour(13, 1)),
  message('b', undefined, hour(14, 2)),
  message('c', { name: 'soilSensor2', humidity: 31.5 }, hour(13, 3)),
];
const second = [message('d', 42, hour(13, 4)), message('e', { name: 'soilSensor3', humidity: 30, extra: true }, hour(13, 5))];

test('the worker thread encodes byte for byte what the calling thread does, batch after batch of one stream', async () => {
  const inThread = inProcessEncoder();
  const onWorker = workerEncoder();
  try {
    for (const batch of [first, second]) {
      const expected = await inThread.encode(STREAM, rawBatchOf(batch));
      const actual = await onWorker.encode(STREAM, rawBatchOf(batch));
      assert.deepEqual(
        actual.map((o) => ({ key: o.key, contentType: o.contentType, indexes: [...o.indexes], body: Buffer.from(o.body).toString('base64') })),
        expected.map((o) => ({ key: o.key, contentType: o.contentType, indexes: [...o.indexes], body: Buffer.from(o.body).toString('base64') })),
      );
    }
  } finally {
    await onWorker.close();
  }
});

test('one object per partition, each naming its messages by their place in the batch', () => {
  const objects = encodeBatch(new Map(), STREAM, rawBatchOf(first));
  assert.deepEqual(
    objects.map((o) => [o.key.split('/').slice(0, 5).join('/'), [...o.indexes]]),
    [
      ['readings/year=2020/month=08/day=27/hour=13', [0, 2]],
      ['readings/year=2020/month=08/day=27/hour=14', [1]],
    ],
  );
  assert.ok(objects.every((o) => o.body.byteOffset === 0 && o.body.byteLength === o.body.buffer.byteLength), 'each body owns its buffer, so it can be transferred');
});

test('the schema is widened by the whole batch before any object is encoded, and kept per stream', () => {
  const schemas = new Map<string, ArchiveSchema>();
  encodeBatch(schemas, STREAM, rawBatchOf(first));
  encodeBatch(schemas, { ...STREAM, id: 'other' }, rawBatchOf([message('x', { only: 'here' }, hour(1))]));
  const columns = (id: string) => Object.fromEntries((schemas.get(id)?.columns() ?? []).map(({ name, type }) => [name, type]));
  assert.equal(columns(STREAM.id).humidity, 'double');
  assert.equal(columns(STREAM.id)._payload_base64, 'string');
  assert.equal(columns(STREAM.id).only, undefined);
  assert.equal(columns('other').only, 'string');
});

test('a batch the worker cannot encode fails with the reason, and the worker goes on with the next', async () => {
  const encoder = workerEncoder();
  try {
    const broken = rawBatchOf([message('a', { humidity: 1 }, hour(1))]);
    broken.payloads[0] = '{not json';
    await assert.rejects(encoder.encode(STREAM, broken), /archive encoding failed: .*JSON/);
    const objects = await encoder.encode(STREAM, rawBatchOf(second));
    assert.equal(objects.length, 1);
  } finally {
    await encoder.close();
  }
});

test('closing the encoder fails what it still holds instead of leaving it waiting', async () => {
  const encoder = workerEncoder();
  const pending = encoder.encode(STREAM, rawBatchOf(first));
  await encoder.close();
  await assert.rejects(pending, /archive encoder (closed|thread exited)/);
});
