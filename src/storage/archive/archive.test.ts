import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { createMemoryObjectStore } from '../memory-store.js';
import {
  ArchiveSchema,
  ArchiveWriter,
  columnName,
  encodeNdjson,
  encodeParquet,
  objectKey,
  objectName,
  partitionOf,
  toRecord,
  typeOfValue,
  widen,
  type ArchiveSettings,
  type ColumnType,
} from './index.js';
import { testMessage } from './fixtures.js';

const message = testMessage;

/** Reads one encoded object back with DuckDB, the independent reader. */
async function readBack(format: 'parquet' | 'ndjson', body: Buffer): Promise<Array<Record<string, unknown>>> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-archive-'));
  try {
    const file = join(dir, format === 'parquet' ? 'x.parquet' : 'x.ndjson.gz');
    await writeFile(file, body);
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    try {
      const reader = format === 'parquet' ? `read_parquet('${file}')` : `read_json('${file}', format = 'newline_delimited')`;
      const result = await connection.runAndReadAll(`SELECT * FROM ${reader} ORDER BY _id`);
      return result.getRowObjectsJson() as Array<Record<string, unknown>>;
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('partitions and names', () => {
  test('partitions are Hive-style UTC hours, zero-padded', () => {
    const table: Array<[number, string]> = [
      [Date.UTC(2020, 7, 27, 13, 47, 52, 677), 'year=2020/month=08/day=27/hour=13'],
      [Date.UTC(2021, 0, 1, 0, 0, 0, 0), 'year=2021/month=01/day=01/hour=00'],
      [Date.UTC(2020, 11, 31, 23, 59, 59, 999), 'year=2020/month=12/day=31/hour=23'],
      [0, 'year=1970/month=01/day=01/hour=00'],
    ];
    for (const [at, partition] of table) assert.equal(partitionOf(at), partition, new Date(at).toISOString());
  });

  test('keys put the prefix before the partition', () => {
    assert.equal(objectKey('soil/raw', 'year=2020/month=08/day=27/hour=13', 'n.parquet'), 'soil/raw/year=2020/month=08/day=27/hour=13/n.parquet');
    assert.equal(objectKey('', 'year=2020/month=08/day=27/hour=13', 'n.parquet'), 'year=2020/month=08/day=27/hour=13/n.parquet');
  });

  test('the same messages get the same name in any order; other messages another name', () => {
    const name = objectName(['a', 'b', 'c'], 5, 'parquet');
    assert.equal(objectName(['c', 'a', 'b'], 5, 'parquet'), name);
    assert.notEqual(objectName(['a', 'b'], 5, 'parquet'), name);
    assert.match(name, /^5-[0-9a-f]{20}\.parquet$/);
    assert.match(objectName(['a'], 5, 'ndjson'), /\.ndjson\.gz$/);
  });
});

describe('records and schema', () => {
  test('payload fields with the archive\'s own names get another underscore', () => {
    const table: Array<[string, string]> = [
      ['humidity', 'humidity'],
      ['_topic', '__topic'],
      ['_timestamp', '__timestamp'],
      ['_payload_base64', '__payload_base64'],
      ['', '_'],
    ];
    for (const [field, column] of table) assert.equal(columnName(field), column, field);
    const record = toRecord(message('x', { _topic: 1, __topic: 2 }));
    assert.deepEqual([...record.fields], [['__topic', 1], ['___topic', 2]]);
  });

  test('binary payloads go to _payload_base64, JSON non-objects to _value', () => {
    assert.deepEqual([...toRecord(message('bin', undefined)).fields], [['_payload_base64', Buffer.from([0, 255, 7]).toString('base64')]]);
    assert.deepEqual([...toRecord(message('arr', [1, 2])).fields], [['_value', [1, 2]]]);
    assert.deepEqual([...toRecord(message('num', 42)).fields], [['_value', 42]]);
  });

  test('value types', () => {
    const table: Array<[unknown, ColumnType]> = [
      [null, 'null'],
      [true, 'boolean'],
      [29, 'int64'],
      [-3, 'int64'],
      [29.5, 'double'],
      [2 ** 60, 'double'],
      ['x', 'string'],
      [{ a: 1 }, 'json'],
      [[1], 'json'],
    ];
    for (const [value, type] of table) assert.equal(typeOfValue(value), type, JSON.stringify(value));
  });

  test('widening: null takes any type, int and double make double, anything else string', () => {
    const table: Array<[ColumnType, ColumnType, ColumnType]> = [
      ['null', 'int64', 'int64'],
      ['int64', 'null', 'int64'],
      ['int64', 'int64', 'int64'],
      ['int64', 'double', 'double'],
      ['double', 'int64', 'double'],
      ['int64', 'string', 'string'],
      ['boolean', 'int64', 'string'],
      ['json', 'string', 'string'],
      ['json', 'boolean', 'string'],
      ['string', 'double', 'string'],
    ];
    for (const [a, b, widest] of table) assert.equal(widen(a, b), widest, `${a} + ${b}`);
  });

  test('a schema only grows: new fields are new columns after the origin columns, types only widen', () => {
    const schema = new ArchiveSchema();
    schema.observe(toRecord(message('1', { humidity: 29, name: 's1' })));
    schema.observe(toRecord(message('2', { humidity: 29.5, battery: null })));
    schema.observe(toRecord(message('3', { humidity: 30, name: 7, battery: true })));
    assert.deepEqual(schema.columns(), [
      { name: '_id', type: 'string' },
      { name: '_topic', type: 'string' },
      { name: '_client_id', type: 'string' },
      { name: '_timestamp', type: 'timestamp' },
      { name: 'humidity', type: 'double' },
      { name: 'name', type: 'string' },
      { name: 'battery', type: 'boolean' },
    ]);
  });
});

describe('encoding, read back with DuckDB', () => {
  const messages = [
    message('a', { name: 'soilSensor1', humidity: 29, location: { lat: 1.5, tags: ['x'] }, ok: true }),
    message('b', { name: 'soilSensor2', humidity: 31.5, extra: 'later', _topic: 'payload topic' }),
    message('c', { name: 'soilSensor3', humidity: 'high' }),
    message('d', undefined),
  ];
  const records = messages.map(toRecord);
  const schema = new ArchiveSchema();
  for (const record of records) schema.observe(record);

  test('parquet: columns typed by the widened schema, values intact', async () => {
    const rows = await readBack('parquet', encodeParquet(records, schema));
    assert.deepEqual(
      rows.map((r) => [r._id, r._topic, r._client_id, r._timestamp, r.name, r.humidity, r.ok, r.extra, r.__topic, r._payload_base64]),
      [
        ['a', 'device/a/devicePayload', 'client-a', '2020-08-27 13:47:52.677', 'soilSensor1', '29', true, null, null, null],
        ['b', 'device/b/devicePayload', 'client-b', '2020-08-27 13:47:52.677', 'soilSensor2', '31.5', null, 'later', 'payload topic', null],
        ['c', 'device/c/devicePayload', 'client-c', '2020-08-27 13:47:52.677', 'soilSensor3', 'high', null, null, null, null],
        ['d', 'device/d/devicePayload', 'client-d', '2020-08-27 13:47:52.677', null, null, null, null, null, 'AP8H'],
      ],
    );
    // Nested objects are kept whole, as JSON text.
    assert.deepEqual(JSON.parse(String(JSON.parse(String(rows[0]?.location)))), { lat: 1.5, tags: ['x'] });
  });

  test('ndjson: one object per line, fields as they came, gzip', async () => {
    const rows = await readBack('ndjson', encodeNdjson(records));
    assert.equal(rows.length, 4);
    assert.deepEqual(rows[0]?.location, { lat: 1.5, tags: ['x'] });
    assert.equal(rows[1]?.__topic, 'payload topic');
    assert.equal(rows[3]?._payload_base64, 'AP8H');
    assert.equal(rows[0]?._timestamp, '2020-08-27 13:47:52.677');
  });
});

describe('ArchiveWriter', () => {
  const settings = (overrides: Partial<ArchiveSettings> = {}): ArchiveSettings => ({
    bucket: 'archive',
    prefix: 'soil',
    format: 'ndjson',
    maxBatchDelayMs: 3_600_000,
    maxBatchBytes: 1024 ** 2,
    ...overrides,
  });

  const setup = async (maxBatchRecords = 1000) => {
    const store = createMemoryObjectStore();
    await store.createBucket('archive');
    const written: Array<{ key: string; records: number }> = [];
    const writer = new ArchiveWriter({ sink: store, maxBatchRecords, onObject: ({ key, records }) => written.push({ key, records }) });
    return { store, writer, written };
  };

  test('a batch is written when it reaches its size, one object per partition, and only then do its messages resolve', async () => {
    const { store, writer, written } = await setup();
    const hour = (h: number) => Date.UTC(2020, 7, 27, h, 1);
    const s = settings({ maxBatchBytes: 3 * (message('m0', { h: 1 }).payload.length + 60) });
    let settled = 0;
    const first = [writer.append(s, message('m0', { h: 1 }, hour(13))), writer.append(s, message('m1', { h: 1 }, hour(14)))].map((p) => p.then(() => settled++));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, 0, 'nothing is resolved before its batch is written');
    assert.deepEqual(await store.listObjects('archive'), []);
    await Promise.all([...first, writer.append(s, message('m2', { h: 1 }, hour(13)))]);
    assert.deepEqual(written.map((w) => [w.key.split('/').slice(0, 5).join('/'), w.records]).sort(), [
      ['soil/year=2020/month=08/day=27/hour=13', 2],
      ['soil/year=2020/month=08/day=27/hour=14', 1],
    ]);
  });

  test('a batch is written when it reaches the message bound', async () => {
    const { writer, written } = await setup(3);
    await Promise.all(['a', 'b', 'c'].map((id) => writer.append(settings(), message(id, { v: 1 }))));
    assert.deepEqual(written.map((w) => w.records), [3]);
  });

  test('a batch is written when its delay has passed', async () => {
    const { writer, written } = await setup();
    await writer.append(settings({ maxBatchDelayMs: 5 }), message('a', { v: 1 }));
    assert.deepEqual(written.map((w) => w.records), [1]);
  });

  test('close writes what is buffered; later messages are written at once', async () => {
    const { writer, written } = await setup();
    const pending = [writer.append(settings(), message('a', { v: 1 })), writer.append(settings({ format: 'parquet' }), message('b', { v: 1 }))];
    await writer.close();
    await Promise.all(pending);
    assert.equal(written.length, 2);
    await writer.append(settings(), message('c', { v: 1 }));
    assert.equal(written.length, 3);
  });

  test('a failed write rejects its messages only; writing them again lands on the same key', async () => {
    const store = createMemoryObjectStore();
    await store.createBucket('archive');
    let failOnce = true;
    const keys: string[] = [];
    const writer = new ArchiveWriter({
      sink: {
        putObject: async (bucket, key, body, options) => {
          keys.push(key);
          if (failOnce && key.includes('hour=14')) {
            failOnce = false;
            throw new Error('disk full');
          }
          await store.putObject(bucket, key, body, options);
        },
      },
      maxBatchRecords: 2,
    });
    const at13 = message('a', { v: 1 }, Date.UTC(2020, 7, 27, 13));
    const at14 = message('b', { v: 1 }, Date.UTC(2020, 7, 27, 14));
    const [ok, failed] = await Promise.allSettled([writer.append(settings(), at13), writer.append(settings(), at14)]);
    assert.equal(ok?.status, 'fulfilled');
    assert.equal(failed?.status, 'rejected');
    // The retry (as the executor makes it) brings the same message: the same name, so no second copy if the first write had landed.
    const retried = writer.append(settings(), at14);
    await writer.flush();
    await retried;
    assert.equal(keys.filter((k) => k.includes('hour=14')).length, 2);
    assert.equal(new Set(keys.filter((k) => k.includes('hour=14'))).size, 1);
    assert.equal((await store.listObjects('archive')).length, 2);
  });
});
