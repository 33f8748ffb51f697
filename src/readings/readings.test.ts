import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { isSluiceError, silentLogger } from '../core/index.js';
import type { ReadingsStore } from './port.js';
import { EXPIRE_SQL, openSqliteReadingsStore, readingsSql, summarySql } from './sqlite.js';
import { RetentionSweeper } from './sweeper.js';
import { formatInterval, parseInterval, parseTime } from '../core/index.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** 2020-08-27T13:00:00Z, an hour boundary (the reference payload's day). */
const T0 = Date.UTC(2020, 7, 27, 13);

async function openStore(t: TestContext): Promise<{ store: ReadingsStore; file: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-readings-'));
  const file = path.join(dir, 'readings.db');
  const store = openSqliteReadingsStore(file);
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { store, file };
}

/** soilSensor1: humidity 20, 21, ... every 10 minutes for 3 hours (18 readings); soilSensor2: every 30 minutes. */
async function seed(store: ReadingsStore): Promise<void> {
  await store.putSeries('soil', {});
  const writes: Array<Promise<void>> = [];
  for (let i = 0; i < 18; i++) writes.push(store.write('soil', { device: 'soilSensor1', time: T0 + i * 10 * MINUTE, values: { humidity: 20 + i } }));
  for (let i = 0; i < 6; i++) writes.push(store.write('soil', { device: 'soilSensor2', time: T0 + i * 30 * MINUTE, values: { humidity: 40 - i, temperature: 10.5 } }));
  await Promise.all(writes);
}

test('query: newest first with a limit, ranges inclusive at both ends, one device or all', async (t) => {
  const { store } = await openStore(t);
  await seed(store);
  const newest = await store.query('soil', { device: 'soilSensor1', limit: 3 });
  assert.deepEqual(newest.map((r) => [r.time, r.values.humidity]), [
    [T0 + 170 * MINUTE, 37],
    [T0 + 160 * MINUTE, 36],
    [T0 + 150 * MINUTE, 35],
  ]);
  const ranged = await store.query('soil', { device: 'soilSensor1', from: T0 + 20 * MINUTE, to: T0 + 40 * MINUTE, limit: 20 });
  assert.deepEqual(ranged.map((r) => r.values.humidity), [24, 23, 22], 'both ends inclusive');
  const oldestFirst = await store.query('soil', { device: 'soilSensor1', from: T0 + 20 * MINUTE, limit: 2, order: 'asc' });
  assert.deepEqual(oldestFirst.map((r) => r.values.humidity), [22, 23]);
  const all = await store.query('soil', { to: T0 + 30 * MINUTE, limit: 20 });
  assert.deepEqual(all.map((r) => [r.device, r.time - T0]), [
    ['soilSensor2', 30 * MINUTE],
    ['soilSensor1', 30 * MINUTE],
    ['soilSensor1', 20 * MINUTE],
    ['soilSensor1', 10 * MINUTE],
    ['soilSensor2', 0],
    ['soilSensor1', 0],
  ]);
  assert.deepEqual(all[0]?.values, { humidity: 39, temperature: 10.5 });
  assert.deepEqual(await store.query('soil', { device: 'nobody', limit: 20 }), []);
  assert.deepEqual(await store.query('soil', { device: 'soilSensor1', from: T0 + 41 * MINUTE, to: T0 + 49 * MINUTE, limit: 20 }), []);
});

