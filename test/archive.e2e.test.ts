/**
 * The archive action end to end: real MQTT clients publish readings, the
 * server writes batches under Hive partitions in an fs bucket, and DuckDB
 * (an independent reader) gives back exactly the records published, from
 * Parquet and from gzipped NDJSON. The worked example of docs/data.md runs
 * here too, so it cannot go stale.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, test } from 'node:test';
import mqtt from 'mqtt';
import { duckdbQuery, sqlString } from './support/duckdb.js';
import { REPO_ROOT, SluiceServer } from './support/sluice-process.js';

const DEVICES = ['soilSensor1', 'soilSensor2', 'soilSensor3'];
const PER_DEVICE = 40;

interface Reading {
  name: string;
  humidity: number;
  timeStampEpoch: number;
  timeStampIso: string;
  battery?: number;
}

/** The reference simulator's payload; halfway through, humidity turns fractional and a battery field appears (schema widening). */
function reading(device: string, i: number): Reading {
  const at = 1598536072677 + i * 30_000;
  const base: Reading = { name: device, humidity: 20 + ((i * 7) % 26), timeStampEpoch: at, timeStampIso: new Date(at).toISOString().replace('Z', '') };
  return i < PER_DEVICE / 2 ? base : { ...base, humidity: base.humidity + 0.5, battery: 100 - i };
}

