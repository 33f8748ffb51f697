import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../core/index.js';
import { ActionError } from './action-error.js';
import type { ActionInput, TimeseriesTarget } from './model.js';
import type { ReadingsWriter } from './ports.js';
import { writeReading } from './timeseries.js';

const TARGET: TimeseriesTarget = { kind: 'timeseries', series: 'soil', device: 'soilSensor1', fields: ['humidity', 'temperature'] };
const input = (value: unknown): ActionInput => ({
  topic: 'device/soilSensor1/devicePayload',
  clientId: 'c',
  timestamp: 1_000,
  payload: Buffer.from(JSON.stringify(value ?? null)),
  value,
});

function recorder(): ReadingsWriter & { written: unknown[] } {
  const written: unknown[] = [];
  return { written, write: async (series, reading) => void written.push({ series, ...reading }) };
}

test('stores the numbers among the fields; missing, null and non-numbers are left out; time from the template or timestamp()', async () => {
  const cases: Array<[Partial<TimeseriesTarget>, unknown, unknown]> = [
    [{}, { humidity: 29, temperature: 20.5, name: 'x' }, { device: 'soilSensor1', time: 1_000, values: { humidity: 29, temperature: 20.5 } }],
    [{}, { humidity: 29 }, { device: 'soilSensor1', time: 1_000, values: { humidity: 29 } }],
    [{}, { humidity: 29, temperature: null }, { device: 'soilSensor1', time: 1_000, values: { humidity: 29 } }],
    [{}, { humidity: '30', temperature: 0 }, { device: 'soilSensor1', time: 1_000, values: { temperature: 0 } }],
    [{}, { humidity: true, temperature: -4 }, { device: 'soilSensor1', time: 1_000, values: { temperature: -4 } }],
    [{ time: '1598536072677' }, { humidity: 1 }, { device: 'soilSensor1', time: 1598536072677, values: { humidity: 1 } }],
    [{ time: '2020-08-27T13:47:52.677721' }, { humidity: 1 }, { device: 'soilSensor1', time: 1598536072677, values: { humidity: 1 } }],
  ];
  for (const [overrides, value, expected] of cases) {
    const readings = recorder();
    await writeReading({ ...TARGET, ...overrides }, input(value), readings);
    assert.deepEqual(readings.written, [{ series: 'soil', ...(expected as object) }], JSON.stringify(value));
  }
});

test('fails for good (no retry) when nothing can be stored', async () => {
  const cases: Array<[Partial<TimeseriesTarget>, unknown, RegExp]> = [
    [{}, { humidity: 'wet' }, /none of the fields humidity, temperature is a number/],
    [{}, { other: 1 }, /none of the fields/],
    [{}, [1, 2], /not a JSON object/],
    [{}, undefined, /not a JSON object/],
    [{ time: '' }, { humidity: 1 }, /time '' is neither epoch milliseconds nor an ISO 8601 time/],
    [{ time: 'yesterday' }, { humidity: 1 }, /time 'yesterday'/],
    [{ device: '' }, { humidity: 1 }, /device template rendered an empty name/],
  ];
  for (const [overrides, value, message] of cases) {
    await assert.rejects(writeReading({ ...TARGET, ...overrides }, input(value), recorder()), (error: unknown) => {
      assert.ok(error instanceof ActionError && !error.retryable, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
  await assert.rejects(writeReading(TARGET, input({ humidity: 1 }), undefined), (e: unknown) => e instanceof ActionError && !e.retryable);
});

test('a series that is gone fails for good; other store errors may be retried', async () => {
  const gone: ReadingsWriter = { write: async () => Promise.reject(new SluiceError('SLUICE_ERR_NOT_FOUND', 'no such series: soil')) };
  await assert.rejects(writeReading(TARGET, input({ humidity: 1 }), gone), (e: unknown) => e instanceof ActionError && !e.retryable && /no such series/.test(e.message));
  const busy: ReadingsWriter = { write: async () => Promise.reject(new Error('SQLITE_BUSY: database is locked')) };
  await assert.rejects(writeReading(TARGET, input({ humidity: 1 }), busy), (e: unknown) => !(e instanceof ActionError) && /SQLITE_BUSY/.test((e as Error).message));
});
