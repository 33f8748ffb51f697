/**
 * The readings store end to end: the reference stack's timeseries rule, a
 * real MQTT client publishing the reference payload, and `sluice readings`
 * and the API reading it back from the server process.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { SluiceServer, runCli } from './support/sluice-process.js';

/** The reference architecture's sample payload (DESIGN.md), its ISO time without an offset, and two later readings. */
const SEED = { name: 'soilSensor3', humidity: 29, timeStampEpoch: 1598536072677, timeStampIso: '2020-08-27T13:47:52.677721' };
const LATER = [
  { name: 'soilSensor3', humidity: 41, timeStampEpoch: 1598536102677, timeStampIso: '2020-08-27T13:48:22.677721' },
  { name: 'soilSensor3', humidity: 38, timeStampEpoch: 1598539672677, timeStampIso: '2020-08-27T14:47:52.677721' },
];

let dataDir: string;
let server: SluiceServer;
let device: MqttClient;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-readings-e2e-'));
  server = await SluiceServer.start(dataDir, ['--stack', 'stacks/soil-moisture.yaml', '--insecure']);
  assert.ok(server.endpoints.mqtt);
  device = await mqtt.connectAsync(server.endpoints.mqtt, { clientId: 'soilSensor3', reconnectPeriod: 0 });
  for (const payload of [SEED, ...LATER]) await device.publishAsync('device/soilSensor3/devicePayload', JSON.stringify(payload), { qos: 1 });
  // The same reading again, as a device that did not get its PUBACK would resend it: stored once.
  await device.publishAsync('device/soilSensor3/devicePayload', JSON.stringify(SEED), { qos: 1 });
  await server.settle();
});

after(async () => {
  await device?.endAsync();
  if (server) await server.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli([...args, '--data', dataDir]);

test('sluice readings DEVICE prints the newest readings first, at the times the device took them', async () => {
  const result = await cli(['readings', 'soilSensor3']);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout.trimEnd().split('\n').map((line) => line.split(/\s+/)), [
    ['TIME', 'HUMIDITY'],
    ['2020-08-27T14:47:52.677Z', '38'],
    ['2020-08-27T13:48:22.677Z', '41'],
    ['2020-08-27T13:47:52.677Z', '29'],
  ]);
  const last = await cli(['readings', 'soilSensor3', '--last', '1', '--json']);
  assert.equal(last.code, 0, last.stderr);
  assert.deepEqual(JSON.parse(last.stdout), {
    series: 'soil-humidity',
    readings: [{ device: 'soilSensor3', time: 1598539672677, timestamp: '2020-08-27T14:47:52.677Z', values: { humidity: 38 } }],
  });
});

test('the API answers the same, with ranges and downsampling', async () => {
  const ranged = await server.api<{ readings: Array<{ values: { humidity: number } }> }>(
    '/api/v1/series/soil-humidity?device=soilSensor3&from=2020-08-27T13:00:00Z&to=2020-08-27T14:00:00Z&order=asc',
  );
  assert.deepEqual(ranged.readings.map((r) => r.values.humidity), [29, 41]);
  const hourly = await server.api<{ intervals: unknown[] }>('/api/v1/series/soil-humidity?device=soilSensor3&interval=1h&order=asc');
  assert.deepEqual(hourly.intervals, [
    { device: 'soilSensor3', start: 1598533200000, timestamp: '2020-08-27T13:00:00.000Z', fields: { humidity: { min: 29, max: 41, avg: 35, count: 2 } } },
    { device: 'soilSensor3', start: 1598536800000, timestamp: '2020-08-27T14:00:00.000Z', fields: { humidity: { min: 38, max: 38, avg: 38, count: 1 } } },
  ]);
  const table = await cli(['readings', 'soilSensor3', '--interval', '1h', '--last', '1']);
  assert.equal(table.code, 0, table.stderr);
  assert.deepEqual(table.stdout.trimEnd().split('\n').map((line) => line.split(/\s+/)), [
    ['START', '(1h)', 'FIELD', 'MIN', 'MAX', 'AVG', 'COUNT'],
    ['2020-08-27T14:00:00.000Z', 'humidity', '38', '38', '38', '1'],
  ]);
  const list = await server.api<{ series: unknown[] }>('/api/v1/series');
  assert.deepEqual(list.series, [
    { name: 'soil-humidity', retentionMs: 2_592_000_000, retention: '30d', oldest: '2020-08-27T13:47:52.677Z', newest: '2020-08-27T14:47:52.677Z' },
  ]);
});

test('a reading without a numeric humidity is dead-lettered, not stored', async () => {
  await device.publishAsync('device/soilSensor3/devicePayload', JSON.stringify({ name: 'soilSensor3', humidity: 'wet', timeStampEpoch: 1598540000000 }), { qos: 1 });
  await server.settle();
  const { deadLetters } = await server.api<{ deadLetters: Array<{ failures: Array<{ failedAction: string; failedResource: string; errorMessage: string }> }> }>(
    '/api/v1/dead-letters?rule=SoilHumidityReadingsRule',
  );
  assert.deepEqual(deadLetters.map((d) => d.failures.at(-1)), [
    { failedAction: 'TimeseriesAction', failedResource: 'soil-humidity', errorMessage: 'none of the fields humidity is a number in the rule\'s output' },
  ]);
  const { readings } = await server.api<{ readings: unknown[] }>('/api/v1/series/soil-humidity?device=soilSensor3');
  assert.equal(readings.length, 3);
});

test('errors: flags are checked, and with two series --series is needed', async () => {
  const badLast = await cli(['readings', 'soilSensor3', '--last', '0']);
  assert.equal(badLast.code, 1);
  assert.match(badLast.stderr, /--last must be a whole number from 1 to 10000, got '0'/);
  const badFrom = await cli(['readings', 'soilSensor3', '--from', 'yesterday']);
  assert.equal(badFrom.code, 1);
  assert.match(badFrom.stderr, /from must be epoch milliseconds or an ISO 8601 time/);

  const second = join(dataDir, 'second.yaml');
  await writeFile(second, 'stack: second\nseries:\n  soil-temperature: { retention: 7d }\n');
  const deployed = await cli(['deploy', second]);
  assert.equal(deployed.code, 0, deployed.stderr);
  const ambiguous = await cli(['readings', 'soilSensor3']);
  assert.equal(ambiguous.code, 1);
  assert.match(ambiguous.stderr, /there are 2 series \(soil-humidity, soil-temperature\); choose one with --series NAME/);
  const chosen = await cli(['readings', 'soilSensor3', '--series', 'soil-temperature']);
  assert.equal(chosen.code, 0, chosen.stderr);
  assert.match(chosen.stdout, /no readings in series soil-temperature/);
  const unknown = await cli(['readings', 'soilSensor3', '--series', 'soil']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no such series: soil \(series: soil-humidity, soil-temperature\)/);
});