test('downsample: exact min, max, avg and count per interval and field; a reading on a boundary opens the next interval', async (t) => {
  const { store } = await openStore(t);
  await seed(store);
  const hourly = await store.downsample('soil', { device: 'soilSensor1', intervalMs: HOUR, limit: 10, order: 'asc' });
  // 13:00 holds 13:00..13:50 (20..25); 14:00, exactly on the boundary, is the next hour's first reading.
  assert.deepEqual(hourly, [
    { device: 'soilSensor1', start: T0, fields: { humidity: { min: 20, max: 25, avg: 22.5, count: 6 } } },
    { device: 'soilSensor1', start: T0 + HOUR, fields: { humidity: { min: 26, max: 31, avg: 28.5, count: 6 } } },
    { device: 'soilSensor1', start: T0 + 2 * HOUR, fields: { humidity: { min: 32, max: 37, avg: 34.5, count: 6 } } },
  ]);
  // Newest first by default; without `from`, the last `limit` intervals up to the newest reading.
  const lastTwo = await store.downsample('soil', { device: 'soilSensor1', intervalMs: HOUR, limit: 2 });
  assert.deepEqual(lastTwo.map((i) => [i.start - T0, i.fields.humidity?.count]), [
    [2 * HOUR, 6],
    [HOUR, 6],
  ]);
  // A range cuts intervals: from 13:40 to 14:10 inclusive is 13:40, 13:50 | 14:00, 14:10.
  const cut = await store.downsample('soil', { device: 'soilSensor1', from: T0 + 40 * MINUTE, to: T0 + 70 * MINUTE, intervalMs: HOUR, limit: 10, order: 'asc' });
  assert.deepEqual(cut.map((i) => i.fields.humidity), [
    { min: 24, max: 25, avg: 24.5, count: 2 },
    { min: 26, max: 27, avg: 26.5, count: 2 },
  ]);
  // Every device, several fields: soilSensor2's two fields, each summarised on its own.
  const both = await store.downsample('soil', { to: T0 + 59 * MINUTE, intervalMs: HOUR, limit: 10 });
  assert.deepEqual(both, [
    { device: 'soilSensor1', start: T0, fields: { humidity: { min: 20, max: 25, avg: 22.5, count: 6 } } },
    {
      device: 'soilSensor2',
      start: T0,
      fields: { humidity: { min: 39, max: 40, avg: 39.5, count: 2 }, temperature: { min: 10.5, max: 10.5, avg: 10.5, count: 2 } },
    },
  ]);
  const quarter = await store.downsample('soil', { device: 'soilSensor2', intervalMs: 15 * MINUTE, limit: 100, order: 'asc' });
  assert.equal(quarter.length, 6, 'empty intervals are left out');
  assert.deepEqual(await store.downsample('soil', { device: 'nobody', intervalMs: HOUR, limit: 5 }), []);
});

test('writes are idempotent: the same reading again (a retried job) counts once; other fields of it merge in', async (t) => {
  const { store } = await openStore(t);
  await store.putSeries('soil', {});
  const reading = { device: 'd', time: T0, values: { humidity: 30 } };
  await store.write('soil', reading);
  await store.write('soil', reading);
  await Promise.all([store.write('soil', reading), store.write('soil', reading)]);
  await store.write('soil', { device: 'd', time: T0, values: { temperature: 12 } });
  assert.deepEqual(await store.query('soil', { limit: 10 }), [{ device: 'd', time: T0, values: { humidity: 30, temperature: 12 } }]);
  const [interval] = await store.downsample('soil', { intervalMs: HOUR, limit: 1 });
  assert.equal(interval?.fields.humidity?.count, 1);
});

test('an undeclared series is SLUICE_ERR_NOT_FOUND; deleting a series deletes its readings; settings survive a reopen', async (t) => {
  const { store, file } = await openStore(t);
  for (const attempt of [
    () => store.write('nope', { device: 'd', time: T0, values: { x: 1 } }),
    () => store.query('nope', { limit: 1 }),
    () => store.downsample('nope', { intervalMs: HOUR, limit: 1 }),
  ]) {
    await assert.rejects(attempt(), (error) => isSluiceError(error) && error.code === 'SLUICE_ERR_NOT_FOUND' && /no such series: nope/.test(error.message));
  }
  await store.putSeries('a', { retentionMs: 30 * 24 * HOUR });
  await store.putSeries('b', {});
  await store.write('a', { device: 'd', time: T0, values: { x: 1 } });
  await store.write('a', { device: 'd', time: T0 + 1000, values: { x: 2 } });
  assert.deepEqual(await store.listSeries(), [
    { name: 'a', retentionMs: 30 * 24 * HOUR, oldest: T0, newest: T0 + 1000 },
    { name: 'b' },
  ]);
  await store.putSeries('a', {});
  assert.deepEqual(await store.getSeries('a'), { name: 'a', oldest: T0, newest: T0 + 1000 }, 'a put replaces the settings and keeps the readings');
  await store.close();
  const reopened = openSqliteReadingsStore(file);
  try {
    assert.equal((await reopened.query('a', { limit: 5 })).length, 2);
    assert.equal(await reopened.deleteSeries('a'), true);
    assert.equal(await reopened.deleteSeries('a'), false);
    await reopened.putSeries('a', {});
    assert.deepEqual(await reopened.query('a', { limit: 5 }), [], 'a series declared again starts empty');
  } finally {
    await reopened.close();
  }
});

