/**
 * The dialect's server-side parts, end to end through the real CLI and a real
 * MQTT client: aws_lambda() calls a deployed function during evaluation, a
 * SET variable names the republish topic, sourceip()/clientid() see the
 * connection, and a rule without FROM is reached through Basic Ingest
 * (`$aws/rules/<rule>/...`), which nobody can subscribe to.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { SluiceServer } from './support/sluice-process.js';

const STACK = resolve(import.meta.dirname, 'fixtures', 'sql-dialect.yaml');

let dataDir = '';
let server: SluiceServer | undefined;
let device: MqttClient | undefined;
let watcher: MqttClient | undefined;
const received: Array<{ topic: string; payload: unknown }> = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-dialect-'));
  server = await SluiceServer.start(dataDir, ['--stack', STACK, '--insecure']);
  assert.ok(server.endpoints.mqtt);
  watcher = await mqtt.connectAsync(server.endpoints.mqtt, { clientId: 'watcher', reconnectPeriod: 0 });
  watcher.on('message', (topic, payload) => received.push({ topic, payload: JSON.parse(payload.toString()) as unknown }));
  await watcher.subscribeAsync(['enriched/#', 'ingested/#', '#'], { qos: 1 });
  device = await mqtt.connectAsync(server.endpoints.mqtt, { clientId: 'dialect-device', reconnectPeriod: 0 });
});

after(async () => {
  await device?.endAsync();
  await watcher?.endAsync();
  await server?.stop('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function waitFor(topic: string): Promise<unknown> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const hit = received.find((m) => m.topic === topic);
    if (hit) return hit.payload;
    if (Date.now() > deadline) assert.fail(`nothing arrived on ${topic}; got ${JSON.stringify(received.map((m) => m.topic))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('aws_lambda() enriches the output; a SET variable names the republish topic', async () => {
  assert.ok(device);
  await device.publishAsync('sensors/s1/data', JSON.stringify({ building: 'b5', room: 201, temp: 30 }), { qos: 1 });
  const payload = await waitFor('enriched/b5-201');
  assert.deepEqual(payload, {
    enriched: { fahrenheit: 86, label: 'warm' },
    room: 'b5-201',
    ip: '127.0.0.1',
    client: 'dialect-device',
  });
});

test('Basic Ingest reaches the rule without FROM, with the prefix taken off topic(); no subscriber sees it', async () => {
  assert.ok(device && watcher);
  await device.publishAsync('$aws/rules/IngestOnly/field/7', JSON.stringify({ v: 2 }), { qos: 1 });
  await device.publishAsync('$aws/rules/IngestOnly/field/8', JSON.stringify({ v: 0 }), { qos: 1 });
  assert.deepEqual(await waitFor('ingested/field'), { v: 2, t: 'field/7' });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(received.filter((m) => m.topic.startsWith('ingested/')).length, 1, 'v: 0 does not match the WHERE clause');
  assert.equal(received.filter((m) => m.topic.startsWith('$aws/')).length, 0, 'Basic Ingest messages are not delivered to subscribers');
  // SUBACK 0x80: mqtt.js reports a refused subscription as an error; the connection stays up.
  await assert.rejects(watcher.subscribeAsync('$aws/rules/#', { qos: 1 }), /Subscribe error/);
  assert.ok(watcher.connected);
});