/** The docs' example stack and query, taken from the archive section of docs/data.md. */
async function docsExample(): Promise<{ yaml: string; sql: string }> {
  const docs = await readFile(join(REPO_ROOT, 'docs', 'data.md'), 'utf8');
  const start = docs.indexOf('## The archive');
  assert.ok(start >= 0, 'docs/data.md has an "## The archive" section');
  const section = docs.slice(start, docs.indexOf('\n## ', start + 1) === -1 ? undefined : docs.indexOf('\n## ', start + 1));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  const sql = /```sql\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(yaml && sql, 'the archive section has a yaml and a sql example');
  return { yaml, sql };
}

let dataDir = '';
let server: SluiceServer | undefined;
const published: Array<{ clientId: string; topic: string; reading: Reading }> = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-archive-'));
  const { yaml } = await docsExample();
  // The docs' rule, beside an NDJSON archive of the same readings; short delays so the test need not wait a minute.
  const stack = `stack: archive-e2e
buckets:
  rule-filter-bucket: {}
rules:
${yaml.replace(/^rules:\n/, '').replace(/maxBatchDelay: \S+/, 'maxBatchDelay: 1s')}
  ArchiveNdjson:
    sql: SELECT * FROM 'device/+/devicePayload'
    actions:
      - archive: { bucket: rule-filter-bucket, prefix: raw/ndjson, format: ndjson, maxBatchDelay: 1s }
`;
  await writeFile(join(dataDir, 'stack.yaml'), stack);
  server = await SluiceServer.start(dataDir, ['--stack', join(dataDir, 'stack.yaml'), '--insecure']);
  const url = server.endpoints.mqtt;
  assert.ok(url);
  await Promise.all(
    DEVICES.map(async (device) => {
      const client = await mqtt.connectAsync(url, { clientId: device, reconnectPeriod: 0 });
      try {
        for (let i = 0; i < PER_DEVICE; i++) {
          const topic = `device/${device}/devicePayload`;
          const r = reading(device, i);
          await client.publishAsync(topic, JSON.stringify(r), { qos: 1 });
          published.push({ clientId: device, topic, reading: r });
        }
      } finally {
        await client.endAsync();
      }
    }),
  );
  await server.settle(60_000);
});

after(async () => {
  await server?.stop('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  // The fs driver keeps content types and metadata in `.sluice-meta/`: not objects.
  return entries.filter((e) => e.isFile() && !relative(dir, e.parentPath).startsWith('.sluice-')).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

const bucketDir = () => join(dataDir, 'buckets', 'rule-filter-bucket');

test('objects land under prefix/year=/month=/day=/hour=/ with unique names', async () => {
  const files = await filesUnder(bucketDir());
  assert.ok(files.length > 0);
  for (const file of files) {
    assert.match(file, /^raw\/(parquet\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/\d+-[0-9a-f]{20}\.parquet|ndjson\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/\d+-[0-9a-f]{20}\.ndjson\.gz)$/);
  }
});

for (const format of ['parquet', 'ndjson'] as const) {
  test(`${format}: DuckDB reads back exactly the records published, in the partition of their timestamp`, async () => {
    const glob = join(bucketDir(), 'raw', format, '**', format === 'parquet' ? '*.parquet' : '*.ndjson.gz');
    const reader =
      format === 'parquet'
        ? `read_parquet(${sqlString(glob)}, hive_partitioning = true, union_by_name = true)`
        : `read_json(${sqlString(glob)}, format = 'newline_delimited', hive_partitioning = true, union_by_name = true)`;
    const rows = await duckdbQuery(`
      SELECT _id, _topic, _client_id, _timestamp, name, humidity, timeStampEpoch, timeStampIso, battery,
             year::INT = year(_timestamp) AND month::INT = month(_timestamp) AND day::INT = day(_timestamp) AND hour::INT = hour(_timestamp) AS in_partition
      FROM ${reader}`);
    assert.equal(rows.length, published.length);
    assert.equal(new Set(rows.map((r) => r._id)).size, rows.length, 'no duplicates');
    assert.ok(rows.every((r) => r.in_partition === true), 'every record sits in the partition of its timestamp');
    const key = (r: { clientId: string; topic: string; reading: Reading }) => JSON.stringify([r.clientId, r.topic, r.reading]);
    const actual = rows.map((r) => {
      const value: Reading = {
        name: String(r.name),
        humidity: Number(r.humidity),
        timeStampEpoch: Number(r.timeStampEpoch),
        timeStampIso: String(r.timeStampIso),
      };
      if (r.battery !== null) value.battery = Number(r.battery);
      return key({ clientId: String(r._client_id), topic: String(r._topic), reading: value });
    });
    assert.deepEqual(actual.sort(), published.map(key).sort());
  });
}

test('parquet: the schema widened (humidity double, battery added as a nullable column)', async () => {
  const glob = join(bucketDir(), 'raw', 'parquet', '**', '*.parquet');
  const columns = await duckdbQuery(`DESCRIBE SELECT * FROM read_parquet(${sqlString(glob)}, union_by_name = true)`);
  const types = Object.fromEntries(columns.map((c) => [c.column_name, c.column_type]));
  assert.equal(types.humidity, 'DOUBLE');
  assert.equal(types.battery, 'BIGINT');
  assert.equal(types._timestamp, 'TIMESTAMP');
});

test("docs/data.md's DuckDB example gives humidity per device per hour", async () => {
  const { sql } = await docsExample();
  // The docs query the default data dir (./data, where `npm start` keeps it).
  assert.ok(sql.includes("'data/buckets/"), 'the docs query reads under data/buckets');
  const rows = await duckdbQuery(sql.replaceAll("'data/buckets/", `'${join(dataDir, 'buckets')}/`));
  const expected = new Map<string, number[]>();
  for (const p of published) expected.set(p.reading.name, [...(expected.get(p.reading.name) ?? []), p.reading.humidity]);
  const perDevice = new Map<string, { readings: number; sum: number }>();
  for (const row of rows) {
    assert.match(String(row.hour), /^\d{4}-\d{2}-\d{2} \d{2}:00:00$/);
    const seen = perDevice.get(String(row.device)) ?? { readings: 0, sum: 0 };
    perDevice.set(String(row.device), { readings: seen.readings + Number(row.readings), sum: seen.sum + Number(row.avg_humidity) * Number(row.readings) });
  }
  assert.deepEqual([...perDevice.keys()].sort(), DEVICES);
  for (const [device, values] of expected) {
    assert.equal(perDevice.get(device)?.readings, values.length);
    const avg = values.reduce((a, b) => a + b, 0) / values.length;
    // One hour in the usual case; if the run crossed an hour, the hourly averages recombine to the same mean (to rounding).
    assert.ok(Math.abs((perDevice.get(device)?.sum ?? 0) / values.length - avg) < 0.1, `${device}: average humidity`);
  }
});