test('retention with a simulated clock: a sweep deletes what is older than each series\' retention, and only that', async (t) => {
  const { store } = await openStore(t);
  const DAY = 24 * HOUR;
  await store.putSeries('short', { retentionMs: 2 * DAY });
  await store.putSeries('forever', {});
  for (let day = 0; day < 5; day++) {
    await store.write('short', { device: 'd', time: T0 + day * DAY, values: { x: day } });
    await store.write('forever', { device: 'd', time: T0 + day * DAY, values: { x: day } });
  }
  let now = T0 + 4 * DAY;
  const sweeper = new RetentionSweeper({ store, logger: silentLogger(), clock: { now: () => now } });
  // Cutoff T0 + 2 days: days 0 and 1 go; day 2, exactly at the cutoff, stays (S3 expires objects older than N days).
  assert.deepEqual(await sweeper.sweep(), { short: 2 });
  assert.deepEqual((await store.query('short', { limit: 10, order: 'asc' })).map((r) => r.values.x), [2, 3, 4]);
  assert.deepEqual(await sweeper.sweep(), {}, 'nothing more at the same time');
  now = T0 + 10 * DAY;
  assert.deepEqual(await sweeper.sweep(), { short: 3 });
  assert.equal((await store.query('forever', { limit: 10 })).length, 5, 'a series without retention keeps everything');
});

test('a sweep of more readings than one batch deletes them all', async (t) => {
  const { store } = await openStore(t);
  await store.putSeries('s', { retentionMs: 1000 });
  await Promise.all(Array.from({ length: 12_000 }, (_, i) => store.write('s', { device: `d${i % 3}`, time: i, values: { x: i } })));
  assert.deepEqual(await store.expire(20_000), { s: 12_000 });
  assert.deepEqual(await store.query('s', { limit: 1 }), []);
});

test('the queries walk an index (EXPLAIN QUERY PLAN): no table scan, no temporary sort for the reading lists', async (t) => {
  const { store, file } = await openStore(t);
  await seed(store);
  const db = new Database(file, { readonly: true });
  t.after(() => db.close());
  const plan = (sql: string, params: Record<string, string | number>) =>
    db
      .prepare<Record<string, string | number>, { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
      .all(params)
      .map((row) => row.detail)
      .join('\n');
  const params = { series: 'soil', device: 'soilSensor1', from: 0, to: T0, limit: 20, interval: HOUR, cutoff: T0, batch: 10 };
  for (const order of ['ASC', 'DESC'] as const) {
    const one = plan(readingsSql(true, order), params);
    assert.match(one, /SEARCH readings USING PRIMARY KEY \(series=\? AND device=\? AND time>\? AND time<\?\)/, one);
    const all = plan(readingsSql(false, order), params);
    assert.match(all, /SEARCH readings USING INDEX readings_time \(series=\? AND time>\? AND time<\?\)/, all);
    for (const text of [one, all]) assert.doesNotMatch(text, /SCAN readings|TEMP B-TREE/, text);
  }
  const summary = plan(summarySql(true, 'DESC'), params);
  assert.match(summary, /SEARCH r USING PRIMARY KEY \(series=\? AND device=\? AND time>\? AND time<\?\)/, summary);
  assert.match(plan(summarySql(false, 'DESC'), params), /SEARCH r USING (?:INDEX readings_time|PRIMARY KEY) \(series=\?/);
  const expire = plan(EXPIRE_SQL, params);
  assert.doesNotMatch(expire, /SCAN readings/, expire);
});

test('times and intervals: epoch ms or ISO 8601 (no offset means UTC); intervals with a unit', () => {
  const cases: Array<[string, number | undefined]> = [
    ['1598536072677', 1598536072677],
    ['1598536072677.9', 1598536072677],
    ['2020-08-27T13:47:52.677Z', 1598536072677],
    ['2020-08-27T13:47:52.677721', 1598536072677],
    ['2020-08-27T15:47:52.677+02:00', 1598536072677],
    ['2020-08-27', Date.UTC(2020, 7, 27)],
    ['2020-08-27 13:47', Date.UTC(2020, 7, 27, 13, 47)],
    ['', undefined],
    ['soon', undefined],
    ['-5', undefined],
    ['2020-13-45T00:00Z', undefined],
  ];
  for (const [text, expected] of cases) assert.equal(parseTime(text), expected, text);
  assert.equal(parseInterval('1h'), HOUR);
  assert.equal(parseInterval('15m'), 15 * MINUTE);
  assert.equal(parseInterval('1d'), 24 * HOUR);
  assert.equal(parseInterval('500ms'), 500);
  for (const bad of ['0s', '1', 'h', '1.5h', '1w', '']) assert.equal(parseInterval(bad), undefined, bad);
  assert.equal(formatInterval(24 * HOUR), '1d');
  assert.equal(formatInterval(90 * MINUTE), '90m');
  assert.equal(formatInterval(1500), '1500ms');
});
