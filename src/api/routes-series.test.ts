import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import { openSqliteReadingsStore } from '../readings/index.js';
import { installErrorHandler } from './errors.js';
import { seriesRoutes } from './routes-series.js';

const T0 = Date.UTC(2020, 7, 27, 13);
const MINUTE = 60_000;

async function harness(t: TestContext) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-api-series-'));
  const readings = openSqliteReadingsStore(path.join(dir, 'readings.db'));
  const app = Fastify();
  installErrorHandler(app);
  await app.register(seriesRoutes, { readings });
  t.after(async () => {
    await app.close();
    await readings.close();
    await rm(dir, { recursive: true, force: true });
  });
  await readings.putSeries('soil', { retentionMs: 30 * 86_400_000 });
  await readings.putSeries('empty', {});
  // 25 readings of soilSensor1, one a minute: humidity 20..44.
  await Promise.all(Array.from({ length: 25 }, (_, i) => readings.write('soil', { device: 'soilSensor1', time: T0 + i * MINUTE, values: { humidity: 20 + i } })));
  await readings.write('soil', { device: 'soilSensor2', time: T0, values: { humidity: 30 } });
  return app;
}

test('GET /api/v1/series lists the series with retention and the span of their readings', async (t) => {
  const app = await harness(t);
  const response = await app.inject({ url: '/api/v1/series' });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), {
    series: [
      { name: 'empty' },
      { name: 'soil', retentionMs: 2_592_000_000, retention: '30d', oldest: '2020-08-27T13:00:00.000Z', newest: '2020-08-27T13:24:00.000Z' },
    ],
  });
});

test('GET /api/v1/series/NAME: the 20 newest by default; device, from, to (ISO or epoch ms), limit and order', async (t) => {
  const app = await harness(t);
  type Body = { series: string; readings: Array<{ device: string; time: number; timestamp: string; values: Record<string, number> }> };
  const latest = (await app.inject({ url: '/api/v1/series/soil?device=soilSensor1' })).json() as Body;
  assert.equal(latest.readings.length, 20);
  assert.deepEqual(latest.readings[0], { device: 'soilSensor1', time: T0 + 24 * MINUTE, timestamp: '2020-08-27T13:24:00.000Z', values: { humidity: 44 } });
  assert.equal(latest.readings[19]?.values.humidity, 25);
  const ranged = (await app.inject({ url: `/api/v1/series/soil?device=soilSensor1&from=2020-08-27T13:02:00Z&to=${T0 + 4 * MINUTE}&order=asc` })).json() as Body;
  assert.deepEqual(ranged.readings.map((r) => r.values.humidity), [22, 23, 24]);
  const all = (await app.inject({ url: '/api/v1/series/soil?to=2020-08-27T13:00:00Z' })).json() as Body;
  assert.deepEqual(all.readings.map((r) => r.device), ['soilSensor2', 'soilSensor1']);
  const one = (await app.inject({ url: '/api/v1/series/soil?limit=1' })).json() as Body;
  assert.equal(one.readings.length, 1);
});

test('GET /api/v1/series/NAME?interval=: min, max, avg, count per interval', async (t) => {
  const app = await harness(t);
  const response = await app.inject({ url: '/api/v1/series/soil?device=soilSensor1&interval=10m&order=asc' });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), {
    series: 'soil',
    interval: '10m',
    intervalMs: 600_000,
    intervals: [
      { device: 'soilSensor1', start: T0, timestamp: '2020-08-27T13:00:00.000Z', fields: { humidity: { min: 20, max: 29, avg: 24.5, count: 10 } } },
      { device: 'soilSensor1', start: T0 + 10 * MINUTE, timestamp: '2020-08-27T13:10:00.000Z', fields: { humidity: { min: 30, max: 39, avg: 34.5, count: 10 } } },
      { device: 'soilSensor1', start: T0 + 20 * MINUTE, timestamp: '2020-08-27T13:20:00.000Z', fields: { humidity: { min: 40, max: 44, avg: 42, count: 5 } } },
    ],
  });
});

test('bad queries are 400 naming the parameter; an unknown series is 404 listing the series', async (t) => {
  const app = await harness(t);
  const cases: Array<[string, RegExp]> = [
    ['from=yesterday', /^from: from must be epoch milliseconds or an ISO 8601 time/],
    ['to=2020-13-01T00:00Z', /^to: to must be epoch milliseconds/],
    ['limit=0', /^limit: limit must be at least 1/],
    ['limit=ten', /^limit: limit must be a number/],
    ['limit=20001', /^limit: limit must be at most 10000/],
    ['interval=1w', /^interval: interval must be a whole number with a unit/],
    ['order=up', /^order: order must be 'asc'/],
    ['from=2020-08-28&to=2020-08-27', /^from: from must not be after to/],
    ['colour=blue', /colour/],
  ];
  for (const [query, message] of cases) {
    const response = await app.inject({ url: `/api/v1/series/soil?${query}` });
    assert.equal(response.statusCode, 400, query);
    const { error } = response.json() as { error: { code: string; message: string } };
    assert.equal(error.code, 'SLUICE_ERR_REQUEST_INVALID', query);
    assert.match(error.message, message, query);
  }
  const missing = await app.inject({ url: '/api/v1/series/soyl' });
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), {
    error: { code: 'SLUICE_ERR_NOT_FOUND', message: 'no such series: soyl (series: empty, soil)', details: { series: 'soyl' } },
  });
});
